// Bind authentication against the configured accounts (DESIGN status table): unknown system_id → 0x0F,
// refused address or too many binds → 0x0D, wrong password → 0x0E. The address is checked before the
// password so a foreign network cannot use us as a password oracle, nor make us spend scrypt time. An
// unknown system_id still costs one scrypt, so timing alone does not enumerate accounts.
import type { AccountConfig } from '../config/schema.js'
import { CommandStatus } from '../smpp/constants.js'
import { compileAllowList, type AllowList } from './allow-list.js'
import { UNMATCHABLE_HASH, createVerifiedCache, type PasswordCheck } from './password.js'
import type { AuthResult } from './session.js'

export interface Accounts {
  get(system_id: string): AccountConfig | undefined
  /** `bound` is read after the password check, so concurrent binds cannot both slip under max_binds. */
  authenticate(system_id: string, password: string, ip: string, bound: (system_id: string) => number): Promise<AuthResult>
  list(): readonly AccountConfig[]
}

interface Entry {
  readonly config: AccountConfig
  readonly allow: AllowList
}

export function createAccounts(accounts: readonly AccountConfig[], verify: PasswordCheck = createVerifiedCache()): Accounts {
  const byId = new Map<string, Entry>()
  for (const a of accounts) byId.set(a.system_id, { config: a, allow: compileAllowList(a.allowed_ips) })

  return {
    get: (system_id) => byId.get(system_id)?.config,
    list: () => accounts,
    async authenticate(system_id, password, ip, bound) {
      const e = byId.get(system_id)
      if (!e) {
        await verify(password, UNMATCHABLE_HASH)
        return { ok: false, status: CommandStatus.ESME_RINVSYSID, reason: 'unknown_system_id' }
      }
      if (!e.allow(ip)) return { ok: false, status: CommandStatus.ESME_RBINDFAIL, reason: 'ip_not_allowed' }
      if (!(await verify(password, e.config.password_hash))) {
        return { ok: false, status: CommandStatus.ESME_RINVPASWD, reason: 'wrong_password' }
      }
      if (bound(system_id) >= e.config.max_binds) return { ok: false, status: CommandStatus.ESME_RBINDFAIL, reason: 'max_binds' }
      return { ok: true, account: e.config }
    },
  }
}
