import t, { type Test } from 'tap'
import content from '../../../src/policy/stages/content.js'
import rateLimit from '../../../src/policy/stages/rate-limit.js'
import { createMemoryState } from '../../../src/state/memory.js'
import { createRedisState } from '../../../src/state/redis.js'
import { MemoryStateSchema } from '../../../src/state/config.js'
import { createMetrics } from '../../../src/ops/metrics.js'
import { VendorStatus } from '../../../src/smpp/status.js'
import { CommandStatus } from '../../../src/smpp/constants.js'
import type { State } from '../../../src/state/types.js'
import type { PolicyConfig } from '../../../src/policy/config.js'
import { account, judgeWith, silentLog } from './fixture.js'
import { stateErrorCount } from '../../state/fixture.js'
import { freePort, isolatedConfig, requireRedis } from '../../state/redis-server.js'

const SEC = 1000
const MIN = 60 * SEC
// 2026-01-01 10:00:30 UTC = 18:00:30 in Asia/Shanghai: mid-minute, and outside default quiet hours.
const T0 = Date.UTC(2026, 0, 1, 10, 0, 30)
const NONE = { recipient: [], recipient_global: [], duplicate: [] }
const policy = (rl: Record<string, unknown>): PolicyConfig => ({ rate_limit: { mode: 'enforce', ...rl } }) as PolicyConfig
const to = (n: number) => ({ destination_addr: `86138001380${String(n).padStart(2, '0')}`, text: `msg ${n}` })

type Backend = { name: string; make(t: Test): Promise<State | null> }
const backends: Backend[] = [
  {
    name: 'memory',
    async make(t) {
      const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log: silentLog, metrics: createMetrics() })
      t.teardown(() => s.close())
      return s
    },
  },
  {
    name: 'redis',
    async make(t) {
      if (!(await requireRedis(t))) return null
      const s = createRedisState(isolatedConfig(t), { log: silentLog, metrics: createMetrics() })
      t.teardown(() => s.close())
      await s.ready()
      return s
    },
  },
]

