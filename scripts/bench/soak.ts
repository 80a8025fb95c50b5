// Bounded soak: a steady rate through the proxy with every policy stage on, the SQLite archive in `ack`
// mode and delivery receipts, for a fixed time; RSS (from /proc) and the JS heap (the proxy's /metrics)
// sampled every few seconds. The verdict compares the second quarter of the run with the last: a leak shows
// as a rising floor (the lowest heap used and RSS, sampled just after a major collection), while the first
// quarter is warm-up (JIT, heap sizing, windows filling).
// Every retention window is set to about a minute (receipt map ttl, rate-limit windows, reassembly
// timeout), so what the proxy holds reaches its steady size early in the run; with production windows
// (a 72 h receipt map) memory grows with the windows until the caps bite, which memory.ts measures.
// usage: node --import tsx scripts/bench/soak.ts [--minutes 10] [--rate 2000] [--sample-s 10]
//        [--cooldown-s 90] [--sessions 4] [--window 100] [--max-counters 400000] [--csv FILE] [--svg FILE]
// `npx tsc -p tsconfig.json` first: the proxy under test runs from dist/.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT, cpuMicros, freePort, runClient, startHelper, startProxy, stop, table, type ClientResult } from './lib/harness.js'
import { sampleMemory, type MemorySample } from './lib/memory-sample.js'
import { baseYaml } from './lib/proxy-yaml.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2000' },
    'sample-s': { type: 'string', default: '10' },
    'cooldown-s': { type: 'string', default: '90' },
    sessions: { type: 'string', default: '4' },
    window: { type: 'string', default: '100' },
    csv: { type: 'string' },
    svg: { type: 'string' },
    'max-counters': { type: 'string', default: '400000' },
  },
})
const MINUTES = Number(values.minutes)
const RATE = Number(values.rate)
const SAMPLE_MS = Number(values['sample-s']) * 1000
const COOLDOWN_MS = Number(values['cooldown-s']) * 1000
const SECONDS = Math.round(MINUTES * 60)

async function proxyConfig(port: number, sinkPort: number, metricsPort: number, members: string): Promise<string> {
  // Limits far above what the traffic reaches: every message is still checked and counted.
  const high = (s: number) => `{ window_s: ${s}, limit: 1000000 }`
  return `${await baseYaml(port, sinkPort)}
rules: ${JSON.stringify(join(ROOT, 'config/rules'))}
policy:
  sender: { signatures: [示例科技] }
  members: { mode: enforce, files: [${JSON.stringify(members)}] }
  opt_out: { mode: enforce }
  rate_limit:
    recipient: [${high(60)}]
    recipient_global: [${high(60)}]
    duplicate: [${high(30)}]
receipts: { map_ttl_ms: 60000 }
reassembly: { timeout_ms: 60000 }
# A cap above the live windows of this traffic (~300k counters at most): the memory state drops counters
# whose windows have ended, and the cap only matters if they do not end fast enough.
state: { backend: memory, max_counters: ${Number(values['max-counters'])} }
archive: { sink: sqlite, path: archive, retention_days: 30, durability: ack }
metrics: { host: 127.0.0.1, port: ${metricsPort} }
admin: { enabled: false }
log: { level: warn }
`
}

/** The raw client sends to 13000000000 + i: one prefix makes every recipient a member. */
function membersFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'smpp-guard-soak-members-')), 'members.txt')
  writeFileSync(file, '130*\n')
  return file
}

