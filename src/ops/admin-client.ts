// The operator's end of the admin socket: one connection per command, one request, close. Every way the
// proxy can be absent becomes SG_ERR_ADMIN_UNREACHABLE with the path and the likely cause.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { Client } from 'net-ipc'
import { parseDocument } from 'yaml'
import { GuardError } from '../errors.js'
import type { AdminRequest, AdminResponse } from './admin-protocol.js'

export const DEFAULT_ADMIN_TIMEOUT_MS = 30_000

function unreachable(path: string, cause: unknown): GuardError {
  const code = (cause as { code?: string } | null)?.code
  const why =
    code === 'ENOENT'
      ? 'no socket there: is the proxy running, and is admin.socket the same in its config?'
      : code === 'ECONNREFUSED'
        ? 'nothing listens there: the proxy has stopped (stale socket file)'
        : code === 'EACCES'
          ? 'permission denied: the socket is mode 0600, run as the user of the proxy'
          : cause instanceof Error
            ? cause.message
            : String(cause ?? 'connection closed')
  return new GuardError('SG_ERR_ADMIN_UNREACHABLE', `${path}: ${why}`, { cause })
}

/** Sends one request and returns the proxy's answer; throws only when the proxy cannot be reached. */
export async function adminRequest(
  socket: string,
  req: AdminRequest,
  opts: { timeout_ms?: number } = {},
): Promise<AdminResponse> {
  const timeout = Math.max(1, Math.floor(opts.timeout_ms ?? DEFAULT_ADMIN_TIMEOUT_MS))
  // net-ipc never settles connect() when the first attempt fails without reconnect; its 'close' event does.
  const client = new Client({ path: socket, reconnect: false })
  let timer: NodeJS.Timeout | undefined
  const failed = new Promise<never>((_, reject) => {
    client.on('error', () => {})
    client.once('close', (reason: unknown) => reject(unreachable(socket, reason)))
    timer = setTimeout(() => reject(unreachable(socket, `no answer within ${timeout} ms`)), timeout)
  })
  failed.catch(() => {})
  try {
    await Promise.race([client.connect(), failed])
    // Our own timer (cleared below) rather than net-ipc's, which outlives a dropped connection and would
    // keep the command from exiting until it fires.
    const res = (await Promise.race([client.request(req, 0), failed])) as AdminResponse | undefined
    if (!res || typeof res !== 'object' || typeof (res as { ok?: unknown }).ok !== 'boolean') {
      throw unreachable(socket, 'the process on the socket does not answer like smpp-guard')
    }
    return res
  } catch (err) {
    if (err instanceof GuardError) throw err
    throw unreachable(socket, err)
  } finally {
    clearTimeout(timer)
    client.destroy()
  }
}

/**
 * The admin section of a config file, the socket resolved like the proxy resolves it (relative to the
 * file). Read leniently on purpose: `admin reload` must reach the proxy even when the edited file is broken.
 */
export function readAdminConfig(file: string): { socket: string; enabled: boolean } {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new GuardError('SG_ERR_CONFIG_READ', `${file}: ${(err as Error).message}`, { cause: err })
  }
  // parseDocument keeps what it could read before a syntax error, unlike parse().
  const doc = parseDocument(text)
  const socket = doc.getIn(['admin', 'socket'])
  return {
    socket: resolve(dirname(resolve(file)), typeof socket === 'string' ? socket : 'data/admin.sock'),
    enabled: doc.getIn(['admin', 'enabled']) !== false,
  }
}
