// Config → one frozen AccountPolicy per account, at start and on reload; messages only read it (the
// fastify "compile at ready time" idea). Per-account overrides are layered here and nowhere else.
import type { AccountConfig } from '../config/schema.js'
import type { StageDeps, StageFn, StageMode, StageDefinition } from './define-stage.js'
import type { PolicyConfig } from './config.js'
import { stages as allStages } from './stages/index.js'

export interface CompiledStage {
  readonly name: string
  readonly mode: Exclude<StageMode, 'off'>
  readonly run: StageFn
}

export interface AccountPolicy {
  readonly system_id: string
  readonly account: AccountConfig
  readonly stages: readonly CompiledStage[]
}

export type PolicyDeps = Omit<StageDeps, 'memo'>

export function compileAccount(
  account: AccountConfig,
  policy: PolicyConfig,
  deps: StageDeps,
  stages: readonly StageDefinition[] = allStages,
): AccountPolicy {
  const compiled: CompiledStage[] = []
  const overrides = (account.policy ?? {}) as Record<string, Record<string, unknown> | undefined>
  for (const stage of stages) {
    const cfg = stage.config.parse({ ...(policy[stage.name] ?? {}), ...(overrides[stage.name] ?? {}) }) as { mode: StageMode }
    if (cfg.mode === 'off') continue
    const run = stage.build(cfg as never, deps, account)
    if (run) compiled.push(Object.freeze({ name: stage.name, mode: cfg.mode, run }))
  }
  return Object.freeze({ system_id: account.system_id, account, stages: Object.freeze(compiled) })
}

/** Compiles every account; shared artefacts (automata, lists) are built once via `memo`. */
export function compilePolicies(
  accounts: readonly AccountConfig[],
  policy: PolicyConfig,
  deps: PolicyDeps,
  stages: readonly StageDefinition[] = allStages,
): ReadonlyMap<string, AccountPolicy> {
  const cache = new Map<string, unknown>()
  const memo = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make())
    return cache.get(key) as T
  }
  const full: StageDeps = { ...deps, memo }
  return new Map(accounts.map((a) => [a.system_id, compileAccount(a, policy, full, stages)]))
}
