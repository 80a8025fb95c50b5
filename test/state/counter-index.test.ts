import t from 'tap'
import fc from 'fast-check'
import { CounterIndex } from '../../src/state/counter-index.js'
import { hash64, hash64Out } from '../../src/util/hash64.js'

// A model: a Map from hash to id, and the ids in the order they came in.
t.test('holds what a Map would, and gives the oldest first (property)', async (t) => {
  const op = fc.oneof(
    fc.record({ add: fc.integer({ min: 0, max: 3000 }) }),
    fc.record({ del: fc.nat() }),
    fc.record({ evict: fc.constant(true) }),
  )
  fc.assert(
    fc.property(fc.array(op, { maxLength: 3000 }), fc.boolean(), (ops, collide) => {
      const index = new CounterIndex()
      const model = new Map<string, number>()
      const order: number[] = []
      let nextId = 0
      // With `collide`, every key lands in one probe run (the same low bits), as a worst case for deletes.
      const hashOf = (k: number): [number, number] => (collide ? [(k << 16) & ~0xffff, k] : (hash64(`k${k}`), [hash64Out.lo, hash64Out.hi]))
      for (const o of ops) {
        if ('add' in o) {
          const [lo, hi] = hashOf(o.add)
          if (model.has(`${lo}:${hi}`)) continue
          const id = nextId++
          index.add(lo, hi, id)
          model.set(`${lo}:${hi}`, id)
          order.push(id)
        } else if ('del' in o) {
          if (order.length === 0) continue
          const id = order.splice(o.del % order.length, 1)[0]
          index.delete(id)
          for (const [k, v] of model) if (v === id) model.delete(k)
        } else {
          const id = index.oldest()
          if (id !== (order[0] ?? -1)) return false
          if (id >= 0) {
            index.delete(id)
            order.shift()
            for (const [k, v] of model) if (v === id) model.delete(k)
          }
        }
        if (index.size !== model.size) return false
      }
      for (const [k, id] of model) {
        const [lo, hi] = k.split(':').map(Number)
        if (index.get(lo, hi) !== id || !index.holds(id)) return false
      }
      for (let k = 0; k < 3000; k += 97) {
        const [lo, hi] = hashOf(k)
        if (!model.has(`${lo}:${hi}`) && index.get(lo, hi) !== -1) return false
      }
      return index.oldest() === (order[0] ?? -1)
    }),
    { numRuns: 60 },
  )
  t.pass()
})

t.test('grows to a million and gives the table back as entries go', async (t) => {
  const index = new CounterIndex()
  const n = 1_000_000
  for (let id = 0; id < n; id++) {
    hash64(`ra:acme:${13_000_000_000 + id}`)
    index.add(hash64Out.lo, hash64Out.hi, id)
  }
  t.equal(index.size, n)
  hash64(`ra:acme:${13_000_000_000 + 123_456}`)
  t.equal(index.get(hash64Out.lo, hash64Out.hi), 123_456)
  for (let id = 0; id < n - 10; id++) index.delete(id)
  t.equal(index.size, 10)
  t.equal(index.oldest(), n - 10, 'the oldest of those left')
  hash64(`ra:acme:${13_000_000_000 + n - 1}`)
  t.equal(index.get(hash64Out.lo, hash64Out.hi), n - 1, 'found after the table shrank')
  t.notOk(index.holds(5))
})

t.test('taking out an id that is not held changes nothing', async (t) => {
  const index = new CounterIndex()
  index.add(1, 2, 0)
  index.delete(7)
  index.delete(0)
  index.delete(0)
  t.equal(index.size, 0)
  t.equal(index.get(1, 2), -1)
})
