import t from 'tap'
import fc from 'fast-check'
import { decodeAscii, encodeAscii } from '../../../src/smpp/text/ascii.js'

t.test('IA5 round trip and flagged high bytes', async (t) => {
  const s = 'Hello, World! 123 @$_{}\r\n'
  t.same(decodeAscii(encodeAscii(s).bytes), { text: s, decode_error: false })
  t.same(decodeAscii(Buffer.from([0x41, 0xe9, 0x42])), { text: 'A\uFFFDB', decode_error: true })
  const lossy = encodeAscii('café')
  t.same(lossy.bytes, Buffer.from('caf?'))
  t.equal(lossy.lossy, true)
  t.same(encodeAscii('😀x').bytes, Buffer.from('?x'), 'one ? per character, not per UTF-16 unit')
})

t.test('any 7-bit bytes round-trip', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }).map((a) => a.map((x) => x & 0x7f)), (b) => {
      const r = decodeAscii(b)
      return !r.decode_error && encodeAscii(r.text).bytes.equals(Buffer.from(b))
    }),
  )
})
