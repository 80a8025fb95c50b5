// Shared state for several proxy instances. Every limit of one message is checked and counted by one Lua
// script, so a message costs one round trip and two instances can never both take the last unit of a cap.
// An outage must show within milliseconds, never as a hang (ioredis: offline queue off, few retries, a
// command timeout): the calling stage then applies its fail mode.
import { Redis } from 'ioredis'
import { GuardError } from '../errors.js'
import type { RedisStateConfig } from './config.js'
import { createFailureReporter, type StateDeps } from './failure.js'
import { windowIndex, type ConsumeRequest, type ConsumeResult, type State } from './types.js'

// KEYS: [bucket key if ARGV[2] == 1], then one key per cap (its window index is part of the key).
// ARGV: now, has_bucket, rate, burst, bucket_ttl_ms, then per cap: limit, ttl_ms.
// Returns 0 when everything was counted, -1 when the bucket is empty, i when cap i (1-based) is full.
const CONSUME = `
local now = tonumber(ARGV[1])
local nb = tonumber(ARGV[2])
local tokens = 0
local at = now
if nb == 1 then
  local rate = tonumber(ARGV[3])
  local burst = tonumber(ARGV[4])
  local b = redis.call('HMGET', KEYS[1], 't', 'at')
  tokens = tonumber(b[1])
  if tokens == nil then
    tokens = burst
  else
    at = tonumber(b[2])
    if now > at then
      tokens = math.min(burst, tokens + (now - at) * rate / 1000)
      at = now
    end
  end
  if tokens < 1 then return -1 end
end
local nc = #KEYS - nb
for i = 1, nc do
  local n = tonumber(redis.call('GET', KEYS[nb + i]) or '0')
  if n + 1 > tonumber(ARGV[4 + 2 * i]) then return i end
end
if nb == 1 then
  redis.call('HSET', KEYS[1], 't', tostring(tokens - 1), 'at', tostring(at))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
for i = 1, nc do
  if redis.call('INCR', KEYS[nb + i]) == 1 then
    redis.call('PEXPIRE', KEYS[nb + i], ARGV[5 + 2 * i])
  end
end
return 0
`

