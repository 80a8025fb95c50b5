// Memory of a running proxy as the memory and soak benchmarks sample it: RSS from /proc (what the kernel
// charges the process) and the V8 split from the proxy's own /metrics (prom-client default metrics), so
// growth can be told apart: JS heap, memory outside the heap (ArrayBuffers, Buffers), or neither
// (allocator or V8 pages kept after a collection).
import { readFileSync } from 'node:fs'

export interface MemorySample {
  readonly rss_mb: number
  readonly heap_used_mb: number
  readonly heap_total_mb: number
  readonly external_mb: number
  /** What the proxy holds at that moment (its gauges), to tell growth from load. */
  readonly map_entries: number
  readonly pending_long: number
  readonly spool_records: number
}

const MB = 1024 * 1024

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(text)
  return m ? Number(m[1]) : NaN
}

/** One sample; all but RSS are NaN when the metrics endpoint does not answer. */
export async function sampleMemory(pid: number, metricsPort: number | null): Promise<MemorySample> {
  const rss_mb = round(rssMb(pid))
  const none = { rss_mb, heap_used_mb: NaN, heap_total_mb: NaN, external_mb: NaN, map_entries: NaN, pending_long: NaN, spool_records: NaN }
  if (metricsPort === null) return none
  try {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
    const text = await res.text()
    return {
      rss_mb,
      heap_used_mb: round(metric(text, 'nodejs_heap_size_used_bytes') / MB),
      heap_total_mb: round(metric(text, 'nodejs_heap_size_total_bytes') / MB),
      external_mb: round(metric(text, 'nodejs_external_memory_bytes') / MB),
      map_entries: metric(text, 'smpp_guard_receipt_map_entries'),
      pending_long: metric(text, 'smpp_guard_reassembly_pending_messages'),
      spool_records: metric(text, 'smpp_guard_archive_spool_records'),
    }
  } catch {
    return none
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}
