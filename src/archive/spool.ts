// The durable local spool between the proxy and the sinks: append-only segment files of CRC-framed JSON
// records. Appends are group-committed: every record that arrives while a durable write is in flight
// goes into the next one, so one sync covers a whole batch (ack durability) and readers only ever see
// bytes that are already on disk. Each sink reads through its own cursor, so one sink's outage does not
// hold the others back; a segment is deleted once every cursor has passed it.
//
// Frame: u32 BE payload length, u32 BE crc32(payload), payload (UTF-8 JSON). A crash can leave a torn
// frame at the tail of the last segment; recovery truncates to the last whole frame, which is never an
// acknowledged one (acknowledgement waits for the durable write).
import { closeSync, constants as fsc, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { open as openFile, writeFile, rename, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import type { Logger } from 'pino'
import { GuardError } from '../errors.js'
import { FRAME_HEADER as HEADER, framePayloads, maxFrameBytes, writeFrame } from './frame.js'
import type { ArchiveRecord } from './record.js'

export interface SpoolOptions {
  readonly dir: string
  readonly durability: 'ack' | 'async'
  readonly max_bytes: number
  readonly segment_bytes: number
  readonly flush_interval_ms: number
  /** One cursor per consumer (sink); names must be stable across restarts. */
  readonly readers: readonly string[]
  /**
   * Whether recent records keep their JSON text in memory beside their frames, for readers that take text
   * (default true). Without it a batch decodes its text from the frames when asked: a reader that takes
   * frames spares the event loop holding thousands of long-lived strings through garbage collections.
   */
  readonly recent_json?: boolean
}

export interface SpoolDeps {
  readonly log: Logger
  /** Called for each record refused at the disk cap, and with the new state when it changes. */
  readonly onFull?: (full: boolean, refused: boolean) => void
}

/** Each form is made on first use: a drainer takes the one its sink stores. */
export interface SpoolBatch {
  readonly count: number
  /** Each record's JSON as spooled. */
  readonly payloads: readonly string[]
  readonly records: readonly ArchiveRecord[]
  /** The first record, parsed alone. */
  readonly first: ArchiveRecord
  /**
   * The records' frames as spooled (`frame.ts`), back to back, in a new buffer of exactly their size on
   * each call, so the caller may transfer it to another thread.
   */
  frames(): Buffer
  /** Opaque position after the batch: hand it back to `commit`. */
  readonly end: Position
}

interface Position {
  readonly segment: number
  readonly offset: number
  readonly seq: number
}

export interface SpoolReader {
  readonly name: string
  /** Up to `max` records after the cursor; waits for data; null once the spool is closing and none are left. */
  next(max: number): Promise<SpoolBatch | null>
  /** Moves the cursor past a batch the consumer has stored. */
  commit(batch: SpoolBatch): Promise<void>
  /** True when the cursor is at the end of what has been written. */
  isCaughtUp(): boolean
}

export interface SpoolStats {
  /** Records not yet committed by every reader, including those not yet written (async durability). */
  readonly records: number
  readonly bytes: number
}

const MAX_FRAME = 64 * 1024 * 1024
const READ_CHUNK = 1024 * 1024
/** Share of `max_bytes` past which new work is refused; the rest is headroom for records already owed. */
const SOFT_CAP = 0.9
/** Share of `max_bytes` the spool must drain below before it takes new work again. */
const RESUME_BELOW = 0.75
/** In async mode, a batch this big is written at once instead of waiting for the timer. */
const ASYNC_EAGER_BYTES = 1024 * 1024

const segName = (n: number) => `seg-${String(n).padStart(16, '0')}.log`
const cursorName = (reader: string) => `cursor-${reader}.json`

/**
 * O_DSYNC: each write returns only once its bytes (and the size that reaches them) are on disk, as write +
 * fdatasync would, in one thread-pool round trip instead of two; at a steady rate a batch is one or two records.
 */
const SEGMENT_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND | fsc.O_DSYNC
const openSegment = (file: string): Promise<FileHandle> => openFile(file, SEGMENT_FLAGS, 0o600)

/**
 * Recently written records kept in memory, as frames and (`recent_json`) as JSON: a drainer that keeps up
 * takes them from here instead of reading the segment back, checking its CRC and decoding its text again. A
 * drainer lingering `linger_ms` at 10,000 records/s is ~1,000 behind. Records, not bytes: about 8 MB held (a
 * message record with Chinese text is a two-byte string of ~500 characters and a frame of about as many
 * bytes, in the slabs it was written to).
 */
const RECENT = 4096

/**
 * Frames are written back to back into slabs of this size (or one record's worst case, if larger): one
 * allocation per megabyte instead of a buffer per record, and a batch to write is a view of the slab
 * instead of a copy of its frames. A slab is never written twice, so what is being written to disk or
 * remembered for the drainers stays as it was; it is freed once nothing refers to it.
 */
const SLAB = 1024 * 1024

/** Whole, valid frames in `buf` from `start`: count and the offset after the last one. */
function scanFrames(buf: Buffer, start = 0, limit = buf.length): { count: number; end: number } {
  let off = start
  let count = 0
  while (off + HEADER <= limit) {
    const len = buf.readUInt32BE(off)
    if (len > MAX_FRAME || off + HEADER + len > limit) break
    if (crc32(buf.subarray(off + HEADER, off + HEADER + len)) !== buf.readUInt32BE(off + 4)) break
    off += HEADER + len
    count++
  }
  return { count, end: off }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Spool directories this process has open: the pid in the lock file cannot tell them apart. */
const lockedDirs = new Set<string>()

interface Waiter {
  resolve(): void
  reject(err: Error): void
}

export class Spool {
  readonly dir: string
  private readonly opts: SpoolOptions
  private readonly keepJson: boolean
  private readonly log: Logger
  private readonly onFull: (full: boolean, refused: boolean) => void
  /** Size on disk of every existing segment; the last is the one being written. */
  private readonly sizes = new Map<number, number>()
  private readonly firstSeq = new Map<number, number>()
  private segment = 0
  private fh: FileHandle | undefined
  private writtenSeq = 0
  private diskBytes = 0
  private slab: Buffer = Buffer.allocUnsafeSlow(0)
  private slabUsed = 0
  /** Where the pending frames start in `slab`; those written into earlier slabs are in `pendingParts`. */
  private pendingStart = 0
  private pendingParts: Buffer[] = []
  private pendingSizes: number[] = []
  /** Each pending record's JSON, when `recent_json`. */
  private pendingJson: string[] = []
  private pendingBytes = 0
  // Ring of the last RECENT records written, indexed by seq % RECENT; a slot is valid when its seq matches.
  private readonly recentSeq = new Float64Array(RECENT).fill(-1)
  private readonly recentSegment = new Float64Array(RECENT)
  private readonly recentOffset = new Float64Array(RECENT)
  private readonly recentSize = new Int32Array(RECENT)
  private readonly recentJson: (string | undefined)[] = new Array<string | undefined>(RECENT)
  /** The buffer each frame was written from, and where in it. */
  private readonly recentBuf: (Buffer | undefined)[] = new Array<Buffer | undefined>(RECENT)
  private readonly recentBufOffset = new Float64Array(RECENT)
  private waiters: Waiter[] = []
  private flushing: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private dataWaiters: (() => void)[] = []
  private readonly readerList: ReaderImpl[] = []
  private isFull = false
  private commitCount = 0
  private closing = false
  private failed: Error | undefined
  private lockFile: string

  private constructor(opts: SpoolOptions, deps: SpoolDeps) {
    this.opts = opts
    this.keepJson = opts.recent_json ?? true
    this.dir = opts.dir
    this.log = deps.log
    this.onFull = deps.onFull ?? (() => undefined)
    this.lockFile = join(opts.dir, 'lock')
  }

  static async open(opts: SpoolOptions, deps: SpoolDeps): Promise<Spool> {
    const s = new Spool(opts, deps)
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 })
    s.lock()
    try {
      s.recover()
      s.fh = await openSegment(join(opts.dir, segName(s.segment)))
      s.sizes.set(s.segment, 0)
      s.firstSeq.set(s.segment, s.writtenSeq)
      s.syncDir()
    } catch (err) {
      s.unlock()
      throw err
    }
    return s
  }

  // Two writers on one spool would interleave frames: a second one is refused while the first lives, in
  // this process or another. A lock left by a killed process is taken over; one naming our own pid is
  // stale too (a container restarts with the same pid) unless this process holds it.
  private lock(): void {
    if (lockedDirs.has(this.dir)) throw new GuardError('SG_ERR_ARCHIVE_WRITE', `spool ${this.dir} is in use by this process`)
    for (;;) {
      try {
        const fd = openSync(this.lockFile, 'wx', 0o600)
        writeFileSync(fd, String(process.pid))
        closeSync(fd)
        lockedDirs.add(this.dir)
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        const pid = Number(readFileSync(this.lockFile, 'utf8'))
        if (pid && pid !== process.pid && isAlive(pid)) {
          throw new GuardError('SG_ERR_ARCHIVE_WRITE', `spool ${this.dir} is in use by process ${pid}`)
        }
        unlinkSync(this.lockFile)
      }
    }
  }

  private unlock(): void {
    lockedDirs.delete(this.dir)
    try {
      if (Number(readFileSync(this.lockFile, 'utf8')) === process.pid) unlinkSync(this.lockFile)
    } catch {
      // Already gone: nothing to release.
    }
  }

  private syncDir(): void {
    const fd = openSync(this.dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }

  private recover(): void {
    const segments = readdirSync(this.dir)
      .map((n) => /^seg-(\d{16})\.log$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b)
    for (const n of segments) {
      const file = join(this.dir, segName(n))
      const buf = readFileSync(file)
      const { count, end } = scanFrames(buf)
      if (end < buf.length) {
        this.log.warn({ segment: n, kept: end, dropped: buf.length - end }, 'archive spool tail truncated')
        const fd = openSync(file, 'r+')
        try {
          ftruncateSync(fd, end)
          fsyncSync(fd)
        } finally {
          closeSync(fd)
        }
      }
      this.sizes.set(n, end)
      this.firstSeq.set(n, this.writtenSeq)
      this.writtenSeq += count
      this.diskBytes += end
    }
    let last = Math.max(0, ...segments)
    for (const name of this.opts.readers) {
      let saved = { segment: segments[0] ?? 1, offset: 0 }
      try {
        saved = JSON.parse(readFileSync(join(this.dir, cursorName(name)), 'utf8')) as typeof saved
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ reader: name }, 'archive spool cursor unreadable')
      }
      last = Math.max(last, saved.segment)
      let pos: Position
      const size = this.sizes.get(saved.segment)
      if (size !== undefined) {
        const buf = readFileSync(join(this.dir, segName(saved.segment))).subarray(0, Math.min(saved.offset, size))
        const { count, end } = scanFrames(buf)
        pos = { segment: saved.segment, offset: end, seq: (this.firstSeq.get(saved.segment) as number) + count }
      } else {
        // The cursor's segment was deleted, so it was fully read: go on from the next one that exists.
        const next = segments.find((n) => n > saved.segment)
        pos = next === undefined
          ? { segment: saved.segment, offset: 0, seq: this.writtenSeq }
          : { segment: next, offset: 0, seq: this.firstSeq.get(next) as number }
      }
      this.readerList.push(new ReaderImpl(this, name, pos))
    }
    // New records go to a fresh segment numbered after everything a cursor may point at.
    this.segment = last + 1
  }

  readers(): readonly SpoolReader[] {
    return this.readerList
  }

  stats(): SpoolStats {
    const min = this.readerList.length ? Math.min(...this.readerList.map((r) => r.pos.seq)) : this.writtenSeq
    return { records: this.writtenSeq + this.pendingSizes.length - min, bytes: this.diskBytes }
  }

  /** Durable write rounds so far: far fewer than records when appends arrive together. */
  get commits(): number {
    return this.commitCount
  }

  /**
   * False once the spool passes its soft cap (nine tenths of `max_bytes`), or is failed or closing. New work
   * stops here, while records of messages already forwarded still fit in the last tenth: a message the
   * carrier has must get its record even when the spool fills between the check and the carrier's answer.
   */
  get accepting(): boolean {
    return !this.isFull && !this.failed && !this.closing
  }

  private get softCap(): number {
    return this.opts.max_bytes * SOFT_CAP
  }

  /**
   * A segment is deleted only as a whole, so one segment near the cap's size would never let the spool
   * drain below its soft cap; segments stay at most an eighth of the cap, whatever `segment_bytes` says.
   */
  private get segmentLimit(): number {
    return Math.min(this.opts.segment_bytes, Math.floor(this.opts.max_bytes / 8))
  }

  append(record: ArchiveRecord): Promise<void> {
    if (this.failed) return Promise.reject(this.failed)
    if (this.closing) return Promise.reject(new GuardError('SG_ERR_SHUTTING_DOWN', 'archive is closing'))
    const json = JSON.stringify(record)
    const room = maxFrameBytes(json)
    if (this.slabUsed + room > this.slab.length) this.newSlab(room)
    // Written past the pending frames, and taken only once it fits under the cap.
    const size = writeFrame(this.slab, this.slabUsed, json)
    const after = this.diskBytes + this.pendingBytes + size
    if (after > this.opts.max_bytes) {
      this.markFull()
      this.onFull(true, true)
      return Promise.reject(new GuardError('SG_ERR_ARCHIVE_SPOOL_FULL', `${this.diskBytes} bytes on disk`))
    }
    if (after > this.softCap) this.markFull()
    this.slabUsed += size
    this.pendingSizes.push(size)
    if (this.keepJson) this.pendingJson.push(json)
    this.pendingBytes += size
    if (this.opts.durability === 'async') {
      if (this.pendingBytes >= ASYNC_EAGER_BYTES) this.kick()
      else this.timer ??= setTimeout(() => this.kick(), this.opts.flush_interval_ms)
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      this.immediate ??= setImmediate(() => this.kick())
    })
  }

  private newSlab(room: number): void {
    if (this.slabUsed > this.pendingStart) this.pendingParts.push(this.slab.subarray(this.pendingStart, this.slabUsed))
    this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB, room))
    this.slabUsed = 0
    this.pendingStart = 0
  }

  /** Drops the pending frames: their slab space is simply not used again. */
  private dropPending(): void {
    this.pendingParts = []
    this.pendingStart = this.slabUsed
    this.pendingSizes = []
    this.pendingJson = []
    this.pendingBytes = 0
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.immediate) clearImmediate(this.immediate)
    this.timer = undefined
    this.immediate = undefined
    if (this.flushing || this.pendingSizes.length === 0) return
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined
    })
  }

  private async flushLoop(): Promise<void> {
    while (this.pendingSizes.length > 0 && !this.failed) {
      const parts = this.pendingParts
      if (this.slabUsed > this.pendingStart) parts.push(this.slab.subarray(this.pendingStart, this.slabUsed))
      const sizes = this.pendingSizes
      const jsons = this.pendingJson
      const waiters = this.waiters
      const bytes = this.pendingBytes
      this.dropPending()
      this.waiters = []
      const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes)
      try {
        if ((this.sizes.get(this.segment) as number) >= this.segmentLimit) await this.rotate()
        const fh = this.fh as FileHandle
        let written = 0
        while (written < buf.length) written += (await fh.write(buf, written, buf.length - written)).bytesWritten
        this.commitCount++
      } catch (err) {
        const e = new GuardError('SG_ERR_ARCHIVE_WRITE', `spool: ${(err as Error).message}`, { cause: err })
        for (const w of waiters) w.reject(e)
        // A full or failing disk: cut the segment back to its last whole batch and go on, so the spool
        // takes records again once the disk does. In async durability this batch was already acknowledged.
        if (!(await this.cutBack())) {
          this.fail(e)
          return
        }
        const lost = this.opts.durability === 'async' ? sizes.length : 0
        this.log.error({ err: e.message, records: sizes.length, lost }, 'archive spool write failed')
        continue
      }
      const start = this.sizes.get(this.segment) as number
      this.remember(buf, sizes, jsons, start)
      this.sizes.set(this.segment, start + bytes)
      this.writtenSeq += sizes.length
      this.diskBytes += bytes
      for (const w of waiters) w.resolve()
      const notify = this.dataWaiters
      this.dataWaiters = []
      for (const fn of notify) fn()
    }
  }

  /** `jsons` is empty unless `recent_json`. */
  private remember(buf: Buffer, sizes: readonly number[], jsons: readonly string[], start: number): void {
    let offset = 0
    for (let k = 0; k < sizes.length; k++) {
      const seq = this.writtenSeq + k
      const i = seq % RECENT
      this.recentSeq[i] = seq
      this.recentSegment[i] = this.segment
      this.recentOffset[i] = start + offset
      this.recentSize[i] = sizes[k]
      this.recentJson[i] = jsons[k] as string | undefined
      this.recentBuf[i] = buf
      this.recentBufOffset[i] = offset
      offset += sizes[k]
    }
  }

  /** @internal Up to `max` records from `pos` when they are all still in memory, else undefined. */
  recent(pos: Position, max: number): SpoolBatch | undefined {
    const payloads: string[] = []
    let count = 0
    // Frames written together lie together: one view per run of them.
    const pieces: Buffer[] = []
    let run: Buffer | undefined
    let runStart = 0
    let runEnd = 0
    let seq = pos.seq
    let offset = pos.offset
    while (count < max && seq < this.writtenSeq) {
      const i = seq % RECENT
      if (this.recentSeq[i] !== seq || this.recentSegment[i] !== pos.segment || this.recentOffset[i] !== offset) break
      const buf = this.recentBuf[i] as Buffer
      const at = this.recentBufOffset[i]
      const size = this.recentSize[i]
      if (buf !== run || at !== runEnd) {
        if (run) pieces.push(run.subarray(runStart, runEnd))
        run = buf
        runStart = at
      }
      runEnd = at + size
      if (this.keepJson) payloads.push(this.recentJson[i] as string)
      offset += size
      seq++
      count++
    }
    if (run) pieces.push(run.subarray(runStart, runEnd))
    return count === 0 ? undefined : new Batch(pieces, count, this.keepJson ? payloads : undefined, { segment: pos.segment, offset, seq })
  }

  private forgetRecent(): void {
    this.recentSeq.fill(-1)
    this.recentJson.fill(undefined)
    this.recentBuf.fill(undefined)
  }

  private async cutBack(): Promise<boolean> {
    const size = this.sizes.get(this.segment)
    if (!this.fh || size === undefined) return false
    try {
      await this.fh.truncate(size)
      return true
    } catch {
      return false
    }
  }

  /** Stops new work (see `accepting`); records keep being taken up to `max_bytes`. */
  private markFull(): void {
    if (this.isFull) return
    this.isFull = true
    this.log.error({ bytes: this.diskBytes, max_bytes: this.opts.max_bytes }, 'archive spool full')
    this.onFull(true, false)
  }

  private async rotate(): Promise<void> {
    await (this.fh as FileHandle).close()
    this.segment++
    this.fh = await openSegment(join(this.dir, segName(this.segment)))
    this.sizes.set(this.segment, 0)
    this.firstSeq.set(this.segment, this.writtenSeq)
    this.syncDir()
  }

  // When even the cut-back fails the segment's tail is unknown; rather than guess, the spool stops taking
  // records (append rejects, so clients are told) and the next start recovers to the last whole frame.
  private fail(err: Error): void {
    if (this.failed) return
    this.failed = err
    this.log.error({ err: err.message }, 'archive spool failed')
    for (const w of this.waiters) w.reject(err)
    this.waiters = []
    this.dropPending()
    this.wakeReaders()
  }

  /** Resolves when data past `seq` is written, or at close. */
  waitForData(seq: number): Promise<void> {
    if (this.writtenSeq > seq || this.closing || this.failed) return Promise.resolve()
    return new Promise((resolve) => this.dataWaiters.push(resolve))
  }

  private wakeReaders(): void {
    const notify = this.dataWaiters
    this.dataWaiters = []
    for (const fn of notify) fn()
  }

  /** @internal */ segmentSize(n: number): number | undefined {
    return this.sizes.get(n)
  }

  /** @internal */ isWriting(n: number): boolean {
    return n === this.segment
  }

  /** @internal */ nextSegment(n: number): number | undefined {
    let best: number | undefined
    for (const s of this.sizes.keys()) if (s > n && (best === undefined || s < best)) best = s
    return best
  }

  /** @internal */ get isClosing(): boolean {
    return this.closing || this.failed !== undefined
  }

  /** @internal */ get written(): number {
    return this.writtenSeq
  }

  /** @internal Deletes segments every reader has passed, and lifts the full state once below the cap. */
  async release(): Promise<void> {
    const min = Math.min(...this.readerList.map((r) => r.pos.segment))
    for (const n of [...this.sizes.keys()].sort((a, b) => a - b)) {
      if (n >= min || n === this.segment) break
      try {
        unlinkSync(join(this.dir, segName(n)))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
      this.diskBytes -= this.sizes.get(n) as number
      this.sizes.delete(n)
      this.firstSeq.delete(n)
    }
    // Refusing until the drainers free a good part of the cap gives clients one clear outage rather than a
    // flicker of accepted and refused messages.
    if (this.isFull && this.diskBytes < this.opts.max_bytes * RESUME_BELOW) {
      this.isFull = false
      this.log.warn({ bytes: this.diskBytes }, 'archive spool accepting again')
      this.onFull(false, false)
    }
  }

  /** @internal */ firstSeqOf(n: number): number {
    return this.firstSeq.get(n) as number
  }

  /** Stops taking records, writes what is pending and wakes waiting readers. */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true
      this.kick()
    }
    while (this.flushing) await this.flushing
    this.wakeReaders()
  }

  /** Releases files. Call after the readers are done. */
  async closeFiles(): Promise<void> {
    await Promise.all(this.readerList.map((r) => r.saveCursor().catch(() => undefined)))
    await Promise.all(this.readerList.map((r) => r.closeFile()))
    await this.fh?.close().catch(() => undefined)
    this.fh = undefined
    this.forgetRecent()
    this.unlock()
  }

  destroy(err: Error): void {
    this.closing = true
    if (this.timer) clearTimeout(this.timer)
    if (this.immediate) clearImmediate(this.immediate)
    for (const w of this.waiters) w.reject(err)
    this.waiters = []
    this.dropPending()
    this.forgetRecent()
    this.wakeReaders()
    for (const r of this.readerList) void r.closeFile()
    void this.fh?.close().catch(() => undefined)
    this.fh = undefined
    this.unlock()
  }
}

