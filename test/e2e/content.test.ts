// Through the proxy as deployed: the shipped rules stop a forbidden message with its category's status and
// it never reaches the carrier; a spoofed bank short code is refused; a clean and a monitored message are
// forwarded.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { loadConfig } from '../../src/config/load.js'
import { hashPassword } from '../../src/inbound/password.js'
import { startApp } from '../../src/app.js'
import { CoarseTimer } from '../../src/util/coarse-timer.js'
import { createClient, type SmppClient } from '../../src/simulator/client.js'
import { createCarrier } from '../../src/simulator/carrier.js'
import { encodeUcs2 } from '../../src/smpp/text/index.js'
import { VendorStatus } from '../../src/smpp/status.js'

const RULES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../config/rules')

t.test('content policy end to end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-content-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const carrier = await createCarrier({ record: true })
  t.teardown(() => carrier.close())
  const hash = await hashPassword('pw')
  writeFileSync(
    join(dir, 'config.yaml'),
    `listen: { host: 127.0.0.1, port: 0 }
upstream: { simulator: false, host: 127.0.0.1, port: ${carrier.port}, binds: 1 }
accounts:
  - { system_id: shop, password_hash: "${hash}", allowed_ips: [127.0.0.1/32] }
  - { system_id: watch, password_hash: "${hash}", allowed_ips: [127.0.0.1/32], policy: { content: { categories: { gambling: monitor } } } }
rules: ${JSON.stringify(RULES)}
archive: { sink: jsonl, path: archive, durability: ack }
metrics: { enabled: false }
admin: { enabled: false }
log: { level: silent }
`,
  )
  const app = await startApp(loadConfig(join(dir, 'config.yaml')), { log: pino({ level: 'silent' }), timer: new CoarseTimer(50), signals: false })
  const clients = new Map<string, SmppClient>()
  t.teardown(async () => {
    for (const c of clients.values()) await c.unbind()
    await app.close()
  })
  const submit = async (system_id: string, text: string, source_addr = '10690000') => {
    let c = clients.get(system_id)
    if (!c) clients.set(system_id, (c = await createClient({ port: app.smpp.port, system_id, password: 'pw' })))
    return c.submit({ source_addr, destination_addr: '13800138000', data_coding: 8, short_message: encodeUcs2(text).bytes })
  }

  const forbidden = await submit('shop', '線上娛樂城，百-家-樂首充送彩金，加Ｖ信 dc_vip8')
  t.equal(forbidden.status, VendorStatus.CONTENT_GAMBLING, 'the category status')
  t.equal(carrier.submits.length, 0, 'nothing reached the carrier')

  const spoof = await submit('shop', '【工商银行】您尾号1234的账户今日入账100元', '95588')
  t.equal(spoof.status, VendorStatus.SENDER_NOT_ALLOWED, 'a bank short code cannot be borrowed')
  t.equal(carrier.submits.length, 0)

  const clean = await submit('shop', '【城市博物馆】您预约的周六参观已成功，请凭身份证入馆。')
  t.equal(clean.status, 0)
  t.equal(carrier.submits.length, 1, 'a clean message is forwarded')

  const watched = await submit('watch', '百家乐首充送彩金')
  t.equal(watched.status, 0, 'monitor mode forwards')
  t.equal(carrier.submits.length, 2)
})
