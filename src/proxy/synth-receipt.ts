// Receipts the proxy writes itself: a long message whose early parts were acknowledged with proxy-issued
// ids and which was then rejected (or refused by the carrier) gets `stat:REJECTD` receipts, so the client
// learns the fate of every id it was given. `err:` carries the command_status in hex (0x421 → `421`),
// which names the reason in the vendor status table.
import { DataCoding, EsmClass, MessageState, ReceiptStat, Tag } from '../smpp/constants.js'
import { cstringTlv, encodeDeliverSm, uintTlv } from '../smpp/encode.js'
import { formatReceipt, formatReceiptDate } from '../smpp/receipt.js'

export interface RejectedPart {
  readonly message_id: string
  readonly source_addr_ton: number
  readonly source_addr_npi: number
  readonly source_addr: string
  readonly dest_addr_ton: number
  readonly dest_addr_npi: number
  readonly destination_addr: string
  readonly received_at: number
}

export function errCode(status: number): string {
  return (status >>> 0).toString(16).padStart(3, '0')
}

/** A deliver_sm receipt (sequence number 0: the session sets its own). */
export function encodeRejectedReceipt(p: RejectedPart, status: number, now: number): Buffer {
  const text = formatReceipt({
    id: p.message_id,
    sub: 1,
    dlvrd: 0,
    submit_date: formatReceiptDate(p.received_at),
    done_date: formatReceiptDate(now),
    stat: ReceiptStat.REJECTD,
    err: errCode(status),
  })
  // Receipts travel back: the recipient becomes the source (SMPP 3.4 §4.6.1, Appendix B).
  return encodeDeliverSm(0, {
    source_addr_ton: p.dest_addr_ton,
    source_addr_npi: p.dest_addr_npi,
    source_addr: p.destination_addr,
    dest_addr_ton: p.source_addr_ton,
    dest_addr_npi: p.source_addr_npi,
    destination_addr: p.source_addr,
    esm_class: EsmClass.DELIVERY_RECEIPT,
    data_coding: DataCoding.default,
    short_message: Buffer.from(text, 'latin1'),
    tlvs: [cstringTlv(Tag.receipted_message_id, p.message_id), uintTlv(Tag.message_state, MessageState.REJECTED, 1)],
  })
}
