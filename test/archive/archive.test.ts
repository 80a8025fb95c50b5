import t from 'tap'
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createArchive, openArchiveReader, type ArchiveDeps } from '../../src/archive/archive.js'
import { ArchiveSchema } from '../../src/archive/config.js'
import type { MessageRow } from '../../src/archive/query.js'
import { GuardError } from '../../src/errors.js'
import { collect, DAY, HOUR, message, mo, newMetrics, receipt, silentLog, T0 } from './fixtures.js'

const deps = (baseDir: string, over: Partial<ArchiveDeps> = {}): ArchiveDeps => ({
  log: silentLog,
  metrics: newMetrics(),
  baseDir,
  ...over,
})

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
}

t.test('ack: a record is in the spool file when append resolves, and in the sink after close', async (t) => {
  const dir = t.testdir()
  const cfg = ArchiveSchema.parse({ sink: 'sqlite', path: 'archive' })
  const archive = await createArchive(cfg, deps(dir))
  const allowed = message({ carrier_message_ids: ['c-9'] })
  const rejected = message({ received_at: T0 + 1, verdict: 'reject', rule: 'content.fraud', category: 'fraud', command_status: 0x402, carrier_message_ids: [], carrier_status: null })
  const monitored = message({ received_at: T0 + 2, verdict: 'monitor', rule: 'content.marketing', category: 'marketing', carrier_message_ids: ['c-10'] })
  await archive.append(allowed)
  const spooled = filesUnder(join(dir, 'archive', 'spool')).filter((f) => f.endsWith('.log'))
  t.ok(spooled.some((f) => readFileSync(f).includes(allowed.id)), 'id is on disk in the spool')
  await Promise.all([archive.append(rejected), archive.append(monitored), archive.append(receipt({ message_id: 'c-9', state: 'DELIVRD' })), archive.append(mo())])
  t.equal(archive.accepting, true)
  await archive.close()
  t.equal(archive.status, 'closed')
  t.equal(archive.accepting, false)
  await t.rejects(archive.append(message()), { code: 'SG_ERR_SHUTTING_DOWN' })

  const reader = await openArchiveReader(cfg, { log: silentLog, baseDir: dir })
  t.teardown(() => reader.close())
  t.equal(reader.spoolBacklogBytes(), 0)
  const rows = (await collect(reader.query({}))) as MessageRow[]
  t.same(rows.map((r) => [r.id, r.verdict]), [[allowed.id, 'allow'], [rejected.id, 'reject'], [monitored.id, 'monitor']])
  t.same(rows[0].receipts.map((r) => r.state), ['DELIVRD'])
  t.equal((await collect(reader.query({ kind: 'mo' }))).length, 1)
  for (const f of filesUnder(dir)) t.equal(statSync(f).mode & 0o777, 0o600, `${f.slice(dir.length)} is 0600`)
})

t.test('async: append resolves at once; close writes and drains everything', async (t) => {
  const dir = t.testdir()
  const cfg = ArchiveSchema.parse({ sink: 'sqlite', path: 'a', worker: false, durability: 'async', spool: { flush_interval_ms: 50 } })
  const archive = await createArchive(cfg, deps(dir))
  const ids: string[] = []
  for (let i = 0; i < 500; i++) {
    const r = message({ received_at: T0 + i })
    ids.push(r.id)
    await archive.append(r)
  }
  await archive.close()
  const reader = await openArchiveReader(cfg, { log: silentLog, baseDir: dir })
  t.teardown(() => reader.close())
  t.same((await collect(reader.query({}))).map((r) => r.id), ids)
})

t.test('a drainer that has caught up lets records gather for linger_ms; close stores them at once', async (t) => {
  const dir = t.testdir()
  const cfg = ArchiveSchema.parse({ sink: 'sqlite', path: 'a', worker: false, spool: { linger_ms: 10_000 } })
  const archive = await createArchive(cfg, deps(dir))
  const reader = await openArchiveReader(cfg, { log: silentLog, baseDir: dir })
  t.teardown(() => reader.close())
  const first = message({ received_at: T0 })
  await archive.append(first)
  while ((await collect(reader.query({}))).length < 1) await new Promise((r) => setTimeout(r, 10))
  const later = Array.from({ length: 20 }, (_, i) => message({ received_at: T0 + 1 + i }))
  for (const r of later) await archive.append(r)
  t.same((await collect(reader.query({}))).map((r) => r.id), [first.id], 'the next write waits for more records')
  await archive.close()
  t.same((await collect(reader.query({}))).map((r) => r.id), [first, ...later].map((r) => r.id), 'close does not wait out the linger')
})

t.test('several sinks at once; one sink down does not hold back the other', async (t) => {
  const dir = t.testdir()
  // A file where the jsonl directory should be: that sink cannot open until it is removed.
  writeFileSync(join(dir, 'j'), 'blocker')
  const cfg = ArchiveSchema.parse({ sinks: [{ sink: 'sqlite', path: 's', worker: false }, { sink: 'jsonl', path: 'j' }] })
  const metrics = newMetrics()
  const archive = await createArchive(cfg, deps(dir, { metrics }))
  const records = Array.from({ length: 100 }, (_, i) => message({ received_at: T0 + i }))
  await Promise.all(records.map((r) => archive.append(r)))
  const sqlite = await openArchiveReader(cfg, { log: silentLog, baseDir: dir }, 0)
  t.teardown(() => sqlite.close())
  while ((await collect(sqlite.query({}))).length < records.length) await new Promise((r) => setTimeout(r, 20))
  t.ok(archive.stats().records >= records.length, 'the spool still holds what the jsonl sink has not stored')
  t.ok(sqlite.spoolBacklogBytes() > 0, 'readers are told the spool has a backlog')
  const jsonlErrors = async () => (await metrics.archiveWriteErrors.get()).values.find((v) => v.labels.sink === 'jsonl')?.value ?? 0
  while ((await jsonlErrors()) === 0) await new Promise((r) => setTimeout(r, 20))
  t.equal((await metrics.archiveWriteErrors.get()).values.length, 1, 'only the jsonl sink failed')
  rmSync(join(dir, 'j'))
  await archive.close()
  t.equal(archive.stats().records, 0, 'drained at close')
  const jsonl = await openArchiveReader(cfg, { log: silentLog, baseDir: dir }, 1)
  t.teardown(() => jsonl.close())
  t.same((await collect(jsonl.query({}))).map((r) => r.id), records.map((r) => r.id))
})

