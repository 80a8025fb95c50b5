// Password hashes: round trip, malformed input, and the stand-in hash unknown system_ids are checked against.
import t from 'tap'
import { createVerifiedCache, hashPassword, isPasswordHash, UNMATCHABLE_HASH, verifyPassword } from '../../src/inbound/password.js'

t.test('a hash verifies its own password only', async (t) => {
  const h = await hashPassword('s3cret')
  t.ok(isPasswordHash(h))
  t.ok(await verifyPassword('s3cret', h))
  t.notOk(await verifyPassword('s3cret!', h))
  t.notOk(await verifyPassword('s3cret', 'scrypt$1$2$3$bad'), 'malformed hash is false, not a throw')
})

t.test('the unknown-system_id stand-in costs what a real hash costs and matches nothing', async (t) => {
  const real = await hashPassword('x')
  t.ok(isPasswordHash(UNMATCHABLE_HASH))
  t.equal(UNMATCHABLE_HASH.split('$').slice(0, 4).join('$'), real.split('$').slice(0, 4).join('$'), 'same scrypt parameters')
  t.equal(Buffer.from(UNMATCHABLE_HASH.split('$')[5], 'base64').length, Buffer.from(real.split('$')[5], 'base64').length)
  t.notOk(await verifyPassword('', UNMATCHABLE_HASH))
  t.notOk(await verifyPassword('x', UNMATCHABLE_HASH))
})

t.test('verified cache: a recent success skips scrypt; failures, other hashes and expiry do not', async (t) => {
  let calls = 0
  let now = 0
  const verify = createVerifiedCache({
    ttl_ms: 1000,
    max_entries: 2,
    clock: () => now,
    verify: async (password, stored) => {
      calls++
      return stored === `hash-of-${password}`
    },
  })
  t.equal(await verify('pw', 'hash-of-pw'), true)
  t.equal(await verify('pw', 'hash-of-pw'), true)
  t.equal(calls, 1, 'the second success came from the cache')
  t.equal(await verify('wrong', 'hash-of-pw'), false)
  t.equal(await verify('wrong', 'hash-of-pw'), false)
  t.equal(calls, 3, 'wrong passwords always pay the full check')
  t.equal(await verify('pw', 'hash-of-other'), false, 'a changed password_hash does not match an old entry')
  now = 1001
  t.equal(await verify('pw', 'hash-of-pw'), true)
  t.equal(calls, 5, 'an expired entry is verified again')
  await verify('a', 'hash-of-a')
  await verify('b', 'hash-of-b')
  const before = calls
  await verify('pw', 'hash-of-pw')
  t.equal(calls, before + 1, 'the oldest entry left when the cache was full')
})

t.test('verified cache: concurrent checks of the same credentials share one verification', async (t) => {
  let calls = 0
  const verify = createVerifiedCache({
    verify: async (password, stored) => {
      calls++
      await new Promise((r) => setImmediate(r))
      return stored === `hash-of-${password}`
    },
  })
  const results = await Promise.all([...Array.from({ length: 50 }, () => verify('pw', 'hash-of-pw')), verify('other', 'hash-of-pw')])
  t.equal(results.filter(Boolean).length, 50)
  t.equal(results[50], false)
  t.equal(calls, 2, 'one check per distinct credential pair')
})

t.test('verified cache over real scrypt hashes', async (t) => {
  const verify = createVerifiedCache()
  const h = await hashPassword('demo')
  t.equal(await verify('demo', h), true)
  t.equal(await verify('demo', h), true)
  t.equal(await verify('Demo', h), false)
})
