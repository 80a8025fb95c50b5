// Encoders for the PDUs the proxy originates (responses, binds, keepalives, receipts it writes itself).
// What it forwards is never re-encoded: forwarding rewrites only sequence_number in place.
import { CommandId, CommandStatus, HEADER_LENGTH, InterfaceVersion, Tag, responseIdOf } from './constants.js'
import { writeHeader } from './header.js'
import type { Tlv } from './pdu.js'

type Field = number | string | Buffer | { sm: Buffer }

/** Sizes then writes a body of u8 numbers, C-octet strings (latin1), raw buffers and short_message. */
function build(commandId: number, status: number, seq: number, fields: readonly Field[], tlvs: readonly Tlv[] = []): Buffer {
  let size = HEADER_LENGTH
  for (const f of fields) {
    if (typeof f === 'number') size += 1
    else if (typeof f === 'string') size += Buffer.byteLength(f, 'latin1') + 1
    else if (Buffer.isBuffer(f)) size += f.length
    else size += 1 + f.sm.length
  }
  for (const t of tlvs) size += 4 + t.value.length
  const buf = Buffer.allocUnsafe(size)
  writeHeader(buf, commandId, status, seq)
  let off = HEADER_LENGTH
  for (const f of fields) {
    if (typeof f === 'number') buf[off++] = f & 0xff
    else if (typeof f === 'string') {
      off += buf.write(f, off, 'latin1')
      buf[off++] = 0
    } else if (Buffer.isBuffer(f)) off += f.copy(buf, off)
    else {
      buf[off++] = f.sm.length
      off += f.sm.copy(buf, off)
    }
  }
  for (const t of tlvs) {
    buf.writeUInt16BE(t.tag, off)
    buf.writeUInt16BE(t.value.length, off + 2)
    off += 4 + t.value.copy(buf, off + 4)
  }
  return buf
}

/**
 * A header-only PDU, or one whose body is a single empty C-octet string: written directly rather than
 * through `build`, as one goes out per receipt (deliver_sm_resp) and per keepalive.
 */
function headerOnly(commandId: number, status: number, seq: number, emptyCString: boolean): Buffer {
  const buf = Buffer.allocUnsafe(emptyCString ? HEADER_LENGTH + 1 : HEADER_LENGTH)
  writeHeader(buf, commandId, status, seq)
  if (emptyCString) buf[HEADER_LENGTH] = 0
  return buf
}

/** A response to any request with an empty body (unbind_resp, enquire_link_resp, deliver_sm_resp, errors). */
export function encodeResponse(requestCommandId: number, status: number, seq: number): Buffer {
  return headerOnly(responseIdOf(requestCommandId), status, seq, false)
}

export function encodeGenericNack(status: number, seq: number): Buffer {
  return headerOnly(CommandId.generic_nack, status, seq, false)
}

export function encodeEnquireLink(seq: number): Buffer {
  return headerOnly(CommandId.enquire_link, CommandStatus.ESME_ROK, seq, false)
}

export function encodeEnquireLinkResp(seq: number): Buffer {
  return encodeResponse(CommandId.enquire_link, CommandStatus.ESME_ROK, seq)
}

export function encodeUnbind(seq: number): Buffer {
  return headerOnly(CommandId.unbind, CommandStatus.ESME_ROK, seq, false)
}

export function encodeUnbindResp(seq: number): Buffer {
  return encodeResponse(CommandId.unbind, CommandStatus.ESME_ROK, seq)
}

export function encodeDeliverSmResp(status: number, seq: number): Buffer {
  // deliver_sm_resp carries a message_id field that SMPP 3.4 §4.6.2 says is unused: send it empty.
  return headerOnly(CommandId.deliver_sm_resp, status, seq, true)
}

export interface BindRequest {
  readonly system_id: string
  readonly password: string
  readonly system_type?: string
  readonly interface_version?: number
  readonly addr_ton?: number
  readonly addr_npi?: number
  readonly address_range?: string
}

export function encodeBind(commandId: number, seq: number, b: BindRequest): Buffer {
  return build(commandId, CommandStatus.ESME_ROK, seq, [
    b.system_id,
    b.password,
    b.system_type ?? '',
    b.interface_version ?? InterfaceVersion,
    b.addr_ton ?? 0,
    b.addr_npi ?? 0,
    b.address_range ?? '',
  ])
}

const SC_INTERFACE_VERSION: readonly Tlv[] = [{ tag: Tag.sc_interface_version, value: Buffer.from([InterfaceVersion]) }]

/** bind_*_resp for the given bind request id; an error response has no body. */
export function encodeBindResp(requestCommandId: number, status: number, seq: number, system_id: string): Buffer {
  const id = responseIdOf(requestCommandId)
  if (status !== CommandStatus.ESME_ROK) return build(id, status, seq, [])
  return build(id, status, seq, [system_id], SC_INTERFACE_VERSION)
}

/** submit_sm_resp; SMPP 3.4 §4.4.2: no body when command_status is not 0. */
export function encodeSubmitSmResp(status: number, seq: number, message_id: string): Buffer {
  if (status !== CommandStatus.ESME_ROK) return build(CommandId.submit_sm_resp, status, seq, [])
  return build(CommandId.submit_sm_resp, status, seq, [message_id])
}

export interface SmRequest {
  readonly service_type?: string
  readonly source_addr_ton?: number
  readonly source_addr_npi?: number
  readonly source_addr: string
  readonly dest_addr_ton?: number
  readonly dest_addr_npi?: number
  readonly destination_addr: string
  readonly esm_class?: number
  readonly protocol_id?: number
  readonly priority_flag?: number
  readonly schedule_delivery_time?: string
  readonly validity_period?: string
  readonly registered_delivery?: number
  readonly replace_if_present_flag?: number
  readonly data_coding?: number
  readonly sm_default_msg_id?: number
  readonly short_message?: Buffer
  readonly tlvs?: readonly Tlv[]
}

function smFields(m: SmRequest): Field[] {
  return [
    m.service_type ?? '',
    m.source_addr_ton ?? 0,
    m.source_addr_npi ?? 0,
    m.source_addr,
    m.dest_addr_ton ?? 0,
    m.dest_addr_npi ?? 0,
    m.destination_addr,
    m.esm_class ?? 0,
    m.protocol_id ?? 0,
    m.priority_flag ?? 0,
    m.schedule_delivery_time ?? '',
    m.validity_period ?? '',
    m.registered_delivery ?? 0,
    m.replace_if_present_flag ?? 0,
    m.data_coding ?? 0,
    m.sm_default_msg_id ?? 0,
    { sm: m.short_message ?? Buffer.alloc(0) },
  ]
}

export function encodeSubmitSm(seq: number, m: SmRequest): Buffer {
  return build(CommandId.submit_sm, CommandStatus.ESME_ROK, seq, smFields(m), m.tlvs)
}

export function encodeDeliverSm(seq: number, m: SmRequest): Buffer {
  return build(CommandId.deliver_sm, CommandStatus.ESME_ROK, seq, smFields(m), m.tlvs)
}

/** A TLV carrying a C-octet string (receipted_message_id). */
export function cstringTlv(tag: number, s: string): Tlv {
  const value = Buffer.alloc(Buffer.byteLength(s, 'latin1') + 1)
  value.write(s, 0, 'latin1')
  return { tag, value }
}

export function uintTlv(tag: number, n: number, octets: 1 | 2 | 4): Tlv {
  const value = Buffer.alloc(octets)
  value.writeUIntBE(n, 0, octets)
  return { tag, value }
}
