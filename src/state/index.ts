// The composition root builds state here and hands the result to policy and proxy, which see only `State`.
import type { StateConfig } from './config.js'
import type { StateDeps } from './failure.js'
import { createMemoryState } from './memory.js'
import { createRedisState } from './redis.js'
import type { State } from './types.js'

export function createState(cfg: StateConfig, deps: StateDeps): State {
  return cfg.backend === 'redis' ? createRedisState(cfg, deps) : createMemoryState(cfg, deps)
}

export type { StateDeps } from './failure.js'
export type { ConsumeRequest, ConsumeResult, FailMode, State, SyncState, TokenBucket, WindowCap } from './types.js'
export { windowIndex } from './types.js'
export { FailModeSchema, StateSchema, type StateConfig } from './config.js'
