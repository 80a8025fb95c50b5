import t from 'tap'
import fc from 'fast-check'
import smpp from 'smpp'
import { CommandId, CommandStatus, Tag } from '../../src/smpp/constants.js'
import { readBind, readDeliverSm, readSubmitSm, readSubmitSmResp, readSubmitSmRespId, tlvUint, tlvCString, findTlv } from '../../src/smpp/pdu.js'
import {
  encodeBind,
  encodeBindResp,
  encodeDeliverSm,
  encodeGenericNack,
  encodeSubmitSm,
  encodeSubmitSmResp,
  cstringTlv,
  uintTlv,
} from '../../src/smpp/encode.js'
import { readCommandId, readCommandStatus, readSequence, writeSequence } from '../../src/smpp/header.js'
import { SUBMIT_SM } from '../../src/smpp/layout.js'

t.test('submit_sm encoded by the smpp package reads back the same fields', async (t) => {
  const text = Buffer.from('您的验证码是123456😀', 'utf16le').swap16()
  const pdu = new smpp.PDU('submit_sm', {
    sequence_number: 42,
    service_type: 'CMT',
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: '1069123',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '8613800138000',
    esm_class: 0,
    registered_delivery: 1,
    data_coding: 8,
    short_message: text,
    sar_msg_ref_num: 513,
    sar_total_segments: 3,
    sar_segment_seqnum: 2,
  }).toBuffer()
  const r = readSubmitSm(pdu)
  t.ok(r.ok)
  if (!r.ok) return
  t.equal(r.service_type, 'CMT')
  t.equal(r.source_addr_ton, 5)
  t.equal(r.source_addr, '1069123')
  t.equal(r.destination_addr, '8613800138000')
  t.equal(r.registered_delivery, 1)
  t.equal(r.data_coding, 8)
  t.ok(r.short_message.equals(text))
  t.equal(tlvUint(r.tlvs, Tag.sar_msg_ref_num), 513)
  t.equal(tlvUint(r.tlvs, Tag.sar_total_segments), 3)
  t.equal(tlvUint(r.tlvs, Tag.sar_segment_seqnum), 2)
  t.equal(readSequence(pdu), 42)
})

t.test('our submit_sm and deliver_sm decode identically in the smpp package', async (t) => {
  const sm = Buffer.from('hello')
  const tlvs = [cstringTlv(Tag.receipted_message_id, 'abc123'), uintTlv(Tag.message_state, 2, 1)]
  const ours = encodeDeliverSm(9, { source_addr: '13800138000', destination_addr: '1069', esm_class: 4, short_message: sm, tlvs })
  const theirs = smpp.PDU.fromBuffer(ours)
  t.ok(theirs)
  if (!theirs) return
  t.equal(theirs.command, 'deliver_sm')
  t.equal(theirs.sequence_number, 9)
  t.equal(theirs.receipted_message_id, 'abc123')
  t.equal(theirs.message_state, 2)
  const back = readDeliverSm(ours)
  t.ok(back.ok && back.esm_class === 4 && tlvCString(back.tlvs, Tag.receipted_message_id) === 'abc123')
})

t.test('bind round trip and bind_resp', async (t) => {
  const b = encodeBind(CommandId.bind_transceiver, 1, { system_id: 'demo', password: 'pw', system_type: 'x' })
  const theirs = smpp.PDU.fromBuffer(b)
  t.ok(theirs && theirs.command === 'bind_transceiver' && theirs.system_id === 'demo' && theirs.password === 'pw')
  const r = readBind(b)
  t.ok(r.ok && r.system_id === 'demo' && r.password === 'pw' && r.interface_version === 0x34)
  const ok = encodeBindResp(CommandId.bind_transceiver, 0, 1, 'guard')
  t.equal(readCommandId(ok), CommandId.bind_transceiver_resp)
  const resp = smpp.PDU.fromBuffer(ok)
  t.ok(resp && resp.system_id === 'guard')
  const bad = encodeBindResp(CommandId.bind_transmitter, CommandStatus.ESME_RINVPASWD, 2, 'guard')
  t.equal(bad.length, 16, 'error bind_resp has no body')
  t.equal(readCommandStatus(bad), CommandStatus.ESME_RINVPASWD)
})

