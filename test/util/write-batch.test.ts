import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { WriteBatch } from '../../src/util/write-batch.js'

async function pair(t: { teardown(fn: () => void): void }): Promise<{ client: net.Socket; server: net.Socket }> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1')
  const [server] = (await once(srv, 'connection')) as [net.Socket]
  t.teardown(() => {
    client.destroy()
    server.destroy()
    srv.close()
  })
  return { client, server }
}

/** Records the length of each write handed to `socket`; `restore` puts its own write back. */
function spyWrites(socket: net.Socket): { writes: number[]; restore(): void } {
  const writes: number[] = []
  const write = socket.write.bind(socket)
  socket.write = ((chunk: Buffer) => {
    writes.push(chunk.length)
    return write(chunk)
  }) as typeof socket.write
  return { writes, restore: () => void (socket.write = write as typeof socket.write) }
}

t.test('what is written in one tick reaches the socket as one write, in order', async (t) => {
  const { client, server } = await pair(t)
  const { writes } = spyWrites(client)
  const out = new WriteBatch(client, () => t.fail('not full'))
  out.write(Buffer.from('ab'))
  out.write(Buffer.from('cde'))
  t.equal(out.unwritten, 5, 'queued bytes count as unwritten')
  t.same(writes, [], 'nothing handed to the socket yet')
  const got: Buffer[] = []
  server.on('data', (d: Buffer) => got.push(d))
  await new Promise((r) => setImmediate(r))
  t.same(writes, [5])
  out.write(Buffer.from('f'))
  out.flush()
  t.same(writes, [5, 1], 'flush hands it over at once')
  client.end()
  await once(server, 'end')
  t.equal(Buffer.concat(got).toString(), 'abcdef')
})

t.test('per turn: writes of several callbacks in one turn of the event loop leave in one write', async (t) => {
  const { client, server } = await pair(t)
  const count = (perTurn: boolean) => {
    const { writes, restore } = spyWrites(client)
    const out = new WriteBatch(client, () => t.fail('not full'), perTurn)
    // Two callbacks of one turn, as two socket reads handled back to back would be.
    process.nextTick(() => out.write(Buffer.from('ab')))
    setImmediate(() => process.nextTick(() => out.write(Buffer.from('cde'))))
    out.write(Buffer.from('x'))
    return new Promise<number[]>((resolve) => setTimeout(() => resolve(writes), 5)).finally(restore)
  }
  t.same(await count(false), [3, 3], 'per tick: one write per callback')
  t.same(await count(true), [6], 'per turn: one write')
  const got: Buffer[] = []
  server.on('data', (d: Buffer) => got.push(d))
  client.end()
  await once(server, 'end')
  t.equal(Buffer.concat(got).toString(), 'xabcdexabcde')
})

t.test('nothing is written after end or destroy', async (t) => {
  const { client } = await pair(t)
  const out = new WriteBatch(client, () => {})
  out.write(Buffer.from('late'))
  client.destroy()
  out.flush()
  t.equal(out.unwritten, 0)
})

t.test('a peer that does not read: the socket fills, onFull is called, drain follows', async (t) => {
  const { client, server } = await pair(t)
  server.pause()
  let full = 0
  const drained = once(client, 'drain')
  const out = new WriteBatch(client, () => full++)
  const chunk = Buffer.alloc(64 * 1024)
  for (let i = 0; i < 200 && full === 0; i++) {
    out.write(chunk)
    await new Promise((r) => setImmediate(r))
  }
  t.ok(full > 0, 'told the socket is full')
  server.resume()
  await drained
  t.pass('drain follows')
})
