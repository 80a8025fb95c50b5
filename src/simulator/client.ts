// A small ESME client on our wire layer: tests, the demo and the load scripts bind with it. It matches
// responses by sequence number, keeps a submit window, answers enquire_link and acknowledges deliver_sm.
import { EventEmitter } from 'node:events'
import net from 'node:net'
import tls from 'node:tls'
import { CommandId, CommandStatus, isResponse } from '../smpp/constants.js'
import { Framer } from '../smpp/framer.js'
import { nextSequence, readCommandId, readCommandStatus, readSequence, writeSequence } from '../smpp/header.js'
import { readDeliverSm, readSubmitSmResp, type SmFields } from '../smpp/pdu.js'
import {
  encodeBind,
  encodeDeliverSmResp,
  encodeEnquireLink,
  encodeEnquireLinkResp,
  encodeSubmitSm,
  encodeUnbind,
  encodeUnbindResp,
  type SmRequest,
} from '../smpp/encode.js'

export type BindType = 'trx' | 'tx' | 'rx'

export interface ClientOptions {
  readonly host?: string
  readonly port: number
  readonly system_id: string
  readonly password: string
  readonly system_type?: string
  readonly bind?: BindType
  /** Max unanswered submit_sm; further submits wait. */
  readonly window?: number
  /** Status to answer deliver_sm with (tests of carrier-side retries). */
  readonly deliver_status?: number
  /** Connect over TLS with these options. */
  readonly tls?: tls.ConnectionOptions
  /** Fail a request not answered within this time. */
  readonly timeout_ms?: number
}

export interface Response {
  readonly command_id: number
  readonly status: number
  readonly seq: number
  readonly pdu: Buffer
}

export interface SubmitResult extends Response {
  readonly message_id: string
}

export interface Deliver {
  readonly fields: SmFields
  readonly pdu: Buffer
}

const BIND_ID: Record<BindType, number> = {
  trx: CommandId.bind_transceiver,
  tx: CommandId.bind_transmitter,
  rx: CommandId.bind_receiver,
}

export class BindError extends Error {
  readonly status: number
  constructor(status: number) {
    super(`bind refused: command_status=0x${status.toString(16).padStart(8, '0')}`)
    this.status = status
  }
}

interface Pending {
  resolve(r: Response): void
  reject(e: Error): void
  timer: NodeJS.Timeout | null
}

/** Emits 'deliver' (Deliver), 'pdu' (every PDU received, Buffer copy), 'close'. */
export class SmppClient extends EventEmitter {
  readonly socket: net.Socket
  readonly deliveries: Deliver[] = []
  readonly closed: Promise<void>
  readonly #opts: ClientOptions
  readonly #pending = new Map<number, Pending>()
  readonly #waiters: (() => void)[] = []
  #seq = 0
  #inFlight = 0

