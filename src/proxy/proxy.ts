// The glue between the two sides (STYLE rule 1: only proxy/ knows both). Client sessions hand it binds and
// submits; it decodes, reassembles long messages, asks the account's compiled pipeline, archives the
// verdict, forwards what is allowed as the client's own bytes and routes the carrier's receipts and MO back.
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import type { AccountConfig, ReassemblyConfig, ReceiptsConfig } from '../config/schema.js'
import type { Metrics } from '../ops/metrics.js'
import type { CoarseTimer } from '../util/coarse-timer.js'
import { CommandStatus, EsmClass, Tag } from '../smpp/constants.js'
import { VendorStatus, statusName } from '../smpp/status.js'
import { readSequence } from '../smpp/header.js'
import { findTlv, readSubmitSm, type SmFields } from '../smpp/pdu.js'
import { encodeSubmitSmResp } from '../smpp/encode.js'
import type { DecodedText } from '../smpp/text/index.js'
import { parseUdh, readSarConcat, type ConcatInfo } from '../smpp/udh.js'
import type { ClientSession, SessionHandler } from '../inbound/session.js'
import type { SessionRegistry } from '../inbound/registry.js'
import type { Accounts } from '../inbound/accounts.js'
import type { Upstream } from '../upstream/pool.js'
import type { Message } from '../policy/message.js'
import type { Verdict } from '../policy/verdict.js'
import type { Pipeline } from '../policy/pipeline.js'
import type { AccountPolicy } from '../policy/compile.js'
import type { ArchiveRecord, MessageRecord } from '../archive/record.js'
import { newRecordId } from '../archive/record.js'
import { Reassembler, decodeAssembled, type AssembledMessage } from './reassembly.js'
import { createIdMap, type IdMap, type IdMapEntry } from './id-map.js'
import { normaliseId } from './message-id.js'
import { createDeliveryRouter, OutboundDelivery, type DeliveryRouter } from './deliveries.js'
import { Part, Submission, type SubmissionHost } from './submission.js'
import { ClientMessage } from './client-message.js'
import { encodeRejectedReceipt } from './synth-receipt.js'
import { Tally } from './tally.js'
import { loadDeliveries, saveDeliveries } from './receipt-store.js'
import { bug, createCarrierDeliverHandler, type MoHook } from './carrier-deliver.js'
import type { CarrierAck } from './deliveries.js'

export interface ArchiveSink {
  /** False while the spool is full or closed: the proxy then takes custody of nothing new. */
  readonly accepting: boolean
  /** Resolves once the record is durable (archive `durability: ack`) or accepted (`async`). */
  append(record: ArchiveRecord): Promise<void>
}

export interface ProxyConfig {
  /** `queue_dir` already resolved against the config file's directory ('' keeps queues in memory only). */
  readonly receipts: ReceiptsConfig
  readonly reassembly: ReassemblyConfig
  /** What data_coding 0 means in what the carrier sends (receipts, MO). */
  readonly upstream_alphabet: AccountConfig['default_alphabet']
  /** A receipt naming an id not mapped yet waits this long for its submit_sm_resp (upstream.response_timeout_ms). */
  readonly unmapped_hold_ms: number
}

export interface ProxyDeps {
  readonly log: Logger
  readonly metrics: Metrics
  readonly timer: CoarseTimer
  readonly clock?: () => number
  readonly upstream: Upstream
  readonly registry: SessionRegistry<OutboundDelivery>
  /** Read per bind / per message, so a reload that swaps them takes effect for new work. */
  readonly accounts: () => Accounts
  readonly pipeline?: Pipeline
  readonly policies?: () => ReadonlyMap<string, AccountPolicy>
  readonly archive?: ArchiveSink
  /** MO messages after routing (opt-out replies are handled here by recipient protection). */
  readonly onMo?: MoHook
}

export interface Proxy {
  readonly handler: SessionHandler<OutboundDelivery>
  /** Wire `upstream` deliver_sm here. */
  onCarrierDeliver(bind: CarrierAck, pdu: Buffer): void
  /** Wire the upstream's busy signal here: client sessions stop reading while it lasts. */
  onUpstreamBusy(busy: boolean): void
  readonly idMap: IdMap
  readonly router: DeliveryRouter
  /** Adds the counts tallied since the last coarse tick to the metrics (before a scrape). */
  flushMetrics(): void
  /**
   * Judges what is still held for reassembly (incomplete) so nothing is left unanswered, and writes the
   * queued receipts and MO to `receipts.queue_dir`. Call after the client sessions have closed.
   */
  close(): void
}

