// The ESME-facing listener(s): plain TCP and optionally TLS, each connection becomes a ClientSession.
// Listens only where configured (a bare `listen(port)` would bind every interface, NOTES §3).
// Admission happens here, on the raw TCP socket before any TLS handshake: the global and per-address
// connection caps and the per-address rate of new connections; refused sockets are destroyed at once.
// Bind lockouts wrap the handler's authenticate, so a locked-out bind never reaches the password check.
import net from 'node:net'
import tls from 'node:tls'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import type { ListenConfig } from '../config/schema.js'
import type { Metrics } from '../ops/metrics.js'
import type { CoarseTimer } from '../util/coarse-timer.js'
import { GuardError } from '../errors.js'
import { CommandStatus } from '../smpp/constants.js'
import { addressKey, createBindLockout } from './bind-lockout.js'
import { ClientSession, type Delivery, type SessionDeps, type SessionHandler, type SessionOptions } from './session.js'

export interface InboundServer<D extends Delivery = Delivery> {
  listen(): Promise<{ port: number; tlsPort?: number }>
  /** Stops accepting new connections; settles once the existing ones have closed as well. */
  stopAccepting(): Promise<void>
  readonly connections: ReadonlySet<ClientSession<D>>
  close(): Promise<void>
  destroy(err?: Error): void
}

export interface InboundDeps<D extends Delivery> {
  readonly log: Logger
  readonly metrics: Metrics
  readonly timer: CoarseTimer
  readonly handler: SessionHandler<D>
  readonly accountLog?: SessionDeps['accountLog']
  /** Relative TLS file paths resolve against this (the config file's directory). */
  readonly baseDir?: string
  readonly clock?: () => number
}

