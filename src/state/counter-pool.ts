// The memory state's rate-limit counters, kept in typed arrays. A counter entry is an id into these arrays:
// when each was a number[] (an array object and its backing store) a full store of 1,000,000 counters was two
// million objects for every full garbage collection to mark, and a proxy whose counters had filled up spent
// 57 → 77 µs per message over five rounds of the pipeline benchmark (flat at 58 with 50,000 counters). Here
// the collector sees a handful of arrays, whatever the number of counters.
import { grown } from '../util/grown.js'

/** Where an entry's window triples start in `slots`: [window_ms, window index, count] each. */
export type SlotPos = number

export class CounterPool {
  #capacity: number
  /** Windows an entry has room for; grows (the whole pool is laid out again) when a key needs more. */
  #width: number
  #ends: Float64Array
  #used: Uint8Array
  #slots: Float64Array
  #free: Int32Array
  #freeTop = 0
  /** Entries ever handed out: ids below it are live or in `free`. */
  #next = 0

  constructor(capacity = 1024, width = 3) {
    this.#capacity = capacity
    this.#width = width
    this.#ends = new Float64Array(capacity)
    this.#used = new Uint8Array(capacity)
    this.#slots = new Float64Array(capacity * width * 3)
    this.#free = new Int32Array(capacity)
  }

  /** Ids handed out so far: every id below it is live or released. */
  get size(): number {
    return this.#next
  }

  /** A new entry without windows, its end at -Infinity. */
  alloc(): number {
    let e: number
    if (this.#freeTop > 0) e = this.#free[--this.#freeTop]
    else {
      if (this.#next === this.#capacity) this.#layout(this.#capacity * 2, this.#width)
      e = this.#next++
    }
    this.#ends[e] = -Infinity
    this.#used[e] = 0
    return e
  }

  release(e: number): void {
    this.#free[this.#freeTop++] = e
  }

  /** When the last window of entry `e` ends. */
  end(e: number): number {
    return this.#ends[e]
  }

  /** Raises the end of entry `e` to `t` if later. */
  extend(e: number, t: number): void {
    if (t > this.#ends[e]) this.#ends[e] = t
  }

  /** The triple of entry `e` for windows of `window_ms`, or -1. */
  find(e: number, window_ms: number): SlotPos {
    const base = e * this.#width * 3
    const end = base + this.#used[e] * 3
    for (let j = base; j < end; j += 3) if (this.#slots[j] === window_ms) return j
    return -1
  }

  /** Window index of the triple at `j`. */
  window(j: SlotPos): number {
    return this.#slots[j + 1]
  }

  count(j: SlotPos): number {
    return this.#slots[j + 2]
  }

  /** Sets the triple at `j` to window `w` with `count`. */
  set(j: SlotPos, w: number, count: number): void {
    this.#slots[j + 1] = w
    this.#slots[j + 2] = count
  }

  /** Adds `by` to the count of the triple at `j`; returns the new count. */
  add(j: SlotPos, by: number): number {
    return (this.#slots[j + 2] += by)
  }

  /** Gives entry `e` a triple for windows of `window_ms`; returns it. */
  append(e: number, window_ms: number, w: number, count: number): SlotPos {
    if (this.#used[e] === this.#width) this.#layout(this.#capacity, this.#width * 2)
    const j = (e * this.#width + this.#used[e]++) * 3
    this.#slots[j] = window_ms
    this.#slots[j + 1] = w
    this.#slots[j + 2] = count
    return j
  }

  /** Bytes the arrays hold. */
  get bytes(): number {
    return this.#ends.byteLength + this.#used.byteLength + this.#slots.byteLength + this.#free.byteLength
  }

  #layout(capacity: number, width: number): void {
    const slots = new Float64Array(capacity * width * 3)
    for (let e = 0; e < this.#next; e++) {
      const from = e * this.#width * 3
      slots.set(this.#slots.subarray(from, from + this.#used[e] * 3), e * width * 3)
    }
    if (capacity !== this.#capacity) {
      this.#ends = grown(this.#ends, capacity)
      this.#used = grown(this.#used, capacity)
      this.#free = grown(this.#free, capacity)
      this.#capacity = capacity
    }
    this.#slots = slots
    this.#width = width
  }
}
