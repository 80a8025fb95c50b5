import t from 'tap'
import fc from 'fast-check'
import smpp from 'smpp'
import type { TextEncoding as PolicyEncoding } from '../../../src/policy/message.js'
import { AccountSchema } from '../../../src/config/schema.js'
import { DataCoding } from '../../../src/smpp/constants.js'
import { readSubmitSm } from '../../../src/smpp/pdu.js'
import {
  chooseDataCoding,
  decodeText,
  encodeText,
  type TextEncoding,
} from '../../../src/smpp/text/index.js'

const gsm = { default_alphabet: 'gsm' } as const
const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex')

// The two unions must stay equal: smpp/ may not import policy's, so it repeats it.
const sameUnion: [TextEncoding] extends [PolicyEncoding] ? ([PolicyEncoding] extends [TextEncoding] ? true : false) : false = true

t.test('TextEncoding matches policy Message.encoding', async (t) => {
  t.equal(sameUnion, true)
})

t.test('one vector per data_coding', async (t) => {
  const cases: [number, Buffer, string, TextEncoding, boolean][] = [
    [0x00, hex('48 69 00 1b65'), 'Hi@€', 'gsm', false],
    [0x01, hex('48 69 40'), 'Hi@', 'ascii', false],
    [0x02, hex('00 ff'), '', 'binary', false],
    [0x03, hex('e9 a3'), 'é£', 'latin1', false],
    [0x04, hex('01'), '', 'binary', false],
    [0x06, hex('b0 b1'), 'АБ', 'unknown', false],
    [0x07, hex('e0'), 'א', 'unknown', false],
    [0x08, hex('60a8 d83d de00'), '您😀', 'ucs2', false],
    [0x0a, hex('1b2442 3021 1b2842'), '亜', 'unknown', false],
    [0x0e, hex('b0a1'), '가', 'unknown', false],
    [0x0f, hex('c4e3 bac3'), '你好', 'gb18030', false],
    [0x09, hex('41 42'), 'AB', 'unknown', true],
    [0x18, hex('0041'), 'A', 'ucs2', false],
    [0xf0, hex('00'), '@', 'gsm', false],
    [0xf5, hex('00'), '', 'binary', false],
  ]
  for (const [dc, bytes, text, encoding, decode_error] of cases) {
    t.same(decodeText(dc, bytes, gsm), { text, encoding, decode_error }, `0x${dc.toString(16)}`)
  }
  t.same(decodeText(0, hex('40 24 5f'), { default_alphabet: 'ascii' }), { text: '@$_', encoding: 'ascii', decode_error: false })
  t.same(decodeText(0, hex('e9'), { default_alphabet: 'latin1' }), { text: 'é', encoding: 'latin1', decode_error: false })
  t.same(decodeText(0, hex('40 24 5f'), gsm), { text: '¡¤§', encoding: 'gsm', decode_error: false }, 'the same bytes read as GSM')
})

t.test('decodeText never throws, for any data_coding and bytes', async () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom('gsm', 'ascii', 'latin1'),
      (dc, b, alphabet) => typeof decodeText(dc, b, { default_alphabet: alphabet as 'gsm' }).text === 'string',
    ),
  )
})

t.test('encodeText refuses data_codings that are not text we write', async (t) => {
  t.throws(() => encodeText(DataCoding.binary, 'x', gsm), RangeError)
  t.throws(() => encodeText(DataCoding.cyrillic, 'x', gsm), RangeError)
  t.same(encodeText(0xf0, '@', gsm).bytes, hex('00'))
})

t.test('chooseDataCoding: default alphabet when the text fits, else UCS2', async (t) => {
  t.equal(chooseDataCoding('Hello {}', 'gsm'), 0)
  t.equal(chooseDataCoding('您好', 'gsm'), 8)
  t.equal(chooseDataCoding('café', 'latin1'), 0)
  t.equal(chooseDataCoding('café', 'ascii'), 8)
  t.equal(chooseDataCoding('€', 'latin1'), 8)
})

// The smpp package (0.5.1) as an independent oracle: it encodes the text, we read its PDU and decode;
// we encode, it decodes. Its GSM table replaces unknown characters by spaces, so GSM strings are drawn
// from the alphabet.
const GSM_CHARS = Array.from(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\f^{}\\[~]|€',
)

function oracleBytes(dc: number, text: string): Buffer {
  const pdu = new smpp.PDU('submit_sm', { source_addr: '1', destination_addr: '2', data_coding: dc, short_message: text }).toBuffer()
  const r = readSubmitSm(pdu)
  if (!r.ok) throw new Error(r.reason)
  return Buffer.from(r.short_message)
}

function oracleText(dc: number, bytes: Buffer): string {
  const pdu = new smpp.PDU('submit_sm', { source_addr: '1', destination_addr: '2', data_coding: dc, short_message: bytes }).toBuffer()
  const back = smpp.PDU.fromBuffer(pdu) as unknown as { short_message: { message: string } }
  return back.short_message.message
}

const cases: [string, number, fc.Arbitrary<string>][] = [
  ['GSM (dc 0)', 0, fc.array(fc.constantFrom(...GSM_CHARS), { maxLength: 160 }).map((a) => a.join(''))],
  ['Latin-1 (dc 3)', 3, fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 140 })],
  ['UCS2 (dc 8)', 8, fc.string({ unit: 'grapheme', maxLength: 60 })],
]
for (const [name, dc, arb] of cases) {
  t.test(`${name}: our bytes equal the smpp package's, both decoders agree`, async () => {
    fc.assert(
      fc.property(arb, (text) => {
        const theirs = oracleBytes(dc, text)
        const ours = encodeText(dc, text, gsm)
        const decoded = decodeText(dc, theirs, gsm)
        return ours.bytes.equals(theirs) && !ours.lossy && decoded.text === text && !decoded.decode_error && oracleText(dc, ours.bytes) === text
      }),
      { numRuns: 200 },
    )
  })
}

t.test('an account config is itself the decode options (default_alphabet, data_coding_0f)', async (t) => {
  const plain = AccountSchema.parse({ system_id: 'a', password_hash: 'x' })
  t.same(decodeText(0x0f, hex('c4e3'), plain), { text: '你', encoding: 'gb18030', decode_error: false })
  const strict = AccountSchema.parse({ system_id: 'a', password_hash: 'x', default_alphabet: 'latin1', data_coding_0f: 'reserved' })
  t.same(decodeText(0x0f, hex('41'), strict), { text: 'A', encoding: 'unknown', decode_error: true })
  t.same(decodeText(0, hex('e9'), strict), { text: 'é', encoding: 'latin1', decode_error: false })
})
