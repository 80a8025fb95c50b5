// Cuts a TCP byte stream into whole PDUs, whatever the chunking. The length is judged before anything is
// buffered (go-smpp's header check): an oversized PDU is reported and its bytes skipped without being
// held, so the stream stays in sync; a length under the header size leaves no way to find the next
// PDU, so the caller must close.
import { HEADER_LENGTH, MAX_PDU_LENGTH } from './constants.js'

export interface OversizedHeader {
  readonly command_length: number
  readonly command_id: number
  readonly sequence_number: number
}

export interface FrameSink {
  /**
   * A whole PDU, header included. Usually a view into the pushed chunk (zero copy): it is valid only
   * until `push` returns, and retains the chunk, so copy it (`Buffer.from`) before holding it longer.
   */
  onFrame(pdu: Buffer): void
  onOversized(header: OversizedHeader): void
  onMalformed(reason: 'length_too_short'): void
}

export class Framer {
  readonly #sink: FrameSink
  readonly #max: number
  /** First bytes of a PDU whose 16-byte header is not complete yet. */
  readonly #head = Buffer.allocUnsafe(HEADER_LENGTH)
  #headLength = 0
  /** A PDU longer than what has arrived so far, allocated once at its final size. */
  #frame: Buffer | null = null
  #filled = 0
  #skip = 0
  #dead = false

  constructor(sink: FrameSink, maxLength: number = MAX_PDU_LENGTH) {
    this.#sink = sink
    this.#max = maxLength
  }

  /** Bytes held for an incomplete PDU (bounded by the max PDU length). */
  get buffered(): number {
    return this.#headLength + this.#filled
  }

  push(chunk: Buffer): void {
    let off = 0
    const end = chunk.length
    while (off < end && !this.#dead) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, end - off)
        this.#skip -= n
        off += n
      } else if (this.#frame !== null) {
        off += this.#fill(chunk, off)
      } else if (this.#headLength > 0 || end - off < HEADER_LENGTH) {
        const n = Math.min(HEADER_LENGTH - this.#headLength, end - off)
        chunk.copy(this.#head, this.#headLength, off, off + n)
        this.#headLength += n
        off += n
        if (this.#headLength === HEADER_LENGTH) {
          this.#headLength = 0
          this.#startFrame(this.#head, 0, 0)
        }
      } else {
        off = this.#startFrame(chunk, off, end - off)
      }
    }
  }

  /** Judges the header at `buf[off]`; `available` bytes of the PDU are in `buf` (0 when only the header copy). */
  #startFrame(buf: Buffer, off: number, available: number): number {
    const length = buf.readUInt32BE(off)
    if (length < HEADER_LENGTH) {
      this.#dead = true
      this.#sink.onMalformed('length_too_short')
      return off + available
    }
    if (length > this.#max) {
      this.#sink.onOversized({
        command_length: length,
        command_id: buf.readUInt32BE(off + 4),
        sequence_number: buf.readUInt32BE(off + 12),
      })
      const consumed = available === 0 ? HEADER_LENGTH : Math.min(length, available)
      this.#skip = length - consumed
      return off + (available === 0 ? 0 : consumed)
    }
    if (available >= length) {
      this.#sink.onFrame(buf.subarray(off, off + length))
      return off + length
    }
    const frame = Buffer.allocUnsafe(length)
    if (available === 0) {
      buf.copy(frame, 0, 0, HEADER_LENGTH)
      this.#filled = HEADER_LENGTH
    } else {
      buf.copy(frame, 0, off, off + available)
      this.#filled = available
    }
    this.#frame = frame
    if (this.#filled === length) this.#emitFrame()
    return off + available
  }

  #fill(chunk: Buffer, off: number): number {
    const frame = this.#frame as Buffer
    const n = Math.min(frame.length - this.#filled, chunk.length - off)
    chunk.copy(frame, this.#filled, off, off + n)
    this.#filled += n
    if (this.#filled === frame.length) this.#emitFrame()
    return n
  }

  #emitFrame(): void {
    const frame = this.#frame as Buffer
    this.#frame = null
    this.#filled = 0
    this.#sink.onFrame(frame)
  }
}
