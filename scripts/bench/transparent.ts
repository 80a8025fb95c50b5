// Direct vs raw TCP pipe vs smpp-guard, in one run on one machine: msgs/s, latency percentiles and the
// proxy's CPU per message, over a window sweep; then the same with one delivery receipt per message.
// usage: node --import tsx scripts/bench/transparent.ts [--quick] [--count N] [--mix single|long]
//        [--archive none|ack|async] [--policy on|off] [--windows 1,50,500] [--no-receipts]
//        [--baseline DIR [--rounds N]]
// --baseline runs a second smpp-guard, built in DIR (e.g. an older commit: git worktree or git archive,
// then `npx tsc -p tsconfig.json` there), against the same sink, alternating client runs with this one
// `--rounds` times per window: on a shared machine only a comparison within one run means much.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { parseArgs } from 'node:util'
import { archiveYaml, baseYaml } from './lib/proxy-yaml.js'
import { join, resolve } from 'node:path'
import { ROOT, cpuMicros, freePort, runClient, startHelper, startProxy, stop, table, waitForPort, type ClientResult } from './lib/harness.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    count: { type: 'string' },
    mix: { type: 'string', default: 'single' },
    archive: { type: 'string', default: 'none' },
    policy: { type: 'string', default: 'on' },
    windows: { type: 'string' },
    'no-receipts': { type: 'boolean', default: false },
    sessions: { type: 'string', default: '4' },
    'max-s': { type: 'string', default: '30' },
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
})
const WINDOWS = values.windows ? values.windows.split(',').map(Number) : values.quick ? [1, 50, 500] : [1, 10, 50, 100, 500]
const COUNT = Number(values.count ?? (values.quick ? 50000 : 200000))
const SESSIONS = Number(values.sessions)
const MAX_S = Number(values['max-s'])
const MIX = values.mix === 'long' ? 'long' : 'single'
const ROUNDS = Math.max(1, Number(values.rounds))

/** `smpp-guard run` from the --baseline build; the harness starts the one of this checkout. */
async function startBaseline(dir: string, yaml: string, port: number): Promise<ChildProcess> {
  const cwd = mkdtempSync(join(tmpdir(), 'smpp-guard-baseline-'))
  writeFileSync(join(cwd, 'bench.yaml'), yaml)
  const child = spawn(process.execPath, [join(resolve(dir), 'dist/cli.js'), 'run', '--config', join(cwd, 'bench.yaml')], { cwd, stdio: ['ignore', 'ignore', 'inherit'] })
  process.once('exit', () => child.kill('SIGKILL'))
  await waitForPort(port)
  return child
}

// Every stage compiled but switched off: the cost of the proxy core alone.
const POLICY_OFF = 'policy: { sender: { mode: off }, account: { mode: off }, content: { mode: off }, members: { mode: off }, opt_out: { mode: off }, rate_limit: { mode: off } }'

async function proxyConfig(port: number, sinkPort: number): Promise<string> {
  return `${await baseYaml(port, sinkPort)}
rules: ${JSON.stringify(join(ROOT, 'config/rules'))}
${archiveYaml(values.archive ?? 'none')}
${values.policy === 'off' ? POLICY_OFF : ''}
metrics: { enabled: false }
admin: { enabled: false }
log: { level: warn }
`
}

interface Row extends Record<string, string | number> {
  path: string
  window: number
  'msgs/s': number
  'p50 ms': number
  'p90 ms': number
  'p99 ms': number
  'p999 ms': number
  'proxy µs/msg': string
}

function row(path: string, window: number, r: ClientResult, cpu?: number): Row {
  return {
    path,
    window,
    'msgs/s': Math.round(r.msgs_per_s),
    'p50 ms': r.p50_ms,
    'p90 ms': r.p90_ms,
    'p99 ms': r.p99_ms,
    'p999 ms': r.p999_ms,
    'proxy µs/msg': cpu === undefined ? '–' : cpu.toFixed(1),
    ...(r.failed ? { failed: r.failed } : {}),
  }
}

async function sweep(receipts: boolean): Promise<Row[]> {
  const sink = await startHelper('raw-sink.ts', ['0', receipts ? '1' : '0'])
  const pipe = await startHelper('pipe.ts', ['0', String(sink.port)])
  const proxyPort = await freePort()
  const proxy = await startProxy(await proxyConfig(proxyPort, sink.port), proxyPort)
  const baselinePort = values.baseline ? await freePort() : 0
  const baseline = values.baseline ? await startBaseline(values.baseline, await proxyConfig(baselinePort, sink.port), baselinePort) : null
  const rows: Row[] = []
  try {
    for (const window of WINDOWS) {
      const count = window === 1 ? Math.min(COUNT, 20000) : COUNT
      const base = { sessions: window === 1 ? 1 : SESSIONS, window, count, max_s: MAX_S, receipts, mix: MIX } as const
      rows.push(row('direct', window, await runClient({ ...base, port: sink.port })))
      rows.push(row('tcp pipe', window, await runClient({ ...base, port: pipe.port })))
      const measured = async (path: string, child: ChildProcess, port: number): Promise<void> => {
        const before = cpuMicros(child.pid as number)
        const r = await runClient({ ...base, port })
        rows.push(row(path, window, r, (cpuMicros(child.pid as number) - before) / Math.max(1, r.ok)))
      }
      for (let round = 0; round < ROUNDS; round++) {
        if (baseline && round % 2 === 0) await measured('baseline', baseline, baselinePort)
        await measured('smpp-guard', proxy, proxyPort)
        if (baseline && round % 2 === 1) await measured('baseline', baseline, baselinePort)
      }
    }
  } finally {
    if (baseline) await stop(baseline)
    await stop(proxy)
    await stop(pipe.child)
    await stop(sink.child)
  }
  return rows
}

function ratios(rows: Row[]): string {
  const out: string[] = []
  for (const w of WINDOWS) {
    const get = (p: string) => rows.find((r) => r.path === p && r.window === w)?.['msgs/s'] ?? 0
    const pipe = get('tcp pipe')
    const proxy = get('smpp-guard')
    out.push(`window ${w}: smpp-guard / tcp pipe = ${pipe ? ((100 * proxy) / pipe).toFixed(0) : '–'} %, smpp-guard / direct = ${get('direct') ? ((100 * proxy) / get('direct')).toFixed(0) : '–'} %`)
  }
  return out.join('\n')
}

console.log(`# transparent benchmark: ${COUNT} messages per point, UCS2 70 chars, ${SESSIONS} sessions, mix ${MIX}, archive ${values.archive}, policy ${values.policy}\n`)
const plain = await sweep(false)
console.log(table(plain))
console.log('\n' + ratios(plain))
if (!values['no-receipts']) {
  console.log('\n## with one delivery receipt per message\n')
  const dlr = await sweep(true)
  console.log(table(dlr))
  console.log('\n' + ratios(dlr))
}
process.exit(0)
