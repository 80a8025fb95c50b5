// smpp-guard admin [--config FILE] [--socket PATH] [--timeout MS] COMMAND ...
// Prints the proxy's answer as JSON on stdout. Exit codes: 0 done, 1 the proxy refused or the command
// failed, 2 usage, 3 the proxy cannot be reached.
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { GuardError } from '../errors.js'
import { configPath, formatProblem, type ConfigProblem } from '../config/load.js'
import { adminRequest, readAdminConfig, DEFAULT_ADMIN_TIMEOUT_MS } from '../ops/admin-client.js'
import { ADMIN_USAGE, parseAdminArgs } from '../ops/admin-protocol.js'

export interface CommandIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
}

const consoleIo: CommandIo = { out: (l) => console.log(l), err: (l) => console.error(l) }

const USAGE = `usage: smpp-guard admin [--config FILE] [--socket PATH] [--timeout MS] COMMAND ...\n${ADMIN_USAGE}`

export async function main(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  let values: { config?: string; socket?: string; timeout?: string; src?: string; dst?: string; help?: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        socket: { type: 'string' },
        timeout: { type: 'string' },
        src: { type: 'string' },
        dst: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    io.err(`smpp-guard admin: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    io.out(USAGE)
    return 0
  }
  const timeout = values.timeout === undefined ? DEFAULT_ADMIN_TIMEOUT_MS : Number(values.timeout)
  if (!Number.isInteger(timeout) || timeout <= 0) {
    io.err(`smpp-guard admin: --timeout takes milliseconds, got '${values.timeout}'`)
    return 2
  }
  try {
    const req = parseAdminArgs(positionals, { src: values.src, dst: values.dst })
    let socket: string
    if (values.socket) socket = resolve(values.socket)
    else {
      const file = configPath(values.config)
      const cfg = readAdminConfig(file)
      if (!cfg.enabled) throw new GuardError('SG_ERR_ADMIN_UNREACHABLE', `the admin socket is turned off in ${resolve(file)} (admin.enabled: false)`)
      socket = cfg.socket
    }
    const res = await adminRequest(socket, req, { timeout_ms: timeout })
    if (res.ok) {
      io.out(JSON.stringify(res.result, null, 2))
      return 0
    }
    io.out(JSON.stringify({ error: res.error }, null, 2))
    io.err(`smpp-guard admin: ${res.error.message}`)
    for (const p of res.error.problems ?? []) io.err('  ' + formatProblem(p as ConfigProblem))
    return 1
  } catch (err) {
    if (!(err instanceof GuardError)) throw err
    io.err(`smpp-guard admin: ${err.message}`)
    return err.code === 'SG_ERR_USAGE' ? 2 : err.code === 'SG_ERR_ADMIN_UNREACHABLE' ? 3 : 1
  }
}
