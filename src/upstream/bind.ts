// One bind to the carrier: connect, bind, keep alive, carry submit_sm within its window, hand deliver_sm up,
// reconnect with backoff after anything but an explicit close. `#setStatus` is the only writer of the
// status and of the `upstreamBinds` gauge. The pool owns the queue; a bind accepts a submit only when bound,
// writable and inside its window, and says `onReady` whenever that may have become true.
import net from 'node:net'
import tls from 'node:tls'
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import type { UpstreamConfig } from '../config/schema.js'
import type { Metrics } from '../ops/metrics.js'
import { CommandId, CommandStatus } from '../smpp/constants.js'
import { Framer, type FrameSink, type OversizedHeader } from '../smpp/framer.js'
import { nextSequence, readCommandId, readCommandStatus, readSequence, writeSequence } from '../smpp/header.js'
import {
  encodeBind,
  encodeDeliverSmResp,
  encodeEnquireLink,
  encodeEnquireLinkResp,
  encodeGenericNack,
  encodeResponse,
  encodeUnbind,
  encodeUnbindResp,
} from '../smpp/encode.js'
import { Heartbeat } from '../smpp/heartbeat.js'
import type { CoarseTimer } from '../util/coarse-timer.js'
import { GuardError } from '../errors.js'
import { createBackoff, type Backoff } from './backoff.js'
import { WriteBatch } from '../util/write-batch.js'

export type BindStatus = 'idle' | 'connecting' | 'binding' | 'bound' | 'unbinding' | 'backoff' | 'closed'
export const BIND_STATUSES: readonly BindStatus[] = ['idle', 'connecting', 'binding', 'bound', 'unbinding', 'backoff', 'closed']
export type CarrierBindType = 'transceiver' | 'transmitter' | 'receiver'
export type BindCloseReason = 'unbind' | 'peer_closed' | 'dead_peer' | 'malformed_stream' | 'auth_failed' | 'shutdown' | 'socket_error' | 'internal_error'

/** A submit_sm travelling to the carrier. The bind rewrites the PDU's sequence_number in place. */
export interface UpstreamRequest {
  /** Replaced by a copy when the request has to wait in the pool's queue. */
  pdu: Buffer
  /**
   * performance.now() when the bind sent it, written by that bind (kept here rather than in a record per
   * request): one clock read serves both the round-trip histogram and the response timeout.
   */
  sentPerf: number
  /** The carrier's submit_sm_resp (or generic_nack), as received. */
  onCarrierResponse(resp: Buffer): void
  /** No response will come: timeout, bind lost, no bind, queue full. */
  onCarrierFailure(err: GuardError): void
}

export interface BindEvents {
  onStatus(bind: CarrierBind, status: BindStatus): void
  /** Window room freed or the bind became usable. */
  onReady(bind: CarrierBind): void
  /** A deliver_sm from the carrier; answer it with `bind.respondDeliver(seq, status)`. */
  onDeliver(bind: CarrierBind, pdu: Buffer): void
}

export interface BindDeps {
  readonly log: Logger
  readonly metrics: Metrics
  readonly timer: CoarseTimer
  readonly events: BindEvents
  readonly clock?: () => number
  readonly random?: () => number
  /** Opens the socket; tests and the simulator may plug their own. */
  readonly connect?: (cfg: UpstreamConfig) => net.Socket
}

const BIND_COMMAND: Record<CarrierBindType, number> = {
  transceiver: CommandId.bind_transceiver,
  transmitter: CommandId.bind_transmitter,
  receiver: CommandId.bind_receiver,
}

function defaultConnect(cfg: UpstreamConfig): net.Socket {
  return cfg.tls ? tls.connect({ host: cfg.host, port: cfg.port, servername: cfg.host }) : net.connect({ host: cfg.host, port: cfg.port })
}

let nextBid = 1