/** How often a reader's cursor is saved; a cursor that lags only means a batch is delivered again. */
const CURSOR_SAVE_MS = 500

class ReaderImpl implements SpoolReader {
  readonly name: string
  /** What the consumer has committed. */
  pos: Position
  /** Where the next read starts: ahead of `pos` while a batch is being stored, so reads overlap writes. */
  private ahead: Position
  private readonly spool: Spool
  private fh: FileHandle | undefined
  private fhSegment = -1
  private savedAt = 0
  private saved: Position | undefined

  constructor(spool: Spool, name: string, pos: Position) {
    this.spool = spool
    this.name = name
    this.pos = pos
    this.ahead = pos
  }

  isCaughtUp(): boolean {
    return this.pos.seq >= this.spool.written
  }

  async next(max: number): Promise<SpoolBatch | null> {
    for (;;) {
      const batch = await this.read(max)
      if (batch) {
        this.ahead = batch.end
        return batch
      }
      if (this.spool.isClosing) return null
      await this.spool.waitForData(this.ahead.seq)
    }
  }

  private async read(max: number): Promise<SpoolBatch | null> {
    const recent = this.spool.recent(this.ahead, max)
    if (recent) return recent
    let { segment, offset, seq } = this.ahead
    for (;;) {
      const size = this.spool.segmentSize(segment)
      if (size === undefined) {
        const next = this.spool.nextSegment(segment)
        if (next === undefined) return null
        segment = next
        offset = 0
        seq = this.spool.firstSeqOf(next)
        continue
      }
      if (offset < size) break
      if (this.spool.isWriting(segment)) return null
      const next = this.spool.nextSegment(segment)
      if (next === undefined) return null
      segment = next
      offset = 0
    }
    const limit = this.spool.segmentSize(segment) as number
    const fh = await this.fileFor(segment)
    // Runs of whole frames as views of the chunks read; decoded only if the sink asks for JSON.
    const runs: Buffer[] = []
    let count = 0
    let buf: Buffer = Buffer.alloc(0)
    let bufStart = offset
    let runStart = 0
    let pos = offset
    while (count < max && pos < limit) {
      if (pos + HEADER > bufStart + buf.length) {
        if (pos > bufStart + runStart) runs.push(buf.subarray(runStart, pos - bufStart))
        buf = await readAt(fh, pos, Math.min(READ_CHUNK, limit - pos))
        bufStart = pos
        runStart = 0
      }
      const rel = pos - bufStart
      const len = buf.readUInt32BE(rel)
      if (rel + HEADER + len > buf.length) {
        if (rel > runStart) runs.push(buf.subarray(runStart, rel))
        buf = await readAt(fh, pos, Math.max(HEADER + len, Math.min(READ_CHUNK, limit - pos)))
        bufStart = pos
        runStart = 0
        continue
      }
      if (len > MAX_FRAME || crc32(buf.subarray(rel + HEADER, rel + HEADER + len)) !== buf.readUInt32BE(rel + 4)) {
        throw new GuardError('SG_ERR_ARCHIVE_WRITE', `spool segment ${segment} corrupt at offset ${pos}`)
      }
      count++
      pos += HEADER + len
    }
    if (pos > bufStart + runStart) runs.push(buf.subarray(runStart, pos - bufStart))
    return count === 0 ? null : new Batch(runs, count, undefined, { segment, offset: pos, seq: seq + count })
  }

