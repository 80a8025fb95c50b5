// The transparent path end to end on 127.0.0.1: client → proxy → carrier simulator and back.
import t from 'tap'
import { once } from 'node:events'
import net from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Framer } from '../../src/smpp/framer.js'
import { CommandId, CommandStatus, DataCoding, EsmClass, Tag } from '../../src/smpp/constants.js'
import { encodeBindResp, encodeSubmitSm, cstringTlv, uintTlv, type SmRequest } from '../../src/smpp/encode.js'
import { readCommandId, readSequence } from '../../src/smpp/header.js'
import { tlvCString } from '../../src/smpp/pdu.js'
import { buildConcatUdh } from '../../src/smpp/udh.js'
import { parseReceipt } from '../../src/smpp/receipt.js'
import { createCarrier } from '../../src/simulator/carrier.js'
import { DEMO, startHarness } from './harness.js'

const ACME = { system_id: 'acme', password: 'acme-pw' }

function ucs2(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16()
}

/** Equal except for sequence_number, which is the only thing the proxy may change. */
function sameButSeq(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false
  return a.subarray(0, 12).equals(b.subarray(0, 12)) && a.subarray(16).equals(b.subarray(16))
}

const base = { source_addr: '10690001', destination_addr: '13800138000', registered_delivery: 0 }

t.test('forwards the client bytes unchanged but for sequence_number', async (t) => {
  const h = await startHarness(t)
  const c = await h.client(ACME)
  const cases: [string, SmRequest][] = [
    ['ascii', { ...base, data_coding: DataCoding.ia5, short_message: Buffer.from('Your code is 123456') }],
    ['ucs2 chinese', { ...base, data_coding: DataCoding.ucs2, short_message: ucs2('【测试】您的验证码是123456,请勿泄露。') }],
    ['emoji (surrogate pairs)', { ...base, data_coding: DataCoding.ucs2, short_message: ucs2('好的👍🏽 见面🎉') }],
    [
      'vendor and standard TLVs',
      {
        ...base,
        service_type: 'CMT',
        validity_period: '000001000000000R',
        data_coding: DataCoding.ucs2,
        short_message: ucs2('你好'),
        tlvs: [
          { tag: 0x1401, value: Buffer.from([1, 2, 3, 0xff]) },
          cstringTlv(0x1500, 'vendor-x'),
          uintTlv(Tag.user_message_reference, 4242, 2),
        ],
      },
    ],
    ['message_payload', { ...base, data_coding: DataCoding.ucs2, tlvs: [{ tag: Tag.message_payload, value: ucs2('长'.repeat(100)) }] }],
  ]
  for (const [name, m] of cases) {
    const pdu = encodeSubmitSm(0, m)
    const r = await c.submitRaw(pdu)
    t.equal(r.status, CommandStatus.ESME_ROK, `${name}: accepted`)
    const got = h.carrier!.submits.at(-1)!
    t.ok(sameButSeq(got.pdu, pdu), `${name}: byte-exact at the carrier`)
    t.equal(r.message_id, got.message_id, `${name}: the carrier's message_id`)
    t.equal(readSequence(r.pdu), readSequence(pdu), `${name}: the client's own sequence number`)
  }
})

