import t from 'tap'
import { createBackoff } from '../../src/upstream/backoff.js'

const cfg = { reconnect_min_ms: 500, reconnect_max_ms: 30000 }

t.test('grows exponentially from the minimum', async (t) => {
  const top = createBackoff(cfg, () => 1)
  t.same([0, 1, 2, 3].map(top), [500, 1000, 2000, 4000])
})

t.test('is capped at the maximum, also for huge attempt numbers', async (t) => {
  const top = createBackoff(cfg, () => 1)
  t.equal(top(10), 30000)
  t.equal(top(1e6), 30000)
})

t.test('jitter stays between half and the whole nominal delay', async (t) => {
  const low = createBackoff(cfg, () => 0)
  t.equal(low(0), 250)
  t.equal(low(20), 15000)
  const real = createBackoff(cfg)
  for (let i = 0; i < 200; i++) {
    const d = real(i % 12)
    const nominal = Math.min(30000, 500 * 2 ** (i % 12))
    t.ok(d >= nominal / 2 && d <= nominal, `attempt ${i % 12}: ${d}`)
  }
})

t.test('a negative attempt behaves as the first', async (t) => {
  t.equal(createBackoff(cfg, () => 1)(-3), 500)
})
