// The spool's record frame, also what a sink may take a batch as: u32 BE payload length, u32 BE
// crc32(payload), payload (the record's JSON in UTF-8). Frames lie back to back.
import { crc32 } from 'node:zlib'

export const FRAME_HEADER = 8

/** Bytes `json`'s frame can take at most (3 UTF-8 bytes per UTF-16 unit), to write it before its size is known. */
export const maxFrameBytes = (json: string): number => FRAME_HEADER + 3 * json.length

/** Writes `json`'s frame at `offset`, where `buf` has `maxFrameBytes(json)` of room; returns the frame's size. */
export function writeFrame(buf: Buffer, offset: number, json: string): number {
  const len = buf.write(json, offset + FRAME_HEADER, 'utf8')
  buf.writeUInt32BE(len, offset)
  buf.writeUInt32BE(crc32(buf.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + len)), offset + 4)
  return FRAME_HEADER + len
}

export function frame(json: string): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER + Buffer.byteLength(json))
  writeFrame(buf, 0, json)
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