  private async fileFor(segment: number): Promise<FileHandle> {
    if (this.fh && this.fhSegment === segment) return this.fh
    await this.closeFile()
    this.fh = await openFile(join(this.spool.dir, segName(segment)), 'r')
    this.fhSegment = segment
    return this.fh
  }

  async closeFile(): Promise<void> {
    const fh = this.fh
    this.fh = undefined
    this.fhSegment = -1
    await fh?.close().catch(() => undefined)
  }

  async commit(batch: SpoolBatch): Promise<void> {
    this.pos = batch.end
    // Deleting segments before the cursor is saved is safe: a saved cursor inside a deleted segment is read
    // as "that segment was done", and one further back only delivers records again.
    if (Date.now() - this.savedAt >= CURSOR_SAVE_MS) await this.saveCursor()
    await this.spool.release()
  }

  async saveCursor(): Promise<void> {
    const pos = this.pos
    if (this.saved === pos) return
    this.savedAt = Date.now()
    const file = join(this.spool.dir, cursorName(this.name))
    // Not fsynced, for the same reason.
    await writeFile(file + '.tmp', JSON.stringify({ segment: pos.segment, offset: pos.offset }), { mode: 0o600 })
    await rename(file + '.tmp', file)
    this.saved = pos
  }
}

class Batch implements SpoolBatch {
  readonly count: number
  readonly end: Position
  /** Frames back to back across the pieces. */
  private readonly pieces: readonly Buffer[]
  private json: string[] | undefined
  private parsed: ArchiveRecord[] | undefined
  private firstRecord: ArchiveRecord | undefined

