// What an `ack` acknowledgement waits for on this disk, with nothing else in the way: the spool alone, in
// `ack`, appends paced at a steady rate, each timed until its record is durable. It is the floor that `ack`
// puts under any added latency the proxy can show at that rate (the pipeline benchmark prints it beside
// the proxy's own figure).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import pino from 'pino'
import { newRecordId, type MessageRecord } from '../../../src/archive/record.js'
import { Spool } from '../../../src/archive/spool.js'

const TEXT = '【云帆科技】您的验证码是 482913，5分钟内有效。如非本人操作请忽略本短信，切勿将验证码告知他人。回T退订'

/** A message record shaped as the proxy writes one (a 52-character UCS2 text, one part). */
export function sampleRecord(i: number): MessageRecord {
  const now = Date.now()
  return {
    kind: 'message', id: newRecordId(now), received_at: now, decided_at: now, system_id: `acct${i % 20}`,
    session_id: `s${i % 50}`, client_ip: '10.0.0.7', source_addr: '106900001234', destination_addr: String(13800000000 + (i % 100000)),
    data_coding: 8, text: TEXT, encoding: 'ucs2', parts: 1, segments: [], verdict: i % 50 === 0 ? 'reject' : 'allow',
    rule: i % 50 === 0 ? 'content.gambling' : null, category: i % 50 === 0 ? 'gambling' : null, monitor_hits: [],
    command_status: 0, message_ids: [`m${i}`], carrier_message_ids: [`c${i}`], carrier_status: 0,
  }
}

/** A spool as the archive benchmarks open one: no readers, a cap no run reaches. */
export function openBenchSpool(dir: string, durability: 'ack' | 'async'): Promise<Spool> {
  return Spool.open({ dir, durability, max_bytes: 8 * 1024 ** 3, segment_bytes: 16 * 1024 ** 2, flush_interval_ms: 200, readers: [] }, { log: pino({ level: 'warn' }) })
}

export interface AckFloor {
  readonly p50_ms: number
  readonly p99_ms: number
  readonly p999_ms: number
  readonly max_ms: number
}

/** `count` appends at `rate` a second into a fresh spool in the system's temporary folder. */
export async function ackFloor(rate: number, count: number): Promise<AckFloor> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-floor-'))
  try {
    const spool = await openBenchSpool(dir, 'ack')
    const lat = new Float64Array(count)
    const acked: Promise<void>[] = []
    const t0 = performance.now()
    let i = 0
    // A turn of the loop per check, not a timer: a timer's whole milliseconds would bunch appends into
    // commits that a proxy reading one submit_sm at a time does not make.
    while (i < count) {
      const now = performance.now()
      for (; i < count && t0 + (i * 1000) / rate <= now; i++) {
        const n = i
        const s = performance.now()
        acked.push(spool.append(sampleRecord(n)).then(() => void (lat[n] = performance.now() - s)))
      }
      await new Promise((res) => setImmediate(res))
    }
    await Promise.all(acked)
    await spool.close()
    await spool.closeFiles()
    lat.sort()
    const q = (p: number) => lat[Math.min(count - 1, Math.floor(count * p))]
    return { p50_ms: q(0.5), p99_ms: q(0.99), p999_ms: q(0.999), max_ms: lat[count - 1] }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
