// The recipient-protection operations behind `smpp-guard admin` (suspend, resume, optout …, status),
// as plain async functions for the admin socket's handler table. Numbers are accepted in any spelling and
// answered in canonical form; a string that is not a phone number is a usage error.
import type { State } from '../state/types.js'
import type { AccountStatus, Discipline } from './discipline.js'
import { optOutAdd, optOutList, optOutRemove } from './opt-out.js'

export interface PolicyAdmin {
  suspend(system_id: string, detail?: string): Promise<{ suspended: boolean }>
  resume(system_id: string): Promise<{ resumed: boolean }>
  accountStatus(system_id: string): Promise<AccountStatus>
  optoutAdd(system_id: string, number: string): Promise<{ number: string; added: boolean }>
  optoutRemove(system_id: string, number: string): Promise<{ number: string; removed: boolean }>
  optoutList(system_id: string, limit?: number): Promise<{ system_id: string; count: number; numbers: string[] }>
}

export function createPolicyAdmin(deps: { readonly state: State; readonly discipline: Discipline }): PolicyAdmin {
  const { state, discipline } = deps
  return {
    suspend: (system_id, detail) => discipline.suspend(system_id, 'admin', detail),
    resume: (system_id) => discipline.resume(system_id),
    accountStatus: (system_id) => discipline.status(system_id),
    optoutAdd: (system_id, number) => optOutAdd(state, system_id, number),
    optoutRemove: (system_id, number) => optOutRemove(state, system_id, number),
    optoutList: (system_id, limit) => optOutList(state, system_id, limit),
  }
}