t.test('UDH and SAR parts reach the carrier byte-exact once the message is whole', async (t) => {
  const h = await startHarness(t)
  const c = await h.client({ ...ACME, window: 10 })
  const text = ['【测试】第一段内容', '第二段内容👍', '第三段🎉']
  const udhParts = text.map((s, i) =>
    encodeSubmitSm(0, { ...base, esm_class: EsmClass.UDHI, data_coding: DataCoding.ucs2, short_message: Buffer.concat([buildConcatUdh(7, 3, i + 1), ucs2(s)]) }),
  )
  const sarParts = text.map((s, i) =>
    encodeSubmitSm(0, {
      ...base,
      data_coding: DataCoding.ucs2,
      short_message: ucs2(s),
      tlvs: [uintTlv(Tag.sar_msg_ref_num, 0x1234, 2), uintTlv(Tag.sar_total_segments, 3, 1), uintTlv(Tag.sar_segment_seqnum, i + 1, 1)],
    }),
  )
  for (const [name, parts] of [['udh', udhParts], ['sar', sarParts]] as const) {
    const before = h.carrier!.submits.length
    // Out of order on purpose: 2, 3, then 1.
    const order = [1, 2, 0]
    const results = await Promise.all(order.map((i) => c.submitRaw(parts[i])))
    t.ok(results.every((r) => r.status === CommandStatus.ESME_ROK), `${name}: every part accepted`)
    const got = h.carrier!.submits.slice(before)
    t.equal(got.length, 3, `${name}: three parts forwarded`)
    for (const g of got) t.ok(parts.some((p) => sameButSeq(g.pdu, p)), `${name}: a part arrives byte-exact`)
    const last = results[2]
    t.ok(got.some((g) => g.message_id === last.message_id), `${name}: the completing part gets the carrier's id`)
    t.equal(new Set(results.map((r) => r.message_id)).size, 3, `${name}: three distinct ids`)
  }
})

t.test('window 50 with carrier answers out of order: each client gets its own response', async (t) => {
  const h = await startHarness(t, { carrier: { out_of_order: true }, upstream: { binds: 2, window: 50 } })
  const c = await h.client({ ...ACME, window: 50 })
  const n = 400
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => c.submit({ ...base, data_coding: DataCoding.ia5, short_message: Buffer.from(`msg ${i}`) })),
  )
  const byText = new Map(h.carrier!.submits.map((s) => [s.fields.short_message.toString('latin1'), s.message_id]))
  let matched = 0
  for (let i = 0; i < n; i++) if (results[i].status === 0 && byText.get(`msg ${i}`) === results[i].message_id) matched++
  t.equal(matched, n, 'every response carries the id the carrier gave that very message')
})

t.test('carrier statuses pass through; a silent carrier gives an error, not silence', async (t) => {
  const h = await startHarness(t, { carrier: { error_every: 2, error_status: CommandStatus.ESME_RTHROTTLED } })
  const c = await h.client(ACME)
  const m = { ...base, short_message: Buffer.from('x') }
  const statuses = [(await c.submit(m)).status, (await c.submit(m)).status]
  t.same(statuses.sort(), [CommandStatus.ESME_ROK, CommandStatus.ESME_RTHROTTLED], 'carrier 0x58 passed back')

  // A carrier that binds and then never answers a submit_sm.
  const silent = net.createServer((s) => {
    const f = new Framer({
      onFrame: (pdu) => {
        if (readCommandId(pdu) === CommandId.bind_transceiver) s.write(encodeBindResp(CommandId.bind_transceiver, 0, readSequence(pdu), 'mute'))
      },
      onOversized: () => s.destroy(),
      onMalformed: () => s.destroy(),
    })
    s.on('data', (chunk: Buffer) => f.push(chunk))
    s.on('error', () => {})
  })
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => new Promise<void>((r) => silent.close(() => r())))
  const slow = await startHarness(t, {
    carrier: false,
    waitBound: true,
    upstream: { port: (silent.address() as net.AddressInfo).port, response_timeout_ms: 300, binds: 1 },
  })
  const c2 = await slow.client(ACME)
  const r = await c2.submit(m)
  t.equal(r.status, CommandStatus.ESME_RSYSERR, 'carrier timeout → error status')
})

t.test('no upstream bind → 0x14 at once; back up → flows again; the client session survives', async (t) => {
  const h = await startHarness(t, { upstream: { binds: 1 } })
  const c = await h.client(ACME)
  const m = { ...base, short_message: Buffer.from('x') }
  t.equal((await c.submit(m)).status, CommandStatus.ESME_ROK)
  const port = h.carrier!.port
  const down = once(h.events, 'bound')
  await h.carrier!.close()
  await down
  t.equal((await c.submit(m)).status, CommandStatus.ESME_RMSGQFUL, 'carrier down → ESME_RMSGQFUL')
  const again = await createCarrier({ port })
  t.teardown(() => again.close())
  await h.waitBound(1)
  t.equal((await c.submit(m)).status, CommandStatus.ESME_ROK, 'flows again on the same client session')
  t.equal(again.submits.length, 1)
})

