// The listener: TLS beside plain TCP, and the connection cap.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommandStatus } from '../../src/smpp/constants.js'
import { createClient, connectClient } from '../../src/simulator/client.js'
import { startHarness } from '../proxy/harness.js'

t.test('TLS listener serves the same sessions as the plain one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
  // A TLS handshake plus the scrypt check can outlast the harness's 1 s bind timeout on a loaded machine.
  const h = await startHarness(t, { listen: { tls: { port: 0, cert, key }, bind_timeout_ms: 10_000 } })
  const tlsPort = h.tlsPort
  t.ok(tlsPort && tlsPort > 0, 'TLS port bound')
  const c = await createClient({ port: tlsPort as number, system_id: 'acme', password: 'acme-pw', tls: { rejectUnauthorized: false } })
  t.teardown(() => c.destroy())
  const r = await c.submit({ source_addr: '10690001', destination_addr: '13800138000', short_message: Buffer.from('over tls') })
  t.equal(r.status, CommandStatus.ESME_ROK)
  t.equal(h.carrier!.submits.length, 1)
})

t.test('connections beyond listen.max_connections are refused', async (t) => {
  const h = await startHarness(t, { listen: { max_connections: 1 } })
  const first = await h.connect()
  const second = await connectClient({ port: h.port, system_id: '', password: '' })
  await second.closed
  t.pass('second connection closed at once')
  t.equal((await first.enquireLink()).status, CommandStatus.ESME_ROK, 'the first one is served')
})
