// Where the memory state finds a counter: an open-addressing table from its key's 64-bit hash (hash64) to its
// CounterPool entry id, in typed arrays. A Map from key strings kept every key (~60 bytes of heap each, a
// million at `max_counters`) for the collector to mark and a lookup chased three pointers (bucket, entry, key)
// where this reads one slot: [hash low, hash high, id] side by side, one cache line. Two keys with the same
// 64 bits would share a counter: at a million counters the odds are about one in 30 million. It also keeps
// the order entries came in, so the oldest is evicted first over the cap.
import { grown } from '../util/grown.js'

const EMPTY = -1
const MIN_SLOTS = 1024
/** Int32s per slot: hash low, hash high, id (EMPTY when free). */
const SLOT = 3

export class CounterIndex {
  #mask = MIN_SLOTS - 1
  #slots = new Int32Array(MIN_SLOTS * SLOT).fill(EMPTY)
  #size = 0
  // By entry id: its hash's low half, where its probe starts when it is taken out by id (sweep, eviction),
  // and when it came in (0: not held), to tell its place in `#order` from a stale one.
  #idLo = new Int32Array(MIN_SLOTS)
  #born = new Float64Array(MIN_SLOTS)
  #clock = 0
  // Ids in the order they came in, from `#head`; places whose id was taken out (or came in again) since are
  // skipped when met, and dropped when they outnumber the held ones.
  #order = new Int32Array(MIN_SLOTS)
  #orderBorn = new Float64Array(MIN_SLOTS)
  #head = 0
  #tail = 0

  get size(): number {
    return this.#size
  }

  /** The id held under hash (lo, hi), or -1. */
  get(lo: number, hi: number): number {
    const slots = this.#slots
    for (let i = lo & this.#mask; ; i = (i + 1) & this.#mask) {
      const id = slots[i * SLOT + 2]
      if (id === EMPTY || (slots[i * SLOT] === lo && slots[i * SLOT + 1] === hi)) return id
    }
  }

  get #capacity(): number {
    return this.#mask + 1
  }

  /** Whether entry `id` is held. */
  holds(id: number): boolean {
    return id < this.#born.length && this.#born[id] !== 0
  }

  /** Holds entry `id` under hash (lo, hi), which must not be held yet. */
  add(lo: number, hi: number, id: number): void {
    if (2 * (this.#size + 1) > this.#capacity) this.#resize(this.#capacity * 2)
    this.#place(lo, hi, id)
    this.#size++
    if (id >= this.#born.length) this.#growIds(id + 1)
    this.#idLo[id] = lo
    const born = ++this.#clock
    this.#born[id] = born
    this.#enqueue(id, born)
  }

  /** Takes entry `id` out; one not held is left alone (its probe would find no slot to stop at). */
  delete(id: number): void {
    if (!this.holds(id)) return
    const mask = this.#mask
    const slots = this.#slots
    let i = this.#idLo[id] & mask
    while (slots[i * SLOT + 2] !== id) i = (i + 1) & mask
    // Backward-shift deletion: later slots of the probe run move up, so no tombstones pile up.
    for (let j = (i + 1) & mask; slots[j * SLOT + 2] !== EMPTY; j = (j + 1) & mask) {
      const home = slots[j * SLOT] & mask
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue
      slots[i * SLOT] = slots[j * SLOT]
      slots[i * SLOT + 1] = slots[j * SLOT + 1]
      slots[i * SLOT + 2] = slots[j * SLOT + 2]
      i = j
    }
    slots[i * SLOT + 2] = EMPTY
    this.#size--
    this.#born[id] = 0
    // Gives the table back as counters expire (a rehash of what is left, as a Map's shrink is).
    if (8 * this.#size < this.#capacity && this.#capacity > MIN_SLOTS) this.#resize(this.#capacity / 2)
    if (2 * this.#size < this.#tail - this.#head && this.#tail - this.#head > MIN_SLOTS) this.#compactOrder()
  }

  /** The id held longest, or -1 when none is. */
  oldest(): number {
    while (this.#head < this.#tail) {
      const id = this.#order[this.#head]
      if (this.#born[id] === this.#orderBorn[this.#head]) return id
      this.#head++
    }
    return EMPTY
  }

  #place(lo: number, hi: number, id: number): void {
    const slots = this.#slots
    let i = lo & this.#mask
    while (slots[i * SLOT + 2] !== EMPTY) i = (i + 1) & this.#mask
    slots[i * SLOT] = lo
    slots[i * SLOT + 1] = hi
    slots[i * SLOT + 2] = id
  }

  #resize(capacity: number): void {
    const old = this.#slots
    this.#mask = capacity - 1
    this.#slots = new Int32Array(capacity * SLOT).fill(EMPTY)
    for (let k = 0; k < old.length; k += SLOT) if (old[k + 2] !== EMPTY) this.#place(old[k], old[k + 1], old[k + 2])
  }

  #growIds(least: number): void {
    let n = this.#born.length
    while (n < least) n *= 2
    this.#idLo = grown(this.#idLo, n)
    this.#born = grown(this.#born, n)
  }

  #enqueue(id: number, born: number): void {
    if (this.#tail === this.#order.length) {
      this.#compactOrder()
      if (2 * this.#tail > this.#order.length) {
        this.#order = grown(this.#order, this.#order.length * 2)
        this.#orderBorn = grown(this.#orderBorn, this.#orderBorn.length * 2)
      }
    }
    this.#order[this.#tail] = id
    this.#orderBorn[this.#tail] = born
    this.#tail++
  }

  /** Keeps only the places of held ids, in order, from the start of the arrays. */
  #compactOrder(): void {
    let k = 0
    for (let p = this.#head; p < this.#tail; p++) {
      const id = this.#order[p]
      if (this.#born[id] !== this.#orderBorn[p]) continue
      this.#order[k] = id
      this.#orderBorn[k] = this.#orderBorn[p]
      k++
    }
    this.#head = 0
    this.#tail = k
  }
}
