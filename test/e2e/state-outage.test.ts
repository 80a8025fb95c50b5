// A shared state backend that is down when the proxy starts is an outage like any other: the proxy starts,
// and each stage applies its `on_state_error` (open: traffic flows; closed: STATE_UNAVAILABLE).
import t from 'tap'
import net from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { loadConfig } from '../../src/config/load.js'
import { hashPassword } from '../../src/inbound/password.js'
import { startApp } from '../../src/app.js'
import { CoarseTimer } from '../../src/util/coarse-timer.js'
import { createClient } from '../../src/simulator/client.js'
import { CommandStatus } from '../../src/smpp/constants.js'
import { VendorStatus } from '../../src/smpp/status.js'

const RULES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../config/rules')

/** A port with nothing listening on it. */
function deadPort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => res(p))
    })
  })
}

for (const mode of ['open', 'closed'] as const) {
  t.test(`redis down at start, on_state_error ${mode}`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-state-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(
      join(dir, 'config.yaml'),
      `listen: { host: 127.0.0.1, port: 0 }
upstream: { simulator: true, host: 127.0.0.1, port: 0, binds: 1 }
accounts:
  - { system_id: demo, password_hash: "${await hashPassword('demo')}", allowed_ips: [127.0.0.1/32] }
rules: ${JSON.stringify(RULES)}
state: { backend: redis, url: "redis://127.0.0.1:${await deadPort()}" }
policy:
  account: { on_state_error: ${mode} }
  opt_out: { on_state_error: ${mode} }
  rate_limit: { on_state_error: ${mode} }
archive: { sink: jsonl, path: archive }
metrics: { enabled: false }
admin: { enabled: false }
log: { level: silent }
`,
    )
    const app = await startApp(loadConfig(join(dir, 'config.yaml')), { log: pino({ level: 'silent' }), timer: new CoarseTimer(50), signals: false })
    t.teardown(() => app.close())
    const c = await createClient({ port: app.smpp.port, system_id: 'demo', password: 'demo' })
    const r = await c.submit({ source_addr: '10690000', destination_addr: '13800138000', short_message: Buffer.from('your code is 1234') })
    t.equal(r.status, mode === 'open' ? CommandStatus.ESME_ROK : VendorStatus.STATE_UNAVAILABLE)
    await c.unbind()
  })
}