export class CarrierBind implements FrameSink {
  readonly id: string
  readonly type: CarrierBindType
  #status: BindStatus = 'idle'
  readonly #cfg: UpstreamConfig
  readonly #deps: BindDeps
  readonly #log: Logger
  readonly #clock: () => number
  readonly #backoff: Backoff
  readonly #pending = new Map<number, UpstreamRequest>()
  readonly #untick: () => void
  readonly #gauges: Record<BindStatus, { inc(): void; dec(): void }>
  #socket: net.Socket | null = null
  /** Output to `#socket`, written once per turn of the event loop. */
  #out: WriteBatch | null = null
  #framer: Framer | null = null
  #heartbeat: Heartbeat | null = null
  #seq = 0
  #attempt = 0
  /** performance.now() when the chunk being framed was read: every response in it arrived then. */
  #readPerf = 0
  #writable = true
  #statusSince = 0
  #bindSeq = 0
  #explicitClose = false
  #closeReason: BindCloseReason | null = null
  #firstError: Error | null = null
  #closed: Promise<void> | null = null
  #resolveClosed: (() => void) | null = null

  constructor(cfg: UpstreamConfig, type: CarrierBindType, deps: BindDeps) {
    this.id = `u${nextBid++}`
    this.type = type
    this.#cfg = cfg
    this.#deps = deps
    this.#clock = deps.clock ?? Date.now
    this.#backoff = createBackoff(cfg, deps.random)
    this.#log = deps.log.child({ bind: this.id, bind_type: type, carrier: `${cfg.host}:${cfg.port}` })
    const g = deps.metrics.upstreamBinds
    this.#gauges = Object.fromEntries(BIND_STATUSES.map((s) => [s, g.labels(s)])) as unknown as Record<BindStatus, { inc(): void; dec(): void }>
    this.#gauges.idle.inc()
    this.#untick = deps.timer.add((now) => this.#tick(now))
  }

  get status(): BindStatus {
    return this.#status
  }
  get inFlight(): number {
    return this.#pending.size
  }
  get canSubmit(): boolean {
    return this.#status === 'bound' && this.type !== 'receiver' && this.#writable && this.#pending.size < this.#cfg.window
  }

