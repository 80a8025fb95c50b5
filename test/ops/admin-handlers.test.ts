import t, { type Test } from 'tap'
import { join } from 'node:path'
import { loadConfig, type LoadedConfig } from '../../src/config/load.js'
import type { ReloadResult } from '../../src/config/reload.js'
import type { SessionRegistry } from '../../src/inbound/registry.js'
import type { Upstream } from '../../src/upstream/pool.js'
import type { PolicyAdmin } from '../../src/policy/admin.js'
import { createAdminHandlers, type AdminHandlerDeps, type UpstreamView, type PolicyAdminView } from '../../src/ops/admin-handlers.js'
import { configDir, yamlWith } from '../config/fixture.js'

// The real parts must fit the views the handlers take (checked by the type-check run).
const upstreamFits: (u: Upstream) => UpstreamView = (u) => u
const policyFits: (p: PolicyAdmin) => PolicyAdminView = (p) => p
const sessionsFit: (r: SessionRegistry) => AdminHandlerDeps['sessions'] = (r) => r
void [upstreamFits, policyFits, sessionsFit]

function fakeSession(sid: string, system_id: string, bindType: string) {
  const s = {
    sid,
    system_id,
    bindType,
    status: 'bound',
    peer: '127.0.0.1:40000',
    inFlight: 0,
    closed: false,
    close: async () => {
      s.closed = true
    },
  }
  return s
}

function setup(t: Test, opts: { reload?: ReloadResult } = {}) {
  const dir = configDir(t, { 'sg.yaml': yamlWith({ accounts: ['demo', 'acme'] }) })
  const current: LoadedConfig = loadConfig(join(dir, 'sg.yaml'))
  const sessions = [fakeSession('a1', 'demo', 'transceiver'), fakeSession('a2', 'acme', 'transmitter'), fakeSession('a3', 'acme', 'receiver')]
  const calls: string[] = []
  const policy: PolicyAdminView = {
    suspend: async (id) => (calls.push(`suspend ${id}`), { suspended: true }),
    resume: async (id) => (calls.push(`resume ${id}`), { resumed: true }),
    accountStatus: async (id) => ({ system_id: id, suspended: false }),
    optoutAdd: async (id, n) => (calls.push(`add ${id} ${n}`), { number: n, added: true }),
    optoutRemove: async (id, n) => (calls.push(`remove ${id} ${n}`), { number: n, removed: true }),
    optoutList: async (id) => ({ system_id: id, count: 0, numbers: [] }),
  }
  let now = 1_000_000
  const deps: AdminHandlerDeps = {
    sessions: { all: () => sessions.values(), get size() { return sessions.length } },
    upstream: { isAvailable: true, snapshot: () => ({ binds: [{ id: 'b0', type: 'transceiver', status: 'bound', in_flight: 3 }], queued: 0 }) },
    policy,
    reloader: {
      current,
      reload: async () => opts.reload ?? { ok: true, trigger: 'admin', file: current.file, duration_ms: 1, restart_required: [] },
    },
    rulesTest: (req) => ({ action: req.text.includes('赌') ? 'reject' : 'allow' }),
    isReady: () => true,
    clock: () => now,
    version: '0.1.0',
  }
  const handlers = createAdminHandlers(deps)
  return { handlers, sessions, calls, advance: (ms: number) => (now += ms), current }
}

t.test('status summarises proxy, sessions, binds and config; status ACCOUNT asks the policy', async (t) => {
  const s = setup(t)
  s.advance(65_000)
  t.match(await s.handlers.status({ cmd: 'status' }), {
    pid: process.pid,
    version: '0.1.0',
    uptime_s: 65,
    ready: true,
    config: { file: s.current.file, accounts: 2 },
    sessions: { total: 3, by_account: { demo: 1, acme: 2 }, by_bind_type: { transceiver: 1, transmitter: 1, receiver: 1 } },
    upstream: { available: true, queued: 0, binds: [{ id: 'b0', status: 'bound' }] },
  })
  t.same(await s.handlers.status({ cmd: 'status', account: 'acme' }), { system_id: 'acme', suspended: false })
  await t.rejects(async () => s.handlers.status({ cmd: 'status', account: 'ghost' }), { code: 'SG_ERR_ADMIN_FAILED' })
})

t.test('sessions list and kick', async (t) => {
  const s = setup(t)
  t.match(await s.handlers['sessions.list']({ cmd: 'sessions.list' }), [
    { id: 'a1', system_id: 'demo', bind_type: 'transceiver', status: 'bound', peer: '127.0.0.1:40000', in_flight: 0 },
    { id: 'a2' },
    { id: 'a3' },
  ])
  t.match(await s.handlers['sessions.kick']({ cmd: 'sessions.kick', id: 'a2' }), { kicked: { id: 'a2', system_id: 'acme' } })
  t.ok(s.sessions[1].closed)
  await t.rejects(async () => s.handlers['sessions.kick']({ cmd: 'sessions.kick', id: 'zz' }), { message: /no session zz/ })
})

t.test('account commands check the account exists, then reach the policy', async (t) => {
  const s = setup(t)
  t.same(await s.handlers.suspend({ cmd: 'suspend', account: 'acme' }), { account: 'acme', suspended: true })
  t.same(await s.handlers.resume({ cmd: 'resume', account: 'acme' }), { account: 'acme', resumed: true })
  await s.handlers['optout.add']({ cmd: 'optout.add', account: 'demo', number: '13812348000' })
  await s.handlers['optout.remove']({ cmd: 'optout.remove', account: 'demo', number: '13812348000' })
  t.same(await s.handlers['optout.list']({ cmd: 'optout.list', account: 'demo' }), { system_id: 'demo', count: 0, numbers: [] })
  t.same(s.calls, ['suspend acme', 'resume acme', 'add demo 13812348000', 'remove demo 13812348000'])
  for (const [name, req] of [
    ['suspend', { cmd: 'suspend', account: 'ghost' }],
    ['optout.add', { cmd: 'optout.add', account: 'ghost', number: '13812348000' }],
    ['rules.test', { cmd: 'rules.test', account: 'ghost', text: 'x' }],
  ] as const) {
    await t.rejects(async () => (s.handlers[name] as (r: unknown) => unknown)(req), { message: /unknown account ghost/ }, name)
  }
  t.equal(s.calls.length, 4, 'nothing reached the policy for an unknown account')
  t.same(await s.handlers['rules.test']({ cmd: 'rules.test', account: 'demo', text: '来赌' }), { action: 'reject' })
})

t.test('reload: a failed result becomes an error carrying the problems', async (t) => {
  const ok = setup(t)
  t.match(await ok.handlers.reload({ cmd: 'reload' }), { ok: true, trigger: 'admin' })
  const problems = [{ file: '/x.yaml', line: 2, key: 'listen.port', reason: 'Invalid input' }]
  const bad = setup(t, { reload: { ok: false, trigger: 'admin', file: '/x.yaml', problems } })
  await t.rejects(async () => bad.handlers.reload({ cmd: 'reload' }), { code: 'SG_ERR_CONFIG_INVALID', problems })
})
