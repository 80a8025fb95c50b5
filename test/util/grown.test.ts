import t from 'tap'
import { grown } from '../../src/util/grown.js'

t.test('a grown array keeps its kind and contents, zeros after', async (t) => {
  const a = Float64Array.of(1.5, -2, 3)
  const b = grown(a, 5)
  t.ok(b instanceof Float64Array)
  t.same([...b], [1.5, -2, 3, 0, 0])
  t.not(b, a, 'a new array')
  t.same([...grown(Uint8Array.of(255, 7), 3)], [255, 7, 0])
  t.same([...grown(Int32Array.of(-1), 2)], [-1, 0])
})
