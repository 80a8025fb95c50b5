import t from 'tap'
import accountStage from '../../../src/policy/stages/account.js'
import { createMemoryState } from '../../../src/state/memory.js'
import { createRedisState } from '../../../src/state/redis.js'
import { MemoryStateSchema } from '../../../src/state/config.js'
import { createMetrics } from '../../../src/ops/metrics.js'
import { VendorStatus } from '../../../src/smpp/status.js'
import { CommandStatus } from '../../../src/smpp/constants.js'
import { SUSPENDED_SET } from '../../../src/policy/suspension.js'
import type { PolicyConfig } from '../../../src/policy/config.js'
import { account, judgeWith, silentLog } from './fixture.js'
import { freePort, isolatedConfig } from '../../state/redis-server.js'
import { stateErrorCount } from '../../state/fixture.js'

const memory = () => createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log: silentLog, metrics: createMetrics() })

t.test('suspended in config: every submit refused', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  const judge = judgeWith([accountStage], account({ system_id: 'acme', suspended: true }), {}, state)
  t.match(await judge({}, 0), { action: 'reject', rule: 'account.suspended', category: 'account', status: VendorStatus.ACCOUNT_SUSPENDED })
})

t.test('suspended in state (admin or discipline): refused until removed', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  const judge = judgeWith([accountStage], account({ system_id: 'acme' }), {}, state)
  t.match(await judge({}, 0), { action: 'allow' })
  await state.add(SUSPENDED_SET, 'acme')
  t.match(await judge({}, 0), { action: 'reject', status: VendorStatus.ACCOUNT_SUSPENDED })
  const other = judgeWith([accountStage], account({ system_id: 'other' }), {}, state)
  t.match(await other({}, 0), { action: 'allow' }, 'other accounts unaffected')
  await state.remove(SUSPENDED_SET, 'acme')
  t.match(await judge({}, 0), { action: 'allow' })
})

t.test('binary data_coding needs allow_binary', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  const text = judgeWith([accountStage], account({ system_id: 'acme' }), {}, state)
  const bin = judgeWith([accountStage], account({ system_id: 'ota', allow_binary: true }), {}, state)
  for (const data_coding of [2, 4]) {
    t.match(await text({ data_coding, encoding: 'binary', text: '' }, 0), {
      action: 'reject',
      rule: 'account.binary_not_allowed',
      status: VendorStatus.BINARY_NOT_ALLOWED,
    })
    t.match(await bin({ data_coding, encoding: 'binary', text: '' }, 0), { action: 'allow' })
  }
  t.match(await text({ data_coding: 0xf6, encoding: 'binary', text: '' }, 0), { action: 'reject', rule: 'account.binary_not_allowed' }, 'GSM DCS 8-bit class')
  t.match(await text({ data_coding: 8 }, 0), { action: 'allow' })
})

t.test('invalid destination: ESME_RINVDSTADR', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  const judge = judgeWith([accountStage], account({ system_id: 'acme' }), {}, state)
  for (const [destination_addr, dest_addr_ton] of [['1380013800', 0], ['ABC', 5], ['86138001380001', 1], ['', 0]] as const) {
    t.match(await judge({ destination_addr, dest_addr_ton }, 0), {
      action: 'reject',
      rule: 'account.invalid_destination',
      category: 'recipient',
      status: CommandStatus.ESME_RINVDSTADR,
    }, `${destination_addr || '(empty)'} ton ${dest_addr_ton}`)
  }
  t.match(await judge({ destination_addr: '13800138000', dest_addr_ton: 0 }, 0), { action: 'allow' })
})

t.test('monitor mode records but lets through', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  const judge = judgeWith([accountStage], account({ system_id: 'acme' }), { account: { mode: 'monitor' } } as PolicyConfig, state)
  t.match(await judge({ destination_addr: 'x' }, 0), { action: 'allow', shadow: [{ rule: 'account.invalid_destination', mode: 'monitor' }] })
})

t.test('state unavailable: fail-open allows, fail-closed refuses with STATE_UNAVAILABLE', async (t) => {
  const port = await freePort()
  const metrics = createMetrics()
  const state = createRedisState(isolatedConfig(t, { url: `redis://127.0.0.1:${port}` }), { log: silentLog, metrics })
  t.teardown(() => state.close())
  const open = judgeWith([accountStage], account({ system_id: 'a' }), {}, state)
  const closed = judgeWith([accountStage], account({ system_id: 'b' }), { account: { mode: 'enforce', on_state_error: 'closed' } } as PolicyConfig, state)
  t.match(await open({}, 0), { action: 'allow' })
  t.match(await closed({}, 0), { action: 'reject', rule: 'account.state_unavailable', status: VendorStatus.STATE_UNAVAILABLE })
  t.equal(await stateErrorCount(metrics, 'account', 'open'), 1)
  t.equal(await stateErrorCount(metrics, 'account', 'closed'), 1)
})
