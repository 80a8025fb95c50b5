// What every archive sink must do (STYLE rule 13). Each sink's test calls `sinkContract` with a factory
// that opens a fresh, empty sink; the contract closes what it opens.
import type { Test } from 'tap'
import { frame } from '../../src/archive/frame.js'
import type { Sink } from '../../src/archive/sink.js'
import type { ArchiveQuery, MessageRow, QueryRow } from '../../src/archive/query.js'
import type { ArchiveRecord } from '../../src/archive/record.js'
import { collect, DAY, HOUR, message, mo, receipt, T0 } from './fixtures.js'

export type OpenSink = () => Promise<Sink>

const ids = (rows: QueryRow[]) => rows.map((r) => r.id)
const strip = (r: QueryRow) => {
  if (r.kind === 'mo') return r
  const { receipts: _receipts, ...rest } = r
  return rest
}

export function sinkContract(t: Test, open: OpenSink): Promise<void> {
  return t.test('sink contract', async (t) => {
    const allowed = message({ received_at: T0, carrier_message_ids: ['c-allow'], text: '您的验证码是 123456' })
    const rejected = message({
      received_at: T0 + HOUR,
      system_id: 'beta',
      source_addr: '10690002',
      destination_addr: '13900139000',
      text: '澳门赌场 今晚上线',
      verdict: 'reject',
      rule: 'content.gambling',
      category: 'gambling',
      command_status: 0x401,
      message_ids: [],
      carrier_message_ids: [],
      carrier_status: null,
    })
    const monitored = message({
      received_at: T0 + DAY,
      text: 'promo: 50% off, reply TD to stop',
      verdict: 'monitor',
      rule: 'content.marketing',
      category: 'marketing',
      monitor_hits: [{ rule: 'content.marketing', category: 'marketing' }],
      parts: 2,
      segments: [
        { part: 1, received_at: T0 + DAY, message_id: 'p-1', carrier_message_id: 'c-m1' },
        { part: 2, received_at: T0 + DAY + 5, message_id: 'p-2', carrier_message_id: 'c-m2' },
      ],
      message_ids: ['p-1', 'p-2'],
      carrier_message_ids: ['c-m1', 'c-m2'],
    })
    const withNul = message({ received_at: T0 + 2 * DAY, text: 'a\u0000b', destination_addr: '13700137000' })
    const r1 = receipt({ message_id: 'c-allow', at: T0 + 2 * HOUR, state: 'DELIVRD', error: '000' })
    // A late receipt, filed on a later day than its message.
    const r2 = receipt({ message_id: 'c-m2', at: T0 + 3 * DAY, state: 'UNDELIV', error: '001' })
    const r3 = receipt({ message_id: 'c-m1', at: T0 + DAY + HOUR, state: 'DELIVRD', error: '000' })
    const unmatched = receipt({ message_id: 'c-nobody', at: T0 + HOUR })
    // Later than RECEIPT_JOIN_DAYS after its message: archived, not joined.
    const tooLate = receipt({ message_id: 'c-1', at: withNul.received_at + 9 * DAY })
    const inbound = mo({ at: T0 + 3 * HOUR, text: 'TD 退订' })
    const all: ArchiveRecord[] = [allowed, r1, rejected, unmatched, inbound, monitored, r3, withNul, r2, tooLate]

    const sink = await open()
    t.teardown(() => sink.close())
    // A sink that takes the spooled frames or JSON texts directly gets them that way, as the drainer sends them.
    const writeFramed = (records: ArchiveRecord[]) =>
      sink.writeFrames ? sink.writeFrames(Buffer.concat(records.map((r) => frame(JSON.stringify(r))))) : writeSpooled(records)
    const writeSpooled = (records: ArchiveRecord[]) =>
      sink.writePayloads ? sink.writePayloads(records.map((r) => JSON.stringify(r))) : sink.write(records)
    await sink.write(all.slice(0, 4))
    await writeFramed(all.slice(4))
    // Redelivery after a failed or interrupted drain: nothing may be duplicated.
    await writeSpooled(all)
    await writeFramed(all)
    await sink.write(all)

    const q = (query: ArchiveQuery) => collect(sink.query(query))

    t.test('allowed, rejected and monitored messages come back whole, in time order', async (t) => {
      const rows = await q({})
      t.same(ids(rows), [allowed.id, rejected.id, monitored.id, withNul.id])
      t.same(rows.map(strip), [allowed, rejected, monitored, withNul])
    })

    t.test('receipts are joined to their message by carrier message id', async (t) => {
      const rows = (await q({})) as MessageRow[]
      const byId = new Map(rows.map((r) => [r.id, r.receipts]))
      t.same(byId.get(allowed.id), [{ message_id: 'c-allow', state: 'DELIVRD', error: '000', at: r1.at }])
      t.same(byId.get(rejected.id), [])
      t.same(byId.get(withNul.id), [], 'a receipt more than RECEIPT_JOIN_DAYS late is not joined')
      t.same(byId.get(monitored.id), [
        { message_id: 'c-m1', state: 'DELIVRD', error: '000', at: r3.at },
        { message_id: 'c-m2', state: 'UNDELIV', error: '001', at: r2.at },
      ])
    })

    t.test('every filter', async (t) => {
      t.same(ids(await q({ account: 'beta' })), [rejected.id])
      t.same(ids(await q({ account: 'acme' })), [allowed.id, monitored.id, withNul.id])
      t.same(ids(await q({ src: '10690002' })), [rejected.id])
      t.same(ids(await q({ dst: '13800138000' })), [allowed.id, monitored.id])
      t.same(ids(await q({ from: T0 + HOUR })), [rejected.id, monitored.id, withNul.id], 'from is inclusive')
      t.same(ids(await q({ to: T0 + HOUR })), [allowed.id], 'to is exclusive')
      t.same(ids(await q({ from: T0 + HOUR, to: T0 + 2 * DAY })), [rejected.id, monitored.id])
      t.same(ids(await q({ text: '赌场' })), [rejected.id])
      t.same(ids(await q({ text: 'TD' })), [monitored.id])
      t.same(ids(await q({ text: 'td' })), [], 'text match is case-sensitive')
      t.same(ids(await q({ verdict: 'allow' })), [allowed.id, withNul.id])
      t.same(ids(await q({ verdict: 'reject' })), [rejected.id])
      t.same(ids(await q({ verdict: 'monitor' })), [monitored.id])
      t.same(ids(await q({ account: 'acme', dst: '13800138000', verdict: 'monitor', text: 'promo' })), [monitored.id])
      t.same(ids(await q({ limit: 2 })), [allowed.id, rejected.id])
      t.same(ids(await q({ account: 'nobody' })), [])
    })

    t.test('MO messages', async (t) => {
      t.same(await q({ kind: 'mo' }), [inbound])
      t.same(ids(await q({ kind: 'mo', src: '13800138000', text: '退订' })), [inbound.id])
      t.same(ids(await q({ kind: 'mo', from: T0 + 4 * HOUR })), [])
    })

    t.test('NUL in text survives', async (t) => {
      const [row] = await q({ dst: '13700137000' })
      t.equal(row.text, 'a\u0000b')
    })

    t.test('purge drops whole days before the cutoff and keeps the rest', async (t) => {
      // Cutoff inside the second day: only the first day (allowed, rejected, r1, mo) ends before it.
      const removed = await sink.purge(T0 + DAY)
      t.ok(removed >= 1)
      t.same(ids(await q({})), [monitored.id, withNul.id])
      t.same(await q({ kind: 'mo' }), [])
      t.equal(await sink.purge(T0 + DAY), 0, 'nothing left to purge')
      const rows = (await q({ dst: '13800138000' })) as MessageRow[]
      t.equal(rows[0].receipts.length, 2, 'receipts of kept days stay')
    })
  }).then(() => undefined)
}