interface Row extends MemorySample {
  readonly t_s: number
  readonly phase: 'load' | 'cooldown'
  readonly cpu_pct: number
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
const fmt1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–')

function svgPlot(rows: Row[]): string {
  const W = 800
  const H = 360
  const pad = { l: 60, r: 20, t: 30, b: 40 }
  const tMax = Math.max(1, ...rows.map((r) => r.t_s))
  const yMax = Math.ceil(Math.max(1, ...rows.map((r) => r.rss_mb)) / 50) * 50
  const x = (t: number) => pad.l + ((W - pad.l - pad.r) * t) / tMax
  const y = (v: number) => H - pad.b - ((H - pad.t - pad.b) * v) / yMax
  const line = (key: 'rss_mb' | 'heap_used_mb' | 'heap_total_mb', color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${rows
      .filter((r) => Number.isFinite(r[key]))
      .map((r) => `${x(r.t_s).toFixed(1)},${y(r[key]).toFixed(1)}`)
      .join(' ')}"/>`
  const ticks: string[] = []
  for (let v = 0; v <= yMax; v += 50)
    ticks.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad.l - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`)
  const loadEnd = rows.filter((r) => r.phase === 'load').at(-1)?.t_s ?? tMax
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<text x="${pad.l}" y="18">smpp-guard soak: ${RATE} msgs/s for ${MINUTES} min, then ${COOLDOWN_MS / 1000} s idle (MB over seconds)</text>
${ticks.join('\n')}
<line x1="${x(loadEnd)}" x2="${x(loadEnd)}" y1="${pad.t}" y2="${H - pad.b}" stroke="#999" stroke-dasharray="4 4"/>
${line('rss_mb', '#c0392b')}${line('heap_total_mb', '#7f8c8d')}${line('heap_used_mb', '#2980b9')}
<text x="${W - pad.r}" y="${H - 10}" text-anchor="end">seconds</text>
<text x="${pad.l + 10}" y="${pad.t + 14}" fill="#c0392b">RSS</text><text x="${pad.l + 50}" y="${pad.t + 14}" fill="#7f8c8d">heap total</text><text x="${pad.l + 130}" y="${pad.t + 14}" fill="#2980b9">heap used</text>
</svg>
`
}

const sink = await startHelper('raw-sink.ts', ['0', '1'])
const port = await freePort()
const metricsPort = await freePort()
const proxy = await startProxy(await proxyConfig(port, sink.port, metricsPort, membersFile()), port)
const pid = proxy.pid as number
const rows: Row[] = []
const started = Date.now()
let lastCpu = cpuMicros(pid)
let lastAt = started

async function sample(phase: Row['phase']): Promise<void> {
  const now = Date.now()
  const cpu = cpuMicros(pid)
  const m = await sampleMemory(pid, metricsPort)
  rows.push({ t_s: Math.round((now - started) / 1000), phase, cpu_pct: Math.round((100 * (cpu - lastCpu)) / 1000 / Math.max(1, now - lastAt)), ...m })
  lastCpu = cpu
  lastAt = now
}

let code = 0
try {
  console.log(`# soak: ${RATE} msgs/s for ${MINUTES} min (pipeline mix: 20 % long, 5 % violating, 10 % asking receipts), every stage on, SQLite archive in ack mode, sampled every ${SAMPLE_MS / 1000} s\n`)
  await sample('load')
  const timer = setInterval(() => void sample('load'), SAMPLE_MS)
  // One client run per minute: each run numbers its recipients from the same base, so the soak cycles over
  // RATE × 60 recipients the way real traffic returns to the same customers; a single long run would send
  // to 1.2 million distinct numbers and fill every per-recipient structure up to its cap, which is not
  // the steady state this measures. A run's codes and references differ (the client salts them).
  const results: ClientResult[] = []
  for (let left = SECONDS; left > 0; left -= 60) {
    const secs = Math.min(60, left)
    results.push(await runClient({ port, sessions: Number(values.sessions), window: Number(values.window), count: RATE * secs, max_s: secs + 60, receipts: true, mix: 'pipeline', rate: RATE }))
  }
  clearInterval(timer)
  const sum = (k: keyof ClientResult) => results.reduce((a, x) => a + x[k], 0)
  const r = {
    sent: sum('sent'),
    messages_done: sum('messages_done'),
    messages_rejected: sum('messages_rejected'),
    violating_sent: sum('violating_sent'),
    violating_rejected: sum('violating_rejected'),
    receipts: sum('receipts'),
    receipts_expected: sum('receipts_expected'),
    p50_ms: Math.max(...results.map((x) => x.p50_ms)),
    p99_ms: Math.max(...results.map((x) => x.p99_ms)),
  }
  await sample('load')
  // Idle afterwards: what was held for the traffic (receipt map, limits, reassembly) expires.
  const loadEnd = Date.now()
  for (let left = COOLDOWN_MS; left > 0; left = COOLDOWN_MS - (Date.now() - loadEnd)) {
    await new Promise((res) => setTimeout(res, Math.min(SAMPLE_MS, left)))
    await sample('cooldown')
  }

  console.log(
    table(
      rows.map((x) => ({
        's': x.t_s,
        phase: x.phase,
        'RSS MB': fmt1(x.rss_mb),
        'heap used MB': fmt1(x.heap_used_mb),
        'heap total MB': fmt1(x.heap_total_mb),
        'external MB': fmt1(x.external_mb),
        'map entries': x.map_entries,
        'pending long': x.pending_long,
        'spool records': x.spool_records,
        'CPU %': x.cpu_pct,
      })),
    ),
  )
  const csv = ['t_s,phase,rss_mb,heap_used_mb,heap_total_mb,external_mb,map_entries,pending_long,spool_records,cpu_pct']
  for (const x of rows) csv.push([x.t_s, x.phase, x.rss_mb, x.heap_used_mb, x.heap_total_mb, x.external_mb, x.map_entries, x.pending_long, x.spool_records, x.cpu_pct].join(','))
  console.log('\n```csv\n' + csv.join('\n') + '\n```')
  if (values.csv) writeFileSync(values.csv, csv.join('\n') + '\n')
  if (values.svg) writeFileSync(values.svg, svgPlot(rows))

  console.log(
    `\nclient: ${r.messages_done} messages answered (${(r.messages_done / SECONDS).toFixed(0)} msgs/s over the run), ${r.messages_rejected} rejected (${r.violating_rejected} of ${r.violating_sent} violating), ` +
      `receipts ${r.receipts} of ${r.receipts_expected}; worst minute p50 ${r.p50_ms.toFixed(1)} ms, p99 ${r.p99_ms.toFixed(1)} ms`,
  )
  const load = rows.filter((x) => x.phase === 'load')
  const quarter = (q: number) => load.filter((x) => x.t_s >= (q * SECONDS) / 4 && x.t_s < ((q + 1) * SECONDS) / 4)
  const q2 = quarter(1)
  const q4 = quarter(3)
  // Heap used is a sawtooth between major collections (at 2,000 msgs/s one every ~100 s), so a quarter's
  // mean depends on where the samples fall. Its lowest sample is taken just after a major collection, when
  // heap used is close to what is alive: a leak raises that floor. The floor of RSS is reported beside it.
  const floor = (xs: Row[], key: 'rss_mb' | 'heap_used_mb') => Math.min(...xs.map((x) => x[key]))
  const sign = (n: number) => `${n >= 0 ? '+' : ''}${fmt1(n)}`
  const peak = Math.max(...rows.map((x) => x.rss_mb))
  const after = rows.at(-1) as Row
  const unanswered = r.sent - r.messages_done
  if (q2.length === 0 || q4.length === 0) {
    console.log('verdict: run too short to compare quarters (use --minutes 1 or more with --sample-s 10)')
  } else {
    const rssGrowth = floor(q4, 'rss_mb') - floor(q2, 'rss_mb')
    const heapGrowth = floor(q4, 'heap_used_mb') - floor(q2, 'heap_used_mb')
    console.log(
      `RSS: start ${fmt1(rows[0].rss_mb)} MB; 2nd quarter lowest ${fmt1(floor(q2, 'rss_mb'))}, mean ${fmt1(mean(q2.map((x) => x.rss_mb)))}; ` +
        `last quarter lowest ${fmt1(floor(q4, 'rss_mb'))}, mean ${fmt1(mean(q4.map((x) => x.rss_mb)))} (lowest ${sign(rssGrowth)} MB); ` +
        `peak ${fmt1(peak)} MB; ${COOLDOWN_MS / 1000} s after the load ${fmt1(after.rss_mb)} MB`,
    )
    console.log(
      `heap used: 2nd quarter lowest ${fmt1(floor(q2, 'heap_used_mb'))}, mean ${fmt1(mean(q2.map((x) => x.heap_used_mb)))}; ` +
        `last quarter lowest ${fmt1(floor(q4, 'heap_used_mb'))}, mean ${fmt1(mean(q4.map((x) => x.heap_used_mb)))} (lowest ${sign(heapGrowth)} MB)`,
    )
    // A leak of 100 bytes per message adds 30 MB over the last half of a 10-minute run at 2,000/s: 5 % (at
    // least 10 MB) separates that from where the lowest sample happens to fall.
    const heapLimit = Math.max(10, 0.05 * floor(q2, 'heap_used_mb'))
    const rssLimit = Math.max(10, 0.05 * floor(q2, 'rss_mb'))
    if (heapGrowth > heapLimit || rssGrowth > rssLimit) {
      console.log(`verdict: GROWTH — the floor rose by more than ${fmt1(heapLimit)} MB (heap) or ${fmt1(rssLimit)} MB (RSS) between the second and the last quarter`)
      code = 1
    } else console.log(`verdict: no growth (floor of heap used ${sign(heapGrowth)} MB, limit ${fmt1(heapLimit)}; floor of RSS ${sign(rssGrowth)} MB, limit ${fmt1(rssLimit)})`)
  }
  // Reported, not judged: under sustained traffic V8 lets the heap grow to a few times what is alive between
  // major collections. The 400 MB budget is for the held state that scripts/bench/memory.ts builds.
  if (peak >= 400) console.log(`RSS peak ${fmt1(peak)} MB (V8's headroom under load; the held-state budget is checked by memory.ts)`)
  if (unanswered > 0 || r.receipts < r.receipts_expected) {
    console.log(`WRONG: ${unanswered} messages unanswered, ${r.receipts_expected - r.receipts} receipts missing`)
    code = 1
  }
} finally {
  await stop(proxy)
  await stop(sink.child)
}
process.exit(code)
