import t from 'tap'
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openSqliteSink, openSqliteWorkerSink } from '../../../src/archive/sinks/sqlite.js'
import type { MessageRecord } from '../../../src/archive/record.js'
import type { MessageRow } from '../../../src/archive/query.js'
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

t.test('the worker thread runs at a lower priority than the event loop', { skip: process.platform !== 'linux' && 'per-thread nice is Linux only' }, async (t) => {
  const nices = () => readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]))
  t.notOk(nices().includes(10), 'no thread at nice 10 before the worker starts')
  const sink = openSqliteWorkerSink({ sink: 'sqlite', path: 'a', open_days: 2, worker: true }, deps(t.testdir()))
  await sink.write([message()])
  t.ok(nices().includes(10), 'the worker thread is at nice 10')
  t.equal(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[16], '0', 'the event loop keeps its priority')
  await sink.close()
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

t.test('a day file with the earlier layout (text and carrier ids as columns) is still written and queried', async (t) => {
  const dir = t.testdir()
  mkdirSync(join(dir, 'a'))
  const old = new Database(join(dir, 'a', 'archive-2026-11-01.sqlite'))
  old.exec(`CREATE TABLE messages (
    id TEXT PRIMARY KEY, received_at INTEGER NOT NULL, system_id TEXT NOT NULL, source_addr TEXT NOT NULL,
    destination_addr TEXT NOT NULL, verdict TEXT NOT NULL, rule TEXT, category TEXT, text TEXT NOT NULL,
    carrier_message_ids TEXT NOT NULL, record TEXT NOT NULL)`)
  const before = message({ received_at: T0, text: 'written before 升级' })
  old.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(before.id, before.received_at, before.system_id,
    before.source_addr, before.destination_addr, before.verdict, before.rule, before.category, before.text,
    JSON.stringify(before.carrier_message_ids), JSON.stringify(before))
  old.close()

  const archived: MessageRecord[] = [before]
  const sinks = [
    openSqliteSink({ sink: 'sqlite', path: 'a', open_days: 2, worker: false }, deps(dir)),
    openSqliteWorkerSink({ sink: 'sqlite', path: 'a', open_days: 2, worker: true }, deps(dir)),
  ]
  for (const [k, sink] of sinks.entries()) {
    const viaRecords = message({ received_at: T0 + 10 * k + 1, text: '验证码 "1"' })
    const viaPayloads = message({ received_at: T0 + 10 * k + 2, text: '验证码 \\2' })
    await sink.write([viaRecords])
    await (sink.writePayloads as NonNullable<typeof sink.writePayloads>)([JSON.stringify(viaPayloads)])
    archived.push(viaRecords, viaPayloads)
    const all = (await collect(sink.query({}))) as MessageRow[]
    t.same(all.map(({ receipts: _, ...r }) => r), archived, 'returned exactly as archived')
    t.same((await collect(sink.query({ text: '验证码' }))).map((r) => r.id), archived.slice(1).map((r) => r.id))
    t.same((await collect(sink.query({ text: '升级' }))).map((r) => r.id), [before.id])
    await sink.close()
  }
  const db = new Database(join(dir, 'a', 'archive-2026-11-01.sqlite'), { readonly: true })
  t.same(db.prepare('SELECT count(*) AS n FROM messages WHERE text LIKE ?').get('验证码%'), { n: 4 }, 'new rows fill the old columns')
  db.close()
})

t.test('a new day file keeps the text only in the record', async (t) => {
  const dir = t.testdir()
  const sink = openSqliteSink({ sink: 'sqlite', path: 'a', open_days: 2, worker: false }, deps(dir))
  const r = message({ text: 'a "quoted" 测试\n' })
  await sink.write([r])
  t.same((await collect(sink.query({ text: '"quoted" 测' }))).map((x) => x.id), [r.id])
  t.same(await collect(sink.query({ text: 'absent' })), [])
  await sink.close()
  const db = new Database(join(dir, 'a', 'archive-2026-11-01.sqlite'), { readonly: true })
  const cols = (db.prepare(`SELECT name FROM pragma_table_info('messages')`).all() as { name: string }[]).map((c) => c.name)
  t.notOk(cols.includes('text'))
  t.notOk(cols.includes('carrier_message_ids'))
  db.close()
})
