// The state interface policy stages and the proxy see; `memory.ts` and `redis.ts` implement it and both pass
// test/state/contract.ts. Nothing outside src/state knows which backend is in use.

/** What a stage does when the backend cannot answer: let the message through, or stop it. */
export type FailMode = 'open' | 'closed'

/**
 * A cap counted in fixed windows: `window_ms` long, aligned to the epoch shifted by the request's
 * `offset_ms` (so a day window starts at local midnight). Fixed windows cost one counter per key instead of
 * a log of timestamps; the price is that up to twice the limit can pass around a window boundary.
 */
export interface WindowCap {
  readonly key: string
  readonly window_ms: number
  readonly limit: number
}

/** Token bucket: `rate` tokens per second, at most `burst` stored; one message takes one token. */
export interface TokenBucket {
  readonly key: string
  readonly rate: number
  readonly burst: number
}

export interface ConsumeRequest {
  /** Epoch ms of the message (the injected clock), so every instance and every test sees the same windows. */
  readonly now: number
  /** Added to `now` before windows are cut: the time zone's UTC offset. */
  readonly offset_ms: number
  readonly bucket?: TokenBucket
  readonly caps: readonly WindowCap[]
}

/**
 * All or nothing: either the bucket gives a token and every cap has room, and all of them are counted, or
 * nothing changes and `failed` names the first refusal (`'bucket'` or the index in `caps`). A message
 * stopped by one cap must not use up the others.
 */
export type ConsumeResult = { readonly ok: true } | { readonly ok: false; readonly failed: 'bucket' | number }

/**
 * `has` and `consume` answered on the caller's thread, offered by a backend that holds its data in-process
 * (memory): a stage that uses it gives its verdict synchronously, with no promise and no microtask of its
 * own. Each method throws where its promise form would reject.
 */
export interface SyncState {
  has(set: string, member: string): boolean
  consume(req: ConsumeRequest): ConsumeResult
}

export interface State {
  readonly backend: 'memory' | 'redis'
  /** Present when the backend can answer synchronously (memory); absent for Redis. */
  readonly sync?: SyncState
  /** Resolves once the backend can answer (Redis connected); rejects when it cannot within its timeout. */
  ready(): Promise<void>

  /** Set membership (opt-out lists, suspensions). Sets are never evicted. */
  has(set: string, member: string): Promise<boolean>
  add(set: string, member: string): Promise<void>
  remove(set: string, member: string): Promise<boolean>
  /** Up to `limit` members, sorted. */
  members(set: string, limit?: number): Promise<string[]>
  size(set: string): Promise<number>

  /** Small persistent values (suspension records). */
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<void>
  del(key: string): Promise<boolean>

  /** One atomic check-and-count for every limit of one message: one round trip on Redis. */
  consume(req: ConsumeRequest): Promise<ConsumeResult>
  /** Adds `by` to a fixed-window counter and returns the window's new total. */
  incr(key: string, window_ms: number, now: number, by?: number, offset_ms?: number): Promise<number>
  /** Zeroes the current window of a counter. */
  resetCounter(key: string, window_ms: number, now: number, offset_ms?: number): Promise<void>

  /**
   * A stage tells the backend it could not get an answer and applied `fail_mode`: counts
   * `smpp_guard_state_errors_total{stage, fail_mode}` and logs the first failure of an outage (then at most
   * one line per interval), so an outage is visible without a log line per message.
   */
  reportFailure(stage: string, fail_mode: FailMode, err: unknown): void

  close(): Promise<void>
  destroy(err?: Error): void
}

/** Which fixed window `now` falls in. Both backends cut windows with this one function. */
export function windowIndex(now: number, window_ms: number, offset_ms: number): number {
  return Math.floor((now + offset_ms) / window_ms)
}