  constructor(socket: net.Socket, opts: ClientOptions) {
    super()
    this.socket = socket
    this.#opts = opts
    socket.setNoDelay(true)
    const framer = new Framer({
      onFrame: (pdu) => this.#onPdu(Buffer.from(pdu)),
      onOversized: () => socket.destroy(),
      onMalformed: () => socket.destroy(),
    })
    socket.on('data', (chunk: Buffer) => framer.push(chunk))
    socket.on('error', () => {})
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        for (const p of this.#pending.values()) {
          if (p.timer) clearTimeout(p.timer)
          p.reject(new Error('connection closed'))
        }
        this.#pending.clear()
        for (const w of this.#waiters.splice(0)) w()
        this.emit('close')
        resolve()
      }),
    )
  }

  get inFlight(): number {
    return this.#inFlight
  }

  #onPdu(pdu: Buffer): void {
    this.emit('pdu', pdu)
    const id = readCommandId(pdu)
    const seq = readSequence(pdu)
    if (isResponse(id)) {
      const p = this.#pending.get(seq)
      if (!p) return
      this.#pending.delete(seq)
      if (p.timer) clearTimeout(p.timer)
      p.resolve({ command_id: id, status: readCommandStatus(pdu), seq, pdu })
      return
    }
    if (id === CommandId.enquire_link) this.write(encodeEnquireLinkResp(seq))
    else if (id === CommandId.unbind) {
      this.write(encodeUnbindResp(seq))
      this.socket.end()
    } else if (id === CommandId.deliver_sm) {
      const fields = readDeliverSm(pdu)
      this.write(encodeDeliverSmResp(fields.ok ? (this.#opts.deliver_status ?? CommandStatus.ESME_ROK) : fields.status, seq))
      if (fields.ok) {
        const d = { fields, pdu }
        this.deliveries.push(d)
        this.emit('deliver', d)
      }
    }
  }

  write(buf: Buffer): boolean {
    return this.socket.destroyed ? false : this.socket.write(buf)
  }

  /** Sends `pdu` with the next sequence number written in and resolves with its response. */
  request(pdu: Buffer): Promise<Response> {
    this.#seq = nextSequence(this.#seq)
    const seq = this.#seq
    writeSequence(pdu, seq)
    return new Promise<Response>((resolve, reject) => {
      const timeout = this.#opts.timeout_ms
      const timer = timeout ? setTimeout(() => this.#expire(seq), timeout) : null
      this.#pending.set(seq, { resolve, reject, timer })
      if (!this.write(pdu) && this.socket.destroyed) {
        this.#pending.delete(seq)
        if (timer) clearTimeout(timer)
        reject(new Error('connection closed'))
      }
    })
  }

  #expire(seq: number): void {
    const p = this.#pending.get(seq)
    if (!p) return
    this.#pending.delete(seq)
    p.reject(new Error(`no response to sequence ${seq}`))
  }

  async bind(): Promise<void> {
    const o = this.#opts
    const r = await this.request(encodeBind(BIND_ID[o.bind ?? 'trx'], 0, { system_id: o.system_id, password: o.password, system_type: o.system_type }))
    if (r.status !== CommandStatus.ESME_ROK) throw new BindError(r.status)
  }

  async #slot(): Promise<void> {
    const window = this.#opts.window ?? 1
    while (this.#inFlight >= window) {
      if (this.socket.destroyed) throw new Error('connection closed')
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
    this.#inFlight++
  }

  #release(): void {
    this.#inFlight--
    this.#waiters.shift()?.()
  }

  /** submit_sm within the window; resolves with status and message_id (also for error statuses). */
  async submit(m: SmRequest): Promise<SubmitResult> {
    return this.submitRaw(encodeSubmitSm(0, m))
  }

  /** Sends an already encoded submit_sm (its sequence number is overwritten). */
  async submitRaw(pdu: Buffer): Promise<SubmitResult> {
    await this.#slot()
    try {
      const r = await this.request(pdu)
      const body = readSubmitSmResp(r.pdu)
      return { ...r, message_id: body.ok ? body.message_id : '' }
    } finally {
      this.#release()
    }
  }

  enquireLink(): Promise<Response> {
    return this.request(encodeEnquireLink(0))
  }

  /** Waits until `n` deliver_sm have arrived in total, or rejects after `timeoutMs`. */
  waitForDeliveries(n: number, timeoutMs = 10000): Promise<Deliver[]> {
    if (this.deliveries.length >= n) return Promise.resolve(this.deliveries.slice(0, n))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('deliver', check)
        reject(new Error(`${this.deliveries.length} of ${n} deliver_sm arrived`))
      }, timeoutMs)
      const check = () => {
        if (this.deliveries.length < n) return
        clearTimeout(timer)
        this.off('deliver', check)
        resolve(this.deliveries.slice(0, n))
      }
      this.on('deliver', check)
    })
  }

  /** unbind, wait for unbind_resp (bounded), then close. */
  async unbind(): Promise<void> {
    if (this.socket.destroyed) return
    try {
      await Promise.race([this.request(encodeUnbind(0)), new Promise((r) => setTimeout(r, 2000))])
    } catch {
      // The peer closed first: that is what unbind asks for anyway.
    }
    this.socket.end()
    await this.closed
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** Connects (TCP or TLS) without binding. */
export function connectClient(opts: ClientOptions): Promise<SmppClient> {
  return new Promise((resolve, reject) => {
    const host = opts.host ?? '127.0.0.1'
    const socket = opts.tls
      ? tls.connect({ ...opts.tls, host, port: opts.port }, () => resolve(new SmppClient(socket, opts)))
      : net.connect({ host, port: opts.port }, () => resolve(new SmppClient(socket, opts)))
    socket.once('error', reject)
  })
}

/** Connects and binds; throws BindError with the refusal status. */
export async function createClient(opts: ClientOptions): Promise<SmppClient> {
  const client = await connectClient(opts)
  try {
    await client.bind()
  } catch (err) {
    client.destroy()
    throw err
  }
  return client
}
