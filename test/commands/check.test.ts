import t, { type Test } from 'tap'
import { join } from 'node:path'
import { main } from '../../src/commands/check.js'
import { VendorStatus } from '../../src/smpp/status.js'

const CONFIG = `
accounts:
  - system_id: shop
    password_hash: "x"
    policy:
      sender: { signatures: [云帆科技] }
  - system_id: watch
    password_hash: "x"
    policy:
      content: { categories: { gambling: monitor } }
rules: rules
state: { backend: memory }
`
const RULES = {
  'common.yaml': 'sets:\n  warning: [谨防]\n',
  'gambling.yaml': 'category: gambling\nterms:\n  10: [赌博, 百家乐]\n  6: [平台]\n  -20: [$warning]\n',
}

function fixture(t: Test): string {
  const dir = t.testdir({ 'smpp-guard.yaml': CONFIG, rules: RULES })
  return join(dir, 'smpp-guard.yaml')
}

async function check(config: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(['--config', config, ...args], { out: (l) => (out += l + '\n'), err: (l) => (err += l + '\n') })
  return { code, out, err }
}

t.test('prints the verdict, the normalised text and every hit; exit 1 on reject', async (t) => {
  const r = await check(fixture(t), ['--account', 'shop', '--dst', '13800000000', '【云帆科技】赌-博平台'])
  t.equal(r.code, 1)
  const j = JSON.parse(r.out)
  t.match(j.verdict, { action: 'reject', rule: 'content.gambling', status: VendorStatus.CONTENT_GAMBLING, status_name: 'SG_CONTENT_GAMBLING' })
  t.equal(j.normalized, '云帆科技赌博平台')
  t.equal(j.hits[0].category, 'gambling')
  t.ok(j.hits[0].matches.some((m: { text: string; evasive: boolean }) => m.text === '赌-博' && m.evasive))
})

t.test('runs the whole pipeline: the sender stage answers before content', async (t) => {
  const r = await check(fixture(t), ['--account', 'shop', '--dst', '13800000000', '【别家】您好'])
  t.equal(r.code, 1)
  t.match(JSON.parse(r.out).verdict, { rule: 'sender.signature', status: VendorStatus.SIGNATURE_INVALID })
})

t.test('a clean text exits 0 and still shows categories below threshold', async (t) => {
  const r = await check(fixture(t), ['--account', 'shop', '--dst', '13800000000', '【云帆科技】新平台上线'])
  t.equal(r.code, 0)
  const j = JSON.parse(r.out)
  t.same(j.verdict, { action: 'allow', shadow: [] })
  t.equal(j.below_threshold[0].category, 'gambling')
})

t.test('monitor mode: allowed, with the would-be rejection in shadow', async (t) => {
  const r = await check(fixture(t), ['--account', 'watch', '--dst', '13800000000', '百家乐'])
  t.equal(r.code, 0)
  const j = JSON.parse(r.out)
  t.equal(j.verdict.shadow[0].rule, 'content.gambling')
  t.equal(j.hits[0].action, 'monitor')
})

t.test('usage and configuration errors exit 2', async (t) => {
  const config = fixture(t)
  t.equal((await check(config, ['--dst', '1', 'x'])).code, 2)
  t.match((await check(config, ['--account', 'nobody', '--dst', '1', 'x'])).err, /unknown account 'nobody'/)
  const dir = t.testdir({ 'c.yaml': CONFIG, rules: { 'g.yaml': 'category: gambling\nterms: [oops]\n' } })
  const broken = await check(join(dir, 'c.yaml'), ['--account', 'shop', '--dst', '1', 'x'])
  t.equal(broken.code, 2)
  t.match(broken.err, /g\.yaml:2: terms/)
})
