import t from 'tap'
import { assertNever } from '../../src/util/assert-never.js'

t.test('assertNever throws with the value', async (t) => {
  t.throws(() => assertNever('x' as never), /unexpected value: "x"/)
})
