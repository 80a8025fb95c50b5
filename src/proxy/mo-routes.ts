// MO messages belong to the account whose `mo_addresses` match the destination (the number the subscriber
// replied to): exact entries first, then the longest `prefix*`, so a dedicated long number wins over a
// shared range.
import type { AccountConfig } from '../config/schema.js'

export type MoRoutes = (destination_addr: string) => string | undefined

export function compileMoRoutes(accounts: readonly Pick<AccountConfig, 'system_id' | 'mo_addresses'>[]): MoRoutes {
  const exact = new Map<string, string>()
  const prefixes: { prefix: string; system_id: string }[] = []
  for (const a of accounts) {
    for (const addr of a.mo_addresses) {
      if (addr.endsWith('*')) prefixes.push({ prefix: addr.slice(0, -1), system_id: a.system_id })
      else if (!exact.has(addr)) exact.set(addr, a.system_id)
    }
  }
  prefixes.sort((x, y) => y.prefix.length - x.prefix.length)
  return (dst) => {
    const hit = exact.get(dst)
    if (hit !== undefined) return hit
    for (const p of prefixes) if (dst.startsWith(p.prefix)) return p.system_id
    return undefined
  }
}
