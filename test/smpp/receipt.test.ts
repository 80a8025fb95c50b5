import t from 'tap'
import fc from 'fast-check'
import { formatReceipt, formatReceiptDate, parseReceipt, replaceReceiptId } from '../../src/smpp/receipt.js'

const STANDARD =
  'id:0a1b2c3d sub:001 dlvrd:001 submit date:2611290938 done date:2611290939 stat:DELIVRD err:000 text:Hello world'

t.test('the Appendix B layout', async (t) => {
  t.same(parseReceipt(STANDARD), {
    id: '0a1b2c3d',
    sub: '001',
    dlvrd: '001',
    submit_date: '2611290938',
    done_date: '2611290939',
    stat: 'DELIVRD',
    err: '000',
    text: 'Hello world',
  })
})

t.test('variants carriers send', async (t) => {
  t.same(
    parseReceipt('ID:123 SUB:1 DLVRD:0 SUBMIT_DATE:261129093801 DONE_DATE:261129093902 STAT:UNDELIV ERR:001 Text:x'),
    { id: '123', sub: '1', dlvrd: '0', submit_date: '261129093801', done_date: '261129093902', stat: 'UNDELIV', err: '001', text: 'x' },
  )
  t.same(parseReceipt('id:77 submitdate:2611290938 donedate:2611290939 stat:EXPIRED'), {
    id: '77',
    submit_date: '2611290938',
    done_date: '2611290939',
    stat: 'EXPIRED',
  })
  t.same(parseReceipt('id: 42  stat:DELIVRD   err:0'), { id: '42', stat: 'DELIVRD', err: '0' }, 'spaces after colons')
  t.same(parseReceipt('id:5 stat:DELIVRD text:id:9 stat:FAKE'), { id: '5', stat: 'DELIVRD', text: 'id:9 stat:FAKE' }, 'text is the rest')
  t.same(parseReceipt('id:5 foo:bar stat:DELIVRD'), { id: '5 foo:bar', stat: 'DELIVRD' }, 'unknown keys stay inside the previous value')
  t.equal(parseReceipt('hello, this is an MO message'), undefined)
  t.equal(parseReceipt('paid:100 stat:x'), undefined, '`id:` must start a word')
  t.equal(parseReceipt(''), undefined)
})

t.test('replaceReceiptId rewrites only the id value', async (t) => {
  t.equal(replaceReceiptId(STANDARD, 'p-000001'), STANDARD.replace('0a1b2c3d', 'p-000001'))
  t.equal(replaceReceiptId('id: 42  stat:DELIVRD', '9'), 'id: 9  stat:DELIVRD', 'spacing kept')
  t.equal(replaceReceiptId('ID:123 SUB:1', 'x'), 'ID:x SUB:1')
  t.equal(replaceReceiptId('no receipt here', 'x'), undefined)
})

t.test('formatReceipt writes the standard layout and parses back', async (t) => {
  const d = Date.UTC(2026, 10, 29, 9, 38)
  t.equal(formatReceiptDate(d), '2611290938')
  const s = formatReceipt({
    id: 'abc',
    sub: 1,
    dlvrd: 0,
    submit_date: formatReceiptDate(d),
    done_date: formatReceiptDate(d),
    stat: 'REJECTD',
    err: 0x40b,
    text: '您的验证码是123456,请勿泄露。后面的字不会出现',
  })
  t.equal(s, 'id:abc sub:001 dlvrd:000 submit date:2611290938 done date:2611290938 stat:REJECTD err:1035 text:您的验证码是123456,请勿泄露。后面')
  t.same(parseReceipt(s)?.err, '1035')
  t.equal(formatReceipt({ id: '1', submit_date: 'a', done_date: 'b', stat: 'DELIVRD' }), 'id:1 sub:001 dlvrd:000 submit date:a done date:b stat:DELIVRD err:000 text:')
})

t.test('any text: parsing never throws; a replaced id reads back and nothing else changes', async () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => parseReceipt(s) === undefined || typeof parseReceipt(s)?.id === 'string'))
  const word = fc.stringMatching(/^[0-9A-Za-z]{1,20}$/)
  fc.assert(
    fc.property(word, word, fc.constantFrom('DELIVRD', 'UNDELIV', 'REJECTD'), fc.string({ maxLength: 40 }), (id, newId, stat, text) => {
      const r = formatReceipt({ id, submit_date: '2611290938', done_date: '2611290939', stat, text })
      const rewritten = replaceReceiptId(r, newId) as string
      const a = parseReceipt(r)
      const b = parseReceipt(rewritten)
      return b?.id === newId && a?.stat === stat && b.stat === stat && b.text === a.text && rewritten.slice(3 + newId.length) === r.slice(3 + id.length)
    }),
  )
})
