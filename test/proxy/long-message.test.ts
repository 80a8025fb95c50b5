// Long messages are judged whole: held parts are acknowledged early with proxy-issued ids, receipts come
// back under those ids, and a rejected message sends nothing to the carrier but failed receipts to the client.
import t from 'tap'
import { EventEmitter, once } from 'node:events'
import { CommandStatus, DataCoding, EsmClass, Tag } from '../../src/smpp/constants.js'
import { VendorStatus } from '../../src/smpp/status.js'
import { encodeSubmitSm } from '../../src/smpp/encode.js'
import { tlvCString, tlvUint } from '../../src/smpp/pdu.js'
import { buildConcatUdh } from '../../src/smpp/udh.js'
import { parseReceipt } from '../../src/smpp/receipt.js'
import { AccountSchema } from '../../src/config/schema.js'
import { createPipeline } from '../../src/policy/pipeline.js'
import { hit } from '../../src/policy/verdict.js'
import type { AccountPolicy } from '../../src/policy/compile.js'
import type { ArchiveRecord, MessageRecord } from '../../src/archive/record.js'
import { startHarness } from './harness.js'

const ACME = { system_id: 'acme', password: 'acme-pw' }
const ucs2 = (s: string) => Buffer.from(s, 'utf16le').swap16()

function policyHarness(t: Parameters<typeof startHarness>[0], extra: Parameters<typeof startHarness>[1] = {}) {
  const policy: AccountPolicy = {
    system_id: 'acme',
    account: AccountSchema.parse({ system_id: 'acme', password_hash: 'unused' }),
    stages: [
      {
        name: 'content',
        mode: 'enforce',
        run: (msg) => (msg.text.includes('赌博') ? hit('content.gambling', 'gambling', VendorStatus.CONTENT_GAMBLING) : null),
      },
    ],
  }
  const records: ArchiveRecord[] = []
  const archived = new EventEmitter()
  const archive = {
    accepting: true,
    append: async (r: ArchiveRecord) => {
      records.push(r)
      archived.emit('record', r)
    },
  }
  return startHarness(t, {
    ...extra,
    proxy: { pipeline: createPipeline(), policies: () => new Map([['acme', policy]]), archive },
  }).then((h) => ({ h, records, archived }))
}

function part(ref: number, total: number, seq: number, text: string, rd = 1) {
  return encodeSubmitSm(0, {
    source_addr: '10690001',
    destination_addr: '13800138000',
    esm_class: EsmClass.UDHI,
    data_coding: DataCoding.ucs2,
    registered_delivery: rd,
    short_message: Buffer.concat([buildConcatUdh(ref, total, seq), ucs2(text)]),
  })
}

t.test('window 1: a phrase cut across parts is caught; nothing reaches the carrier; failed receipts', async (t) => {
  const { h, records } = await policyHarness(t)
  const c = await h.client({ ...ACME, window: 1 })
  const r1 = await c.submitRaw(part(9, 3, 1, '欢迎光临在线赌'))
  t.equal(r1.status, CommandStatus.ESME_ROK, 'first part acknowledged at once (the client does not stall)')
  t.ok(r1.message_id.length > 0, 'with a proxy-issued id')
  const r2 = await c.submitRaw(part(9, 3, 2, '博平台', 0))
  t.equal(r2.status, CommandStatus.ESME_ROK, 'second part too (it asked no receipt)')
  const r3 = await c.submitRaw(part(9, 3, 3, '注册就送'))
  t.equal(r3.status, VendorStatus.CONTENT_GAMBLING, 'the completing part carries the verdict')
  t.equal(h.carrier!.submits.length, 0, 'no part reached the carrier')
  const [d] = await c.waitForDeliveries(1)
  const rc = parseReceipt(d.fields.short_message.toString('latin1'))
  t.equal(rc?.id, r1.message_id, 'a failed receipt for the early-acknowledged part that asked for one')
  t.equal(rc?.stat, 'REJECTD')
  t.equal(rc?.err, '421', 'err names the vendor status')
  t.equal(tlvCString(d.fields.tlvs, Tag.receipted_message_id), r1.message_id)
  t.equal(d.fields.esm_class, EsmClass.DELIVERY_RECEIPT)
  t.equal(c.deliveries.length, 1, 'no receipt for the part that did not ask')
  const rec = records.find((r): r is MessageRecord => r.kind === 'message')
  t.equal(rec?.verdict, 'reject')
  t.equal(rec?.text, '欢迎光临在线赌博平台注册就送', 'archived whole')
  t.equal(rec?.parts, 3)
})

