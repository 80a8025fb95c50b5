// The archive sink down under load, through the proxy: steady submits to `smpp-guard run` (dist/) whose
// archive is PostgreSQL in `durability: ack`, reached through a TCP relay on 127.0.0.1 that is cut for the
// outage and restored (the shared PostgreSQL itself is never stopped). Afterwards every acknowledged message
// and every rejection must be in PostgreSQL exactly once. Prints one JSON summary; exits 1 when anything is
// missing or twice there.
// usage: node --import tsx scripts/faults/sink-outage.ts [--outage-s 60] [--rate 200] [--before-s 5] [--after-s 10]
//        [--mode refuse|blackhole] [--spool-max-bytes N] [--spool-segment-bytes N] [--pg-url URL]     (build first: npx tsc -p tsconfig.json; PostgreSQL from
//        scripts/ci/start-postgres.sh, URL from SMPP_GUARD_TEST_PG_URL or its default)
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { hashPassword } from '../../src/inbound/password.js'
import { createClient, type SmppClient } from '../../src/simulator/client.js'
import { encodeUcs2 } from '../../src/smpp/text/ucs2.js'
import { freePort } from '../bench/lib/harness.js'
import { TEST_PG_URL } from '../../test/archive/fixtures.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

const CLEAN = '【城市博物馆】您预约的周六参观已成功，请凭身份证入馆。'
const FORBIDDEN = '線上娛樂城，百-家-樂首充送彩金，加Ｖ信 dc_vip8'

/** How PostgreSQL goes away: connections refused, or a partition where nothing answers. */
export type OutageMode = 'refuse' | 'blackhole'

export interface OutageOptions {
  readonly pg_url: string
  readonly mode: OutageMode
  /** Submits per second, spread over 10 ms ticks. */
  readonly rate: number
  readonly before_s: number
  readonly outage_s: number
  readonly after_s: number
  /** Every n-th message carries forbidden content, so rejections are archived under load too. */
  readonly reject_every: number
  readonly window: number
  /** `archive.spool.max_bytes`; small values show what clients get once the spool refuses. */
  readonly spool_max_bytes?: number
  readonly spool_segment_bytes?: number
  /** Give up waiting for the spool to drain after this long. */
  readonly drain_timeout_s: number
}

type Phase = 'before' | 'outage' | 'after'

interface PhaseStats {
  sent: number
  /** Responses by command_status in hex. */
  statuses: Record<string, number>
}

export interface OutageResult {
  readonly sent: number
  readonly answered: number
  readonly acked: number
  readonly rejected: number
  /** Answers that are neither an ack nor a policy rejection (0x14 when the spool refuses, …). */
  readonly other: Record<string, number>
  readonly phases: Record<Phase, PhaseStats>
  /** Message records in PostgreSQL for this run. */
  readonly archived: number
  /** Acknowledged or rejected messages with no record. */
  readonly missing: number
  readonly missing_acked: number
  readonly missing_rejected: number
  /** Messages with more than one record. */
  readonly duplicated: number
  /** Acknowledged messages whose record does not carry the message_id the client got, or a rejection whose verdict or status differs. */
  readonly mismatched: number
  /** Answers other than ack / rejection that have a record anyway (allowed, the status is in it). */
  readonly other_archived: number
  readonly spool_peak_records: number
  readonly spool_peak_bytes: number
  readonly lag_peak_s: number
  /** Failed writes to PostgreSQL (`smpp_guard_archive_write_errors_total{sink="postgres"}`). */
  readonly sink_write_errors: number
  /** Records the spool refused (`smpp_guard_archive_spool_rejects_total`). */
  readonly spool_rejects: number
  /** Records of forwarded messages the proxy could not append (`smpp_guard_archive_write_errors_total{sink="proxy"}`). */
  readonly append_failures: number
  /** From restoring the relay until the archive lag was under a second again (load still running); null: never drained. */
  readonly drain_s: number | null
  /** /readyz and /healthz answers other than 200 while the sink was down or draining. */
  readonly readyz_not_200: number
  readonly healthz_not_200: number
  readonly readyz_samples: number
  readonly seconds: number
  /** `0`: the proxy ran throughout and exited cleanly on SIGTERM; `died: …` when it exited during the run. */
  readonly proxy_exit: string
}

/**
 * A TCP relay in front of PostgreSQL. `refuse`: the cut resets every connection and refuses new ones (the
 * server is down, as test/archive does it). `blackhole`: the cut lets connections open but nothing passes
 * either way (a network partition: only timeouts tell). Restoring drops what the cut held and relays again.
 */
