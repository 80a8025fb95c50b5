// Long-message reassembly: parts of one concatenated message are held until the last arrives, so policy
// judges the whole text (a phrase cut across parts is still one phrase) and no part of a rejected message
// reaches the carrier. Pure: no sockets, no timers; the proxy passes `now` and calls `tick(now)` from the
// coarse timer. Parts are joined as bytes (septets for GSM) before decoding, so a surrogate pair or a GSM
// escape cut across parts decodes as one character.
import type { ReassemblyConfig } from '../config/schema.js'
import { decodeText, type DataCodingOptions, type DecodedText } from '../smpp/text/index.js'
import type { ConcatInfo } from '../smpp/udh.js'

export interface PartInput<H> {
  readonly system_id: string
  readonly source_addr: string
  readonly destination_addr: string
  /** As parseUdh / readSarConcat return it: 1 ≤ seq ≤ total. */
  readonly concat: ConcatInfo
  readonly data_coding: number
  /** User data after the UDH. Copied: the caller's buffer may be a view over a socket chunk. */
  readonly user_data: Uint8Array
  /** Bytes the caller keeps for this part meanwhile (its PDU copy to forward); counted against the caps. */
  readonly held_bytes?: number
  /** Opaque to us; given back with the part so the proxy can answer or forward it later. */
  readonly handle: H
}

export interface HeldPart<H> {
  readonly seq: number
  readonly data_coding: number
  readonly user_data: Buffer
  readonly handle: H
  readonly received_at: number
}

/** A message leaving the reassembler: complete, timed out, superseded, dropped or drained. */
export interface AssembledMessage<H> {
  readonly key: string
  readonly system_id: string
  readonly source_addr: string
  readonly destination_addr: string
  readonly ref: number
  readonly scheme: ConcatInfo['scheme']
  readonly total: number
  /** The parts that arrived, in sequence order, each sequence number once. */
  readonly parts: readonly HeldPart<H>[]
  readonly complete: boolean
  /** Sequence numbers that never arrived (empty when complete). */
  readonly missing: readonly number[]
  readonly first_received_at: number
}

export type RefuseReason =
  | 'max_pending_messages'
  | 'max_pending_bytes'
  | 'max_pending_per_account'
  | 'max_pending_bytes_per_account'

export type AddResult<H> =
  | {
      readonly status: 'held'
      readonly key: string
      readonly received: number
      readonly total: number
      /** An older incomplete message under the same key that this part cannot belong to; judge it now. */
      readonly superseded?: AssembledMessage<H>
    }
  | { readonly status: 'complete'; readonly message: AssembledMessage<H>; readonly superseded?: AssembledMessage<H> }
  | {
      /** The same part again (a client retry): not stored. `original` is the handle of the first copy. */
      readonly status: 'duplicate'
      readonly key: string
      readonly original: H
      /** True when the first copy belongs to a message that already completed. */
      readonly completed: boolean
    }
  | {
      /** Not stored: a cap would be exceeded. When the part belonged to a held message, that message is
       *  given up too (`dropped`), so no half message lingers until the timeout; likewise an older message
       *  this part superseded. */
      readonly status: 'refused'
      readonly reason: RefuseReason
      readonly dropped?: AssembledMessage<H>
    }

/**
 * A held part keeps its bytes as a latin1 string (byte n is char n): a copy into a Buffer would be a slice
 * of Node's shared 8 KB pool, and one part held for a minute would keep its whole slab, with every
 * short-lived buffer that shared it, from being freed. A string lives in the JS heap, which the collector
 * compacts and gives back; it costs 16 bytes more than its bytes and no separate Buffer object.
 */
class StoredPart<H> implements HeldPart<H> {
  readonly seq: number
  readonly data_coding: number
  readonly handle: H
  readonly received_at: number
  readonly fingerprint: number
  readonly #bytes: string

  constructor(seq: number, dataCoding: number, bytes: string, fingerprint: number, handle: H, receivedAt: number) {
    this.seq = seq
    this.data_coding = dataCoding
    this.#bytes = bytes
    this.fingerprint = fingerprint
    this.handle = handle
    this.received_at = receivedAt
  }