t.test('window 1, allowed: receipts come back under the ids the client was given', async (t) => {
  const { h, records } = await policyHarness(t, { carrier: { dlr: true, dlr_delay_ms: 5 } })
  const c = await h.client({ ...ACME, window: 1 })
  const r1 = await c.submitRaw(part(4, 2, 1, '【商城】您的订单已发货,'))
  const r2 = await c.submitRaw(part(4, 2, 2, '请注意查收👍'))
  t.equal(r1.status, 0)
  t.equal(r2.status, 0)
  t.equal(h.carrier!.submits.length, 2, 'both parts forwarded')
  t.equal(r2.message_id, h.carrier!.submits[1].message_id, 'the completing part has the carrier id')
  t.not(r1.message_id, h.carrier!.submits[0].message_id, 'the early part has a proxy id')
  const ds = await c.waitForDeliveries(2)
  const ids = ds.map((d) => parseReceipt(d.fields.short_message.toString('latin1'))?.id).sort()
  t.same(ids, [r1.message_id, r2.message_id].sort(), 'receipt ids rewritten to what the client holds')
  t.same(ds.map((d) => tlvCString(d.fields.tlvs, Tag.receipted_message_id)).sort(), [r1.message_id, r2.message_id].sort())
  t.ok(ds.every((d) => tlvUint(d.fields.tlvs, Tag.message_state) === 2), 'other fields as the carrier sent them')
  const rec = records.find((r): r is MessageRecord => r.kind === 'message')
  t.same(rec?.message_ids, [r1.message_id, r2.message_id])
  t.equal(rec?.carrier_message_ids.length, 2)
})

t.test('an incomplete message is judged on what arrived when it times out, and archived', async (t) => {
  const { h, archived } = await policyHarness(t, { reassembly: { timeout_ms: 1000 } })
  const c = await h.client({ ...ACME, window: 1 })
  const next = once(archived, 'record')
  const r1 = await c.submitRaw(part(5, 3, 1, '会员积分即将过期,'))
  t.equal(r1.status, 0)
  const [rec] = (await next) as [MessageRecord]
  t.equal(h.carrier!.submits.length, 1, 'the part that arrived is forwarded after the timeout')
  t.equal(rec?.verdict, 'allow')
  t.equal(rec?.text.startsWith('会员积分即将过期,'), true)
})

t.test('a retried part is answered with the same id and not sent twice', async (t) => {
  const { h } = await policyHarness(t)
  const c = await h.client({ ...ACME, window: 1 })
  const p1 = part(6, 2, 1, '第一部分')
  const r1 = await c.submitRaw(Buffer.from(p1))
  const again = await c.submitRaw(Buffer.from(p1))
  t.equal(again.message_id, r1.message_id)
  await c.submitRaw(part(6, 2, 2, '第二部分'))
  t.equal(h.carrier!.submits.length, 2)
})

t.test('an account without a compiled policy (removed by a reload) gets nothing through', async (t) => {
  const h = await startHarness(t, { proxy: { pipeline: createPipeline(), policies: () => new Map() } })
  const c = await h.client(ACME)
  const r = await c.submit({ source_addr: '10690001', destination_addr: '13800138000', short_message: Buffer.from('x') })
  t.equal(r.status, VendorStatus.ACCOUNT_SUSPENDED)
  t.equal(h.carrier!.submits.length, 0)
})
