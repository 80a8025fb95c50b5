// The operations surface against the whole proxy (startApp): metrics after real traffic, readiness when the
// carrier goes away and comes back, admin commands through `smpp-guard admin`, live reload with good and
// broken files while a client keeps sending, and the proxy's own log lines free of numbers and text.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startApp } from '../../src/app.js'
import { main as admin } from '../../src/commands/admin.js'
import { loadConfig } from '../../src/config/load.js'
import { hashPassword } from '../../src/inbound/password.js'
import { captureLog } from './admin-fixture.js'
import { createCarrier, type Carrier } from '../../src/simulator/carrier.js'
import { createClient } from '../../src/simulator/client.js'
import { VendorStatus as Status } from '../../src/smpp/status.js'
import { CommandStatus } from '../../src/smpp/constants.js'
import { CoarseTimer } from '../../src/util/coarse-timer.js'

const RULES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../config/rules')
const NUMBER = '13812348000'
// Per-recipient limits are on by default: each message goes to a number of its own.
let nextNumber = 0
const freshNumber = () => `1381235${String(nextNumber++).padStart(4, '0')}`
const ucs2 = (s: string) => Buffer.from(s, 'utf16le').swap16()

/** Waits for a condition the proxy reaches on its own (a reconnect); bounded, never asserts timing. */
async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('operations against the running proxy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-ops-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const hash = await hashPassword('demo')
  let carrier: Carrier = await createCarrier({ port: 0, dlr: true })
  const carrierPort = carrier.port
  t.teardown(() => carrier.close())
  // A high account TPS: the sending loop must never be throttled, however fast the machine.
  const config = (accounts: string[], extra = '') =>
    `listen: { host: 127.0.0.1, port: 0 }
upstream: { simulator: false, host: 127.0.0.1, port: ${carrierPort}, binds: 2, reconnect_min_ms: 20, reconnect_max_ms: 100 }
accounts:
${accounts.map((a) => `  - { system_id: ${a}, password_hash: "${hash}", allowed_ips: [127.0.0.1/32], tps: 100000 }`).join('\n')}
rules: ${JSON.stringify(RULES)}
state: { backend: memory }
archive: { sink: jsonl, path: archive, durability: ack }
metrics: { host: 127.0.0.1, port: 0 }
admin: { socket: run/admin.sock }
log: { level: info }
${extra}`
  const file = join(dir, 'smpp-guard.yaml')
  writeFileSync(file, config(['demo']))

  const { log, lines } = captureLog('info')
  const app = await startApp(loadConfig(file), { log, timer: new CoarseTimer(50), signals: false })
  let closed = false
  t.teardown(() => (closed ? undefined : app.close()))
  const base = `http://127.0.0.1:${app.metricsAddress!.port}`
  const scrape = async () => (await fetch(`${base}/metrics`)).text()
  const ready = async () => (await fetch(`${base}/readyz`)).status
  const cli = async (...argv: string[]) => {
    const out: string[] = []
    const err: string[] = []
    const code = await admin(['--config', file, ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) })
    return { code, out: out.join('\n'), err: err.join('\n'), json: () => JSON.parse(out.join('\n')) }
  }

  await until('carrier binds', async () => (await ready()) === 200)
  const c = await createClient({ port: app.smpp.port, system_id: 'demo', password: 'demo' })
  t.teardown(() => c.destroy())
  const send = (text: string, dst = freshNumber()) =>
    c.submit({ source_addr: '10690000', destination_addr: dst, registered_delivery: 1, data_coding: 8, short_message: ucs2(text) })

  await t.test('metrics after real traffic', async (t) => {
    for (let i = 0; i < 5; i++) t.equal((await send(`【商城】您的订单 ${i} 已发货`)).status, 0)
    t.equal((await send('【商城】线上赌场首存送彩金')).status, Status.CONTENT_GAMBLING)
    await c.waitForDeliveries(5)
    // Verdict counters reach prom-client once per coarse tick (or at scrape time when the app flushes them).
    await until('verdict counters', async () => /^smpp_guard_submits_total\{account="demo",verdict="allow"\} 5$/m.test(await scrape()))
    const body = await scrape()
    t.match(body, /^smpp_guard_rejections_total\{account="demo",rule="[^"]+",category="gambling",status="[^"]+"\} 1$/m)
    t.match(body, /^smpp_guard_proxy_added_latency_seconds_count \d+$/m)
    t.match(body, /^smpp_guard_carrier_rtt_seconds_count [1-9]\d*$/m)
    t.match(body, /^smpp_guard_client_sessions\{bind_type="transceiver"\} 1$/m)
    t.match(body, /^smpp_guard_upstream_binds\{status="bound"\} 2$/m)
    t.match(body, /^smpp_guard_receipts_total\{outcome="routed"\} [1-9]/m)
    t.match(body, /^smpp_guard_ready 1$/m)
    t.match(body, /^process_resident_memory_bytes /m)
    const labelValues = [...body.matchAll(/="([^"]*)"/g)].map((m) => m[1])
    t.same(labelValues.filter((v) => /\d{7}/.test(v)), [], 'no number in any label')
  })

  await t.test('admin commands against the running proxy', async (t) => {
    const status = await cli('status')
    t.equal(status.code, 0)
    t.match(status.json(), { pid: process.pid })
    const sessions = await cli('sessions')
    t.equal(sessions.code, 0)
    t.match(sessions.json(), [{ bind_type: 'transceiver', status: 'bound' }])

    const verdict = await cli('rules', 'test', '--dst', freshNumber(), 'demo', '线上赌场首存送彩金')
    t.equal(verdict.code, 0)
    t.match(verdict.json(), { action: 'reject', category: 'gambling' })

    t.equal((await cli('suspend', 'demo')).code, 0)
    t.equal((await send('【商城】您的订单已发货')).status, Status.ACCOUNT_SUSPENDED)
    t.equal((await cli('resume', 'demo')).code, 0)
    t.equal((await send('【商城】您的订单已发货')).status, 0)

    t.equal((await cli('optout', 'add', 'demo', '13900001111')).code, 0)
    t.match((await cli('optout', 'list', 'demo')).json(), { count: 1, numbers: ['13900001111'] })
    t.equal((await send('【商城】会员日', '13900001111')).status, Status.RECIPIENT_OPTED_OUT)
    t.equal((await cli('optout', 'remove', 'demo', '13900001111')).code, 0)
    t.equal((await send('【商城】会员日', '13900001111')).status, 0)
  })

  await t.test('reload with good and broken files while a client keeps sending', async (t) => {
    let stop = false
    const statuses: number[] = []
    const sender = (async () => {
      let i = 0
      while (!stop) statuses.push((await send(`【商城】第 ${i++} 条通知`)).status)
    })()
    const atCarrier = carrier.stats.submits

    writeFileSync(file, config(['demo', 'acme'], 'upstream_typo: 1\n'))
    const bad = await cli('reload')
    t.equal(bad.code, 1, 'broken file refused')
    t.match(bad.err, `${file}:`)
    t.match(bad.err, /upstream_typo/)

    writeFileSync(file, config(['demo', 'acme']))
    const good = await cli('reload')
    t.equal(good.code, 0)
    t.match(good.json(), { ok: true, restart_required: [] })
    const acme = await createClient({ port: app.smpp.port, system_id: 'acme', password: 'demo' })
    t.teardown(() => acme.destroy())
    t.equal((await acme.submit({ source_addr: '10690001', destination_addr: NUMBER, short_message: Buffer.from('hi') })).status, 0, 'the new account binds and sends')

    stop = true
    await sender
    t.ok(statuses.length > 0)
    t.comment(`${statuses.length} messages sent across one refused and one applied reload`)
    t.same(
      statuses.filter((s) => s !== 0),
      [],
      'every message sent during the reloads was accepted',
    )
    t.ok(carrier.stats.submits - atCarrier >= statuses.length, 'and reached the carrier')
    t.equal((await send('【商城】仍然在线')).status, 0, 'the same session is still bound')
    const body = await scrape()
    t.match(body, /^smpp_guard_config_reloads_total\{result="failed"\} 1$/m)
    t.match(body, /^smpp_guard_config_reloads_total\{result="ok"\} 1$/m)
    t.match(body, /^smpp_guard_config_last_reload_successful 1$/m)
  })

  await t.test('readiness follows the carrier', async (t) => {
    await carrier.close()
    await until('not ready', async () => (await ready()) === 503)
    t.match(await scrape(), /^smpp_guard_ready 0$/m)
    t.equal((await send('【商城】载波不在')).status, CommandStatus.ESME_RMSGQFUL, 'told to retry later')
    t.equal((await fetch(`${base}/healthz`)).status, 200, 'alive all along')
    carrier = await createCarrier({ port: carrierPort, dlr: true })
    await until('ready again', async () => (await ready()) === 200)
    t.equal((await send('【商城】载波回来了')).status, 0)
  })

  await t.test('no full number and no text in the proxy logs', async (t) => {
    t.ok(lines.length > 0)
    const leaks = lines.filter((l) => /(?<!\d)1[3-9]\d{9}(?!\d)/.test(l) || /订单|赌场|会员日|通知|载波/.test(l))
    t.same(leaks, [])
  })

  await app.close()
  closed = true
  await c.closed
})
