// Shared state for several proxy instances. Every limit of one message is checked and counted by one Lua
// script, so a message costs one round trip and two instances can never both take the last unit of a cap.
// An outage must show within milliseconds, never as a hang (ioredis: offline queue off, few retries, a
// command timeout): the calling stage then applies its fail mode.
import { Redis } from 'ioredis'
import { GuardError } from '../errors.js'
import type { RedisStateConfig } from './config.js'
import { createFailureReporter, type StateDeps } from './failure.js'
import { windowIndex, type ConsumeRequest, type ConsumeResult, type State } from './types.js'

// Counters live in one hash per key (a recipient's minute, hour and day windows together, as in the memory
// backend): field `<window_ms>` holds the window index, `<window_ms>n` its count. Fewer keys and calls per
// message was the measured cost on the server (EVALSHA 45 µs with a key per window).
//
// KEYS: [bucket key if ARGV[2] == 1], then the distinct counter hashes.
// ARGV: now, has_bucket, rate, burst, bucket_ttl_ms, cap_count, then per cap: hash index (1-based among
// the counter hashes), window_ms, window index, limit; then per hash: ttl_ms.
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
local nc = tonumber(ARGV[6])
local ng = #KEYS - nb
local fields = {}
for g = 1, ng do fields[g] = {} end
local pos = {}
for i = 1, nc do
  local o = 6 + (i - 1) * 4
  local g = tonumber(ARGV[o + 1])
  local f = fields[g]
  f[#f + 1] = ARGV[o + 2]
  f[#f + 1] = ARGV[o + 2] .. 'n'
  pos[i] = #f - 1
end
local cur = {}
for g = 1, ng do cur[g] = redis.call('HMGET', KEYS[nb + g], unpack(fields[g])) end
local counts = {}
for i = 1, nc do
  local o = 6 + (i - 1) * 4
  local g = tonumber(ARGV[o + 1])
  local n = 0
  if cur[g][pos[i]] == ARGV[o + 3] then n = tonumber(cur[g][pos[i] + 1]) or 0 end
  if n + 1 > tonumber(ARGV[o + 4]) then return i end
  counts[i] = n
end
if nb == 1 then
  redis.call('HSET', KEYS[1], 't', tostring(tokens - 1), 'at', tostring(at))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
-- One new total per field, even when two caps name the same key and window: each counts once.
local totals = {}
for g = 1, ng do totals[g] = {} end
for i = 1, nc do
  local o = 6 + (i - 1) * 4
  local acc = totals[tonumber(ARGV[o + 1])]
  local f = ARGV[o + 2]
  if acc[f] == nil then acc[f] = { ARGV[o + 3], counts[i] } end
  acc[f][2] = acc[f][2] + 1
end
local t0 = 6 + nc * 4
for g = 1, ng do
  local args = {}
  for f, v in pairs(totals[g]) do
    args[#args + 1] = f
    args[#args + 1] = v[1]
    args[#args + 1] = f .. 'n'
    args[#args + 1] = v[2]
  end
  redis.call('HSET', KEYS[nb + g], unpack(args))
  redis.call('PEXPIRE', KEYS[nb + g], ARGV[t0 + g])
end
return 0
`

// KEYS: [counter hash]; ARGV: window_ms, window index, by, ttl_ms. Never shortens the hash's life: it may
// hold a longer window too.
const INCR = `
local n
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  n = redis.call('HINCRBY', KEYS[1], ARGV[1] .. 'n', ARGV[3])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[1] .. 'n', ARGV[3])
  n = tonumber(ARGV[3])
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return n
`

/** Counters outlive their window by this much, so instances whose clocks differ a little still agree. */
const EXPIRY_SLACK_MS = 60_000
const SCAN_COUNT = 1000

interface ScriptedRedis extends Redis {
  sgConsume(numkeys: number, ...args: (string | number)[]): Promise<number>
  sgIncr(key: string, window_ms: number, w: number, by: number, ttl_ms: number): Promise<number>
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
  const counterKey = (key: string) => `${p}c:${key}`
  // Relative to the message's own clock, not the server's: windows are cut from `now`, so the key must live
  // until that window ends by the same clock.
  const ttl = (now: number, window_ms: number, w: number, offset_ms: number) => (w + 1) * window_ms - offset_ms - now + EXPIRY_SLACK_MS

  async function consume(req: ConsumeRequest): Promise<ConsumeResult> {
    const { now, caps, offset_ms } = req
    const hasBucket = req.bucket && req.bucket.rate > 0 ? req.bucket : undefined
    const keys: string[] = []
    const args: (string | number)[] = [now, hasBucket ? 1 : 0, hasBucket?.rate ?? 0, hasBucket?.burst ?? 0, 0, caps.length]
    if (hasBucket) {
      keys.push(`${p}b:${hasBucket.key}`)
      // Long enough to refill completely; after that a missing bucket reads as full anyway.
      args[4] = Math.ceil((hasBucket.burst / hasBucket.rate) * 1000) + EXPIRY_SLACK_MS
    }
    const first = keys.length
    const groups = new Map<string, number>()
    const ttls: number[] = []
    for (let i = 0; i < caps.length; i++) {
      const cap = caps[i]
      const w = windowIndex(now, cap.window_ms, offset_ms)
      let g = groups.get(cap.key)
      if (g === undefined) {
        keys.push(counterKey(cap.key))
        g = keys.length - first
        groups.set(cap.key, g)
        ttls.push(0)
      }
      ttls[g - 1] = Math.max(ttls[g - 1], ttl(now, cap.window_ms, w, offset_ms))
      args.push(g, cap.window_ms, w, cap.limit)
    }
    for (const t of ttls) args.push(t)
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
        return redis.sgIncr(counterKey(key), window_ms, w, by, ttl(now, window_ms, w, offset_ms))
      }),
    resetCounter: (key, window_ms) =>
      call(async () => {
        await redis.hdel(counterKey(key), String(window_ms), `${window_ms}n`)
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
