import t from 'tap'
import { normaliseId, idVariants } from '../../src/proxy/message-id.js'

t.test('normalise: case, leading zeros, whitespace', async (t) => {
  t.equal(normaliseId('00A3F2'), 'a3f2')
  t.equal(normaliseId(' 0042 '), '42')
  t.equal(normaliseId('0000'), '0')
  t.equal(normaliseId(''), '')
})

t.test('variants add the other radix', async (t) => {
  t.same(idVariants('41970'), ['41970', 'a3f2', '268656'])
  t.same(idVariants('00A3F2'), ['a3f2', '41970'])
  t.same(idVariants('msg-1'), ['msg-1'])
  t.same(idVariants('0'), ['0'])
  t.same(idVariants('7'), ['7'])
})

t.test('very long ids are not converted', async (t) => {
  const long = '1'.repeat(80)
  t.same(idVariants(long), [long])
})
