// deliver_sm from the carrier. A receipt is routed by the carrier message id it names — receipted_message_id
// first, then `id:` in the text (NOTES §3) — to the account that submitted it; where the client was given
// a proxy-issued id, the receipt is rewritten to that id. An MO message is routed by destination address.
// What cannot be routed is logged, counted and acknowledged: a carrier retrying it forever helps no one.
import type { Logger } from 'pino'
import type { AccountConfig } from '../config/schema.js'
import type { Metrics } from '../ops/metrics.js'
import { CommandStatus, EsmClass, MessageState, Tag } from '../smpp/constants.js'
import { readSequence } from '../smpp/header.js'
import { findTlv, readDeliverSm, tlvCString, tlvUint, type SmFields, type Tlv } from '../smpp/pdu.js'
import { cstringTlv, encodeDeliverSm } from '../smpp/encode.js'
import { parseReceipt, replaceReceiptId } from '../smpp/receipt.js'
import { decodeText } from '../smpp/text/index.js'
import type { Accounts } from '../inbound/accounts.js'
import { newRecordId } from '../archive/record.js'
import type { ArchiveRecord } from '../archive/record.js'
import type { IdMap } from './id-map.js'
import { normaliseId } from './message-id.js'
import { OutboundDelivery, type CarrierAck, type DeliveryRouter } from './deliveries.js'
import { compileMoRoutes, type MoRoutes } from './mo-routes.js'

export interface MoEvent {
  readonly system_id: string
  readonly source_addr: string
  readonly destination_addr: string
  readonly text: string
  readonly received_at: number
}

/**
 * Sees every routed MO before it is delivered; recipient protection records opt-outs here. A rejection
 * (e.g. state unavailable) answers the carrier with the error's status so it redelivers later.
 */
export type MoHook = (mo: MoEvent) => unknown

export interface CarrierDeliverDeps {
  readonly log: Logger
  readonly metrics: Metrics
  readonly clock: () => number
  readonly idMap: IdMap
  readonly router: DeliveryRouter
  readonly archive?: { append(r: ArchiveRecord): Promise<void> }
  readonly accounts: () => Accounts
  readonly upstream_alphabet: AccountConfig['default_alphabet']
  readonly onMo?: MoHook
  /**
   * How long a receipt whose id is not mapped yet is held before it counts as unmapped: a fast carrier may
   * send the receipt before its submit_sm_resp has reached us (a race Jasmin loses, #1190).
   */
  readonly unmapped_hold_ms: number
}

export interface CarrierDeliverHandler {
  onDeliver(bind: CarrierAck, pdu: Buffer): void
  /** Retries held receipts; called from the coarse timer. */
  tick(now: number): void
  readonly held: number
}

/** Receipts held at most, waiting for their id to be mapped; beyond it they count as unmapped at once. */
const MAX_HELD = 10_000

interface HeldReceipt {
  readonly bind: CarrierAck
  readonly seq: number
  readonly pdu: Buffer
  readonly carrierId: string
  readonly at: number
}

const STATE_NAMES = new Map<number, string>(Object.entries(MessageState).map(([k, v]) => [v, k]))

