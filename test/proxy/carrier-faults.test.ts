// The carrier drops every bind in the middle of a load: each in-flight message gets an error (never
// silence), nothing is sent to the carrier twice, every acknowledged message is at the carrier, and the
// flow resumes on the same client session once the binds are back.
import t from 'tap'
import { CommandStatus } from '../../src/smpp/constants.js'
import { DEMO, startHarness } from './harness.js'

t.test('carrier drops every bind mid-load', async (t) => {
  // A slow carrier keeps many submits in flight when the binds go.
  const h = await startHarness(t, { carrier: { resp_delay_ms: 20 }, upstream: { binds: 2 } })
  const c = await h.client({ ...DEMO, window: 50 })
  const carrier = h.carrier!
  let dropped = false
  carrier.on('submit', () => {
    if (!dropped && carrier.submits.length === 60) {
      dropped = true
      carrier.dropAll()
    }
  })
  const texts = Array.from({ length: 300 }, (_, i) => `load message ${i}`)
  const results = await Promise.all(
    texts.map((text, i) => c.submit({ source_addr: '10690001', destination_addr: String(13000000000 + i), short_message: Buffer.from(text) })),
  )
  t.ok(dropped, 'the binds were dropped under load')

  const statuses = new Set(results.map((r) => r.status))
  for (const s of statuses) {
    t.ok([CommandStatus.ESME_ROK, CommandStatus.ESME_RSYSERR, CommandStatus.ESME_RMSGQFUL].includes(s as never), `status 0x${s.toString(16)} is OK, lost in flight or retry later`)
  }
  t.ok(results.some((r) => r.status !== CommandStatus.ESME_ROK), 'in-flight messages got an error status')

  const atCarrier = carrier.submits.map((s) => s.fields.short_message.toString('latin1'))
  t.equal(new Set(atCarrier).size, atCarrier.length, 'nothing was sent to the carrier twice')
  const acknowledged = texts.filter((_, i) => results[i].status === CommandStatus.ESME_ROK)
  const missing = acknowledged.filter((text) => !atCarrier.includes(text))
  t.same(missing, [], 'every acknowledged message is at the carrier')

  await h.waitBound(2)
  const after = await c.submit({ source_addr: '10690001', destination_addr: '13900000000', short_message: Buffer.from('after the flap') })
  t.equal(after.status, CommandStatus.ESME_ROK, 'flow resumes on the same client session')
  await c.unbind()
})