for (const backend of backends) {
  t.test(`${backend.name}: account tps — burst, then the refill rate; 0x58`, async (t) => {
    const state = await backend.make(t)
    if (!state) return
    const judge = judgeWith([rateLimit], account({ system_id: 'acme', tps: 2, burst: 3 }), policy(NONE), state)
    for (let i = 0; i < 3; i++) t.match(await judge(to(i), T0), { action: 'allow' }, `burst ${i + 1}`)
    t.match(await judge(to(3), T0), { action: 'reject', rule: 'rate_limit.tps', status: CommandStatus.ESME_RTHROTTLED })
    t.match(await judge(to(3), T0 + 499), { action: 'reject', status: CommandStatus.ESME_RTHROTTLED })
    t.match(await judge(to(3), T0 + 500), { action: 'allow' }, 'one token per 1/tps s')
  })

  t.test(`${backend.name}: a long message counts once, for tps and for the recipient`, async (t) => {
    const state = await backend.make(t)
    if (!state) return
    const judge = judgeWith(
      [rateLimit],
      account({ system_id: 'acme', tps: 1, burst: 3 }),
      policy({ ...NONE, recipient: [{ window_s: 60, limit: 2 }] }),
      state,
    )
    t.match(await judge({ parts: 5, text: 'long '.repeat(80) }, T0), { action: 'allow' }, 'five segments, one message')
    t.match(await judge({ parts: 3, text: 'another long one '.repeat(20) }, T0), { action: 'allow' }, 'second message to the recipient')
    t.match(await judge({ text: 'third' }, T0), { action: 'reject', rule: 'rate_limit.recipient' }, 'third message: recipient cap 2')
    t.match(await judge(to(9), T0), { action: 'allow' }, 'the bucket had 3 tokens: only 2 were taken by long messages')
  })

  t.test(`${backend.name}: per-recipient caps over several windows, with roll-over`, async (t) => {
    const state = await backend.make(t)
    if (!state) return
    const judge = judgeWith(
      [rateLimit],
      account({ system_id: 'acme', tps: 0 }),
      policy({ ...NONE, recipient: [{ window_s: 60, limit: 1 }, { window_s: 3600, limit: 3 }] }),
      state,
    )
    const minuteStart = T0 - 30 * SEC
    t.match(await judge({ text: 'a' }, T0), { action: 'allow' })
    t.match(await judge({ text: 'b' }, minuteStart + MIN - 1), {
      action: 'reject',
      rule: 'rate_limit.recipient',
      status: VendorStatus.RECIPIENT_RATE_LIMITED,
      detail: '1 per 60 s',
    })
    t.match(await judge({ text: 'c' }, minuteStart + MIN), { action: 'allow' }, 'next minute')
    t.match(await judge({ text: 'd' }, minuteStart + 2 * MIN), { action: 'allow' })
    t.match(await judge({ text: 'e' }, minuteStart + 3 * MIN), { action: 'reject', detail: '3 per 3600 s' }, 'hour cap')
    t.match(await judge({ destination_addr: '13900139000', text: 'e' }, minuteStart + 3 * MIN), { action: 'allow' }, 'other recipient')
    t.match(await judge({ destination_addr: '+8613800138000', text: 'f' }, T0 + 3600 * SEC), { action: 'allow' }, 'next hour, any spelling')
    t.match(await judge({ destination_addr: '008613800138000', text: 'g' }, T0 + 3600 * SEC), { action: 'reject', detail: '1 per 60 s' }, 'same person')
  })

  t.test(`${backend.name}: the cross-account cap sees every account`, async (t) => {
    const state = await backend.make(t)
    if (!state) return
    const cfg = policy({ ...NONE, recipient: [{ window_s: 60, limit: 5 }], recipient_global: [{ window_s: 60, limit: 2 }] })
    const a = judgeWith([rateLimit], account({ system_id: 'a', tps: 0 }), cfg, state)
    const b = judgeWith([rateLimit], account({ system_id: 'b', tps: 0 }), cfg, state)
    const c = judgeWith([rateLimit], account({ system_id: 'c', tps: 0 }), cfg, state)
    t.match(await a({ text: '1' }, T0), { action: 'allow' })
    t.match(await b({ text: '2' }, T0), { action: 'allow' })
    t.match(await c({ text: '3' }, T0), {
      action: 'reject',
      rule: 'rate_limit.recipient_global',
      status: VendorStatus.RECIPIENT_GLOBAL_RATE_LIMITED,
    })
    t.match(await a({ text: '4' }, T0), { action: 'reject', rule: 'rate_limit.recipient_global' }, 'even below its own cap')
    t.match(await c({ text: '5' }, T0 + 30 * SEC), { action: 'allow' }, 'next minute')
  })

  t.test(`${backend.name}: same content to the same recipient, normalised`, async (t) => {
    const state = await backend.make(t)
    if (!state) return
    const judge = judgeWith([rateLimit], account({ system_id: 'acme', tps: 0 }), policy({ ...NONE, duplicate: [{ window_s: 30, limit: 1 }] }), state)
    t.match(await judge({ text: '【Acme】验证码 1234，5分钟内有效' }, T0), { action: 'allow' })
    t.match(await judge({ text: '【ＡＣＭＥ】验证码１２３４ 5分钟内有效！' }, T0 + SEC), {
      action: 'reject',
      rule: 'rate_limit.duplicate',
      status: VendorStatus.DUPLICATE_CONTENT,
    }, 'width, case, spaces and punctuation do not make it new')
    t.match(await judge({ text: '【Acme】验证码 5678，5分钟内有效' }, T0 + SEC), { action: 'allow' }, 'other content')
    t.match(await judge({ destination_addr: '13900139000', text: '【Acme】验证码 1234，5分钟内有效' }, T0 + SEC), { action: 'allow' }, 'other recipient')
    t.match(await judge({ text: '【Acme】验证码 1234，5分钟内有效' }, T0 + 30 * SEC), { action: 'allow' }, 'next window')
    t.match(await judge({ text: '', encoding: 'binary', data_coding: 4 }, T0 + 30 * SEC), { action: 'allow' }, 'binary has no content to compare')
    t.match(await judge({ text: '', encoding: 'binary', data_coding: 4 }, T0 + 30 * SEC), { action: 'allow' })
  })
}

t.test('the duplicate cap hashes the fold the content stage made exactly as a fold of its own', async (t) => {
  const state = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log: silentLog, metrics: createMetrics() })
  t.teardown(() => state.close())
  const acct = account({ system_id: 'acme', tps: 0 })
  const caps = policy({ ...NONE, duplicate: [{ window_s: 30, limit: 1 }] })
  const both = judgeWith([content, rateLimit], acct, { ...caps, content: { mode: 'enforce' } } as PolicyConfig, state, 'config')
  const alone = judgeWith([rateLimit], acct, caps, state)
  const first = '【Acme】您的订单 1234 已发货，请注意查收'
  const again = '【ＡＣＭＥ】您的订单１２３４已发货 请注意查收！'
  t.match(await both({ text: first }, T0), { action: 'allow' })
  t.match(await alone({ text: again }, T0 + SEC), { action: 'reject', rule: 'rate_limit.duplicate' }, 'content folded first, the cap alone second')
  t.match(await alone({ destination_addr: '13900139000', text: first }, T0), { action: 'allow' })
  t.match(await both({ destination_addr: '13900139000', text: again }, T0 + SEC), { action: 'reject', rule: 'rate_limit.duplicate' }, 'the other way round')
})

