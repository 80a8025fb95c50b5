import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import content from '../../../src/policy/stages/content.js'
import sender from '../../../src/policy/stages/sender.js'
import { compilePolicies, type AccountPolicy } from '../../../src/policy/compile.js'
import { createPipeline } from '../../../src/policy/pipeline.js'
import type { PolicyConfig } from '../../../src/policy/config.js'
import type { Message } from '../../../src/policy/message.js'
import type { Verdict } from '../../../src/policy/verdict.js'
import { AccountSchema, type AccountConfig } from '../../../src/config/schema.js'
import { createMemoryState } from '../../../src/state/memory.js'
import { MemoryStateSchema } from '../../../src/state/config.js'
import { createMetrics } from '../../../src/ops/metrics.js'
import { GuardError } from '../../../src/errors.js'
import { VendorStatus } from '../../../src/smpp/status.js'

const log = pino({ level: 'silent' })
const RULES = {
  'gambling.yaml': 'category: gambling\nterms:\n  10: [赌博, 百家乐]\n  4: ["@link"]\n  6: [平台]\n',
  'fraud_bank.yaml': 'category: fraud_bank\nterms:\n  10: [安全账户]\n',
}

function msg(text: string, extra: Partial<Message> = {}): Message {
  return {
    system_id: 'a', session_id: 's', client_ip: '127.0.0.1', service_type: '', source_addr_ton: 5, source_addr_npi: 0,
    source_addr: 'SHOP', dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '8613800000000', esm_class: 0,
    registered_delivery: 0, data_coding: 8, text, encoding: 'ucs2', decode_error: false, parts: 1, received_at: 0, ...extra,
  }
}

function account(system_id: string, policy: Record<string, unknown> = {}): AccountConfig {
  return AccountSchema.parse({ system_id, password_hash: 'x', policy })
}

function compile(t: Test, dir: string, accounts: AccountConfig[], policy: Record<string, unknown> = {}): ReadonlyMap<string, AccountPolicy> {
  const state = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log, metrics: createMetrics() })
  t.teardown(() => state.close())
  return compilePolicies(accounts, policy as PolicyConfig, { state, log, clock: Date.now, baseDir: dir, rulesDir: dir }, [sender, content])
}

async function judge(p: AccountPolicy, text: string): Promise<Verdict> {
  return createPipeline().judge(msg(text), p, 0)
}

t.test('a forbidden text is rejected with its category status and rule; a clean one passes', async (t) => {
  const dir = t.testdir(RULES)
  const p = compile(t, dir, [account('a')]).get('a')!
  const v = await judge(p, '百家乐上线')
  t.equal(v.action, 'reject')
  if (v.action === 'reject') {
    t.equal(v.rule, 'content.gambling')
    t.equal(v.status, VendorStatus.CONTENT_GAMBLING)
    t.match(v.detail, /score 10\/10: 百家乐\+10/)
  }
  t.same(await judge(p, '【店】您的订单已发货'), { action: 'allow', shadow: [] })
})

t.test('per-account overrides: a category off for one account, in monitor for another', async (t) => {
  const dir = t.testdir(RULES)
  const ps = compile(t, dir, [
    account('strict'),
    account('lenient', { content: { categories: { gambling: 'off' } } }),
    account('watch', { content: { categories: { gambling: 'monitor' } } }),
  ])
  t.equal((await judge(ps.get('strict')!, '赌博平台')).action, 'reject')
  t.same(await judge(ps.get('lenient')!, '赌博平台'), { action: 'allow', shadow: [] })
  const watched = await judge(ps.get('watch')!, '赌博平台')
  t.equal(watched.action, 'allow', 'monitor forwards the message')
  t.equal(watched.shadow.length, 1)
  t.match(watched.shadow[0], { rule: 'content.gambling', mode: 'monitor', status: VendorStatus.CONTENT_GAMBLING }, 'and records what it would have done')
  t.equal((await judge(ps.get('lenient')!, '转到安全账户')).action, 'reject', 'other categories still apply')
})

t.test('a whole stage in monitor mode records without rejecting', async (t) => {
  const dir = t.testdir(RULES)
  const p = compile(t, dir, [account('a')], { content: { mode: 'monitor' } }).get('a')!
  const v = await judge(p, '百家乐')
  t.equal(v.action, 'allow')
  t.equal(v.shadow[0]?.rule, 'content.gambling')
})

t.test('allowed hosts: evidence off for the own host; allowed_only rejects any other link', async (t) => {
  const dir = t.testdir(RULES)
  const ps = compile(t, dir, [
    account('open'),
    account('own', { content: { allowed_hosts: ['shop.example'] } }),
    account('strict', { content: { allowed_hosts: ['shop.example'], links: 'allowed_only' } }),
  ])
  t.equal((await judge(ps.get('open')!, '新平台 x.shop.example')).action, 'reject', '平台 6 + link 4')
  t.equal((await judge(ps.get('own')!, '新平台 x.shop.example')).action, 'allow')
  t.equal((await judge(ps.get('strict')!, '详见 https://m.shop.example/a')).action, 'allow')
  const v = await judge(ps.get('strict')!, '详见 https://other.example/a')
  t.equal(v.action === 'reject' && v.status, VendorStatus.CONTENT_LINK_NOT_ALLOWED)
})

t.test('the engine is built once per compile and shared by every account', async (t) => {
  const dir = t.testdir(RULES)
  let builds = 0
  const state = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log, metrics: createMetrics() })
  t.teardown(() => state.close())
  const cache = new Map<string, unknown>()
  const memo = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) {
      builds++
      cache.set(key, make())
    }
    return cache.get(key) as T
  }
  for (const id of ['a', 'b', 'c']) content.build(content.config.parse({}), { state, log, clock: Date.now, baseDir: dir, rulesDir: dir, memo }, account(id))
  t.equal(builds, 1)
})

t.test('reload with a broken rule file: compile throws naming file and line, the old policy keeps working', async (t) => {
  const dir = t.testdir(RULES)
  const old = compile(t, dir, [account('a')]).get('a')!
  writeFileSync(join(dir, 'gambling.yaml'), 'category: gambling\nterms:\n  10: [赌博\n')
  let error: unknown
  try {
    compile(t, dir, [account('a')])
  } catch (err) {
    error = err
  }
  t.ok(error instanceof GuardError && error.code === 'SG_ERR_RULES_INVALID')
  t.match((error as Error).message, /gambling\.yaml:\d+: /)
  t.equal((await judge(old, '百家乐')).action, 'reject')
})

t.test('an empty text (binary message) is not scanned', async (t) => {
  const dir = t.testdir(RULES)
  const p = compile(t, dir, [account('a')]).get('a')!
  t.same(await createPipeline().judge(msg('', { encoding: 'binary' }), p, 0), { action: 'allow', shadow: [] })
})
