import t from 'tap'
import fc from 'fast-check'
import { decodeGb18030, encodeGb18030 } from '../../../src/smpp/text/gb18030.js'

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex')

t.test('GBK two-byte, GB18030 four-byte and ASCII vectors', async (t) => {
  t.same(encodeGb18030('你好A').bytes, hex('c4e3 bac3 41'))
  t.same(encodeGb18030('€').bytes, hex('a2e3'), 'the two-byte code, not the WHATWG single 0x80')
  t.same(encodeGb18030('\u0080').bytes, hex('8130 8130'), 'BMP character outside GBK: four bytes')
  t.same(encodeGb18030('😀').bytes, hex('9439 fc36'), 'supplementary plane: linear four-byte code')
  t.same(decodeGb18030(hex('c4e3 bac3 9439 fc36')), { text: '你好😀', decode_error: false })
})

t.test('truncated or invalid sequences are flagged, never thrown', async (t) => {
  const r = decodeGb18030(hex('c4e3 ba'))
  t.equal(r.decode_error, true)
  t.match(r.text, /^你\uFFFD/)
  t.equal(decodeGb18030(hex('ff')).decode_error, true)
})

t.test('round trip of any string without lone surrogates', async () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
      const e = encodeGb18030(s)
      const r = decodeGb18030(e.bytes)
      return !e.lossy && r.text === s && !r.decode_error
    }),
  )
  fc.assert(
    fc.property(fc.string({ unit: fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCharCode(c)), maxLength: 60 }), (s) => {
      const r = decodeGb18030(encodeGb18030(s).bytes)
      return r.text === s && !r.decode_error
    }),
  )
})
