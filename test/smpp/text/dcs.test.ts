import t from 'tap'
import { alphabetOf, type DataCodingOptions } from '../../../src/smpp/text/dcs.js'

const gsm: DataCodingOptions = { default_alphabet: 'gsm' }
const kind = (dc: number, o: DataCodingOptions = gsm) => {
  const a = alphabetOf(dc, o)
  return a.kind === 'national' ? a.charset : a.kind
}

t.test('SMPP 3.4 §5.2.19 values', async (t) => {
  t.equal(kind(0x00), 'gsm')
  t.equal(kind(0x00, { default_alphabet: 'latin1' }), 'latin1')
  t.equal(kind(0x00, { default_alphabet: 'ascii' }), 'ascii')
  t.equal(kind(0x01), 'ascii')
  t.equal(kind(0x02), 'binary')
  t.equal(kind(0x03), 'latin1')
  t.equal(kind(0x04), 'binary')
  t.equal(kind(0x05), 'unreadable')
  t.equal(kind(0x06), 'iso-8859-5')
  t.equal(kind(0x07), 'iso-8859-8')
  t.equal(kind(0x08), 'ucs2')
  t.equal(kind(0x09), 'unreadable')
  t.equal(kind(0x0a), 'iso-2022-jp')
  t.equal(kind(0x0b), 'unreadable')
  t.equal(kind(0x0c), 'unreadable')
  t.equal(kind(0x0d), 'unreadable')
  t.equal(kind(0x0e), 'euc-kr')
  t.equal(kind(0x0f), 'gb18030')
  t.equal(kind(0x0f, { default_alphabet: 'gsm', data_coding_0f: 'reserved' }), 'unreadable')
})

t.test('TS 23.038 groups read from the whole byte, not & 0x0F', async (t) => {
  t.equal(kind(0x10), 'gsm', 'general group, class 0 flash, default alphabet')
  t.equal(kind(0x14), 'binary', 'general group, 8-bit data')
  t.equal(kind(0x18), 'ucs2', 'general group, UCS2 flash')
  t.equal(kind(0x1c), 'unreadable', 'reserved alphabet')
  t.equal(kind(0x28), 'unreadable', 'compressed')
  t.equal(kind(0x48), 'ucs2', 'automatic deletion group, UCS2')
  t.equal(kind(0x80), 'unreadable', 'reserved group')
  t.equal(kind(0xc0), 'gsm', 'MWI discard')
  t.equal(kind(0xd8), 'gsm', 'MWI store')
  t.equal(kind(0xe8), 'ucs2', 'MWI store UCS2')
  t.equal(kind(0xf0), 'gsm')
  t.equal(kind(0xf1), 'gsm', 'class 1 is GSM even though 0xF1 & 0x0F = 1 (IA5)')
  t.equal(kind(0xf4), 'binary')
  t.equal(kind(0xf8), 'gsm', 'bit 3 is reserved; bit 2 decides')
  t.equal(kind(0xf6), 'binary')
})

t.test('every byte value has an answer', async (t) => {
  for (let dc = 0; dc < 256; dc++) t.ok(alphabetOf(dc, gsm).kind, `0x${dc.toString(16)}`)
})
