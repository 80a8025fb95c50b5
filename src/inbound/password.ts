// Account passwords are stored as scrypt hashes (`scrypt$N$r$p$salt$hash`, base64) and compared in constant
// time, so neither the config file nor response timing gives a password away.
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const KEY_LENGTH = 32
const DEFAULT = { N: 16384, r: 8, p: 1 } as const

function scrypt(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, KEY_LENGTH, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  )
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, DEFAULT)
  return ['scrypt', DEFAULT.N, DEFAULT.r, DEFAULT.p, salt.toString('base64'), key.toString('base64')].join('$')
}

/**
 * A well-formed hash at the default cost that no password matches (random key): checking a bind for an
 * unknown system_id against it costs what a known one costs, so response time does not tell them apart.
 */
export const UNMATCHABLE_HASH = ['scrypt', DEFAULT.N, DEFAULT.r, DEFAULT.p, randomBytes(16).toString('base64'), randomBytes(KEY_LENGTH).toString('base64')].join('$')

/** False for a wrong password and for a malformed hash; never throws on account data. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [N, r, p] = parts.slice(1, 4).map(Number)
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p)) return false
  const salt = Buffer.from(parts[4], 'base64')
  const expected = Buffer.from(parts[5], 'base64')
  if (expected.length !== KEY_LENGTH) return false
  try {
    const key = await scrypt(password, salt, { N, r, p })
    return timingSafeEqual(key, expected)
  } catch {
    return false
  }
}

export function isPasswordHash(s: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(s)
}

export type PasswordCheck = (password: string, stored: string) => Promise<boolean>

export interface VerifiedCacheOptions {
  readonly max_entries?: number
  readonly ttl_ms?: number
  readonly verify?: PasswordCheck
  readonly clock?: () => number
}

/**
 * verifyPassword with a memory of recent successes. Each scrypt check costs tens of milliseconds of CPU, so
 * a thousand clients reconnecting at once (after a restart or a network cut) would outlast the bind timeout
 * on two cores. Concurrent checks of the same credentials share one scrypt, and a password that verified
 * recently is recognised by a keyed HMAC instead; the key lives only in this process, so the cache reveals
 * nothing if read. Every distinct wrong password pays a full scrypt check, and a changed password_hash never
 * matches an old entry (the stored hash is part of the key).
 */
export function createVerifiedCache(opts: VerifiedCacheOptions = {}): PasswordCheck {
  const max = opts.max_entries ?? 10_000
  const ttl = opts.ttl_ms ?? 10 * 60_000
  const verify = opts.verify ?? verifyPassword
  const clock = opts.clock ?? Date.now
  const secret = randomBytes(32)
  const verified = new Map<string, number>()
  const inFlight = new Map<string, Promise<boolean>>()
  return async (password, stored) => {
    const tag = createHmac('sha256', secret).update(stored).update('\0').update(password).digest('base64')
    const until = verified.get(tag)
    if (until !== undefined && until > clock()) return true
    // Binds presenting the same credentials at the same moment (a reconnect storm) share one check.
    let check = inFlight.get(tag)
    if (!check) {
      check = verify(password, stored).finally(() => inFlight.delete(tag))
      inFlight.set(tag, check)
    }
    const ok = await check
    if (ok) {
      verified.delete(tag)
      if (verified.size >= max) verified.delete(verified.keys().next().value as string)
      verified.set(tag, clock() + ttl)
    }
    return ok
  }
}