// KEYS: [counter]; ARGV: by, ttl_ms. The first increment of a window sets its expiry.
const INCR = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
`

/** Counters outlive their window by this much, so instances whose clocks differ a little still agree. */
const EXPIRY_SLACK_MS = 60_000
const SCAN_COUNT = 1000

interface ScriptedRedis extends Redis {
  sgConsume(numkeys: number, ...args: (string | number)[]): Promise<number>
  sgIncr(key: string, by: number, ttl_ms: number): Promise<number>
}

const OK: ConsumeResult = Object.freeze({ ok: true })
const BUCKET_FAILED: ConsumeResult = Object.freeze({ ok: false, failed: 'bucket' })

export function createRedisState(cfg: RedisStateConfig, deps: StateDeps): State {
  const p = cfg.key_prefix
  const redis = new Redis(cfg.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: cfg.max_retries_per_request,
    commandTimeout: cfg.command_timeout_ms,
    connectTimeout: cfg.connect_timeout_ms,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 50, cfg.reconnect_max_ms),
  }) as ScriptedRedis
  redis.defineCommand('sgConsume', { lua: CONSUME })
  redis.defineCommand('sgIncr', { numberOfKeys: 1, lua: INCR })
  const reportFailure = createFailureReporter(deps, 'redis')
  const where = redactUrl(cfg.url)
  let up = false
  let announcedDown = false
  let closed: Promise<void> | undefined

  redis.on('ready', () => {
    up = true
    if (announcedDown) deps.log.info({ backend: 'redis', url: where }, 'state backend ready')
    announcedDown = false
  })
  // ioredis emits an error on every failed reconnect: one line per outage is enough.
  const down = (err?: Error) => {
    up = false
    if (closed || announcedDown) return
    announcedDown = true
    deps.log.warn({ backend: 'redis', url: where, err: err?.message }, 'state backend unavailable')
  }
  redis.on('error', down)
  redis.on('close', () => down())

  function wrap<T>(promise: Promise<T>): Promise<T> {
    return promise.catch((err: unknown) => {
      throw err instanceof GuardError ? err : new GuardError('SG_ERR_STATE_UNAVAILABLE', (err as Error)?.message, { cause: err })
    })
  }

  function call<T>(fn: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new GuardError('SG_ERR_STATE_UNAVAILABLE', 'state is closed'))
    try {
      return wrap(fn())
    } catch (err) {
      // ioredis throws synchronously for some argument errors; they are failures all the same.
      return wrap(Promise.reject(err))
    }
  }

  const setKey = (set: string) => `${p}s:${set}`
  const valueKey = (key: string) => `${p}v:${key}`
  const counterKey = (key: string, window_ms: number, w: number) => `${p}c:${key}|${window_ms}|${w}`
  // Relative to the message's own clock, not the server's: windows are cut from `now`, so the key must live
  // until that window ends by the same clock.
  const ttl = (now: number, window_ms: number, w: number, offset_ms: number) => (w + 1) * window_ms - offset_ms - now + EXPIRY_SLACK_MS

  async function consume(req: ConsumeRequest): Promise<ConsumeResult> {
    const { now, caps, offset_ms } = req
    const hasBucket = req.bucket && req.bucket.rate > 0 ? req.bucket : undefined
    const keys: string[] = []
    const args: (string | number)[] = [now, hasBucket ? 1 : 0, hasBucket?.rate ?? 0, hasBucket?.burst ?? 0, 0]
    if (hasBucket) {
      keys.push(`${p}b:${hasBucket.key}`)
      // Long enough to refill completely; after that a missing bucket reads as full anyway.
      args[4] = Math.ceil((hasBucket.burst / hasBucket.rate) * 1000) + EXPIRY_SLACK_MS
    }
    for (let i = 0; i < caps.length; i++) {
      const cap = caps[i]
      const w = windowIndex(now, cap.window_ms, offset_ms)
      keys.push(counterKey(cap.key, cap.window_ms, w))
      args.push(cap.limit, ttl(now, cap.window_ms, w, offset_ms))
    }
    const r = await redis.sgConsume(keys.length, ...keys, ...args)
    if (r === 0) return OK
    if (r === -1) return BUCKET_FAILED
    return { ok: false, failed: r - 1 }
  }

  async function members(set: string, limit = Infinity): Promise<string[]> {
    if (limit === Infinity) return (await redis.smembers(setKey(set))).sort()
    const out = new Set<string>()
    let cursor = '0'
    do {
      const [next, batch] = await redis.sscan(setKey(set), cursor, 'COUNT', SCAN_COUNT)
      for (const m of batch) out.add(m)
      cursor = next
    } while (cursor !== '0' && out.size < limit)
    return [...out].sort().slice(0, limit)
  }

  function shut(graceful: boolean): Promise<void> {
    if (!closed) {
      closed = (async () => {
        if (graceful && up) {
          try {
            await redis.quit()
            return
          } catch {
            // Fall through to a hard disconnect: quit cannot complete without the server.
          }
        }
        redis.disconnect()
      })()
    }
    return closed
  }

  return {
    backend: 'redis',
    ready() {
      if (redis.status === 'ready') return Promise.resolve()
      return new Promise<void>((resolveReady, rejectReady) => {
        const timer = setTimeout(() => {
          redis.off('ready', onReady)
          rejectReady(new GuardError('SG_ERR_STATE_UNAVAILABLE', `redis at ${where} not ready within ${cfg.connect_timeout_ms} ms`))
        }, cfg.connect_timeout_ms)
        const onReady = () => {
          clearTimeout(timer)
          resolveReady()
        }
        redis.once('ready', onReady)
      })
    },
    has: (set, member) => call(async () => (await redis.sismember(setKey(set), member)) === 1),
    add: (set, member) =>
      call(async () => {
        await redis.sadd(setKey(set), member)
      }),
    remove: (set, member) => call(async () => (await redis.srem(setKey(set), member)) === 1),
    members: (set, limit) => call(() => members(set, limit)),
    size: (set) => call(() => redis.scard(setKey(set))),
    get: (key) => call(() => redis.get(valueKey(key))),
    set: (key, value) =>
      call(async () => {
        await redis.set(valueKey(key), value)
      }),
    del: (key) => call(async () => (await redis.del(valueKey(key))) === 1),
    consume: (req) => call(() => consume(req)),
    incr: (key, window_ms, now, by = 1, offset_ms = 0) =>
      call(() => {
        const w = windowIndex(now, window_ms, offset_ms)
        return redis.sgIncr(counterKey(key, window_ms, w), by, ttl(now, window_ms, w, offset_ms))
      }),
    resetCounter: (key, window_ms, now, offset_ms = 0) =>
      call(async () => {
        await redis.del(counterKey(key, window_ms, windowIndex(now, window_ms, offset_ms)))
      }),
    reportFailure,
    close: () => shut(true),
    destroy: () => {
      void shut(false)
    },
  }
}

/** The URL for logs, without a password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'redis'
  }
}
