import t from 'tap'
import { messageColumns, messageColumnsOfUtf8 } from '../../../src/archive/sinks/message-columns.js'
import type { MessageRecord } from '../../../src/archive/record.js'
import { message, mo, receipt } from '../fixtures.js'

const columnsOf = (r: MessageRecord) => ({
  kind: r.kind, id: r.id, received_at: r.received_at, system_id: r.system_id, source_addr: r.source_addr,
  destination_addr: r.destination_addr, verdict: r.verdict, rule: r.rule, category: r.category,
})

t.test('reads the columns JSON.parse would give', async (t) => {
  const awkward = ['', '"', '\\', '\\"', 'a\\', '"quoted"', 'line\nbreak', '\u0000\u001f', '\u2028', '\ud800', '😀', '您好', ',"verdict":"reject"', '}]']
  const records: MessageRecord[] = [
    message(),
    message({ rule: 'content.gambling', category: 'gambling', verdict: 'reject', received_at: 1.5, destination_addr: '+86 138' }),
    message({
      parts: 2,
      segments: [
        { part: 1, received_at: 1, message_id: 'a"]}', carrier_message_id: null },
        { part: 2, received_at: 2, message_id: null, carrier_message_id: '{[' },
      ],
      monitor_hits: [{ rule: 'x', category: 'y' }],
    }),
    message({ received_at: -5, decided_at: 1e21 }),
  ]
  for (const s of awkward) {
    records.push(message({ text: s, id: s, system_id: s, source_addr: s, destination_addr: s, rule: s, category: s }))
  }
  for (const [i, r] of records.entries()) {
    const json = JSON.stringify(r)
    t.same(messageColumns(json), columnsOf(JSON.parse(json) as MessageRecord), `record ${i}`)
    t.same(messageColumnsOfUtf8(Buffer.from(json)), columnsOf(JSON.parse(json) as MessageRecord), `record ${i} as UTF-8`)
  }
})

t.test('anything but a message record in MessageRecord order is left to JSON.parse', async (t) => {
  const r = message()
  const { id, kind, ...rest } = r
  const cases: Record<string, string> = {
    receipt: JSON.stringify(receipt()),
    mo: JSON.stringify(mo()),
    'another order': JSON.stringify({ id, kind, ...rest }),
    'a time that is not a number': JSON.stringify({ ...r, received_at: Number.NaN }),
    'a missing field': JSON.stringify({ ...r, rule: undefined }),
    'a number as a string': JSON.stringify({ ...r, received_at: '1' }),
    'a nested array in a segment': JSON.stringify({ ...r, segments: [{ part: 1, x: [1], verdict: 'reject' }] }),
    'whitespace': JSON.stringify(r, null, 1),
  }
  for (const [name, json] of Object.entries(cases)) {
    t.equal(messageColumns(json), undefined, name)
    t.equal(messageColumnsOfUtf8(Buffer.from(json)), undefined, `${name} as UTF-8`)
  }
})
