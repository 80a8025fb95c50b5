// One pino root logger; sessions and binds take a child with their bindings serialised once. Number and
// text fields are masked by serializers (top-level keys and child bindings) and by redaction (one level of
// nesting) fixed at construction, so a careless log call cannot leak them. Text is masked at every level,
// debug included: only the archive holds content.
import { createRequire } from 'node:module'
import pino, { type Logger } from 'pino'
import type { LogConfig } from '../config/schema.js'
import { maskDigits, maskNumber, maskText } from './mask.js'

const NUMBER_KEYS = ['source_addr', 'destination_addr', 'dst', 'src', 'number', 'msisdn', 'recipient'] as const
const TEXT_KEYS = ['text', 'short_message', 'message_payload'] as const

function number(v: unknown): unknown {
  if (typeof v === 'string') return maskNumber(v)
  if (Array.isArray(v)) return v.map(number)
  return v
}

function text(v: unknown): unknown {
  return typeof v === 'string' ? maskText(v) : '[binary]'
}

// An error message may quote a number (a peer's bad address); the stack carries the same message.
function err(e: unknown): unknown {
  const out = pino.stdSerializers.err(e as Error) as unknown as Record<string, unknown>
  if (typeof out?.message === 'string') out.message = maskDigits(out.message)
  if (typeof out?.stack === 'string') out.stack = maskDigits(out.stack)
  return out
}

function serializers(): pino.LoggerOptions['serializers'] {
  const out: Record<string, (v: unknown) => unknown> = { err }
  for (const k of NUMBER_KEYS) out[k] = number
  for (const k of TEXT_KEYS) out[k] = text
  return out
}

const NUMBER_SET = new Set<string>(NUMBER_KEYS)
const redact: pino.LoggerOptions['redact'] = {
  paths: [...NUMBER_KEYS, ...TEXT_KEYS].map((k) => `*.${k}`),
  censor: (v: unknown, path: string[]) => (NUMBER_SET.has(path[path.length - 1]) ? number(v) : text(v)),
}

export interface LoggerOptions {
  /** Whether stdout is a terminal; decides `pretty: auto`. */
  readonly isTTY?: boolean
}

/** pino-pretty is optional (a development dependency): a production install may not have it. */
export function hasPrettyPrinter(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

export function createLogger(
  cfg: Pick<LogConfig, 'level'> & { readonly pretty?: boolean | 'auto' },
  dest?: pino.DestinationStream,
  opts: LoggerOptions = {},
): Logger {
  const options: pino.LoggerOptions = {
    level: cfg.level,
    base: { name: 'smpp-guard' },
    serializers: serializers(),
    redact,
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (dest) return pino(options, dest)
  const wantPretty = cfg.pretty === true || (cfg.pretty === 'auto' && (opts.isTTY ?? process.stdout.isTTY === true))
  if (wantPretty && hasPrettyPrinter()) {
    // A transport formats in a worker thread, off the event loop that carries traffic.
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } })
  }
  const log = pino(options, pino.destination({ dest: 1, sync: false }))
  if (cfg.pretty === true) log.warn('pino-pretty not installed, logging JSON')
  return log
}

/**
 * Child loggers for client sessions, by account. Accounts listed in `log.debug_accounts` log at debug level
 * whatever the root level; a reload changes the level of loggers already handed out, so a long-lived bind
 * can be troubleshot without reconnecting.
 */
export interface AccountLogs {
  child(system_id: string, bindings?: pino.Bindings): Logger
  setDebugAccounts(ids: readonly string[]): void
  isDebug(system_id: string): boolean
}

export function createAccountLogs(root: Logger, debugAccounts: readonly string[] = []): AccountLogs {
  let debug = new Set(debugAccounts)
  // Weak references: a closed session's logger must not be kept alive by this registry.
  const handedOut = new Map<string, Set<WeakRef<Logger>>>()
  let sincePrune = 0

  function prune(): void {
    for (const [id, refs] of handedOut) {
      for (const ref of refs) if (!ref.deref()) refs.delete(ref)
      if (refs.size === 0) handedOut.delete(id)
    }
    sincePrune = 0
  }

  function levelFor(system_id: string): pino.LevelWithSilentOrString {
    return debug.has(system_id) && !root.isLevelEnabled('debug') ? 'debug' : root.level
  }

  return {
    child(system_id, bindings = {}) {
      const log = root.child({ account: system_id, ...bindings }, { level: levelFor(system_id) })
      let refs = handedOut.get(system_id)
      if (!refs) handedOut.set(system_id, (refs = new Set()))
      refs.add(new WeakRef(log))
      if (++sincePrune >= 1024) prune()
      return log
    },
    setDebugAccounts(ids) {
      debug = new Set(ids)
      prune()
      for (const [id, refs] of handedOut) {
        const level = levelFor(id)
        for (const ref of refs) {
          const log = ref.deref()
          if (log) log.level = level
        }
      }
    },
    isDebug(system_id) {
      return debug.has(system_id)
    },
  }
}

export type { Logger }
