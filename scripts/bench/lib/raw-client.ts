// A fast ESME for benchmarks: pre-encoded submit_sm, a fixed window per session, batched writes, latency
// per PDU from a send-time ring indexed by sequence number. Prints one JSON result line and exits.
// usage: raw-client.ts PORT SYSTEM_ID PASSWORD SESSIONS WINDOW COUNT MAX_SECONDS [RECEIPTS(0|1)]
//        [MIX(single|long|pipeline)] [RATE]
// MIX single: every message one part. long: 30 % long (2–3 SAR parts). pipeline: 20 % long (2–3 parts, SAR
// or UDH alternately), 5 % violating (a gambling text the shipped rules block; single part, so its
// rejection is the submit_sm_resp status), 10 % asking receipts (RECEIPTS=1 then asks on those only).
// RATE: steady messages per second for the whole client (split over the sessions, paced per 1 ms tick);
// 0 = as fast as the window allows. COUNT and the result's msgs_per_s count accepted PDUs as before;
// `messages*` count whole messages (a message is done when its last part is answered).
import net from 'node:net'
import { CommandId, EsmClass, Tag } from '../../../src/smpp/constants.js'
import { Framer } from '../../../src/smpp/framer.js'
import { encodeBind, encodeSubmitSm, encodeDeliverSmResp, uintTlv } from '../../../src/smpp/encode.js'
import { readCommandId, readCommandStatus, readSequence, writeSequence } from '../../../src/smpp/header.js'

const [port, systemId, password, sessionsArg, windowArg, countArg, maxSecArg, receiptsArg, mixArg, rateArg] = process.argv.slice(2)
const SESSIONS = Number(sessionsArg)
const WINDOW = Number(windowArg)
const COUNT = Number(countArg)
const MAX_MS = Number(maxSecArg) * 1000
const RECEIPTS = receiptsArg === '1'
const MIX = mixArg === 'long' || mixArg === 'pipeline' ? mixArg : 'single'
const RATE = Number(rateArg ?? 0) || 0

/** 70 UCS2 characters: a full single-part Chinese SMS. */
const TEXT = '【示例科技】您的验证码是{code}，5分钟内有效，请勿泄露给他人。如非本人操作请忽略本短信，谢谢您的支持与配合！'
/** Gambling promotion the shipped rules reject (several weight-10 terms), padded to 70 characters too. */
const VIOLATING = '【示例科技】{code}网上赌场真人荷官百家乐，首充送彩金，提款秒到，日结佣金，信誉平台，注册就送，详情咨询客服！'
function ucs2(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16()
}
const fill = (template: string, code: number) => template.replace('{code}', String(code)).padEnd(70, '。').slice(0, 70)

/** What kind of message number i is; a fixed permutation of i mod 100 spreads the kinds evenly. */
function kindOf(i: number): { long: boolean; violating: boolean; receipt: boolean } {
  const k = (i * 37) % 100
  const r = (i * 53) % 10
  if (MIX === 'pipeline') return { violating: k < 5, long: k >= 5 && k < 25, receipt: RECEIPTS && r === 0 }
  return { violating: false, long: MIX === 'long' && (i * 7919) % 100 < 30, receipt: RECEIPTS }
}

interface Outgoing {
  readonly pdu: Buffer
  /** Last part of its message. */
  readonly last: boolean
  readonly receipt: boolean
  readonly violating: boolean
}

let msgNo = 0
// Each client run gets its own codes and references: a later run to the same recipients (warm-up, then the
// measured run) would otherwise repeat earlier parts byte for byte, which a proxy rightly treats as retries.
const SALT = Math.floor(Math.random() * 900000)
let violatingSent = 0
let receiptsAsked = 0
/** Next message as one or more submit_sm PDUs. */
function nextMessage(): Outgoing[] {
  const i = msgNo++
  const kind = kindOf(i)
  const code = 100000 + ((i + SALT) % 900000)
  const body = fill(kind.violating ? VIOLATING : TEXT, code)
  const dst = String(13000000000 + i)
  const registered_delivery = kind.receipt ? 1 : 0
  const base = { source_addr: '10690001', destination_addr: dst, data_coding: 8, registered_delivery }
  if (kind.violating) violatingSent++
  if (kind.receipt) receiptsAsked++
  if (!kind.long) return [{ pdu: encodeSubmitSm(0, { ...base, short_message: ucs2(body) }), last: true, receipt: kind.receipt, violating: kind.violating }]
  const parts = 2 + (i % 2)
  const ref = (i + SALT) & 0xffff
  // pipeline alternates UDH (8-bit reference) and SAR parts: both paths of the reassembler carry load.
  const udh = MIX === 'pipeline' && (i & 2) === 0
  return Array.from({ length: parts }, (_, k) => {
    const text = ucs2(body.slice(0, 67))
    const pdu = udh
      ? encodeSubmitSm(0, {
          ...base,
          esm_class: EsmClass.UDHI,
          short_message: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref & 0xff, parts, k + 1]), text]),
        })
      : encodeSubmitSm(0, {
          ...base,
          short_message: text,
          tlvs: [uintTlv(Tag.sar_msg_ref_num, ref, 2), uintTlv(Tag.sar_total_segments, parts, 1), uintTlv(Tag.sar_segment_seqnum, k + 1, 1)],
        })
    return { pdu, last: k === parts - 1, receipt: kind.receipt, violating: false }
  })
}

