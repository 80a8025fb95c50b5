// N carrier binds behind one `Upstream` (undici's pool over clients): a submit goes to the next bind with
// room, round-robin; when every window is full it waits in a bounded queue; when the queue is full, or no
// bind is up at all, it fails at once with ESME_RMSGQFUL so the client can retry (STYLE rule 11).
import type { Logger } from 'pino'
import type { UpstreamConfig } from '../config/schema.js'
import type { Metrics } from '../ops/metrics.js'
import type { CoarseTimer } from '../util/coarse-timer.js'
import { GuardError } from '../errors.js'
import { CarrierBind, type BindDeps, type BindStatus, type CarrierBindType, type UpstreamRequest } from './bind.js'

export interface Upstream {
  start(): void
  /** Always ends in exactly one of the request's callbacks. */
  submit(req: UpstreamRequest): void
  /** At least one bind can carry submits. */
  readonly isAvailable: boolean
  snapshot(): UpstreamSnapshot
  close(): Promise<void>
  destroy(err?: Error): Promise<void>
}

export interface UpstreamSnapshot {
  readonly binds: readonly { id: string; type: CarrierBindType; status: BindStatus; in_flight: number }[]
  readonly queued: number
}

export interface UpstreamDeps {
  readonly log: Logger
  readonly metrics: Metrics
  readonly timer: CoarseTimer
  readonly clock?: () => number
  /** A deliver_sm from the carrier (receipt or MO); answer with `bind.respondDeliver`. */
  onDeliver(bind: CarrierBind, pdu: Buffer): void
  /** Builds one bind; tests inject their own. */
  readonly createBind?: (cfg: UpstreamConfig, type: CarrierBindType, deps: BindDeps) => CarrierBind
  readonly connect?: BindDeps['connect']
  /** Told whenever the number of binds able to carry submits changes (readiness, tests). */
  readonly onBoundChange?: (bound: number) => void
  /** The queue in front of the binds is filling (true) or has emptied (false): clients should pause. */
  readonly onBusy?: (busy: boolean) => void
}

interface Queued {
  readonly req: UpstreamRequest
  readonly at: number
}

export function createUpstreamPool(cfg: UpstreamConfig, deps: UpstreamDeps): Upstream {
  const log = deps.log.child({ component: 'upstream' })
  const clock = deps.clock ?? Date.now
  const binds: CarrierBind[] = []
  const senders: CarrierBind[] = []
  // A plain array used as a FIFO with a moving head: shift() on a long array is O(n).
  let queue: (Queued | undefined)[] = []
  let head = 0
  let cursor = 0
  let closing: Promise<void> | null = null
  let bound = 0
  let busy = false

  const events: BindDeps['events'] = {
    onStatus() {
      const before = bound
      bound = senders.reduce((n, b) => n + (b.status === 'bound' ? 1 : 0), 0)
      if (bound === 0) failQueue(new GuardError('SG_ERR_UPSTREAM_UNAVAILABLE'))
      if (bound !== before) deps.onBoundChange?.(bound)
    },
    onReady(bind) {
      pump(bind)
    },
    onDeliver: (bind, pdu) => deps.onDeliver(bind, pdu),
  }
  const bindDeps: BindDeps = { log: deps.log, metrics: deps.metrics, timer: deps.timer, events, clock: deps.clock, connect: deps.connect }
  const make = deps.createBind ?? ((c, t, d) => new CarrierBind(c, t, d))
  for (let i = 0; i < cfg.binds; i++) {
    if (cfg.mode === 'pair') {
      const tx = make(cfg, 'transmitter', bindDeps)
      binds.push(tx, make(cfg, 'receiver', bindDeps))
      senders.push(tx)
    } else {
      const trx = make(cfg, 'transceiver', bindDeps)
      binds.push(trx)
      senders.push(trx)
    }
  }

  // The in-flight gauge is sampled here rather than moved per PDU (two gauge updates per message).
  const untick = deps.timer.add((now) => {
    expireQueue(now)
    let inFlight = 0
    for (const b of binds) inFlight += b.inFlight
    deps.metrics.upstreamInFlight.set(inFlight)
    deps.metrics.upstreamQueued.set(queued())
  })

  function queued(): number {
    return queue.length - head
  }

  // Busy from half the queue until it is empty again (hysteresis, so sessions do not flap). The depth
  // gauge is sampled on the tick: a gauge set per queued PDU cost 1 µs.
  function setQueueGauge(): void {
    const n = queued()
    const nowBusy = n >= Math.max(1, cfg.queue >> 1)
    if (nowBusy !== busy && (nowBusy || n === 0)) {
      busy = nowBusy
      deps.onBusy?.(busy)
    }
  }

  function pump(bind: CarrierBind): void {
    let moved = false
    while (head < queue.length && bind.canSubmit) {
      const q = queue[head] as Queued
      queue[head++] = undefined
      bind.submit(q.req)
      moved = true
    }
    if (!moved) return
    if (head === queue.length) {
      queue = []
      head = 0
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head)
      head = 0
    }
    setQueueGauge()
  }

  function failQueue(err: GuardError): void {
    if (queued() === 0) return
    const list = queue.slice(head) as Queued[]
    queue = []
    head = 0
    setQueueGauge()
    for (const q of list) q.req.onCarrierFailure(err)
  }

  function expireQueue(now: number): void {
    let n = 0
    while (head < queue.length && now - (queue[head] as Queued).at >= cfg.response_timeout_ms) {
      const q = queue[head] as Queued
      queue[head++] = undefined
      q.req.onCarrierFailure(new GuardError('SG_ERR_UPSTREAM_UNAVAILABLE', 'waited too long for a carrier window'))
      n++
    }
    if (n > 0) {
      log.warn({ expired: n }, 'upstream queue timeout')
      setQueueGauge()
    }
  }

  return {
    start() {
      for (const b of binds) b.start()
    },
    submit(req) {
      if (closing) return req.onCarrierFailure(new GuardError('SG_ERR_SHUTTING_DOWN'))
      if (bound === 0) return req.onCarrierFailure(new GuardError('SG_ERR_UPSTREAM_UNAVAILABLE'))
      // Keep order: nothing overtakes what is already queued.
      if (queued() === 0) {
        const n = senders.length
        for (let k = 0; k < n; k++) {
          const b = senders[(cursor + k) % n]
          if (b.submit(req)) {
            cursor = (cursor + k + 1) % n
            return
          }
        }
      }
      if (queued() >= cfg.queue) return req.onCarrierFailure(new GuardError('SG_ERR_UPSTREAM_UNAVAILABLE', 'queue full'))
      // The client's bytes may be a view of a large socket chunk; a queued copy holds only this PDU.
      req.pdu = Buffer.from(req.pdu)
      queue.push({ req, at: clock() })
      setQueueGauge()
    },
    get isAvailable() {
      return bound > 0
    },
    snapshot() {
      return {
        binds: binds.map((b) => ({ id: b.id, type: b.type, status: b.status, in_flight: b.inFlight })),
        queued: queued(),
      }
    },
    close() {
      closing ??= (async () => {
        failQueue(new GuardError('SG_ERR_SHUTTING_DOWN'))
        await Promise.all(binds.map((b) => b.close()))
        untick()
      })()
      return closing
    },
    async destroy(err) {
      failQueue(new GuardError('SG_ERR_UPSTREAM_CLOSED', err?.message))
      const all = Promise.all(binds.map((b) => b.destroy(err))).then(() => untick())
      closing ??= all
      await all
    },
  }
}
