// Receipts and MO on their way to clients. A deliver_sm goes to a live receiver/transceiver session of its
// account; with none (or all windows full) it waits in that account's bounded queue and the carrier is
// acknowledged then — the receipt is in our custody. Otherwise the carrier's deliver_sm_resp waits for the
// client's answer and carries its status, so a client that refuses a receipt refuses it to the carrier too.
import type { Logger } from 'pino'
import type { Metrics } from '../ops/metrics.js'
import type { ClientSession, Delivery } from '../inbound/session.js'
import type { SessionRegistry } from '../inbound/registry.js'
import { CommandStatus } from '../smpp/constants.js'
import type { Tally } from './tally.js'

/** Where the carrier's deliver_sm_resp goes once the fate of the delivery is known. */
export interface CarrierAck {
  respondDeliver(seq: number, status: number): void
}

export class OutboundDelivery implements Delivery {
  pdu: Buffer
  readonly system_id: string
  readonly kind: 'receipt' | 'mo'
  /** Set while the carrier still waits for our deliver_sm_resp. */
  carrier: CarrierAck | null
  readonly carrierSeq: number

  constructor(pdu: Buffer, system_id: string, kind: 'receipt' | 'mo', carrier: CarrierAck | null, carrierSeq: number) {
    this.pdu = pdu
    this.system_id = system_id
    this.kind = kind
    this.carrier = carrier
    this.carrierSeq = carrierSeq
  }

  ackCarrier(status: number): void {
    const c = this.carrier
    if (!c) return
    this.carrier = null
    c.respondDeliver(this.carrierSeq, status)
  }
}

export interface DeliveryRouterConfig {
  readonly queue_per_account: number
}

export interface DeliveryRouter {
  /** Deliver now, or queue; never drops silently. */
  offer(d: OutboundDelivery): void
  onDone(session: ClientSession<OutboundDelivery>, d: OutboundDelivery, status: number | undefined): void
  /** A receiver-capable session appeared: hand it what waited. */
  onBound(session: ClientSession<OutboundDelivery>): void
  /** Deliveries a closed session never answered go back into circulation. */
  onClosed(undelivered: readonly OutboundDelivery[]): void
  queued(system_id: string): number
  readonly totalQueued: number
  /** Empties every queue (shutdown, to persist them). */
  drainQueues(): OutboundDelivery[]
}

interface Fifo {
  items: (OutboundDelivery | undefined)[]
  head: number
}

export function createDeliveryRouter(
  cfg: DeliveryRouterConfig,
  deps: { registry: SessionRegistry<OutboundDelivery>; log: Logger; metrics: Metrics; tally: Tally },
): DeliveryRouter {
  const queues = new Map<string, Fifo>()
  let total = 0
  // Counted in the proxy's tally (a counter inc per receipt was a sixtieth of the receipt path's CPU).
  const slots = (kind: 'receipts' | 'mo') => {
    const slot = (what: string) => deps.tally.slot(`${kind}\0${what}`, () => deps.metrics[kind].labels(what))
    return { routed: slot('routed'), queued: slot('queued'), dropped: slot('dropped') }
  }
  const outcome = slots('receipts')
  const moOutcome = slots('mo')

  function count(d: OutboundDelivery, what: 'routed' | 'queued' | 'dropped'): void {
    ;(d.kind === 'receipt' ? outcome : moOutcome)[what].n++
  }

  function size(q: Fifo | undefined): number {
    return q ? q.items.length - q.head : 0
  }

  function enqueue(d: OutboundDelivery, front: boolean): void {
    let q = queues.get(d.system_id)
    if (size(q) >= cfg.queue_per_account) {
      count(d, 'dropped')
      if (d.carrier) {
        // Still the carrier's: refusing it makes the carrier retry later instead of losing it.
        d.ackCarrier(CommandStatus.ESME_RMSGQFUL)
      } else {
        deps.log.warn({ system_id: d.system_id, kind: d.kind }, 'delivery queue full, dropped')
      }
      return
    }
    if (!q) {
      q = { items: [], head: 0 }
      queues.set(d.system_id, q)
    }
    // A queued PDU may outlive the socket chunk it is a view of; keep only its own bytes.
    d.pdu = Buffer.from(d.pdu)
    if (front && q.head > 0) q.items[--q.head] = d
    else if (front) q.items.unshift(d)
    else q.items.push(d)
    total++
    if (d.carrier) {
      count(d, 'queued')
      d.ackCarrier(CommandStatus.ESME_ROK)
    }
  }

  function take(system_id: string): OutboundDelivery | undefined {
    const q = queues.get(system_id)
    if (!q || q.head >= q.items.length) return undefined
    const d = q.items[q.head] as OutboundDelivery
    q.items[q.head++] = undefined
    if (q.head === q.items.length) queues.delete(system_id)
    else if (q.head > 1024 && q.head * 2 > q.items.length) {
      q.items = q.items.slice(q.head)
      q.head = 0
    }
    total--
    return d
  }

  function pump(session: ClientSession<OutboundDelivery>): void {
    while (session.canDeliver) {
      const d = take(session.system_id)
      if (!d) return
      if (!session.deliver(d)) {
        enqueue(d, true)
        return
      }
    }
  }

  function offer(d: OutboundDelivery, front = false): void {
    // Order per account: while older deliveries wait in the queue, new ones line up behind them.
    if (size(queues.get(d.system_id)) === 0) {
      const s = deps.registry.pickReceiver(d.system_id)
      if (s && s.deliver(d)) return
    }
    enqueue(d, front)
  }

  return {
    offer: (d) => offer(d),
    onDone(session, d, status) {
      if (status === undefined) {
        offer(d, true)
        return
      }
      count(d, 'routed')
      d.ackCarrier(status)
      pump(session)
    },
    onBound(session) {
      if (session.canReceive) pump(session)
    },
    onClosed(undelivered) {
      for (let i = undelivered.length - 1; i >= 0; i--) offer(undelivered[i], true)
    },
    queued: (system_id) => size(queues.get(system_id)),
    drainQueues() {
      const out: OutboundDelivery[] = []
      for (const id of [...queues.keys()]) for (let d = take(id); d; d = take(id)) out.push(d)
      return out
    },
    get totalQueued() {
      return total
    },
  }
}
