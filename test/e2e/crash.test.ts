// kill -9 under load: every message the client saw acknowledged is in the archive after a restart.
// The proxy runs as its own process (`smpp-guard run`), the archive in `durability: ack`.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hashPassword } from '../../src/inbound/password.js'
import { createClient } from '../../src/simulator/client.js'
import { freePort } from '../../scripts/bench/lib/harness.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const CLI = join(ROOT, 'dist/cli.js')


/** Starts `smpp-guard run` and resolves once it logged 'proxy started'. */
async function startProxy(config: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] })
  let buf = ''
  await new Promise<void>((resolvePromise, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      if (buf.includes('"proxy started"')) resolvePromise()
    })
    child.once('exit', (code) => reject(new Error(`proxy exited ${code} before starting`)))
  })
  return child
}

t.test('acknowledged messages survive kill -9', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-crash-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  const config = join(dir, 'config.yaml')
  writeFileSync(
    config,
    `listen: { host: 127.0.0.1, port: ${port} }
upstream: { simulator: true, host: 127.0.0.1, port: ${await freePort()}, binds: 2 }
accounts:
  - { system_id: load, password_hash: "${await hashPassword('load')}", allowed_ips: [127.0.0.1/32], tps: 0 }
rules: ${JSON.stringify(join(ROOT, 'config/rules'))}
policy: { rate_limit: { mode: off } }
archive: { sink: sqlite, path: archive, durability: ack }
metrics: { enabled: false }
admin: { enabled: false }
log: { level: info }
`,
  )
  const first = await startProxy(config)
  const client = await createClient({ port, system_id: 'load', password: 'load', window: 50 })
  const acked: string[] = []
  const failures: number[] = []
  let attempts = 0
  let killedAt = -1
  // Many submits in flight at once, so some are mid-way when the process dies; bounded in count.
  const pump = async (): Promise<void> => {
    while (killedAt < 0 && attempts < 5000) {
      const i = attempts++
      const r = await client
        .submit({ source_addr: '10690001', destination_addr: String(13000000000 + i), short_message: Buffer.from(`order ${i} shipped`) })
        .catch(() => null)
      if (r === null) return
      if (r.status !== 0) failures.push(r.status)
      else acked.push(r.message_id)
      if (acked.length === 400 && killedAt < 0) {
        killedAt = acked.length
        first.kill('SIGKILL')
      }
    }
  }
  await Promise.all(Array.from({ length: 50 }, pump))
  t.same(failures, [], 'no submit refused before the kill')
  t.ok(killedAt > 0, `killed after ${acked.length} acknowledged`)
  await once(first, 'exit')
  client.destroy()

  // Restart drains the spool into the sink; a graceful stop then leaves the sink complete.
  const second = await startProxy(config)
  second.kill('SIGTERM')
  await once(second, 'exit')

  const query = spawn(process.execPath, [CLI, 'archive', 'query', '--config', config, '--format', 'jsonl'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  query.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  const [code] = await once(query, 'exit')
  t.equal(code, 0)
  const archivedIds = new Set<string>()
  for (const line of out.split('\n').filter(Boolean)) for (const id of (JSON.parse(line) as { message_ids: string[] }).message_ids) archivedIds.add(id)
  const missing = acked.filter((id) => !archivedIds.has(id))
  t.same(missing, [], 'every acknowledged message is archived')
})
