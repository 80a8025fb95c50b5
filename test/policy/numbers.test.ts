import t from 'tap'
import fc from 'fast-check'
import { normalizeNumber, destinationOf, Ton } from '../../src/policy/numbers.js'
import type { Message } from '../../src/policy/message.js'

t.test('one person, every spelling', async (t) => {
  const forms: Array<[string, number]> = [
    ['13800138000', Ton.UNKNOWN],
    ['13800138000', Ton.NATIONAL],
    ['8613800138000', Ton.UNKNOWN],
    ['8613800138000', Ton.INTERNATIONAL],
    ['8613800138000', Ton.NATIONAL],
    ['+8613800138000', Ton.UNKNOWN],
    ['+86 138-0013-8000', Ton.UNKNOWN],
    ['008613800138000', Ton.UNKNOWN],
    ['008613800138000', Ton.INTERNATIONAL],
  ]
  for (const [addr, ton] of forms) t.equal(normalizeNumber(addr, ton), '8613800138000', `${addr} ton ${ton}`)
})

t.test('Chinese fixed lines and short codes', async (t) => {
  t.equal(normalizeNumber('01012345678'), '861012345678', 'Beijing, national')
  t.equal(normalizeNumber('861012345678', Ton.INTERNATIONAL), '861012345678', 'Beijing, international')
  t.equal(normalizeNumber('075512345678'), '8675512345678', 'Shenzhen')
  t.equal(normalizeNumber('95588'), '95588')
  t.equal(normalizeNumber('10086', Ton.ABBREVIATED), '10086')
  t.equal(normalizeNumber('1069012345', Ton.ABBREVIATED), null, 'abbreviated numbers are short')
})

t.test('other countries pass through in E.164 digits', async (t) => {
  t.equal(normalizeNumber('447700900123', Ton.INTERNATIONAL), '447700900123')
  t.equal(normalizeNumber('+447700900123'), '447700900123')
  t.equal(normalizeNumber('00447700900123'), '447700900123')
  t.equal(normalizeNumber('85291234567'), '85291234567', 'Hong Kong is not China +86')
  t.equal(normalizeNumber('13125551234', Ton.INTERNATIONAL), '13125551234', 'TON international is believed: NANP, not a Chinese mobile')
  t.equal(normalizeNumber('13125551234', Ton.UNKNOWN), '8613125551234', 'without it, an 11-digit 13… is a Chinese mobile')
})

t.test('invalid destinations', async (t) => {
  const bad: Array<[string, number, string]> = [
    ['', Ton.UNKNOWN, 'empty'],
    ['BANK', Ton.UNKNOWN, 'letters'],
    ['13800138000', Ton.ALPHANUMERIC, 'alphanumeric TON'],
    ['1380013800', Ton.UNKNOWN, 'mobile one digit short'],
    ['861380013800', Ton.INTERNATIONAL, '86 + mobile one digit short'],
    ['86138001380001', Ton.INTERNATIONAL, '86 + mobile one digit long'],
    ['+1234567890123456', Ton.UNKNOWN, 'over 15 digits'],
    ['+123', Ton.UNKNOWN, 'too short to be international'],
    ['12345678901234', Ton.NATIONAL, 'national but no Chinese form'],
    ['138 0013 800x', Ton.UNKNOWN, 'a letter inside'],
    ['0110000000', Ton.UNKNOWN, 'no area code starts 11'],
    ['+86110000000', Ton.INTERNATIONAL, 'no area code starts 11, international form'],
  ]
  for (const [addr, ton, why] of bad) t.equal(normalizeNumber(addr, ton), null, why)
})

t.test('canonical forms are fixed points (property)', async (t) => {
  fc.assert(
    fc.property(fc.stringMatching(/^\+?[0-9]{0,17}$/), fc.constantFrom(0, 1, 2, 6), (addr, ton) => {
      const n = normalizeNumber(addr, ton)
      if (n === null) return true
      return /^\d{3,15}$/.test(n) && normalizeNumber(n.length > 8 ? '+' + n : n) === n
    }),
  )
  t.pass('checked')
})

t.test('destinationOf reads the message once', async (t) => {
  const msg = { destination_addr: '+8613800138000', dest_addr_ton: Ton.INTERNATIONAL } as Message
  t.equal(destinationOf(msg), '8613800138000')
  t.equal(destinationOf({ ...msg, destination_addr: 'x' }), null)
})
