// Interop with independent SMPP implementations (Perl Net::SMPP, ../shared/peers): the same messages sent by
// esme-send straight to fake-smsc and through the proxy must arrive as the same bytes, and receipts must
// come back to the client under the ids it was given.
import t from 'tap'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startHarness } from '../proxy/harness.js'

const PEERS = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/peers')
const hasPerl = spawnSync('perl', ['-MNet::SMPP', '-e', '1']).status === 0

const MESSAGES = [
  { src: '10690001', dst: '13800138000', text: 'Your code is 123456', registered_delivery: 1 },
  { src: '10690001', dst: '13800138000', text: '【测试】您的验证码是123456,请勿泄露。', registered_delivery: 1 },
  { src: '10690001', dst: '13800138000', text: '好的👍🏽 见面🎉', encoding: 'ucs2' },
  { src: '10690001', dst: '13800138000', text: 'Café déjà vu', encoding: 'latin1' },
  { src: '10690001', dst: '13800138000', text: '长消息测试,用来检查拼接与重组是否正确。'.repeat(5) + '👍', split: true, registered_delivery: 1 },
  { src: '10690001', dst: '13800138000', text: 'SAR模式的长消息,检查分段。'.repeat(8), split: true, split_mode: 'sar', registered_delivery: 1 },
]

interface Peer {
  readonly port: number
  readonly child: ChildProcess
  stop(): Promise<void>
}

async function fakeSmsc(dir: string, log: string): Promise<Peer> {
  const child = spawn(join(PEERS, 'fake-smsc'), ['--port', '0', '--log', join(dir, log), '--dlr', '--dlr-delay-ms', '5', '--max-time', '120'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  const port = await new Promise<number>((res, rej) => {
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString()
      const m = /listening on [\d.]+:(\d+)/.exec(err)
      if (m) res(Number(m[1]))
    })
    child.once('exit', (code) => rej(new Error(`fake-smsc exited ${code}: ${err}`)))
  })
  return {
    port,
    child,
    async stop() {
      if (child.exitCode !== null) return
      const done = once(child, 'exit')
      child.kill('SIGTERM')
      await done
    },
  }
}

async function esmeSend(dir: string, port: number, out: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    join(PEERS, 'esme-send'),
    ['--window', '1', '--wait', '10', '--out', join(dir, out), `127.0.0.1:${port}`, 'acme', 'acme-pw', join(dir, 'msgs.jsonl')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stderr }
}

/** A submit as logged by fake-smsc, minus what legitimately differs (time, connection, ids, refs). */
function normalise(line: string): Record<string, unknown> {
  const r = JSON.parse(line) as Record<string, unknown>
  for (const k of ['time', 'conn', 'seq', 'message_id', 'system_id']) delete r[k]
  // esme-send draws a random concatenation reference per message: mask it wherever it appears.
  const udhRef = (hex: string) => hex.replace(/^(050003)[0-9a-f]{2}/, '$1xx')
  if (typeof r.udh_hex === 'string') r.udh_hex = udhRef(r.udh_hex)
  if (typeof r.short_message_hex === 'string' && r.udh_hex) r.short_message_hex = udhRef(r.short_message_hex)
  if (r.concat) (r.concat as Record<string, unknown>).ref = 'x'
  if (r.sar) (r.sar as Record<string, unknown>).msg_ref_num = 'x'
  const tlvs = r.tlvs as Record<string, string>
  if (tlvs['0x020c']) tlvs['0x020c'] = 'xx'
  return r
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0)
}

