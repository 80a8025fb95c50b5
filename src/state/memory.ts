// Single-instance state. Counters live in one bounded LRU map and expire by their window index instead of a
// per-entry ttl (lru-cache set with ttl 0.60 µs, without 0.22 µs, NOTES.md §2): an entry from an earlier
// window reads as zero and is overwritten, and stale entries are what the LRU evicts first. Sets and values
// (opt-outs, suspensions) are never evicted and, with a journal, survive restarts.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { LRUCache } from 'lru-cache'
import { GuardError } from '../errors.js'
import type { MemoryStateConfig } from './config.js'
import { createFailureReporter, type StateDeps } from './failure.js'
import { windowIndex, type ConsumeRequest, type ConsumeResult, type State } from './types.js'

/**
 * Every window of one key in one entry — [window_ms, window index, count] triples — so a recipient's
 * minute, hour and day caps cost one map entry, not three: at a million live counters, map entries and the
 * garbage they make are the whole cost (measured in scripts/bench/limits.ts).
 */
type Slots = number[]

interface Bucket {
  tokens: number
  at: number
}

type JournalEntry = ['a' | 'r', string, string] | ['s', string, string] | ['d', string]

const OK: ConsumeResult = Object.freeze({ ok: true })
const BUCKET_FAILED: ConsumeResult = Object.freeze({ ok: false, failed: 'bucket' })
const MAX_BUCKETS = 100_000

export function createMemoryState(cfg: MemoryStateConfig, deps: StateDeps): State {
  const counters = new LRUCache<string, Slots>({ max: cfg.max_counters })
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

  // Scratch for the two passes of consume(): check everything, then count everything.
  let found: Array<Slots | undefined> = []
  let wins: number[] = []

  function slotIndex(slots: Slots, window_ms: number): number {
    for (let j = 0; j < slots.length; j += 3) if (slots[j] === window_ms) return j
    return -1
  }

  function consumeSync(req: ConsumeRequest): ConsumeResult {
    const { now, caps } = req
    let tokens = 0
    if (req.bucket && req.bucket.rate > 0) {
      const b = buckets.get(req.bucket.key)
      tokens = b ? b.tokens : req.bucket.burst
      if (b && now > b.at) tokens = Math.min(req.bucket.burst, tokens + ((now - b.at) * req.bucket.rate) / 1000)
      if (tokens < 1) return BUCKET_FAILED
    }
    if (found.length < caps.length) {
      found = new Array<Slots | undefined>(caps.length)
      wins = new Array<number>(caps.length)
    }
    for (let i = 0; i < caps.length; i++) {
      const cap = caps[i]
      const w = windowIndex(now, cap.window_ms, req.offset_ms)
      // Caps of one key come together (a recipient's minute, hour, day): look the entry up once.
      const slots = i > 0 && caps[i - 1].key === cap.key ? found[i - 1] : counters.get(cap.key)
      found[i] = slots
      wins[i] = w
      let n = 0
      if (slots) {
        const j = slotIndex(slots, cap.window_ms)
        if (j >= 0 && slots[j + 1] === w) n = slots[j + 2]
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
      let slots = found[i]
      if (!slots) {
        // New key: an earlier cap of this message may have just created its entry.
        slots = counters.get(cap.key)
        if (!slots) counters.set(cap.key, (slots = []))
        found[i] = slots
      }
      bumpSlots(slots, cap.window_ms, wins[i], 1)
    }
    return OK
  }

  function bumpSlots(slots: Slots, window_ms: number, w: number, by: number): number {
    const j = slotIndex(slots, window_ms)
    if (j < 0) {
      slots.push(window_ms, w, by)
      return by
    }
    if (slots[j + 1] !== w) {
      slots[j + 1] = w
      slots[j + 2] = 0
    }
    return (slots[j + 2] += by)
  }

  function bump(key: string, window_ms: number, w: number, by: number): number {
    let slots = counters.get(key)
    if (!slots) counters.set(key, (slots = []))
    return bumpSlots(slots, window_ms, w, by)
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
      if (fd >= 0) closeSync(fd)
      fd = -1
      closed = Promise.resolve()
    }
    return closed
  }

  return {
    backend: 'memory',
    sync: {
      has: (set, member) => (assertOpen(), sets.get(set)?.has(member) ?? false),
      consume: (req) => (assertOpen(), consumeSync(req)),
    },
    ready: () => Promise.resolve(),
    has: (set, member) => guard(() => sets.get(set)?.has(member) ?? false),
    add: (set, member) =>
      guard(() => {
        if (!sets.get(set)?.has(member)) record(['a', set, member])
      }),
    remove: (set, member) =>
      guard(() => {
        if (!sets.get(set)?.has(member)) return false
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
      guard(() => bump(key, window_ms, windowIndex(now, window_ms, offset_ms), by)),
    resetCounter: (key, window_ms) =>
      guard(() => {
        const slots = counters.get(key)
        const j = slots ? slotIndex(slots, window_ms) : -1
        if (j >= 0) slots![j + 2] = 0
      }),
    reportFailure,
    close: shut,
    destroy: () => {
      void shut()
    },
  }
}
