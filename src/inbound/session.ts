// One ESME connection. It owns the protocol chores (STYLE rule 10): bind, enquire_link, unbind, generic_nack,
// the bind timeout and the dead-peer keepalive, its submit window and the deliver_sm it has in flight. What a
// submit_sm or a bind means is the handler's business (proxy/), so this file knows no carrier and no policy.
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import { CommandId, CommandStatus } from '../smpp/constants.js'
import { Framer, type FrameSink, type OversizedHeader } from '../smpp/framer.js'
import { nextSequence, readCommandId, readCommandStatus, readSequence, writeSequence } from '../smpp/header.js'
import { readBind, type BindFields } from '../smpp/pdu.js'
import {
  encodeBindResp,
  encodeEnquireLink,
  encodeEnquireLinkResp,
  encodeGenericNack,
  encodeResponse,
  encodeUnbind,
  encodeUnbindResp,
} from '../smpp/encode.js'
import { Heartbeat } from '../smpp/heartbeat.js'
import type { CoarseTimer } from '../util/coarse-timer.js'
import { WriteBatch } from '../util/write-batch.js'
import type { Metrics } from '../ops/metrics.js'
import type { AccountConfig } from '../config/schema.js'

export type BindType = 'transmitter' | 'receiver' | 'transceiver'
export type SessionStatus = 'open' | 'binding' | 'bound' | 'closed'
export type CloseReason =
  | 'unbind'
  | 'peer_closed'
  | 'dead_peer'
  | 'malformed_stream'
  | 'auth_failed'
  | 'bind_timeout'
  | 'shutdown'
  | 'socket_error'
  | 'internal_error'
  | 'pdu_timeout'
  | 'write_blocked'
  | 'write_buffer'

export type AuthResult =
  | { readonly ok: true; readonly account: AccountConfig }
  | { readonly ok: false; readonly status: number; readonly reason: string }

/** A deliver_sm the proxy hands to a client; the session tells the handler how the client answered. */
export interface Delivery {
  /** The PDU to send; its sequence_number is overwritten with the session's own. */
  readonly pdu: Buffer
}

export interface SessionHandler<D extends Delivery = Delivery> {
  authenticate(session: ClientSession<D>, bind: BindFields, bindType: BindType): Promise<AuthResult>
  /** The bind succeeded and the session is registered by the caller of this hook. */
  onBound(session: ClientSession<D>): void
  /**
   * A submit_sm on a bound transmitter/transceiver. The handler must end it with `session.completeSubmit`.
   * `receivedAt` (epoch ms, the session's clock) and `receivedPerf` (performance.now()) are read once per
   * socket read, shared by every PDU of that chunk: two clock reads per message cost about 0.1 µs.
   */
  onSubmit(session: ClientSession<D>, pdu: Buffer, receivedAt: number, receivedPerf: number): void
  /** The client answered (or failed to answer: status undefined) a deliver_sm. */
  onDeliveryDone(session: ClientSession<D>, delivery: D, status: number | undefined): void
  /** Called once, after the socket closed; `undelivered` are deliver_sm the client never answered. */
  onClosed(session: ClientSession<D>, reason: CloseReason, undelivered: D[]): void
}

export interface SessionOptions {
  readonly window: number
  readonly enquire_link_ms: number
  readonly bind_timeout_ms: number
  /** A deliver_sm unanswered for this long is taken back and offered again. */
  readonly deliver_timeout_ms: number
  /** Bounded wait for in-flight submits, then for unbind_resp, when the proxy closes the session. */
  readonly drain_timeout_ms: number
  readonly unbind_timeout_ms: number
  /** A PDU whose first bytes arrived must be whole within this time while we are reading. */
  readonly pdu_timeout_ms: number
  /** Output the socket has not taken for this long means a client that does not read: dropped. */
  readonly write_blocked_timeout_ms: number
  /** Unwritten output above this drops the client at once. */
  readonly max_write_buffer_bytes: number
}

