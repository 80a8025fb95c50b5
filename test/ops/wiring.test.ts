// The ops pieces wired the way the composition root wires them: config and reloader, logger with
// per-account debug, metrics over HTTP, the admin socket with the handler table, and the admin command
// reaching it through the config file. Carrier and sessions are fakes here; test/e2e covers the full proxy.
import t from 'tap'
import { EventEmitter, once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { main as admin } from '../../src/commands/admin.js'
import { loadConfig, type LoadedConfig } from '../../src/config/load.js'
import { createReloader } from '../../src/config/reload.js'
import { createAdminHandlers } from '../../src/ops/admin-handlers.js'
import { createAdminServer } from '../../src/ops/admin-server.js'
import { createHttpServer } from '../../src/ops/http.js'
import { createAccountLogs } from '../../src/ops/logger.js'
import { captureLog } from './admin-fixture.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { configDir, yamlWith } from '../config/fixture.js'

const OPS = 'metrics:\n  port: 0\nadmin:\n  socket: run/admin.sock\n'

t.test('status, readiness, reload good and bad, per-account debug, through real sockets', async (t) => {
  const dir = configDir(t, { 'sg.yaml': yamlWith({ extra: OPS }) })
  mkdirSync(join(dir, 'rules'))
  const file = join(dir, 'sg.yaml')
  const { log, lines } = captureLog('info')
  const metrics = createMetrics()
  const initial = loadConfig(file)
  const accountLogs = createAccountLogs(log, initial.config.log.debug_accounts)

  // The running state sessions read: one reference, swapped whole.
  let running = { accounts: new Set(initial.config.accounts.map((a) => a.system_id)) }
  let bound = 0
  const signals = new EventEmitter()
  const applied = new EventEmitter()
  const reloader = createReloader({
    initial,
    apply: (next: LoadedConfig) => {
      const compiled = { accounts: new Set(next.config.accounts.map((a) => a.system_id)) }
      running = compiled
      accountLogs.setDebugAccounts(next.config.log.debug_accounts)
      applied.emit('applied')
    },
    log,
    metrics,
    signals,
  })
  const isReady = () => bound > 0
  const http = createHttpServer(initial.config.metrics, { metrics, isReady, log })
  const addr = await http.listen()
  const session = { sid: 'k1', system_id: 'demo', bindType: 'transceiver', status: 'bound', peer: '127.0.0.1:5000', inFlight: 0, close: async () => {} }
  const handlers = createAdminHandlers({
    sessions: { all: () => [session].values(), size: 1 },
    upstream: { get isAvailable() { return bound > 0 }, snapshot: () => ({ binds: [], queued: 0 }) },
    policy: {
      suspend: async () => ({ suspended: true }),
      resume: async () => ({ resumed: true }),
      accountStatus: async (id) => ({ system_id: id }),
      optoutAdd: async (_id, number) => ({ number, added: true }),
      optoutRemove: async (_id, number) => ({ number, removed: true }),
      optoutList: async (id) => ({ system_id: id, count: 0, numbers: [] }),
    },
    reloader,
    rulesTest: () => ({ action: 'allow' }),
    isReady,
  })
  const adminServer = createAdminServer(
    { enabled: initial.config.admin.enabled, socket: resolve(initial.baseDir, initial.config.admin.socket) },
    { handlers, log, metrics },
  )
  await adminServer.listen()
  // Reverse of start order, as app.ts closes.
  t.teardown(async () => {
    await adminServer.close()
    await reloader.close()
    await http.close()
  })

  const base = `http://127.0.0.1:${addr!.port}`
  const scrape = async () => (await fetch(`${base}/metrics`)).text()
  const run = async (...argv: string[]) => {
    const out: string[] = []
    const err: string[] = []
    const code = await admin(['--config', file, ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) })
    return { code, out: out.join('\n'), err: err.join('\n') }
  }

  t.equal((await fetch(`${base}/readyz`)).status, 503, 'no carrier bind yet')
  bound = 2
  t.equal((await fetch(`${base}/readyz`)).status, 200, 'carrier bound')

  let r = await run('status')
  t.equal(r.code, 0)
  t.match(JSON.parse(r.out), { ready: true, sessions: { total: 1 }, upstream: { available: true }, config: { file } })

  writeFileSync(file, yamlWith({ accounts: ['demo', 'acme'], extra: OPS + 'upstream:\n  window: lots\n' }))
  r = await run('reload')
  t.equal(r.code, 1, 'broken file refused')
  t.match(r.err, `${file}:`)
  t.match(r.err, /upstream\.window/)
  t.same([...running.accounts], ['demo'], 'old config still running')
  let body = await scrape()
  t.match(body, /^smpp_guard_config_reloads_total\{result="failed"\} 1$/m)
  t.match(body, /^smpp_guard_config_last_reload_successful 0$/m)

  writeFileSync(file, yamlWith({ accounts: ['demo', 'acme'], extra: OPS + 'log:\n  debug_accounts: [acme]\n' }))
  const acmeLog = accountLogs.child('acme', { sid: 'k2' })
  acmeLog.debug({ destination_addr: '13812348000', text: '验证码 482913' }, 'pdu received')
  r = await run('reload')
  t.equal(r.code, 0)
  t.match(JSON.parse(r.out), { ok: true, trigger: 'admin', restart_required: [] })
  t.same([...running.accounts], ['demo', 'acme'])
  acmeLog.debug({ destination_addr: '13812348000', text: '验证码 482913' }, 'pdu received')
  body = await scrape()
  t.match(body, /^smpp_guard_config_reloads_total\{result="ok"\} 1$/m)
  t.match(body, /^smpp_guard_config_last_reload_successful 1$/m)
  t.match(body, /^smpp_guard_admin_commands_total\{command="reload",result="failed"\} 1$/m)

  const debugLines = lines.filter((l) => l.includes('"pdu received"'))
  t.equal(debugLines.length, 1, 'debug for acme only after the reload listed it')
  t.match(debugLines[0], /"destination_addr":"138\*\*\*\*8000"/)
  for (const l of lines) t.notMatch(l, /13812348000|482913|验证码/, 'no full number or text in any log line')

  writeFileSync(file, yamlWith({ extra: OPS }))
  const hup = once(applied, 'applied')
  signals.emit('SIGHUP')
  await hup
  t.same([...running.accounts], ['demo'], 'SIGHUP reloaded')

  bound = 0
  t.equal((await fetch(`${base}/readyz`)).status, 503, 'carrier gone')
  t.match(await scrape(), /^smpp_guard_ready 0$/m)
})
