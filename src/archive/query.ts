// The lawful-query filters and the rows queries return. Every sink answers the same `ArchiveQuery` with the
// same semantics; `matchesQuery` is the reference the SQL sinks' WHERE clauses mirror (and the JSON lines
// sink uses directly).
import { GuardError } from '../errors.js'
import type { ArchiveVerdict, MessageRecord, MoRecord, ReceiptRecord } from './record.js'
import { recordTime } from './record.js'

export interface ArchiveQuery {
  /** Which records: messages (default) or MO messages. Receipts come joined to their message. */
  readonly kind?: 'message' | 'mo'
  readonly account?: string
  /** Exact source_addr. */
  readonly src?: string
  /** Exact destination_addr. */
  readonly dst?: string
  /** Epoch ms, inclusive. */
  readonly from?: number
  /** Epoch ms, exclusive. */
  readonly to?: number
  /** Case-sensitive substring of the decoded text. */
  readonly text?: string
  /** Messages only. */
  readonly verdict?: ArchiveVerdict
  readonly limit?: number
}

/**
 * Receipts are joined from the message's day and this many days after it. Carriers give up on a message
 * within its validity period (days, not weeks) and the proxy forgets carrier ids after receipts.map_ttl_ms;
 * a receipt later than this is archived but not joined, so a query never opens every day of the archive.
 */
export const RECEIPT_JOIN_DAYS = 7

export type ReceiptInfo = Pick<ReceiptRecord, 'message_id' | 'state' | 'error' | 'at'>

export type MessageRow = MessageRecord & { readonly receipts: readonly ReceiptInfo[] }
export type QueryRow = MessageRow | MoRecord

export function matchesQuery(r: MessageRecord | MoRecord, q: ArchiveQuery): boolean {
  if ((q.kind ?? 'message') !== r.kind) return false
  const t = recordTime(r)
  if (q.from !== undefined && t < q.from) return false
  if (q.to !== undefined && t >= q.to) return false
  if (q.account !== undefined && r.system_id !== q.account) return false
  if (q.src !== undefined && r.source_addr !== q.src) return false
  if (q.dst !== undefined && r.destination_addr !== q.dst) return false
  if (q.text !== undefined && !r.text.includes(q.text)) return false
  if (q.verdict !== undefined && (r.kind !== 'message' || r.verdict !== q.verdict)) return false
  return true
}

/** Receipts in arrival order, for the message rows' `receipts`. */
export function sortReceipts(list: ReceiptInfo[]): ReceiptInfo[] {
  return list.sort((a, b) => a.at - b.at || a.message_id.localeCompare(b.message_id))
}

/** A --from/--to value: ISO 8601 date or date-time, a bare date meaning midnight UTC. */
export function parseQueryTime(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v)
  if (Number.isNaN(ms)) throw new GuardError('SG_ERR_USAGE', `--${flag}: not an ISO date or date-time: ${v}`)
  return ms
}
