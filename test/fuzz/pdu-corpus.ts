// Seeds and mutators for fuzzing the wire layer: valid PDUs of every kind we read, then mutations a hostile
// or broken peer produces (flipped bytes, wrong lengths, truncated TLVs, unterminated or huge C-strings,
// command ids nobody defined).
import fc from 'fast-check'
import { CommandId, CommandStatus, MAX_PDU_LENGTH, Tag } from '../../src/smpp/constants.js'
import {
  encodeBind,
  encodeDeliverSm,
  encodeEnquireLink,
  encodeGenericNack,
  encodeResponse,
  encodeSubmitSm,
  encodeSubmitSmResp,
  encodeUnbind,
  uintTlv,
  cstringTlv,
} from '../../src/smpp/encode.js'
import { writeHeader } from '../../src/smpp/header.js'

/** A request with an empty body: outbind, query_sm and the like carry fields we never read. */
function bare(commandId: number, seq: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.concat([Buffer.alloc(16), body])
  writeHeader(b, commandId, CommandStatus.ESME_ROK, seq)
  b.writeUInt32BE(b.length, 0)
  return b
}

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
  encodeGenericNack(CommandStatus.ESME_RINVCMDID, 9),
  encodeResponse(CommandId.deliver_sm, CommandStatus.ESME_ROK, 10),
  encodeResponse(CommandId.unbind, CommandStatus.ESME_ROK, 11),
  bare(CommandId.outbind, 12, Buffer.from('demo\0demo\0', 'latin1')),
  bare(CommandId.query_sm, 13, Buffer.from('1\0\x01\x0113800138000\0', 'latin1')),
  bare(CommandId.alert_notification, 14, Buffer.from('\x01\x011\0\x01\x012\0', 'latin1')),
  encodeSubmitSm(15, { source_addr: '10690001', destination_addr: '13800138000', short_message: Buffer.from('【商城】您的验证码是 1234') }),
]

export type Mutation =
  | { kind: 'flip'; at: number; byte: number; n: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'truncate_tlv'; back: number }
  | { kind: 'length'; len: number }
  | { kind: 'extend'; extra: Uint8Array }
  | { kind: 'nulls'; from: number; n: number }
  | { kind: 'random'; body: Uint8Array; id: number }
  | { kind: 'command'; id: number }
  | { kind: 'huge_cstring'; at: number; n: number; byte: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate_tlv' as const), back: fc.integer({ min: 1, max: 7 }) }),
  fc.record({
    kind: fc.constant('length' as const),
    // Above the 64 KiB maximum the receiver must skip the bytes the length claims; 0xffffffff never ends.
    len: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 16, max: 400 }), fc.integer({ min: MAX_PDU_LENGTH + 1, max: 4 * MAX_PDU_LENGTH }), fc.constant(0xffffffff)),
  }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('nulls' as const), from: fc.nat(), n: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('random' as const), body: fc.uint8Array({ maxLength: 300 }), id: fc.constantFrom(...Object.values(CommandId)) }),
  // Ids nobody defined, with and without the response bit.
  fc.record({ kind: fc.constant('command' as const), id: fc.oneof(fc.integer({ min: 0, max: 0x3ff }), fc.integer({ min: 0, max: 0xffffffff })) }),
  fc.record({
    kind: fc.constant('huge_cstring' as const),
    at: fc.nat(),
    // Mostly a few KiB, sometimes up to the 64 KiB maximum: the bytes cost the fuzzers' runtime.
    n: fc.oneof({ arbitrary: fc.integer({ min: 256, max: 4096 }), weight: 9 }, { arbitrary: fc.integer({ min: 4097, max: MAX_PDU_LENGTH - 1024 }), weight: 1 }),
    byte: fc.integer({ min: 1, max: 255 }),
  }),
)

/** Applies one mutation to a copy of `seed`. */
export function mutate(seed: Buffer, m: Mutation): Buffer {
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
    case 'truncate_tlv': {
      // The last few bytes hold the last TLV's header or value: cutting there leaves a TLV shorter than it claims.
      const cut = Math.max(16, b.length - m.back)
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
    case 'command':
      b.writeUInt32BE(m.id >>> 0, 4)
      return b
    case 'huge_cstring': {
      // Non-NUL bytes inserted in the body: the C-string they land in grows without a terminator in sight.
      const at = 16 + (m.at % Math.max(1, b.length - 16 + 1))
      const h = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.n, m.byte), b.subarray(at)])
      h.writeUInt32BE(h.length, 0)
      return h
    }
  }
}

/** A PDU from `from`, mutated in one of the ways peers get it wrong. */
export function mutatedFrom(from: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc.tuple(fc.constantFrom(...from), mutation).map(([seed, m]) => mutate(seed, m))
}

export const mutatedPdu: fc.Arbitrary<Buffer> = mutatedFrom(seeds)
