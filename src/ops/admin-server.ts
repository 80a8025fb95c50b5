// The admin control socket: a net-ipc server on a unix socket (mode 0600) that dispatches named commands to
// a handler table the composition root injects. Low-rate control only: net-ipc shares its pending-request
// maps between instances and loses sends under backpressure (NOTES.md §2), so nothing per-message goes here.
import { lstatSync, mkdirSync, chmodSync, unlinkSync } from 'node:fs'
import { dirname } from 'node:path'
import { Server, type Connection } from 'net-ipc'
import { GuardError } from '../errors.js'
import type { Logger } from './logger.js'
import type { Metrics } from './metrics.js'
import { adminRequest } from './admin-client.js'
import { AdminRequestSchema, type AdminHandlers, type AdminRequest, type AdminResponse } from './admin-protocol.js'

export interface AdminServerConfig {
  readonly enabled?: boolean
  /** Path of the unix socket, already resolved (the config's admin.socket is relative to the config file). */
  readonly socket: string
}

export interface AdminServerDeps {
  readonly handlers: AdminHandlers
  readonly log: Logger
  readonly metrics?: Pick<Metrics, 'adminCommands'>
}

export type AdminStatus = 'idle' | 'starting' | 'listening' | 'closing' | 'closed'

export interface AdminServer {
  /** Resolves with the socket path, or null when admin.enabled is false. */
  listen(): Promise<string | null>
  readonly status: AdminStatus
  close(): Promise<void>
  destroy(err?: Error): Promise<void>
}

const MAX_CONNECTIONS = 16
const PROBE_TIMEOUT_MS = 1000
const CLOSE_DEADLINE_MS = 2000

type SocketState = 'absent' | 'stale' | { live: string }

/** A socket file left by a crashed proxy is removed; one that a live proxy answers on is never touched. */
async function inspectSocket(path: string): Promise<SocketState> {
  let isSocket: boolean
  try {
    isSocket = lstatSync(path).isSocket()
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return 'absent'
    throw err
  }
  if (!isSocket) throw new GuardError('SG_ERR_ADMIN_IN_USE', `${path} exists and is not a socket; refusing to replace it`)
  try {
    const res = await adminRequest(path, { cmd: 'ping' }, { timeout_ms: PROBE_TIMEOUT_MS })
    const pid = res.ok ? (res.result as { pid?: unknown } | null)?.pid : undefined
    return { live: pid !== undefined ? `pid ${String(pid)}` : 'unknown process' }
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return 'stale'
    return { live: (err as Error).message }
  }
}

function errorBody(err: unknown): AdminResponse {
  const e = err as { code?: unknown; message?: unknown; problems?: unknown }
  return {
    ok: false,
    error: {
      code: err instanceof GuardError ? err.code : typeof e?.code === 'string' ? e.code : 'SG_ERR_ADMIN_FAILED',
      message: typeof e?.message === 'string' ? e.message : String(err),
      ...(Array.isArray(e?.problems) ? { problems: e.problems } : {}),
    },
  }
}

/** What an admin command may log: names and ids, the number masked by the logger, never text. */
function logFields(req: AdminRequest): Record<string, unknown> {
  const out: Record<string, unknown> = { command: req.cmd }
  if ('account' in req) out.account = req.account
  if ('id' in req) out.session = req.id
  if ('number' in req) out.number = req.number
  return out
}

