import t from 'tap'
import { createIdMap } from '../../src/proxy/id-map.js'

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
