import t from 'tap'
import { once } from 'node:events'
import { CommandStatus, EsmClass, Tag } from '../../src/smpp/constants.js'
import { tlvCString } from '../../src/smpp/pdu.js'
import { parseReceipt } from '../../src/smpp/receipt.js'
import { encodeText } from '../../src/smpp/text/index.js'
import { createCarrier } from '../../src/simulator/carrier.js'
import { createClient, connectClient, BindError } from '../../src/simulator/client.js'

const ucs2 = (s: string) => encodeText(8, s, { default_alphabet: 'gsm' }).bytes

t.test('accepts binds, answers submits with unique ids and records the exact bytes', async (t) => {
  const carrier = await createCarrier({ system_id: 'guard', password: 'pw' })
  t.teardown(() => carrier.close())
  const client = await createClient({ port: carrier.port, system_id: 'guard', password: 'pw', window: 10 })
  t.teardown(() => client.destroy())
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => client.submit({ source_addr: '1069', destination_addr: `1380013800${i % 10}`, data_coding: 8, short_message: ucs2(`验证码${i}`) })),
  )
  t.ok(results.every((r) => r.status === CommandStatus.ESME_ROK))
  t.equal(new Set(results.map((r) => r.message_id)).size, 20, 'ids are unique')
  t.equal(carrier.submits.length, 20)
  t.equal(carrier.submits[3].system_id, 'guard')
  t.ok(carrier.submits[3].fields.short_message.equals(ucs2('验证码3')))
  await client.unbind()
})

t.test('refuses wrong credentials with the right status', async (t) => {
  const carrier = await createCarrier({ system_id: 'guard', password: 'pw' })
  t.teardown(() => carrier.close())
  await t.rejects(createClient({ port: carrier.port, system_id: 'guard', password: 'nope' }), new BindError(CommandStatus.ESME_RINVPASWD))
  await t.rejects(createClient({ port: carrier.port, system_id: 'other', password: 'pw' }), new BindError(CommandStatus.ESME_RINVSYSID))
})

t.test('sends a delivery receipt that names the message id', async (t) => {
  const carrier = await createCarrier({ dlr: true, dlr_delay_ms: 5, id_format: 'decimal' })
  t.teardown(() => carrier.close())
  const client = await createClient({ port: carrier.port, system_id: 'a', password: 'b' })
  t.teardown(() => client.destroy())
  const r = await client.submit({ source_addr: '1069', destination_addr: '13800138000', registered_delivery: 1, short_message: Buffer.from('hello') })
  const [d] = await client.waitForDeliveries(1)
  t.equal(d.fields.esm_class & EsmClass.DELIVERY_RECEIPT, EsmClass.DELIVERY_RECEIPT)
  t.equal(tlvCString(d.fields.tlvs, Tag.receipted_message_id), r.message_id)
  const receipt = parseReceipt(d.fields.short_message.toString('latin1'))
  t.equal(receipt?.id, r.message_id)
  t.equal(receipt?.stat, 'DELIVRD')
  t.match(r.message_id, /^\d+$/)
  t.equal(d.fields.destination_addr, '1069')
})

t.test('injects errors and throttling every N messages', async (t) => {
  const carrier = await createCarrier({ error_every: 3, throttle_every: 5 })
  t.teardown(() => carrier.close())
  const client = await createClient({ port: carrier.port, system_id: 'a', password: 'b', window: 1 })
  t.teardown(() => client.destroy())
  const statuses: number[] = []
  for (let i = 0; i < 10; i++) statuses.push((await client.submit({ source_addr: '1', destination_addr: '2' })).status)
  t.same(statuses, [0, 0, 8, 0, 0x58, 8, 0, 0, 8, 0x58])
})

t.test('MO messages reach receiver-capable binds only', async (t) => {
  const carrier = await createCarrier()
  t.teardown(() => carrier.close())
  const rx = await createClient({ port: carrier.port, system_id: 'acct', password: 'x', bind: 'rx' })
  const tx = await createClient({ port: carrier.port, system_id: 'acct', password: 'x', bind: 'tx' })
  t.teardown(() => {
    rx.destroy()
    tx.destroy()
  })
  t.equal(carrier.sendMo({ source_addr: '13800138000', destination_addr: '10690000', text: '退订' }), 1)
  const [d] = await rx.waitForDeliveries(1)
  t.equal(d.fields.data_coding, 8)
  t.ok(d.fields.short_message.equals(ucs2('退订')))
  t.equal(tx.deliveries.length, 0)
  const sub = await tx.submit({ source_addr: '1', destination_addr: '2' })
  t.equal(sub.status, 0)
  const onRx = await rx.submit({ source_addr: '1', destination_addr: '2' })
  t.equal(onRx.status, CommandStatus.ESME_RINVBNDSTS, 'submit on a receiver bind is refused')
})

t.test('answers out of order when asked and nacks unknown commands', async (t) => {
  const carrier = await createCarrier({ out_of_order: true })
  t.teardown(() => carrier.close())
  const client = await connectClient({ port: carrier.port, system_id: 'a', password: 'b', window: 50 })
  t.teardown(() => client.destroy())
  await client.bind()
  const order: number[] = []
  client.on('pdu', (pdu: Buffer) => order.push(pdu.readUInt32BE(12)))
  // One write, so the carrier sees the ten PDUs in one chunk and reverses them.
  client.socket.cork()
  const batch = Array.from({ length: 10 }, () => client.submit({ source_addr: '1', destination_addr: '2' }))
  setImmediate(() => client.socket.uncork())
  const res = await Promise.all(batch)
  t.ok(res.every((r) => r.status === 0))
  const unknown = Buffer.alloc(16)
  unknown.writeUInt32BE(16, 0)
  unknown.writeUInt32BE(0x0000ffff, 4)
  const nack = await client.request(unknown)
  t.equal(nack.status, CommandStatus.ESME_RINVCMDID)
  t.not(order.join(','), [...order].sort((a, b) => a - b).join(','), 'responses came out of order')
})

t.test('dropAll closes every connection', async (t) => {
  const carrier = await createCarrier()
  t.teardown(() => carrier.close())
  const client = await createClient({ port: carrier.port, system_id: 'a', password: 'b' })
  carrier.dropAll()
  await once(client, 'close')
  t.equal(carrier.boundCount(), 0)
})
