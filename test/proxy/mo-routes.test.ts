import t from 'tap'
import { compileMoRoutes } from '../../src/proxy/mo-routes.js'

t.test('exact beats prefix, longest prefix wins', async (t) => {
  const route = compileMoRoutes([
    { system_id: 'shared', mo_addresses: ['1069*'] },
    { system_id: 'bank', mo_addresses: ['10690001*', '95588'] },
    { system_id: 'shop', mo_addresses: ['1069000123'] },
  ])
  t.equal(route('1069000123'), 'shop')
  t.equal(route('1069000177'), 'bank')
  t.equal(route('10695555'), 'shared')
  t.equal(route('95588'), 'bank')
  t.equal(route('955880'), undefined)
  t.equal(route('13800138000'), undefined)
})
