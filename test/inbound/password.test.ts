// Password hashes: round trip, malformed input, and the stand-in hash unknown system_ids are checked against.
import t from 'tap'
import { hashPassword, isPasswordHash, UNMATCHABLE_HASH, verifyPassword } from '../../src/inbound/password.js'

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
