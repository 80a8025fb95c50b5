// Archive throughput without the proxy: the spool alone (group-committed appends, no sink), then spool +
// sink end to end, in `ack` and `async` durability. `inflight` appends are outstanding at once, as the
// submit_sm of many client windows are in a running proxy. Reports appends/s (acknowledged), p50/p99
// append latency, records/s until the sink holds everything, the worst event-loop stall of this (the
// proxy's) thread, and CPU per record of this thread and of the busiest other one (the SQLite sink's worker)
// from /proc, the figures that do not move with the machine's load as much as rates do. Bounded by --count;
// stops by itself. `--rate N` measures instead what an acknowledgement waits for at a steady N appends/s
// (lib/spool-floor.ts): the floor `ack` puts under the proxy's added latency on this disk.
// usage: node --import @tapjs/typescript/import scripts/bench/archive.ts [--count N] [--inflight N] [--sink sqlite|jsonl|postgres] [--pg-url URL]
//        node --import @tapjs/typescript/import scripts/bench/archive.ts --rate 5000 [--count N]
// The TypeScript loader also compiles inside the sqlite worker thread and slows it; for figures, compile first:
//   npx tsc --strict --outDir /tmp/sg-bench --rootDir . --module nodenext --target es2022 --skipLibCheck --types node scripts/bench/archive.ts
//   (with node_modules and {"type":"module"} beside it), then node /tmp/sg-bench/scripts/bench/archive.js
// tsx does not reach worker threads at all: under it the sqlite sink falls back to writing on the main thread.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { createArchive } from '../../src/archive/archive.js'
import { ArchiveSchema } from '../../src/archive/config.js'
import type { MessageRecord } from '../../src/archive/record.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { cpuSince, threadCpuMicros } from './lib/harness.js'
import { ackFloor, openBenchSpool, sampleRecord } from './lib/spool-floor.js'

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    inflight: { type: 'string', default: '500' },
    sink: { type: 'string', default: 'sqlite' },
    rate: { type: 'string' },
    'pg-url': { type: 'string', default: 'postgres://smpp_guard_test:smpp_guard_test@127.0.0.1:5432/smpp_guard_test' },
  },
})
const COUNT = Number(values.count)
const INFLIGHT = Number(values.inflight)
const log = pino({ level: 'warn' })

interface Run {
  appendsPerSec: number
  p50: number
  p99: number
}

/** Appends COUNT records with INFLIGHT outstanding; latency of each acknowledged append in ms. */
async function drive(append: (r: MessageRecord) => Promise<void>): Promise<Run> {
  const lat = new Float64Array(COUNT)
  let next = 0
  let sinceYield = 0
  const t0 = performance.now()
  async function worker(): Promise<void> {
    while (next < COUNT) {
      const i = next++
      const s = performance.now()
      await append(sampleRecord(i))
      lat[i] = performance.now() - s
      // A proxy gets its submits from socket reads: let I/O and timers run, as they would between reads.
      // The count is shared, so in async mode (appends resolve at once) no worker runs on in microtasks.
      if (++sinceYield >= 64) {
        await new Promise((res) => setImmediate(res))
        sinceYield = 0
      }
    }
  }
  await Promise.all(Array.from({ length: INFLIGHT }, worker))
  const secs = (performance.now() - t0) / 1000
  lat.sort()
  return { appendsPerSec: COUNT / secs, p50: lat[Math.floor(COUNT * 0.5)], p99: lat[Math.floor(COUNT * 0.99)] }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** CPU µs per record since `before`: this (the event loop's) thread, and the busiest other one. */
function cpuPerRecord(before: Map<number, number>): string {
  const cpu = cpuSince(process.pid, before, COUNT)
  return `CPU/record: event loop ${cpu.main.toFixed(1)} µs, busiest other thread ${cpu.busiest.toFixed(1)} µs`
}

async function spoolOnly(durability: 'ack' | 'async'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-spool-'))
  try {
    const spool = await openBenchSpool(dir, durability)
    const loop = monitorEventLoopDelay({ resolution: 10 })
    loop.enable()
    const cpu = threadCpuMicros(process.pid)
    const r = await drive((rec) => spool.append(rec))
    await spool.close()
    const perRecord = cpuPerRecord(cpu)
    loop.disable()
    await spool.closeFiles()
    console.log(
      `spool only      ${durability.padEnd(5)}  ${fmt(r.appendsPerSec).padStart(9)} appends/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms` +
        `                                   event loop max stall ${(loop.max / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms  ${perRecord}`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function endToEnd(durability: 'ack' | 'async'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-archive-'))
  const prefix = `bench_${process.pid}_${durability}`
  const sinkCfg =
    values.sink === 'postgres'
      ? { sink: 'postgres', url: values['pg-url'], table_prefix: prefix, spool: { path: 'spool' } }
      : { sink: values.sink, path: 'archive' }
  try {
    const cfg = ArchiveSchema.parse({ ...sinkCfg, durability, spool: { path: 'spool', max_bytes: 8 * 1024 ** 3 } })
    const archive = await createArchive(cfg, { log, metrics: createMetrics(), baseDir: dir })
    // A purge goes through the sink's worker thread: waiting for it keeps the worker's start out of the timing.
    await archive.purge()
    const loop = monitorEventLoopDelay({ resolution: 10 })
    loop.enable()
    const cpu = threadCpuMicros(process.pid)
    const t0 = performance.now()
    const r = await drive((rec) => archive.append(rec))
    while (archive.stats().records > 0) await new Promise((res) => setTimeout(res, 5))
    const secs = (performance.now() - t0) / 1000
    const perRecord = cpuPerRecord(cpu)
    loop.disable()
    await archive.close()
    console.log(
      `spool+${values.sink!.padEnd(8)} ${durability.padEnd(5)}  ${fmt(r.appendsPerSec).padStart(9)} appends/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms` +
        `  ${fmt(COUNT / secs).padStart(9)} records/s into the sink  event loop max stall ${(loop.max / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms  ${perRecord}`,
    )
    if (values.sink === 'postgres') {
      const pg = (await import('pg')).default
      const c = new pg.Client({ connectionString: values['pg-url'] })
      await c.connect()
      await c.query(`DROP TABLE IF EXISTS ${prefix}_messages, ${prefix}_receipts, ${prefix}_mo CASCADE`)
      await c.end()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (values.rate !== undefined) {
  const rate = Number(values.rate)
  const f = await ackFloor(rate, COUNT)
  console.log(`spool only      ack    ${fmt(rate)} appends/s steady: append → durable p50 ${f.p50_ms.toFixed(2)} ms  p99 ${f.p99_ms.toFixed(2)} ms  p999 ${f.p999_ms.toFixed(2)} ms  max ${f.max_ms.toFixed(2)} ms`)
} else {
  console.log(`${fmt(COUNT)} message records (${Buffer.byteLength(JSON.stringify(sampleRecord(0)))} bytes of JSON each), ${INFLIGHT} appends in flight, node ${process.version}`)
  for (const d of ['ack', 'async'] as const) await spoolOnly(d)
  for (const d of ['ack', 'async'] as const) await endToEnd(d)
}
