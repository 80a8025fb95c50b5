import t from 'tap'
import fc from 'fast-check'
import { createIdMap } from '../../src/proxy/id-map.js'
import { idVariants, normaliseId } from '../../src/proxy/message-id.js'

const HOUR = 3600_000

t.test('finds an id in any radix or case', async (t) => {
  const m = createIdMap({ map_ttl_ms: 72 * HOUR, map_max_entries: 1000 })
  m.set('00A3F2', { system_id: 'a' }, 0)
  m.set('12345', { system_id: 'b', client_id: 'p-1' }, 0)
  t.equal(m.get('a3f2', 1)?.system_id, 'a')
  t.equal(m.get('41970', 1)?.system_id, 'a')
  t.equal(m.get('3039', 1)?.system_id, 'b', 'hex form of a decimal id')
  t.equal(m.get('0012345', 1)?.client_id, 'p-1')
  t.equal(m.get('nope', 1), undefined)
  t.equal(m.size, 2)
})

t.test('entries expire after the ttl, within one bucket width', async (t) => {
  const ttl = 72 * HOUR
  const m = createIdMap({ map_ttl_ms: ttl, map_max_entries: 1000 })
  m.set('1', { system_id: 'a' }, 0)
  m.set('2', { system_id: 'a' }, 10 * HOUR)
  t.ok(m.get('1', ttl - 1))
  m.expire(ttl + 3 * HOUR + 1)
  t.equal(m.get('1', ttl + 3 * HOUR + 1), undefined)
  t.ok(m.get('2', ttl + 3 * HOUR + 1))
  t.equal(m.size, 1)
})

t.test('size is bounded: the oldest entries go first', async (t) => {
  const m = createIdMap({ map_ttl_ms: HOUR, map_max_entries: 3 })
  for (let i = 0; i < 5; i++) m.set(`id${i}`, { system_id: 'a' }, i * 1000)
  t.equal(m.size, 3)
  t.equal(m.get('id0', 5000), undefined)
  t.equal(m.get('id1', 5000), undefined)
  t.ok(m.get('id4', 5000))
})

t.test('re-setting an id: the newest entry wins; delete', async (t) => {
  const m = createIdMap({ map_ttl_ms: HOUR, map_max_entries: 10 })
  m.set('7', { system_id: 'a' }, 0)
  m.set('7', { system_id: 'b' }, 0)
  t.equal(m.size, 1, 'same bucket: one entry')
  m.set('7', { system_id: 'c' }, HOUR / 2)
  t.equal(m.get('7', HOUR / 2)?.system_id, 'c')
  m.delete('007')
  t.equal(m.get('7', HOUR / 2)?.system_id, 'b', 'the older entry is still there until it expires')
})

t.test('many ids at one instant spread over several buckets and all stay reachable', async (t) => {
  const m = createIdMap({ map_ttl_ms: HOUR, map_max_entries: 100_000 })
  for (let i = 0; i < 40_000; i++) m.set(i.toString(16), { system_id: i % 2 ? 'a' : 'b' }, 1000)
  t.equal(m.size, 40_000)
  let found = 0
  for (let i = 0; i < 40_000; i += 997) if (m.get(i.toString(16), 2000)?.system_id === (i % 2 ? 'a' : 'b')) found++
  t.equal(found, Math.ceil(40_000 / 997))
  m.expire(1000 + HOUR)
  t.equal(m.size, 0, 'they expire together')
})

t.test('ids that read as the same number in different radixes stay different entries', async (t) => {
  const m = createIdMap({ map_ttl_ms: 72 * HOUR, map_max_entries: 1000 })
  // '1a' (hex) is 26, '26' (decimal) is 0x26: each is found as itself first.
  const ids = ['0', '10', 'a', '1a', '26', '16', 'ff', '255', '9999999999999', 'fffffffffffff', '10000000000000', '1ffffffffffffff', 'x-10', 'A0']
  ids.forEach((id, i) => m.set(id, { system_id: `s${i}` }, 0))
  t.equal(m.size, ids.length)
  ids.forEach((id, i) => t.equal(m.get(id, 1)?.system_id, `s${i}`, id))
  t.equal(m.get('00ff', 1)?.system_id, `s${ids.indexOf('ff')}`)
  m.delete('1A')
  t.equal(m.get('1a', 1)?.system_id, 's4', 'the hex id 1a is gone; the decimal 26 it reads as is still there')
  t.equal(m.size, ids.length - 1)
  m.delete('26')
  t.equal(m.get('1a', 1), undefined)
  t.equal(m.get('x-10', 1)?.system_id, 's12')
})

