// The client-facing session over real sockets: the bind matrix, protocol chores, malformed input.
import t from 'tap'
import { once } from 'node:events'
import fc from 'fast-check'
import { CommandId, CommandStatus } from '../../src/smpp/constants.js'
import { encodeBind, encodeEnquireLink, encodeSubmitSm, encodeUnbind } from '../../src/smpp/encode.js'
import { readCommandId, readCommandStatus, readSequence } from '../../src/smpp/header.js'
import { BindError, createClient } from '../../src/simulator/client.js'
import { DEMO, startHarness } from '../proxy/harness.js'

const MSG = { source_addr: '10690001', destination_addr: '13800138000', short_message: Buffer.from('hello') }

async function bindStatus(port: number, o: { system_id: string; password: string; bind?: 'trx' | 'tx' | 'rx' }): Promise<number> {
  try {
    const c = await createClient({ port, ...o })
    await c.unbind()
    return CommandStatus.ESME_ROK
  } catch (err) {
    if (err instanceof BindError) return err.status
    throw err
  }
}

t.test('bind matrix', async (t) => {
  const h = await startHarness(t, {
    accounts: [
      DEMO,
      { system_id: 'twice', password: 'pw', max_binds: 1 },
      { system_id: 'fenced', password: 'pw', allowed_ips: ['10.0.0.0/8'] },
    ],
  })
  t.equal(await bindStatus(h.port, { system_id: 'acme', password: 'acme-pw' }), CommandStatus.ESME_ROK, 'good credentials')
  t.equal(await bindStatus(h.port, { system_id: 'acme', password: 'nope' }), CommandStatus.ESME_RINVPASWD, 'wrong password → 0x0E')
  t.equal(await bindStatus(h.port, { system_id: 'ghost', password: 'pw' }), CommandStatus.ESME_RINVSYSID, 'unknown system_id → 0x0F')
  t.equal(await bindStatus(h.port, { system_id: 'fenced', password: 'pw' }), CommandStatus.ESME_RBINDFAIL, 'address refused → 0x0D')
  const first = await h.client({ system_id: 'twice', password: 'pw' })
  t.equal(await bindStatus(h.port, { system_id: 'twice', password: 'pw', bind: 'rx' }), CommandStatus.ESME_RBINDFAIL, 'max_binds → 0x0D')
  await first.unbind()
  t.equal(await bindStatus(h.port, { system_id: 'twice', password: 'pw' }), CommandStatus.ESME_ROK, 'a freed bind slot is usable again')
})

t.test('a failed bind closes the connection', async (t) => {
  const h = await startHarness(t)
  const c = await h.connect()
  const r = await c.request(encodeBind(CommandId.bind_transceiver, 0, { system_id: 'acme', password: 'bad' }))
  t.equal(r.status, CommandStatus.ESME_RINVPASWD)
  await c.closed
  t.pass('closed by the proxy')
})

t.test('second bind on a bound session → 0x05', async (t) => {
  const h = await startHarness(t)
  const c = await h.client({ system_id: 'acme', password: 'acme-pw' })
  const r = await c.request(encodeBind(CommandId.bind_transmitter, 0, { system_id: 'acme', password: 'acme-pw' }))
  t.equal(readCommandId(r.pdu), CommandId.bind_transmitter_resp)
  t.equal(r.status, CommandStatus.ESME_RALYBND)
  t.equal((await c.enquireLink()).status, CommandStatus.ESME_ROK, 'session still serves')
})

t.test('submit before bind, and on a receiver → 0x04', async (t) => {
  const h = await startHarness(t)
  const raw = await h.connect()
  const r1 = await raw.request(encodeSubmitSm(0, MSG))
  t.equal(r1.status, CommandStatus.ESME_RINVBNDSTS)
  const rx = await h.client({ system_id: 'acme', password: 'acme-pw', bind: 'rx' })
  const r2 = await rx.submit(MSG)
  t.equal(r2.status, CommandStatus.ESME_RINVBNDSTS)
  t.equal(h.carrier?.submits.length, 0, 'nothing reached the carrier')
})

t.test('enquire_link answered; unbind → unbind_resp and close', async (t) => {
  const h = await startHarness(t)
  const c = await h.client({ system_id: 'acme', password: 'acme-pw' })
  t.equal((await c.enquireLink()).status, CommandStatus.ESME_ROK)
  const r = await c.request(encodeUnbind(0))
  t.equal(readCommandId(r.pdu), CommandId.unbind_resp)
  await c.closed
  t.pass('closed after unbind')
})

t.test('an unbind behind a submit in the same write: the submit is answered first, then unbind_resp', async (t) => {
  const h = await startHarness(t)
  const c = await h.client({ system_id: 'acme', password: 'acme-pw' })
  const got: [number, number, number][] = []
  c.on('pdu', (p: Buffer) => got.push([readCommandId(p), readCommandStatus(p), readSequence(p)]))
  // Anything pipelined behind the unbind is not served.
  c.write(Buffer.concat([encodeSubmitSm(2, MSG), encodeUnbind(3), encodeEnquireLink(4)]))
  await c.closed
  t.same(got, [
    [CommandId.submit_sm_resp, CommandStatus.ESME_ROK, 2],
    [CommandId.unbind_resp, CommandStatus.ESME_ROK, 3],
  ])
  t.equal(h.carrier?.submits.length, 1)
})