const NO_SHADOW: readonly never[] = Object.freeze([])
const ALLOW: Verdict = Object.freeze({ action: 'allow', shadow: NO_SHADOW })
const ACCOUNT_REMOVED: Verdict = Object.freeze({
  action: 'reject',
  rule: 'proxy.account_removed',
  category: 'account',
  status: VendorStatus.ACCOUNT_SUSPENDED,
  shadow: NO_SHADOW,
})

const POLICY_ERROR: Verdict = Object.freeze({
  action: 'reject',
  rule: 'proxy.policy_error',
  category: 'system',
  status: CommandStatus.ESME_RSYSERR,
  shadow: NO_SHADOW,
})

// The archive cannot take the record (spool full, disk failing): forwarding would hand the carrier a message
// the platform could not produce on a lawful query, so the client is told to retry later instead.
const ARCHIVE_UNAVAILABLE: Verdict = Object.freeze({
  action: 'reject',
  rule: 'proxy.archive_unavailable',
  category: 'system',
  status: CommandStatus.ESME_RMSGQFUL,
  shadow: NO_SHADOW,
})

export function createProxy(cfg: ProxyConfig, deps: ProxyDeps): Proxy {
  const log = deps.log.child({ component: 'proxy' })
  const clock = deps.clock ?? Date.now
  const { metrics, upstream, registry } = deps
  const idMap = createIdMap(cfg.receipts)
  const reassembler = new Reassembler<Part>(cfg.reassembly)
  const issuerPrefix = randomBytes(4).toString('hex')
  let issued = 0
  const internalError = bug(log)
  const tally = new Tally()
  const router = createDeliveryRouter(cfg.receipts, { registry, log, metrics, tally })
  const responseCounts = new Map<number, { n: number }>()
  const okCount = tally.slot(statusName(CommandStatus.ESME_ROK), () => metrics.responses.labels(statusName(CommandStatus.ESME_ROK)))

  function countResponse(status: number): void {
    if (status === CommandStatus.ESME_ROK) {
      okCount.n++
      return
    }
    let c = responseCounts.get(status)
    if (c === undefined) {
      const key = statusName(status)
      responseCounts.set(status, (c = tally.slot(key, () => metrics.responses.labels(key))))
    }
    c.n++
  }

  /** Proxy-issued message ids: 16 hex digits, unique per process start, never reused. */
  function issueId(): string {
    issued = (issued + 1) >>> 0
    return issuerPrefix + issued.toString(16).padStart(8, '0')
  }

  function respond(session: ClientSession<OutboundDelivery>, resp: Buffer, status: number): void {
    countResponse(status)
    session.completeSubmit(resp)
  }

  // --- carrier results and finishing ----------------------------------------------------------------

  // One shared id-map value per account: most entries differ only by key.
  const accountEntries = new Map<string, IdMapEntry>()
  function accountEntry(system_id: string): IdMapEntry {
    let e = accountEntries.get(system_id)
    if (!e) accountEntries.set(system_id, (e = Object.freeze({ system_id })))
    return e
  }

  const host: SubmissionHost = {
    onPartResult(s, p) {
      if (p.carrierId !== null && p.carrierStatus === CommandStatus.ESME_ROK) {
        // The decision time stands in for now: milliseconds apart, against a ttl of hours.
        idMap.set(p.carrierId, p.earlyId ? { system_id: s.system_id, client_id: p.earlyId } : accountEntry(s.system_id), s.decided_at)
      } else if (p.earlyId !== null && s.verdict.action === 'allow' && p.wantsFailureReceipt) {
        // Acknowledged early, then refused by the carrier: the client hears it by receipt.
        sendRejectedReceipt(s, p, p.clientStatus === CommandStatus.ESME_ROK ? CommandStatus.ESME_RSYSERR : p.clientStatus)
      }
    },
    onFinished(s) {
      // A message refused for retry was not taken: its record would spend the spool's last tenth, kept for
      // the records of messages the carrier already has.
      if (!deps.archive || s.verdict === ARCHIVE_UNAVAILABLE) return flushResponses(s)
      deps.archive
        .append(messageRecord(s))
        .then(
          () => flushResponses(s),
          (err: unknown) => {
            metrics.archiveWriteErrors.labels('proxy').inc()
            log.error({ err }, 'archive append failed')
            flushResponses(s)
          },
        )
        .catch(internalError)
    },
  }

  function flushResponses(s: Submission): void {
    for (const p of s.parts) {
      const r = p.response
      if (r !== null) respond(p.session, r, p.clientStatus)
      // The reassembler keeps a completed long message's parts for a while (a late retry gets the same id):
      // a finished part then holds only its ids and statuses, not its bytes, submission and siblings.
      p.release()
    }
  }

  function sendRejectedReceipt(s: Submission, p: Part, status: number): void {
    const m = s.msg
    const pdu = encodeRejectedReceipt(
      {
        message_id: p.earlyId as string,
        source_addr_ton: m.source_addr_ton,
        source_addr_npi: m.source_addr_npi,
        source_addr: m.source_addr,
        dest_addr_ton: m.dest_addr_ton,
        dest_addr_npi: m.dest_addr_npi,
        destination_addr: m.destination_addr,
        received_at: p.received_at,
      },
      status,
      clock(),
    )
    router.offer(new OutboundDelivery(pdu, s.system_id, 'receipt', null, 0))
  }

  function messageRecord(s: Submission): MessageRecord {
    const m = s.msg
    const v = s.verdict
    const long = s.parts.length > 1 || m.parts > 1
    let carrier_status: number | null = null
    const message_ids: string[] = []
    const carrier_ids: string[] = []
    for (const p of s.parts) {
      if (p.carrierStatus !== null && (carrier_status === null || carrier_status === CommandStatus.ESME_ROK)) carrier_status = p.carrierStatus
      const id = p.clientId
      if (id !== null) message_ids.push(id)
      if (p.carrierId !== null) carrier_ids.push(normaliseId(p.carrierId))
    }
    const last = s.parts[s.parts.length - 1]
    return {
      kind: 'message',
      id: newRecordId(s.decided_at),
      received_at: m.received_at,
      decided_at: s.decided_at,
      system_id: m.system_id,
      session_id: m.session_id,
      client_ip: m.client_ip,
      source_addr: m.source_addr,
      destination_addr: m.destination_addr,
      data_coding: m.data_coding,
      text: m.text,
      encoding: m.encoding,
      parts: m.parts,
      segments: long
        ? s.parts.map((p) => ({
            part: p.segment,
            received_at: p.received_at,
            message_id: p.clientId,
            carrier_message_id: p.carrierId === null ? null : normaliseId(p.carrierId),
          }))
        : [],
      verdict: v.action === 'reject' ? 'reject' : v.shadow.length > 0 ? 'monitor' : 'allow',
      rule: v.action === 'reject' ? v.rule : (v.shadow[0]?.rule ?? null),
      category: v.action === 'reject' ? v.category : (v.shadow[0]?.category ?? null),
      monitor_hits: v.shadow.map((h) => ({ rule: h.rule, category: h.category })),
      command_status: last ? last.clientStatus : CommandStatus.ESME_ROK,
      message_ids,
      carrier_message_ids: carrier_ids,
      carrier_status,
    }
  }

  // --- judging -------------------------------------------------------------------------------------

  /** `now` is the time the message is judged at (epoch ms); `t0` is performance.now() when it was read. */
  function judge(msg: Message, parts: Part[], missing: number, now: number, t0: number): void {
    if (!deps.pipeline || !deps.policies) return decide(msg, parts, missing, ALLOW, now, t0, 0)
    const policy = deps.policies().get(msg.system_id)
    // Bound before a reload removed its account: nothing may pass unjudged.
    if (!policy) return decide(msg, parts, missing, ACCOUNT_REMOVED, now, t0, 0)
    const p0 = performance.now()
    let v: Verdict | Promise<Verdict>
    try {
      v = deps.pipeline.judge(msg, policy, msg.received_at)
    } catch (err) {
      return judgeFailed(msg, parts, err)
    }
    if (typeof (v as Promise<Verdict>).then === 'function') {
      ;(v as Promise<Verdict>)
        .then(
          (verdict) => decide(msg, parts, missing, verdict, clock(), t0, p0),
          (err: unknown) => judgeFailed(msg, parts, err),
        )
        .catch(internalError)
    } else decide(msg, parts, missing, v as Verdict, now, t0, p0)
  }

  function judgeFailed(msg: Message, parts: Part[], err: unknown): void {
    log.error({ err, system_id: msg.system_id }, 'policy failed')
    // A broken stage must not let a message through unjudged: the client may retry.
    decide(msg, parts, 0, POLICY_ERROR, clock(), 0, 0)
  }

  /**
   * `now`: the decision time (epoch ms). `t0`: performance.now() when the message was read (0: not timed);
   * `p0`: when the pipeline started judging it (0: no pipeline ran). One clock read serves both histograms.
   */
  function decide(msg: Message, parts: Part[], missing: number, verdict: Verdict, now: number, t0: number, p0: number): void {
    const t = t0 > 0 || p0 > 0 ? performance.now() : 0
    if (p0 > 0) metrics.policyLatency.observe((t - p0) / 1000)
    // Rejections are archived too: one whose record cannot be kept is answered like an allowed message.
    if (deps.archive && !deps.archive.accepting) verdict = ARCHIVE_UNAVAILABLE
    const s = new Submission(msg.system_id, msg, verdict, parts, missing, host, now)
    if (verdict.action === 'reject') {
      for (const p of parts) {
        if (p.earlyId === null) p.answer(verdict.status)
        else {
          p.clientStatus = verdict.status
          if (p.wantsFailureReceipt) sendRejectedReceipt(s, p, verdict.status)
        }
      }
      for (const p of parts) s.partDone(p)
      return
    }
    for (const p of parts) upstream.submit(p)
    if (t0 > 0) metrics.proxyLatency.observe((t - t0) / 1000)
  }

  // --- long messages -------------------------------------------------------------------------------

  function onPart(session: ClientSession<OutboundDelivery>, pdu: Buffer, seq: number, f: SmFields, userData: Buffer, concat: ConcatInfo, now: number): void {
    const account = session.account as AccountConfig
    // Its own block rather than a slice of Buffer's shared 8 KB pool: a part held for the reassembly timeout
    // would pin the whole slab and every short-lived buffer in it.
    const copy = Buffer.allocUnsafeSlow(pdu.length)
    pdu.copy(copy)
    const part = new Part(session, seq, copy, concat.seq, f.registered_delivery, now)
    const r = reassembler.add(
      {
        system_id: account.system_id,
        source_addr: f.source_addr,
        destination_addr: f.destination_addr,
        concat,
        data_coding: f.data_coding,
        user_data: userData,
        held_bytes: pdu.length,
        handle: part,
      },
      now,
    )
    if (r.status === 'complete' || (r.status === 'held' && r.received === 1)) {
      part.fields = new ClientMessage(session, f, concat.total, now, EMPTY_TEXT, null, account)
    }
    switch (r.status) {
      case 'held':
        if (cfg.reassembly.early_ack) {
          part.earlyId = issueId()
          respond(session, encodeSubmitSmResp(CommandStatus.ESME_ROK, seq, part.earlyId), CommandStatus.ESME_ROK)
        }
        if (r.superseded) judgeLong(r.superseded)
        break
      case 'complete':
        metrics.reassemblyOutcomes.labels('complete').inc()
        judgeLong(r.message)
        if (r.superseded) judgeLong(r.superseded)
        break
      case 'duplicate': {
        metrics.reassemblyOutcomes.labels('duplicate').inc()
        // A client retry of a part we hold: it gets the id it was (or will be) given, nothing is sent twice.
        const id = r.original.clientId
        if (id !== null) respond(session, encodeSubmitSmResp(CommandStatus.ESME_ROK, seq, id), CommandStatus.ESME_ROK)
        else respond(session, encodeSubmitSmResp(CommandStatus.ESME_RMSGQFUL, seq, ''), CommandStatus.ESME_RMSGQFUL)
        break
      }
      case 'refused':
        metrics.reassemblyOutcomes.labels('overflow').inc()
        respond(session, encodeSubmitSmResp(VendorStatus.REASSEMBLY_FAILED, seq, ''), VendorStatus.REASSEMBLY_FAILED)
        if (r.dropped) judgeLong(r.dropped)
        break
    }
    updateReassemblyGauges()
  }

  function judgeLong(m: AssembledMessage<Part>): void {
    if (m.parts.length === 0) return
    let base: ClientMessage | undefined
    for (let i = 0; i < m.parts.length && base === undefined; i++) base = m.parts[i].handle.fields ?? undefined
    if (base === undefined) return internalError(new Error('long message without the fields of its first part'))
    const account = deps.accounts().get(m.system_id)
    const msg = base.withText(decodeAssembled(m, account ?? { default_alphabet: 'gsm' }), m.first_received_at)
    const parts = m.parts.map((h) => h.handle)
    for (const p of parts) p.fields = null
    judge(msg, parts, m.missing.length, clock(), performance.now())
  }

  function updateReassemblyGauges(): void {
    const st = reassembler.stats()
    metrics.reassemblyPending.set(st.messages)
    metrics.reassemblyBytes.set(st.bytes)
  }

  // --- submit_sm -----------------------------------------------------------------------------------

  function onSubmit(session: ClientSession<OutboundDelivery>, pdu: Buffer, now: number, t0: number): void {
    const seq = readSequence(pdu)
    const f = readSubmitSm(pdu)
    if (!f.ok) return respond(session, encodeSubmitSmResp(f.status, seq, ''), f.status)
    let userData = f.short_message
    if (userData.length === 0) userData = findTlv(f.tlvs, Tag.message_payload) ?? userData
    let concat: ConcatInfo | undefined
    if ((f.esm_class & EsmClass.UDHI) !== 0) {
      const udh = parseUdh(userData)
      if (!udh.ok) {
        const st = udh.reason === 'bad_concat' ? VendorStatus.REASSEMBLY_FAILED : CommandStatus.ESME_RINVESMCLASS
        return respond(session, encodeSubmitSmResp(st, seq, ''), st)
      }
      userData = userData.subarray(udh.offset)
      concat = udh.concat
    } else if (f.tlvs.length > 0) {
      const sar = readSarConcat(findTlv(f.tlvs, Tag.sar_msg_ref_num), findTlv(f.tlvs, Tag.sar_total_segments), findTlv(f.tlvs, Tag.sar_segment_seqnum))
      if (!sar.ok) return respond(session, encodeSubmitSmResp(VendorStatus.REASSEMBLY_FAILED, seq, ''), VendorStatus.REASSEMBLY_FAILED)
      concat = sar.concat
    }
    if (concat && concat.total > 1) return onPart(session, pdu, seq, f, userData, concat, now)
    const part = new Part(session, seq, pdu, 1, f.registered_delivery, now)
    judge(new ClientMessage(session, f, 1, now, null, userData, session.account as AccountConfig), [part], 0, now, t0)
  }

  // --- receipts and MO -----------------------------------------------------------------------------

  const carrierDeliver = createCarrierDeliverHandler({
    log,
    metrics,
    clock,
    idMap,
    router,
    archive: deps.archive,
    accounts: deps.accounts,
    upstream_alphabet: cfg.upstream_alphabet,
    onMo: deps.onMo,
    unmapped_hold_ms: cfg.unmapped_hold_ms,
  })

  // --- sessions ------------------------------------------------------------------------------------

  const handler: SessionHandler<OutboundDelivery> = {
    authenticate(session, bind) {
      return deps.accounts().authenticate(bind.system_id, bind.password, session.remoteAddress, (id) => registry.count(id))
    },
    onBound(session) {
      registry.add(session)
      if (upstreamBusy) session.holdInput(true)
      router.onBound(session)
    },
    onSubmit,
    onDeliveryDone(session, d, status) {
      router.onDone(session, d, status)
    },
    onClosed(session, _reason, undelivered) {
      registry.remove(session)
      if (undelivered.length > 0) router.onClosed(undelivered)
    },
  }

  if (cfg.receipts.queue_dir) {
    const stored = loadDeliveries(cfg.receipts.queue_dir)
    for (const d of stored) router.offer(new OutboundDelivery(d.pdu, d.system_id, d.kind, null, 0))
    if (stored.length > 0) log.info({ count: stored.length }, 'queued deliveries restored')
  }

  const untick = deps.timer.add((now) => {
    tally.flush()
    let inFlight = 0
    for (const s of registry.all()) inFlight += s.inFlight
    metrics.clientInFlight.set(inFlight)
    metrics.receiptsQueued.set(router.totalQueued)
    idMap.expire(now)
    carrierDeliver.tick(now)
    metrics.receiptMapEntries.set(idMap.size)
    const expired = reassembler.tick(now)
    if (expired.length > 0) {
      metrics.reassemblyOutcomes.labels('timeout').inc(expired.length)
      for (const m of expired) judgeLong(m)
      updateReassemblyGauges()
    }
  })

  let upstreamBusy = false

  return {
    handler,
    onCarrierDeliver: (bind, pdu) => carrierDeliver.onDeliver(bind, pdu),
    onUpstreamBusy(busy) {
      upstreamBusy = busy
      for (const s of registry.all()) s.holdInput(busy)
    },
    idMap,
    router,
    flushMetrics: () => tally.flush(),
    close() {
      untick()
      for (const m of reassembler.drain()) judgeLong(m)
      updateReassemblyGauges()
      tally.flush()
      if (cfg.receipts.queue_dir) {
        const list = router.drainQueues()
        saveDeliveries(cfg.receipts.queue_dir, list)
        if (list.length > 0) log.info({ count: list.length }, 'queued deliveries saved')
      }
    },
  }
}

const EMPTY_TEXT: DecodedText = Object.freeze({ text: '', encoding: 'unknown', decode_error: false })
