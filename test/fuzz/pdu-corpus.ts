// Seeds and mutators for fuzzing the wire layer: valid PDUs of every kind we read, then mutations a hostile
// or broken peer produces (flipped bytes, wrong lengths, truncated TLVs, unterminated or huge C-strings).
import fc from 'fast-check'
import { CommandId, Tag } from '../../src/smpp/constants.js'
import { encodeBind, encodeDeliverSm, encodeEnquireLink, encodeSubmitSm, encodeSubmitSmResp, encodeUnbind, uintTlv, cstringTlv } from '../../src/smpp/encode.js'

export const seeds: readonly Buffer[] = [
  encodeBind(CommandId.bind_transceiver, 1, { system_id: 'demo', password: 'demo' }),
  encodeSubmitSm(2, {
    source_addr: '10690001',
    destination_addr: '13800138000',
    data_coding: 8,
    esm_class: 0x40,
    short_message: Buffer.from('050003010201004f60597d', 'hex'),
  }),
  encodeSubmitSm(3, {
    source_addr: 'BANK',
    destination_addr: '8613800138000',
    short_message: Buffer.from('hello'),
    tlvs: [uintTlv(Tag.sar_msg_ref_num, 7, 2), uintTlv(Tag.sar_total_segments, 2, 1), uintTlv(Tag.sar_segment_seqnum, 1, 1), { tag: 0x1400, value: Buffer.from('vendor') }],
  }),
  encodeSubmitSm(4, { source_addr: '1', destination_addr: '2', tlvs: [{ tag: Tag.message_payload, value: Buffer.alloc(300, 0x41) }] }),
  encodeDeliverSm(5, { source_addr: '13800138000', destination_addr: '1069', esm_class: 4, short_message: Buffer.from('id:1 stat:DELIVRD'), tlvs: [cstringTlv(Tag.receipted_message_id, '1')] }),
  encodeSubmitSmResp(0, 6, 'abc'),
  encodeEnquireLink(7),
  encodeUnbind(8),
]

/** A PDU from the seeds, mutated in one of the ways peers get it wrong. */
export const mutatedPdu: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('length' as const), len: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 16, max: 400 }), fc.constant(0xffffffff)) }),
      fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ maxLength: 64 }) }),
      fc.record({ kind: fc.constant('nulls' as const), from: fc.nat(), n: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ kind: fc.constant('random' as const), body: fc.uint8Array({ maxLength: 300 }), id: fc.constantFrom(...Object.values(CommandId)) }),
    ),
  )
  .map(([seed, m]) => {
    const b = Buffer.from(seed)
    switch (m.kind) {
      case 'flip':
        for (let i = 0; i < m.n; i++) b[16 + ((m.at + i * 7) % Math.max(1, b.length - 16))] = m.byte
        return b
      case 'truncate': {
        const cut = 16 + (m.at % Math.max(1, b.length - 16))
        const t = Buffer.from(b.subarray(0, cut))
        t.writeUInt32BE(cut, 0)
        return t
      }
      case 'length':
        b.writeUInt32BE(m.len >>> 0, 0)
        return b
      case 'extend': {
        const e = Buffer.concat([b, Buffer.from(m.extra)])
        e.writeUInt32BE(e.length, 0)
        return e
      }
      case 'nulls': {
        // Removes NUL terminators: C-strings run on into the next fields or past the end.
        for (let i = 16 + (m.from % Math.max(1, b.length - 16)), k = 0; i < b.length && k < m.n; i++, k++) if (b[i] === 0) b[i] = 0x41
        return b
      }
      case 'random': {
        const r = Buffer.concat([Buffer.alloc(16), Buffer.from(m.body)])
        r.writeUInt32BE(r.length, 0)
        r.writeUInt32BE(m.id >>> 0, 4)
        return r
      }
    }
  })
