// What the archive keeps. One tagged union, written by the proxy and read back by queries; field names are
// the SMPP 3.4 names used from the wire to the config to the columns (STYLE rule 2). The archive owns this
// type and imports nothing from the data path (STYLE rule 1): the proxy maps its values onto it.
import { randomBytes } from 'node:crypto'

export type ArchiveVerdict = 'allow' | 'reject' | 'monitor'

/** A monitor-mode hit: what a stage would have rejected. */
export interface ArchiveHit {
  readonly rule: string
  readonly category: string
}

/** One SMS segment of a long message. */
export interface ArchiveSegment {
  /** 1-based segment number (UDH or sar_segment_seqnum). */
  readonly part: number
  readonly received_at: number
  /** message_id the client was given for this segment (carrier's or proxy-issued on early ack). */
  readonly message_id: string | null
  readonly carrier_message_id: string | null
}

/**
 * One submit_sm, or one reassembled long message with its segments. Times are epoch milliseconds. Build it
 * with its fields in this order: its JSON keeps the order, and the SQLite sink reads its columns fast only
 * from JSON in this order (`sinks/message-columns.ts`); any other order is parsed in full.
 */
export interface MessageRecord {
  readonly kind: 'message'
  /** Unique record id: sinks write idempotently by it. `newRecordId()` when the caller has none. */
  readonly id: string
  readonly received_at: number
  readonly decided_at: number
  readonly system_id: string
  readonly session_id: string
  readonly client_ip: string
  readonly source_addr: string
  readonly destination_addr: string
  readonly data_coding: number
  /** Whole decoded text ('' for binary). */
  readonly text: string
  readonly encoding: string
  /** Number of segments the message arrived in (1 for a single-part message). */
  readonly parts: number
  /** Per-segment detail of a long message; empty for a single-part message. */
  readonly segments: readonly ArchiveSegment[]
  readonly verdict: ArchiveVerdict
  /** The rejecting rule, or for `monitor` the first monitor-mode hit; null when allowed cleanly. */
  readonly rule: string | null
  readonly category: string | null
  readonly monitor_hits: readonly ArchiveHit[]
  /** command_status of the submit_sm_resp the client received. */
  readonly command_status: number
  /** message_id(s) the client received. */
  readonly message_ids: readonly string[]
  /** message_id(s) the carrier returned, normalised the same way as `ReceiptRecord.message_id`. */
  readonly carrier_message_ids: readonly string[]
  /** command_status the carrier returned; null when the message never reached the carrier. */
  readonly carrier_status: number | null
}

/** A delivery receipt from the carrier; queries join it to the message by carrier message id. */
export interface ReceiptRecord {
  readonly kind: 'receipt'
  readonly id: string
  readonly at: number
  readonly message_id: string
  /** Receipt state as sent (DELIVRD, UNDELIV, EXPIRED, REJECTD, …). */
  readonly state: string
  /** The receipt's `err:` field, or null. */
  readonly error: string | null
  /** Account the receipt was routed to, or null when unmapped. */
  readonly system_id: string | null
}

/** A mobile-originated message from the carrier. */
export interface MoRecord {
  readonly kind: 'mo'
  readonly id: string
  readonly at: number
  /** Account the MO belongs to, or null when no account claims the destination. */
  readonly system_id: string | null
  readonly source_addr: string
  readonly destination_addr: string
  readonly data_coding: number
  readonly text: string
  /** routed, queued, unroutable, opt_out. */
  readonly outcome: string
}

export type ArchiveRecord = MessageRecord | ReceiptRecord | MoRecord
export type ArchiveRecordKind = ArchiveRecord['kind']

/** The time a record is filed under: partitions, retention and --from/--to use it. */
export function recordTime(r: ArchiveRecord): number {
  return r.kind === 'message' ? r.received_at : r.at
}

const DAY_MS = 86_400_000

// The last day asked for: a sink files every record of a batch by its day, nearly always the same one, and
// formatting a Date per record cost more than the rest of filing it.
let lastDayStart = Number.NaN
let lastDay = ''

/** UTC day of an epoch-ms time, `YYYY-MM-DD`: the unit of files and partitions, so retention is a delete. */
export function dayOf(ms: number): string {
  const start = Math.floor(ms / DAY_MS) * DAY_MS
  if (start !== lastDayStart) {
    lastDay = new Date(start).toISOString().slice(0, 10)
    lastDayStart = start
  }
  return lastDay
}

export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`)
}

export { DAY_MS }

const instance = randomBytes(5).toString('hex')
let counter = 0
// Tens of records share a millisecond under load, and a double's toString(16) and padStart cost more than
// the rest of the id: the time and instance part is made once per millisecond.
let prefixMs = Number.NaN
let prefix = ''
const HEX2 = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/**
 * Time-ordered unique id: 12 hex digits of ms, 10 of per-process randomness, 8 of counter. Ordered ids keep
 * the sinks' primary-key indexes appending at the end.
 */
export function newRecordId(now: number = Date.now()): string {
  counter = (counter + 1) >>> 0
  if (now !== prefixMs) {
    prefix = now.toString(16).padStart(12, '0') + instance
    prefixMs = now
  }
  // The counter's digits joined first: short joins are flat strings, so the id is one cons of two, not a
  // chain of four.
  return prefix + (HEX2[counter >>> 24] + HEX2[(counter >>> 16) & 255] + HEX2[(counter >>> 8) & 255] + HEX2[counter & 255])
}
