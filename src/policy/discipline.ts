// Account discipline (commitment: the platform stops a violating sender). Every rejection is weighed by
// its rule (`account.auto_suspend.weights`); when an account's weighted count within one window reaches
// the threshold it is suspended: the account stage then refuses every submit with ACCOUNT_SUSPENDED, on
// every instance sharing the state, until an operator resumes it. Counting runs from the pipeline's
// onVerdict hook and never delays the verdict.
import type { Logger } from 'pino'
import type { AccountConfig } from '../config/schema.js'
import type { Metrics } from '../ops/metrics.js'
import type { State } from '../state/types.js'
import type { PolicyConfig } from './config.js'
import type { VerdictHook } from './pipeline.js'
import accountStage, { type AutoSuspendConfig } from './stages/account.js'
import { optOutSet } from './stages/opt-out.js'
import { SUSPENDED_SET, suspensionKey, type SuspensionRecord } from './suspension.js'

export interface DisciplineDeps {
  readonly state: State
  readonly log: Logger
  readonly metrics: Pick<Metrics, 'accountSuspensions'>
  readonly clock: () => number
}

export interface AccountStatus {
  readonly system_id: string
  readonly suspended: boolean
  readonly suspension: SuspensionRecord | null
  /** Weighted violations in the current window, and what suspends the account (0 when auto-suspend is off). */
  readonly violations: number
  readonly threshold: number
  readonly opted_out: number
}

export interface Discipline {
  /** Register with `pipeline.onVerdict(discipline.onVerdict)`. */
  readonly onVerdict: VerdictHook
  /** false when the account was already suspended. */
  suspend(system_id: string, cause?: SuspensionRecord['cause'], detail?: string): Promise<{ suspended: boolean }>
  /** Lifts a suspension and zeroes the violation count, so the next rejection does not suspend again. */
  resume(system_id: string): Promise<{ resumed: boolean }>
  status(system_id: string): Promise<AccountStatus>
  /** After a config reload: new thresholds and weights apply to the next rejection. */
  update(policy: PolicyConfig, accounts: readonly AccountConfig[]): void
  /** Resolves when every rejection seen so far is counted (tests, shutdown). */
  settled(): Promise<void>
}

interface Compiled {
  readonly cfg: AutoSuspendConfig
  readonly window_ms: number
  readonly exact: ReadonlyMap<string, number>
  readonly prefixes: ReadonlyArray<readonly [string, number]>
}

const violationKey = (system_id: string): string => `violations:${system_id}`

function compile(cfg: AutoSuspendConfig): Compiled {
  const exact = new Map<string, number>()
  const prefixes: Array<[string, number]> = []
  for (const [pattern, weight] of Object.entries(cfg.weights)) {
    if (pattern.endsWith('*')) prefixes.push([pattern.slice(0, -1), weight])
    else exact.set(pattern, weight)
  }
  return { cfg, window_ms: cfg.window_s * 1000, exact, prefixes }
}

function weightOf(c: Compiled, rule: string): number {
  let w = c.exact.get(rule) ?? 0
  for (const [p, pw] of c.prefixes) if (pw > w && rule.startsWith(p)) w = pw
  return w
}

export function createDiscipline(policy: PolicyConfig, accounts: readonly AccountConfig[], deps: DisciplineDeps): Discipline {
  const { state, log } = deps
  let global: Compiled
  let perAccount = new Map<string, Compiled>()
  const pending = new Set<Promise<void>>()

  function update(p: PolicyConfig, list: readonly AccountConfig[]): void {
    global = compile(accountStage.config.parse(p.account ?? {}).auto_suspend)
    const next = new Map<string, Compiled>()
    for (const a of list) {
      const own = (a.policy as Record<string, Record<string, unknown> | undefined>).account
      next.set(a.system_id, own ? compile(accountStage.config.parse({ ...(p.account ?? {}), ...own }).auto_suspend) : global)
    }
    perAccount = next
  }
  update(policy, accounts)

  const configOf = (system_id: string): Compiled => perAccount.get(system_id) ?? global

  async function suspend(system_id: string, cause: SuspensionRecord['cause'] = 'admin', detail?: string): Promise<{ suspended: boolean }> {
    if (await state.has(SUSPENDED_SET, system_id)) return { suspended: false }
    const record: SuspensionRecord = { cause, at: deps.clock(), ...(detail ? { detail } : {}) }
    await state.set(suspensionKey(system_id), JSON.stringify(record))
    await state.add(SUSPENDED_SET, system_id)
    deps.metrics.accountSuspensions.labels(cause).inc()
    log.warn({ system_id, cause, detail }, 'account suspended')
    return { suspended: true }
  }

  async function count(system_id: string, weight: number, now: number): Promise<void> {
    const c = configOf(system_id)
    const total = await state.incr(violationKey(system_id), c.window_ms, now, weight)
    // Only the rejection that crosses the threshold suspends; later ones in the window find it done.
    if (total >= c.cfg.threshold && total - weight < c.cfg.threshold) {
      await suspend(system_id, 'auto', `${total} weighted rejections within ${c.cfg.window_s} s`)
    }
  }

  const onVerdict: VerdictHook = (_msg, verdict, compiled) => {
    if (verdict.action !== 'reject') return
    const c = configOf(compiled.system_id)
    if (!c.cfg.enabled) return
    const weight = weightOf(c, verdict.rule)
    if (weight <= 0) return
    const p = count(compiled.system_id, weight, deps.clock()).catch((err: unknown) => state.reportFailure('discipline', 'open', err))
    pending.add(p)
    void p.then(() => pending.delete(p))
  }

  return {
    onVerdict,
    suspend,
    async resume(system_id) {
      const removed = await state.remove(SUSPENDED_SET, system_id)
      await state.del(suspensionKey(system_id))
      await state.resetCounter(violationKey(system_id), configOf(system_id).window_ms, deps.clock())
      if (removed) log.info({ system_id }, 'account resumed')
      return { resumed: removed }
    },
    async status(system_id) {
      const c = configOf(system_id)
      const [suspended, raw, violations, opted_out] = await Promise.all([
        state.has(SUSPENDED_SET, system_id),
        state.get(suspensionKey(system_id)),
        state.incr(violationKey(system_id), c.window_ms, deps.clock(), 0),
        state.size(optOutSet(system_id)),
      ])
      return {
        system_id,
        suspended,
        suspension: raw ? (JSON.parse(raw) as SuspensionRecord) : null,
        violations,
        threshold: c.cfg.enabled ? c.cfg.threshold : 0,
        opted_out,
      }
    },
    update,
    async settled() {
      while (pending.size) await Promise.all([...pending])
    },
  }
}