function run(): void {
  t.test('esme-send → proxy → fake-smsc: same bytes at the carrier as direct; receipts come back', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-peers-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'msgs.jsonl'), MESSAGES.map((m) => JSON.stringify(m)).join('\n') + '\n')

    const direct = await fakeSmsc(dir, 'direct.jsonl')
    t.teardown(() => direct.stop())
    const d = await esmeSend(dir, direct.port, 'direct-out.jsonl')
    t.equal(d.code, 0, `direct run succeeds ${d.stderr}`)
    await direct.stop()

    const carrier = await fakeSmsc(dir, 'proxied.jsonl')
    t.teardown(() => carrier.stop())
    const h = await startHarness(t, { carrier: false, waitBound: true, upstream: { port: carrier.port, binds: 1 } })
    const p = await esmeSend(dir, h.port, 'proxied-out.jsonl')
    t.equal(p.code, 0, `through the proxy: every response OK and every expected receipt arrived ${p.stderr}`)
    await h.close()
    await carrier.stop()

    const a = lines(join(dir, 'direct.jsonl')).map(normalise)
    const b = lines(join(dir, 'proxied.jsonl')).map(normalise)
    t.equal(a.length, 8, 'four single messages and two split in two')
    t.same(b, a, 'every submit_sm identical at the carrier, TLVs and UDH included')

    const out = lines(join(dir, 'proxied-out.jsonl')).map((l) => JSON.parse(l) as Record<string, unknown>)
    const given = new Set(out.filter((o) => o.type === 'submit_sm_resp' || 'message_id' in o).map((o) => o.message_id))
    const receipts = out.filter((o) => o.receipt) as { receipt: { id: string } }[]
    t.equal(receipts.length, 6, 'a receipt for every segment that asked for one')
    t.ok(
      receipts.every((r) => given.has(r.receipt.id)),
      'every receipt names a message id the client was given',
    )
  })

  // One session: esme-load matches a receipt only on the session that sent the message, while the proxy may
  // rightly deliver it on any receiver bind of the account.
  t.test('esme-load through the proxy: every receipt matches an id the client was given', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-peers-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const carrier = await fakeSmsc(dir, 'load.jsonl')
    t.teardown(() => carrier.stop())
    const h = await startHarness(t, { carrier: false, waitBound: true, upstream: { port: carrier.port, binds: 2 } })
    const child = spawn(
      join(PEERS, 'esme-load'),
      ['--sessions', '1', '--count', '2000', '--window', '20', '--procs', '1', '--registered-delivery', '1', '--dlr-wait', '20', '--duration', '60', `127.0.0.1:${h.port}`, 'acme', 'acme-pw'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()))
    const [code] = (await once(child, 'exit')) as [number | null]
    t.equal(code, 0, stdout)
    const m = /dlr_matched=(\d+)/.exec(stdout)
    t.equal(Number(m?.[1]), 2000, 'every receipt matched a message id from submit_sm_resp')
  })

  t.test('Kannel (a C implementation) through the proxy: same bytes, receipt delivered, also on a tx+rx pair', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-kannel-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const kannel = async (port: number, extra: string[]): Promise<number | null> => {
      const child = spawn(join(PEERS, 'kannel-esme.sh'), [...extra, '--dlr', '--timeout', '30', `127.0.0.1:${port}`, 'acme', 'acme-pw'], {
        stdio: ['ignore', 'ignore', 'ignore'],
      })
      const [code] = (await once(child, 'exit')) as [number | null]
      return code
    }
    const direct = await fakeSmsc(dir, 'kdirect.jsonl')
    t.teardown(() => direct.stop())
    const first = await kannel(direct.port, [])
    if (first === 5) {
      // kannel-esme.sh: the Kannel binaries are not installed (apt-get install kannel).
      t.pass('skipped: kannel not installed', { skip: true })
      return
    }
    t.equal(first, 0, 'direct: sent and receipt received')
    await direct.stop()

    const carrier = await fakeSmsc(dir, 'kproxied.jsonl')
    t.teardown(() => carrier.stop())
    const h = await startHarness(t, { carrier: false, waitBound: true, upstream: { port: carrier.port, binds: 1 } })
    t.equal(await kannel(h.port, []), 0, 'transceiver through the proxy: sent and receipt received')
    t.equal(await kannel(h.port, ['--transmitter']), 0, 'transmitter + receiver through the proxy: receipt on the receiver')
    await h.close()
    await carrier.stop()
    const a = lines(join(dir, 'kdirect.jsonl')).map(normalise)
    const b = lines(join(dir, 'kproxied.jsonl')).map(normalise)
    t.equal(b.length, 2)
    t.same(b[0], a[0], 'the same submit_sm at the carrier as direct')
  })
}

if (!existsSync(join(PEERS, 'fake-smsc')) || !hasPerl) {
  t.pass(`skipped: peers not available (need ${PEERS} and libnet-smpp-perl)`, { skip: true })
} else {
  run()
}
