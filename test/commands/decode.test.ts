import t, { type Test } from 'tap'
import smpp from 'smpp'
import { describePdu, main } from '../../src/commands/decode.js'
import { CommandId, Tag } from '../../src/smpp/constants.js'
import { cstringTlv, encodeDeliverSm, encodeSubmitSm, encodeSubmitSmResp, uintTlv } from '../../src/smpp/encode.js'
import { formatReceipt } from '../../src/smpp/receipt.js'
import { encodeText } from '../../src/smpp/text/index.js'
import { buildConcatUdh } from '../../src/smpp/udh.js'

const gsm = { default_alphabet: 'gsm' } as const

async function run(t: Test, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const log = t.capture(console, 'log')
  const error = t.capture(console, 'error')
  const code = await main(argv)
  const text = (c: { args: unknown[] }[]) => c.map((x) => x.args.join(' ')).join('\n')
  return { code, out: text(log()), err: text(error()) }
}

t.test('a concatenated UCS2 part encoded by the smpp package', async (t) => {
  const hex = new smpp.PDU('submit_sm', {
    sequence_number: 7,
    source_addr: '10690001',
    destination_addr: '8613800138000',
    registered_delivery: 1,
    data_coding: 8,
    short_message: { udh: buildConcatUdh(0x2a, 2, 1), message: '禁止赌' },
  })
    .toBuffer()
    .toString('hex')
  const { code, out } = await run(t, [hex])
  t.equal(code, 0)
  const j = JSON.parse(out)
  t.match(j, {
    command: 'submit_sm',
    command_id: '0x00000004',
    status: 'ESME_ROK',
    sequence_number: 7,
    source_addr: '10690001',
    destination_addr: '8613800138000',
    esm_class: 0x40,
    data_coding: 8,
    text_source: 'short_message',
    udh: { hex: '0500032a0201', elements: [{ iei: '0x00', hex: '2a0201' }] },
    concat: { ref: 0x2a, total: 2, seq: 1, scheme: 'udh8' },
    alphabet: 'ucs2',
    text: '禁止赌',
    encoding: 'ucs2',
    decode_error: false,
  })
})

t.test('a delivery receipt: text fields and TLVs', async (t) => {
  const text = formatReceipt({ id: 'abc123', submit_date: '2611290938', done_date: '2611290939', stat: 'DELIVRD', err: 0, text: 'hello' })
  const pdu = encodeDeliverSm(3, {
    source_addr: '8613800138000',
    destination_addr: '10690001',
    esm_class: 0x04,
    short_message: encodeText(0, text, gsm).bytes,
    tlvs: [cstringTlv(Tag.receipted_message_id, 'abc123'), uintTlv(Tag.message_state, 2, 1)],
  })
  const j = describePdu(pdu, gsm)
  t.match(j, {
    command: 'deliver_sm',
    text,
    receipt: { id: 'abc123', stat: 'DELIVRD', err: '000', text: 'hello' },
    tlvs: [
      { tag: '0x001e', name: 'receipted_message_id', value: 'abc123' },
      { tag: '0x0427', name: 'message_state', value: 2, state: 'DELIVERED' },
    ],
  })
})

t.test('sar_* TLVs, message_payload, GBK, and the default alphabet option', async (t) => {
  const sar = encodeSubmitSm(1, {
    source_addr: 'a',
    destination_addr: 'b',
    data_coding: 0x0f,
    tlvs: [
      uintTlv(Tag.sar_msg_ref_num, 513, 2),
      uintTlv(Tag.sar_total_segments, 3, 1),
      uintTlv(Tag.sar_segment_seqnum, 2, 1),
      { tag: Tag.message_payload, value: Buffer.from('c4e3bac3', 'hex') },
    ],
  })
  t.match(describePdu(sar, gsm), { concat: { ref: 513, total: 3, seq: 2, scheme: 'sar' }, text_source: 'message_payload', text: '你好', encoding: 'gb18030' })
  const dc0 = encodeSubmitSm(1, { source_addr: 'a', destination_addr: 'b', short_message: Buffer.from('$_') })
  t.match(describePdu(dc0, gsm), { text: '¤§', encoding: 'gsm' })
  const { out } = await run(t, ['--default-alphabet', 'ascii', dc0.toString('hex')])
  t.match(JSON.parse(out), { text: '$_', encoding: 'ascii' })
})

