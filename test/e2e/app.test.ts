// The composition root as `smpp-guard run` starts it: simulator upstream, archive, metrics; a client binds,
// submits, gets its receipt; SIGTERM-style close unbinds the client and stops everything.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { loadConfig } from '../../src/config/load.js'
import { hashPassword } from '../../src/inbound/password.js'
import { startApp } from '../../src/app.js'
import { CoarseTimer } from '../../src/util/coarse-timer.js'
import { createClient } from '../../src/simulator/client.js'
import { CommandId } from '../../src/smpp/constants.js'
import { readCommandId } from '../../src/smpp/header.js'

const RULES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../config/rules')

t.test('run: bind, submit, receipt, metrics, graceful close', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-app-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const hash = await hashPassword('demo')
  writeFileSync(
    join(dir, 'config.yaml'),
    `listen: { host: 127.0.0.1, port: 0 }
upstream: { simulator: true, host: 127.0.0.1, port: 0, binds: 2 }
accounts:
  - { system_id: demo, password_hash: "${hash}", allowed_ips: [127.0.0.1/32] }
rules: ${JSON.stringify(RULES)}
archive: { sink: jsonl, path: archive, durability: ack }
metrics: { host: 127.0.0.1, port: 0 }
admin: { enabled: false }
log: { level: silent }
`,
  )
  const timer = new CoarseTimer(50)
  const app = await startApp(loadConfig(join(dir, 'config.yaml')), { log: pino({ level: 'silent' }), timer, signals: false })
  let closed = false
  t.teardown(() => (closed ? undefined : app.close()))
  const c = await createClient({ port: app.smpp.port, system_id: 'demo', password: 'demo' })
  const r = await c.submit({ source_addr: '10690000', destination_addr: '13800138000', registered_delivery: 1, short_message: Buffer.from('hi') })
  t.equal(r.status, 0)
  const [d] = await c.waitForDeliveries(1)
  t.match(d.fields.short_message.toString('latin1'), new RegExp(`^id:${r.message_id} `), 'receipt routed back')

  // Counters are tallied per message and added on the next tick, which runs after the proxy's own.
  await new Promise<void>((resolve) => {
    const off = timer.add(() => {
      off()
      resolve()
    })
  })
  const res = await fetch(`http://127.0.0.1:${app.metricsAddress?.port}/metrics`)
  const body = await res.text()
  t.match(body, /smpp_guard_submits_total\{account="demo",verdict="allow"\} 1/)
  t.match(body, /smpp_guard_upstream_binds\{status="bound"\} 2/)

  const unbinds: number[] = []
  c.on('pdu', (p: Buffer) => unbinds.push(readCommandId(p)))
  await app.close()
  closed = true
  await c.closed
  t.ok(unbinds.includes(CommandId.unbind), 'the client was unbound, not cut off')
  t.ok(readdirSync(join(dir, 'archive')).length > 0, 'archive written')
})
