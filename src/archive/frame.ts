// The spool's record frame, also what a sink may take a batch as: u32 BE payload length, u32 BE
// crc32(payload), payload (the record's JSON in UTF-8). Frames lie back to back.
import { crc32 } from 'node:zlib'

export const FRAME_HEADER = 8

export function frame(json: string): Buffer {
  const len = Buffer.byteLength(json)
  const buf = Buffer.allocUnsafe(FRAME_HEADER + len)
  buf.writeUInt32BE(len, 0)
  buf.write(json, FRAME_HEADER, 'utf8')
  buf.writeUInt32BE(crc32(buf.subarray(FRAME_HEADER)), 4)
  return buf
}

/** The payloads of frames lying back to back in `frames`, as views of it; the spool checked their CRCs. */
export function framePayloads(frames: Buffer): Buffer[] {
  const out: Buffer[] = []
  let off = 0
  while (off < frames.length) {
    const end = off + FRAME_HEADER <= frames.length ? off + FRAME_HEADER + frames.readUInt32BE(off) : Infinity
    if (end > frames.length) throw new RangeError(`torn frame at byte ${off} of ${frames.length}`)
    out.push(frames.subarray(off + FRAME_HEADER, end))
    off = end
  }
  return out
}
