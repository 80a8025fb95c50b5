// The proxy assembled from its real parts on 127.0.0.1 port 0, with the carrier simulator behind it: what
// the proxy, upstream and e2e tests drive with real clients.
import { EventEmitter, once } from 'node:events'
import pino from 'pino'
import type { Test } from 'tap'
import { AccountSchema, ListenSchema, ReassemblySchema, ReceiptsSchema, UpstreamSchema, type AccountConfig, type UpstreamConfig } from '../../src/config/schema.js'
import { createMetrics, type Metrics } from '../../src/ops/metrics.js'
import { CoarseTimer } from '../../src/util/coarse-timer.js'
import { hashPassword } from '../../src/inbound/password.js'
import { createAccounts } from '../../src/inbound/accounts.js'
import { createRegistry } from '../../src/inbound/registry.js'
import { createInboundServer, type InboundServer } from '../../src/inbound/server.js'
import { createUpstreamPool, type Upstream } from '../../src/upstream/pool.js'
import { createProxy, type Proxy, type ProxyDeps } from '../../src/proxy/proxy.js'
import type { OutboundDelivery } from '../../src/proxy/deliveries.js'
import { createCarrier, type Carrier, type CarrierOptions } from '../../src/simulator/carrier.js'
import { createClient, connectClient, type ClientOptions, type SmppClient } from '../../src/simulator/client.js'

const hashes = new Map<string, Promise<string>>()
function hashOf(pw: string): Promise<string> {
  let h = hashes.get(pw)
  if (!h) hashes.set(pw, (h = hashPassword(pw)))
  return h
}

export interface AccountSpec extends Partial<Omit<AccountConfig, 'password_hash'>> {
  readonly system_id: string
  readonly password: string
}

export interface HarnessOptions {
  readonly accounts?: readonly AccountSpec[]
  /** Carrier simulator options; `false` starts none (upstream points at `upstreamPort`). */
  readonly carrier?: CarrierOptions | false
  readonly upstream?: Partial<UpstreamConfig>
  readonly listen?: Record<string, unknown>
  readonly reassembly?: Record<string, unknown>
  readonly receipts?: Record<string, unknown>
  readonly proxy?: Partial<Pick<ProxyDeps, 'pipeline' | 'policies' | 'archive' | 'onMo'>>
  /** Wait for every upstream bind before returning (default true when a carrier runs). */
  readonly waitBound?: boolean
}

export interface Harness {
  readonly port: number
  readonly tlsPort?: number
  readonly carrier: Carrier | null
  readonly upstream: Upstream
  readonly server: InboundServer<OutboundDelivery>
  readonly proxy: Proxy
  readonly metrics: Metrics
  readonly timer: CoarseTimer
  readonly events: EventEmitter
  client(opts: Partial<ClientOptions> & { system_id: string; password: string }): Promise<SmppClient>
  connect(): Promise<SmppClient>
  waitBound(n: number): Promise<void>
  close(): Promise<void>
}

export const DEMO: AccountSpec = { system_id: 'acme', password: 'acme-pw', allowed_ips: ['127.0.0.1/32', '::1/128'] }

export async function startHarness(t: Test, opts: HarnessOptions = {}): Promise<Harness> {
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' })
  const metrics = createMetrics()
  const timer = new CoarseTimer(50)
  const events = new EventEmitter()
  const accountsCfg: AccountConfig[] = []
  for (const a of opts.accounts ?? [DEMO]) {
    const { password, ...rest } = a
    accountsCfg.push(AccountSchema.parse({ ...rest, password_hash: await hashOf(password) }))
  }
  const accounts = createAccounts(accountsCfg)
  const carrier = opts.carrier === false ? null : await createCarrier({ port: 0, ...(opts.carrier ?? {}) })
  const upstreamCfg = UpstreamSchema.parse({
    port: carrier?.port ?? 1,
    binds: 2,
    window: 50,
    reconnect_min_ms: 20,
    reconnect_max_ms: 200,
    response_timeout_ms: 2000,
    unbind_timeout_ms: 200,
    ...(opts.upstream ?? {}),
  })
  let bound = 0
  const registry = createRegistry<OutboundDelivery>()
  let proxyRef: Proxy | null = null
  const upstream = createUpstreamPool(upstreamCfg, {
    log,
    metrics,
    timer,
    onDeliver: (bind, pdu) => proxyRef?.onCarrierDeliver(bind, pdu),
    onBusy: (busy) => proxyRef?.onUpstreamBusy(busy),
    onBoundChange: (n) => {
      bound = n
      events.emit('bound', n)
    },
  })
  const proxy = createProxy(
    {
      receipts: ReceiptsSchema.parse({ ...(opts.receipts ?? {}) }),
      reassembly: ReassemblySchema.parse({ timeout_ms: 1000, ...(opts.reassembly ?? {}) }),
      upstream_alphabet: upstreamCfg.default_alphabet,
      unmapped_hold_ms: upstreamCfg.response_timeout_ms,
    },
    { log, metrics, timer, upstream, registry, accounts: () => accounts, ...(opts.proxy ?? {}) },
  )
  proxyRef = proxy
  const server = createInboundServer<OutboundDelivery>(
    ListenSchema.parse({ port: 0, bind_timeout_ms: 1000, enquire_link_ms: 1000, ...(opts.listen ?? {}) }),
    { deliver_timeout_ms: 2000, drain_timeout_ms: 1000, unbind_timeout_ms: 200 },
    { log, metrics, timer, handler: proxy.handler },
  )
  const { port, tlsPort } = await server.listen()
  upstream.start()

  const waitBound = async (n: number): Promise<void> => {
    while (bound < n) await once(events, 'bound')
  }
  if (opts.waitBound ?? carrier !== null) await waitBound(upstreamCfg.binds)

  const clients: SmppClient[] = []
  let closed: Promise<void> | null = null
  const h: Harness = {
    port,
    tlsPort,
    carrier,
    upstream,
    server,
    proxy,
    metrics,
    timer,
    events,
    async client(o) {
      const c = await createClient({ port, window: 10, ...o })
      clients.push(c)
      return c
    },
    async connect() {
      const c = await connectClient({ port, system_id: '', password: '' })
      clients.push(c)
      return c
    },
    waitBound,
    close() {
      closed ??= (async () => {
        for (const c of clients) c.destroy()
        await server.close()
        proxy.close()
        await upstream.close()
        await carrier?.close()
      })()
      return closed
    },
  }
  t.teardown(() => h.close())
  return h
}