t.test('spool full: append rejects with SG_ERR_ARCHIVE_SPOOL_FULL, metric set, accepts again once drained', async (t) => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'j'), 'blocker')
  const cfg = ArchiveSchema.parse({ sink: 'jsonl', path: 'j', spool: { path: 'spool', max_bytes: 1024 * 1024, segment_bytes: 64 * 1024 } })
  const metrics = newMetrics()
  const archive = await createArchive(cfg, deps(dir, { metrics }))
  const big = 'x'.repeat(4000)
  let accepted = 0
  let error: unknown
  for (;;) {
    try {
      await archive.append(message({ text: big }))
      accepted++
    } catch (err) {
      error = err
      break
    }
  }
  t.ok(error instanceof GuardError && error.code === 'SG_ERR_ARCHIVE_SPOOL_FULL', 'spool full error')
  t.equal((error as GuardError).status, 0x14, 'ESME_RMSGQFUL for the client')
  t.ok(accepted > 200, `${accepted} accepted before the cap`)
  t.equal((await metrics.archiveSpoolFull.get()).values[0].value, 1)
  t.equal(archive.accepting, false, 'the proxy can see it before forwarding')
  t.ok((await metrics.archiveSpoolRejects.get()).values[0].value >= 1)
  rmSync(join(dir, 'j'))
  while ((await metrics.archiveSpoolFull.get()).values[0].value !== 0) await new Promise((r) => setTimeout(r, 20))
  t.equal(archive.accepting, true)
  await archive.append(message())
  t.pass('accepting again')
  await archive.close()
})

t.test('close with a sink down leaves the backlog in the spool; the next start delivers it', async (t) => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'j'), 'blocker')
  const cfg = ArchiveSchema.parse({ sink: 'jsonl', path: 'j', close_timeout_ms: 200, spool: { path: 'spool' } })
  const first = await createArchive(cfg, deps(dir))
  const records = Array.from({ length: 50 }, (_, i) => message({ received_at: T0 + i }))
  await Promise.all(records.map((r) => first.append(r)))
  await first.close()
  t.equal(first.stats().records, records.length, 'nothing delivered, nothing dropped')
  rmSync(join(dir, 'j'))
  const second = await createArchive(cfg, deps(dir))
  await second.close()
  t.equal(second.stats().records, 0)
  const reader = await openArchiveReader(cfg, { log: silentLog, baseDir: dir })
  t.same((await collect(reader.query({}))).map((r) => r.id), records.map((r) => r.id))
  await reader.close()
})

t.test('retention: purge drops days older than retention_days', async (t) => {
  const dir = t.testdir()
  const now = T0 + 40 * DAY
  const cfg = ArchiveSchema.parse({ sink: 'sqlite', path: 'a', worker: false, retention_days: 30 })
  const archive = await createArchive(cfg, deps(dir, { clock: () => now }))
  const old = message({ received_at: T0 })
  const kept = message({ received_at: now - 30 * DAY + HOUR })
  await archive.append(old)
  await archive.append(kept)
  await archive.close()
  const again = await createArchive(cfg, deps(dir, { clock: () => now }))
  t.equal(await again.purge(), 0, 'the purge at start already removed the old day')
  t.same((await collect(again.query({}))).map((r) => r.id), [kept.id])
  await again.close()
  t.notOk(readdirSync(join(dir, 'a')).some((f) => f.includes('2026-11-01')))
})

t.test('one process per spool', async (t) => {
  const dir = t.testdir()
  const cfg = ArchiveSchema.parse({ sink: 'sqlite', path: 'a', worker: false })
  const first = await createArchive(cfg, deps(dir))
  await t.rejects(createArchive(cfg, deps(dir)), { code: 'SG_ERR_ARCHIVE_WRITE', message: /in use/ })
  await first.close()
  const second = await createArchive(cfg, deps(dir))
  await second.close()
  t.pass('free again after close')
})

t.test('a record without an id or a time is refused at append', async (t) => {
  const dir = t.testdir()
  const archive = await createArchive(ArchiveSchema.parse({ sink: 'sqlite', path: 'a', worker: false }), deps(dir))
  await t.rejects(archive.append(message({ received_at: Number.NaN })), { code: 'SG_ERR_ARCHIVE_WRITE' })
  await t.rejects(archive.append({ ...message(), id: undefined } as never), { code: 'SG_ERR_ARCHIVE_WRITE' })
  await archive.close()
})

t.test('destroy fails pending appends with the given error', async (t) => {
  const dir = t.testdir()
  const archive = await createArchive(ArchiveSchema.parse({ sink: 'sqlite', path: 'a', worker: false }), deps(dir))
  const pending = archive.append(message())
  const boom = new Error('boom')
  archive.destroy(boom)
  await t.rejects(pending, boom)
  await t.rejects(archive.append(message()), { code: 'SG_ERR_SHUTTING_DOWN' })
})
