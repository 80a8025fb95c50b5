// Carrier message id → the account (and the id the client was given) for routing delivery receipts, which
// may come days later. Bounded by size and expired by coarse time buckets rather than per-entry TTL
// (NOTES §2: lru-cache set with ttl costs 0.60 µs, a plain Map 0.10 µs): an entry lives between `map_ttl_ms`
// and `map_ttl_ms` plus one bucket width.
//
// Memory is the point of the layout. A million ids held in Maps cost 46 MB of RSS (101 MB when every other
// one carried a client id), and 19–30 MB of it stayed after they had expired and been collected. Here each
// bucket (a generation) is a small hash table in typed arrays: entries appended in arrival order (so the
// oldest go first when the size cap bites), an index of slots pointing at them: 23 bytes per id, 32 with
// client ids (measured, 1,000,000 ids). The arrays live outside the JS heap in ArrayBuffers that V8 maps from the OS page
// by page (resizable ArrayBuffers: V8 reserves them with mmap, not malloc), and an expired generation
// shrinks its buffers to zero, which hands the pages back at once instead of at some later major GC (an
// idle proxy may not run one for minutes). Fixed-size ArrayBuffers come from malloc, and after glibc has
// freed one big block it raises its mmap threshold and keeps later ones in its heap (measured: RSS stayed
// at 483 MB after 430 MB of typed arrays were freed the second time; 59 MB with resizable buffers).
import { idVariants, normaliseId } from './message-id.js'

export interface IdMapEntry {
  readonly system_id: string
  /** The id the client holds when it differs from the carrier's (early-acknowledged long-message parts). */
  readonly client_id?: string
}

export interface IdMapConfig {
  readonly map_ttl_ms: number
  readonly map_max_entries: number
}

export interface IdMap {
  set(carrierId: string, entry: IdMapEntry, now: number): void
  /** Looks the id up as given, then in the other radix; refreshes nothing (receipts may repeat). */
  get(carrierId: string, now: number): IdMapEntry | undefined
  delete(carrierId: string): void
  readonly size: number
  /** Drops expired buckets; called from the coarse timer. */
  expire(now: number): void
}

const BUCKETS = 24
/**
 * A generation also closes at this many entries: bigger tables would only make each growth copy longer,
 * and a full one (1.3 MB) is dropped as a whole. A lookup costs one range check per generation it passes,
 * and a probe only where the id's value lies within that generation's range.
 */
const GEN_ENTRIES = 1 << 16
const FIRST_ENTRIES = 1 << 10

// Entry layout: three u32 words per entry, [key high, key low, meta]. The key is the id's value: decimal
// digits read as decimal, anything with a letter a–f read as hex (so '10' and 'a' stay two ids; META_HEX
// keeps the two namespaces apart), up to 64 bits. Other ids (longer, or not hex) key by a 64-bit hash and
// are compared in full against the string kept beside the table.
const STRIDE = 3
const META_ACCOUNT = 0x00ff_ffff // account index + 1; 0 marks a deleted entry
const META_HEX = 1 << 24
const META_STRING = 1 << 25
const META_CID = 1 << 26 // client id packed in `cids`
const META_CID_STRING = 1 << 27 // client id kept in `cidStrings`
const META_KEY = META_HEX | META_STRING

// ArrayBuffer options are ES2024; the runtime (Node 20, V8 11.3) has them.
const PagedArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ArrayBuffer

function pagedU32(n: number): Uint32Array {
  return new Uint32Array(new PagedArrayBuffer(n * 4, { maxByteLength: n * 4 }), 0, n)
}

/** Returns the pages of an array nothing will read again (V8 decommits a resizable buffer's tail). */
function release(a: Uint32Array | null): void {
  ;(a?.buffer as { resize(n: number): void } | undefined)?.resize(0)
}

// The key of the id being looked at, set by parseKey (module scratch: no object per call).
let kHi = 0
let kLo = 0
let kMeta = 0
/** The free slot where the last `find` stopped (-1: it did not probe), so a set that misses probes once. */
let kFree = -1

