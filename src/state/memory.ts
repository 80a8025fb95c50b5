// Single-instance state. Counters are found through a CounterIndex (a key's 64-bit hash to an entry id, no
// key strings kept) in a CounterPool, which remembers when the last of the entry's windows ends: an unref'd
// timer walks the pool a batch at a time and drops the entries whose windows have all passed, so memory
// follows the traffic of the current windows instead of climbing to `max_counters`. Over the cap the oldest
// entry goes first. Sets and values (opt-outs, suspensions) are never evicted and, with a journal, survive
// restarts.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { LRUCache } from 'lru-cache'
import { GuardError } from '../errors.js'
import type { MemoryStateConfig } from './config.js'
import { CounterIndex } from './counter-index.js'
import { CounterPool } from './counter-pool.js'
import { createFailureReporter, type StateDeps } from './failure.js'
import { hash64, hash64Out } from '../util/hash64.js'
import { windowIndex, type ConsumeRequest, type ConsumeResult, type State, type WindowCap } from './types.js'

/**
 * Every window of one key in one entry of a CounterPool — the time its last window ends, then [window_ms,
 * window index, count] triples — so a recipient's minute, hour and day caps cost one map entry, not three:
 * at a million live counters, map entries and the garbage they make are the whole cost (measured in
 * scripts/bench/limits.ts). The index holds the entry's id.
 */
interface Bucket {
  tokens: number
  at: number
}

type JournalEntry = ['a' | 'r', string, string] | ['s', string, string] | ['d', string]

const OK: ConsumeResult = Object.freeze({ ok: true })
const BUCKET_FAILED: ConsumeResult = Object.freeze({ ok: false, failed: 'bucket' })
const MAX_BUCKETS = 100_000
const SWEEP_INTERVAL_MS = 500
/**
 * Work per sweep tick. Walking is cheap (50,000 entries of a 1,000,000-entry pool in ~3 ms) and a delete
 * costs more (cache misses in the index), so deletes have their own, smaller budget: a tick that drops its
 * 10,000 takes ~2 ms at a million entries and the sweep still drops 20,000 a second, more than three times
 * what 2,000 messages a second to new recipients create. The exception is the delete after which the index
 * halves its table: a rehash of the rest, ~11 ms at 260,000 entries (docs/memory.md).
 */
const SWEEP_LOOK = 50_000
const SWEEP_DROP = 10_000

/** When window `w` ends: windows are cut from the epoch shifted by `offset_ms` (windowIndex). */
function windowEnd(w: number, window_ms: number, offset_ms: number): number {
  return (w + 1) * window_ms - offset_ms
}

export interface MemoryState extends State {
  /**
   * Looks at up to `look` counters, resuming where the previous call stopped, and drops those whose
   * windows have all ended by `now`, at most `drop` of them; returns how many it dropped. The timer calls
   * it every SWEEP_INTERVAL_MS; tests and benchmarks call it with a time of their own.
   */
  sweepCounters(now: number, look?: number, drop?: number): number
  /** Rate-limit counters held. */
  counterCount(): number
}