export function createInboundServer<D extends Delivery>(
  cfg: ListenConfig,
  session: Omit<SessionOptions, 'window' | 'enquire_link_ms' | 'bind_timeout_ms' | 'pdu_timeout_ms' | 'write_blocked_timeout_ms' | 'max_write_buffer_bytes'>,
  deps: InboundDeps<D>,
): InboundServer<D> {
  const log = deps.log.child({ component: 'inbound' })
  const connections = new Set<ClientSession<D>>()
  const opts: SessionOptions = {
    ...session,
    window: cfg.window,
    enquire_link_ms: cfg.enquire_link_ms,
    bind_timeout_ms: cfg.bind_timeout_ms,
    pdu_timeout_ms: cfg.pdu_timeout_ms,
    write_blocked_timeout_ms: cfg.write_blocked_timeout_ms,
    max_write_buffer_bytes: cfg.max_write_buffer_bytes,
  }
  const clock = deps.clock ?? Date.now
  const servers: net.Server[] = []
  let closing: Promise<void> | null = null

  // Open TCP sockets, in total and per address (entries leave at 0, so the map is bounded by max_connections).
  let admitted = 0
  const perIp = new Map<string, number>()
  // New connections per address in the current second; replaced wholesale when the second changes.
  let rateSecond = -1
  let rate = new Map<string, number>()

  function refuse(socket: net.Socket, reason: string, ip: string): false {
    deps.metrics.clientConnectionsDropped.labels(reason).inc()
    log.debug({ reason, peer: ip }, 'connection refused')
    socket.destroy()
    return false
  }

  function admit(socket: net.Socket): boolean {
    const ip = addressKey(socket.remoteAddress ?? '')
    if (closing) {
      socket.destroy()
      return false
    }
    if (admitted >= cfg.max_connections) return refuse(socket, 'max_connections', ip)
    const open = perIp.get(ip) ?? 0
    if (open >= cfg.max_connections_per_ip) return refuse(socket, 'per_ip', ip)
    const second = Math.floor(clock() / 1000)
    if (second !== rateSecond) {
      rateSecond = second
      rate = new Map()
    }
    const recent = rate.get(ip) ?? 0
    if (recent >= cfg.max_new_connections_per_ip_per_second) return refuse(socket, 'per_ip_rate', ip)
    if (recent > 0 || rate.size < cfg.bind_lockout.max_tracked_ips) rate.set(ip, recent + 1)
    admitted++
    perIp.set(ip, open + 1)
    socket.once('close', () => {
      admitted--
      const n = (perIp.get(ip) ?? 1) - 1
      if (n > 0) perIp.set(ip, n)
      else perIp.delete(ip)
    })
    return true
  }

  const lockout = createBindLockout(cfg.bind_lockout)
  let lastSweep = clock()
  const untick = deps.timer.add((now) => {
    if (now - lastSweep < Math.min(cfg.bind_lockout.window_ms, 10_000)) return
    lastSweep = now
    lockout.sweep(now)
  })
  const inner = deps.handler
  const handler: SessionHandler<D> = {
    async authenticate(session, bind, bindType) {
      const scope = lockout.lockedScope(bind.system_id, session.remoteAddress, clock())
      if (scope) return { ok: false, status: CommandStatus.ESME_RBINDFAIL, reason: 'locked_out' }
      const res = await inner.authenticate(session, bind, bindType)
      if (res.ok || (res.reason !== 'wrong_password' && res.reason !== 'unknown_system_id')) return res
      const known = res.reason === 'wrong_password' ? bind.system_id : null
      for (const locked of lockout.recordFailure(known, session.remoteAddress, clock())) {
        deps.metrics.bindLockouts.labels(locked).inc()
        log.warn({ scope: locked, system_id: locked === 'account' ? bind.system_id : undefined, peer: addressKey(session.remoteAddress), lockout_ms: cfg.bind_lockout.lockout_ms }, 'bind lockout')
      }
      return res
    },
    onBound: (s) => inner.onBound(s),
    onSubmit: (s, pdu, at, perf) => inner.onSubmit(s, pdu, at, perf),
    onDeliveryDone: (s, d, status) => inner.onDeliveryDone(s, d, status),
    onClosed: (s, reason, undelivered) => inner.onClosed(s, reason, undelivered),
  }

  function startSession(socket: net.Socket): void {
    const s = new ClientSession<D>(socket, handler, opts, deps)
    connections.add(s)
    void s.closed.then(() => connections.delete(s))
  }

  const plain = net.createServer({ noDelay: true }, (socket) => {
    if (admit(socket)) startSession(socket)
  })
  servers.push(plain)
  let secure: tls.Server | null = null
  if (cfg.tls) {
    const base = deps.baseDir ?? process.cwd()
    secure = tls.createServer(
      {
        cert: readFileSync(resolve(base, cfg.tls.cert)),
        key: readFileSync(resolve(base, cfg.tls.key)),
        ca: cfg.tls.ca ? readFileSync(resolve(base, cfg.tls.ca)) : undefined,
        minVersion: cfg.tls.min_version,
        // A handshake left hanging holds a socket like an unbound session does.
        handshakeTimeout: cfg.bind_timeout_ms,
      },
      startSession,
    )
    secure.on('connection', (raw: net.Socket) => void admit(raw))
    secure.on('tlsClientError', (err) => log.debug({ err }, 'tls handshake failed'))
    servers.push(secure)
  }

  function listenOne(server: net.Server, host: string, port: number): Promise<number> {
    return new Promise((res, rej) => {
      const onError = (err: Error) => rej(new GuardError('SG_ERR_CONFIG_INVALID', `cannot listen on ${host}:${port}`, { cause: err }))
      server.once('error', onError)
      server.listen({ host, port }, () => {
        server.off('error', onError)
        res((server.address() as net.AddressInfo).port)
      })
    })
  }

  /** Stops listening at once; the promise settles when every connection has gone too (net.Server semantics). */
  function stopAccepting(): Promise<void> {
    closing ??= Promise.all(
      servers.map((s) => new Promise<void>((res) => (s.listening ? s.close(() => res()) : res()))),
    ).then(() => undefined)
    untick()
    return closing
  }

  return {
    async listen() {
      const port = await listenOne(plain, cfg.host, cfg.port)
      const tlsPort = secure && cfg.tls ? await listenOne(secure, cfg.tls.host ?? cfg.host, cfg.tls.port) : undefined
      log.info({ host: cfg.host, port, tls_port: tlsPort }, 'listening')
      return { port, tlsPort }
    },
    stopAccepting,
    connections,
    async close() {
      const stopped = stopAccepting()
      await Promise.all([...connections].map((s) => s.close()))
      await stopped
    },
    destroy(err) {
      void stopAccepting()
      for (const s of connections) void s.destroy(err)
    },
  }
}
