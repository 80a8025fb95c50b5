import { z } from 'zod'

export const FailModeSchema = z.enum(['open', 'closed'])

export const MemoryStateSchema = z.strictObject({
  backend: z.literal('memory'),
  /** Most rate-limit counters held. A counter leaves once its windows end; over this cap the oldest goes first. */
  max_counters: z.number().int().min(1000).default(1_000_000),
  /**
   * Append-only file (relative to the config file) that keeps sets and values — opt-outs, suspensions —
   * across restarts. Empty keeps them in memory only. Counters are never written: they are short-lived.
   */
  journal: z.string().default(''),
})

export const RedisStateSchema = z.strictObject({
  backend: z.literal('redis'),
  url: z.string().default('redis://127.0.0.1:6379'),
  /** Prefix of every key, so several deployments can share one Redis. */
  key_prefix: z.string().default('sg:'),
  /** A command without an answer after this long fails, and the stage applies its fail mode. */
  command_timeout_ms: z.number().int().min(1).default(100),
  connect_timeout_ms: z.number().int().min(1).default(2000),
  max_retries_per_request: z.number().int().min(0).default(1),
  /** Cap of the reconnect backoff while Redis is away. */
  reconnect_max_ms: z.number().int().min(10).default(1000),
})

export const StateSchema = z.discriminatedUnion('backend', [MemoryStateSchema, RedisStateSchema])
export type StateConfig = z.infer<typeof StateSchema>
export type MemoryStateConfig = z.infer<typeof MemoryStateSchema>
export type RedisStateConfig = z.infer<typeof RedisStateSchema>
