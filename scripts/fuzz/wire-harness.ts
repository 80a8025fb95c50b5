// Feeds PDUs through the framer in the given chunk sizes and runs the reader each command id selects.
// Anything thrown is a bug: peer input must come back as `{ ok: false, status }`.
import { CommandId } from '../../src/smpp/constants.js'
import { Framer } from '../../src/smpp/framer.js'
import { readCommandId } from '../../src/smpp/header.js'
import { readBind, readBindResp, readDataSm, readDeliverSm, readSubmitSm, readSubmitSmResp } from '../../src/smpp/pdu.js'

const READERS: Record<number, (pdu: Buffer) => unknown> = {
  [CommandId.bind_transceiver]: readBind,
  [CommandId.bind_transmitter]: readBind,
  [CommandId.bind_receiver]: readBind,
  [CommandId.bind_transceiver_resp]: readBindResp,
  [CommandId.submit_sm]: readSubmitSm,
  [CommandId.deliver_sm]: readDeliverSm,
  [CommandId.data_sm]: readDataSm,
  [CommandId.submit_sm_resp]: readSubmitSmResp,
}

/** Runs the reader for the PDU's command id on it as it is, whatever its command_length says. */
export function readDirect(pdu: Buffer): void {
  if (pdu.length >= 16) READERS[readCommandId(pdu)]?.(pdu)
}

export interface FuzzResult {
  frames: number
  oversized: number
  malformed: boolean
  maxBuffered: number
}

export function fuzzStream(pdus: readonly Buffer[], cuts: readonly number[]): FuzzResult {
  const r: FuzzResult = { frames: 0, oversized: 0, malformed: false, maxBuffered: 0 }
  const framer = new Framer({
    onFrame(pdu) {
      r.frames++
      READERS[readCommandId(pdu)]?.(pdu)
    },
    onOversized() {
      r.oversized++
    },
    onMalformed() {
      r.malformed = true
    },
  })
  const stream = Buffer.concat(pdus)
  let off = 0
  let k = 0
  while (off < stream.length && !r.malformed) {
    const n = cuts[k++ % cuts.length]
    framer.push(stream.subarray(off, off + n))
    off += n
    if (framer.buffered > r.maxBuffered) r.maxBuffered = framer.buffered
  }
  return r
}
