import t from 'tap'
import fc from 'fast-check'
import { RecordJsonWriter } from '../../src/archive/record-json.js'
import type { ArchiveRecord } from '../../src/archive/record.js'
import { message, mo, receipt } from './fixtures.js'

/** Any UTF-16 units: lone surrogates, control characters, quotes and backslashes included. */
const units = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 80 }).map((a) => String.fromCharCode(...a))
const text = fc.oneof(
  units,
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.constantFrom('', '您的验证码是 123456', 'a"b\\c\n', '😀 退订回T', '\ud800', 'x\udfff', '"text":""'),
)
const record: fc.Arbitrary<ArchiveRecord> = fc.oneof(
  fc.record({ text, system_id: text, rule: fc.option(text), category: fc.option(text), source_addr: text }).map((o) =>
    message({ ...o, monitor_hits: o.rule === null ? [] : [{ rule: o.rule, category: 'x' }] }),
  ),
  fc.record({ text, outcome: text }).map((o) => mo(o)),
  fc.record({ state: text, error: fc.option(text) }).map((o) => receipt(o)),
)

function bytes(r: ArchiveRecord): Buffer {
  const w = new RecordJsonWriter()
  w.prepare(r)
  const buf = Buffer.alloc(w.maxBytes + 8, 0xee)
  const n = w.write(buf, 4)
  t.ok(buf.subarray(4 + n).every((b) => b === 0xee), 'within maxBytes')
  return buf.subarray(4, 4 + n)
}

t.test('the bytes are Buffer.from(JSON.stringify(record)) for any record', async (t) => {
  fc.assert(
    fc.property(record, (r) => bytes(r).equals(Buffer.from(JSON.stringify(r)))),
    { numRuns: 3000 },
  )
  t.pass()
})

t.test('one writer for record after record: nothing of one is left in the next', async (t) => {
  const w = new RecordJsonWriter()
  const buf = Buffer.alloc(4096)
  for (const r of [message({ text: '长文本'.repeat(20) }), receipt(), mo({ text: 'a"b' }), message({ text: '' }), message()]) {
    w.prepare(r)
    t.equal(buf.subarray(0, w.write(buf, 0)).toString(), JSON.stringify(r))
  }
})

t.test('an inherited text is left to JSON.stringify', async (t) => {
  const odd = Object.assign(Object.create({ text: 'inherited' }) as object, { kind: 'mo', id: 'x' }) as unknown as ArchiveRecord
  t.equal(bytes(odd).toString(), JSON.stringify(odd))
})

t.test('a text not of its own or not enumerable is left to JSON.stringify', async (t) => {
  const hidden = mo({ text: 'visible' })
  Object.defineProperty(hidden, 'text', { value: 'hidden', enumerable: false })
  t.equal(bytes(hidden).toString(), JSON.stringify(hidden))
})