t.test('64-bit ids in either radix, and longer ones, are told apart and found', async (t) => {
  const m = createIdMap({ map_ttl_ms: 72 * HOUR, map_max_entries: 1000 })
  const max64 = '18446744073709551615' // 2^64 − 1, twenty decimal digits
  m.set(max64, { system_id: 'dec64' }, 0)
  m.set('18446744073709551616', { system_id: 'past64' }, 0) // one more: no longer a 64-bit value
  m.set('FEDCBA9876543210', { system_id: 'hex64' }, 0)
  m.set('1fedcba9876543210', { system_id: 'hex68' }, 0)
  t.equal(m.get(max64, 1)?.system_id, 'dec64')
  t.equal(m.get('ffffffffffffffff', 1)?.system_id, 'dec64', 'the hex form of the decimal id')
  t.equal(m.get('018446744073709551616', 1)?.system_id, 'past64')
  t.equal(m.get('fedcba9876543210', 1)?.system_id, 'hex64')
  t.equal(m.get(BigInt('0xfedcba9876543210').toString(10), 1)?.system_id, 'hex64', 'the decimal form of the hex id')
  t.equal(m.get('1FEDCBA9876543210', 1)?.system_id, 'hex68')
  t.equal(m.get('18446744073709551614', 1), undefined)
  t.equal(m.size, 4)
})

t.test('client ids come back exactly as they were set, whatever their form', async (t) => {
  const m = createIdMap({ map_ttl_ms: HOUR, map_max_entries: 1000 })
  const cids = ['0000000000000001', 'a1b2c3d4e5f60718', '7', '00ab', 'p-1', 'ABCDEF', '12345678901234567', '']
  cids.forEach((client_id, i) => m.set(String(100 + i), { system_id: 'a', client_id }, 0))
  cids.forEach((client_id, i) => t.same(m.get(String(100 + i), 1), { system_id: 'a', client_id }, JSON.stringify(client_id)))
  m.set('100', { system_id: 'b' }, 0)
  t.same(m.get('100', 1), { system_id: 'b' }, 'setting again without a client id drops it')
  m.set('104', { system_id: 'a', client_id: '42' }, 0)
  t.same(m.get('104', 1), { system_id: 'a', client_id: '42' }, 'a string client id replaced by a packed one')
  t.equal(m.size, cids.length)
})

t.test('a busy instant: tables grow, generations fill, every id stays reachable; expiry empties all', async (t) => {
  const m = createIdMap({ map_ttl_ms: HOUR, map_max_entries: 1_000_000 })
  const n = 150_000 // more than two full generations
  for (let i = 0; i < n; i++) m.set(String(5_000_000 + i), i % 7 === 0 ? { system_id: 'b', client_id: `c${i}` } : { system_id: 'a' }, 1000)
  // non-numeric ids in the same tables
  for (let i = 0; i < 1000; i++) m.set(`msg-${i}`, { system_id: 'c' }, 1000)
  t.equal(m.size, n + 1000)
  let wrong = 0
  for (let i = 0; i < n; i++) {
    const e = m.get(String(5_000_000 + i), 2000)
    if (i % 7 === 0 ? e?.client_id !== `c${i}` || e.system_id !== 'b' : e?.system_id !== 'a' || e.client_id !== undefined) wrong++
  }
  for (let i = 0; i < 1000; i++) if (m.get(`MSG-${i}`, 2000)?.system_id !== 'c') wrong++
  t.equal(wrong, 0)
  t.equal(m.get(String(5_000_000 + n), 2000), undefined)
  t.equal(m.get('msg-1000', 2000), undefined)
  m.expire(1000 + HOUR)
  t.equal(m.size, 0)
  t.equal(m.get('5000000', 1000 + HOUR), undefined)
  m.set('5000000', { system_id: 'z' }, 2 * HOUR)
  t.equal(m.get('5000000', 2 * HOUR)?.system_id, 'z', 'usable again after everything expired')
})

