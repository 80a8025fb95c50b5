import t from 'tap'
import { createDiscipline } from '../../src/policy/discipline.js'
import { createPolicyAdmin } from '../../src/policy/admin.js'
import { compileAccount } from '../../src/policy/compile.js'
import { createPipeline } from '../../src/policy/pipeline.js'
import { stages } from '../../src/policy/stages/index.js'
import type { StageDefinition, StageDeps } from '../../src/policy/define-stage.js'
import type { PolicyConfig } from '../../src/policy/config.js'
import { defineStage, StageMode } from '../../src/policy/define-stage.js'
import { hit } from '../../src/policy/verdict.js'
import { z } from 'zod'
import { createMemoryState } from '../../src/state/memory.js'
import { MemoryStateSchema } from '../../src/state/config.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { VendorStatus } from '../../src/smpp/status.js'
import { account, message, silentLog } from './stages/fixture.js'

// Stands in for the content stage: rejects any text containing "赌" with a content rule.
const fakeContent = defineStage({
  name: 'content',
  config: z.strictObject({ mode: StageMode.default('enforce') }),
  build: () => (msg) => (msg.text.includes('赌') ? hit('content.gambling', 'gambling', VendorStatus.CONTENT_GAMBLING) : null),
})
const accountStage = stages.find((s) => s.name === 'account')!

function setup(policy: PolicyConfig, acctOver: Parameters<typeof account>[0] = { system_id: 'acme' }) {
  let now = Date.UTC(2026, 0, 1, 10, 0, 30)
  const clock = () => now
  const metrics = createMetrics()
  const state = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log: silentLog, metrics })
  const acct = account(acctOver)
  const discipline = createDiscipline(policy, [acct], { state, log: silentLog, metrics, clock })
  const deps: StageDeps = { state, log: silentLog, clock, baseDir: '.', memo: (_k, make) => make() }
  const compiled = compileAccount(acct, policy, deps, [accountStage, fakeContent] as StageDefinition[])
  const pipeline = createPipeline()
  pipeline.onVerdict(discipline.onVerdict)
  const send = async (text: string) => {
    const v = await pipeline.judge(message({ system_id: acct.system_id, text }), compiled, now)
    await discipline.settled()
    return v
  }
  const suspensions = async (cause: string) => (await metrics.accountSuspensions.get()).values.find((v) => v.labels.cause === cause)?.value ?? 0
  return { state, discipline, send, suspensions, tick: (ms: number) => (now += ms), admin: createPolicyAdmin({ state, discipline }) }
}

const on = (over: Record<string, unknown> = {}) =>
  ({ account: { mode: 'enforce', auto_suspend: { enabled: true, threshold: 3, window_s: 3600, ...over } } }) as unknown as PolicyConfig

t.test('N weighted rejections within the window suspend the account; resume lifts it', async (t) => {
  const { send, suspensions, admin, state } = setup(on())
  t.teardown(() => state.close())
  t.match(await send('赌场'), { action: 'reject', rule: 'content.gambling' })
  t.match(await send('正常消息'), { action: 'allow' })
  t.match(await send('赌博'), { action: 'reject', rule: 'content.gambling' })
  t.match(await admin.accountStatus('acme'), { suspended: false, violations: 2, threshold: 3 })
  t.match(await send('赌'), { action: 'reject', rule: 'content.gambling' }, 'the third violation')
  t.match(await send('正常消息'), { action: 'reject', rule: 'account.suspended', status: VendorStatus.ACCOUNT_SUSPENDED })
  t.equal(await suspensions('auto'), 1)
  const status = await admin.accountStatus('acme')
  t.match(status, { system_id: 'acme', suspended: true, suspension: { cause: 'auto', detail: '3 weighted rejections within 3600 s' } })

  t.same(await admin.resume('acme'), { resumed: true })
  t.match(await send('正常消息'), { action: 'allow' })
  t.match(await send('赌'), { action: 'reject', rule: 'content.gambling' }, 'one more violation after resume…')
  t.match(await send('正常消息'), { action: 'allow' }, '…does not suspend again: the count started over')
  t.same(await admin.resume('acme'), { resumed: false })
})

t.test('violations in an earlier window do not add up', async (t) => {
  const { send, tick, admin, state } = setup(on())
  t.teardown(() => state.close())
  await send('赌')
  await send('赌')
  tick(3600_000)
  await send('赌')
  t.match(await admin.accountStatus('acme'), { suspended: false, violations: 1 })
})

t.test('weights: severity decides; unlisted rules do not count', async (t) => {
  const { send, admin, state } = setup(on({ weights: { 'content.gambling': 3, 'content.*': 1 } }))
  t.teardown(() => state.close())
  await send('正常')
  t.match(await admin.accountStatus('acme'), { violations: 0 }, 'allowed messages do not count')
  t.match(await send('赌'), { action: 'reject', rule: 'content.gambling' })
  t.match(await admin.accountStatus('acme'), { suspended: true }, 'the highest matching weight (3) reaches the threshold at once')
  const other = setup(on({ weights: { 'sender.*': 1 } }))
  t.teardown(() => other.state.close())
  for (let i = 0; i < 5; i++) await other.send('赌')
  t.match(await other.admin.accountStatus('acme'), { suspended: false, violations: 0 }, 'content rules not listed')
})

t.test('disabled by default: rejections never suspend', async (t) => {
  const { send, admin, state } = setup({})
  t.teardown(() => state.close())
  for (let i = 0; i < 10; i++) await send('赌')
  t.match(await admin.accountStatus('acme'), { suspended: false, threshold: 0 })
})

t.test('per-account override of the threshold; update() applies a reload', async (t) => {
  const { send, admin, state, discipline } = setup(on(), { system_id: 'acme', policy: { account: { auto_suspend: { enabled: true, threshold: 1, window_s: 60, weights: { 'content.*': 1 } } } } })
  t.teardown(() => state.close())
  await send('赌')
  t.match(await admin.accountStatus('acme'), { suspended: true, threshold: 1 })
  await admin.resume('acme')
  discipline.update(on({ threshold: 5 }), [account({ system_id: 'acme' })])
  await send('赌')
  t.match(await admin.accountStatus('acme'), { suspended: false, threshold: 5 })
})

t.test('admin suspend and resume', async (t) => {
  const { send, suspensions, admin, state } = setup({})
  t.teardown(() => state.close())
  t.same(await admin.suspend('acme', 'complaint 2026-114'), { suspended: true })
  t.same(await admin.suspend('acme'), { suspended: false }, 'already suspended')
  t.match(await send('你好'), { action: 'reject', rule: 'account.suspended' })
  t.match(await admin.accountStatus('acme'), { suspended: true, suspension: { cause: 'admin', detail: 'complaint 2026-114' } })
  t.equal(await suspensions('admin'), 1)
  t.same(await admin.resume('acme'), { resumed: true })
  t.match(await send('你好'), { action: 'allow' })
  t.match(await admin.accountStatus('acme'), { suspended: false, suspension: null })
})
