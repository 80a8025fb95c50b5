import t from 'tap'
import { statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { adminRequest } from '../../src/ops/admin-client.js'
import { Client } from 'net-ipc'
import { createAdminServer } from '../../src/ops/admin-server.js'
import { captureLog, fakeProxy, startAdmin, tempSocket } from './admin-fixture.js'

t.test('the socket is mode 0600 and answers every command', async (t) => {
  const { socket, proxy, metrics } = await startAdmin(t)
  t.equal(statSync(socket).mode & 0o777, 0o600)
  const ask = (req: Parameters<typeof adminRequest>[1]) => adminRequest(socket, req)

  t.same(await ask({ cmd: 'ping' }), { ok: true, result: { pid: process.pid } })
  t.match(await ask({ cmd: 'status' }), { ok: true, result: { sessions: 1 } })
  t.match(await ask({ cmd: 'sessions.list' }), { ok: true, result: [{ id: 's1', account: 'demo' }] })
  t.same(await ask({ cmd: 'sessions.kick', id: 's1' }), { ok: true, result: { kicked: 's1' } })
  t.equal(proxy.sessions.size, 0)
  t.match(await ask({ cmd: 'sessions.kick', id: 's1' }), { ok: false, error: { code: 'SG_ERR_ADMIN_FAILED', message: /no session s1/ } })

  t.match(await ask({ cmd: 'suspend', account: 'demo' }), { ok: true })
  t.ok(proxy.suspended.has('demo'))
  t.match(await ask({ cmd: 'resume', account: 'demo' }), { ok: true })
  t.notOk(proxy.suspended.has('demo'))
  t.match(await ask({ cmd: 'suspend', account: 'ghost' }), { ok: false, error: { message: /unknown account ghost/ } })

  t.same(await ask({ cmd: 'optout.add', account: 'demo', number: '13812348000' }), { ok: true, result: { added: true } })
  t.same(await ask({ cmd: 'optout.list', account: 'demo' }), { ok: true, result: ['13812348000'] })
  t.same(await ask({ cmd: 'optout.remove', account: 'demo', number: '13812348000' }), { ok: true, result: { removed: true } })
  t.same(await ask({ cmd: 'optout.list', account: 'demo' }), { ok: true, result: [] })

  t.match(await ask({ cmd: 'rules.test', account: 'demo', text: '来赌一把' }), { ok: true, result: { action: 'reject' } })
  t.match(await ask({ cmd: 'reload' }), { ok: true })
  proxy.failReloads()
  t.match(await ask({ cmd: 'reload' }), {
    ok: false,
    error: { code: 'SG_ERR_CONFIG_INVALID', problems: [{ file: '/etc/sg.yaml', line: 3, key: 'listen.port' }] },
  })

  const body = await metrics.registry.getSingleMetricAsString('smpp_guard_admin_commands_total')
  t.match(body, /command="reload",result="ok"\} 1/)
  t.match(body, /command="reload",result="failed"\} 1/)
  t.match(body, /command="suspend",result="failed"\} 1/)
})

t.test('invalid requests are answered, not crashed on', async (t) => {
  const { socket } = await startAdmin(t)
  const bad = [{ cmd: 'format-disk' }, { cmd: 'optout.add', account: 'demo', number: 'drop table' }, { cmd: 'status', extra: 1 }, 'status', null]
  for (const req of bad) {
    const res = await adminRequest(socket, req as never)
    t.match(res, { ok: false, error: { code: 'SG_ERR_USAGE' } }, JSON.stringify(req))
  }
  t.match(await adminRequest(socket, { cmd: 'status' }), { ok: true }, 'still serving')
})

t.test('admin log lines name the command but mask numbers and never carry text', async (t) => {
  const { socket, lines } = await startAdmin(t)
  await adminRequest(socket, { cmd: 'optout.add', account: 'demo', number: '13812348000' })
  await adminRequest(socket, { cmd: 'rules.test', account: 'demo', text: '秘密验证码 482913' })
  await adminRequest(socket, { cmd: 'optout.add', account: 'ghost', number: '13900001111' })
  const joined = lines.join('\n')
  t.match(joined, /"command":"optout.add"/)
  t.match(joined, /"command":"rules.test"/)
  t.match(joined, /138\*\*\*\*8000/)
  t.notMatch(joined, /13812348000|13900001111/)
  t.notMatch(joined, /482913|验证码/)
})

