import t from 'tap'
import { ClientMessage } from '../../src/proxy/client-message.js'
import { encodeSubmitSm } from '../../src/smpp/encode.js'
import { readSubmitSm, type SmFields } from '../../src/smpp/pdu.js'
import { DataCoding } from '../../src/smpp/constants.js'
import { encodeUcs2 } from '../../src/smpp/text/index.js'

const origin = { system_id: 'acme', sid: 's1', remoteAddress: '127.0.0.1' }
const opts = { default_alphabet: 'gsm' } as const

function fields(text: string): SmFields {
  const f = readSubmitSm(
    encodeSubmitSm(7, { source_addr: 'ACME', destination_addr: '8613800000000', data_coding: DataCoding.ucs2, short_message: encodeUcs2(text).bytes }),
  )
  if (!f.ok) throw new Error('fixture')
  return f
}

t.test('the text is decoded from the user data when read, and stays the same', async (t) => {
  const f = fields('你好，世界')
  const m = new ClientMessage(origin, f, 1, 1000, null, f.short_message, opts)
  t.equal(m.system_id, 'acme')
  t.equal(m.session_id, 's1')
  t.equal(m.client_ip, '127.0.0.1')
  t.equal(m.destination_addr, '8613800000000')
  t.equal(m.data_coding, DataCoding.ucs2)
  t.equal(m.text, '你好，世界')
  t.equal(m.encoding, 'ucs2')
  t.equal(m.decode_error, false)
  t.equal(m.text, '你好，世界')
})

t.test('a decoding flaw is seen through every accessor', async (t) => {
  const f = fields('ab')
  const odd = new ClientMessage(origin, f, 1, 1000, null, Buffer.from([0x00, 0x61, 0x00]), opts)
  t.equal(odd.decode_error, true)
  t.equal(odd.text, 'a\ufffd')
})

t.test('a known text is used as given; withText keeps the fields', async (t) => {
  const f = fields('part one')
  const first = new ClientMessage(origin, f, 3, 1000, { text: '', encoding: 'unknown', decode_error: false }, null, opts)
  t.equal(first.text, '')
  const whole = first.withText({ text: 'part one part two', encoding: 'ucs2', decode_error: false }, 900)
  t.equal(whole.text, 'part one part two')
  t.equal(whole.received_at, 900)
  t.equal(whole.parts, 3)
  t.equal(whole.source_addr, 'ACME')
  t.equal(whole.session_id, 's1')
})

t.test('JSON sees the text as data', async (t) => {
  const f = fields('hello')
  const m = new ClientMessage(origin, f, 1, 1000, null, f.short_message, opts)
  const json = JSON.parse(JSON.stringify(m)) as Record<string, unknown>
  t.equal(json.text, 'hello')
  t.equal(json.encoding, 'ucs2')
  t.equal(json.decode_error, false)
  t.equal(json.destination_addr, '8613800000000')
})
