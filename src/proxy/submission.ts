// One judged submission on its way to the carrier and back: a single submit_sm, or every part of a long
// message. Each part is an UpstreamRequest; when all have an outcome the archive record is written and the
// responses the client still waits for are sent — after the record is durable when the archive is in `ack`
// mode (DESIGN: the proxy takes custody of nothing it has not archived).
import { CommandId, CommandStatus, RegisteredDelivery } from '../smpp/constants.js'
import { readCommandId, readCommandStatus, writeSequence } from '../smpp/header.js'
import { readSubmitSmRespId } from '../smpp/pdu.js'
import { encodeSubmitSmResp } from '../smpp/encode.js'
import type { GuardError } from '../errors.js'
import type { UpstreamRequest } from '../upstream/bind.js'
import type { ClientSession } from '../inbound/session.js'
import type { Message } from '../policy/message.js'
import type { Verdict } from '../policy/verdict.js'
import type { OutboundDelivery } from './deliveries.js'
import type { ClientMessage } from './client-message.js'

const EMPTY = Buffer.alloc(0)

/** One submit_sm while it is judged and forwarded; it travels to the carrier as its own request. */
export class Part implements UpstreamRequest {
  readonly session: ClientSession<OutboundDelivery>
  readonly clientSeq: number
  pdu: Buffer
  /** 1-based segment number; 1 for a single-part message. */
  readonly segment: number
  readonly registered_delivery: number
  readonly received_at: number
  /** The proxy-issued id the client got early (long-message parts acknowledged before the verdict). */
  earlyId: string | null = null
  /** As the carrier wrote it (the client gets exactly this). */
  carrierId: string | null = null
  carrierStatus: number | null = null
  /** The response still owed to the client, sent once the submission is finished. */
  response: Buffer | null = null
  /** The command_status the client got (or gets) for this part. */
  clientStatus: number = CommandStatus.ESME_ROK
  /** Set once judged: the submission this part belongs to. */
  submission: Submission | null = null
  sentPerf = 0
  /**
   * While its long message is held: the fields of the first part to arrive, which stand for the message
   * (also set on the part that completes it, judged at once); the other parts cost no Message of their own.
   */
  fields: ClientMessage | null = null

  constructor(session: ClientSession<OutboundDelivery>, clientSeq: number, pdu: Buffer, segment: number, registered_delivery: number, received_at: number) {
    this.session = session
    this.clientSeq = clientSeq
    this.pdu = pdu
    this.segment = segment
    this.registered_delivery = registered_delivery
    this.received_at = received_at
  }

  /** Wants a receipt for a failure (registered_delivery 1 = always, 2 = on failure; SMPP 3.4 §5.2.17). */
  get wantsFailureReceipt(): boolean {
    const r = this.registered_delivery & RegisteredDelivery.RECEIPT_MASK
    return r === RegisteredDelivery.RECEIPT_ALWAYS || r === RegisteredDelivery.RECEIPT_ON_FAILURE
  }

  /** The id the client holds for this part, if any. */
  get clientId(): string | null {
    return this.earlyId ?? (this.clientStatus === CommandStatus.ESME_ROK ? this.carrierId : null)
  }

  /** Once the submission is finished: keeps the ids and statuses, lets go of the bytes and the submission. */
  release(): void {
    this.pdu = EMPTY
    this.response = null
    this.submission = null
  }

  answer(status: number): void {
    this.clientStatus = status
    this.response = encodeSubmitSmResp(status, this.clientSeq, '')
  }

  onCarrierResponse(resp: Buffer): void {
    const status = readCommandStatus(resp)
    this.carrierStatus = status
    if (readCommandId(resp) === CommandId.generic_nack) {
      // The client asked with submit_sm and must get a submit_sm_resp.
      if (this.earlyId === null) this.answer(status === CommandStatus.ESME_ROK ? CommandStatus.ESME_RSYSERR : status)
    } else {
      if (status === CommandStatus.ESME_ROK) {
        const id = readSubmitSmRespId(resp)
        if (id !== '') this.carrierId = id
      }
      if (this.earlyId === null) {
        // Transparent: the carrier's own bytes (status, message_id, any TLVs) with the client's sequence.
        writeSequence(resp, this.clientSeq)
        this.clientStatus = status
        this.response = resp
      }
    }
    ;(this.submission as Submission).partDone(this)
  }

  onCarrierFailure(err: GuardError): void {
    this.carrierStatus = null
    if (this.earlyId === null) this.answer(err.status)
    else this.clientStatus = err.status
    ;(this.submission as Submission).partDone(this)
  }
}

export interface SubmissionHost {
  /** A part reached the carrier (or failed to). */
  onPartResult(s: Submission, p: Part): void
  /** Every part has an outcome. */
  onFinished(s: Submission): void
}

export class Submission {
  readonly system_id: string
  readonly msg: Message
  readonly verdict: Verdict
  readonly parts: readonly Part[]
  /** Segments of a long message that never arrived (judged incomplete on timeout). */
  readonly missing: number
  readonly host: SubmissionHost
  readonly decided_at: number
  #pending: number

  constructor(system_id: string, msg: Message, verdict: Verdict, parts: readonly Part[], missing: number, host: SubmissionHost, decided_at: number) {
    this.system_id = system_id
    this.msg = msg
    this.verdict = verdict
    this.parts = parts
    this.missing = missing
    this.host = host
    this.decided_at = decided_at
    this.#pending = parts.length
    for (const p of parts) p.submission = this
  }

  /** For a rejected submission every part already has its outcome. */
  partDone(p: Part): void {
    this.host.onPartResult(this, p)
    if (--this.#pending === 0) this.host.onFinished(this)
  }
}
