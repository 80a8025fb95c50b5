// Outage reporting shared by both backends: a metric for every message that hit a failure, and log lines
// bounded in number — during an outage every message fails, and a line per message would bury the cause
// (pino info costs 2.4 µs, NOTES.md §2).
import type { Logger } from 'pino'
import type { Metrics } from '../ops/metrics.js'
import type { FailMode } from './types.js'

export interface StateDeps {
  readonly log: Logger
  readonly metrics: Pick<Metrics, 'stateErrors'>
  /** Directory relative paths (the memory journal) resolve against: the config file's directory. */
  readonly baseDir?: string
}

const LOG_INTERVAL_MS = 10_000

export function createFailureReporter(deps: StateDeps, backend: string): (stage: string, fail_mode: FailMode, err: unknown) => void {
  const children = new Map<string, { inc(): void }>()
  let lastLog = -Infinity
  let suppressed = 0
  return (stage, fail_mode, err) => {
    const label = `${stage}\0${fail_mode}`
    let child = children.get(label)
    if (!child) {
      child = deps.metrics.stateErrors.labels(stage, fail_mode)
      children.set(label, child)
    }
    child.inc()
    const now = Date.now()
    if (now - lastLog < LOG_INTERVAL_MS) {
      suppressed++
      return
    }
    lastLog = now
    deps.log.warn(
      { backend, stage, fail_mode, suppressed, err: err instanceof Error ? err.message : String(err) },
      fail_mode === 'open' ? 'state unavailable, letting messages through' : 'state unavailable, rejecting messages',
    )
    suppressed = 0
  }
}