t.test('receipts reach the account that submitted, with the id it was given', async (t) => {
  const h = await startHarness(t, {
    accounts: [DEMO, { system_id: 'beta', password: 'beta-pw' }],
    carrier: { dlr: true, dlr_delay_ms: 10 },
  })
  const a = await h.client(ACME)
  const b = await h.client({ system_id: 'beta', password: 'beta-pw' })
  const ra = await Promise.all([1, 2, 3].map((i) => a.submit({ ...base, registered_delivery: 1, short_message: Buffer.from(`a${i}`) })))
  const rb = await Promise.all([1, 2].map((i) => b.submit({ ...base, registered_delivery: 1, short_message: Buffer.from(`b${i}`) })))
  const da = await a.waitForDeliveries(3)
  const db = await b.waitForDeliveries(2)
  const ids = (ds: typeof da) => ds.map((d) => parseReceipt(d.fields.short_message.toString('latin1'))?.id).sort()
  t.same(ids(da), ra.map((r) => r.message_id).sort(), 'acme got exactly its receipts')
  t.same(ids(db), rb.map((r) => r.message_id).sort(), 'beta got exactly its receipts')
  t.same(da.map((d) => tlvCString(d.fields.tlvs, Tag.receipted_message_id)).sort(), ra.map((r) => r.message_id).sort())
})

t.test('receipts wait while the account has no receiver and arrive once it binds', async (t) => {
  const h = await startHarness(t, { carrier: { dlr: true, dlr_delay_ms: 10 } })
  const tx = await h.client({ ...ACME, bind: 'tx' })
  const rs = await Promise.all([1, 2, 3, 4].map((i) => tx.submit({ ...base, registered_delivery: 1, short_message: Buffer.from(`q${i}`) })))
  while (h.proxy.router.queued('acme') < 4) await once(h.carrier!, 'deliver_sm_resp')
  t.equal(h.proxy.router.queued('acme'), 4, 'queued, and the carrier acknowledged them')
  const rx = await h.client({ ...ACME, bind: 'rx' })
  const got = await rx.waitForDeliveries(4)
  t.same(got.map((d) => parseReceipt(d.fields.short_message.toString('latin1'))?.id).sort(), rs.map((r) => r.message_id).sort())
  t.equal(h.proxy.router.queued('acme'), 0)
  t.equal(tx.deliveries.length, 0, 'never a deliver_sm to a transmitter')
})

t.test('MO is routed by destination address; unroutable MO is acknowledged', async (t) => {
  const seen: string[] = []
  const h = await startHarness(t, {
    accounts: [{ ...DEMO, mo_addresses: ['10690001*'] }, { system_id: 'beta', password: 'beta-pw', mo_addresses: ['95500'] }],
    proxy: { onMo: (mo) => void seen.push(`${mo.system_id}:${mo.text}`) },
    // The simulator sends an MO on every bind it has.
    upstream: { binds: 1 },
  })
  const a = await h.client(ACME)
  const b = await h.client({ system_id: 'beta', password: 'beta-pw' })
  const resp = () => once(h.carrier!, 'deliver_sm_resp')
  let r = resp()
  h.carrier!.sendMo({ source_addr: '13800138000', destination_addr: '1069000123', text: 'TD' })
  await r
  r = resp()
  h.carrier!.sendMo({ source_addr: '13800138001', destination_addr: '95500', text: '你好' })
  await r
  r = resp()
  h.carrier!.sendMo({ source_addr: '13800138002', destination_addr: '12345', text: 'lost' })
  const [status] = (await r) as [number]
  t.equal(status, CommandStatus.ESME_ROK, 'unroutable MO acknowledged')
  t.equal(a.deliveries.length, 1)
  t.equal(b.deliveries.length, 1)
  t.equal(a.deliveries[0].fields.destination_addr, '1069000123')
  t.same(seen.sort(), ['acme:TD', 'beta:你好'], 'the MO hook saw each routed MO')
})

