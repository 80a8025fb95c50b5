// Opt-out by reply. The proxy calls the handler for every MO it routes to an account; a reply that is
// just an opt-out keyword (TD, 退订, ＴＤ, "td." …) puts the sender on that account's suppression list,
// which the opt_out stage checks on every submit. The admin commands edit the same list.
import type { Logger } from 'pino'
import type { AccountConfig } from '../config/schema.js'
import type { Metrics } from '../ops/metrics.js'
import type { State } from '../state/types.js'
import { GuardError } from '../errors.js'
import { normalize } from './content/normalize.js'
import { normalizeNumber } from './numbers.js'
import type { PolicyConfig } from './config.js'
import { OptOutStageConfig, optOutSet } from './stages/opt-out.js'

export { optOutSet }

/** (system_id, MO source_addr, MO text) → true when the text was an opt-out and the number is now listed. */
export type MoOptOutHandler = (system_id: string, source_addr: string, text: string) => Promise<boolean>

export interface OptOutDeps {
  readonly state: State
  readonly log: Logger
  readonly metrics: Pick<Metrics, 'mo'>
}

/**
 * Keywords come from `policy.opt_out.keywords`, overridable per account. Build again after a config
 * reload. A failure to record rejects (SG_ERR_STATE_UNAVAILABLE): answer the carrier's deliver_sm with a
 * temporary error so it redelivers, rather than lose a person's opt-out.
 */
export function createMoOptOut(policy: PolicyConfig, accounts: readonly AccountConfig[], deps: OptOutDeps): MoOptOutHandler {
  const global = keywordSet(OptOutStageConfig.parse(policy.opt_out ?? {}).keywords)
  const perAccount = new Map<string, ReadonlySet<string>>()
  for (const a of accounts) {
    const own = (a.policy as Record<string, { keywords?: string[] } | undefined>).opt_out?.keywords
    if (own) perAccount.set(a.system_id, keywordSet(own))
  }
  const counted = deps.metrics.mo.labels('opt_out')
  return async (system_id, source_addr, text) => {
    const keywords = perAccount.get(system_id) ?? global
    if (!keywords.has(normalize(text))) return false
    const number = normalizeNumber(source_addr)
    if (number === null) {
      deps.log.warn({ system_id, source_addr }, 'opt-out from an invalid number ignored')
      return false
    }
    await deps.state.add(optOutSet(system_id), number)
    counted.inc()
    deps.log.info({ system_id, number }, 'opt-out recorded')
    return true
  }
}

function keywordSet(words: readonly string[]): ReadonlySet<string> {
  return new Set(words.map((w) => normalize(w)).filter((w) => w.length > 0))
}

/** The canonical number, or a usage error naming what was given. */
function canonical(number: string): string {
  const n = normalizeNumber(number)
  if (n === null) throw new GuardError('SG_ERR_USAGE', `not a phone number: ${number}`)
  return n
}

export async function optOutAdd(state: State, system_id: string, number: string): Promise<{ number: string; added: boolean }> {
  const n = canonical(number)
  const had = await state.has(optOutSet(system_id), n)
  if (!had) await state.add(optOutSet(system_id), n)
  return { number: n, added: !had }
}

export async function optOutRemove(state: State, system_id: string, number: string): Promise<{ number: string; removed: boolean }> {
  const n = canonical(number)
  return { number: n, removed: await state.remove(optOutSet(system_id), n) }
}

export async function optOutList(state: State, system_id: string, limit = 10_000): Promise<{ system_id: string; count: number; numbers: string[] }> {
  const [count, numbers] = await Promise.all([state.size(optOutSet(system_id)), state.members(optOutSet(system_id), limit)])
  return { system_id, count, numbers }
}
