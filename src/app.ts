// The composition root: the one place that builds backends and wires them (STYLE rule 1). Start order is
// logger, metrics/HTTP, state, archive, upstream, inbound listener, admin; close runs in exact reverse, so
// clients are unbound and drained while the carrier is still there, the archive spool flushes after the
// last message, and metrics stay scrapeable to the end (rule 8).
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import type { LoadedConfig } from './config/load.js'
import type { Config } from './config/schema.js'
import { createReloader, type Reloader } from './config/reload.js'
import { createAccountLogs, createLogger } from './ops/logger.js'
import { createMetrics, type Metrics } from './ops/metrics.js'
import { createHttpServer } from './ops/http.js'
import { createAdminServer } from './ops/admin-server.js'
import type { AdminHandlers } from './ops/admin-protocol.js'
import { createAdminHandlers } from './ops/admin-handlers.js'
import { CoarseTimer, coarseTimer } from './util/coarse-timer.js'
import { statusName } from './smpp/status.js'
import { createState } from './state/index.js'
import type { State } from './state/types.js'
import { createArchive, type Archive } from './archive/archive.js'
import { compilePolicies, type AccountPolicy } from './policy/compile.js'
import type { PolicyConfig } from './policy/config.js'
import { createPipeline, type Pipeline } from './policy/pipeline.js'
import { createDiscipline, type Discipline } from './policy/discipline.js'
import { createPolicyAdmin } from './policy/admin.js'
import { createMoOptOut, type MoOptOutHandler } from './policy/opt-out.js'
import { messageFor, type Message } from './policy/message.js'
import type { Verdict } from './policy/verdict.js'
import { Tally } from './proxy/tally.js'
import { createAccounts, type Accounts } from './inbound/accounts.js'
import { createRegistry } from './inbound/registry.js'
import { createInboundServer, type InboundServer } from './inbound/server.js'
import { createUpstreamPool, type Upstream } from './upstream/pool.js'
import { createProxy, type Proxy } from './proxy/proxy.js'
import type { OutboundDelivery } from './proxy/deliveries.js'
import { createCarrier, type Carrier } from './simulator/carrier.js'

export interface AppOptions {
  /** Defaults to a logger built from `log:`. */
  readonly log?: Logger
  readonly timer?: CoarseTimer
  /** SIGHUP reloads the config (default true). */
  readonly signals?: boolean
}

export interface App {
  readonly smpp: { readonly port: number; readonly tlsPort?: number }
  readonly metricsAddress: { host: string; port: number } | null
  /** The in-process carrier simulator's port when `upstream.simulator` is on. */
  readonly simulatorPort: number | null
  readonly log: Logger
  readonly metrics: Metrics
  /** Graceful: stop accepting, unbind and drain clients (bounded), close upstream, flush the archive. */
  close(): Promise<void>
  destroy(err?: Error): Promise<void>
}

/** What a config compiles to; swapped as one reference on reload. */
interface Compiled {
  readonly config: Config
  readonly accounts: Accounts
  readonly policies: ReadonlyMap<string, AccountPolicy>
  readonly moOptOut: MoOptOutHandler
}

type Closer = { name: string; close: () => Promise<void> | void; destroy?: (err?: Error) => Promise<void> | void }