t.test('a stale socket file is removed at start', async (t) => {
  const socket = tempSocket(t)
  // A socket file nobody listens on, as a killed proxy leaves it: a child listens, then gets SIGKILL.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await once(child.stdout!, 'data')
  child.kill('SIGKILL')
  await once(child, 'exit')
  t.ok(existsSync(socket), 'stale file present')
  const { log, lines } = captureLog()
  const server = createAdminServer({ socket }, { handlers: fakeProxy().handlers, log })
  t.teardown(() => server.close())
  t.equal(await server.listen(), socket)
  t.match(lines.join('\n'), /stale admin socket removed/)
  t.match(await adminRequest(socket, { cmd: 'ping' }), { ok: true })
})

t.test('refuses to start while another live proxy answers on the socket', async (t) => {
  const { socket } = await startAdmin(t)
  const second = createAdminServer({ socket }, { handlers: fakeProxy().handlers, log: captureLog().log })
  await t.rejects(second.listen(), { code: 'SG_ERR_ADMIN_IN_USE', message: new RegExp(`pid ${process.pid}`) })
  t.equal(second.status, 'closed')
  t.match(await adminRequest(socket, { cmd: 'status' }), { ok: true }, 'the first one still serves')
})

t.test('refuses to replace a file that is not a socket', async (t) => {
  const socket = tempSocket(t)
  writeFileSync(socket, 'precious')
  const server = createAdminServer({ socket }, { handlers: fakeProxy().handlers, log: captureLog().log })
  await t.rejects(server.listen(), { code: 'SG_ERR_ADMIN_IN_USE', message: /not a socket/ })
  t.equal(statSync(socket).size, 8)
})

t.test('close removes the socket file; later requests are unreachable; close and destroy are idempotent', async (t) => {
  const { socket, server } = await startAdmin(t)
  await adminRequest(socket, { cmd: 'status' })
  const a = server.close()
  const b = server.destroy()
  await Promise.all([a, b])
  t.equal(server.status, 'closed')
  t.notOk(existsSync(socket))
  await t.rejects(adminRequest(socket, { cmd: 'status' }), { code: 'SG_ERR_ADMIN_UNREACHABLE', message: /is the proxy running/ })
})

t.test('disabled: listen resolves null', async (t) => {
  const server = createAdminServer({ socket: tempSocket(t), enabled: false }, { handlers: fakeProxy().handlers, log: captureLog().log })
  t.equal(await server.listen(), null)
  await server.close()
})

t.test('a client that leaves, or a shutdown, while a slow command runs is not an error', async (t) => {
  const socket = tempSocket(t)
  const gates: (() => void)[] = []
  let started!: () => void
  let running = new Promise<void>((r) => (started = r))
  const finished: Promise<void>[] = []
  const handlers = {
    ...fakeProxy().handlers,
    reload: () => {
      started()
      const p = new Promise<void>((r) => gates.push(r)).then(() => ({ ok: true }))
      finished.push(p.then(() => new Promise<void>((r) => setImmediate(r))))
      return p
    },
  }
  const server = createAdminServer({ socket }, { handlers, log: captureLog().log })
  await server.listen()
  t.teardown(() => server.close())

  const leaver = new Client({ path: socket, reconnect: false })
  await leaver.connect()
  void leaver.request({ cmd: 'reload' }, 0).catch(() => {})
  await running
  const closed = once(leaver, 'close')
  leaver.destroy()
  await closed
  gates[0]()
  await finished[0]
  t.match(await adminRequest(socket, { cmd: 'status' }), { ok: true }, 'still serving')

  running = new Promise<void>((r) => (started = r))
  const stayer = new Client({ path: socket, reconnect: false })
  stayer.on('error', () => {})
  await stayer.connect()
  void stayer.request({ cmd: 'reload' }, 0).catch(() => {})
  await running
  await server.destroy()
  gates[1]()
  await finished[1]
  t.equal(server.status, 'closed', 'shut down with the command still running; its late answer is dropped')
})

t.test('a socket path too long for a unix socket is refused, not truncated', async (t) => {
  const socket = join(tempSocket(t), '..', 'x'.repeat(110) + '.sock')
  const server = createAdminServer({ socket }, { handlers: fakeProxy().handlers, log: captureLog().log })
  await t.rejects(server.listen(), { code: 'SG_ERR_CONFIG_INVALID', message: /at most 107/ })
  t.equal(server.status, 'closed')
})

t.test('close while starting leaves nothing listening', async (t) => {
  const socket = tempSocket(t)
  const server = createAdminServer({ socket }, { handlers: fakeProxy().handlers, log: captureLog().log })
  const listening = server.listen()
  await server.close()
  await t.rejects(listening, { code: 'SG_ERR_SHUTTING_DOWN' })
  t.equal(server.status, 'closed')
  t.notOk(existsSync(socket), 'no socket left behind')
})