async function relay(target: URL, mode: OutageMode) {
  const sockets = new Set<net.Socket>()
  let up = true
  const server = net.createServer((client) => {
    sockets.add(client)
    client.on('error', () => {}).on('close', () => sockets.delete(client))
    if (!up) {
      if (mode === 'refuse') client.destroy()
      return
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    sockets.add(upstream)
    client.pipe(upstream).pipe(client)
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(upstream)
    }
    client.on('close', drop)
    upstream.on('error', drop).on('close', drop)
  })
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res))
  return {
    port: (server.address() as net.AddressInfo).port,
    cut(): void {
      up = false
      for (const s of sockets) {
        if (mode === 'refuse') s.destroy()
        else {
          s.unpipe()
          s.pause()
        }
      }
    },
    restore(): void {
      if (mode === 'blackhole') for (const s of sockets) s.destroy()
      up = true
    },
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy()
        server.close(() => res())
      }),
  }
}


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

async function httpStatus(port: number, path: string): Promise<number> {
  return fetch(`http://127.0.0.1:${port}${path}`).then(
    (r) => r.status,
    () => 0,
  )
}

async function gauges(port: number): Promise<Record<string, number>> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  )
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^(smpp_guard_archive_[a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/gm)) {
    out[m[1]] = (out[m[1]] ?? 0) + Number(m[3])
    if (m[2]) out[m[1] + m[2]] = Number(m[3])
  }
  return out
}

interface Sent {
  readonly destination_addr: string
  readonly forbidden: boolean
  readonly phase: Phase
  status?: number
  message_id?: string
}

let runs = 0

