import t from 'tap'
import pino from 'pino'
import sender, { canonicalSource, compilePatterns } from '../../../src/policy/stages/sender.js'
import type { Message } from '../../../src/policy/message.js'
import type { StageDeps, StageFn } from '../../../src/policy/define-stage.js'
import { AccountSchema } from '../../../src/config/schema.js'
import { VendorStatus } from '../../../src/smpp/status.js'
import type { Hit } from '../../../src/policy/verdict.js'

const deps = { log: pino({ level: 'silent' }), clock: Date.now, baseDir: '.', memo: <T>(_k: string, make: () => T) => make() } as unknown as StageDeps
const acct = AccountSchema.parse({ system_id: 'a', password_hash: 'x' })

function stage(cfg: Record<string, unknown>): StageFn | null {
  return sender.build(sender.config.parse(cfg), deps, acct)
}

function run(fn: StageFn | null, source_addr: string, text = '【云帆科技】您好'): Hit | null {
  if (!fn) return null
  const m = { source_addr, text } as Message
  return fn(m, { account: acct, now: 0 }) as Hit | null
}

t.test('patterns: exact, * wildcard, /regex/', async (t) => {
  const m = compilePatterns(['10690001', '1069*', '/^YF[0-9]{2}$/'])
  t.ok(m('10690001'))
  t.ok(m('106912345'))
  t.ok(m('YF01'))
  t.notOk(m('YF001'))
  t.notOk(m('95588'))
})

t.test('bank and carrier service numbers cannot be spoofed, in any spelling', async (t) => {
  const fn = stage({})
  for (const src of ['95588', '+8695588', '008695588', '86 95588', '95516', '10086']) {
    t.equal(run(fn, src)?.status, VendorStatus.SENDER_NOT_ALLOWED, src)
  }
  t.equal(run(fn, '1069000123'), null)
  t.equal(run(fn, 'SHOP'), null)
})

t.test('verdicts per address stay right when addresses repeat and when many differ', async (t) => {
  const fn = stage({ allowed_source: ['1069*'] })
  for (let round = 0; round < 2; round++) {
    t.equal(run(fn, '95588')?.detail, 'source_addr 95588', `protected, round ${round + 1}`)
    t.equal(run(fn, '10690001'), null, `allowed, round ${round + 1}`)
    t.equal(run(fn, 'SHOP')?.detail, 'source_addr SHOP', `not listed, round ${round + 1}`)
  }
  let passed = 0
  for (let i = 0; i < 5000; i++) if (run(fn, `1069${i}`) === null) passed++
  t.equal(passed, 5000, '5,000 other allowed addresses')
  t.equal(run(fn, '95588')?.status, VendorStatus.SENDER_NOT_ALLOWED, 'still refused after thousands of other addresses')
})

t.test('allowed_source: only listed senders; a bare * does not unlock protected numbers', async (t) => {
  const fn = stage({ allowed_source: ['1069000*'] })
  t.equal(run(fn, '10690001'), null)
  t.equal(run(fn, '10691111')?.rule, 'sender.source_addr')
  const any = stage({ allowed_source: ['*'] })
  t.equal(run(any, 'ANY'), null)
  t.equal(run(any, '95588')?.status, VendorStatus.SENDER_NOT_ALLOWED)
  const bank = stage({ allowed_source: ['95588'] })
  t.equal(run(bank, '95588'), null, 'the bank itself lists its number')
})

t.test('registered signatures: reject, monitor or off', async (t) => {
  const reject = stage({ signatures: ['云帆科技'] })
  t.equal(run(reject, 'SHOP', '【云帆科技】您好'), null)
  t.equal(run(reject, 'SHOP', '您好【云帆科技】'), null)
  const other = run(reject, 'SHOP', '【工商银行】您好')
  t.match(other, { rule: 'sender.signature', status: VendorStatus.SIGNATURE_INVALID, mode: 'enforce' })
  t.match(run(reject, 'SHOP', '您好'), { detail: 'no 【signature】' })
  t.match(run(stage({ signatures: ['云帆科技'], signature_action: 'monitor' }), 'SHOP', '【工商银行】您好'), { mode: 'monitor' })
  t.equal(run(stage({ signatures: ['云帆科技'], signature_action: 'off' }), 'SHOP', '【工商银行】您好'), null)
  t.equal(run(stage({}), 'SHOP', '没有签名'), null, 'no registered signatures: no check')
  const binary = reject!({ source_addr: 'SHOP', text: '', encoding: 'binary' } as Message, { account: acct, now: 0 })
  t.equal(binary, null, 'a binary payload has no signature to check')
})

t.test('canonical source strips +86 / 0086 / 86 from service numbers', async (t) => {
  t.equal(canonicalSource('+8695588'), '95588')
  t.equal(canonicalSource('008610086'), '10086')
  t.equal(canonicalSource('SHOP'), 'SHOP')
})

t.test('nothing to check: the stage is left out', async (t) => {
  t.equal(stage({ protected_source: [] }), null)
})
