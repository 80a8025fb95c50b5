// What one connection writes while a socket read is handled (or, per turn, while every read of one turn of
// the event loop is), handed to the socket as one buffer once that handling is done. Corking gave one writev
// per read too, but of one iovec per PDU plus a Writable entry per write: on loopback a single 10 KB write
// cost the kernel 7 µs where a 60-iovec writev of it cost 12.5 µs, and the upstream writev was a sixth of the
// proxy's CPU at window 500 (NOTES §1: batch writes per chunk).
import type { Socket } from 'node:net'

export class WriteBatch {
  readonly #socket: Socket
  readonly #onFull: () => void
  #parts: Buffer[] = []
  #bytes = 0
  #scheduled = false
  readonly #perTurn: boolean

  /**
   * `onFull`: a flush found the socket's buffer full (`write` returned false); 'drain' follows.
   * `perTurn`: flush once the event loop has handled every socket read of this turn rather than at the end
   * of this one, so what several reads send to this socket goes out in one write (the carrier side, where
   * the reads of many client sessions meet).
   */
  constructor(socket: Socket, onFull: () => void, perTurn = false) {
    this.#socket = socket
    this.#onFull = onFull
    this.#perTurn = perTurn
  }

  /** Queues `buf` for the flush at the end of this tick (or of this turn of the event loop). */
  write(buf: Buffer): void {
    this.#parts.push(buf)
    this.#bytes += buf.length
    if (!this.#scheduled) {
      this.#scheduled = true
      if (this.#perTurn) setImmediate(flushBatch, this)
      else process.nextTick(flushBatch, this)
    }
  }

  /** Bytes not yet on the wire: queued here or held by the socket. */
  get unwritten(): number {
    return this.#socket.writableLength + this.#bytes
  }

  /** Hands what is queued to the socket now (before `end()`, which must come after it). */
  flush(): void {
    const parts = this.#parts
    if (parts.length === 0) return
    const socket = this.#socket
    const bytes = this.#bytes
    this.#parts = []
    this.#bytes = 0
    if (socket.destroyed || socket.writableEnded) return
    if (!socket.write(parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes))) this.#onFull()
  }

  /** @internal the scheduled flush */
  scheduledFlush(): void {
    this.#scheduled = false
    this.flush()
  }
}

function flushBatch(b: WriteBatch): void {
  b.scheduledFlush()
}
