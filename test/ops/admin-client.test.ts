import t, { type Test } from 'tap'
import { Server } from 'net-ipc'
import { createServer } from 'node:net'
import { adminRequest } from '../../src/ops/admin-client.js'
import { tempSocket } from './admin-fixture.js'

async function rawServer(t: Test, socket: string, onRequest: (respond: (d: unknown) => Promise<void>, conn: { destroy(): boolean }) => void) {
  const server = new Server({ path: socket, retries: 0 })
  server.on('request', (_req: unknown, respond: (d: unknown) => Promise<void>, conn: { destroy(): boolean }) => onRequest(respond, conn))
  await server.start()
  t.teardown(() => server.close())
  return server
}

t.test('the proxy going away mid-command is unreachable, at once', async (t) => {
  const socket = tempSocket(t)
  await rawServer(t, socket, (_respond, conn) => conn.destroy())
  await t.rejects(adminRequest(socket, { cmd: 'reload' }), { code: 'SG_ERR_ADMIN_UNREACHABLE', message: new RegExp(socket) })
})

t.test('no answer within the timeout', async (t) => {
  const socket = tempSocket(t)
  await rawServer(t, socket, () => {})
  await t.rejects(adminRequest(socket, { cmd: 'status' }, { timeout_ms: 100 }), { code: 'SG_ERR_ADMIN_UNREACHABLE', message: /no answer within 100 ms/ })
})

t.test('something that is not smpp-guard on the socket', async (t) => {
  const socket = tempSocket(t)
  await rawServer(t, socket, (respond) => void respond('hello'))
  await t.rejects(adminRequest(socket, { cmd: 'status' }), { code: 'SG_ERR_ADMIN_UNREACHABLE', message: /does not answer like smpp-guard/ })
})

t.test('a plain socket that never speaks net-ipc times out', async (t) => {
  const socket = tempSocket(t)
  const conns = new Set<import('node:net').Socket>()
  const plain = createServer((c) => {
    conns.add(c)
    c.on('error', () => {})
  })
  await new Promise<void>((r) => plain.listen(socket, r))
  t.teardown(() => {
    for (const c of conns) c.destroy()
    return new Promise<void>((r) => plain.close(() => r()))
  })
  await t.rejects(adminRequest(socket, { cmd: 'status' }, { timeout_ms: 100 }), { code: 'SG_ERR_ADMIN_UNREACHABLE' })
})

t.test('no socket file: the message asks whether the proxy runs', async (t) => {
  const socket = tempSocket(t)
  await t.rejects(adminRequest(socket, { cmd: 'status' }), { message: /no socket there: is the proxy running/ })
})
