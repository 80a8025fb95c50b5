import t, { type Test } from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/commands/admin.js'
import { readAdminConfig } from '../../src/ops/admin-client.js'
import { startAdmin, tempSocket } from '../ops/admin-fixture.js'

function io() {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } }
}

function configDir(t: Test, yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-cfg-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'smpp-guard.yaml')
  writeFileSync(file, yaml)
  return file
}

t.test('admin commands print the proxy answer as JSON', async (t) => {
  const { socket, proxy } = await startAdmin(t)
  let c = io()
  t.equal(await main(['--socket', socket, 'status'], c.io), 0)
  t.match(JSON.parse(c.out.join('\n')), { sessions: 1 })

  c = io()
  t.equal(await main(['--socket', socket, 'optout', 'add', 'demo', '13812348000'], c.io), 0)
  t.same(JSON.parse(c.out.join('\n')), { added: true })
  t.ok(proxy.optouts.get('demo')!.has('13812348000'))

  c = io()
  t.equal(await main(['--socket', socket, 'suspend', 'ghost'], c.io), 1, 'a refused command exits 1')
  t.match(JSON.parse(c.out.join('\n')), { error: { code: 'SG_ERR_ADMIN_FAILED' } })
  t.match(c.err.join('\n'), /unknown account ghost/)

  proxy.failReloads()
  c = io()
  t.equal(await main(['--socket', socket, 'reload'], c.io), 1)
  t.match(c.err.join('\n'), /\/etc\/sg\.yaml:3: listen\.port: Invalid input/, 'file, line, key and reason')
})

t.test('the socket comes from the config file, relative to it, even when the file is broken', async (t) => {
  const socketDir = tempSocket(t)
  const file = configDir(t, `admin:\n  socket: ${JSON.stringify(socketDir)}\n`)
  t.same(readAdminConfig(file), { socket: socketDir, enabled: true })
  const rel = configDir(t, 'admin:\n  socket: run/admin.sock\nlisten: [broken\n')
  t.equal(readAdminConfig(rel).socket, join(rel, '..', 'run', 'admin.sock'))
  const none = configDir(t, 'listen: { port: 2775 }\n')
  t.equal(readAdminConfig(none).socket, join(none, '..', 'data', 'admin.sock'))

  const { socket } = await startAdmin(t, socketDir)
  const c = io()
  t.equal(await main(['--config', file, 'sessions'], c.io), 0)
  t.match(JSON.parse(c.out.join('\n')), [{ id: 's1' }])
  t.equal(socket, socketDir)
})

t.test('clear error when the proxy is not running', async (t) => {
  const c = io()
  const socket = tempSocket(t)
  t.equal(await main(['--socket', socket, 'status'], c.io), 3)
  t.match(c.err.join('\n'), /proxy admin socket not reachable: .*admin\.sock: no socket there: is the proxy running/)
  t.same(c.out, [])
})

t.test('a config with the admin socket turned off says so', async (t) => {
  const file = configDir(t, 'admin:\n  enabled: false\n')
  const c = io()
  t.equal(await main(['--config', file, 'status'], c.io), 3)
  t.match(c.err.join('\n'), /admin socket is turned off in .*admin\.enabled: false/)
})

t.test('usage errors exit 2 without connecting', async (t) => {
  let c = io()
  t.equal(await main(['--socket', '/nonexistent/x.sock', 'optout', 'add', 'demo'], c.io), 2)
  t.match(c.err.join('\n'), /optout add ACCOUNT NUMBER/)
  c = io()
  t.equal(await main(['--bogus'], c.io), 2)
  c = io()
  t.equal(await main(['--timeout', 'soon', 'status'], c.io), 2)
  c = io()
  t.equal(await main(['--help'], c.io), 0)
  t.match(c.out.join('\n'), /usage: smpp-guard admin/)
})
