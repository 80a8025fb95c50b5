import t from 'tap'
import { compileAllowList } from '../../src/inbound/allow-list.js'

t.test('IPv4 subnets and single hosts', async (t) => {
  const ok = compileAllowList(['10.0.0.0/8', '192.168.1.7'])
  t.ok(ok('10.1.2.3'))
  t.ok(ok('192.168.1.7'))
  t.notOk(ok('192.168.1.8'))
  t.notOk(ok('11.0.0.1'))
})

t.test('IPv4-mapped IPv6 peers match IPv4 entries', async (t) => {
  const ok = compileAllowList(['127.0.0.1/32'])
  t.ok(ok('::ffff:127.0.0.1'))
  t.notOk(ok('::ffff:127.0.0.2'))
})

t.test('IPv6 entries', async (t) => {
  const ok = compileAllowList(['::1/128', '2001:db8::/32'])
  t.ok(ok('::1'))
  t.ok(ok('2001:db8:1::5'))
  t.notOk(ok('2001:db9::1'))
  t.notOk(ok('127.0.0.1'))
})

t.test('the default allows everyone; an empty list nobody', async (t) => {
  const all = compileAllowList(['0.0.0.0/0', '::/0'])
  t.ok(all('8.8.8.8'))
  t.ok(all('fe80::1'))
  t.notOk(compileAllowList([])('127.0.0.1'))
  t.notOk(all('not-an-ip'))
})

t.test('bad entries are refused at compile time', async (t) => {
  t.throws(() => compileAllowList(['10.0.0.0/33']), /bad prefix length/)
  t.throws(() => compileAllowList(['example.com']), /not an IP address/)
  t.throws(() => compileAllowList(['10.0.0.0/x']), /bad prefix length/)
})
