import t from 'tap'
import fc from 'fast-check'
import {
  decodeGsm,
  encodeGsm,
  gsmSeptetCount,
  isGsmText,
  packSeptets,
  unpackSeptets,
} from '../../../src/smpp/text/gsm.js'

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex')

// Every character of TS 23.038 §6.2.1 (basic table without the escape, then the extension table).
const BASIC_CHARS =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const EXT_CHARS = '\f^{}\\[~]|€'

t.test('known vectors', async (t) => {
  t.same(encodeGsm('Hello @£$').bytes, hex('48656c6c6f 20 00 01 02'))
  t.same(encodeGsm('{€}').bytes, hex('1b28 1b65 1b29'))
  t.same(encodeGsm('Δ_ΩÄÖÑÜ§¿äöñüà').bytes, hex('10 11 15 5b 5c 5d 5e 5f 60 7b 7c 7d 7e 7f'))
  t.equal(decodeGsm(hex('1b14 1b2f 1b3c 1b3d 1b3e 1b40 1b0a')).text, '^\\[~]|\f')
  t.equal(decodeGsm(hex('00 11 1b65')).text, '@_€')
})

t.test('every character round-trips', async (t) => {
  const all = BASIC_CHARS + EXT_CHARS
  t.equal(all.length, 127 + 10)
  const enc = encodeGsm(all)
  t.equal(enc.lossy, false)
  t.equal(enc.bytes.length, 127 + 20)
  t.same(decodeGsm(enc.bytes), { text: all, decode_error: false })
  t.ok(isGsmText(all))
  t.equal(gsmSeptetCount(all), 147)
})

t.test('bytes outside the alphabet are flagged, never thrown', async (t) => {
  t.same(decodeGsm(hex('41 80 42')), { text: 'A\uFFFDB', decode_error: true })
  t.same(decodeGsm(hex('41 1b')), { text: 'A\uFFFD', decode_error: true }, 'trailing lone escape')
  t.same(decodeGsm(hex('1b ff')), { text: '\uFFFD', decode_error: true })
  t.same(decodeGsm(hex('1b 41')), { text: 'A', decode_error: false }, 'escape + unknown shows the basic char')
  t.same(decodeGsm(hex('1b 1b 41')), { text: ' A', decode_error: false }, 'escape escape shows a space')
  t.same(decodeGsm(new Uint8Array(0)), { text: '', decode_error: false })
})

t.test('characters outside the alphabet encode as ? and set lossy', async (t) => {
  const r = encodeGsm('a你b')
  t.same(r.bytes, hex('61 3f 62'))
  t.equal(r.lossy, true)
  t.notOk(isGsmText('a你b'))
  const c = encodeGsm('ç')
  t.same(c.bytes, hex('09'), 'ç is written as 0x09 like handsets and Perl Encode do')
  t.equal(c.lossy, true)
})

t.test('decode(encode(x)) = x for any GSM string', async () => {
  const gsmChar = fc.constantFrom(...Array.from(BASIC_CHARS + EXT_CHARS))
  fc.assert(
    fc.property(fc.array(gsmChar, { maxLength: 300 }), (chars) => {
      const s = chars.join('')
      const r = decodeGsm(encodeGsm(s).bytes)
      return r.text === s && !r.decode_error
    }),
  )
})

t.test('decode never throws on any bytes', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const r = decodeGsm(b)
      return typeof r.text === 'string'
    }),
  )
})

t.test('packed 7-bit: the TS 23.038 example and round trips with fill bits', async (t) => {
  // "hellohello" packed, the classic example of TS 23.038 §6.1.2.1.1 tutorials.
  const septets = encodeGsm('hellohello').bytes
  t.same(packSeptets(septets), hex('e8329bfd4697d9ec37'))
  t.same(Buffer.from(unpackSeptets(hex('e8329bfd4697d9ec37'), 10)), septets)
  // 8 septets fill 7 octets exactly.
  t.equal(packSeptets(encodeGsm('12345678').bytes).length, 7)
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }).map((a) => a.map((x) => x & 0x7f)),
      fc.integer({ min: 0, max: 6 }),
      (s, fill) => {
        const packed = packSeptets(s, fill)
        return Buffer.from(unpackSeptets(packed, s.length, fill)).equals(Buffer.from(s))
      },
    ),
  )
})