export interface SessionDeps {
  readonly log: Logger
  /** The bound session's logger (`log.debug_accounts` lifts one account to debug); a plain child otherwise. */
  readonly accountLog?: (system_id: string, bindings: Record<string, unknown>, parent: Logger) => Logger
  readonly metrics: Metrics
  readonly timer: CoarseTimer
  readonly clock?: () => number
}

const BIND_TYPES = new Map<number, BindType>([
  [CommandId.bind_transmitter, 'transmitter'],
  [CommandId.bind_receiver, 'receiver'],
  [CommandId.bind_transceiver, 'transceiver'],
])

/** Requests we do not serve: answered with their own response id so the client can match it. */
const UNSUPPORTED = new Set<number>([
  CommandId.query_sm,
  CommandId.cancel_sm,
  CommandId.replace_sm,
  CommandId.submit_multi,
  CommandId.data_sm,
])

let nextSid = 1

interface PendingDelivery<D> {
  readonly delivery: D
  readonly sentAt: number
}

export class ClientSession<D extends Delivery = Delivery> implements FrameSink {
  readonly sid: string
  readonly peer: string
  readonly remoteAddress: string
  #status: SessionStatus = 'open'
  #bindType: BindType | null = null
  #account: AccountConfig | null = null
  #log: Logger
  readonly #socket: Socket
  readonly #out: WriteBatch
  readonly #handler: SessionHandler<D>
  readonly #opts: SessionOptions
  readonly #deps: SessionDeps
  readonly #clock: () => number
  readonly #framer: Framer
  readonly #heartbeat: Heartbeat
  readonly #openedAt: number
  readonly #untick: () => void
  #window: number
  #inFlight = 0
  #seq = 0
  #writeBlocked = false
  #writeBlockedSince = 0
  /** Frames seen so far: tells a PDU left incomplete by this chunk from one still incomplete since an earlier one. */
  #frames = 0
  /** When the chunk being framed was read: session clock and performance.now(). */
  #readAt = 0
  #readPerf = 0
  /** When the PDU the framer holds in part started arriving (0: none held). */
  #partialSince = 0
  #paused = false
  #held = false
  #closing = false
  #unbindSentAt = 0
  /**
   * The client's unbind, answered once its in-flight submits are (SMPP 3.4 §4.2 lets no outstanding
   * response drop silently): its sequence number and arrival, -1 while none is pending.
   */
  #peerUnbindSeq = -1
  #peerUnbindAt = 0
  /** The connection is ending (an unbind, or #terminate): nothing more is read from it. */
  #ending = false
  #closeReason: CloseReason | null = null
  #firstError: Error | null = null
  readonly #deliveries = new Map<number, PendingDelivery<D>>()
  #closed: Promise<void>
  #resolveClosed!: () => void
  #drainResolve: (() => void) | null = null