/** Reads a canonical id (lower case, no leading zeros) into kHi/kLo/kMeta. */
function parseKey(id: string): void {
  const n = id.length
  if (n > 0 && n <= 20) {
    let dHi = 0
    let dLo = 0
    let xHi = 0
    let xLo = 0
    let decOk = true
    let hexOk = n <= 16
    let letter = false
    let i = 0
    for (; i < n; i++) {
      const c = id.charCodeAt(i)
      let v: number
      if (c >= 48 && c <= 57) {
        v = c - 48
        if (decOk) {
          const lo = dLo * 10 + v
          const hi = dHi * 10 + ((lo / 0x1_0000_0000) | 0)
          if (hi > 0xffff_ffff) decOk = false
          dHi = hi
          dLo = lo >>> 0
        }
      } else if (c >= 97 && c <= 102) {
        v = c - 87
        letter = true
      } else break
      if (hexOk) {
        xHi = ((xHi << 4) | (xLo >>> 28)) >>> 0
        xLo = ((xLo << 4) | v) >>> 0
      }
    }
    if (i === n) {
      if (!letter && decOk) {
        kHi = dHi
        kLo = dLo
        kMeta = 0
        return
      }
      if (letter && hexOk) {
        kHi = xHi
        kLo = xLo
        kMeta = META_HEX
        return
      }
    }
  }
  // Two independent 32-bit FNV-1a style hashes: a false match is then ruled out by the string compare.
  let a = 0x811c9dc5
  let b = 0x01000193 ^ n
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 13
  }
  kHi = a >>> 0
  kLo = b >>> 0
  kMeta = META_STRING
}

function slotOf(hi: number, lo: number, meta: number, mask: number): number {
  // murmur3 fmix32 over both halves: carrier ids are mostly consecutive counters.
  let h = (lo ^ Math.imul(hi, 0x85ebca6b) ^ meta) | 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h & mask
}

/** A client id that is up to 16 hex digits (what the proxy issues) fits in two words and a length. */
function packableCid(id: string): boolean {
  const n = id.length
  if (n === 0 || n > 16) return false
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
  }
  return true
}

function unpackCid(hi: number, lo: number, len: number): string {
  if (len <= 8) return lo.toString(16).padStart(len, '0')
  return hi.toString(16).padStart(len - 8, '0') + lo.toString(16).padStart(8, '0')
}

class Generation {
  readonly start: number
  /** Time of the newest entry: the generation expires as a whole once that is older than the ttl. */
  last: number
  entries: Uint32Array
  /** Slot → entry index + 1; 0 is free. At most half full. */
  index: Uint32Array
  /** [high, low, length] of packed client ids, by entry; allocated with the first one. */
  cids: Uint32Array | null = null
  strings: Map<number, string> | null = null
  cidStrings: Map<number, string> | null = null
  count = 0
  live = 0
  /** Next entry to evict when the map is over its size cap. */
  cursor = 0
  // Bounds of the numeric keys held (as doubles: rounding keeps the order, so the test stays safe). Carriers
  // count their ids up, so each generation holds one range and a lookup probes only the one that can match.
  min = Infinity
  max = -Infinity

  /** `capacity`: the previous generation's, so a busy map does not regrow every table from the start. */
  constructor(start: number, now: number, capacity: number) {
    this.start = start
    this.last = now
    this.entries = pagedU32(capacity * STRIDE)
    this.index = pagedU32(capacity * 2)
  }

  get capacity(): number {
    return this.entries.length / STRIDE
  }

  get full(): boolean {
    return this.count === GEN_ENTRIES
  }

  /** Entry index of the live entry with the current key, or -1. */
  find(id: string): number {
    kFree = -1
    if (kMeta !== META_STRING) {
      const v = kHi * 0x1_0000_0000 + kLo
      if (v < this.min || v > this.max) return -1
    } else if (this.strings === null) return -1
    const { entries, index } = this
    const mask = index.length - 1
    for (let s = slotOf(kHi, kLo, kMeta, mask); ; s = (s + 1) & mask) {
      const e = index[s]
      if (e === 0) {
        kFree = s
        return -1
      }
      const o = (e - 1) * STRIDE
      const meta = entries[o + 2]
      if (entries[o + 1] === kLo && entries[o] === kHi && (meta & META_KEY) === kMeta && (meta & META_ACCOUNT) !== 0) {
        if (kMeta !== META_STRING || this.strings?.get(e - 1) === id) return e - 1
      }
    }
  }

