// The message as policy sees it: one whole submission (a long message is reassembled first), decoded.
// Field names follow SMPP 3.4 §4.4.1 so one name means one thing from the wire to the archive.

export type TextEncoding = 'gsm' | 'ascii' | 'latin1' | 'ucs2' | 'gb18030' | 'binary' | 'unknown'

export interface Message {
  readonly system_id: string
  readonly session_id: string
  readonly client_ip: string
  readonly service_type: string
  readonly source_addr_ton: number
  readonly source_addr_npi: number
  readonly source_addr: string
  readonly dest_addr_ton: number
  readonly dest_addr_npi: number
  readonly destination_addr: string
  readonly esm_class: number
  readonly registered_delivery: number
  readonly data_coding: number
  /** Whole decoded text; '' when `encoding` is 'binary'. */
  readonly text: string
  readonly encoding: TextEncoding
  /** True when some bytes could not be decoded (they became U+FFFD). */
  readonly decode_error: boolean
  /** Number of SMS segments the message arrived in (1 for a single-part message). */
  readonly parts: number
  /** Epoch milliseconds when the (first part of the) message was received. */
  readonly received_at: number
}

/** A submit_sm as the proxy hands it to policy, for a text typed by an operator (`check`, `admin rules test`). */
export function messageFor(system_id: string, src: string, dst: string, text: string, now: number): Message {
  const alphanumeric = /[^\d+]/.test(src)
  return {
    system_id,
    session_id: 'operator',
    client_ip: '127.0.0.1',
    service_type: '',
    source_addr_ton: alphanumeric ? 5 : 0,
    source_addr_npi: alphanumeric ? 0 : 1,
    source_addr: src,
    dest_addr_ton: dst.startsWith('+') ? 1 : 0,
    dest_addr_npi: 1,
    destination_addr: dst,
    esm_class: 0,
    registered_delivery: 0,
    data_coding: 8,
    text,
    encoding: 'ucs2',
    decode_error: false,
    parts: text.length <= 70 ? 1 : Math.ceil(text.length / 67),
    received_at: now,
  }
}