export async function runSinkOutage(o: OutageOptions): Promise<OutageResult> {
  const started = Date.now()
  const target = new URL(o.pg_url)
  const r = await relay(target, o.mode)
  const viaRelay = new URL(o.pg_url)
  viaRelay.host = `127.0.0.1:${r.port}`
  // Runs may share a process and a millisecond: the counter keeps their tables apart.
  const prefix = `outage_${process.pid}_${Date.now().toString(36)}_${runs++}`
  const dir = mkdtempSync(join(tmpdir(), 'sg-outage-'))
  const port = await freePort()
  const metricsPort = await freePort()
  writeFileSync(
    join(dir, 'config.yaml'),
    `listen: { host: 127.0.0.1, port: ${port} }
upstream: { simulator: true, host: 127.0.0.1, port: ${await freePort()}, binds: 2 }
accounts:
  - { system_id: load, password_hash: "${await hashPassword('load')}", allowed_ips: [127.0.0.1/32], tps: 0 }
rules: ${JSON.stringify(join(ROOT, 'config/rules'))}
policy: { rate_limit: { mode: off } }
archive:
  sink: postgres
  url: ${JSON.stringify(viaRelay.toString())}
  table_prefix: ${prefix}
  connect_timeout_ms: 1000
  statement_timeout_ms: 5000
  durability: ack
  spool: { path: spool${o.spool_max_bytes ? `, max_bytes: ${o.spool_max_bytes}` : ''}${o.spool_segment_bytes ? `, segment_bytes: ${o.spool_segment_bytes}` : ''} }
metrics: { host: 127.0.0.1, port: ${metricsPort} }
admin: { enabled: false }
log: { level: error, pretty: false }
`,
  )
  const proxy = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'run', '--config', join(dir, 'config.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
  // A drill that dies (or is interrupted) must not leave its proxy running.
  const killOnExit = (): void => void proxy.kill('SIGKILL')
  process.once('exit', killOnExit)
  proxy.once('exit', () => process.off('exit', killOnExit))
  // The last log lines (level error), for the report when the proxy does not start or dies.
  const lines: string[] = []
  proxy.stdout?.on('data', (d: Buffer) => {
    lines.push(...d.toString().split('\n').filter(Boolean))
    lines.splice(0, Math.max(0, lines.length - 20))
  })
  let exited: string | null = null
  const gone = new Promise<void>((res) =>
    proxy.once('exit', (code, signal) => {
      exited = signal ?? String(code)
      res()
    }),
  )
  const stopProxy = async (): Promise<string> => {
    if (exited === null) {
      proxy.kill('SIGTERM')
      const force = setTimeout(() => proxy.kill('SIGKILL'), 15_000)
      await gone
      clearTimeout(force)
    }
    return exited as string
  }
  const sent: Sent[] = []
  let client: SmppClient | null = null
  try {
    for (let i = 0; (await httpStatus(metricsPort, '/readyz')) !== 200; i++) {
      if (exited !== null || i > 300) throw new Error(`smpp-guard did not become ready (exit ${exited}):\n${lines.join('\n')}`)
      await sleep(100)
    }
    const c = await createClient({ port, system_id: 'load', password: 'load', window: o.window, timeout_ms: 30_000 })
    client = c

    // Health and archive gauges, sampled from the cut until the spool is empty again.
    let sampling = false
    let done = false
    let restoredAt = 0
    const peaks = { records: 0, bytes: 0, lag: 0, errors: 0, refused: 0, appendFailures: 0, readyzBad: 0, healthzBad: 0, samples: 0 }
    // Caught up: after the restore, the oldest record not yet in PostgreSQL is under a second old again.
    let caughtUpAt = 0
    const sampler = (async () => {
      while (exited === null) {
        if (sampling) {
          const [ready, healthy, g] = await Promise.all([httpStatus(metricsPort, '/readyz'), httpStatus(metricsPort, '/healthz'), gauges(metricsPort)])
          peaks.samples++
          if (ready !== 200) peaks.readyzBad++
          if (healthy !== 200) peaks.healthzBad++
          peaks.records = Math.max(peaks.records, g.smpp_guard_archive_spool_records ?? 0)
          peaks.bytes = Math.max(peaks.bytes, g.smpp_guard_archive_spool_bytes ?? 0)
          peaks.lag = Math.max(peaks.lag, g.smpp_guard_archive_lag_seconds ?? 0)
          peaks.errors = g['smpp_guard_archive_write_errors_total{sink="postgres"}'] ?? 0
          peaks.refused = g.smpp_guard_archive_spool_rejects_total ?? 0
          peaks.appendFailures = g['smpp_guard_archive_write_errors_total{sink="proxy"}'] ?? 0
          if (restoredAt > 0 && caughtUpAt === 0 && (g.smpp_guard_archive_lag_seconds ?? Infinity) < 1) caughtUpAt = Date.now()
        }
        if (done) return
        await sleep(250)
      }
    })()

    // Steady load: one tick every 10 ms sends what the rate owes by then; the client window bounds what is in flight.
    const phases: Record<Phase, PhaseStats> = { before: { sent: 0, statuses: {} }, outage: { sent: 0, statuses: {} }, after: { sent: 0, statuses: {} } }
    const answers: Promise<void>[] = []
    const t0 = Date.now()
    const cutAt = t0 + o.before_s * 1000
    const restoreAt = cutAt + o.outage_s * 1000
    const endAt = restoreAt + o.after_s * 1000
    let phase: Phase = 'before'
    const clean = encodeUcs2(CLEAN).bytes
    const forbidden = encodeUcs2(FORBIDDEN).bytes
    while (Date.now() < endAt && exited === null) {
      const now = Date.now()
      if (phase === 'before' && now >= cutAt) {
        r.cut()
        sampling = true
        phase = 'outage'
      } else if (phase === 'outage' && now >= restoreAt) {
        r.restore()
        restoredAt = now
        phase = 'after'
      }
      const due = Math.floor(((now - t0) / 1000) * o.rate)
      while (sent.length < due) {
        const i = sent.length
        const s: Sent = { destination_addr: String(13000000000 + i), forbidden: i % o.reject_every === o.reject_every - 1, phase }
        sent.push(s)
        phases[phase].sent++
        answers.push(
          c.submit({ source_addr: '10690000', destination_addr: s.destination_addr, data_coding: 8, short_message: s.forbidden ? forbidden : clean }).then(
            (res) => {
              s.status = res.status
              if (res.status === 0) s.message_id = res.message_id
              const k = `0x${res.status.toString(16)}`
              phases[s.phase].statuses[k] = (phases[s.phase].statuses[k] ?? 0) + 1
            },
            () => {
              phases[s.phase].statuses.no_answer = (phases[s.phase].statuses.no_answer ?? 0) + 1
            },
          ),
        )
      }
      await sleep(10)
    }
    if (phase === 'outage') {
      r.restore()
      restoredAt = Date.now()
    }
    await Promise.all(answers)

    // Drained once the spool holds nothing any sink still needs.
    let drained = false
    for (const until = Date.now() + o.drain_timeout_s * 1000; Date.now() < until && exited === null; ) {
      const g = await gauges(metricsPort)
      if ((g.smpp_guard_archive_spool_records ?? 1) === 0) {
        drained = true
        if (caughtUpAt === 0) caughtUpAt = Date.now()
        break
      }
      await sleep(100)
    }
    done = true
    await sampler
    await c.unbind().catch(() => c.destroy())
    client = null

    const diedDuringRun = exited
    const proxyExit = diedDuringRun === null ? await stopProxy() : `died: ${diedDuringRun}\n${lines.join('\n')}`
    const rows = await readArchive(o.pg_url, prefix)
    const byDst = new Map<string, ArchivedRow[]>()
    for (const row of rows) {
      const list = byDst.get(row.destination_addr)
      if (list) list.push(row)
      else byDst.set(row.destination_addr, [row])
    }
    let acked = 0
    let rejected = 0
    let missingAcked = 0
    let missingRejected = 0
    let duplicated = 0
    let mismatched = 0
    let otherArchived = 0
    const other: Record<string, number> = {}
    for (const s of sent) {
      const found = byDst.get(s.destination_addr) ?? []
      if (found.length > 1) duplicated++
      const isReject = s.status !== undefined && s.status >= 0x400 && s.status <= 0x4ff
      if (s.status === 0) {
        acked++
        if (found.length === 0) missingAcked++
        else if (!found[0].message_ids.includes(s.message_id as string) || found[0].verdict === 'reject') mismatched++
      } else if (isReject) {
        rejected++
        if (found.length === 0) missingRejected++
        else if (found[0].verdict !== 'reject' || found[0].command_status !== s.status) mismatched++
      } else {
        const k = s.status === undefined ? 'no_answer' : `0x${s.status.toString(16)}`
        other[k] = (other[k] ?? 0) + 1
        if (found.length > 0) otherArchived++
      }
    }
    return {
      sent: sent.length,
      answered: sent.filter((s) => s.status !== undefined).length,
      acked,
      rejected,
      other,
      phases,
      archived: rows.length,
      missing: missingAcked + missingRejected,
      missing_acked: missingAcked,
      missing_rejected: missingRejected,
      duplicated,
      mismatched,
      other_archived: otherArchived,
      spool_peak_records: peaks.records,
      spool_peak_bytes: peaks.bytes,
      lag_peak_s: peaks.lag,
      sink_write_errors: peaks.errors,
      spool_rejects: peaks.refused,
      append_failures: peaks.appendFailures,
      drain_s: drained ? (caughtUpAt - restoredAt) / 1000 : null,
      readyz_not_200: peaks.readyzBad,
      healthz_not_200: peaks.healthzBad,
      readyz_samples: peaks.samples,
      seconds: (Date.now() - started) / 1000,
      proxy_exit: proxyExit,
    }
  } finally {
    client?.destroy()
    await stopProxy()
    await r.close()
    await dropTables(o.pg_url, prefix).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
}

interface ArchivedRow {
  readonly destination_addr: string
  readonly verdict: string
  readonly message_ids: readonly string[]
  readonly command_status: number
}

async function readArchive(url: string, prefix: string): Promise<ArchivedRow[]> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const res = await c.query<{ destination_addr: string; verdict: string; record: string }>(`SELECT destination_addr, verdict, record FROM ${prefix}_messages`)
    return res.rows.map((row) => {
      const rec = JSON.parse(row.record) as { message_ids: string[]; command_status: number }
      return { destination_addr: row.destination_addr, verdict: row.verdict, message_ids: rec.message_ids, command_status: rec.command_status }
    })
  } finally {
    await c.end()
  }
}