t.test('queued receipts survive a restart when receipts.queue_dir is set', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-queue-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const first = await startHarness(t, { carrier: { dlr: true, dlr_delay_ms: 5 }, receipts: { queue_dir: dir } })
  const tx = await first.client({ ...ACME, bind: 'tx' })
  const rs = await Promise.all([1, 2].map((i) => tx.submit({ ...base, registered_delivery: 1, short_message: Buffer.from(`p${i}`) })))
  while (first.proxy.router.queued('acme') < 2) await once(first.carrier!, 'deliver_sm_resp')
  await first.close()

  const second = await startHarness(t, { receipts: { queue_dir: dir } })
  const rx = await second.client({ ...ACME, bind: 'rx' })
  const got = await rx.waitForDeliveries(2)
  t.same(got.map((d) => parseReceipt(d.fields.short_message.toString('latin1'))?.id).sort(), rs.map((r) => r.message_id).sort())
})

t.test('closing drains in-flight submits before unbinding the client', async (t) => {
  const h = await startHarness(t, { carrier: { resp_delay_ms: 200 } })
  const c = await h.client({ ...ACME, window: 5 })
  const seen: number[] = []
  c.on('pdu', (p: Buffer) => seen.push(readCommandId(p)))
  const pending = [1, 2, 3].map((i) => c.submit({ ...base, short_message: Buffer.from(`d${i}`) }))
  while (h.carrier!.submits.length < 3) await once(h.carrier!, 'submit')
  const closing = h.server.close()
  const results = await Promise.all(pending)
  t.same(results.map((r) => r.status), [0, 0, 0], 'in-flight submits answered with the carrier result')
  await closing
  await c.closed
  t.equal(seen.at(-1), CommandId.unbind, 'then unbound')
})

t.test('the carrier gets deliver_sm_resp only once a client answered; an unanswered receipt is offered again', async (t) => {
  const h = await startHarness(t, { carrier: { dlr: true, dlr_delay_ms: 5 }, upstream: { binds: 1 }, listen: { enquire_link_ms: 60000 } })
  const tx = await h.client({ ...ACME, bind: 'tx' })
  const mute = await h.client({ ...ACME, bind: 'rx' })
  // This receiver reads nothing more: the receipt reaches it but is never answered.
  mute.socket.removeAllListeners('data')
  const reached = once(mute.socket, 'data')
  const acks: number[] = []
  h.carrier!.on('deliver_sm_resp', (s: number) => acks.push(s))
  const r = await tx.submit({ ...base, registered_delivery: 1, short_message: Buffer.from('m') })
  await reached
  t.same(acks, [], 'the receipt reached a client, and the carrier has no deliver_sm_resp yet')
  const rx = await h.client({ ...ACME, bind: 'rx', deliver_status: CommandStatus.ESME_RX_T_APPN })
  mute.destroy()
  const [d] = await rx.waitForDeliveries(1)
  t.equal(parseReceipt(d.fields.short_message.toString('latin1'))?.id, r.message_id, 'offered again to the next receiver')
  if (acks.length === 0) await once(h.carrier!, 'deliver_sm_resp')
  t.same(acks, [CommandStatus.ESME_RX_T_APPN], "the carrier got the client's own answer")
})

t.test('a receipt that overtakes its submit_sm_resp still reaches the client', async (t) => {
  const h = await startHarness(t, { carrier: { dlr: true, dlr_delay_ms: 0, resp_delay_ms: 150 }, upstream: { binds: 1 } })
  const c = await h.client(ACME)
  // The simulator sends the receipt at once and delays the response: the receipt names an id not yet mapped.
  const r = await c.submit({ ...base, registered_delivery: 1, short_message: Buffer.from('fast') })
  const [d] = await c.waitForDeliveries(1)
  t.equal(parseReceipt(d.fields.short_message.toString('latin1'))?.id, r.message_id)
  t.equal(h.proxy.idMap.size, 1)
})
