import t from 'tap'
import { appendFileSync, readdirSync, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { framePayloads } from '../../src/archive/frame.js'
import { Spool, type SpoolOptions } from '../../src/archive/spool.js'
import type { ArchiveRecord } from '../../src/archive/record.js'
import { message, silentLog, T0 } from './fixtures.js'

const opts = (dir: string, over: Partial<SpoolOptions> = {}): SpoolOptions => ({
  dir,
  durability: 'ack',
  max_bytes: 64 * 1024 * 1024,
  segment_bytes: 1024 * 1024,
  flush_interval_ms: 50,
  readers: ['a'],
  ...over,
})

async function readAll(spool: Spool, reader = 0): Promise<ArchiveRecord[]> {
  const r = spool.readers()[reader]
  const out: ArchiveRecord[] = []
  while (!r.isCaughtUp()) {
    const b = await r.next(100)
    if (!b) break
    out.push(...b.records)
    await r.commit(b)
  }
  return out
}

t.test('group commit: appends that arrive together share one write and fsync', async (t) => {
  const dir = t.testdir()
  const spool = await Spool.open(opts(dir), { log: silentLog })
  const records = Array.from({ length: 1000 }, (_, i) => message({ received_at: T0 + i }))
  await Promise.all(records.map((r) => spool.append(r)))
  t.ok(spool.commits >= 1 && spool.commits <= 5, `${spool.commits} commits for 1000 records`)
  t.same((await readAll(spool)).map((r) => r.id), records.map((r) => r.id))
  await spool.close()
  await spool.closeFiles()
})

t.test('a torn tail is cut at restart; the reader resumes from its cursor', async (t) => {
  const dir = t.testdir()
  const first = await Spool.open(opts(dir), { log: silentLog })
  const a = Array.from({ length: 10 }, (_, i) => message({ received_at: T0 + i }))
  for (const r of a) await first.append(r)
  const r0 = first.readers()[0]
  const b = await r0.next(4)
  await r0.commit(b as NonNullable<typeof b>)
  await first.close()
  await first.closeFiles()
  const segments = readdirSync(dir).filter((f) => f.startsWith('seg-'))
  // Half a frame, as a crash in the middle of a write leaves it.
  appendFileSync(join(dir, segments[segments.length - 1]), Buffer.from([0, 0, 1, 0, 0xde, 0xad]))

  const second = await Spool.open(opts(dir), { log: silentLog })
  t.equal(second.stats().records, 6, 'six records not yet read')
  const more = message({ received_at: T0 + 100 })
  await second.append(more)
  t.same((await readAll(second)).map((r) => r.id), [...a.slice(4), more].map((r) => r.id))
  await second.close()
  await second.closeFiles()
})

t.test('segments rotate and are deleted once every reader has passed them', async (t) => {
  const dir = t.testdir()
  const spool = await Spool.open(opts(dir, { segment_bytes: 64 * 1024, readers: ['fast', 'slow'] }), { log: silentLog })
  const records = Array.from({ length: 400 }, (_, i) => message({ received_at: T0 + i, text: 'x'.repeat(500) }))
  for (let i = 0; i < records.length; i += 50) await Promise.all(records.slice(i, i + 50).map((r) => spool.append(r)))
  const segs = () => readdirSync(dir).filter((f) => f.startsWith('seg-')).length
  const before = segs()
  t.ok(before > 3, `${before} segments`)
  t.same((await readAll(spool, 0)).map((r) => r.id), records.map((r) => r.id))
  t.equal(segs(), before, 'kept while the slow reader has not read them')
  t.same((await readAll(spool, 1)).map((r) => r.id), records.map((r) => r.id))
  t.ok(segs() <= 2, 'deleted once both have')
  t.equal(spool.stats().records, 0)
  for (const f of readdirSync(dir)) t.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f)
  await spool.close()
  await spool.closeFiles()
})

