// The lockout tables on their own, with the clock passed in: windows, expiry, scopes and the memory bound.
import t from 'tap'
import { ListenSchema } from '../../src/config/schema.js'
import { addressKey, createBindLockout } from '../../src/inbound/bind-lockout.js'

const cfg = (o: Record<string, number>) => ListenSchema.parse({ bind_lockout: o }).bind_lockout

t.test('failures within the window lock the account; the lockout expires', async (t) => {
  const l = createBindLockout(cfg({ attempts_per_account: 3, attempts_per_ip: 100, window_ms: 1000, lockout_ms: 5000 }))
  t.same(l.recordFailure('acme', '10.0.0.1', 0), [])
  t.same(l.recordFailure('acme', '10.0.0.2', 10), [])
  t.equal(l.lockedScope('acme', '10.0.0.3', 20), null, 'not yet')
  t.same(l.recordFailure('acme', '10.0.0.3', 20), ['account'], 'third failure locks, whatever the address')
  t.equal(l.lockedScope('acme', '10.0.0.9', 4999), 'account')
  t.equal(l.lockedScope('other', '10.0.0.9', 4999), null, 'other accounts are not locked')
  t.equal(l.lockedScope('acme', '10.0.0.9', 5020), null, 'expired after lockout_ms')
})

t.test('failures spread beyond the window do not lock', async (t) => {
  const l = createBindLockout(cfg({ attempts_per_account: 2, attempts_per_ip: 100, window_ms: 1000 }))
  t.same(l.recordFailure('acme', '10.0.0.1', 0), [])
  t.same(l.recordFailure('acme', '10.0.0.1', 1500), [], 'a new window started')
  t.same(l.recordFailure('acme', '10.0.0.1', 1600), ['account'])
})

t.test('address scope counts unknown system_ids; IPv4-mapped peers are their IPv4 address', async (t) => {
  const l = createBindLockout(cfg({ attempts_per_account: 100, attempts_per_ip: 2, lockout_ms: 1000 }))
  t.same(l.recordFailure(null, '::ffff:192.0.2.7', 0), [])
  t.same(l.recordFailure('acme', '192.0.2.7', 1), ['ip'])
  t.equal(l.lockedScope('anyone', '::ffff:192.0.2.7', 2), 'ip')
  t.equal(l.lockedScope('anyone', '192.0.2.8', 2), null)
  t.equal(addressKey('::1'), '0:0:0:0::/64')
  t.equal(addressKey('2001:db8:1:2::7'), '2001:db8:1:2::/64', 'IPv6 peers share their /64')
  t.equal(addressKey('2001:DB8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64')
  t.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64')
  t.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64')
})

t.test('tables stay within max_tracked_ips and are swept when expired', async (t) => {
  const l = createBindLockout(cfg({ attempts_per_account: 100, attempts_per_ip: 2, window_ms: 1000, lockout_ms: 1000, max_tracked_ips: 10 }))
  l.recordFailure(null, '10.0.0.1', 0)
  l.recordFailure(null, '10.0.0.1', 0)
  for (let i = 2; i < 1000; i++) l.recordFailure(null, `10.0.${i >> 8}.${i & 255}`, 0)
  t.equal(l.size, 10, 'bounded')
  t.equal(l.lockedScope('x', '10.0.0.1', 1), null, 'the least recently failed address was forgotten first')
  l.sweep(500)
  t.equal(l.size, 10, 'entries inside their window stay')
  l.sweep(1000)
  t.equal(l.size, 0, 'expired entries go')
})