  /** Appends an entry for the current key, right after a `find` that missed; the caller has checked there is room. */
  append(id: string, account: number, cid: string | undefined): void {
    if (this.count === this.capacity) {
      this.#grow()
      kFree = -1
    }
    const e = this.count++
    this.live++
    const o = e * STRIDE
    this.entries[o] = kHi
    this.entries[o + 1] = kLo
    this.entries[o + 2] = kMeta | account
    if (kMeta === META_STRING) (this.strings ??= new Map()).set(e, id)
    else {
      const v = kHi * 0x1_0000_0000 + kLo
      if (v < this.min) this.min = v
      if (v > this.max) this.max = v
    }
    if (cid !== undefined) this.setCid(e, cid)
    let s = kFree
    if (s < 0) {
      const mask = this.index.length - 1
      s = slotOf(kHi, kLo, kMeta, mask)
      while (this.index[s] !== 0) s = (s + 1) & mask
    }
    this.index[s] = e + 1
  }

  setCid(e: number, cid: string | undefined): void {
    const o = e * STRIDE
    this.entries[o + 2] &= ~(META_CID | META_CID_STRING)
    this.cidStrings?.delete(e)
    if (cid === undefined) return
    if (packableCid(cid)) {
      const cids = (this.cids ??= pagedU32(this.capacity * STRIDE))
      const n = cid.length
      cids[o] = n > 8 ? parseInt(cid.slice(0, n - 8), 16) : 0
      cids[o + 1] = parseInt(n > 8 ? cid.slice(n - 8) : cid, 16)
      cids[o + 2] = n
      this.entries[o + 2] |= META_CID
    } else {
      ;(this.cidStrings ??= new Map()).set(e, cid)
      this.entries[o + 2] |= META_CID_STRING
    }
  }

  cidOf(e: number): string | undefined {
    const meta = this.entries[e * STRIDE + 2]
    if ((meta & META_CID) !== 0) {
      const cids = this.cids as Uint32Array
      const o = e * STRIDE
      return unpackCid(cids[o], cids[o + 1], cids[o + 2])
    }
    if ((meta & META_CID_STRING) !== 0) return this.cidStrings?.get(e)
    return undefined
  }

  /** Marks an entry deleted; its slot keeps pointing at it (probe chains stay intact) until the next growth. */
  kill(e: number): void {
    this.entries[e * STRIDE + 2] = 0
    this.strings?.delete(e)
    this.cidStrings?.delete(e)
    this.live--
  }

  /** Gives the memory back; the generation is not used again. */
  release(): void {
    release(this.entries)
    release(this.index)
    release(this.cids)
  }

  #grow(): void {
    const cap = this.capacity * 2
    const entries = pagedU32(cap * STRIDE)
    entries.set(this.entries)
    release(this.entries)
    this.entries = entries
    if (this.cids) {
      const cids = pagedU32(cap * STRIDE)
      cids.set(this.cids)
      release(this.cids)
      this.cids = cids
    }
    const index = pagedU32(cap * 2)
    const mask = index.length - 1
    for (let e = 0; e < this.count; e++) {
      const o = e * STRIDE
      const meta = entries[o + 2]
      if ((meta & META_ACCOUNT) === 0) continue
      let s = slotOf(entries[o], entries[o + 1], meta & META_KEY, mask)
      while (index[s] !== 0) s = (s + 1) & mask
      index[s] = e + 1
    }
    release(this.index)
    this.index = index
  }
}

