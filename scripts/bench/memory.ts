// Memory under load: RSS and heap of the proxy with many bound sessions, a million receipt mappings and tens
// of thousands of pending long-message parts, then again once they have expired. The receipt map ttl is
// its minimum (60 s) and the reassembly timeout 30 s, so everything has expired ~100 s after the parts were
// sent: the orphan parts time out at 30 s, are judged and forwarded, and their own mappings live 60 s more.
// usage: node --import tsx scripts/bench/memory.ts [--sessions 1000] [--mappings 1000000] [--parts 50000]
//        [--expire-s 110]
// `npx tsc -p tsconfig.json` first: the proxy under test runs from dist/.
import net from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { hashPassword } from '../../src/inbound/password.js'
import { CommandId, Tag } from '../../src/smpp/constants.js'
import { encodeBind, encodeSubmitSm, uintTlv } from '../../src/smpp/encode.js'
import { Framer } from '../../src/smpp/framer.js'
import { readCommandId } from '../../src/smpp/header.js'
import { ROOT, freePort, runClient, startHelper, startProxy, stop } from './lib/harness.js'
import { sampleMemory, type MemorySample } from './lib/memory-sample.js'

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    mappings: { type: 'string', default: '1000000' },
    parts: { type: 'string', default: '50000' },
    'expire-s': { type: 'string', default: '110' },
  },
})
const SESSIONS = Number(values.sessions)
const MAPPINGS = Number(values.mappings)
const PARTS = Number(values.parts)

/** Opens one bound transmitter session. */
function openSession(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(encodeBind(CommandId.bind_transmitter, 1, { system_id: 'bench', password: 'bench' })))
    const framer = new Framer({
      onFrame: (pdu) => {
        if ((readCommandId(pdu) >>> 0) === CommandId.bind_transmitter_resp) resolve(s)
      },
      onOversized() {},
      onMalformed() {},
    })
    s.on('data', (c: Buffer) => framer.push(c))
    s.on('error', reject)
  })
}

/**
 * Opens `n` bound sessions, 20 binds at a time: each bind costs a scrypt verification (tens of ms of CPU),
 * and a thousand at once would outlast the bind timeout on two cores.
 */
async function openSessions(port: number, n: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = []
  while (sockets.length < n) {
    const batch = Math.min(20, n - sockets.length)
    sockets.push(...(await Promise.all(Array.from({ length: batch }, () => openSession(port)))))
  }
  return sockets
}

/** First parts of `n` two-part messages that never complete. */
function sendOrphanParts(sockets: net.Socket[], n: number): void {
  for (let i = 0; i < n; i++) {
    const pdu = encodeSubmitSm(i + 2, {
      source_addr: '10690001',
      destination_addr: String(15000000000 + i),
      data_coding: 8,
      short_message: Buffer.from('您的订单已发货，请注意查收。'.repeat(4), 'utf16le').swap16().subarray(0, 134),
      tlvs: [uintTlv(Tag.sar_msg_ref_num, i & 0xffff, 2), uintTlv(Tag.sar_total_segments, 2, 1), uintTlv(Tag.sar_segment_seqnum, 1, 1)],
    })
    sockets[i % sockets.length].write(pdu)
  }
}

const sink = await startHelper('raw-sink.ts', ['0', '0'])
const port = await freePort()
const metricsPort = await freePort()
const proxy = await startProxy(
  `
listen: { host: 127.0.0.1, port: ${port}, window: 1000, max_connections: ${SESSIONS + 100}, max_connections_per_ip: ${SESSIONS + 100}, max_new_connections_per_ip_per_second: ${SESSIONS + 100} }
upstream: { host: 127.0.0.1, port: ${sink.port}, binds: 2, window: 1000, queue: 5000 }
accounts:
  - system_id: bench
    password_hash: "${await hashPassword('bench')}"
    max_binds: ${SESSIONS + 10}
    tps: 0
rules: ${JSON.stringify(join(ROOT, 'config/rules'))}
receipts: { map_ttl_ms: 60000 }
reassembly: { timeout_ms: 30000, max_pending_messages: ${PARTS + 1000}, max_pending_per_account: ${PARTS + 1000} }
policy: { rate_limit: { mode: off } }
archive: { sink: jsonl, path: archive, enabled: false }
metrics: { host: 127.0.0.1, port: ${metricsPort} }
admin: { enabled: false }
log: { level: warn }
`,
  port,
)
const pid = proxy.pid as number
const started = await sampleMemory(pid, metricsPort)
const rows: ({ phase: string } & MemorySample)[] = [{ phase: 'started', ...started }]
const sockets = await openSessions(port, SESSIONS)
rows.push({ phase: `${SESSIONS} sessions bound`, ...(await sampleMemory(pid, metricsPort)) })
const r = await runClient({ port, sessions: 4, window: 500, count: MAPPINGS, max_s: 120 })
rows.push({ phase: `${r.ok} receipt mappings`, ...(await sampleMemory(pid, metricsPort)) })
sendOrphanParts(sockets, PARTS)
await new Promise((res) => setTimeout(res, 5000))
rows.push({ phase: `+ ${PARTS} pending long-message parts`, ...(await sampleMemory(pid, metricsPort)) })
const expireS = Number(values['expire-s'])
for (let s = 0; s < expireS; s += 10) {
  await new Promise((res) => setTimeout(res, 10000))
  rows.push({ phase: `after ${s + 10} s`, ...(await sampleMemory(pid, metricsPort)) })
}
for (const s of sockets) s.destroy()
await new Promise((res) => setTimeout(res, 2000))
rows.push({ phase: 'sessions closed', ...(await sampleMemory(pid, metricsPort)) })
console.table(rows)
const peak = Math.max(...rows.map((x) => x.rss_mb))
const end = rows[rows.length - 1]
console.log(`RSS: started ${started.rss_mb} MB, peak ${peak} MB (budget 400 MB: ${peak < 400 ? 'within' : 'OVER'}), at the end ${end.rss_mb} MB (${end.rss_mb >= started.rss_mb ? '+' : ''}${(end.rss_mb - started.rss_mb).toFixed(1)} MB)`)
// The JS heap keeps garbage until its next major collection, and an idle process may not run one for a
// long time: the end figure shows heap used beside RSS so the two can be told apart.
console.log(`heap used: started ${started.heap_used_mb} MB, at the end ${end.heap_used_mb} MB; receipt map entries at the end ${end.map_entries}`)
await stop(proxy)
await stop(sink.child)
process.exit(0)