export function createAdminServer(cfg: AdminServerConfig, deps: AdminServerDeps): AdminServer {
  const { handlers, log, metrics } = deps
  const path = cfg.socket
  // No write retries: an answer to a client that left is dropped at once instead of retried for seconds.
  const server = new Server({ path, max: MAX_CONNECTIONS, retries: 0 })
  let status: AdminStatus = 'idle'
  let closing: Promise<void> | null = null

  function setStatus(s: AdminStatus): void {
    status = s
  }

  async function dispatch(raw: unknown): Promise<AdminResponse> {
    const parsed = AdminRequestSchema.safeParse(raw)
    if (!parsed.success) {
      metrics?.adminCommands.labels('invalid', 'failed').inc()
      return { ok: false, error: { code: 'SG_ERR_USAGE', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ') } }
    }
    const req = parsed.data
    if (req.cmd === 'ping') return { ok: true, result: { pid: process.pid } }
    if (status !== 'listening') return errorBody(new GuardError('SG_ERR_SHUTTING_DOWN'))
    const handler = handlers[req.cmd] as (r: AdminRequest) => unknown
    try {
      const result = await handler(req)
      metrics?.adminCommands.labels(req.cmd, 'ok').inc()
      log.info(logFields(req), 'admin command')
      return { ok: true, result: result ?? null }
    } catch (err) {
      metrics?.adminCommands.labels(req.cmd, 'failed').inc()
      log.warn({ ...logFields(req), err }, 'admin command failed')
      return errorBody(err)
    }
  }

  server.on('request', (req: unknown, respond: (data: unknown) => Promise<void>) => {
    // The client may have gone while a slow command (reload) ran; net-ipc then rejects the write.
    dispatch(req)
      .then(respond)
      .catch((err: unknown) => log.debug({ err }, 'admin answer not delivered'))
  })
  server.on('error', (err: unknown) => log.warn({ err }, 'admin socket error'))

  function shutdown(force: boolean): Promise<void> {
    if (closing) {
      if (force) for (const c of [...server.connections]) c.destroy()
      return closing
    }
    if (status === 'idle' || status === 'closed') {
      setStatus('closed')
      return (closing = Promise.resolve())
    }
    setStatus('closing')
    closing = new Promise<void>((resolve) => {
      const done = () => {
        setStatus('closed')
        resolve()
      }
      if (!server.server) return done()
      server.server.once('close', done)
      const conns: Connection[] = [...server.connections]
      if (force) {
        for (const c of conns) c.destroy()
        server.server.close()
        return
      }
      const timer = setTimeout(() => {
        for (const c of [...server.connections]) c.destroy()
      }, CLOSE_DEADLINE_MS)
      timer.unref()
      server.server.once('close', () => clearTimeout(timer))
      server.close().catch(() => {})
    })
    return closing
  }

  return {
    get status() {
      return status
    },
    async listen() {
      if (status !== 'idle') throw new Error(`admin server is ${status}`)
      if (cfg.enabled === false) {
        setStatus('closed')
        return null
      }
      setStatus('starting')
      try {
        // Longer paths are silently truncated by the kernel (sun_path is 108 bytes with its NUL).
        if (Buffer.byteLength(path) > 107) {
          throw new GuardError('SG_ERR_CONFIG_INVALID', `admin.socket: ${path} is ${Buffer.byteLength(path)} bytes; a unix socket path has at most 107`)
        }
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
        const state = await inspectSocket(path)
        if (typeof state === 'object') throw new GuardError('SG_ERR_ADMIN_IN_USE', `${path} (${state.live})`)
        if (state === 'stale') {
          unlinkSync(path)
          log.warn({ socket: path }, 'stale admin socket removed')
        }
        // The socket must never be reachable by other users, not even between bind and chmod.
        let umask: number | undefined
        try {
          umask = process.umask(0o177)
        } catch {
          // A worker thread may not change the umask; the chmod below still closes the socket.
          umask = undefined
        }
        let started: Promise<unknown>
        try {
          started = server.start()
        } finally {
          if (umask !== undefined) process.umask(umask)
        }
        // net-ipc's start() settles only on 'listening'; a listen error must end it too.
        const listenFailed = new Promise<never>((_, reject) => server.server?.once('error', reject))
        listenFailed.catch(() => {})
        await Promise.race([started, listenFailed])
        chmodSync(path, 0o600)
        if ((status as AdminStatus) !== 'starting') throw new GuardError('SG_ERR_SHUTTING_DOWN', 'closed while starting')
      } catch (err) {
        setStatus('closed')
        if (server.server) server.server.close()
        throw err
      }
      setStatus('listening')
      log.info({ socket: path }, 'admin listening')
      return path
    },
    close: () => shutdown(false),
    destroy: () => shutdown(true),
  }
}