  /** `json`, when known, is each of the `count` records' JSON. */
  constructor(pieces: readonly Buffer[], count: number, json: string[] | undefined, end: Position) {
    this.pieces = pieces
    this.json = json
    this.end = end
    this.count = count
  }

  get payloads(): readonly string[] {
    return (this.json ??= framePayloads(this.frames()).map((p) => p.toString('utf8')))
  }

  get records(): readonly ArchiveRecord[] {
    return (this.parsed ??= this.payloads.map((p) => JSON.parse(p) as ArchiveRecord))
  }

  get first(): ArchiveRecord {
    if (this.firstRecord) return this.firstRecord
    const p = this.pieces[0]
    const json = this.json ? this.json[0] : p.toString('utf8', HEADER, HEADER + p.readUInt32BE(0))
    return (this.firstRecord = JSON.parse(json) as ArchiveRecord)
  }

  frames(): Buffer {
    let bytes = 0
    for (const p of this.pieces) bytes += p.length
    // Its own ArrayBuffer: a view of the pool or of a read chunk would take all of it across a thread.
    const out = Buffer.from(new ArrayBuffer(bytes))
    let off = 0
    for (const p of this.pieces) off += p.copy(out, off)
    return out
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  let got = 0
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return buf.subarray(0, got)
}