export function createCarrierDeliverHandler(deps: CarrierDeliverDeps): CarrierDeliverHandler {
  const { metrics, log, idMap, router } = deps
  const unmapped = metrics.receipts.labels('unmapped')
  const malformed = metrics.malformedPdus.labels('carrier', 'deliver_sm')
  const unroutable = metrics.mo.labels('unroutable')
  let routesFor: Accounts | null = null
  let routes: MoRoutes = () => undefined

  function moRoute(dst: string): string | undefined {
    const accounts = deps.accounts()
    if (accounts !== routesFor) {
      routesFor = accounts
      routes = compileMoRoutes(accounts.list())
    }
    return routes(dst)
  }

  function archive(r: ArchiveRecord): void {
    deps.archive?.append(r).catch((err: unknown) => {
      metrics.archiveWriteErrors.labels('proxy').inc()
      log.error({ err }, 'archive append failed')
    })
  }

  function userText(f: SmFields): Buffer {
    return f.short_message.length > 0 ? f.short_message : (findTlv(f.tlvs, Tag.message_payload) ?? f.short_message)
  }

  let held: HeldReceipt[] = []

  function onReceipt(bind: CarrierAck, seq: number, pdu: Buffer, f: SmFields, now: number, heldSince?: number): void {
    const raw = userText(f)
    // The text is read only when needed: for the id when there is no receipted_message_id TLV, for the
    // archive's state and error, and to rewrite the id (parsing cost 3 µs per receipt).
    const tlvId = tlvCString(f.tlvs, Tag.receipted_message_id)
    const text = tlvId && !deps.archive ? '' : raw.toString('latin1')
    const parsed = text === '' ? undefined : parseReceipt(text)
    const carrierId = tlvId || parsed?.id
    const entry = carrierId ? idMap.get(carrierId, now) : undefined
    if (!entry && carrierId && heldSince === undefined && held.length < MAX_HELD) {
      held.push({ bind, seq, pdu: Buffer.from(pdu), carrierId, at: now })
      return
    }
    if (deps.archive) {
      const stateTlv = tlvUint(f.tlvs, Tag.message_state)
      archive({
        kind: 'receipt',
        id: newRecordId(now),
        at: now,
        message_id: carrierId ? normaliseId(carrierId) : '',
        state: parsed?.stat ?? (stateTlv !== undefined ? (STATE_NAMES.get(stateTlv) ?? String(stateTlv)) : 'UNKNOWN'),
        error: parsed?.err ?? null,
        system_id: entry?.system_id ?? null,
      })
    }
    if (!entry) {
      unmapped.inc()
      log.debug({ message_id: carrierId }, 'receipt unmapped')
      bind.respondDeliver(seq, CommandStatus.ESME_ROK)
      return
    }
    const out = entry.client_id ? rewriteReceipt(f, raw, text || raw.toString('latin1'), entry.client_id) : pdu
    router.offer(new OutboundDelivery(out, entry.system_id, 'receipt', bind, seq))
  }

  function retryHeld(now: number): void {
    if (held.length === 0) return
    const waiting: HeldReceipt[] = []
    for (const h of held) {
      const mapped = idMap.get(h.carrierId, now) !== undefined
      if (!mapped && now - h.at < deps.unmapped_hold_ms) {
        waiting.push(h)
        continue
      }
      const f = readDeliverSm(h.pdu)
      if (f.ok) onReceipt(h.bind, h.seq, h.pdu, f, now, h.at)
    }
    held = waiting
  }

  function onMo(bind: CarrierAck, seq: number, pdu: Buffer, f: SmFields, now: number): void {
    const system_id = moRoute(f.destination_addr)
    const decoded = decodeText(f.data_coding, userText(f), { default_alphabet: deps.upstream_alphabet })
    archive({
      kind: 'mo',
      id: newRecordId(now),
      at: now,
      system_id: system_id ?? null,
      source_addr: f.source_addr,
      destination_addr: f.destination_addr,
      data_coding: f.data_coding,
      text: decoded.text,
      outcome: system_id ? 'routed' : 'unroutable',
    })
    if (!system_id) {
      unroutable.inc()
      log.warn({ destination_addr: f.destination_addr, source_addr: f.source_addr }, 'mo unroutable')
      bind.respondDeliver(seq, CommandStatus.ESME_ROK)
      return
    }
    const d = new OutboundDelivery(pdu, system_id, 'mo', bind, seq)
    if (!deps.onMo) return router.offer(d)
    // The hook may record an opt-out; if it cannot, the carrier is asked to redeliver rather than the
    // person's opt-out being lost. The PDU outlives this chunk while the hook runs.
    d.pdu = Buffer.from(pdu)
    let pending: unknown
    try {
      pending = deps.onMo({ system_id, source_addr: f.source_addr, destination_addr: f.destination_addr, text: decoded.text, received_at: now })
    } catch (err) {
      return moHookFailed(d, err)
    }
    if (pending && typeof (pending as Promise<unknown>).then === 'function') {
      ;(pending as Promise<unknown>)
        .then(
          () => router.offer(d),
          (err: unknown) => moHookFailed(d, err),
        )
        .catch(bug(log))
    } else router.offer(d)
  }

  function moHookFailed(d: OutboundDelivery, err: unknown): void {
    log.error({ err }, 'mo hook failed')
    const status = (err as { status?: unknown }).status
    d.ackCarrier(typeof status === 'number' && status !== CommandStatus.ESME_ROK ? status : CommandStatus.ESME_RMSGQFUL)
  }

  return {
    onDeliver(bind, pdu) {
      const seq = readSequence(pdu)
      const f = readDeliverSm(pdu)
      if (!f.ok) {
        malformed.inc()
        bind.respondDeliver(seq, f.status)
        return
      }
      const now = deps.clock()
      // Any message-type bits (SMSC receipt, SME ack, intermediate notification) mark a report, not an MO.
      if ((f.esm_class & EsmClass.TYPE_MASK) !== 0) onReceipt(bind, seq, pdu, f, now)
      else onMo(bind, seq, pdu, f, now)
    },
    tick: retryHeld,
    get held() {
      return held.length
    },
  }
}

/** The receipt with the carrier's id replaced by the one the client was given, in the text and the TLV. */
function rewriteReceipt(f: SmFields, raw: Buffer, text: string, clientId: string): Buffer {
  const newText = replaceReceiptId(text, clientId)
  const body = newText === undefined ? raw : Buffer.from(newText, 'latin1')
  const inPayload = f.short_message.length === 0 && raw.length > 0
  const tlvs: Tlv[] = []
  for (const t of f.tlvs) {
    if (t.tag === Tag.receipted_message_id) tlvs.push(cstringTlv(Tag.receipted_message_id, clientId))
    else if (t.tag === Tag.message_payload && inPayload) tlvs.push({ tag: t.tag, value: body })
    else tlvs.push(t)
  }
  return encodeDeliverSm(0, { ...f, short_message: inPayload ? f.short_message : body, tlvs })
}

/** Last resort for work resumed from a promise: a bug is logged, never an unhandled rejection that ends the process. */
export function bug(log: Logger): (err: unknown) => void {
  return (err) => log.error({ err }, 'internal error')
}
