// `smpp-guard decode HEX`: one PDU, as the proxy reads it, printed as JSON with the decoded text. For ops
// answering a carrier complaint from a packet capture or a log line: what did that client really send?
import { parseArgs } from 'node:util'
import { CommandId, EsmClass, HEADER_LENGTH, MessageState, Tag, commandName } from '../smpp/constants.js'
import { readCommandId, readCommandLength, readCommandStatus, readSequence } from '../smpp/header.js'
import {
  findTlv,
  readBind,
  readBindResp,
  readDataSm,
  readDeliverSm,
  readSubmitSm,
  readSubmitSmResp,
  type Fail,
  type Tlv,
} from '../smpp/pdu.js'
import { parseReceipt } from '../smpp/receipt.js'
import { statusName } from '../smpp/status.js'
import { alphabetOf, decodeText, type DataCodingOptions } from '../smpp/text/index.js'
import { parseUdh, readSarConcat } from '../smpp/udh.js'

const USAGE = `usage: smpp-guard decode [--default-alphabet gsm|ascii|latin1] [--data-coding-0f gb18030|reserved] HEX|-
  HEX is one whole PDU, header included; spaces, colons and a 0x prefix are ignored; - reads stdin.`

const TAG_NAMES = new Map<number, string>(Object.entries(Tag).map(([k, v]) => [v, k]))
const STATE_NAMES = new Map<number, string>(Object.entries(MessageState).map(([k, v]) => [v, k]))
const CSTRING_TAGS = new Set<number>([Tag.receipted_message_id, Tag.additional_status_info_text])
const INT_TAGS = new Set<number>([
  Tag.sar_msg_ref_num,
  Tag.sar_total_segments,
  Tag.sar_segment_seqnum,
  Tag.message_state,
  Tag.user_message_reference,
  Tag.source_port,
  Tag.destination_port,
  Tag.sc_interface_version,
  Tag.payload_type,
  Tag.more_messages_to_send,
  Tag.delivery_failure_reason,
  Tag.language_indicator,
  Tag.privacy_indicator,
  Tag.ms_availability_status,
  Tag.dest_addr_subunit,
  Tag.source_addr_subunit,
  Tag.qos_time_to_live,
  Tag.display_time,
  Tag.ms_validity,
  Tag.number_of_messages,
  Tag.set_dpf,
  Tag.dpf_result,
])

const hexOf = (n: number, width = 8) => '0x' + (n >>> 0).toString(16).padStart(width, '0')

function describeTlv(t: Tlv): Record<string, unknown> {
  const out: Record<string, unknown> = { tag: hexOf(t.tag, 4), name: TAG_NAMES.get(t.tag) ?? 'vendor', hex: t.value.toString('hex') }
  if (CSTRING_TAGS.has(t.tag)) {
    const nul = t.value.indexOf(0)
    out.value = t.value.toString('latin1', 0, nul === -1 ? t.value.length : nul)
  } else if (INT_TAGS.has(t.tag) && (t.value.length === 1 || t.value.length === 2 || t.value.length === 4)) {
    out.value = t.value.readUIntBE(0, t.value.length)
    if (t.tag === Tag.message_state) out.state = STATE_NAMES.get(out.value as number) ?? 'unknown'
  }
  return out
}

/** The text part of submit_sm / deliver_sm / data_sm: UDH or sar_*, decoded text, receipt fields. */
function describeText(
  fields: { esm_class: number; data_coding: number; short_message?: Buffer; tlvs: readonly Tlv[] },
  isDeliver: boolean,
  opts: DataCodingOptions,
): Record<string, unknown> {
  const payload = findTlv(fields.tlvs, Tag.message_payload)
  const userData = payload ?? fields.short_message ?? Buffer.alloc(0)
  const out: Record<string, unknown> = { text_source: payload ? 'message_payload' : 'short_message' }
  let text = userData
  if (fields.esm_class & EsmClass.UDHI) {
    const u = parseUdh(userData)
    if (u.ok) {
      out.udh = {
        hex: userData.subarray(0, u.offset).toString('hex'),
        elements: u.elements.map((e) => ({ iei: hexOf(e.iei, 2), hex: userData.subarray(e.offset, e.offset + e.length).toString('hex') })),
      }
      if (u.concat) out.concat = u.concat
      text = userData.subarray(u.offset)
    } else {
      out.udh = { error: u.reason, hex: userData.toString('hex') }
    }
  }
  const sar = readSarConcat(
    findTlv(fields.tlvs, Tag.sar_msg_ref_num),
    findTlv(fields.tlvs, Tag.sar_total_segments),
    findTlv(fields.tlvs, Tag.sar_segment_seqnum),
  )
  if (!sar.ok) out.sar = { error: sar.reason }
  else if (sar.concat) out.concat = sar.concat
  const alphabet = alphabetOf(fields.data_coding, opts)
  const decoded = decodeText(fields.data_coding, text, opts)
  out.alphabet = alphabet.kind === 'national' ? alphabet.charset : alphabet.kind === 'unreadable' ? `unreadable (${alphabet.why})` : alphabet.kind
  out.text = decoded.text
  out.encoding = decoded.encoding
  out.decode_error = decoded.decode_error
  if (isDeliver && (fields.esm_class & EsmClass.TYPE_MASK) !== 0) {
    const receipt = parseReceipt(decoded.text)
    if (receipt) out.receipt = receipt
  }
  return out
}

