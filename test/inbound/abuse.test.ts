// Abuse resistance of the client listener over real sockets: bind lockouts, slow and non-reading clients,
// connection floods from one address, and the TLS protocol floor.
import t from 'tap'
import net from 'node:net'
import tls from 'node:tls'
import { once } from 'node:events'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Counter } from 'prom-client'
import { ListenSchema } from '../../src/config/schema.js'
import { CommandId, CommandStatus } from '../../src/smpp/constants.js'
import { encodeBind, encodeEnquireLink } from '../../src/smpp/encode.js'
import { BindError, connectClient, createClient } from '../../src/simulator/client.js'
import { DEMO, startHarness, type Harness } from '../proxy/harness.js'

const OTHER = { system_id: 'other', password: 'other-pw' }

async function count(c: Counter<string>, label: string): Promise<number> {
  const { values } = await c.get()
  return values.filter((v) => Object.values(v.labels).includes(label)).reduce((n, v) => n + v.value, 0)
}

async function bindStatus(port: number, system_id: string, password: string): Promise<number> {
  try {
    const c = await createClient({ port, system_id, password })
    await c.unbind()
    return CommandStatus.ESME_ROK
  } catch (err) {
    if (err instanceof BindError) return err.status
    throw err
  }
}

/** A raw socket bound as transceiver, its bind_resp read; the server-side session it maps to. */
async function rawBound(h: Harness): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port: h.port })
  socket.on('error', () => {})
  await once(socket, 'connect')
  socket.write(encodeBind(CommandId.bind_transceiver, 1, { system_id: DEMO.system_id, password: DEMO.password }))
  const [resp] = (await once(socket, 'data')) as [Buffer]
  if (resp.readUInt32BE(8) !== CommandStatus.ESME_ROK) throw new Error('bind refused')
  const sessions = [...h.server.connections]
  if (sessions.length !== 1) throw new Error(`expected one session, got ${sessions.length}`)
  return { socket, closed: sessions[0].closed }
}

/** Sends enquire_links without ever reading the answers, until the proxy's session has closed. */
async function floodWithoutReading(socket: net.Socket, serverClosed: Promise<void>): Promise<void> {
  socket.pause()
  const chunk = Buffer.concat(Array.from({ length: 4096 }, (_, i) => encodeEnquireLink(i + 2)))
  let done = false
  void serverClosed.then(() => (done = true))
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  // Loopback socket buffers hold a few MiB each way; 512 MiB is far past them, so the loop stops by itself.
  for (let sent = 0; !done && !socket.destroyed && sent < 512 * 1024 * 1024; sent += chunk.length) {
    if (!socket.write(chunk)) await Promise.race([once(socket, 'drain').catch(() => {}), serverClosed, gone])
  }
  await serverClosed
  socket.destroy()
}

t.test('wrong passwords lock the account out; other accounts from the same address still bind', async (t) => {
  const h = await startHarness(t, {
    carrier: false,
    accounts: [DEMO, OTHER],
    listen: { bind_lockout: { attempts_per_account: 2, attempts_per_ip: 100 } },
  })
  t.equal(await bindStatus(h.port, 'acme', 'wrong-1'), CommandStatus.ESME_RINVPASWD)
  t.equal(await bindStatus(h.port, 'acme', 'wrong-2'), CommandStatus.ESME_RINVPASWD)
  t.equal(await count(h.metrics.bindLockouts, 'account'), 1, 'one account lockout counted')
  const c = await h.connect()
  const r = await c.request(encodeBind(CommandId.bind_transceiver, 0, { system_id: 'acme', password: 'acme-pw' }))
  t.equal(r.status, CommandStatus.ESME_RBINDFAIL, 'the right password is refused while locked → 0x0D')
  await c.closed
  t.pass('the locked-out connection is closed')
  t.equal(await count(h.metrics.clientBindFailures, 'locked_out'), 1)
  t.equal(await bindStatus(h.port, 'other', 'other-pw'), CommandStatus.ESME_ROK, 'another account is unaffected')
  t.equal(await count(h.metrics.bindLockouts, 'ip'), 0, 'the address was not locked')
})

t.test('failed binds from one address lock that address out, unknown system_ids included', async (t) => {
  const h = await startHarness(t, {
    carrier: false,
    accounts: [DEMO, OTHER],
    listen: { bind_lockout: { attempts_per_account: 100, attempts_per_ip: 3 } },
  })
  t.equal(await bindStatus(h.port, 'ghost-1', 'x'), CommandStatus.ESME_RINVSYSID)
  t.equal(await bindStatus(h.port, 'ghost-2', 'x'), CommandStatus.ESME_RINVSYSID)
  t.equal(await bindStatus(h.port, 'acme', 'wrong'), CommandStatus.ESME_RINVPASWD)
  t.equal(await count(h.metrics.bindLockouts, 'ip'), 1, 'one address lockout counted')
  t.equal(await bindStatus(h.port, 'acme', 'acme-pw'), CommandStatus.ESME_RBINDFAIL, 'good credentials refused')
  t.equal(await bindStatus(h.port, 'other', 'other-pw'), CommandStatus.ESME_RBINDFAIL, 'for every account')
  t.equal(await count(h.metrics.bindLockouts, 'account'), 0)
})

