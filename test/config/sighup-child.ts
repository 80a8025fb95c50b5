// Run as a child process by reload.test.ts: a reloader on the real process signals. Prints one line per
// step so the parent can follow it; exits by itself after the first reload.
import { Writable } from 'node:stream'
import { loadConfig } from '../../src/config/load.js'
import { createReloader } from '../../src/config/reload.js'
import { createLogger } from '../../src/ops/logger.js'
import { createMetrics } from '../../src/ops/metrics.js'

const file = process.argv[2]
// Started without a file (a directory-wide tap run), there is nothing to do.
if (file) start(file)

function start(file: string): void {
  // Signal handlers do not keep a process alive; in the proxy its listening sockets do.
  const alive = setInterval(() => {}, 60_000)
  const log = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }))
  const reloader = createReloader({
    initial: loadConfig(file),
    apply: (next) => {
      console.log('applied ' + next.config.accounts.map((a) => a.system_id).join(','))
      void reloader.close().then(() => {
        clearInterval(alive)
        console.log('closed')
      })
    },
    log,
    metrics: createMetrics(),
  })
  console.log('ready')
}