t.test('submit_sm_resp: body on success, none on error', async (t) => {
  const ok = encodeSubmitSmResp(0, 3, 'ff01')
  const r = readSubmitSmResp(ok)
  t.ok(r.ok && r.message_id === 'ff01')
  const err = encodeSubmitSmResp(CommandStatus.ESME_RTHROTTLED, 4, 'ignored')
  t.equal(err.length, 16)
  t.ok(readSubmitSmResp(err).ok)
  const nack = encodeGenericNack(CommandStatus.ESME_RINVCMDID, 5)
  t.equal(readCommandId(nack) >>> 0, CommandId.generic_nack)
})

t.test('readSubmitSmRespId finds the id wherever the walker does, and none where it does not', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 90 }), (body) => {
      const pdu = Buffer.concat([encodeSubmitSmResp(0, 1, ''), body]).subarray(0, 16 + body.length)
      pdu.writeUInt32BE(pdu.length, 0)
      const r = readSubmitSmResp(pdu)
      return readSubmitSmRespId(pdu) === (r.ok ? r.message_id : '')
    }),
    { numRuns: 2000 },
  )
  t.pass('2,000 random bodies read alike')
  t.equal(readSubmitSmRespId(encodeSubmitSmResp(0, 3, 'ff01')), 'ff01')
  t.equal(readSubmitSmRespId(encodeSubmitSmResp(0, 3, 'x'.repeat(64))), 'x'.repeat(64), 'the longest id')
})

t.test('writeSequence rewrites in place and nothing else', async (t) => {
  const pdu = encodeSubmitSm(1, { source_addr: 'a', destination_addr: 'b', short_message: Buffer.from('x') })
  const copy = Buffer.from(pdu)
  writeSequence(pdu, 0x7fffffff)
  t.equal(readSequence(pdu), 0x7fffffff)
  t.ok(pdu.subarray(16).equals(copy.subarray(16)))
  t.ok(pdu.subarray(0, 12).equals(copy.subarray(0, 12)))
})

t.test('malformed bodies give a status, never a throw', async (t) => {
  const good = encodeSubmitSm(1, {
    source_addr: '1069',
    destination_addr: '13800138000',
    short_message: Buffer.from('hi'),
    tlvs: [uintTlv(Tag.sar_msg_ref_num, 1, 2)],
  })
  fc.assert(
    fc.property(fc.integer({ min: 16, max: good.length - 1 }), (cut) => {
      const pdu = Buffer.from(good.subarray(0, cut))
      pdu.writeUInt32BE(cut, 0)
      const r = readSubmitSm(pdu)
      return r.ok === false || r.tlvs.length === 0
    }),
  )
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (body) => {
      const pdu = Buffer.concat([Buffer.alloc(16), Buffer.from(body)])
      pdu.writeUInt32BE(pdu.length, 0)
      const r = readSubmitSm(pdu)
      return r.ok === true || (typeof r.status === 'number' && r.status > 0)
    }),
  )
  const longAddr = encodeSubmitSm(1, { source_addr: '1'.repeat(30), destination_addr: '1' })
  const r = readSubmitSm(longAddr)
  t.equal(r.ok ? 0 : r.status, CommandStatus.ESME_RINVSRCADR)
  const badTlv = Buffer.concat([good, Buffer.from([0x02, 0x0c, 0x00, 0x09, 0x01])])
  badTlv.writeUInt32BE(badTlv.length, 0)
  const b = readSubmitSm(badTlv)
  t.equal(b.ok ? 0 : b.status, CommandStatus.ESME_RINVOPTPARSTREAM)
  t.equal(findTlv([], 1), undefined)
})

