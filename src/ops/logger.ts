// One pino root logger; sessions and binds take a child with their bindings serialised once. Number and
// text fields are masked by serializers fixed at construction, so a careless log call cannot leak them.
import pino, { type Logger } from 'pino'
import type { LogConfig } from '../config/schema.js'
import { maskNumber, maskText } from './mask.js'

const NUMBER_KEYS = ['source_addr', 'destination_addr', 'dst', 'src', 'number', 'msisdn'] as const
const TEXT_KEYS = ['text', 'short_message', 'message_payload'] as const

function serializers(): pino.LoggerOptions['serializers'] {
  const out: Record<string, (v: unknown) => unknown> = {}
  for (const k of NUMBER_KEYS) out[k] = (v) => (typeof v === 'string' ? maskNumber(v) : v)
  for (const k of TEXT_KEYS) out[k] = (v) => (typeof v === 'string' ? maskText(v) : '[binary]')
  return out
}

export function createLogger(cfg: Pick<LogConfig, 'level' | 'pretty'>, dest?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: cfg.level,
    base: { name: 'smpp-guard' },
    serializers: serializers(),
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (dest) return pino(options, dest)
  if (cfg.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } })
  }
  return pino(options, pino.destination({ dest: 1, sync: false }))
}

export type { Logger }