t.test('a reader that keeps up and one far behind get the same records, from memory and from the files', async (t) => {
  const dir = t.testdir()
  const spool = await Spool.open(opts(dir, { segment_bytes: 256 * 1024, readers: ['fast', 'slow'] }), { log: silentLog })
  const [fast, slow] = spool.readers()
  // More records than the spool keeps in memory, so the slow reader's first ones come from the files.
  const records = Array.from({ length: 10000 }, (_, i) => message({ received_at: T0 + i, text: `第${i}条` }))
  const fastPayloads: string[] = []
  const fastFrames: Buffer[] = []
  for (let i = 0; i < records.length; i += 500) {
    await Promise.all(records.slice(i, i + 500).map((r) => spool.append(r)))
    while (!fast.isCaughtUp()) {
      const b = (await fast.next(300)) as NonNullable<Awaited<ReturnType<typeof fast.next>>>
      fastPayloads.push(...b.payloads)
      fastFrames.push(b.frames())
      t.equal(b.first.id, (JSON.parse(b.payloads[0]) as ArchiveRecord).id)
      await fast.commit(b)
    }
  }
  const slowPayloads: string[] = []
  const slowFrames: Buffer[] = []
  while (!slow.isCaughtUp()) {
    const b = (await slow.next(700)) as NonNullable<Awaited<ReturnType<typeof slow.next>>>
    const frames = b.frames()
    t.equal(b.first.id, (JSON.parse(b.payloads[0]) as ArchiveRecord).id)
    t.same(framePayloads(frames).map((p) => p.toString('utf8')), b.payloads, 'frames hold the JSON the batch gives')
    t.equal(frames.byteOffset + frames.byteLength, frames.buffer.byteLength, 'frames have an ArrayBuffer of their own')
    slowPayloads.push(...b.payloads)
    slowFrames.push(frames)
    await slow.commit(b)
  }
  t.ok(Buffer.concat(fastFrames).equals(Buffer.concat(slowFrames)), 'identical frames from memory and from the files')
  t.equal(fastPayloads.length, records.length)
  t.ok(fastPayloads.every((p, i) => p === slowPayloads[i]), 'identical texts in the same order')
  t.same(slowPayloads.map((p) => (JSON.parse(p) as ArchiveRecord).id), records.map((r) => r.id))
  t.equal(spool.stats().records, 0)
  await spool.close()
  await spool.closeFiles()
})

t.test('async durability resolves before the write and writes within the interval', async (t) => {
  const dir = t.testdir()
  const spool = await Spool.open(opts(dir, { durability: 'async', flush_interval_ms: 20 }), { log: silentLog })
  const r = message()
  await spool.append(r)
  t.equal(spool.commits, 0, 'not written yet')
  const reader = spool.readers()[0]
  const b = await reader.next(10)
  t.same(b?.records.map((x) => x.id), [r.id])
  t.equal(spool.commits, 1)
  await spool.close()
  await spool.closeFiles()
})

t.test('a failed write (disk full) fails its batch only; the spool goes on', async (t) => {
  const dir = t.testdir()
  // The FileHandle class is not exported: take its prototype from a handle, fail one write with ENOSPC.
  const probe = await open(join(dir, 'probe'), 'w')
  const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> }
  await probe.close()
  const write = proto.write
  let failNext = false
  proto.write = async function (this: unknown, ...args: unknown[]) {
    if (failNext) {
      failNext = false
      // Half the batch reaches the file before the disk fills up.
      const [buf] = args as [Buffer]
      await write.call(this, buf.subarray(0, Math.floor(buf.length / 2)))
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    }
    return write.apply(this, args)
  }
  t.teardown(() => {
    proto.write = write
  })
  const spool = await Spool.open(opts(dir, { readers: ['a'] }), { log: silentLog })
  const a = message({ received_at: T0 })
  const b = message({ received_at: T0 + 1 })
  const c = message({ received_at: T0 + 2 })
  await spool.append(a)
  failNext = true
  await t.rejects(spool.append(b), { code: 'SG_ERR_ARCHIVE_WRITE', message: /ENOSPC/ })
  t.equal(spool.accepting, true)
  await spool.append(c)
  t.same((await readAll(spool)).map((r) => r.id), [a.id, c.id])
  await spool.close()
  await spool.closeFiles()
  const again = await Spool.open(opts(dir, { readers: ['fresh'] }), { log: silentLog })
  t.same((await readAll(again)).map((r) => r.id), [a.id, c.id], 'no torn frame left on disk')
  await again.close()
  await again.closeFiles()
})

async function fillUntilRefused(spool: Spool, text: string): Promise<{ appended: number; acceptingFalseAt: number }> {
  let appended = 0
  let acceptingFalseAt = -1
  for (;;) {
    try {
      await spool.append(message({ text, received_at: T0 + appended }))
    } catch {
      return { appended, acceptingFalseAt }
    }
    appended++
    if (acceptingFalseAt < 0 && !spool.accepting) acceptingFalseAt = appended
  }
}

