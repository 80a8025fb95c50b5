import t from 'tap'
import { newRecordId } from '../../src/archive/record.js'

t.test('record ids: 30 hex digits, the time first, unique and ordered within a millisecond and across', async (t) => {
  const now = 0x0123_4567_89ab
  const ids = [newRecordId(now), newRecordId(now), newRecordId(now + 1), newRecordId(now + 1), newRecordId(now + 300)]
  for (const id of ids) t.match(id, /^[0-9a-f]{30}$/)
  t.equal(ids[0].slice(0, 12), '0123456789ab', 'the millisecond, 12 digits')
  t.equal(ids[2].slice(0, 12), '0123456789ac')
  t.equal(new Set(ids.map((id) => id.slice(12, 22))).size, 1, 'one instance part per process')
  t.same([...ids].sort(), ids, 'sorted by time, then by counter')
  t.equal(new Set(ids).size, ids.length)
  const a = parseInt(ids[0].slice(22), 16)
  t.same(ids.map((id) => parseInt(id.slice(22), 16) - a), [0, 1, 2, 3, 4], 'the counter, 8 digits, one per id')
  t.equal(newRecordId(1).slice(0, 12), '000000000001', 'an early time zero-padded')
})