export function createMemoryState(cfg: MemoryStateConfig, deps: StateDeps): MemoryState {
  const counters = new CounterIndex()
  const pool = new CounterPool()
  const buckets = new LRUCache<string, Bucket>({ max: MAX_BUCKETS })
  const sets = new Map<string, Set<string>>()
  const values = new Map<string, string>()
  const reportFailure = createFailureReporter(deps, 'memory')
  const journalPath = cfg.journal ? resolve(deps.baseDir ?? '.', cfg.journal) : ''
  let fd = -1
  let closed: Promise<void> | undefined

  function apply(e: JournalEntry): void {
    switch (e[0]) {
      case 'a': {
        let s = sets.get(e[1])
        if (!s) sets.set(e[1], (s = new Set()))
        s.add(e[2])
        break
      }
      case 'r': {
        const s = sets.get(e[1])
        if (s?.delete(e[2]) && s.size === 0) sets.delete(e[1])
        break
      }
      case 's':
        values.set(e[1], e[2])
        break
      case 'd':
        values.delete(e[1])
        break
    }
  }

  // Replays the journal, then rewrites it compacted (write + rename, so a crash leaves the old file whole).
  function openJournal(): void {
    mkdirSync(dirname(journalPath), { recursive: true })
    if (existsSync(journalPath)) {
      const lines = readFileSync(journalPath, 'utf8').split('\n')
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i]) continue
        try {
          apply(JSON.parse(lines[i]) as JournalEntry)
        } catch {
          // A torn last line after a crash mid-write; the entries before it are intact.
          deps.log.warn({ file: journalPath, line: i + 1 }, 'state journal line unreadable, skipped')
        }
      }
    }
    const out: string[] = []
    for (const [name, s] of sets) for (const m of s) out.push(JSON.stringify(['a', name, m]))
    for (const [k, v] of values) out.push(JSON.stringify(['s', k, v]))
    const tmp = `${journalPath}.tmp`
    writeFileSync(tmp, out.length ? out.join('\n') + '\n' : '')
    renameSync(tmp, journalPath)
    fd = openSync(journalPath, 'a')
  }

  function record(e: JournalEntry): void {
    if (closed) throw new GuardError('SG_ERR_STATE_UNAVAILABLE', 'state is closed')
    if (fd >= 0) {
      try {
        writeSync(fd, JSON.stringify(e) + '\n')
      } catch (err) {
        throw new GuardError('SG_ERR_STATE_UNAVAILABLE', 'cannot write state journal', { cause: err })
      }
    }
    apply(e)
  }

  if (journalPath) openJournal()

  // The sweep walks the pool by entry id: an index into typed arrays, where a Map iterator made two objects
  // per entry looked at (100,000 a second at the default budget, whether or not anything was due).
  let sweepAt = 0
  // The sweep runs on the clock consume() is given: the `now` of the latest request, or, when no request
  // came since the last tick, the previous sweep time plus the real time that passed.
  let latestNow = -Infinity
  let sweptNow = -Infinity
  let sweptAt = 0

  function sweepCounters(now: number, look = SWEEP_LOOK, drop = SWEEP_DROP): number {
    let removed = 0
    for (let n = 0; n < look && removed < drop; n++) {
      if (sweepAt >= pool.size) {
        sweepAt = 0
        break
      }
      const e = sweepAt++
      if (counters.holds(e) && pool.end(e) <= now) {
        counters.delete(e)
        pool.release(e)
        removed++
      }
    }
    return removed
  }

  function tick(): void {
    const at = performance.now()
    sweptNow = latestNow !== sweptNow ? latestNow : sweptNow + (at - sweptAt)
    sweptAt = at
    sweepCounters(sweptNow)
  }

  const timer = setInterval(tick, SWEEP_INTERVAL_MS)
  timer.unref()

  // An entry evicted while a request is counted may be one that request found in its first pass: its id is
  // handed out again only after the request, so the late bump lands on the orphan, as it did on an array.
  const evicted: number[] = []

  /** A new entry for the key whose hash is (lo, hi). */
  function insert(lo: number, hi: number): number {
    if (counters.size >= cfg.max_counters) {
      const old = counters.oldest()
      counters.delete(old)
      evicted.push(old)
    }
    const e = pool.alloc()
    counters.add(lo, hi, e)
    return e
  }

  /** The entry of `key`, or -1; its hash stays in hash64Out for an insert. */
  function lookup(key: string): number {
    hash64(key)
    return counters.get(hash64Out.lo, hash64Out.hi)
  }

  function releaseEvicted(): void {
    for (let i = 0; i < evicted.length; i++) pool.release(evicted[i])
    evicted.length = 0
  }

  // Scratch for the two passes of consume(): check everything, then count everything. -1: no entry yet;
  // its key's hash is kept for the insert.
  let found: number[] = []
  let wins: number[] = []
  let hashLo = new Int32Array(8)
  let hashHi = new Int32Array(8)

  function consumeSync(req: ConsumeRequest): ConsumeResult {
    const { now, caps } = req
    latestNow = now
    let tokens = 0
    if (req.bucket && req.bucket.rate > 0) {
      const b = buckets.get(req.bucket.key)
      tokens = b ? b.tokens : req.bucket.burst
      if (b && now > b.at) tokens = Math.min(req.bucket.burst, tokens + ((now - b.at) * req.bucket.rate) / 1000)
      if (tokens < 1) return BUCKET_FAILED
    }
    if (found.length < caps.length) {
      found = new Array<number>(caps.length)
      wins = new Array<number>(caps.length)
      hashLo = new Int32Array(caps.length)
      hashHi = new Int32Array(caps.length)
    }
    for (let i = 0; i < caps.length; i++) {
      const cap = caps[i]
      const w = windowIndex(now, cap.window_ms, req.offset_ms)
      // A key's caps (a recipient's minute, hour, day) share one entry: look it up once.
      const same = sameKeyBefore(caps, i)
      let e: number
      if (same >= 0) {
        e = found[same]
        hashLo[i] = hashLo[same]
        hashHi[i] = hashHi[same]
      } else {
        e = lookup(cap.key)
        hashLo[i] = hash64Out.lo
        hashHi[i] = hash64Out.hi
      }
      found[i] = e
      wins[i] = w
      let n = 0
      if (e >= 0) {
        const j = pool.find(e, cap.window_ms)
        if (j >= 0 && pool.window(j) === w) n = pool.count(j)
      }
      if (n + 1 > cap.limit) return { ok: false, failed: i }
    }
    if (req.bucket && req.bucket.rate > 0) {
      const b = buckets.get(req.bucket.key)
      if (b) {
        b.tokens = tokens - 1
        b.at = Math.max(b.at, now)
      } else buckets.set(req.bucket.key, { tokens: tokens - 1, at: now })
    }
    for (let i = 0; i < caps.length; i++) {
      const cap = caps[i]
      let e = found[i]
      if (e < 0) {
        // A key the first pass did not find may have been created since by an earlier cap of this request.
        const same = sameKeyBefore(caps, i)
        found[i] = e = same >= 0 ? found[same] : insert(hashLo[i], hashHi[i])
      }
      bumpEntry(e, cap.window_ms, wins[i], 1, req.offset_ms)
    }
    if (evicted.length > 0) releaseEvicted()
    return OK
  }

  /**
   * The nearest earlier cap of the request with cap `i`'s key, or -1: its entry is taken from the request's
   * own lists rather than looked up again in a table of up to a million.
   */
  function sameKeyBefore(caps: readonly WindowCap[], i: number): number {
    const key = caps[i].key
    for (let j = i - 1; j >= 0; j--) if (caps[j].key === key) return j
    return -1
  }

  function bumpEntry(e: number, window_ms: number, w: number, by: number, offset_ms: number): number {
    const j = pool.find(e, window_ms)
    if (j >= 0 && pool.window(j) === w) return pool.add(j, by)
    if (j < 0) pool.append(e, window_ms, w, by)
    else pool.set(j, w, by)
    pool.extend(e, windowEnd(w, window_ms, offset_ms))
    return by
  }

  function bump(key: string, window_ms: number, now: number, by: number, offset_ms: number): number {
    latestNow = now
    let e = lookup(key)
    if (e < 0) e = insert(hash64Out.lo, hash64Out.hi)
    const n = bumpEntry(e, window_ms, windowIndex(now, window_ms, offset_ms), by, offset_ms)
    if (evicted.length > 0) releaseEvicted()
    return n
  }

  function assertOpen(): void {
    if (closed) throw new GuardError('SG_ERR_STATE_UNAVAILABLE', 'state is closed')
  }

  function guard<T>(fn: () => T): Promise<T> {
    if (closed) return Promise.reject(new GuardError('SG_ERR_STATE_UNAVAILABLE', 'state is closed'))
    try {
      return Promise.resolve(fn())
    } catch (err) {
      return Promise.reject(err)
    }
  }

  function shut(): Promise<void> {
    if (!closed) {
      clearInterval(timer)
      if (fd >= 0) closeSync(fd)
      fd = -1
      closed = Promise.resolve()
    }
    return closed
  }

  const isMember = (set: string, member: string): boolean => sets.get(set)?.has(member) ?? false

  return {
    backend: 'memory',
    sync: {
      has: (set, member) => (assertOpen(), isMember(set, member)),
      consume: (req) => (assertOpen(), consumeSync(req)),
    },
    ready: () => Promise.resolve(),
    has: (set, member) => guard(() => isMember(set, member)),
    add: (set, member) =>
      guard(() => {
        if (!isMember(set, member)) record(['a', set, member])
      }),
    remove: (set, member) =>
      guard(() => {
        if (!isMember(set, member)) return false
        record(['r', set, member])
        return true
      }),
    members: (set, limit = Infinity) => guard(() => [...(sets.get(set) ?? [])].sort().slice(0, limit)),
    size: (set) => guard(() => sets.get(set)?.size ?? 0),
    get: (key) => guard(() => values.get(key) ?? null),
    set: (key, value) =>
      guard(() => {
        if (values.get(key) !== value) record(['s', key, value])
      }),
    del: (key) =>
      guard(() => {
        if (!values.has(key)) return false
        record(['d', key])
        return true
      }),
    consume: (req) => guard(() => consumeSync(req)),
    incr: (key, window_ms, now, by = 1, offset_ms = 0) =>
      guard(() => bump(key, window_ms, now, by, offset_ms)),
    resetCounter: (key, window_ms) =>
      guard(() => {
        const e = lookup(key)
        const j = e < 0 ? -1 : pool.find(e, window_ms)
        if (j >= 0) pool.set(j, pool.window(j), 0)
      }),
    sweepCounters,
    counterCount: () => counters.size,
    reportFailure,
    close: shut,
    destroy: () => {
      void shut()
    },
  }
}
