// A fake proxy behind the real admin server: in-memory accounts, sessions and opt-out lists, so admin
// commands can be checked end to end over the real net-ipc unix socket.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { Test } from 'tap'
import { GuardError } from '../../src/errors.js'
import { ConfigError } from '../../src/config/load.js'
import { createAdminServer } from '../../src/ops/admin-server.js'
import type { AdminHandlers } from '../../src/ops/admin-protocol.js'
import { createLogger } from '../../src/ops/logger.js'
import { createMetrics } from '../../src/ops/metrics.js'

export function tempSocket(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-admin-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'admin.sock')
}

/** A logger whose JSON lines are kept in `lines`, for assertions on what was logged. */
export function captureLog(level: 'debug' | 'info' = 'debug') {
  const lines: string[] = []
  const log = createLogger(
    { level },
    new Writable({
      write(chunk, _e, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean))
        cb()
      },
    }),
  )
  return { log, lines }
}

export function fakeProxy() {
  const suspended = new Set<string>()
  const optouts = new Map<string, Set<string>>([['demo', new Set()]])
  const sessions = new Map([['s1', { id: 's1', account: 'demo', bind_type: 'transceiver' }]])
  let reloadOk = true
  function account(id: string): Set<string> {
    const list = optouts.get(id)
    if (!list) throw new GuardError('SG_ERR_ADMIN_FAILED', `unknown account ${id}`)
    return list
  }
  const handlers: AdminHandlers = {
    status: () => ({ uptime_s: 1, sessions: sessions.size, upstream: { bound: 2 } }),
    'sessions.list': () => [...sessions.values()],
    'sessions.kick': ({ id }) => {
      if (!sessions.delete(id)) throw new GuardError('SG_ERR_ADMIN_FAILED', `no session ${id}`)
      return { kicked: id }
    },
    reload: async () => {
      if (!reloadOk) throw new ConfigError([{ file: '/etc/sg.yaml', line: 3, key: 'listen.port', reason: 'Invalid input' }])
      return { ok: true }
    },
    suspend: ({ account: id }) => {
      account(id)
      suspended.add(id)
      return { account: id, suspended: true }
    },
    resume: ({ account: id }) => {
      account(id)
      suspended.delete(id)
      return { account: id, suspended: false }
    },
    'optout.add': ({ account: id, number }) => ({ added: account(id).add(number).has(number) }),
    'optout.remove': ({ account: id, number }) => ({ removed: account(id).delete(number) }),
    'optout.list': ({ account: id }) => [...account(id)],
    'rules.test': ({ account: id, text }) => {
      account(id)
      return text.includes('赌') ? { action: 'reject', rule: 'content.gambling' } : { action: 'allow' }
    },
  }
  return {
    handlers,
    suspended,
    optouts,
    sessions,
    failReloads: () => {
      reloadOk = false
    },
  }
}

export async function startAdmin(t: Test, socket = tempSocket(t)) {
  const proxy = fakeProxy()
  const { log, lines } = captureLog()
  const metrics = createMetrics()
  const server = createAdminServer({ socket }, { handlers: proxy.handlers, log, metrics })
  await server.listen()
  t.teardown(() => server.close())
  return { socket, server, proxy, lines, metrics }
}
