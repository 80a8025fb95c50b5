import t from 'tap'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { openSqliteSink } from '../../../src/archive/sinks/sqlite.js'
import { sinkContract } from '../sink-contract.js'
import { message, silentLog, T0 } from '../fixtures.js'

const deps = (baseDir: string) => ({ log: silentLog, baseDir, clock: Date.now })

t.test('sqlite sink passes the contract', async (t) => {
  const dir = t.testdir()
  await sinkContract(t, async () => openSqliteSink({ sink: 'sqlite', path: 'archive', open_days: 2 }, deps(dir)))
})

t.test('one private file per day', async (t) => {
  const dir = t.testdir()
  const sink = openSqliteSink({ sink: 'sqlite', path: 'a', open_days: 4 }, deps(dir))
  await sink.write([message({ received_at: T0 }), message({ received_at: T0 + 86_400_000 })])
  await sink.close()
  const files = readdirSync(join(dir, 'a')).filter((f) => f.endsWith('.sqlite'))
  t.same(files, ['archive-2026-11-01.sqlite', 'archive-2026-11-02.sqlite'])
  for (const f of readdirSync(join(dir, 'a'))) t.equal(statSync(join(dir, 'a', f)).mode & 0o777, 0o600, f)
  t.equal(statSync(join(dir, 'a')).mode & 0o777, 0o700)
})
