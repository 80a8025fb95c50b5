// Recipient protection through the running proxy: an opt-out by a real MO from the carrier simulator,
// kept across a restart; and two proxy instances on one Redis enforcing one recipient cap.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { loadConfig } from '../../src/config/load.js'
import { hashPassword } from '../../src/inbound/password.js'
import { startApp, type App } from '../../src/app.js'
import { CoarseTimer } from '../../src/util/coarse-timer.js'
import { createClient } from '../../src/simulator/client.js'
import { createCarrier } from '../../src/simulator/carrier.js'
import { VendorStatus } from '../../src/smpp/status.js'
import { isolatedConfig, requireRedis } from '../state/redis-server.js'

const RULES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../config/rules')

async function start(t: Test, dir: string, name: string, carrierPort: number, extra: string): Promise<App> {
  const hash = await hashPassword('demo')
  const file = join(dir, `${name}.yaml`)
  writeFileSync(
    file,
    `listen: { host: 127.0.0.1, port: 0 }
upstream: { simulator: false, host: 127.0.0.1, port: ${carrierPort}, binds: 1 }
accounts:
  - system_id: demo
    password_hash: "${hash}"
    allowed_ips: [127.0.0.1/32]
    mo_addresses: ["10690000*"]
rules: ${JSON.stringify(RULES)}
archive: { sink: jsonl, path: archive-${name}, durability: ack }
metrics: { enabled: false }
admin: { enabled: false }
log: { level: silent }
${extra}`,
  )
  const app = await startApp(loadConfig(file), { log: pino({ level: 'silent' }), timer: new CoarseTimer(50), signals: false })
  t.teardown(() => app.close()) // idempotent: a test may close it first
  return app
}

const text = (s: string) => Buffer.from(s, 'utf16le').swap16()

t.test('an MO 退订 from the carrier stops the next submit to that number, also after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-rp-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const carrier = await createCarrier({ port: 0 })
  t.teardown(() => carrier.close())
  const extra = `state: { backend: memory, journal: state.jsonl }
policy: { rate_limit: { recipient: [{ window_s: 60, limit: 100 }], duplicate: [] } }
`
  const app = await start(t, dir, 'one', carrier.port, extra)
  const c = await createClient({ port: app.smpp.port, system_id: 'demo', password: 'demo' })
  t.teardown(() => c.unbind())
  const submit = (dst: string, s: string) => c.submit({ source_addr: '10690000', destination_addr: dst, data_coding: 8, short_message: text(s) })

  t.equal((await submit('13800138000', '【演示】会员日全场五折')).status, 0)
  t.equal(carrier.sendMo({ source_addr: '8613800138000', destination_addr: '10690000', text: '退订' }), 1)
  const [mo] = await c.waitForDeliveries(1)
  t.equal(mo.fields.source_addr, '8613800138000', 'the MO still reaches the account')
  t.equal((await submit('13800138000', '【演示】新品上市')).status, VendorStatus.RECIPIENT_OPTED_OUT)
  t.equal((await submit('+8613800138000', '【演示】新品上市')).status, VendorStatus.RECIPIENT_OPTED_OUT, 'any spelling')
  t.equal((await submit('13900139000', '【演示】新品上市')).status, 0, 'others still receive')
  await c.unbind()
  await app.close()

  const again = await start(t, dir, 'two', carrier.port, extra)
  const c2 = await createClient({ port: again.smpp.port, system_id: 'demo', password: 'demo' })
  t.teardown(() => c2.unbind())
  const r = await c2.submit({ source_addr: '10690000', destination_addr: '13800138000', data_coding: 8, short_message: text('【演示】新品上市') })
  t.equal(r.status, VendorStatus.RECIPIENT_OPTED_OUT, 'the opt-out survived the restart')
})

t.test('two proxy instances on one Redis enforce one recipient cap', async (t) => {
  if (!(await requireRedis(t))) return
  const dir = mkdtempSync(join(tmpdir(), 'sg-rp-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const carrier = await createCarrier({ port: 0 })
  t.teardown(() => carrier.close())
  const redis = isolatedConfig(t)
  const extra = `state: { backend: redis, url: "${redis.url}", key_prefix: "${redis.key_prefix}", command_timeout_ms: 5000 }
policy: { rate_limit: { recipient: [{ window_s: 3600, limit: 2 }], duplicate: [] } }
`
  const a = await start(t, dir, 'a', carrier.port, extra)
  const b = await start(t, dir, 'b', carrier.port, extra)
  const ca = await createClient({ port: a.smpp.port, system_id: 'demo', password: 'demo' })
  const cb = await createClient({ port: b.smpp.port, system_id: 'demo', password: 'demo' })
  t.teardown(() => Promise.all([ca.unbind(), cb.unbind()]))
  const via = (c: typeof ca, s: string) => c.submit({ source_addr: '10690000', destination_addr: '13800138000', data_coding: 8, short_message: text(s) })
  t.equal((await via(ca, '【演示】一')).status, 0, 'first, through instance a')
  t.equal((await via(cb, '【演示】二')).status, 0, 'second, through instance b')
  t.equal((await via(ca, '【演示】三')).status, VendorStatus.RECIPIENT_RATE_LIMITED, 'a knows what b sent')
  t.equal((await via(cb, '【演示】四')).status, VendorStatus.RECIPIENT_RATE_LIMITED)
  t.equal(carrier.stats.submits, 2, 'only two reached the carrier')
})
