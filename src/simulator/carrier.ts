// A carrier SMSC simulator: a library first (tests, benchmarks, `upstream.simulator: true`), a CLI command
// second (fiorix/go-smpp smpptest). It accepts binds, answers submit_sm with unique message ids, sends
// delivery receipts when asked, injects errors and throttling, and can originate MO messages.
import { EventEmitter } from 'node:events'
import net from 'node:net'
import {
  CommandId,
  CommandStatus,
  EsmClass,
  MessageState,
  ReceiptStat,
  RegisteredDelivery,
  Tag,
  type ReceiptStatWord,
} from '../smpp/constants.js'
import { Framer } from '../smpp/framer.js'
import { readCommandId, readSequence, nextSequence } from '../smpp/header.js'
import { readBind, readSubmitSm, type SmFields } from '../smpp/pdu.js'
import {
  encodeBindResp,
  encodeDeliverSm,
  encodeGenericNack,
  encodeResponse,
  encodeSubmitSmResp,
  encodeUnbindResp,
  encodeEnquireLinkResp,
  cstringTlv,
  uintTlv,
} from '../smpp/encode.js'
import { formatReceipt, formatReceiptDate } from '../smpp/receipt.js'
import { chooseDataCoding, encodeText, type DefaultAlphabet } from '../smpp/text/index.js'

export interface CarrierOptions {
  readonly host?: string
  /** 0 picks a free port. */
  readonly port?: number
  /** When set, binds must present these credentials; otherwise every bind is accepted. */
  readonly system_id?: string
  readonly password?: string
  /** Send a delivery receipt for every submit_sm that asks for one. */
  readonly dlr?: boolean
  readonly dlr_delay_ms?: number
  readonly dlr_stat?: ReceiptStatWord
  readonly dlr_err?: string
  /** Message id style: carriers differ, and the proxy must normalise either. */
  readonly id_format?: 'hex' | 'decimal'
  /** Answer every Nth submit_sm with `error_status` instead of accepting it. */
  readonly error_every?: number
  readonly error_status?: number
  /** Answer every Nth submit_sm with ESME_RTHROTTLED. */
  readonly throttle_every?: number
  /** Delay every submit_sm_resp (tests carrier timeouts and windows). */
  readonly resp_delay_ms?: number
  /** Answer the submit_sm of one input chunk in reverse order. */
  readonly out_of_order?: boolean
  /** Keep every accepted submit_sm (tests); benchmarks turn this off. */
  readonly record?: boolean
  /** What data_coding 0 means in the MO messages it originates. */
  readonly default_alphabet?: DefaultAlphabet
}

export interface ReceivedSubmit {
  /** A copy of the PDU exactly as it arrived. */
  readonly pdu: Buffer
  readonly fields: SmFields
  readonly message_id: string
  readonly system_id: string
}

export interface MoMessage {
  readonly source_addr: string
  readonly destination_addr: string
  readonly text: string
  /** Defaults to 0 when the default alphabet holds the text, else UCS2. */
  readonly data_coding?: number
}

type BindKind = 'rx' | 'tx' | 'trx'

interface Conn {
  readonly socket: net.Socket
  system_id: string
  kind: BindKind | null
  seq: number
}

interface PendingReceipt {
  readonly due: number
  readonly system_id: string
  readonly conn: Conn
  readonly message_id: string
  readonly submit: SmFields
  readonly submitted: number
}

const BIND_KIND: Record<number, BindKind> = {
  [CommandId.bind_receiver]: 'rx',
  [CommandId.bind_transmitter]: 'tx',
  [CommandId.bind_transceiver]: 'trx',
}

const RECEIPT_STATE: Record<ReceiptStatWord, number> = {
  ENROUTE: MessageState.ENROUTE,
  DELIVRD: MessageState.DELIVERED,
  EXPIRED: MessageState.EXPIRED,
  DELETED: MessageState.DELETED,
  UNDELIV: MessageState.UNDELIVERABLE,
  ACCEPTD: MessageState.ACCEPTED,
  UNKNOWN: MessageState.UNKNOWN,
  REJECTD: MessageState.REJECTED,
}

export interface Carrier extends EventEmitter {
  readonly port: number
  readonly submits: ReceivedSubmit[]
  /** Counters since start: submit_sm accepted, answered with an error, receipts sent, MO sent. */
  readonly stats: { submits: number; errors: number; receipts: number; mo: number; binds: number }
  /** Bound connections right now. */
  boundCount(): number
  /** Sends an MO deliver_sm to every receiver-capable bind (or those of `system_id`); returns how many. */
  sendMo(mo: MoMessage, system_id?: string): number
  /** Drops every connection at once, as a crashing carrier would. */
  dropAll(): void
  close(): Promise<void>
}

