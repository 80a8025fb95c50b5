#!/usr/bin/env node
// Command-line entry. Each command is a module in commands/ exporting `main(argv) → exit code`, loaded only
// when named, so `smpp-guard hash-password` does not pay for the proxy's start-up.

type CommandMain = (argv: string[]) => Promise<number>

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main: CommandMain }> }> = {
  run: { summary: 'run [--config FILE] [--check]   start the proxy (config: --config, SMPP_GUARD_CONFIG, config/default.yaml)', load: () => import('./commands/run.js') },
  'simulate-carrier': {
    summary: 'simulate-carrier [--host H] [--port N] [--dlr] ...   the carrier simulator on its own',
    load: () => import('./commands/simulate-carrier.js'),
  },
  decode: { summary: 'decode HEX   print one PDU as JSON with its decoded text (ops debugging)', load: () => import('./commands/decode.js') },
  'hash-password': { summary: 'hash-password PASSWORD   print a password_hash for an account', load: () => import('./commands/hash-password.js') },
  check: { summary: 'check [--config FILE] --account ID [--src ADDR] --dst ADDR TEXT   verdict, normalised text and hits as JSON', load: () => import('./commands/check.js') },
  eval: { summary: 'eval [--config FILE] --corpus FILE [--account ID] [--json]   precision / recall / false positives of the content rules', load: () => import('./commands/eval.js') },
  admin: { summary: 'admin [--config FILE] COMMAND   control a running proxy (status, sessions, reload, suspend, optout, rules test)', load: () => import('./commands/admin.js') },
  archive: { summary: 'archive query|export [--config FILE] [filters]   lawful query: archived messages as JSON lines or CSV; export with a SHA-256 manifest', load: () => import('./commands/archive.js') },
  report: { summary: 'report violations [--config FILE] [--from ISO] [--to ISO]   rejections per account and category, from the archive', load: () => import('./commands/report.js') },
}

function usage(): string {
  return ['usage: smpp-guard COMMAND [options]', '', ...Object.values(COMMANDS).map((c) => '  ' + c.summary)].join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage())
    return name ? 0 : 2
  }
  const cmd = COMMANDS[name]
  if (!cmd) {
    console.error(`smpp-guard: unknown command '${name}'\n${usage()}`)
    return 2
  }
  const mod = await cmd.load()
  return mod.main(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(`smpp-guard: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  },
)
