// smpp-guard run [--config FILE] [--check]
// Starts the proxy (config from --config, then SMPP_GUARD_CONFIG, then config/default.yaml). --check loads,
// validates and compiles the config without starting anything: exit 0 valid, 1 invalid. SIGTERM / SIGINT
// shut down gracefully (stop accepting, unbind clients, drain in-flight, close upstream); a second signal
// forces the exit.
import { parseArgs } from 'node:util'
import pino from 'pino'
import { configPath, loadConfig } from '../config/load.js'
import { checkConfig, reportCheck } from '../config/reload.js'
import { compileContentRules } from '../policy/content/engine.js'
import { compilePolicies } from '../policy/compile.js'
import type { PolicyConfig } from '../policy/config.js'
import { createAccounts } from '../inbound/accounts.js'
import { createMetrics } from '../ops/metrics.js'
import { createState, StateSchema } from '../state/index.js'
import { resolve } from 'node:path'

const USAGE = 'usage: smpp-guard run [--config FILE] [--check]'

export async function main(argv: string[]): Promise<number> {
  let values: { config?: string; check?: boolean; help?: boolean }
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }))
  } catch (err) {
    console.error(`smpp-guard run: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const file = configPath(values.config)
  if (values.check) {
    const problems = await checkConfig(file, {
      compile: async (loaded) => {
        createAccounts(loaded.config.accounts)
        const log = pino({ level: 'silent' })
        // The memory backend: checking must not need Redis to be up.
        const state = createState(StateSchema.parse({ backend: 'memory' }), { log, metrics: createMetrics(), baseDir: loaded.baseDir })
        try {
          // Compiled on their own too: with no account using them, a broken rule file would pass unseen.
          compileContentRules(resolve(loaded.baseDir, loaded.config.rules))
          compilePolicies(loaded.config.accounts, loaded.config.policy as PolicyConfig, {
            state,
            log,
            clock: Date.now,
            baseDir: loaded.baseDir,
            rulesDir: resolve(loaded.baseDir, loaded.config.rules),
          })
        } finally {
          await state.close()
        }
      },
    })
    return reportCheck(file, problems, (l) => console.log(l))
  }

  const loaded = loadConfig(file)
  const { startApp } = await import('../app.js')
  const app = await startApp(loaded)
  await new Promise<void>((done) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        app.log.warn({ signal }, 'second signal, exiting now')
        void app.destroy(new Error(`forced by ${signal}`)).finally(() => process.exit(1))
        return
      }
      stopping = true
      app.log.info({ signal }, 'signal received')
      void app.close().then(done, done)
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
  return 0
}
