import t from 'tap'
import fc from 'fast-check'
import { decodeUcs2, encodeUcs2 } from '../../../src/smpp/text/ucs2.js'

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex')

t.test('known vectors: BMP and a surrogate pair', async (t) => {
  t.same(encodeUcs2('您好A').bytes, hex('60a8 597d 0041'))
  t.same(encodeUcs2('😀').bytes, hex('d83d de00'))
  t.same(decodeUcs2(hex('60a8 597d d83d de00')), { text: '您好😀', decode_error: false })
  t.same(decodeUcs2(new Uint8Array(0)), { text: '', decode_error: false })
})

t.test('odd length is flagged and the last byte shows as U+FFFD', async (t) => {
  t.same(decodeUcs2(hex('0041 00')), { text: 'A\uFFFD', decode_error: true })
  t.same(decodeUcs2(hex('00')), { text: '\uFFFD', decode_error: true })
})

t.test('unpaired surrogates become U+FFFD and are flagged', async (t) => {
  t.same(decodeUcs2(hex('d83d 0041')), { text: '\uFFFDA', decode_error: true }, 'high without low')
  t.same(decodeUcs2(hex('0041 de00')), { text: 'A\uFFFD', decode_error: true }, 'low without high')
  t.same(decodeUcs2(hex('d83d')), { text: '\uFFFD', decode_error: true }, 'pair cut at the end')
  t.same(decodeUcs2(hex('de00 d83d de00')), { text: '\uFFFD😀', decode_error: true })
})

t.test('the input is not modified (decode copies before swapping)', async (t) => {
  const b = hex('60a8 597d')
  decodeUcs2(b)
  t.same(b, hex('60a8 597d'))
})

t.test('round trip of any well-formed string, emoji included', async () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (s) => {
      const r = decodeUcs2(encodeUcs2(s).bytes)
      return r.text === s && !r.decode_error
    }),
  )
})

t.test('a lone surrogate in text to encode is replaced and reported lossy', async (t) => {
  const r = encodeUcs2('a\ud800b')
  t.same(r.bytes, hex('0061 fffd 0062'))
  t.equal(r.lossy, true)
})

t.test('decode never throws', async () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => typeof decodeUcs2(b).text === 'string'))
})
