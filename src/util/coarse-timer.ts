// One unref'd ~500 ms tick drives every long timeout (undici's lib/util/timers.js idea): response,
// reassembly, id-map expiry and keepalives cost one interval, not one setTimeout per PDU. The interval
// runs only while someone is subscribed.

export type TickFn = (now: number) => void

export class CoarseTimer {
  readonly #intervalMs: number
  readonly #subscribers = new Set<TickFn>()
  #handle: NodeJS.Timeout | null = null

  constructor(intervalMs = 500) {
    this.#intervalMs = intervalMs
  }

  /** Subscribes `fn`; returns the function that unsubscribes it. */
  add(fn: TickFn): () => void {
    this.#subscribers.add(fn)
    if (this.#handle === null) {
      this.#handle = setInterval(() => this.#tick(), this.#intervalMs)
      this.#handle.unref()
    }
    return () => this.#remove(fn)
  }

  #remove(fn: TickFn): void {
    this.#subscribers.delete(fn)
    if (this.#subscribers.size === 0 && this.#handle !== null) {
      clearInterval(this.#handle)
      this.#handle = null
    }
  }

  #tick(): void {
    const now = Date.now()
    for (const fn of this.#subscribers) fn(now)
  }
}

/** The process-wide instance; tests may construct their own with a shorter interval. */
export const coarseTimer = new CoarseTimer()
