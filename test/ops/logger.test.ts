import t from 'tap'
import { Writable } from 'node:stream'
import { createAccountLogs, createLogger, hasPrettyPrinter } from '../../src/ops/logger.js'

function capture() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      cb()
    },
  })
  return { lines, stream, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

const NUMBER = '13812348000'
const TEXT = '【某某商城】您的验证码是 482913，五分钟内有效'

t.test('log lines carry no full number and no text, at any level and nesting', async (t) => {
  const c = capture()
  const log = createLogger({ level: 'trace' }, c.stream)
  log.info({ destination_addr: NUMBER, source_addr: '10690000123' }, 'submit judged')
  log.debug({ text: TEXT, short_message: TEXT, message_payload: Buffer.from(TEXT) }, 'content')
  log.warn({ msg_fields: { destination_addr: NUMBER, text: TEXT }, recipient: [NUMBER, '13900001111'] }, 'nested')
  log.error({ err: new Error(`invalid destination ${NUMBER}`) }, 'submit failed')
  const child = log.child({ src: NUMBER, number: NUMBER })
  child.trace({ dst: NUMBER, msisdn: NUMBER }, 'child event')
  t.equal(c.lines.length, 5)
  for (const line of c.lines) {
    t.notMatch(line, NUMBER, 'no full number')
    t.notMatch(line, '13900001111', 'no full number in a list')
    t.notMatch(line, '482913', 'no text')
    t.notMatch(line, '验证码', 'no text')
  }
  const [first, second, third, fourth, fifth] = c.records()
  t.equal(first.destination_addr, '138****8000')
  t.equal(first.level, 30)
  t.equal(second.text, `[${TEXT.length} chars]`)
  t.equal(second.message_payload, '[binary]')
  t.same(third.msg_fields, { destination_addr: '138****8000', text: `[${TEXT.length} chars]` })
  t.same(third.recipient, ['138****8000', '139****1111'])
  t.match((fourth.err as { message: string }).message, 'invalid destination 138****8000')
  t.equal(fifth.src, '138****8000')
  t.equal(fifth.dst, '138****8000')
})

t.test('debug_accounts: children of listed accounts log at debug, others stay at the root level', async (t) => {
  const c = capture()
  const root = createLogger({ level: 'info' }, c.stream)
  const logs = createAccountLogs(root, ['acme'])
  const acme = logs.child('acme', { session: 's1' })
  const other = logs.child('other', { session: 's2' })
  acme.debug({ destination_addr: NUMBER }, 'pdu received')
  other.debug('pdu received')
  root.debug('root debug')
  t.equal(c.lines.length, 1)
  t.match(c.records()[0], { account: 'acme', session: 's1', destination_addr: '138****8000', msg: 'pdu received' })
  t.ok(logs.isDebug('acme'))
  t.notOk(logs.isDebug('other'))
})

t.test('setDebugAccounts changes loggers already handed out (reload while bound)', async (t) => {
  const c = capture()
  const root = createLogger({ level: 'info' }, c.stream)
  const logs = createAccountLogs(root)
  const acme = logs.child('acme')
  acme.debug('before')
  logs.setDebugAccounts(['acme'])
  acme.debug('during')
  logs.child('acme').debug('new session')
  logs.setDebugAccounts([])
  acme.debug('after')
  acme.info('info still on')
  t.same(c.records().map((r) => r.msg), ['during', 'new session', 'info still on'])
})

t.test('a root already at debug is not raised or lowered per account', async (t) => {
  const c = capture()
  const root = createLogger({ level: 'trace' }, c.stream)
  const logs = createAccountLogs(root, ['acme'])
  logs.child('other').trace('t')
  logs.child('acme').trace('t')
  t.equal(c.lines.length, 2)
})

t.test('pretty printer is optional and detected', async (t) => {
  t.equal(hasPrettyPrinter(), true, 'installed as a development dependency')
})

t.test('numbers inside message strings and non-error err values', async (t) => {
  const c = capture()
  const log = createLogger({ level: 'info' }, c.stream)
  log.info(`submit to ${NUMBER} refused`)
  const notAnError = { message: `to ${NUMBER}` }
  log.warn({ err: notAnError }, 'odd')
  t.equal(notAnError.message, `to ${NUMBER}`, "the caller's object is left alone")
  t.match(c.records()[0], { msg: 'submit to 138****8000 refused' })
  for (const line of c.lines) t.notMatch(line, NUMBER)
})

t.test('a session logger adopted after bind: child of the session logger, debug when listed', async (t) => {
  const c = capture()
  const root = createLogger({ level: 'info' }, c.stream)
  const logs = createAccountLogs(root, ['acme'])
  const session = root.child({ sid: 'a7', peer: '127.0.0.1:4000' })
  const bound = logs.child('acme', {}, session)
  bound.debug('pdu received')
  logs.setDebugAccounts([])
  bound.debug('not any more')
  bound.info('bind closed')
  t.match(c.records(), [
    { sid: 'a7', peer: '127.0.0.1:4000', account: 'acme', msg: 'pdu received', level: 20 },
    { msg: 'bind closed', level: 30 },
  ])
  t.equal(c.lines.length, 2)
})

t.test('nested masking copies: the logged objects are left as they were', async (t) => {
  const c = capture()
  const log = createLogger({ level: 'info' }, c.stream)
  const pdu = { destination_addr: NUMBER, esm_class: 0x40 }
  const parts = [{ text: TEXT }, { seq: 2 }]
  log.info({ pdu, parts, note: 'kept' }, 'parts held')
  t.same(pdu, { destination_addr: NUMBER, esm_class: 0x40 })
  t.same(parts, [{ text: TEXT }, { seq: 2 }])
  t.match(c.records()[0], { pdu: { destination_addr: '138****8000', esm_class: 0x40 }, parts: [{ text: `[${TEXT.length} chars]` }, { seq: 2 }], note: 'kept' })
})

t.test('an error logged without a message does not leak its number through msg', async (t) => {
  const c = capture()
  const log = createLogger({ level: 'info' }, c.stream)
  log.error(new Error(`invalid destination ${NUMBER}`))
  log.error({ err: new Error(`invalid destination ${NUMBER}`), account: 'demo' })
  log.error({ err: new Error('plain') }, 'with a message')
  const [a, b, d] = c.records()
  t.equal(a.msg, 'invalid destination 138****8000')
  t.match(b, { msg: 'invalid destination 138****8000', account: 'demo' })
  t.equal(d.msg, 'with a message')
  for (const line of c.lines) t.notMatch(line, NUMBER)
})