export function createIdMap(cfg: IdMapConfig): IdMap {
  const width = Math.max(1, Math.ceil(cfg.map_ttl_ms / BUCKETS))
  // Oldest first; the last generation takes new entries.
  const gens: Generation[] = []
  let size = 0
  // Accounts are few: entries hold an index, and `get` hands out one frozen entry per account.
  const accounts: IdMapEntry[] = []
  const accountIndex = new Map<string, number>()

  // Consecutive sets are nearly always for the same account: one string compare instead of a Map lookup.
  let lastSystemId = ''
  let lastAccount = 0

  function accountOf(systemId: string): number {
    if (systemId === lastSystemId) return lastAccount
    let i = accountIndex.get(systemId)
    if (i === undefined) {
      if (accounts.length === META_ACCOUNT) throw new RangeError('id map: too many accounts')
      accounts.push(Object.freeze({ system_id: systemId }))
      accountIndex.set(systemId, (i = accounts.length))
    }
    lastSystemId = systemId
    lastAccount = i
    return i
  }

  function current(now: number): Generation {
    const last = gens[gens.length - 1]
    if (last && now < last.start + width && !last.full) {
      if (now > last.last) last.last = now
      return last
    }
    const g = new Generation(now - (now % width), now, last ? last.capacity : FIRST_ENTRIES)
    gens.push(g)
    return g
  }

  function expire(now: number): void {
    while (gens.length > 0 && gens[0].last <= now - cfg.map_ttl_ms) {
      size -= gens[0].live
      ;(gens.shift() as Generation).release()
    }
  }

  /** Deletes the oldest live entry; generations left empty go at once (the current one stays). */
  function evictOldest(): void {
    while (gens.length > 1 && gens[0].live === 0) (gens.shift() as Generation).release()
    const g = gens[0]
    while (g.cursor < g.count && (g.entries[g.cursor * STRIDE + 2] & META_ACCOUNT) === 0) g.cursor++
    if (g.cursor === g.count) return
    g.kill(g.cursor++)
    size--
    if (g.live === 0 && gens.length > 1) (gens.shift() as Generation).release()
  }

  function entryAt(g: Generation, e: number): IdMapEntry {
    const account = accounts[(g.entries[e * STRIDE + 2] & META_ACCOUNT) - 1]
    const client_id = g.cidOf(e)
    return client_id === undefined ? account : { system_id: account.system_id, client_id }
  }

  /** The newest live entry for the current key among generations still in time. */
  function lookup(id: string, now: number): IdMapEntry | undefined {
    for (let i = gens.length - 1; i >= 0; i--) {
      const g = gens[i]
      if (g.last <= now - cfg.map_ttl_ms) return undefined
      const e = g.find(id)
      if (e >= 0) return entryAt(g, e)
    }
    return undefined
  }

  return {
    set(carrierId, entry, now) {
      const id = normaliseId(carrierId)
      const account = accountOf(entry.system_id)
      const g = current(now)
      parseKey(id)
      // Carrier ids are unique, so no search of older generations for a previous entry (it was 1.3 µs per
      // message). Should a carrier reuse one, `get` finds the newest first and the old entry expires.
      const e = g.find(id)
      if (e >= 0) {
        const o = e * STRIDE
        g.entries[o + 2] = (g.entries[o + 2] & ~META_ACCOUNT) | account
        g.setCid(e, entry.client_id)
      } else {
        g.append(id, account, entry.client_id)
        size++
        if (size > cfg.map_max_entries) evictOldest()
      }
      if (gens[0].last <= now - cfg.map_ttl_ms) expire(now)
    },
    get(carrierId, now) {
      // The id as the carrier wrote it in the submit_sm_resp is by far the common case; the other radix
      // (a BigInt conversion) is tried only when that misses.
      const id = normaliseId(carrierId)
      parseKey(id)
      const hit = lookup(id, now)
      if (hit) return hit
      const variants = idVariants(id)
      for (let v = 1; v < variants.length; v++) {
        parseKey(variants[v])
        const e = lookup(variants[v], now)
        if (e) return e
      }
      return undefined
    },
    delete(carrierId) {
      const id = normaliseId(carrierId)
      parseKey(id)
      for (let i = gens.length - 1; i >= 0; i--) {
        const e = gens[i].find(id)
        if (e >= 0) {
          gens[i].kill(e)
          size--
          return
        }
      }
    },
    get size() {
      return size
    },
    expire,
  }
}