// The layout table read field by field, as the specification states it: the oracle for the specialised
// submit_sm reader, on every truncation and single-byte change of PDUs with and without optional parameters.
function layoutReading(pdu: Buffer): unknown {
  const fields: Record<string, unknown> = { ok: true }
  let off = 16
  for (const spec of SUBMIT_SM) {
    if (spec[1] === 'u8') {
      if (off >= pdu.length) return { ok: false, status: CommandStatus.ESME_RINVCMDLEN, reason: `truncated at ${spec[0]}` }
      fields[spec[0]] = pdu[off++]
    } else if (spec[1] === 'cstr') {
      const limit = Math.min(pdu.length, off + spec[2])
      const nul = pdu.subarray(off, limit).indexOf(0)
      if (nul === -1) return { ok: false, status: off + spec[2] > pdu.length ? CommandStatus.ESME_RINVCMDLEN : spec[3], reason: `bad ${spec[0]}` }
      fields[spec[0]] = pdu.toString('latin1', off, off + nul)
      off += nul + 1
    } else {
      if (off >= pdu.length) return { ok: false, status: CommandStatus.ESME_RINVCMDLEN, reason: 'truncated at sm_length' }
      const len = pdu[off++]
      if (off + len > pdu.length) return { ok: false, status: CommandStatus.ESME_RINVMSGLEN, reason: 'sm_length beyond PDU' }
      fields[spec[0]] = Buffer.from(pdu.subarray(off, off + len))
      off += len
    }
  }
  const tlvs: { tag: number; value: Buffer }[] = []
  while (off < pdu.length) {
    if (off + 4 > pdu.length) return { ok: false, status: CommandStatus.ESME_RINVOPTPARSTREAM, reason: 'truncated TLV header' }
    const tag = pdu.readUInt16BE(off)
    const len = pdu.readUInt16BE(off + 2)
    if (off + 4 + len > pdu.length) return { ok: false, status: CommandStatus.ESME_RINVOPTPARSTREAM, reason: `TLV 0x${tag.toString(16)} overruns PDU` }
    tlvs.push({ tag, value: Buffer.from(pdu.subarray(off + 4, off + 4 + len)) })
    off += 4 + len
  }
  fields.tlvs = tlvs
  return fields
}

t.test('submit_sm and deliver_sm read exactly as their layout says, malformed or not', async (t) => {
  const samples = [
    encodeSubmitSm(7, {
      service_type: 'CMT',
      source_addr: '1069123',
      destination_addr: '8613800138000',
      esm_class: 0x40,
      registered_delivery: 1,
      data_coding: 8,
      short_message: Buffer.from('0500030a0201', 'hex'),
      tlvs: [uintTlv(Tag.sar_msg_ref_num, 9, 2), cstringTlv(Tag.receipted_message_id, 'a1')],
    }),
    encodeSubmitSm(8, { source_addr: '', destination_addr: '1', short_message: Buffer.alloc(0) }),
    // Every C-octet string at its longest, so that a lost NUL reaches each field's limit.
    encodeSubmitSm(10, {
      service_type: 'ABCDE',
      source_addr: '1'.repeat(20),
      destination_addr: '2'.repeat(20),
      schedule_delivery_time: '000001000000000R',
      short_message: Buffer.from('x'),
    }),
    encodeSubmitSm(11, { source_addr: '1', destination_addr: '2'.repeat(20), validity_period: '000001000000000R', short_message: Buffer.from('y') }),
    encodeDeliverSm(9, { source_addr: '13800138000', destination_addr: '1069', esm_class: 4, short_message: Buffer.from('id:1 stat:DELIVRD') }),
  ]
  let checked = 0
  for (const good of samples) {
    for (let cut = 16; cut <= good.length; cut++) {
      const pdu = Buffer.from(good.subarray(0, cut))
      t.same(readSubmitSm(pdu), layoutReading(pdu))
      t.same(readDeliverSm(pdu), layoutReading(pdu))
      checked++
    }
    for (let i = 16; i < good.length; i++) {
      for (const b of [0x00, 0x01, 0x41, 0xff]) {
        const pdu = Buffer.from(good)
        pdu[i] = b
        t.same(readSubmitSm(pdu), layoutReading(pdu))
        checked++
      }
    }
  }
  t.ok(checked > 300)
})