t.test('malformed PDUs get generic_nack and the session lives on', async (t) => {
  const h = await startHarness(t)
  const c = await h.client({ system_id: 'acme', password: 'acme-pw' })
  const nacks: Buffer[] = []
  c.on('pdu', (p: Buffer) => {
    if (readCommandId(p) === CommandId.generic_nack) nacks.push(p)
  })
  // Unknown command id.
  const unknown = encodeEnquireLink(77)
  unknown.writeUInt32BE(0x00000777, 4)
  c.write(unknown)
  // Oversized command_length: header only, the rest never arrives; the proxy skips what comes.
  const big = Buffer.alloc(16)
  big.writeUInt32BE(70000, 0)
  big.writeUInt32BE(CommandId.submit_sm, 4)
  big.writeUInt32BE(78, 12)
  c.write(big)
  c.write(Buffer.alloc(70000 - 16))
  // A submit_sm whose short_message runs past the PDU.
  const bad = encodeSubmitSm(79, MSG)
  bad[bad.length - MSG.short_message.length - 1] = 200
  const r = await c.request(bad)
  t.equal(r.status, CommandStatus.ESME_RINVMSGLEN, 'field error → the right status in submit_sm_resp')
  t.equal((await c.enquireLink()).status, CommandStatus.ESME_ROK, 'still answers enquire_link')
  t.same(
    nacks.map((p) => [p.readUInt32BE(8), p.readUInt32BE(12)]),
    [
      [CommandStatus.ESME_RINVCMDID, 77],
      [CommandStatus.ESME_RINVCMDLEN, 78],
    ],
  )
})

t.test('a deliver_sm from a client is refused in kind; stray responses get no answer', async (t) => {
  const h = await startHarness(t)
  const c = await h.client({ system_id: 'acme', password: 'acme-pw' })
  const seen: number[][] = []
  c.on('pdu', (p: Buffer) => seen.push([readCommandId(p), p.readUInt32BE(8), p.readUInt32BE(12)]))
  const stray = encodeEnquireLink(90)
  stray.writeUInt32BE(0x80000999, 4)
  c.write(stray)
  const deliver = encodeSubmitSm(91, MSG)
  deliver.writeUInt32BE(CommandId.deliver_sm, 4)
  c.write(deliver)
  t.equal((await c.enquireLink()).status, CommandStatus.ESME_ROK)
  t.same(
    seen.filter(([id]) => id !== CommandId.enquire_link_resp),
    [[CommandId.deliver_sm_resp, CommandStatus.ESME_RINVBNDSTS, 91]],
    'deliver_sm_resp 0x04 for the deliver_sm, nothing for the stray response',
  )
})

t.test('impossible command_length closes only that connection', async (t) => {
  const h = await startHarness(t)
  const good = await h.client({ system_id: 'acme', password: 'acme-pw' })
  const bad = await h.client({ system_id: 'acme', password: 'acme-pw' })
  const tiny = Buffer.alloc(16)
  tiny.writeUInt32BE(8, 0)
  bad.write(tiny)
  await bad.closed
  t.equal((await good.enquireLink()).status, CommandStatus.ESME_ROK, 'the other session is untouched')
})

t.test('a connection that never binds is closed after bind_timeout_ms', async (t) => {
  const h = await startHarness(t, { listen: { bind_timeout_ms: 200 } })
  const c = await h.connect()
  await c.closed
  t.pass('closed')
})

t.test('a bound client that stops answering is dropped as a dead peer', async (t) => {
  const h = await startHarness(t, { listen: { enquire_link_ms: 1000 } })
  const c = await h.client({ system_id: 'acme', password: 'acme-pw' })
  // Swallow the proxy's enquire_link instead of answering.
  c.socket.removeAllListeners('data')
  const seen = once(c.socket, 'data')
  await seen
  await c.closed
  t.pass('dropped after unanswered enquire_links')
})

t.test('random well-framed PDUs never break the session or the process', async (t) => {
  const h = await startHarness(t)
  const c = await h.client({ system_id: 'acme', password: 'acme-pw', window: 50 })
  const ids = [
    CommandId.submit_sm,
    CommandId.deliver_sm_resp,
    CommandId.bind_transceiver,
    CommandId.data_sm,
    CommandId.query_sm,
    CommandId.generic_nack,
    CommandId.unbind_resp,
    CommandId.enquire_link_resp,
    0x00000077,
    0x80000077,
  ]
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ids), fc.uint8Array({ maxLength: 300 }), async (id, body) => {
      const pdu = Buffer.alloc(16 + body.length)
      pdu.writeUInt32BE(pdu.length, 0)
      pdu.writeUInt32BE(id, 4)
      Buffer.from(body).copy(pdu, 16)
      c.write(pdu)
      const r = await c.enquireLink()
      return r.status === CommandStatus.ESME_ROK
    }),
    { numRuns: 300 },
  )
  const other = await h.client({ system_id: 'acme', password: 'acme-pw' })
  t.equal((await other.enquireLink()).status, CommandStatus.ESME_ROK, 'other sessions unaffected')
})