t.test('quiet hours in the account time zone, wrapping midnight', async (t) => {
  const state = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log: silentLog, metrics: createMetrics() })
  t.teardown(() => state.close())
  const judge = judgeWith(
    [rateLimit],
    account({ system_id: 'shop', tps: 0 }),
    policy({ ...NONE, time_zone: 'Asia/Shanghai', quiet_hours: { from: '21:00', to: '08:00' } }),
    state,
  )
  const cst = (h: number, m: number) => Date.UTC(2026, 5, 1, h - 8, m) // Asia/Shanghai is UTC+8 all year
  t.match(await judge({}, cst(20, 59)), { action: 'allow' })
  t.match(await judge({}, cst(21, 0)), { action: 'reject', rule: 'rate_limit.quiet_hours', status: VendorStatus.QUIET_HOURS })
  t.match(await judge({}, cst(23, 59)), { action: 'reject', rule: 'rate_limit.quiet_hours' })
  t.match(await judge({}, cst(24, 0)), { action: 'reject', rule: 'rate_limit.quiet_hours' }, 'midnight')
  t.match(await judge({}, cst(7, 59)), { action: 'reject', rule: 'rate_limit.quiet_hours' })
  t.match(await judge({}, cst(8, 0)), { action: 'allow' })
})

t.test('config: bad time zone and bad clock are refused', async (t) => {
  t.notOk(rateLimit.config.safeParse({ time_zone: 'Mars/Olympus' }).success)
  t.notOk(rateLimit.config.safeParse({ quiet_hours: { from: '25:00', to: '08:00' } }).success)
  t.ok(rateLimit.config.safeParse({ quiet_hours: { from: '21:00', to: '08:00' } }).success)
})

t.test('Redis unavailable: fail-open lets through, fail-closed stops; both counted, no hang', async (t) => {
  const port = await freePort()
  const metrics = createMetrics()
  const state = createRedisState(isolatedConfig(t, { url: `redis://127.0.0.1:${port}`, connect_timeout_ms: 100 }), { log: silentLog, metrics })
  t.teardown(() => state.close())
  const open = judgeWith([rateLimit], account({ system_id: 'a' }), policy({ on_state_error: 'open' }), state)
  const closed = judgeWith([rateLimit], account({ system_id: 'b' }), policy({ on_state_error: 'closed' }), state)
  t.match(await open({}, T0), { action: 'allow' })
  t.match(await closed({}, T0), {
    action: 'reject',
    rule: 'rate_limit.state_unavailable',
    category: 'state',
    status: VendorStatus.STATE_UNAVAILABLE,
  })
  t.equal(await stateErrorCount(metrics, 'rate_limit', 'open'), 1)
  t.equal(await stateErrorCount(metrics, 'rate_limit', 'closed'), 1)
})

t.test('two proxy instances (two States) on one Redis enforce one recipient cap', async (t) => {
  if (!(await requireRedis(t))) return
  const cfg = isolatedConfig(t)
  const s1 = createRedisState(cfg, { log: silentLog, metrics: createMetrics() })
  const s2 = createRedisState(cfg, { log: silentLog, metrics: createMetrics() })
  t.teardown(() => Promise.all([s1.close(), s2.close()]))
  await Promise.all([s1.ready(), s2.ready()])
  const p = policy({ ...NONE, recipient: [{ window_s: 3600, limit: 3 }] })
  const one = judgeWith([rateLimit], account({ system_id: 'acme', tps: 0 }), p, s1)
  const two = judgeWith([rateLimit], account({ system_id: 'acme', tps: 0 }), p, s2)
  const verdicts = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? one : two)({ text: `m${i}` }, T0)))
  t.equal(verdicts.filter((v) => v.action === 'allow').length, 3)
  t.ok(verdicts.filter((v) => v.action === 'reject').every((v) => v.action === 'reject' && v.rule === 'rate_limit.recipient'))
})

t.test('defaults: 1 per minute per recipient, throttling from account tps', async (t) => {
  const state = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log: silentLog, metrics: createMetrics() })
  t.teardown(() => state.close())
  const judge = judgeWith([rateLimit], account({ system_id: 'acme' }), {}, state)
  t.match(await judge({ text: 'x' }, T0), { action: 'allow' })
  t.match(await judge({ text: 'y' }, T0), { action: 'reject', rule: 'rate_limit.recipient' })
})