const latencies: number[] = []
let sent = 0
let pdusSent = 0
let ok = 0
let failed = 0
let receipts = 0
let receiptsExpected = 0
let messagesDone = 0
let messagesRejected = 0
let violatingRejected = 0
let first = 0
let last = 0
let done = false
const sockets: net.Socket[] = []
const pumps: (() => void)[] = []

function finish(): void {
  if (done) return
  done = true
  latencies.sort((a, b) => a - b)
  const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : 0)
  const elapsed = (last - first) / 1000
  console.log(
    JSON.stringify({
      sent,
      ok,
      failed,
      receipts,
      receipts_asked: receiptsAsked,
      receipts_expected: receiptsExpected,
      messages_done: messagesDone,
      messages_rejected: messagesRejected,
      violating_sent: violatingSent,
      violating_rejected: violatingRejected,
      elapsed_s: elapsed,
      msgs_per_s: elapsed > 0 ? ok / elapsed : 0,
      messages_per_s: elapsed > 0 ? messagesDone / elapsed : 0,
      p50_ms: q(0.5),
      p90_ms: q(0.9),
      p99_ms: q(0.99),
      p999_ms: q(0.999),
    }),
  )
  for (const s of sockets) s.destroy()
  process.exit(0)
}

setTimeout(finish, MAX_MS).unref()

function isComplete(): boolean {
  return sent >= COUNT && ok + failed === pdusSent && (!RECEIPTS || receipts >= receiptsExpected)
}

const ASKED = 1
const LAST = 2
const VIOLATING_FLAG = 4

function session(): void {
  const socket = net.connect({ host: '127.0.0.1', port: Number(port) })
  sockets.push(socket)
  socket.setNoDelay(true)
  const sendTimes = new Float64Array(1 << 16)
  const flags = new Uint8Array(1 << 16)
  const perSessionRate = RATE / SESSIONS
  let seq = 1
  let inFlight = 0
  let bound = false
  let boundAt = 0
  let mine = 0
  let queue: Outgoing[] = []

  function pump(): void {
    if (!bound) return
    const allowance = RATE > 0 ? Math.floor((perSessionRate * (performance.now() - boundAt)) / 1000) - mine : Infinity
    let started = 0
    const batch: Buffer[] = []
    while (inFlight < WINDOW && (queue.length > 0 || (sent < COUNT && started < allowance))) {
      if (queue.length === 0) {
        queue = nextMessage()
        sent++
        mine++
        started++
      }
      const out = queue.shift() as Outgoing
      seq = seq >= 0x7fffffff ? 1 : seq + 1
      writeSequence(out.pdu, seq)
      sendTimes[seq & 0xffff] = performance.now()
      flags[seq & 0xffff] = (out.receipt ? ASKED : 0) | (out.last ? LAST : 0) | (out.violating ? VIOLATING_FLAG : 0)
      if (first === 0) first = Date.now()
      inFlight++
      pdusSent++
      batch.push(out.pdu)
    }
    if (batch.length > 0) socket.write(batch.length === 1 ? batch[0] : Buffer.concat(batch))
  }
  pumps.push(pump)

  const framer = new Framer({
    onFrame(pdu) {
      const id = readCommandId(pdu)
      const s = readSequence(pdu)
      if (id === CommandId.submit_sm_resp) {
        inFlight--
        latencies.push(performance.now() - sendTimes[s & 0xffff])
        const f = flags[s & 0xffff]
        const status = readCommandStatus(pdu)
        if (status === 0) {
          ok++
          if (f & ASKED) receiptsExpected++
        } else {
          failed++
          if (f & LAST) messagesRejected++
          if (f & VIOLATING_FLAG) violatingRejected++
        }
        if (f & LAST) messagesDone++
        last = Date.now()
      } else if (id === CommandId.deliver_sm) {
        receipts++
        socket.write(encodeDeliverSmResp(0, s))
      } else if ((id >>> 0) === CommandId.bind_transceiver_resp) {
        bound = readCommandStatus(pdu) === 0
        boundAt = performance.now()
        if (!bound) {
          console.error(`bind refused 0x${readCommandStatus(pdu).toString(16)}`)
          process.exit(3)
        }
      }
    },
    onOversized() {},
    onMalformed() {
      socket.destroy()
    },
  })
  socket.on('data', (chunk: Buffer) => {
    framer.push(chunk)
    pump()
    if (isComplete()) finish()
  })
  socket.on('connect', () => socket.write(encodeBind(CommandId.bind_transceiver, 1, { system_id: systemId, password })))
  socket.on('error', (err) => {
    console.error(err.message)
    process.exit(4)
  })
}

// A steady rate needs a clock that sends without waiting for responses; the schedule is cumulative, so a
// late tick sends what it owes and the average rate holds.
if (RATE > 0) {
  const tick = setInterval(() => {
    for (const p of pumps) p()
    if (sent >= COUNT) clearInterval(tick)
  }, 1)
}

for (let i = 0; i < SESSIONS; i++) session()
