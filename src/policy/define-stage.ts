// The contract of a policy stage: one file exporting `defineStage({...})`, listed once in stages/index.ts
// (STYLE rule 12). The pipeline, config schema and metrics pick it up from that list; monitor mode, timing
// and counting belong to the runner.
import { z } from 'zod'
import type { Logger } from 'pino'
import type { AccountConfig } from '../config/schema.js'
import type { State } from '../state/types.js'
import type { Message } from './message.js'
import type { StageResult } from './verdict.js'

export const StageMode = z.enum(['enforce', 'monitor', 'off'])
export type StageMode = z.infer<typeof StageMode>

export interface StageContext {
  readonly account: AccountConfig
  /** Epoch ms, from the injected clock, once per message. */
  readonly now: number
}

export type StageFn = (msg: Message, ctx: StageContext) => StageResult | Promise<StageResult>

export interface StageDeps {
  readonly state: State
  readonly log: Logger
  readonly clock: () => number
  /** Directory that relative rule / list paths resolve against (the config file's directory). */
  readonly baseDir: string
  /** Directory of the content rule files (the config's `rules`, resolved); defaults to `<baseDir>/rules`. */
  readonly rulesDir?: string
  /** Build something once per compile and share it across accounts (e.g. the content automaton). */
  memo<T>(key: string, make: () => T): T
}

// A z.object with a `mode` key: the runner reads it, so a stage cannot forget monitor/off.
type StageConfigShape = z.ZodObject<{ mode: z.ZodDefault<typeof StageMode> } & z.ZodRawShape>

export interface StageDefinition<S extends StageConfigShape = StageConfigShape> {
  /** Config key under `policy:`, verdict rule prefix and metric label. */
  readonly name: string
  readonly config: S
  /** Returns the stage for one account, or null when it has nothing to do for that account. */
  build(cfg: z.infer<S>, deps: StageDeps, account: AccountConfig): StageFn | null
}

export function defineStage<S extends StageConfigShape>(def: StageDefinition<S>): StageDefinition<S> {
  return def
}