t.test('deletions keep the other ids of a crowded table reachable', async (t) => {
  const m = createIdMap({ map_ttl_ms: HOUR, map_max_entries: 100_000 })
  // Random 64-bit-ish ids: collisions in the slot index are certain at this count.
  const ids = new Set<string>()
  let x = 0x12345678
  while (ids.size < 30_000) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) ^ Math.imul(x, 0x297a2d39)
    ids.add(((x >>> 0) * 1024 + ids.size).toString(ids.size % 2 ? 16 : 10))
  }
  const list = [...ids]
  list.forEach((id) => m.set(id, { system_id: id.length % 2 ? 'odd' : 'even' }, 0))
  list.forEach((id, i) => {
    if (i % 3 === 0) m.delete(id)
  })
  let wrong = 0
  list.forEach((id, i) => {
    const e = m.get(id, 1)
    if (i % 3 === 0 ? e !== undefined : e?.system_id !== (id.length % 2 ? 'odd' : 'even')) wrong++
  })
  t.equal(wrong, 0)
  t.equal(m.size, list.length - Math.ceil(list.length / 3))
})

t.test('over the size cap the oldest go first, across generations, and emptied generations are dropped', async (t) => {
  const m = createIdMap({ map_ttl_ms: 24 * HOUR, map_max_entries: 100_000 })
  for (let i = 0; i < 250_000; i++) m.set(String(i), { system_id: 'a' }, i) // one per ms: many generations
  t.equal(m.size, 100_000)
  t.equal(m.get('149999', 250_000), undefined)
  t.equal(m.get('150000', 250_000)?.system_id, 'a')
  t.equal(m.get('249999', 250_000)?.system_id, 'a')
  m.delete('150000')
  t.equal(m.size, 99_999)
  m.set('x', { system_id: 'b' }, 250_000)
  t.equal(m.size, 100_000, 'a deleted entry counts no more')
  t.equal(m.get('150001', 250_000)?.system_id, 'a', 'nothing else evicted while under the cap')
})

t.test('model: set, get, delete in one generation behave like a map of canonical ids', async (t) => {
  const idArb = fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << 70n) - 1n }).map((n) => n.toString(10)),
    fc.bigInt({ min: 0n, max: (1n << 70n) - 1n }).map((n) => n.toString(16)),
    fc.bigInt({ min: 0n, max: 300n }).map((n) => n.toString(16).toUpperCase().padStart(4, '0')),
    fc.constantFrom('0', '00', 'a', 'A', '10', '16', 'x', 'msg-1', ' 42 '),
    fc.string({ minLength: 1, maxLength: 24 }),
  )
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), id: idArb, account: fc.constantFrom('a', 'b', 'c'), cid: fc.option(fc.constantFrom('0000000000000001', 'ffff', 'p-1')) }),
    fc.record({ kind: fc.constant('get' as const), id: idArb }),
    fc.record({ kind: fc.constant('delete' as const), id: idArb }),
  )
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const m = createIdMap({ map_ttl_ms: HOUR, map_max_entries: 10_000 })
      const model = new Map<string, { system_id: string; client_id?: string }>()
      const modelGet = (id: string) => {
        for (const v of idVariants(id)) {
          const e = model.get(v)
          if (e) return e
        }
        return undefined
      }
      for (const o of ops) {
        if (o.kind === 'set') {
          const entry = o.cid === null ? { system_id: o.account } : { system_id: o.account, client_id: o.cid }
          m.set(o.id, entry, 0)
          model.set(normaliseId(o.id), entry)
        } else if (o.kind === 'delete') {
          m.delete(o.id)
          model.delete(normaliseId(o.id))
        } else if (JSON.stringify(m.get(o.id, 1)) !== JSON.stringify(modelGet(o.id))) return false
        if (m.size !== model.size) return false
      }
      return true
    }),
  )
})
