// A fast carrier for benchmarks: accepts any bind, answers submit_sm with a counter id, optionally sends one
// delivery receipt per accepted message. Parses only the header (plus registered_delivery when receipts
// are on). usage: raw-sink.ts PORT RECEIPTS(0|1) — prints {"port": N} once listening.
import net from 'node:net'
import { CommandId, EsmClass, Tag } from '../../../src/smpp/constants.js'
import { Framer } from '../../../src/smpp/framer.js'
import { encodeBindResp, encodeSubmitSmResp, encodeEnquireLinkResp, encodeDeliverSm, cstringTlv } from '../../../src/smpp/encode.js'
import { readCommandId, readSequence } from '../../../src/smpp/header.js'
import { readSubmitSm } from '../../../src/smpp/pdu.js'

const [portArg, receiptsArg] = process.argv.slice(2)
const RECEIPTS = receiptsArg === '1'
let nextId = 1

const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  let out: Buffer[] = []
  let seq = 0
  const framer = new Framer({
    onFrame(pdu) {
      const id = readCommandId(pdu)
      const s = readSequence(pdu)
      if (id === CommandId.submit_sm) {
        const mid = (nextId++).toString(16)
        out.push(encodeSubmitSmResp(0, s, mid))
        if (RECEIPTS) {
          const f = readSubmitSm(pdu)
          if (f.ok && (f.registered_delivery & 1) === 1) {
            seq++
            const text = `id:${mid} sub:001 dlvrd:001 submit date:2611290000 done date:2611290000 stat:DELIVRD err:000 text:`
            out.push(
              encodeDeliverSm(seq, {
                source_addr: f.destination_addr,
                destination_addr: f.source_addr,
                esm_class: EsmClass.DELIVERY_RECEIPT,
                short_message: Buffer.from(text, 'latin1'),
                tlvs: [cstringTlv(Tag.receipted_message_id, mid)],
              }),
            )
          }
        }
      } else if (id === CommandId.bind_transceiver || id === CommandId.bind_transmitter || id === CommandId.bind_receiver) {
        out.push(encodeBindResp(id, 0, s, 'sink'))
      } else if (id === CommandId.enquire_link) {
        out.push(encodeEnquireLinkResp(s))
      } else if (id === CommandId.unbind) {
        socket.end()
      }
    },
    onOversized() {},
    onMalformed() {
      socket.destroy()
    },
  })
  socket.on('data', (chunk: Buffer) => {
    out = []
    framer.push(chunk)
    if (out.length) socket.write(out.length === 1 ? out[0] : Buffer.concat(out))
  })
  socket.on('error', () => {})
})
server.listen(Number(portArg), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as net.AddressInfo).port }))
})
process.on('SIGTERM', () => process.exit(0))
