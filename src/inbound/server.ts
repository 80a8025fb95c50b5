// The ESME-facing listener(s): plain TCP and optionally TLS, each connection becomes a ClientSession.
// Listens only where configured (a bare `listen(port)` would bind every interface, NOTES §3).
import net from 'node:net'
import tls from 'node:tls'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import type { ListenConfig } from '../config/schema.js'
import type { Metrics } from '../ops/metrics.js'
import type { CoarseTimer } from '../util/coarse-timer.js'
import { GuardError } from '../errors.js'
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
  session: Omit<SessionOptions, 'window' | 'enquire_link_ms' | 'bind_timeout_ms'>,
  deps: InboundDeps<D>,
): InboundServer<D> {
  const log = deps.log.child({ component: 'inbound' })
  const connections = new Set<ClientSession<D>>()
  const opts: SessionOptions = {
    ...session,
    window: cfg.window,
    enquire_link_ms: cfg.enquire_link_ms,
    bind_timeout_ms: cfg.bind_timeout_ms,
  }
  const servers: net.Server[] = []
  let closing: Promise<void> | null = null

  function accept(socket: net.Socket): void {
    if (closing || connections.size >= cfg.max_connections) {
      socket.destroy()
      return
    }
    const s = new ClientSession<D>(socket, deps.handler, opts, deps)
    connections.add(s)
    void s.closed.then(() => connections.delete(s))
  }

  const plain = net.createServer({ noDelay: true }, accept)
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
      },
      accept,
    )
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
