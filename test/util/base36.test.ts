import t from 'tap'
import fc from 'fast-check'
import { base36 } from '../../src/util/base36.js'

t.test('base36 is n.toString(36) for every integer below 2^53', async (t) => {
  for (const n of [0, 1, 35, 36, 60466175, 60466176, 60466177, 2 ** 31, 2 ** 32 - 1, 2 ** 53 - 1]) t.equal(base36(n), n.toString(36), String(n))
  fc.assert(fc.property(fc.maxSafeNat(), (n) => base36(n) === n.toString(36)), { numRuns: 100000 })
  // Around each power of 36, where a digit is added.
  for (let p = 1; p < 2 ** 53; p *= 36) for (const n of [p - 1, p, p + 1]) t.equal(base36(n), n.toString(36), String(n))
})