async function dropTables(url: string, prefix: string): Promise<void> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query(`DROP TABLE IF EXISTS ${prefix}_messages, ${prefix}_receipts, ${prefix}_mo CASCADE`)
  } finally {
    await c.end()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      'outage-s': { type: 'string', default: '60' },
      rate: { type: 'string', default: '200' },
      'before-s': { type: 'string', default: '5' },
      'after-s': { type: 'string', default: '10' },
      'spool-max-bytes': { type: 'string' },
      'spool-segment-bytes': { type: 'string' },
      'pg-url': { type: 'string', default: TEST_PG_URL },
      mode: { type: 'string', default: 'refuse' },
    },
  })
  if (values.mode !== 'refuse' && values.mode !== 'blackhole') throw new Error(`--mode: refuse or blackhole, got ${values.mode}`)
  const result = await runSinkOutage({
    pg_url: values['pg-url'],
    mode: values.mode,
    rate: Number(values.rate),
    before_s: Number(values['before-s']),
    outage_s: Number(values['outage-s']),
    after_s: Number(values['after-s']),
    reject_every: 10,
    window: 50,
    spool_max_bytes: values['spool-max-bytes'] === undefined ? undefined : Number(values['spool-max-bytes']),
    spool_segment_bytes: values['spool-segment-bytes'] === undefined ? undefined : Number(values['spool-segment-bytes']),
    drain_timeout_s: 300,
  })
  console.log(JSON.stringify(result))
  const ok = result.missing === 0 && result.duplicated === 0 && result.mismatched === 0 && result.drain_s !== null && result.proxy_exit === '0'
  process.exit(ok ? 0 : 1)
}
