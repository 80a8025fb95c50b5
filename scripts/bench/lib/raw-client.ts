// A fast ESME for benchmarks: pre-encoded submit_sm, a fixed window per session, batched writes, latency
// per message from a send-time ring indexed by sequence number. Prints one JSON result line and exits.
// usage: raw-client.ts PORT SYSTEM_ID PASSWORD SESSIONS WINDOW COUNT MAX_SECONDS [RECEIPTS(0|1)] [MIX(single|long)]
import net from 'node:net'
import { CommandId } from '../../../src/smpp/constants.js'
import { Framer } from '../../../src/smpp/framer.js'
import { encodeBind, encodeSubmitSm, encodeDeliverSmResp, uintTlv } from '../../../src/smpp/encode.js'
import { readCommandId, readCommandStatus, readSequence, writeSequence } from '../../../src/smpp/header.js'
import { Tag } from '../../../src/smpp/constants.js'

const [port, systemId, password, sessionsArg, windowArg, countArg, maxSecArg, receiptsArg, mixArg] = process.argv.slice(2)
const SESSIONS = Number(sessionsArg)
const WINDOW = Number(windowArg)
const COUNT = Number(countArg)
const MAX_MS = Number(maxSecArg) * 1000
const RECEIPTS = receiptsArg === '1'
const LONG_SHARE = mixArg === 'long' ? 0.3 : 0

/** 70 UCS2 characters: a full single-part Chinese SMS. */
const TEXT = '【示例科技】您的验证码是{code}，5分钟内有效，请勿泄露给他人。如非本人操作请忽略本短信，谢谢您的支持与配合！'
function ucs2(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16()
}

let msgNo = 0
/** Next message as one or more submit_sm PDUs (a long one as 2–3 SAR parts). */
function nextMessage(): Buffer[] {
  const i = msgNo++
  const body = TEXT.replace('{code}', String(100000 + (i % 900000))).padEnd(70, '。').slice(0, 70)
  const dst = String(13000000000 + i)
  const base = { source_addr: '10690001', destination_addr: dst, data_coding: 8, registered_delivery: RECEIPTS ? 1 : 0 }
  if (LONG_SHARE === 0 || (i * 7919) % 100 >= LONG_SHARE * 100) return [encodeSubmitSm(0, { ...base, short_message: ucs2(body) })]
  const parts = 2 + (i % 2)
  const ref = i & 0xffff
  return Array.from({ length: parts }, (_, k) =>
    encodeSubmitSm(0, {
      ...base,
      short_message: ucs2(body.slice(0, 67)),
      tlvs: [uintTlv(Tag.sar_msg_ref_num, ref, 2), uintTlv(Tag.sar_total_segments, parts, 1), uintTlv(Tag.sar_segment_seqnum, k + 1, 1)],
    }),
  )
}

const latencies: number[] = []
let sent = 0
let pdusSent = 0
let ok = 0
let failed = 0
let receipts = 0
let first = 0
let last = 0
const started = Date.now()
let done = false
const sockets: net.Socket[] = []

function finish(): void {
  if (done) return
  done = true
  latencies.sort((a, b) => a - b)
  const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : 0)
  const elapsed = (last - first) / 1000
  console.log(
    JSON.stringify({ sent, ok, failed, receipts, elapsed_s: elapsed, msgs_per_s: elapsed > 0 ? ok / elapsed : 0, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), p999_ms: q(0.999) }),
  )
  for (const s of sockets) s.destroy()
  process.exit(0)
}

setTimeout(finish, MAX_MS).unref()

function session(): void {
  const socket = net.connect({ host: '127.0.0.1', port: Number(port) })
  sockets.push(socket)
  socket.setNoDelay(true)
  const sendTimes = new Float64Array(1 << 16)
  let seq = 1
  let inFlight = 0
  let bound = false
  let queue: Buffer[] = []

  function pump(): void {
    if (!bound) return
    const batch: Buffer[] = []
    while (inFlight < WINDOW && (queue.length > 0 || sent < COUNT)) {
      if (queue.length === 0) {
        queue = nextMessage()
        sent++
      }
      const pdu = queue.shift() as Buffer
      seq = seq >= 0x7fffffff ? 1 : seq + 1
      writeSequence(pdu, seq)
      sendTimes[seq & 0xffff] = performance.now()
      if (first === 0) first = Date.now()
      inFlight++
      pdusSent++
      batch.push(pdu)
    }
    if (batch.length > 0) socket.write(batch.length === 1 ? batch[0] : Buffer.concat(batch))
  }

  const framer = new Framer({
    onFrame(pdu) {
      const id = readCommandId(pdu)
      const s = readSequence(pdu)
      if (id === CommandId.submit_sm_resp) {
        inFlight--
        latencies.push(performance.now() - sendTimes[s & 0xffff])
        if (readCommandStatus(pdu) === 0) ok++
        else failed++
        last = Date.now()
      } else if (id === CommandId.deliver_sm) {
        receipts++
        socket.write(encodeDeliverSmResp(0, s))
      } else if ((id >>> 0) === CommandId.bind_transceiver_resp) {
        bound = readCommandStatus(pdu) === 0
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
    if (sent >= COUNT && ok + failed === pdusSent && (!RECEIPTS || receipts >= ok)) finish()
  })
  socket.on('connect', () => socket.write(encodeBind(CommandId.bind_transceiver, 1, { system_id: systemId, password })))
  socket.on('error', (err) => {
    console.error(err.message)
    process.exit(4)
  })
}

for (let i = 0; i < SESSIONS; i++) session()
