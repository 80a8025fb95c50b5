import t from 'tap'
import fc from 'fast-check'
import smpp from 'smpp'
import { Tag } from '../../src/smpp/constants.js'
import { findTlv, readSubmitSm } from '../../src/smpp/pdu.js'
import { buildConcatUdh, parseUdh, readSarConcat } from '../../src/smpp/udh.js'

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex')

t.test('8-bit and 16-bit concatenation elements', async (t) => {
  t.same(parseUdh(hex('050003 2a 03 02 4142')), {
    ok: true,
    offset: 6,
    elements: [{ iei: 0, offset: 3, length: 3 }],
    concat: { ref: 0x2a, total: 3, seq: 2, scheme: 'udh8' },
  })
  const r = parseUdh(hex('060804 1234 02 01 00'))
  t.same(r.ok && r.concat, { ref: 0x1234, total: 2, seq: 1, scheme: 'udh16' })
  t.equal(r.ok && r.offset, 7)
})

t.test('concatenation among other elements (ports, language shift)', async (t) => {
  // 0x05 application ports (16-bit), then concat, then 0x25 national language locking shift.
  const r = parseUdh(hex('0e 0504 0b84 23f0 0003 07 02 02 2501 01 ffff'))
  t.ok(r.ok)
  if (!r.ok) return
  t.same(r.concat, { ref: 7, total: 2, seq: 2, scheme: 'udh8' })
  t.equal(r.offset, 15)
  t.same(r.elements.map((e) => e.iei), [0x05, 0x00, 0x25])
})

t.test('no concatenation element: ok without concat', async (t) => {
  const r = parseUdh(hex('04 0502 0b84 41'))
  t.same(r, { ok: true, offset: 5, elements: [{ iei: 5, offset: 3, length: 2 }] })
  t.same(parseUdh(hex('00 41')), { ok: true, offset: 1, elements: [] })
})

t.test('malformed headers are reported, not thrown', async (t) => {
  t.same(parseUdh(hex('')), { ok: false, reason: 'udh_too_long' })
  t.same(parseUdh(hex('09 0003 01 02 01')), { ok: false, reason: 'udh_too_long' })
  t.same(parseUdh(hex('04 0005 01 02')), { ok: false, reason: 'element_overrun' })
  t.same(parseUdh(hex('01 00')), { ok: false, reason: 'element_overrun' })
  t.same(parseUdh(hex('05 0003 01 02 03')), { ok: false, reason: 'bad_concat' }, 'seq > total')
  t.same(parseUdh(hex('05 0003 01 00 00')), { ok: false, reason: 'bad_concat' }, 'total 0')
  t.same(parseUdh(hex('04 0002 01 02')), { ok: false, reason: 'bad_concat' }, 'wrong element length')
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => typeof parseUdh(b).ok === 'boolean'))
})

t.test('a repeated concatenation element: the last one wins', async (t) => {
  const r = parseUdh(hex('0a 0003 01 02 01 0003 09 03 03'))
  t.same(r.ok && r.concat, { ref: 9, total: 3, seq: 3, scheme: 'udh8' })
})

t.test('buildConcatUdh round-trips through parseUdh', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 255 }), fc.nat(), fc.boolean(), fc.nat(65535), (total, s, wide, ref) => {
      const seq = (s % total) + 1
      const bits = wide ? 16 : 8
      const r = parseUdh(buildConcatUdh(ref, total, seq, bits))
      return r.ok && r.concat?.ref === (wide ? ref : ref & 0xff) && r.concat.total === total && r.concat.seq === seq && r.concat.scheme === (wide ? 'udh16' : 'udh8')
    }),
  )
})

t.test('sar_* TLVs', async (t) => {
  t.same(readSarConcat(undefined, undefined, undefined), { ok: true })
  t.same(readSarConcat(hex('0201'), hex('03'), hex('02')), { ok: true, concat: { ref: 0x201, total: 3, seq: 2, scheme: 'sar' } })
  t.same(readSarConcat(hex('0201'), hex('03'), undefined), { ok: false, reason: 'sar_incomplete' })
  t.same(readSarConcat(hex('01'), hex('03'), hex('02')), { ok: false, reason: 'sar_bad_length' })
  t.same(readSarConcat(hex('0001'), hex('02'), hex('03')), { ok: false, reason: 'bad_concat' })
})

t.test('the smpp package as oracle: its UDH and sar_* TLVs read back', async (t) => {
  const udh = Buffer.from([0x05, 0x00, 0x03, 0x7f, 0x02, 0x01])
  const pdu = new smpp.PDU('submit_sm', {
    source_addr: '1',
    destination_addr: '2',
    data_coding: 8,
    short_message: { udh, message: '您好' },
  }).toBuffer()
  const r = readSubmitSm(pdu)
  t.ok(r.ok)
  if (!r.ok) return
  t.equal(r.esm_class & 0x40, 0x40, 'the package sets UDHI')
  const u = parseUdh(r.short_message)
  t.same(u.ok && u.concat, { ref: 0x7f, total: 2, seq: 1, scheme: 'udh8' })
  t.same(u.ok && r.short_message.subarray(u.offset), hex('60a8 597d'))

  const sar = readSubmitSm(
    new smpp.PDU('submit_sm', {
      source_addr: '1',
      destination_addr: '2',
      short_message: 'x',
      sar_msg_ref_num: 0xbeef,
      sar_total_segments: 4,
      sar_segment_seqnum: 4,
    }).toBuffer(),
  )
  t.ok(sar.ok)
  if (!sar.ok) return
  t.same(
    readSarConcat(findTlv(sar.tlvs, Tag.sar_msg_ref_num), findTlv(sar.tlvs, Tag.sar_total_segments), findTlv(sar.tlvs, Tag.sar_segment_seqnum)),
    { ok: true, concat: { ref: 0xbeef, total: 4, seq: 4, scheme: 'sar' } },
  )
})
