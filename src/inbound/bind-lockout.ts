// Temporary bind lockouts after repeated wrong passwords, per account and per source address. Counting is a
// fixed window per key (cheap, and a guesser gains at most 2× attempts across a window edge); the tables
// are bounded by `max_tracked_ips` and swept on the coarse tick, so a flood of addresses costs bounded
// memory. Pure: the caller passes `now`.
import type { BindLockoutConfig } from '../config/schema.js'

export type LockoutScope = 'account' | 'ip'

interface Entry {
  windowStart: number
  failures: number
  lockedUntil: number
}

export interface BindLockout {
  /** The scope that is locked out for this bind, or null. */
  lockedScope(system_id: string, ip: string, now: number): LockoutScope | null
  /** Counts one wrong password (or unknown system_id: `system_id` null); returns the scopes it locked. */
  recordFailure(system_id: string | null, ip: string, now: number): LockoutScope[]
  /** Drops expired entries; called from the coarse tick. */
  sweep(now: number): void
  readonly size: number
}

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i

/**
 * One key per peer: an IPv4-mapped IPv6 peer is its IPv4 address, and an IPv6 peer is its /64 — one
 * subscriber's allocation, which would otherwise hand a single host endless fresh addresses.
 */
export function addressKey(ip: string): string {
  const mapped = MAPPED.exec(ip)
  if (mapped) return mapped[1]
  if (!ip.includes(':')) return ip
  const [head, tail] = ip.split('%')[0].split('::')
  const left = head ? head.split(':') : []
  const right = tail === undefined ? [] : tail ? tail.split(':') : []
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`
}

export function createBindLockout(cfg: BindLockoutConfig): BindLockout {
  const accounts = new Map<string, Entry>()
  const ips = new Map<string, Entry>()

  function locked(table: Map<string, Entry>, key: string, now: number): boolean {
    const e = table.get(key)
    return e !== undefined && e.lockedUntil > now
  }

  function fail(table: Map<string, Entry>, key: string, attempts: number, now: number): boolean {
    let e = table.get(key)
    if (e === undefined) {
      // Oldest first out: Map keeps insertion order, so the first key is the least recently failed.
      if (table.size >= cfg.max_tracked_ips) table.delete(table.keys().next().value as string)
      e = { windowStart: now, failures: 0, lockedUntil: 0 }
    } else {
      table.delete(key)
      if (now - e.windowStart >= cfg.window_ms) {
        e.windowStart = now
        e.failures = 0
      }
    }
    table.set(key, e)
    e.failures++
    if (e.failures < attempts) return false
    e.failures = 0
    e.windowStart = now
    e.lockedUntil = now + cfg.lockout_ms
    return true
  }

  function sweepTable(table: Map<string, Entry>, now: number): void {
    for (const [k, e] of table) {
      if (e.lockedUntil <= now && now - e.windowStart >= cfg.window_ms) table.delete(k)
    }
  }

  return {
    lockedScope(system_id, ip, now) {
      if (locked(ips, addressKey(ip), now)) return 'ip'
      if (locked(accounts, system_id, now)) return 'account'
      return null
    },
    recordFailure(system_id, ip, now) {
      const out: LockoutScope[] = []
      if (system_id !== null && fail(accounts, system_id, cfg.attempts_per_account, now)) out.push('account')
      if (fail(ips, addressKey(ip), cfg.attempts_per_ip, now)) out.push('ip')
      return out
    },
    sweep(now) {
      sweepTable(accounts, now)
      sweepTable(ips, now)
    },
    get size() {
      return accounts.size + ips.size
    },
  }
}
