import t from 'tap'
import optOut from '../../../src/policy/stages/opt-out.js'
import { createMoOptOut, optOutAdd, optOutList, optOutRemove } from '../../../src/policy/opt-out.js'
import { createMemoryState } from '../../../src/state/memory.js'
import { createRedisState } from '../../../src/state/redis.js'
import { MemoryStateSchema } from '../../../src/state/config.js'
import { createMetrics } from '../../../src/ops/metrics.js'
import { VendorStatus } from '../../../src/smpp/status.js'
import type { PolicyConfig } from '../../../src/policy/config.js'
import { account, judgeWith, silentLog } from './fixture.js'
import { freePort, isolatedConfig } from '../../state/redis-server.js'

const memory = () => createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log: silentLog, metrics: createMetrics() })

async function moCount(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  return (await metrics.mo.get()).values.find((v) => v.labels.outcome === 'opt_out')?.value ?? 0
}

t.test('an MO reply opts the sender out of that account only', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  const metrics = createMetrics()
  const acme = account({ system_id: 'acme' })
  const other = account({ system_id: 'other' })
  const onMo = createMoOptOut({}, [acme, other], { state, log: silentLog, metrics })
  const judge = judgeWith([optOut], acme, {}, state)
  const judgeOther = judgeWith([optOut], other, {}, state)

  t.match(await judge({ destination_addr: '13800138000' }, 0), { action: 'allow' })
  t.equal(await onMo('acme', '8613800138000', 'ＴＤ'), true, 'full-width TD')
  t.match(await judge({ destination_addr: '13800138000' }, 0), {
    action: 'reject',
    rule: 'opt_out.recipient',
    category: 'recipient',
    status: VendorStatus.RECIPIENT_OPTED_OUT,
  })
  t.match(await judge({ destination_addr: '+86 138 0013 8000' }, 0), { action: 'reject' }, 'any spelling of the number')
  t.match(await judgeOther({ destination_addr: '13800138000' }, 0), { action: 'allow' }, 'other accounts may still send')
  t.equal(await moCount(metrics), 1)
})

t.test('keywords: whole reply, case/width/punctuation-insensitive, configurable', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  const onMo = createMoOptOut({}, [], { state, log: silentLog, metrics: createMetrics() })
  for (const text of ['TD', 'td', ' t ', 'n', '退订', '退订。', '取消！', 'Ｎ', 'T D']) t.equal(await onMo('acme', '13800138000', text), true, JSON.stringify(text))
  for (const text of ['No', 'Thanks', '好的', 'TD退订', '', '请退订我的会员']) t.equal(await onMo('acme', '13900139000', text), false, JSON.stringify(text))
  t.same((await optOutList(state, 'acme')).numbers, ['8613800138000'])

  const custom = createMoOptOut(
    { opt_out: { mode: 'enforce', keywords: ['STOP'] } } as PolicyConfig,
    [account({ system_id: 'intl', policy: { opt_out: { keywords: ['QUIT', 'R'] } } })],
    { state, log: silentLog, metrics: createMetrics() },
  )
  t.equal(await custom('acme', '13700137000', 'stop'), true, 'global keywords')
  t.equal(await custom('acme', '13700137000', 'TD'), false, 'replaced, not added to')
  t.equal(await custom('intl', '13700137000', 'r'), true, 'per-account keywords')
  t.equal(await custom('intl', '13700137000', 'stop'), false)
})

t.test('an MO from an invalid number is ignored; a state failure rejects so the carrier redelivers', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  const onMo = createMoOptOut({}, [], { state, log: silentLog, metrics: createMetrics() })
  t.equal(await onMo('acme', 'VODAFONE', 'TD'), false)

  const port = await freePort()
  const dead = createRedisState(isolatedConfig(t, { url: `redis://127.0.0.1:${port}` }), { log: silentLog, metrics: createMetrics() })
  t.teardown(() => dead.close())
  const onMoDead = createMoOptOut({}, [], { state: dead, log: silentLog, metrics: createMetrics() })
  await t.rejects(onMoDead('acme', '13800138000', 'TD'), { code: 'SG_ERR_STATE_UNAVAILABLE' })
})

t.test('message classes: verification accounts are not stopped by opt-outs', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  await optOutAdd(state, 'otp', '13800138000')
  await optOutAdd(state, 'shop', '13800138000')
  const otp = judgeWith([optOut], account({ system_id: 'otp', policy: { opt_out: { message_class: 'verification' } } }), {}, state)
  const shop = judgeWith([optOut], account({ system_id: 'shop', policy: { opt_out: { message_class: 'marketing' } } }), {}, state)
  t.match(await otp({ destination_addr: '13800138000' }, 0), { action: 'allow' })
  t.match(await shop({ destination_addr: '13800138000' }, 0), { action: 'reject', rule: 'opt_out.recipient' })
  const everything = judgeWith(
    [optOut],
    account({ system_id: 'otp', policy: { opt_out: { message_class: 'verification' } } }),
    { opt_out: { mode: 'enforce', applies_to: ['marketing', 'notification', 'verification'] } } as PolicyConfig,
    state,
  )
  t.match(await everything({ destination_addr: '13800138000' }, 0), { action: 'reject' }, 'when configured to cover them')
})

t.test('admin add / remove / list with canonical numbers', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  t.same(await optOutAdd(state, 'acme', '+86 139 0013 9000'), { number: '8613900139000', added: true })
  t.same(await optOutAdd(state, 'acme', '13900139000'), { number: '8613900139000', added: false })
  t.same(await optOutAdd(state, 'acme', '13800138000'), { number: '8613800138000', added: true })
  t.same(await optOutList(state, 'acme'), { system_id: 'acme', count: 2, numbers: ['8613800138000', '8613900139000'] })
  t.same(await optOutList(state, 'acme', 1), { system_id: 'acme', count: 2, numbers: ['8613800138000'] })
  t.same(await optOutRemove(state, 'acme', '008613800138000'), { number: '8613800138000', removed: true })
  t.same(await optOutRemove(state, 'acme', '13800138000'), { number: '8613800138000', removed: false })
  await t.rejects(optOutAdd(state, 'acme', 'abc'), { code: 'SG_ERR_USAGE' })
})