t.test('a PDU left incomplete is dropped after listen.pdu_timeout_ms', async (t) => {
  const h = await startHarness(t, { carrier: false, listen: { pdu_timeout_ms: 200, bind_timeout_ms: 60_000 } })
  const socket = net.connect({ host: '127.0.0.1', port: h.port })
  socket.on('error', () => {})
  t.teardown(() => socket.destroy())
  await once(socket, 'connect')
  // Ten bytes of a bind header: the rest never comes.
  socket.write(encodeBind(CommandId.bind_transceiver, 1, { system_id: 'acme', password: 'acme-pw' }).subarray(0, 10))
  await once(socket, 'close')
  t.equal(await count(h.metrics.clientConnectionsDropped, 'pdu_timeout'), 1)
})

t.test('a bound client that never reads is dropped once its output stays blocked', async (t) => {
  const h = await startHarness(t, { carrier: false, listen: { write_blocked_timeout_ms: 200 } })
  const { socket, closed } = await rawBound(h)
  t.teardown(() => socket.destroy())
  await floodWithoutReading(socket, closed)
  t.equal(await count(h.metrics.clientConnectionsDropped, 'write_blocked'), 1)
  t.equal(h.server.connections.size, 0)
})

t.test('a client that never reads is dropped once its unwritten output passes the bound', async (t) => {
  const h = await startHarness(t, { carrier: false, listen: { max_write_buffer_bytes: 4096, write_blocked_timeout_ms: 600_000 } })
  const { socket, closed } = await rawBound(h)
  t.teardown(() => socket.destroy())
  await floodWithoutReading(socket, closed)
  t.equal(await count(h.metrics.clientConnectionsDropped, 'write_buffer'), 1)
  t.equal(await count(h.metrics.clientConnectionsDropped, 'write_blocked'), 0)
})

t.test('listen.max_connections_per_ip caps concurrent connections from one address', async (t) => {
  const h = await startHarness(t, { carrier: false, listen: { max_connections_per_ip: 2 } })
  const a = await h.connect()
  const b = await h.connect()
  const c = await connectClient({ port: h.port, system_id: '', password: '' })
  await c.closed
  t.pass('the third connection is closed at once')
  t.equal(await count(h.metrics.clientConnectionsDropped, 'per_ip'), 1)
  t.equal((await a.enquireLink()).status, CommandStatus.ESME_ROK, 'the first ones are served')
  const [first] = [...h.server.connections]
  a.destroy()
  await first.closed
  const d = await h.connect()
  t.equal((await d.enquireLink()).status, CommandStatus.ESME_ROK, 'a freed slot is usable again')
  t.equal((await b.enquireLink()).status, CommandStatus.ESME_ROK)
})

t.test('listen.max_new_connections_per_ip_per_second refuses a burst of connections', async (t) => {
  const h = await startHarness(t, { carrier: false, listen: { max_new_connections_per_ip_per_second: 1 } })
  let served = 0
  let refused = 0
  // Five connections in a row span at most a few seconds on any machine, so at least one shares a second.
  for (let i = 0; i < 5; i++) {
    const c = await connectClient({ port: h.port, system_id: '', password: '' })
    t.teardown(() => c.destroy())
    try {
      await c.enquireLink()
      served++
    } catch {
      refused++
    }
  }
  t.ok(served >= 1, 'the first connection of a second is served')
  t.ok(refused >= 1, 'a second one within the same second is refused')
  t.equal(await count(h.metrics.clientConnectionsDropped, 'per_ip_rate'), refused)
})

t.test('TLS', async (t) => {
  t.equal(ListenSchema.parse({ tls: { cert: 'c', key: 'k' } }).tls?.min_version, 'TLSv1.2', 'TLS 1.2 is the default floor')
  t.notOk(ListenSchema.safeParse({ tls: { cert: 'c', key: 'k', min_version: 'TLSv1.1' } }).success, 'TLS 1.1 cannot be configured')

  const dir = mkdtempSync(join(tmpdir(), 'sg-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
  const h = await startHarness(t, { carrier: false, listen: { tls: { port: 0, cert, key }, max_connections_per_ip: 2 } })
  const port = h.tlsPort as number

  const connectTls = (o: tls.ConnectionOptions): Promise<tls.TLSSocket> =>
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...o }, () => resolve(s))
      s.once('error', reject)
    })

  // The client allows old protocols and weak settings, so only the server can be what refuses.
  const old = await connectTls({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }).then(
    (s) => {
      s.destroy()
      return 'connected'
    },
    (err: NodeJS.ErrnoException) => err.code,
  )
  t.equal(old, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'a TLS 1.1 client is refused with a protocol_version alert')

  const modern = await connectTls({ maxVersion: 'TLSv1.2' })
  t.equal(modern.getProtocol(), 'TLSv1.2', 'a TLS 1.2 client connects')

  // The per-address cap counts TCP sockets before their handshake: a hanging handshake holds a slot.
  const hanging = net.connect({ host: '127.0.0.1', port })
  hanging.on('error', () => {})
  t.teardown(() => hanging.destroy())
  await once(hanging, 'connect')
  const third = await connectTls({}).then(
    (s) => {
      s.destroy()
      return 'connected'
    },
    () => 'refused',
  )
  t.equal(third, 'refused', 'a third connection from the address is refused before its handshake')
  t.ok((await count(h.metrics.clientConnectionsDropped, 'per_ip')) >= 1)
  modern.destroy()
})