t.test('past nine tenths of the cap new work stops, while records already owed still fit up to the cap', async (t) => {
  const dir = t.testdir()
  const spool = await Spool.open(opts(dir, { max_bytes: 1024 * 1024, segment_bytes: 64 * 1024 }), { log: silentLog })
  const { appended, acceptingFalseAt } = await fillUntilRefused(spool, 'x'.repeat(4000))
  t.ok(acceptingFalseAt > 0, `accepting false after ${acceptingFalseAt} records`)
  t.ok(appended - acceptingFalseAt >= 20, `${appended - acceptingFalseAt} records taken in the headroom`)
  t.ok(spool.stats().bytes <= 1024 * 1024, 'never past max_bytes')
  t.equal((await readAll(spool)).length, appended, 'every record taken is readable')
  t.equal(spool.accepting, true, 'drained: accepting again')
  await spool.close()
  await spool.closeFiles()
})

t.test('segments larger than the cap allows are cut smaller, so a drained spool takes work again', async (t) => {
  const dir = t.testdir()
  const spool = await Spool.open(opts(dir, { max_bytes: 1024 * 1024, segment_bytes: 16 * 1024 * 1024 }), { log: silentLog })
  const { appended } = await fillUntilRefused(spool, 'y'.repeat(4000))
  t.equal(spool.accepting, false)
  t.ok(readdirSync(dir).filter((f) => f.startsWith('seg-')).length >= 8, 'several segments under one cap')
  t.equal((await readAll(spool)).length, appended)
  t.equal(spool.accepting, true, 'accepting again once every reader has passed the full segments')
  await spool.append(message())
  await spool.close()
  await spool.closeFiles()
})

t.test('frames written across slabs, one larger than a slab, read back the same from memory and from the files', async (t) => {
  const dir = t.testdir()
  const spool = await Spool.open(opts(dir, { durability: 'async', segment_bytes: 8 * 1024 * 1024, readers: ['mem', 'disk'] }), { log: silentLog })
  const [mem, disk] = spool.readers()
  // Pending together until the flush timer: ~3 MB of small records around one whose text alone is ~1.8 MB.
  const records = Array.from({ length: 6001 }, (_, i) =>
    message({ received_at: T0 + i, text: i === 3000 ? '长'.repeat(600_000) : `第${i}条 ${'x'.repeat(i % 700)}` }))
  for (const r of records) await spool.append(r)
  await spool.close()
  const want = records.map((r) => JSON.stringify(r))
  const got: string[] = []
  const frames: Buffer[] = []
  for (let b = await mem.next(1000); b; b = await mem.next(1000)) {
    got.push(...b.payloads)
    frames.push(b.frames())
    await mem.commit(b)
  }
  t.ok(got.length === want.length && got.every((p, i) => p === want[i]), 'from memory: every record, in order')
  t.same(framePayloads(Buffer.concat(frames)).map((p) => p.toString('utf8')).length, want.length)
  await spool.closeFiles()

  const again = await Spool.open(opts(dir, { durability: 'async', segment_bytes: 8 * 1024 * 1024, readers: ['mem', 'disk'] }), { log: silentLog })
  const fromFiles: string[] = []
  const r = again.readers()[1]
  t.equal(r.name, disk.name)
  while (!r.isCaughtUp()) {
    const b = (await r.next(1000)) as NonNullable<Awaited<ReturnType<typeof r.next>>>
    fromFiles.push(...framePayloads(b.frames()).map((p) => p.toString('utf8')))
    await r.commit(b)
  }
  t.ok(fromFiles.length === want.length && fromFiles.every((p, i) => p === want[i]), 'from the files: every record, in order')
  await again.close()
  await again.closeFiles()
})

t.test('without recent_json a batch from memory decodes its text from the frames', async (t) => {
  const dir = t.testdir()
  const spool = await Spool.open(opts(dir, { recent_json: false }), { log: silentLog })
  const records = Array.from({ length: 1000 }, (_, i) => message({ received_at: T0 + i, text: `第${i}条 "引号" \\` }))
  await Promise.all(records.map((r) => spool.append(r)))
  const r = spool.readers()[0]
  const b = (await r.next(5000)) as NonNullable<Awaited<ReturnType<typeof r.next>>>
  t.equal(b.count, records.length)
  t.equal(b.first.id, records[0].id)
  t.same(b.payloads, records.map((x) => JSON.stringify(x)))
  t.same(b.records.map((x) => x.id), records.map((x) => x.id))
  await r.commit(b)
  await spool.close()
  await spool.closeFiles()
})
