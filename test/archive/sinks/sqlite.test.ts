import t from 'tap'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { openSqliteSink, openSqliteWorkerSink } from '../../../src/archive/sinks/sqlite.js'
import { sinkContract } from '../sink-contract.js'
import { collect, message, silentLog, T0 } from '../fixtures.js'

const deps = (baseDir: string) => ({ log: silentLog, baseDir, clock: Date.now })

t.test('sqlite sink passes the contract', async (t) => {
  const dir = t.testdir()
  await sinkContract(t, async () => openSqliteSink({ sink: 'sqlite', path: 'archive', open_days: 2, worker: false }, deps(dir)))
})

t.test('sqlite sink writing from a worker thread passes the contract', async (t) => {
  const dir = t.testdir()
  await sinkContract(t, async () => openSqliteWorkerSink({ sink: 'sqlite', path: 'archive', open_days: 2, worker: true }, deps(dir)))
})

t.test('a write that fails in the worker rejects, and the sink keeps working', async (t) => {
  const dir = t.testdir()
  const sink = openSqliteWorkerSink({ sink: 'sqlite', path: 'a', open_days: 2, worker: true }, deps(dir))
  await sink.write([message()])
  // NaN becomes null in JSON: the NOT NULL column must fail the write, never drop the record silently.
  await t.rejects(sink.write([message({ received_at: Number.NaN })]), { code: 'SG_ERR_ARCHIVE_WRITE', message: /NOT NULL/ })
  const ok = message({ received_at: T0 + 1 })
  await sink.write([ok])
  t.equal((await collect(sink.query({}))).length, 2)
  await sink.close()
})

t.test('one private file per day', async (t) => {
  const dir = t.testdir()
  const sink = openSqliteSink({ sink: 'sqlite', path: 'a', open_days: 4, worker: false }, deps(dir))
  await sink.write([message({ received_at: T0 }), message({ received_at: T0 + 86_400_000 })])
  await sink.close()
  const files = readdirSync(join(dir, 'a')).filter((f) => f.endsWith('.sqlite'))
  t.same(files, ['archive-2026-11-01.sqlite', 'archive-2026-11-02.sqlite'])
  for (const f of readdirSync(join(dir, 'a'))) t.equal(statSync(join(dir, 'a', f)).mode & 0o777, 0o600, f)
  t.equal(statSync(join(dir, 'a')).mode & 0o777, 0o700)
})

t.test('a worker that cannot start falls back to writing on this thread', async (t) => {
  const dir = t.testdir()
  const missing = new URL('./no-such-worker.js', import.meta.url)
  const sink = openSqliteWorkerSink({ sink: 'sqlite', path: 'a', open_days: 2, worker: true }, deps(dir), missing)
  const r = message()
  await t.rejects(sink.write([r]), { code: 'SG_ERR_ARCHIVE_WRITE' }, 'the first attempt fails with the worker')
  await sink.write([r])
  t.same((await collect(sink.query({}))).map((x) => x.id), [r.id])
  await sink.close()
})