  start(): void {
    if (this.#status === 'idle') this.#connect()
  }

  /** Sends when bound, writable and inside the window; otherwise false and the caller tries elsewhere. */
  submit(req: UpstreamRequest): boolean {
    if (!this.canSubmit) return false
    const seq = this.#nextSeq()
    writeSequence(req.pdu, seq)
    req.sentPerf = performance.now()
    this.#pending.set(seq, req)
    this.#write(req.pdu)
    return true
  }

  respondDeliver(seq: number, status: number): void {
    if (this.#status === 'bound' || this.#status === 'unbinding') this.#write(encodeDeliverSmResp(status, seq))
  }

  // --- lifecycle -----------------------------------------------------------------------------------

  #setStatus(s: BindStatus): void {
    if (s === this.#status) return
    this.#gauges[this.#status].dec()
    this.#gauges[s].inc()
    this.#status = s
    this.#statusSince = this.#clock()
    this.#log.debug({ status: s }, 'bind status')
    this.#deps.events.onStatus(this, s)
  }

  #connect(): void {
    this.#setStatus('connecting')
    this.#closeReason = null
    this.#firstError = null
    const socket = (this.#deps.connect ?? defaultConnect)(this.#cfg)
    this.#socket = socket
    this.#out = new WriteBatch(
      socket,
      () => {
        this.#writable = false
      },
      true,
    )
    this.#framer = new Framer(this)
    this.#writable = true
    socket.setNoDelay(true)
    socket.once(this.#cfg.tls ? 'secureConnect' : 'connect', () => this.#onConnect())
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('drain', () => this.#onDrain())
    socket.on('error', (err) => {
      this.#firstError ??= err
    })
    socket.on('close', () => this.#onClose(socket))
  }

  #onConnect(): void {
    if (this.#status !== 'connecting') return
    this.#setStatus('binding')
    this.#bindSeq = this.#nextSeq()
    this.#write(
      encodeBind(BIND_COMMAND[this.type], this.#bindSeq, {
        system_id: this.#cfg.system_id,
        password: this.#cfg.password,
        system_type: this.#cfg.system_type,
      }),
    )
  }

  #onBindResp(pdu: Buffer): void {
    if (this.#status !== 'binding' || readSequence(pdu) !== this.#bindSeq) return
    const status = readCommandStatus(pdu)
    if (status !== CommandStatus.ESME_ROK) {
      this.#log.error({ status }, 'carrier refused bind')
      this.#end('auth_failed')
      return
    }
    this.#attempt = 0
    const now = this.#clock()
    this.#heartbeat = new Heartbeat(
      { sendEnquireLink: () => this.#write(encodeEnquireLink(this.#nextSeq())), onDead: () => this.#end('dead_peer') },
      this.#cfg.enquire_link_ms,
      now,
    )
    this.#setStatus('bound')
    this.#log.info('carrier bound')
    this.#deps.events.onReady(this)
  }

  /** Graceful: unbind, bounded wait for unbind_resp and in-flight responses, then close. No reconnect. */
  close(): Promise<void> {
    if (this.#closed) return this.#closed
    this.#explicitClose = true
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve))
    if (this.#status === 'bound') {
      this.#setStatus('unbinding')
      this.#write(encodeUnbind(this.#nextSeq()))
    } else if (this.#socket && !this.#socket.destroyed) {
      this.#end('shutdown')
    } else {
      this.#finish()
    }
    return this.#closed
  }

  destroy(err?: Error): Promise<void> {
    const p = this.close()
    if (err) this.#firstError ??= err
    this.#failAll(new GuardError('SG_ERR_UPSTREAM_CLOSED', err?.message))
    this.#socket?.destroy()
    return p
  }

  #end(reason: BindCloseReason): void {
    this.#closeReason ??= reason
    const socket = this.#socket
    if (!socket || socket.destroyed) return
    this.#out?.flush()
    socket.end()
    setTimeout(destroySocket, this.#cfg.unbind_timeout_ms, socket).unref()
  }

  #onClose(socket: net.Socket): void {
    if (socket !== this.#socket) return
    this.#socket = null
    this.#out = null
    this.#framer = null
    this.#heartbeat = null
    const reason = this.#closeReason ?? (this.#firstError ? 'socket_error' : 'peer_closed')
    this.#failAll(new GuardError('SG_ERR_UPSTREAM_CLOSED', reason))
    if (this.#explicitClose) {
      this.#finish()
      return
    }
    const delay = this.#backoff(this.#attempt++)
    this.#log.warn({ reason, err: this.#firstError?.message, retry_ms: delay }, 'carrier bind lost')
    this.#setStatus('backoff')
    this.#deps.metrics.upstreamReconnects.inc()
    // The backoff may be shorter than the coarse tick, so this one wait gets its own timer.
    setTimeout(retry, delay, this).unref()
  }

  /** @internal backoff timer target */
  retry(): void {
    if (this.#status === 'backoff' && !this.#explicitClose) this.#connect()
  }

  #finish(): void {
    this.#setStatus('closed')
    this.#untick()
    this.#gauges.closed.dec()
    this.#resolveClosed?.()
  }

  #failAll(err: GuardError): void {
    if (this.#pending.size === 0) return
    const list = [...this.#pending.values()]
    this.#pending.clear()
    for (const req of list) req.onCarrierFailure(err)
  }

  // --- input ---------------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    this.#heartbeat?.onTraffic(this.#clock())
    this.#readPerf = performance.now()
    try {
      this.#framer?.push(chunk)
    } catch (err) {
      // A bug met by the carrier's bytes costs this bind (it reconnects), never the process.
      this.#deps.metrics.malformedPdus.labels('carrier', 'internal_error').inc()
      this.#log.error({ err }, 'carrier bind failed')
      this.#firstError ??= err as Error
      this.#end('internal_error')
    }
  }

  onFrame(pdu: Buffer): void {
    const id = readCommandId(pdu)
    const seq = readSequence(pdu)
    switch (id) {
      case CommandId.submit_sm_resp:
      case CommandId.generic_nack:
        return this.#onResponse(pdu, seq)
      case CommandId.deliver_sm:
        if (this.#status !== 'bound' && this.#status !== 'unbinding') return
        return this.#deps.events.onDeliver(this, pdu)
      case CommandId.enquire_link:
        return this.#write(encodeEnquireLinkResp(seq))
      case CommandId.enquire_link_resp:
        return
      case CommandId.bind_transceiver_resp:
      case CommandId.bind_transmitter_resp:
      case CommandId.bind_receiver_resp:
        return this.#onBindResp(pdu)
      case CommandId.unbind:
        this.#write(encodeUnbindResp(seq))
        return this.#end('unbind')
      case CommandId.unbind_resp:
        if (this.#status === 'unbinding') this.#end('shutdown')
        return
      default:
        if ((id & 0x80000000) !== 0) return
        this.#deps.metrics.malformedPdus.labels('carrier', 'unknown_command').inc()
        if (id === CommandId.data_sm || id === CommandId.alert_notification) {
          return this.#write(encodeResponse(id, CommandStatus.ESME_RINVCMDID, seq))
        }
        return this.#write(encodeGenericNack(CommandStatus.ESME_RINVCMDID, seq))
    }
  }

  #onResponse(pdu: Buffer, seq: number): void {
    const req = this.#pending.get(seq)
    if (!req) return
    this.#pending.delete(seq)
    this.#deps.metrics.carrierLatency.observe((this.#readPerf - req.sentPerf) / 1000)
    req.onCarrierResponse(pdu)
    if (this.#status === 'unbinding') return
    this.#deps.events.onReady(this)
  }

  onOversized(h: OversizedHeader): void {
    this.#deps.metrics.malformedPdus.labels('carrier', 'oversized').inc()
    this.#write(encodeGenericNack(CommandStatus.ESME_RINVCMDLEN, h.sequence_number))
  }

  onMalformed(reason: 'length_too_short'): void {
    this.#deps.metrics.malformedPdus.labels('carrier', reason).inc()
    this.#log.error({ reason }, 'carrier stream malformed')
    this.#end('malformed_stream')
  }

  // --- output --------------------------------------------------------------------------------------

  #nextSeq(): number {
    this.#seq = nextSequence(this.#seq)
    return this.#seq
  }

  #write(buf: Buffer): void {
    const socket = this.#socket
    if (!socket || socket.destroyed) return
    // Submits from every client read of one event-loop turn leave in one write (NOTES §1: a syscall per PDU
    // was 57 % of the CPU).
    ;(this.#out as WriteBatch).write(buf)
  }

  #onDrain(): void {
    this.#writable = true
    if (this.#status === 'bound') this.#deps.events.onReady(this)
  }

  // --- time ----------------------------------------------------------------------------------------

  #tick(now: number): void {
    switch (this.#status) {
      case 'bound':
        this.#heartbeat?.tick(now)
        break
      case 'connecting':
      case 'binding':
        if (now - this.#statusSince >= this.#cfg.response_timeout_ms) {
          this.#firstError ??= new Error(`no ${this.#status === 'connecting' ? 'connection' : 'bind_resp'} within ${this.#cfg.response_timeout_ms} ms`)
          this.#socket?.destroy()
        }
        break
      case 'unbinding':
        if (now - this.#statusSince >= this.#cfg.unbind_timeout_ms) this.#end('shutdown')
        break
      default:
        break
    }
    // Pending is in send order, so the first entry young enough ends the scan.
    let expired = 0
    const perf = this.#pending.size > 0 ? performance.now() : 0
    for (const [seq, req] of this.#pending) {
      if (perf - req.sentPerf < this.#cfg.response_timeout_ms) break
      this.#pending.delete(seq)
      expired++
      req.onCarrierFailure(new GuardError('SG_ERR_UPSTREAM_TIMEOUT'))
    }
    if (expired > 0) {
      this.#log.warn({ expired }, 'carrier response timeout')
      if (this.#status === 'bound') this.#deps.events.onReady(this)
    }
  }
}

function retry(b: CarrierBind): void {
  b.retry()
}

function destroySocket(socket: net.Socket): void {
  socket.destroy()
}
