// One pino root logger; sessions and binds take a child with their bindings serialised once. Number and
// text fields are masked by serializers (top-level keys and child bindings) and by a log formatter (one level of
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
  const out = pino.stdSerializers.err(e as Error) as unknown
  // Not error-like: pino hands the value back, and it is the caller's object, not ours to change.
  if (out === e || out === null || typeof out !== 'object') return e
  const o = out as Record<string, unknown>
  if (typeof o.message === 'string') o.message = maskDigits(o.message)
  if (typeof o.stack === 'string') o.stack = maskDigits(o.stack)
  return o
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function hasDigitRun(s: string): boolean {
  let run = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (++run >= 7) return true
    } else run = 0
  }
  return false
}

// Event names are fixed strings, but a message built with a number in it must not leak it either. Runs
// only for enabled levels, so a disabled debug call costs nothing more.
const hooks: pino.LoggerOptions['hooks'] = {
  logMethod(args, method) {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]
      if (typeof a === 'string' && hasDigitRun(a)) args[i] = maskDigits(a)
    }
    // Without a message pino takes the error's own message as `msg`, past the serializer: supply it masked.
    if (typeof args[1] !== 'string') {
      const first = args[0] as unknown
      const e = first instanceof Error ? first : isPlain(first) && first.err instanceof Error ? first.err : null
      if (e) return method.apply(this, [first as object, maskDigits(e.message), ...(args.slice(1) as unknown[])] as never)
    }
    return method.apply(this, args)
  },
}

function serializers(): pino.LoggerOptions['serializers'] {
  const out: Record<string, (v: unknown) => unknown> = { err }
  for (const k of NUMBER_KEYS) out[k] = number
  for (const k of TEXT_KEYS) out[k] = text
  return out
}

const NUMBER_SET = new Set<string>(NUMBER_KEYS)
const SENSITIVE = new Set<string>([...NUMBER_KEYS, ...TEXT_KEYS])

function maskedCopy(o: Record<string, unknown>): Record<string, unknown> | null {
  let copy: Record<string, unknown> | null = null
  for (const k in o) {
    if (SENSITIVE.has(k)) (copy ??= { ...o })[k] = NUMBER_SET.has(k) ? number(o[k]) : text(o[k])
  }
  return copy
}

// One level of nesting (`{ pdu: { destination_addr } }`, `{ parts: [{ text }] }`) is masked here; the top
// level and child bindings by the serializers. A copy is made only when something is masked: the caller's
// objects are never changed. Measured 10× cheaper than pino's wildcard redaction (6 µs per call).
function maskNested(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null
  for (const k in obj) {
    const v = obj[k]
    let masked: unknown = null
    if (isPlain(v)) masked = maskedCopy(v)
    else if (Array.isArray(v) && v.length > 0 && isPlain(v[0])) {
      let changed = false
      const arr = v.map((x) => {
        const m = isPlain(x) ? maskedCopy(x) : null
        if (m) changed = true
        return m ?? x
      })
      if (changed) masked = arr
    }
    if (masked) (out ??= { ...obj })[k] = masked
  }
  return out ?? obj
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
    formatters: { log: maskNested },
    hooks,
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
  /**
   * A child of `parent` (the root by default; a session passes its own logger once the bind tells it the
   * account) tagged with the account, at debug level when the account is listed.
   */
  child(system_id: string, bindings?: pino.Bindings, parent?: Logger): Logger
  setDebugAccounts(ids: readonly string[]): void
  isDebug(system_id: string): boolean
}

interface HandedOut {
  readonly ref: WeakRef<Logger>
  /** The level the logger has when its account is not being debugged: its parent's. */
  readonly base: pino.LevelWithSilentOrString
}

export function createAccountLogs(root: Logger, debugAccounts: readonly string[] = []): AccountLogs {
  let debug = new Set(debugAccounts)
  // Weak references: a closed session's logger must not be kept alive by this registry.
  const handedOut = new Map<string, Set<HandedOut>>()
  let sincePrune = 0

  function prune(): void {
    for (const [id, entries] of handedOut) {
      for (const e of entries) if (!e.ref.deref()) entries.delete(e)
      if (entries.size === 0) handedOut.delete(id)
    }
    sincePrune = 0
  }

  function levelFor(system_id: string, base: pino.LevelWithSilentOrString): pino.LevelWithSilentOrString {
    if (!debug.has(system_id)) return base
    const b = pino.levels.values[base] ?? Infinity
    return b <= pino.levels.values.debug ? base : 'debug'
  }

  return {
    child(system_id, bindings = {}, parent = root) {
      const base = parent.level
      const log = parent.child({ account: system_id, ...bindings }, { level: levelFor(system_id, base) })
      let entries = handedOut.get(system_id)
      if (!entries) handedOut.set(system_id, (entries = new Set()))
      entries.add({ ref: new WeakRef(log), base })
      if (++sincePrune >= 1024) prune()
      return log
    },
    setDebugAccounts(ids) {
      debug = new Set(ids)
      prune()
      for (const [id, entries] of handedOut) {
        for (const e of entries) {
          const log = e.ref.deref()
          if (log) log.level = levelFor(id, e.base)
        }
      }
    },
    isDebug(system_id) {
      return debug.has(system_id)
    },
  }
}

export type { Logger }
