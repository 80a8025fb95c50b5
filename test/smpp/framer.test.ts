import t from 'tap'
import fc from 'fast-check'
import { Framer, type FrameSink, type OversizedHeader } from '../../src/smpp/framer.js'
import { encodeEnquireLink, encodeSubmitSm } from '../../src/smpp/encode.js'

function collect(max?: number) {
  const frames: Buffer[] = []
  const oversized: OversizedHeader[] = []
  const malformed: string[] = []
  const sink: FrameSink = {
    onFrame: (pdu) => frames.push(Buffer.from(pdu)),
    onOversized: (h) => oversized.push(h),
    onMalformed: (r) => malformed.push(r),
  }
  return { framer: new Framer(sink, max), frames, oversized, malformed }
}

function pduOf(i: number, textLen: number): Buffer {
  return encodeSubmitSm(i + 1, { source_addr: '1069', destination_addr: '13800138000', short_message: Buffer.alloc(textLen, i) })
}

t.test('any chunking of a stream yields the same PDUs', async (t) => {
  await fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 30 }),
      (lengths, cuts) => {
        const pdus = lengths.map((n, i) => pduOf(i, n))
        const stream = Buffer.concat(pdus)
        const { framer, frames } = collect()
        let off = 0
        let k = 0
        while (off < stream.length) {
          const n = cuts[k++ % cuts.length]
          framer.push(stream.subarray(off, off + n))
          off += n
        }
        return frames.length === pdus.length && frames.every((f, i) => f.equals(pdus[i])) && framer.buffered === 0
      },
    ),
  )
})

t.test('oversized PDU is reported and skipped without buffering; the stream stays in sync', async (t) => {
  const { framer, frames, oversized } = collect(1024)
  const big = Buffer.alloc(5000)
  big.writeUInt32BE(5000, 0)
  big.writeUInt32BE(4, 4)
  big.writeUInt32BE(77, 12)
  const after = encodeEnquireLink(78)
  const stream = Buffer.concat([big, after])
  for (let off = 0; off < stream.length; off += 700) {
    framer.push(stream.subarray(off, off + 700))
    t.ok(framer.buffered <= 1024, 'never holds the oversized body')
  }
  t.same(oversized, [{ command_length: 5000, command_id: 4, sequence_number: 77 }])
  t.equal(frames.length, 1)
  t.ok(frames[0].equals(after))
})

t.test('oversized header split across chunks', async (t) => {
  const { framer, frames, oversized } = collect(100)
  const big = Buffer.alloc(300)
  big.writeUInt32BE(300, 0)
  big.writeUInt32BE(21, 4)
  big.writeUInt32BE(5, 12)
  const stream = Buffer.concat([big, encodeEnquireLink(6)])
  framer.push(stream.subarray(0, 7))
  framer.push(stream.subarray(7, 50))
  framer.push(stream.subarray(50))
  t.equal(oversized.length, 1)
  t.equal(frames.length, 1)
})

t.test('command_length under 16 is malformed and stops the framer', async (t) => {
  const { framer, frames, malformed } = collect()
  const bad = Buffer.alloc(16)
  bad.writeUInt32BE(8, 0)
  framer.push(Buffer.concat([bad, encodeEnquireLink(1)]))
  t.same(malformed, ['length_too_short'])
  t.equal(frames.length, 0)
})
