// The admin handler table built from the running proxy's parts. Each part is seen through the narrowest
// shape the command needs, so the composition root passes its registry, carrier pool, policy admin and
// reloader as they are, and tests pass small fakes.
import { GuardError } from '../errors.js'
import { ConfigError, type LoadedConfig } from '../config/load.js'
import type { ReloadResult } from '../config/reload.js'
import type { AdminHandlers, AdminRequest } from './admin-protocol.js'

export interface SessionView {
  readonly sid: string
  readonly system_id: string
  readonly bindType: string | null
  readonly status: string
  readonly peer?: string
  readonly inFlight: number
  /** Graceful: answers what is in flight, unbinds, closes. */
  close(): Promise<void>
}

export interface UpstreamView {
  readonly isAvailable: boolean
  snapshot(): { readonly binds: readonly { id: string; type: string; status: string; in_flight: number }[]; readonly queued: number }
}

/** The shape of policy/admin.ts's PolicyAdmin that the commands use. */
export interface PolicyAdminView {
  suspend(system_id: string, detail?: string): Promise<unknown>
  resume(system_id: string): Promise<unknown>
  accountStatus(system_id: string): Promise<unknown>
  optoutAdd(system_id: string, number: string): Promise<unknown>
  optoutRemove(system_id: string, number: string): Promise<unknown>
  optoutList(system_id: string, limit?: number): Promise<unknown>
}

export interface AdminHandlerDeps {
  readonly sessions: { all(): Iterable<SessionView>; readonly size: number }
  readonly upstream: UpstreamView
  readonly policy: PolicyAdminView
  readonly reloader: { reload(trigger: 'admin'): Promise<ReloadResult>; readonly current: LoadedConfig }
  /** The verdict the account's compiled policy gives a message (the composition root builds the Message). */
  readonly rulesTest: (req: Extract<AdminRequest, { cmd: 'rules.test' }>) => unknown
  readonly isReady: () => boolean
  readonly clock?: () => number
  readonly version?: string
}

function sessionInfo(s: SessionView) {
  return { id: s.sid, system_id: s.system_id, bind_type: s.bindType, status: s.status, peer: s.peer ?? null, in_flight: s.inFlight }
}

export function createAdminHandlers(deps: AdminHandlerDeps): AdminHandlers {
  const clock = deps.clock ?? Date.now
  const startedAt = clock()

  // Names are checked against the running config so that a typo is an error rather than a silent no-op
  // on an account that does not exist.
  function known(system_id: string): string {
    if (!deps.reloader.current.config.accounts.some((a) => a.system_id === system_id)) {
      throw new GuardError('SG_ERR_ADMIN_FAILED', `unknown account ${system_id}`)
    }
    return system_id
  }

  return {
    status: (req) => {
      if (req.account !== undefined) return deps.policy.accountStatus(known(req.account))
      const byAccount: Record<string, number> = {}
      const byBindType: Record<string, number> = {}
      for (const s of deps.sessions.all()) {
        byAccount[s.system_id] = (byAccount[s.system_id] ?? 0) + 1
        const t = s.bindType ?? 'unbound'
        byBindType[t] = (byBindType[t] ?? 0) + 1
      }
      const snap = deps.upstream.snapshot()
      const cfg = deps.reloader.current
      return {
        pid: process.pid,
        version: deps.version ?? null,
        uptime_s: Math.round((clock() - startedAt) / 1000),
        ready: deps.isReady(),
        config: { file: cfg.file, accounts: cfg.config.accounts.length },
        sessions: { total: deps.sessions.size, by_account: byAccount, by_bind_type: byBindType },
        upstream: { available: deps.upstream.isAvailable, queued: snap.queued, binds: snap.binds },
      }
    },
    'sessions.list': () => [...deps.sessions.all()].map(sessionInfo),
    'sessions.kick': async ({ id }) => {
      const s = [...deps.sessions.all()].find((x) => x.sid === id)
      if (!s) throw new GuardError('SG_ERR_ADMIN_FAILED', `no session ${id}`)
      const info = sessionInfo(s)
      await s.close()
      return { kicked: info }
    },
    reload: async () => {
      const r = await deps.reloader.reload('admin')
      if (!r.ok) throw new ConfigError(r.problems)
      return r
    },
    suspend: async ({ account }) => ({ account, ...((await deps.policy.suspend(known(account))) as object) }),
    resume: async ({ account }) => ({ account, ...((await deps.policy.resume(known(account))) as object) }),
    'optout.add': ({ account, number }) => deps.policy.optoutAdd(known(account), number),
    'optout.remove': ({ account, number }) => deps.policy.optoutRemove(known(account), number),
    'optout.list': ({ account }) => deps.policy.optoutList(known(account)),
    'rules.test': (req) => {
      known(req.account)
      return deps.rulesTest(req)
    },
  }
}