t.test('bind hides the password; responses and header-only PDUs', async (t) => {
  const bind = new smpp.PDU('bind_transceiver', { system_id: 'acme', password: 'secret' }).toBuffer()
  t.match(describePdu(bind, gsm), { command: 'bind_transceiver', system_id: 'acme', password: '***' })
  t.notMatch(JSON.stringify(describePdu(bind, gsm)), /secret/)
  t.match(describePdu(encodeSubmitSmResp(0, 9, 'ff01'), gsm), { command: 'submit_sm_resp', message_id: 'ff01', sequence_number: 9 })
  t.match(describePdu(encodeSubmitSmResp(0x58, 9, ''), gsm), { status: 'ESME_RTHROTTLED', message_id: '' })
  const el = Buffer.from('00000010000000150000000000000001', 'hex')
  t.same(describePdu(el, gsm), { command_length: 16, command_id: '0x00000015', command: 'enquire_link', command_status: '0x00000000', status: 'ESME_ROK', sequence_number: 1 })
  t.equal(CommandId.enquire_link, 0x15)
})

t.test('broken input is reported, never thrown', async (t) => {
  t.match(describePdu(Buffer.from('0000', 'hex'), gsm), { error: /at least 16/ })
  t.match(describePdu(Buffer.from('00000020000000040000000000000001', 'hex'), gsm), { error: /command_length 32 but 16/ })
  const truncated = Buffer.from('00000014000000040000000000000001' + '00000000', 'hex')
  t.match(describePdu(truncated, gsm), { command: 'submit_sm', error: /truncated|bad/ })
  const r = await run(t, ['00000014000000040000000000000001', '00000000'])
  t.equal(r.code, 1, 'hex may be given in several arguments')
  t.equal((await run(t, ['zz'])).code, 2)
  t.equal((await run(t, [])).code, 2)
  t.equal((await run(t, ['--default-alphabet', 'ebcdic', '00'])).code, 2)
})

t.test('data_sm, a broken UDH, incomplete sar_*, and a PDU we do not parse', async (t) => {
  const dataSm = new smpp.PDU('data_sm', {
    source_addr: '8613800138000',
    destination_addr: '10690001',
    data_coding: 8,
    message_payload: Buffer.from('90008ba2', 'hex'),
  }).toBuffer()
  t.match(describePdu(dataSm, gsm), { command: 'data_sm', text_source: 'message_payload', text: '退订', tlvs: [{ name: 'message_payload' }] })
  const badUdh = encodeSubmitSm(1, { source_addr: 'a', destination_addr: 'b', esm_class: 0x40, short_message: Buffer.from('09000301', 'hex') })
  t.match(describePdu(badUdh, gsm), { udh: { error: 'udh_too_long', hex: '09000301' } })
  const halfSar = encodeSubmitSm(1, { source_addr: 'a', destination_addr: 'b', short_message: Buffer.from('x'), tlvs: [uintTlv(Tag.sar_msg_ref_num, 1, 2)] })
  t.match(describePdu(halfSar, gsm), { sar: { error: 'sar_incomplete' }, text: 'x' })
  const query = new smpp.PDU('query_sm', { message_id: '42', source_addr: '1' }).toBuffer()
  t.match(describePdu(query, gsm), { command: 'query_sm', body_hex: /^3432/ })
  const unknown = Buffer.from('000000100000ffff0000000000000001', 'hex')
  t.match(describePdu(unknown, gsm), { command: 'unknown', command_id: '0x0000ffff' })
  t.match((await run(t, ['--help'])).out, /usage: smpp-guard decode/)
})