  get user_data(): Buffer {
    return Buffer.from(this.#bytes, 'latin1')
  }
}

function latin1(b: Uint8Array): string {
  return (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('latin1')
}

interface Pending<H> {
  readonly key: string
  readonly system_id: string
  readonly source_addr: string
  readonly destination_addr: string
  readonly ref: number
  readonly scheme: ConcatInfo['scheme']
  readonly total: number
  readonly parts: (StoredPart<H> | undefined)[]
  received: number
  bytes: number
  readonly first_received_at: number
}

interface Completed<H> {
  readonly key: string
  readonly total: number
  readonly handles: H[]
  readonly fingerprints: number[]
  readonly completed_at: number
}

interface AccountUse {
  messages: number
  bytes: number
}

export type ReassemblerLimits = Pick<
  ReassemblyConfig,
  'timeout_ms' | 'max_pending_messages' | 'max_pending_bytes' | 'max_pending_per_account' | 'max_pending_bytes_per_account'
>

export interface ReassemblerStats {
  readonly messages: number
  readonly bytes: number
  readonly accounts: number
}

export function reassemblyKey(p: Pick<PartInput<unknown>, 'system_id' | 'source_addr' | 'destination_addr' | 'concat'>): string {
  // join builds one flat string; a template literal leaves a tree of seven cons strings behind the Map key
  // (measured: 214 bytes per held message, a quarter of what a pending message cost).
  return [p.system_id, p.source_addr, p.destination_addr, `${p.concat.scheme}:${p.concat.ref}`].join('\0')
}

// FNV-1a over the user data: tells a retried part (same bytes) from a new message reusing the reference.
function fingerprint(b: Uint8Array, dataCoding: number): number {
  let h = (0x811c9dc5 ^ dataCoding) >>> 0
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0
  return (h ^ b.length) >>> 0
}

const TICK_MAX = 2000

export class Reassembler<H> {
  readonly #limits: ReassemblerLimits
  // Insertion order is arrival order of first parts, and the timeout counts from the first part, so the
  // head of the map is always the next to expire: tick() stops at the first one still in time.
  readonly #pending = new Map<string, Pending<H>>()
  // Recently completed keys, to recognise a late retry of a part instead of starting a message that
  // can never complete; bounded by max_pending_messages and forgotten after timeout_ms. Eviction order is
  // kept in an array: `Map.keys().next()` skips the holes deletions leave at the head, which measured
  // ~100 µs per message at 50k entries.
  readonly #completed = new Map<string, Completed<H>>()
  #completedOrder: Completed<H>[] = []
  #completedHead = 0
  readonly #accounts = new Map<string, AccountUse>()
  #bytes = 0

  constructor(limits: ReassemblerLimits) {
    this.#limits = limits
  }

  add(part: PartInput<H>, now: number): AddResult<H> {
    const { concat } = part
    const key = reassemblyKey(part)
    const print = fingerprint(part.user_data, part.data_coding)
    const cost = part.user_data.length + (part.held_bytes ?? 0)
    let superseded: AssembledMessage<H> | undefined

    let p = this.#pending.get(key)
    if (p) {
      const held = p.parts[concat.seq - 1]
      if (p.total === concat.total && held === undefined) {
        // fits the held message
      } else if (p.total === concat.total && held?.fingerprint === print) {
        return { status: 'duplicate', key, original: held.handle, completed: false }
      } else {
        // Different total, or another text in a held slot: the reference was reused by a new message.
        superseded = this.#take(p, false)
        p = undefined
      }
    } else {
      const done = this.#completed.get(key)
      if (done) {
        if (done.total === concat.total && done.fingerprints[concat.seq - 1] === print)
          return { status: 'duplicate', key, original: done.handles[concat.seq - 1], completed: true }
        this.#completed.delete(key)
      }
    }

    const use = this.#accounts.get(part.system_id)
    const refusal = this.#check(p === undefined, use, cost)
    if (refusal) {
      const dropped = p ? this.#take(p, false) : superseded
      return dropped ? { status: 'refused', reason: refusal, dropped } : { status: 'refused', reason: refusal }
    }

    if (!p) {
      p = {
        key,
        system_id: part.system_id,
        source_addr: part.source_addr,
        destination_addr: part.destination_addr,
        ref: concat.ref,
        scheme: concat.scheme,
        total: concat.total,
        parts: new Array(concat.total).fill(undefined),
        received: 0,
        bytes: 0,
        first_received_at: now,
      }
      this.#pending.set(key, p)
      this.#account(part.system_id).messages++
    }
    p.parts[concat.seq - 1] = new StoredPart(concat.seq, part.data_coding, latin1(part.user_data), print, part.handle, now)
    p.received++
    p.bytes += cost
    this.#bytes += cost
    this.#account(part.system_id).bytes += cost

    if (p.received < p.total) {
      return superseded
        ? { status: 'held', key, received: p.received, total: p.total, superseded }
        : { status: 'held', key, received: p.received, total: p.total }
    }
    const message = this.#take(p, true)
    this.#remember(p, now)
    return superseded ? { status: 'complete', message, superseded } : { status: 'complete', message }
  }

  /**
   * Gives up messages whose first part is older than `timeout_ms`; they come back incomplete. At most
   * TICK_MAX per call: the caller judges each one at once, and 50,000 orphans judged in one go stalled the
   * event loop and grew the old generation by ~130 MB that an idle process then kept (scripts/bench/
   * memory.ts); the rest follow on the next ticks, oldest first.
   */
  tick(now: number): AssembledMessage<H>[] {
    const out: AssembledMessage<H>[] = []
    const deadline = now - this.#limits.timeout_ms
    for (const p of this.#pending.values()) {
      if (p.first_received_at > deadline || out.length === TICK_MAX) break
      out.push(this.#take(p, false))
    }
    while (this.#completedHead < this.#completedOrder.length && this.#completedOrder[this.#completedHead].completed_at <= deadline)
      this.#forgetOldest()
    return out
  }

  /** Removes and returns every held message (shutdown: judge or fail them, never drop them silently). */
  drain(): AssembledMessage<H>[] {
    const out = [...this.#pending.values()].map((p) => this.#take(p, false))
    this.#completed.clear()
    this.#completedOrder = []
    this.#completedHead = 0
    return out
  }

  stats(): ReassemblerStats {
    return { messages: this.#pending.size, bytes: this.#bytes, accounts: this.#accounts.size }
  }

  accountStats(systemId: string): { messages: number; bytes: number } {
    const u = this.#accounts.get(systemId)
    return { messages: u?.messages ?? 0, bytes: u?.bytes ?? 0 }
  }

  #check(isNew: boolean, use: AccountUse | undefined, cost: number): RefuseReason | undefined {
    const l = this.#limits
    if (isNew && this.#pending.size >= l.max_pending_messages) return 'max_pending_messages'
    if (isNew && (use?.messages ?? 0) >= l.max_pending_per_account) return 'max_pending_per_account'
    if (this.#bytes + cost > l.max_pending_bytes) return 'max_pending_bytes'
    if ((use?.bytes ?? 0) + cost > l.max_pending_bytes_per_account) return 'max_pending_bytes_per_account'
    return undefined
  }

  #account(systemId: string): AccountUse {
    let u = this.#accounts.get(systemId)
    if (!u) {
      u = { messages: 0, bytes: 0 }
      this.#accounts.set(systemId, u)
    }
    return u
  }

  #take(p: Pending<H>, complete: boolean): AssembledMessage<H> {
    this.#pending.delete(p.key)
    this.#bytes -= p.bytes
    const u = this.#accounts.get(p.system_id)
    if (u) {
      u.messages--
      u.bytes -= p.bytes
      if (u.messages === 0) this.#accounts.delete(p.system_id)
    }
    const parts: HeldPart<H>[] = []
    const missing: number[] = []
    for (let i = 0; i < p.total; i++) {
      const part = p.parts[i]
      if (part) parts.push(part)
      else missing.push(i + 1)
    }
    return {
      key: p.key,
      system_id: p.system_id,
      source_addr: p.source_addr,
      destination_addr: p.destination_addr,
      ref: p.ref,
      scheme: p.scheme,
      total: p.total,
      parts,
      complete,
      missing,
      first_received_at: p.first_received_at,
    }
  }

  #remember(p: Pending<H>, now: number): void {
    const parts = p.parts as StoredPart<H>[]
    const c: Completed<H> = {
      key: p.key,
      total: p.total,
      handles: parts.map((x) => x.handle),
      fingerprints: parts.map((x) => x.fingerprint),
      completed_at: now,
    }
    this.#completed.set(p.key, c)
    this.#completedOrder.push(c)
    const max = this.#limits.max_pending_messages
    while (this.#completed.size > max || this.#completedOrder.length - this.#completedHead > 2 * max) this.#forgetOldest()
  }

  #forgetOldest(): void {
    const c = this.#completedOrder[this.#completedHead++]
    // A key completed again later has a newer record; only the record itself may delete its entry.
    if (this.#completed.get(c.key) === c) this.#completed.delete(c.key)
    if (this.#completedHead >= 1024 && this.#completedHead * 2 >= this.#completedOrder.length) {
      this.#completedOrder = this.#completedOrder.slice(this.#completedHead)
      this.#completedHead = 0
    }
  }
}

/**
 * Decodes an assembled message for policy. Parts are joined as bytes and decoded once; where the data
 * coding changes between parts each run is decoded on its own, and each gap of missing parts shows as one
 * U+FFFD so words on either side are not glued into one. `encoding` is the runs' common encoding, or
 * 'unknown' when they differ.
 */
export function decodeAssembled(
  msg: Pick<AssembledMessage<unknown>, 'parts' | 'total'>,
  opts: DataCodingOptions,
): DecodedText {
  const runs: { data_coding: number; chunks: Buffer[]; gapBefore: boolean }[] = []
  let prevSeq = 0
  for (const part of msg.parts) {
    const last = runs[runs.length - 1]
    const gap = part.seq !== prevSeq + 1
    if (last && !gap && last.data_coding === part.data_coding) last.chunks.push(part.user_data)
    else runs.push({ data_coding: part.data_coding, chunks: [part.user_data], gapBefore: gap })
    prevSeq = part.seq
  }
  let text = ''
  let decode_error = false
  let encoding: DecodedText['encoding'] | undefined
  for (const run of runs) {
    const d = decodeText(run.data_coding, run.chunks.length === 1 ? run.chunks[0] : Buffer.concat(run.chunks), opts)
    if (run.gapBefore) text += '\uFFFD'
    text += d.text
    decode_error ||= d.decode_error
    encoding = encoding === undefined || encoding === d.encoding ? d.encoding : 'unknown'
  }
  if (prevSeq < msg.total) text += '\uFFFD'
  return { text, encoding: encoding ?? 'unknown', decode_error }
}