/** Emits 'bind' (system_id, kind), 'submit' (ReceivedSubmit), 'receipt_resp' (status), 'mo_resp' (status). */
export async function createCarrier(opts: CarrierOptions = {}): Promise<Carrier> {
  const conns = new Set<Conn>()
  const receipts: PendingReceipt[] = []
  let receiptTimer: NodeJS.Timeout | null = null
  let nextId = 1
  let counter = 0
  const record = opts.record ?? true
  const submits: ReceivedSubmit[] = []
  const stats = { submits: 0, errors: 0, receipts: 0, mo: 0, binds: 0 }
  const emitter = new EventEmitter()

  const newId = () => (opts.id_format === 'decimal' ? String(nextId++) : (nextId++).toString(16).padStart(8, '0'))

  function write(conn: Conn, buf: Buffer): void {
    if (!conn.socket.destroyed) conn.socket.write(buf)
  }

  function send(conn: Conn, build: (seq: number) => Buffer): void {
    conn.seq = nextSequence(conn.seq)
    write(conn, build(conn.seq))
  }

  function scheduleReceipts(): void {
    if (receiptTimer !== null || receipts.length === 0) return
    receiptTimer = setTimeout(flushReceipts, Math.max(0, receipts[0].due - Date.now()))
  }

  function flushReceipts(): void {
    receiptTimer = null
    const now = Date.now()
    while (receipts.length > 0 && receipts[0].due <= now) sendReceipt(receipts.shift() as PendingReceipt)
    scheduleReceipts()
  }

  function receiverFor(p: PendingReceipt): Conn | undefined {
    if (!p.conn.socket.destroyed && p.conn.kind !== 'tx') return p.conn
    for (const c of conns) if (c.system_id === p.system_id && c.kind !== null && c.kind !== 'tx') return c
    return undefined
  }

  function sendReceipt(p: PendingReceipt): void {
    const conn = receiverFor(p)
    if (!conn) return
    const stat = opts.dlr_stat ?? ReceiptStat.DELIVRD
    const sample = p.submit.data_coding === 0 || p.submit.data_coding === 1 ? p.submit.short_message.toString('latin1', 0, 20) : ''
    const text = formatReceipt({
      id: p.message_id,
      sub: '001',
      dlvrd: stat === ReceiptStat.DELIVRD ? '001' : '000',
      submit_date: formatReceiptDate(p.submitted),
      done_date: formatReceiptDate(Date.now()),
      stat,
      err: opts.dlr_err ?? (stat === ReceiptStat.DELIVRD ? '000' : '001'),
      text: sample,
    })
    stats.receipts++
    send(conn, (seq) =>
      encodeDeliverSm(seq, {
        source_addr_ton: p.submit.dest_addr_ton,
        source_addr_npi: p.submit.dest_addr_npi,
        source_addr: p.submit.destination_addr,
        dest_addr_ton: p.submit.source_addr_ton,
        dest_addr_npi: p.submit.source_addr_npi,
        destination_addr: p.submit.source_addr,
        esm_class: EsmClass.DELIVERY_RECEIPT,
        short_message: Buffer.from(text, 'latin1'),
        tlvs: [cstringTlv(Tag.receipted_message_id, p.message_id), uintTlv(Tag.message_state, RECEIPT_STATE[stat], 1)],
      }),
    )
  }

  function answerSubmit(conn: Conn, pdu: Buffer, out: Buffer[]): void {
    const seq = readSequence(pdu)
    if (conn.kind === null || conn.kind === 'rx') {
      out.push(encodeSubmitSmResp(CommandStatus.ESME_RINVBNDSTS, seq, ''))
      return
    }
    // The framer hands a view into the socket chunk: copy before anything holds on to it.
    const wantsReceipt = opts.dlr === true
    const held = record || wantsReceipt ? Buffer.from(pdu) : pdu
    const fields = readSubmitSm(held)
    if (!fields.ok) {
      out.push(encodeSubmitSmResp(fields.status, seq, ''))
      return
    }
    counter++
    if (opts.throttle_every && counter % opts.throttle_every === 0) {
      stats.errors++
      out.push(encodeSubmitSmResp(CommandStatus.ESME_RTHROTTLED, seq, ''))
      return
    }
    if (opts.error_every && counter % opts.error_every === 0) {
      stats.errors++
      out.push(encodeSubmitSmResp(opts.error_status ?? CommandStatus.ESME_RSYSERR, seq, ''))
      return
    }
    const message_id = newId()
    stats.submits++
    const received: ReceivedSubmit = { pdu: held, fields, message_id, system_id: conn.system_id }
    if (record) submits.push(received)
    out.push(encodeSubmitSmResp(CommandStatus.ESME_ROK, seq, message_id))
    if (wantsReceipt && (fields.registered_delivery & RegisteredDelivery.RECEIPT_MASK) !== 0) {
      receipts.push({ due: Date.now() + (opts.dlr_delay_ms ?? 0), system_id: conn.system_id, conn, message_id, submit: fields, submitted: Date.now() })
      scheduleReceipts()
    }
    emitter.emit('submit', received)
  }

  function handleBind(conn: Conn, pdu: Buffer, id: number, out: Buffer[]): void {
    const seq = readSequence(pdu)
    const b = readBind(pdu)
    let status: number = CommandStatus.ESME_ROK
    if (!b.ok) status = b.status
    else if (conn.kind !== null) status = CommandStatus.ESME_RALYBND
    else if (opts.system_id !== undefined && b.system_id !== opts.system_id) status = CommandStatus.ESME_RINVSYSID
    else if (opts.password !== undefined && b.password !== opts.password) status = CommandStatus.ESME_RINVPASWD
    out.push(encodeBindResp(id, status, seq, 'simulator'))
    if (status !== CommandStatus.ESME_ROK || !b.ok) return
    conn.kind = BIND_KIND[id]
    conn.system_id = b.system_id
    stats.binds++
    emitter.emit('bind', conn.system_id, conn.kind)
  }

  function handle(conn: Conn, pdu: Buffer, out: Buffer[]): void {
    const id = readCommandId(pdu)
    const seq = readSequence(pdu)
    switch (id) {
      case CommandId.submit_sm:
        return answerSubmit(conn, pdu, out)
      case CommandId.bind_receiver:
      case CommandId.bind_transmitter:
      case CommandId.bind_transceiver:
        return handleBind(conn, pdu, id, out)
      case CommandId.enquire_link:
        out.push(encodeEnquireLinkResp(seq))
        return
      case CommandId.unbind:
        out.push(encodeUnbindResp(seq))
        conn.kind = null
        conn.socket.end()
        return
      case CommandId.deliver_sm_resp:
        emitter.emit('deliver_sm_resp', pdu.readUInt32BE(8))
        return
      case CommandId.enquire_link_resp:
      case CommandId.unbind_resp:
      case CommandId.generic_nack:
        return
      default:
        out.push(id === CommandId.query_sm || id === CommandId.data_sm ? encodeResponse(id, CommandStatus.ESME_RINVCMDID, seq) : encodeGenericNack(CommandStatus.ESME_RINVCMDID, seq))
    }
  }

  function flush(conn: Conn, out: Buffer[]): void {
    if (out.length === 0) return
    if (opts.out_of_order) out.reverse()
    const buf = out.length === 1 ? out[0] : Buffer.concat(out)
    if (opts.resp_delay_ms) setTimeout(() => write(conn, buf), opts.resp_delay_ms)
    else write(conn, buf)
  }

  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    const conn: Conn = { socket, system_id: '', kind: null, seq: 0 }
    conns.add(conn)
    let out: Buffer[] = []
    const framer = new Framer({
      onFrame: (pdu) => handle(conn, pdu, out),
      onOversized: (h) => out.push(encodeGenericNack(CommandStatus.ESME_RINVCMDLEN, h.sequence_number)),
      onMalformed: () => socket.destroy(),
    })
    socket.on('data', (chunk: Buffer) => {
      out = []
      framer.push(chunk)
      flush(conn, out)
    })
    socket.on('error', () => {})
    socket.on('close', () => conns.delete(conn))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port

  return Object.assign(emitter, {
    port,
    submits,
    stats,
    boundCount: () => [...conns].filter((c) => c.kind !== null).length,
    sendMo(mo: MoMessage, system_id?: string): number {
      const default_alphabet = opts.default_alphabet ?? 'gsm'
      const dc = mo.data_coding ?? chooseDataCoding(mo.text, default_alphabet)
      const short_message = encodeText(dc, mo.text, { default_alphabet }).bytes
      let n = 0
      for (const c of conns) {
        if (c.kind === null || c.kind === 'tx' || (system_id !== undefined && c.system_id !== system_id)) continue
        send(c, (seq) => encodeDeliverSm(seq, { source_addr: mo.source_addr, destination_addr: mo.destination_addr, data_coding: dc, short_message }))
        n++
      }
      stats.mo += n
      return n
    },
    dropAll(): void {
      for (const c of conns) c.socket.destroy()
    },
    close(): Promise<void> {
      if (receiptTimer) clearTimeout(receiptTimer)
      receipts.length = 0
      for (const c of conns) c.socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}
