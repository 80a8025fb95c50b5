// Reconnect delay as a pure function of the attempt number (ioredis `retryStrategy`): exponential from
// `min_ms`, capped at `max_ms`, with "equal jitter" so a fleet of binds that lost the carrier together does
// not come back in lockstep, yet never retries sooner than half the nominal delay.

export interface BackoffConfig {
  readonly reconnect_min_ms: number
  readonly reconnect_max_ms: number
}

export type Backoff = (attempt: number) => number

export function createBackoff(cfg: BackoffConfig, random: () => number = Math.random): Backoff {
  const min = Math.max(1, cfg.reconnect_min_ms)
  const max = Math.max(min, cfg.reconnect_max_ms)
  return (attempt) => {
    // 2^31 already exceeds any sane cap; clamping the exponent keeps the product finite.
    const nominal = Math.min(max, min * 2 ** Math.min(Math.max(0, attempt), 31))
    const half = nominal / 2
    return Math.round(half + random() * half)
  }
}
