// Where a suspension lives in state, shared by the account stage (reads it on every submit), discipline
// (writes it) and the admin operations. In state rather than config so that every instance on one Redis
// sees it, and so that it survives restarts.
import type { State } from '../state/types.js'

export const SUSPENDED_SET = 'suspended'
export const suspensionKey = (system_id: string): string => `suspension:${system_id}`

export interface SuspensionRecord {
  readonly cause: 'auto' | 'admin'
  /** Epoch ms. */
  readonly at: number
  readonly detail?: string
}

export function isSuspended(state: State, system_id: string): Promise<boolean> {
  return state.has(SUSPENDED_SET, system_id)
}
