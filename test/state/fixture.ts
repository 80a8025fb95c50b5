import pino from 'pino'
import { createMetrics } from '../../src/ops/metrics.js'

export const silentLog = pino({ level: 'silent' })

/** A logger that keeps its lines, for asserting on what an operator would see. */
export function capturingLog(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  return { log, lines }
}

export async function stateErrorCount(metrics: ReturnType<typeof createMetrics>, stage: string, fail_mode: string): Promise<number> {
  const m = await metrics.stateErrors.get()
  return m.values.find((v) => v.labels.stage === stage && v.labels.fail_mode === fail_mode)?.value ?? 0
}