function withoutBuffers(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'ok' || k === 'tlvs') continue
    out[k === 'short_message' ? 'short_message_hex' : k] = Buffer.isBuffer(v) ? v.toString('hex') : v
  }
  return out
}

/** Everything we can read from one PDU. Never throws on the bytes; problems are reported in `error`. */
export function describePdu(pdu: Buffer, opts: DataCodingOptions): Record<string, unknown> {
  if (pdu.length < HEADER_LENGTH) return { error: `a PDU is at least ${HEADER_LENGTH} octets, got ${pdu.length}` }
  const length = readCommandLength(pdu)
  const id = readCommandId(pdu)
  const status = readCommandStatus(pdu)
  const out: Record<string, unknown> = {
    command_length: length,
    command_id: hexOf(id),
    command: commandName(id) ?? 'unknown',
    command_status: hexOf(status),
    status: statusName(status),
    sequence_number: readSequence(pdu),
  }
  if (length !== pdu.length) {
    out.error = `command_length ${length} but ${pdu.length} octets given`
    if (length > pdu.length || length < HEADER_LENGTH) return out
  }
  const body = pdu.subarray(0, length)
  const fail = (r: Fail) => ({ ...out, error: r.reason, error_status: statusName(r.status) })
  switch (id) {
    case CommandId.submit_sm:
    case CommandId.deliver_sm: {
      const r = id === CommandId.submit_sm ? readSubmitSm(body) : readDeliverSm(body)
      if (!r.ok) return fail(r)
      return { ...out, ...withoutBuffers(r), ...describeText(r, id === CommandId.deliver_sm, opts), tlvs: r.tlvs.map(describeTlv) }
    }
    case CommandId.data_sm: {
      const r = readDataSm(body)
      if (!r.ok) return fail(r)
      return { ...out, ...withoutBuffers(r), ...describeText(r, true, opts), tlvs: r.tlvs.map(describeTlv) }
    }
    case CommandId.bind_receiver:
    case CommandId.bind_transmitter:
    case CommandId.bind_transceiver: {
      const r = readBind(body)
      if (!r.ok) return fail(r)
      // The password is a secret even in a debugging tool's output.
      return { ...out, ...withoutBuffers(r), password: r.password ? '***' : '' }
    }
    case CommandId.bind_receiver_resp:
    case CommandId.bind_transmitter_resp:
    case CommandId.bind_transceiver_resp: {
      const r = readBindResp(body)
      return r.ok ? { ...out, system_id: r.system_id } : fail(r)
    }
    case CommandId.submit_sm_resp:
    case CommandId.data_sm_resp:
    case CommandId.deliver_sm_resp: {
      const r = readSubmitSmResp(body)
      return r.ok ? { ...out, message_id: r.message_id } : fail(r)
    }
    default:
      return length > HEADER_LENGTH ? { ...out, body_hex: body.subarray(HEADER_LENGTH).toString('hex') } : out
  }
}

async function readStdin(): Promise<string> {
  let s = ''
  for await (const chunk of process.stdin) s += chunk
  return s
}

export async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'default-alphabet': { type: 'string', default: 'gsm' },
        'data-coding-0f': { type: 'string', default: 'gb18030' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const alphabet = values['default-alphabet']
  const dc0f = values['data-coding-0f']
  if ((alphabet !== 'gsm' && alphabet !== 'ascii' && alphabet !== 'latin1') || (dc0f !== 'gb18030' && dc0f !== 'reserved') || positionals.length === 0) {
    console.error(USAGE)
    return 2
  }
  const input = positionals.length === 1 && positionals[0] === '-' ? await readStdin() : positionals.join('')
  const hex = input.replace(/0x/gi, '').replace(/[\s:]/g, '')
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) {
    console.error(`smpp-guard decode: not an even number of hex digits\n${USAGE}`)
    return 2
  }
  const out = describePdu(Buffer.from(hex, 'hex'), { default_alphabet: alphabet, data_coding_0f: dc0f })
  console.log(JSON.stringify(out, null, 2))
  return out.error === undefined ? 0 : 1
}
