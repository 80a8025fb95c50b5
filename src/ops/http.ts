// The operations HTTP endpoint: Prometheus scrape, liveness and readiness. It binds to 127.0.0.1 unless the
// config names another host, because /metrics shows account names and traffic volumes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import client from 'prom-client'
import type { MetricsConfig } from '../config/schema.js'
import { GuardError } from '../errors.js'
import type { Logger } from './logger.js'
import type { Metrics } from './metrics.js'

export interface HttpDeps {
  readonly metrics: Pick<Metrics, 'registry' | 'ready'>
  /** Listening for clients and at least one carrier bind up. */
  readonly isReady: () => boolean
  readonly log: Logger
  /** Runs before each /metrics render: counters batched off the hot path are flushed so a scrape is exact. */
  readonly beforeScrape?: () => void
}

export type HttpStatus = 'idle' | 'starting' | 'listening' | 'closing' | 'closed'

export interface HttpServer {
  /** Resolves with the bound address, or null when `metrics.enabled` is false. */
  listen(): Promise<{ host: string; port: number } | null>
  readonly status: HttpStatus
  close(): Promise<void>
  destroy(err?: Error): Promise<void>
}

/** A scrape that takes longer than this is abandoned on shutdown. */
const CLOSE_DEADLINE_MS = 2000

// collectDefaultMetrics registers collectors on the registry: twice on one registry would throw.
const withDefaults = new WeakSet<client.Registry>()

export function createHttpServer(cfg: MetricsConfig, deps: HttpDeps): HttpServer {
  const { metrics, isReady, log } = deps
  const registry = metrics.registry
  if (!withDefaults.has(registry)) {
    client.collectDefaultMetrics({ register: registry })
    withDefaults.add(registry)
  }

  let status: HttpStatus = 'idle'
  let closing: Promise<void> | null = null
  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'metrics request failed')
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('internal error\n')
    })
  })

  function setStatus(s: HttpStatus): void {
    status = s
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n')
      return
    }
    const path = (req.url ?? '/').split('?')[0]
    switch (path) {
      case '/metrics': {
        deps.beforeScrape?.()
        metrics.ready.set(isReady() ? 1 : 0)
        const body = await registry.metrics()
        res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body)
        return
      }
      case '/healthz':
        json(res, 200, { status: 'ok' })
        return
      case '/readyz': {
        const ready = isReady()
        json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' })
        return
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    }
  }

  function shutdown(force: boolean): Promise<void> {
    if (closing) {
      if (force) server.closeAllConnections()
      return closing
    }
    if (status !== 'listening') {
      setStatus('closed')
      closing = Promise.resolve()
      return closing
    }
    setStatus('closing')
    closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => server.closeAllConnections(), CLOSE_DEADLINE_MS)
      timer.unref()
      server.close(() => {
        clearTimeout(timer)
        setStatus('closed')
        resolve()
      })
      if (force) server.closeAllConnections()
      else server.closeIdleConnections()
    })
    return closing
  }

  return {
    get status() {
      return status
    },
    listen() {
      if (status !== 'idle') return Promise.reject(new Error(`metrics server is ${status}`))
      if (!cfg.enabled) {
        setStatus('closed')
        return Promise.resolve(null)
      }
      setStatus('starting')
      return new Promise((resolve, reject) => {
        const onError = (err: Error) => {
          setStatus('closed')
          reject(err)
        }
        server.once('error', onError)
        server.listen(cfg.port, cfg.host, () => {
          server.off('error', onError)
          if (status !== 'starting') {
            server.close()
            reject(new GuardError('SG_ERR_SHUTTING_DOWN', 'metrics server closed while starting'))
            return
          }
          server.on('error', (err) => log.error({ err }, 'metrics server error'))
          setStatus('listening')
          const addr = server.address() as AddressInfo
          log.info({ host: addr.address, port: addr.port }, 'metrics listening')
          resolve({ host: addr.address, port: addr.port })
        })
      })
    },
    close: () => shutdown(false),
    destroy: () => shutdown(true),
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n')
}