export async function startApp(loaded: LoadedConfig, opts: AppOptions = {}): Promise<App> {
  const cfg = loaded.config
  const baseDir = loaded.baseDir
  const log = opts.log ?? createLogger(cfg.log)
  const timer = opts.timer ?? coarseTimer
  const metrics = createMetrics()
  const accountLogs = createAccountLogs(log, cfg.log.debug_accounts)
  const clock = Date.now
  // Started resources, in start order; closed from the end.
  const started: Closer[] = []
  let upstream: Upstream | null = null
  let listening = false

  try {
    let flushVerdicts = (): void => {}
    let flushProxyCounts = (): void => {}
    const http = createHttpServer(cfg.metrics, {
      metrics,
      log,
      isReady: () => listening && (upstream?.isAvailable ?? false),
      beforeScrape: () => {
        flushVerdicts()
        flushProxyCounts()
      },
    })
    const metricsAddress = await http.listen()
    started.push({ name: 'http', close: () => http.close(), destroy: (e) => http.destroy(e) })

    const state: State = createState(cfg.state, { log, metrics, baseDir })
    started.push({ name: 'state', close: () => state.close(), destroy: (e) => state.destroy(e) })
    // A shared backend that is down at start is an outage like any other: each stage applies its
    // `on_state_error`. A local journal that cannot be read is a broken install and stops the start.
    if (cfg.state.backend === 'redis') {
      state.ready().catch((err: unknown) => log.warn({ err }, 'state backend not ready at start'))
    } else {
      await state.ready()
    }

    let archive: Archive | undefined
    if (cfg.archive.enabled) {
      const a = await createArchive(cfg.archive, { log, metrics, baseDir, clock })
      archive = a
      metrics.archiveSpoolMaxBytes.set(cfg.archive.spool.max_bytes)
      started.push({ name: 'archive', close: () => a.close(), destroy: (e) => a.destroy(e ?? new Error('destroyed')) })
    } else {
      log.warn('archive disabled: no message is kept (benchmarks and labs only)')
    }

    const pipeline: Pipeline = createPipeline()
    const discipline: Discipline = createDiscipline(cfg.policy as PolicyConfig, cfg.accounts, { state, log, metrics, clock })
    pipeline.onVerdict(discipline.onVerdict)
    const verdicts = verdictMetrics(metrics)
    pipeline.onVerdict(verdicts.hook)
    flushVerdicts = () => verdicts.tally.flush()
    const untickVerdicts = timer.add(flushVerdicts)
    started.push({ name: 'verdict-metrics', close: () => (untickVerdicts(), flushVerdicts()) })
    const compile = (l: LoadedConfig): Compiled => ({
      config: l.config,
      accounts: createAccounts(l.config.accounts),
      policies: compilePolicies(l.config.accounts, l.config.policy as PolicyConfig, {
        state,
        log,
        clock,
        baseDir: l.baseDir,
        rulesDir: resolve(l.baseDir, l.config.rules),
      }),
      moOptOut: createMoOptOut(l.config.policy as PolicyConfig, l.config.accounts, { state, log, metrics }),
    })
    let current = compile(loaded)

    let carrier: Carrier | null = null
    if (cfg.upstream.simulator) {
      carrier = await createCarrier({
        host: cfg.upstream.host,
        port: cfg.upstream.port,
        system_id: cfg.upstream.system_id,
        password: cfg.upstream.password,
        dlr: true,
        record: false,
        default_alphabet: cfg.upstream.default_alphabet,
      })
      started.push({ name: 'simulator', close: () => (carrier as Carrier).close() })
      log.info({ port: carrier.port }, 'carrier simulator started')
    }
    const upstreamCfg = carrier ? { ...cfg.upstream, port: carrier.port } : cfg.upstream

    const registry = createRegistry<OutboundDelivery>()
    let proxy: Proxy | null = null
    const pool = createUpstreamPool(upstreamCfg, {
      log,
      metrics,
      timer,
      onDeliver: (bind, pdu) => proxy?.onCarrierDeliver(bind, pdu),
      onBusy: (busy) => proxy?.onUpstreamBusy(busy),
      onBoundChange: () => metrics.ready.set(listening && pool.isAvailable ? 1 : 0),
    })
    upstream = pool
    proxy = createProxy(
      {
        receipts: { ...cfg.receipts, queue_dir: cfg.receipts.queue_dir && resolve(baseDir, cfg.receipts.queue_dir) },
        reassembly: cfg.reassembly,
        upstream_alphabet: cfg.upstream.default_alphabet,
        unmapped_hold_ms: cfg.upstream.response_timeout_ms,
      },
      {
        log,
        metrics,
        timer,
        upstream: pool,
        registry,
        accounts: () => current.accounts,
        pipeline,
        policies: () => current.policies,
        archive,
        onMo: (mo) => current.moOptOut(mo.system_id, mo.source_addr, mo.text),
      },
    )
    const p = proxy
    flushProxyCounts = () => p.flushMetrics()
    pool.start()
    started.push({ name: 'upstream', close: () => pool.close(), destroy: (e) => pool.destroy(e) })

    const server: InboundServer<OutboundDelivery> = createInboundServer(
      cfg.listen,
      {
        deliver_timeout_ms: cfg.upstream.response_timeout_ms,
        drain_timeout_ms: cfg.upstream.response_timeout_ms,
        unbind_timeout_ms: cfg.upstream.unbind_timeout_ms,
      },
      { log, metrics, timer, handler: p.handler, baseDir, accountLog: (id, bindings, parent) => accountLogs.child(id, bindings, parent) },
    )
    const smpp = await server.listen()
    listening = true
    metrics.ready.set(pool.isAvailable ? 1 : 0)
    started.push({
      name: 'inbound',
      close: async () => {
        listening = false
        metrics.ready.set(0)
        await server.close()
        // What is still held for reassembly is judged now, so no client waits on a part we dropped.
        p.close()
      },
      destroy: (e) => server.destroy(e),
    })

    let reloader: Reloader | null = null
    const policyAdmin = createPolicyAdmin({ state, discipline })
    const handlers: AdminHandlers = createAdminHandlers({
      sessions: { all: () => server.connections, get size() { return registry.size } },
      upstream: pool,
      policy: policyAdmin,
      reloader: {
        reload: (trigger) => (reloader as Reloader).reload(trigger),
        get current() {
          return (reloader as Reloader).current
        },
      },
      rulesTest: (req) => {
        const policy = current.policies.get(req.account) as AccountPolicy
        const now = clock()
        return pipeline.judge(messageFor(req.account, req.src ?? '', req.dst ?? '', req.text, now), policy, now)
      },
      isReady: () => listening && pool.isAvailable,
    })
    const admin = createAdminServer({ enabled: cfg.admin.enabled, socket: resolve(baseDir, cfg.admin.socket) }, { handlers, log, metrics })
    await admin.listen()
    started.push({ name: 'admin', close: () => admin.close(), destroy: (e) => admin.destroy(e) })

    reloader = createReloader({
      initial: loaded,
      log,
      metrics,
      signals: opts.signals === false ? false : process,
      apply: (next) => {
        const compiled = compile(next)
        discipline.update(next.config.policy as PolicyConfig, next.config.accounts)
        accountLogs.setDebugAccounts(next.config.log.debug_accounts)
        current = compiled
      },
    })
    const r = reloader
    started.push({ name: 'reload', close: () => r.close(), destroy: () => r.destroy() })

    log.info({ port: smpp.port, tls_port: smpp.tlsPort, upstream: `${upstreamCfg.host}:${upstreamCfg.port}` }, 'proxy started')

    let closing: Promise<void> | null = null
    return {
      smpp,
      metricsAddress,
      simulatorPort: carrier?.port ?? null,
      log,
      metrics,
      close() {
        closing ??= closeAll(started, log)
        return closing
      },
      destroy(err) {
        closing ??= destroyAll(started, err)
        return closing
      },
    }
  } catch (err) {
    await destroyAll(started, err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

async function closeAll(started: Closer[], log: Logger): Promise<void> {
  log.info('shutting down')
  for (let i = started.length - 1; i >= 0; i--) {
    const c = started[i]
    log.debug({ component: c.name }, 'closing')
    try {
      await c.close()
    } catch (err) {
      log.error({ err, component: c.name }, 'close failed')
    }
  }
  log.info('stopped')
  log.flush?.()
}

async function destroyAll(started: Closer[], err?: Error): Promise<void> {
  for (let i = started.length - 1; i >= 0; i--) {
    try {
      await started[i].destroy?.(err)
    } catch {
      // Destroying is best effort: the process is going down with `err` already reported.
    }
  }
}

/** Verdict counters, tallied per message and added to prom-client once per tick (see proxy/tally.ts). */
function verdictMetrics(metrics: Metrics) {
  const tally = new Tally()
  // Each account's counts by outcome, kept so a message costs a Map lookup by the session's own system_id
  // string instead of building a key string (a template key cost about 0.1 µs per message).
  type Outcome = 'allow' | 'monitor' | 'reject'
  const submits = new Map<string, Partial<Record<Outcome, { n: number }>>>()
  function submitSlot(a: string, outcome: Outcome): { n: number } {
    let slots = submits.get(a)
    if (slots === undefined) submits.set(a, (slots = {}))
    return (slots[outcome] ??= tally.slot(`s\0${a}\0${outcome}`, () => metrics.submits.labels(a, outcome)))
  }
  const hook = (msg: Message, verdict: Verdict) => {
    const a = msg.system_id
    const outcome = verdict.action === 'reject' ? 'reject' : verdict.shadow.length > 0 ? 'monitor' : 'allow'
    submitSlot(a, outcome).n++
    if (verdict.action === 'reject') {
      const { rule, category, status } = verdict
      tally.add(`r\0${a}\0${rule}\0${category}\0${status}`, () => metrics.rejections.labels(a, rule, category, statusName(status)))
    }
    for (const h of verdict.shadow) tally.add(`m\0${a}\0${h.rule}\0${h.category}`, () => metrics.shadowHits.labels(a, h.rule, h.category))
  }
  return { hook, tally }
}