  constructor(socket: Socket, handler: SessionHandler<D>, opts: SessionOptions, deps: SessionDeps) {
    this.sid = (nextSid++).toString(36)
    this.remoteAddress = socket.remoteAddress ?? ''
    this.peer = `${this.remoteAddress}:${socket.remotePort ?? 0}`
    this.#socket = socket
    this.#out = new WriteBatch(socket, () => this.#onWriteFull())
    this.#handler = handler
    this.#opts = opts
    this.#deps = deps
    this.#clock = deps.clock ?? Date.now
    this.#window = opts.window
    this.#log = deps.log.child({ sid: this.sid, peer: this.peer })
    this.#framer = new Framer(this)
    this.#openedAt = this.#clock()
    this.#heartbeat = new Heartbeat(
      { sendEnquireLink: () => this.#write(encodeEnquireLink(this.#nextSeq())), onDead: () => this.#terminate('dead_peer') },
      opts.enquire_link_ms,
      this.#openedAt,
    )
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve))
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('drain', () => this.#onDrain())
    socket.on('error', (err) => {
      this.#firstError ??= err
    })
    socket.on('close', () => this.#onClose())
    this.#untick = deps.timer.add((now) => this.#tick(now))
  }

  get status(): SessionStatus {
    return this.#status
  }
  get bindType(): BindType | null {
    return this.#bindType
  }
  get account(): AccountConfig | null {
    return this.#account
  }
  get system_id(): string {
    return this.#account?.system_id ?? ''
  }
  get inFlight(): number {
    return this.#inFlight
  }
  get log(): Logger {
    return this.#log
  }
  /** Settles once the socket has closed and the handler has been told. */
  get closed(): Promise<void> {
    return this.#closed
  }
  /** Bound as receiver or transceiver and not closing: may get deliver_sm (never a transmitter, NOTES §3). */
  get canReceive(): boolean {
    return this.#status === 'bound' && !this.#closing && !this.#ending && this.#bindType !== 'transmitter'
  }
  /** Room for one more deliver_sm in the client's window. */
  get canDeliver(): boolean {
    return this.canReceive && this.#deliveries.size < this.#window && !this.#writeBlocked
  }

  // --- input ---------------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#ending) return
    const now = this.#clock()
    this.#readAt = now
    this.#readPerf = performance.now()
    this.#heartbeat.onTraffic(now)
    const frames = this.#frames
    try {
      this.#framer.push(chunk)
      if (this.#framer.buffered === 0) this.#partialSince = 0
      else if (this.#partialSince === 0 || this.#frames !== frames) this.#partialSince = now
    } catch (err) {
      // A bug met by one client's bytes must cost that connection, never the process.
      this.#deps.metrics.malformedPdus.labels('client', 'internal_error').inc()
      this.#log.error({ err }, 'session failed')
      this.#firstError ??= err as Error
      this.#terminate('internal_error')
    }
  }

  onFrame(pdu: Buffer): void {
    // What a client pipelines behind its unbind (or after we ended the connection) is not served.
    if (this.#ending) return
    this.#frames++
    const id = readCommandId(pdu)
    const seq = readSequence(pdu)
    switch (id) {
      case CommandId.submit_sm:
        return this.#onSubmit(pdu, seq)
      case CommandId.deliver_sm_resp:
        return this.#onDeliverResp(seq, readCommandStatus(pdu))
      case CommandId.enquire_link:
        return this.#write(encodeEnquireLinkResp(seq))
      case CommandId.enquire_link_resp:
        return this.#heartbeat.onEnquireLinkResp(this.#clock())
      case CommandId.bind_transmitter:
      case CommandId.bind_receiver:
      case CommandId.bind_transceiver:
        return this.#onBind(pdu, id, seq)
      case CommandId.unbind:
        return this.#onPeerUnbind(seq)
      case CommandId.unbind_resp:
        if (this.#unbindSentAt > 0) this.#terminate('shutdown')
        return
      case CommandId.generic_nack:
        // A client refusing one of our deliver_sm answers with generic_nack carrying its sequence number.
        if (this.#deliveries.has(seq)) this.#onDeliverResp(seq, readCommandStatus(pdu))
        return
      case CommandId.deliver_sm:
        // Known, but only the SMSC side may send it: its own _resp lets the client match the refusal.
        return this.#write(encodeResponse(id, CommandStatus.ESME_RINVBNDSTS, seq))
      default:
        if (UNSUPPORTED.has(id)) return this.#write(encodeResponse(id, CommandStatus.ESME_RINVCMDID, seq))
        // Stray responses to requests we never sent are dropped; unknown requests get generic_nack.
        if ((id & 0x80000000) !== 0) return
        this.#deps.metrics.malformedPdus.labels('client', 'unknown_command').inc()
        return this.#write(encodeGenericNack(CommandStatus.ESME_RINVCMDID, seq))
    }
  }

  onOversized(h: OversizedHeader): void {
    this.#deps.metrics.malformedPdus.labels('client', 'oversized').inc()
    this.#log.debug({ command_length: h.command_length }, 'pdu oversized')
    this.#write(encodeGenericNack(CommandStatus.ESME_RINVCMDLEN, h.sequence_number))
  }

  onMalformed(reason: 'length_too_short'): void {
    this.#deps.metrics.malformedPdus.labels('client', reason).inc()
    this.#log.warn({ reason }, 'stream malformed')
    this.#write(encodeGenericNack(CommandStatus.ESME_RINVCMDLEN, 0))
    this.#terminate('malformed_stream')
  }

  #onBind(pdu: Buffer, id: number, seq: number): void {
    if (this.#status !== 'open') {
      this.#write(encodeBindResp(id, CommandStatus.ESME_RALYBND, seq, ''))
      return
    }
    const bindType = BIND_TYPES.get(id) as BindType
    const fields = readBind(pdu)
    if (!fields.ok) {
      this.#refuseBind(id, seq, fields.status, 'malformed')
      return
    }
    this.#status = 'binding'
    // scrypt runs off-thread; reading waits so nothing overtakes the bind.
    this.#pause()
    this.#handler
      .authenticate(this, fields, bindType)
      .then(
        (res) => this.#bindDone(res, id, seq, bindType),
        (err: unknown) => {
          this.#log.error({ err }, 'bind check failed')
          this.#refuseBind(id, seq, CommandStatus.ESME_RBINDFAIL, 'error')
        },
      )
      .catch((err: unknown) => {
        this.#log.error({ err }, 'session failed')
        this.#terminate('internal_error')
      })
  }

  #bindDone(res: AuthResult, id: number, seq: number, bindType: BindType): void {
    if (this.#status !== 'binding') return
    if (!res.ok) return this.#refuseBind(id, seq, res.status, res.reason)
    this.#status = 'bound'
    this.#bindType = bindType
    this.#account = res.account
    this.#window = res.account.window ?? this.#opts.window
    const bindings = { system_id: res.account.system_id, bind_type: bindType }
    this.#log = this.#deps.accountLog ? this.#deps.accountLog(res.account.system_id, bindings, this.#log) : this.#log.child(bindings)
    this.#write(encodeBindResp(id, CommandStatus.ESME_ROK, seq, res.account.system_id))
    this.#deps.metrics.clientSessions.labels(bindType).inc()
    this.#log.info('bind accepted')
    this.#handler.onBound(this)
    this.#resume()
  }

  #refuseBind(id: number, seq: number, status: number, reason: string): void {
    this.#deps.metrics.clientBindFailures.labels(reason).inc()
    this.#log.info({ reason, status }, 'bind refused')
    this.#write(encodeBindResp(id, status, seq, ''))
    // SMPP 3.4 leaves the connection open after a failed bind; we close it so a guessing client pays a
    // reconnect per attempt.
    this.#terminate('auth_failed')
  }

  #onSubmit(pdu: Buffer, seq: number): void {
    if (this.#status !== 'bound' || this.#bindType === 'receiver') {
      this.#write(encodeResponse(CommandId.submit_sm, CommandStatus.ESME_RINVBNDSTS, seq))
      return
    }
    if (this.#closing) {
      // fastify's closing flag: new work is answered at once without touching policy or the carrier.
      this.#write(encodeResponse(CommandId.submit_sm, CommandStatus.ESME_RMSGQFUL, seq))
      return
    }
    this.#inFlight++
    // Reading stops at the window; what is left of the current chunk is still served, so the overshoot is
    // bounded by one socket read and nothing is buffered beyond it.
    if (this.#inFlight >= this.#window) this.#pause()
    this.#handler.onSubmit(this, pdu, this.#readAt, this.#readPerf)
  }

  /** Ends one submit_sm: writes its response (already carrying the client's sequence number). */
  completeSubmit(resp: Buffer): void {
    this.#inFlight--
    if (this.#status === 'closed') return
    this.#write(resp)
    if (this.#inFlight < this.#window) this.#resume()
    if (this.#inFlight === 0) {
      if (this.#peerUnbindSeq >= 0) this.#answerPeerUnbind()
      if (this.#drainResolve) this.#drainResolve()
    }
  }

  #onPeerUnbind(seq: number): void {
    this.#ending = true
    this.#pause()
    this.#peerUnbindSeq = seq
    this.#peerUnbindAt = this.#clock()
    if (this.#inFlight === 0) this.#answerPeerUnbind()
  }

  /** After the in-flight submits were answered, or `drain_timeout_ms` after the unbind: unbind_resp, then end. */
  #answerPeerUnbind(): void {
    const seq = this.#peerUnbindSeq
    this.#peerUnbindSeq = -1
    this.#write(encodeUnbindResp(seq))
    this.#terminate('unbind')
  }

  // --- deliveries (receipts, MO) ------------------------------------------------------------------------

  /** Sends a deliver_sm; false when the session cannot take it now (caller offers it elsewhere). */
  deliver(d: D): boolean {
    if (!this.canDeliver) return false
    const seq = this.#nextSeq()
    writeSequence(d.pdu, seq)
    this.#deliveries.set(seq, { delivery: d, sentAt: this.#clock() })
    this.#write(d.pdu)
    return true
  }

  #onDeliverResp(seq: number, status: number): void {
    const p = this.#deliveries.get(seq)
    if (!p) return
    this.#deliveries.delete(seq)
    this.#handler.onDeliveryDone(this, p.delivery, status)
  }

  // --- output --------------------------------------------------------------------------------------

  #nextSeq(): number {
    this.#seq = nextSequence(this.#seq)
    return this.#seq
  }

  #write(buf: Buffer): void {
    // After end() a write would make Node destroy the socket, resetting a client that still reads.
    if (this.#socket.destroyed || this.#socket.writableEnded) return
    // Everything written while one read is handled leaves in one write (NOTES §1).
    this.#out.write(buf)
    if (this.#out.unwritten > this.#opts.max_write_buffer_bytes) this.#drop('write_buffer')
  }

  /** The socket holds more than its high-water mark: read nothing more until 'drain'. */
  #onWriteFull(): void {
    if (this.#writeBlocked) return
    this.#writeBlocked = true
    this.#writeBlockedSince = this.#clock()
    this.#pause()
  }

  #onDrain(): void {
    this.#writeBlocked = false
    if (this.#inFlight < this.#window) this.#resume()
  }

  #pause(): void {
    if (this.#paused) return
    this.#paused = true
    this.#socket.pause()
  }

  /** Holds reading while the carrier side is busy (STYLE rule 11): the client's own TCP window then fills. */
  holdInput(hold: boolean): void {
    this.#held = hold
    if (hold) this.#pause()
    else this.#resume()
  }

  #resume(): void {
    if (!this.#paused || this.#ending || this.#held || this.#writeBlocked || this.#status === 'binding' || this.#inFlight >= this.#window) return
    this.#paused = false
    // Time spent paused is ours, not the client's: the held PDU's clock restarts.
    if (this.#partialSince > 0) this.#partialSince = this.#clock()
    this.#socket.resume()
  }

  // --- time ----------------------------------------------------------------------------------------

  #tick(now: number): void {
    if (this.#writeBlocked && now - this.#writeBlockedSince >= this.#opts.write_blocked_timeout_ms) return this.#drop('write_blocked')
    if (this.#partialSince > 0 && !this.#paused && now - this.#partialSince >= this.#opts.pdu_timeout_ms) return this.#drop('pdu_timeout')
    if (this.#status === 'open' || this.#status === 'binding') {
      if (now - this.#openedAt >= this.#opts.bind_timeout_ms) this.#terminate('bind_timeout')
      return
    }
    if (this.#status !== 'bound') return
    if (this.#peerUnbindSeq >= 0 && now - this.#peerUnbindAt >= this.#opts.drain_timeout_ms) this.#answerPeerUnbind()
    this.#heartbeat.tick(now)
    for (const [seq, p] of this.#deliveries) {
      if (now - p.sentAt < this.#opts.deliver_timeout_ms) break
      this.#deliveries.delete(seq)
      this.#handler.onDeliveryDone(this, p.delivery, undefined)
    }
    if (this.#unbindSentAt > 0 && now - this.#unbindSentAt >= this.#opts.unbind_timeout_ms) this.#terminate('shutdown')
  }

  // --- closing -------------------------------------------------------------------------------------

  /**
   * Graceful: new submits get ESME_RMSGQFUL, in-flight ones are answered (bounded wait), then unbind and
   * a bounded wait for unbind_resp. Idempotent.
   */
  close(): Promise<void> {
    // A client unbind already in progress ends the session by itself, within drain_timeout_ms.
    if (this.#closing || this.#ending || this.#status === 'closed') return this.#closed
    this.#closing = true
    if (this.#status !== 'bound') {
      this.#terminate('shutdown')
      return this.#closed
    }
    const drained =
      this.#inFlight === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#drainResolve = resolve
            setTimeout(resolve, this.#opts.drain_timeout_ms).unref()
          })
    void drained.then(() => {
      if (this.#status === 'closed') return
      this.#unbindSentAt = this.#clock()
      this.#write(encodeUnbind(this.#nextSeq()))
      setTimeout(() => this.#terminate('shutdown'), this.#opts.unbind_timeout_ms).unref()
    })
    return this.#closed
  }

  destroy(err?: Error): Promise<void> {
    if (err) this.#firstError ??= err
    this.#terminate('shutdown')
    this.#socket.destroy()
    return this.#closed
  }

  /** Ends the connection after pending writes; cleanup happens only in the 'close' handler. */
  #terminate(reason: CloseReason): void {
    this.#closeReason ??= reason
    this.#ending = true
    if (this.#socket.destroyed) return
    this.#out.flush()
    this.#socket.end()
    // A peer that never reads would keep the socket half-open; end() is followed by destroy().
    setTimeout(destroySocket, this.#opts.unbind_timeout_ms, this.#socket).unref()
  }

  /**
   * Abuse (a client that trickles a PDU or does not read): the socket goes at once, with whatever it still
   * holds, so the connection costs no more memory or time.
   */
  #drop(reason: CloseReason): void {
    if (this.#socket.destroyed) return
    this.#closeReason ??= reason
    this.#deps.metrics.clientConnectionsDropped.labels(reason).inc()
    this.#log.warn({ reason, unwritten_bytes: this.#out.unwritten, held_bytes: this.#framer.buffered }, 'client dropped')
    this.#socket.destroy()
  }

  #onClose(): void {
    const wasBound = this.#status === 'bound'
    const bindType = this.#bindType
    this.#status = 'closed'
    this.#untick()
    if (wasBound && bindType) this.#deps.metrics.clientSessions.labels(bindType).dec()
    const reason = this.#closeReason ?? (this.#firstError ? 'socket_error' : 'peer_closed')
    const undelivered: D[] = []
    for (const p of this.#deliveries.values()) undelivered.push(p.delivery)
    this.#deliveries.clear()
    if (wasBound) this.#log.info({ reason, err: this.#firstError ?? undefined }, 'session closed')
    else this.#log.debug({ reason }, 'connection closed')
    this.#drainResolve?.()
    this.#handler.onClosed(this, reason, undelivered)
    this.#resolveClosed()
  }
}

function destroySocket(socket: Socket): void {
  socket.destroy()
}
