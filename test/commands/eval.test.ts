import t, { type Test } from 'tap'
import { join } from 'node:path'
import { main, parseCorpus } from '../../src/commands/eval.js'
import { GuardError } from '../../src/errors.js'

const CONFIG =
  'accounts:\n  - { system_id: lax, password_hash: "x", policy: { content: { categories: { gambling: "off" } } } }\n' +
  '  - { system_id: watch, password_hash: "x", policy: { content: { categories: { gambling: "monitor" } } } }\nrules: rules\n'
const RULES = {
  'gambling.yaml': 'category: gambling\nterms:\n  10: [赌博, 百家乐]\n',
  'fraud_bank.yaml': 'category: fraud_bank\nterms:\n  10: [安全账户]\n',
}
const line = (text: string, label: string, category = 'none', evasion = 'none') => JSON.stringify({ text, label, category, evasion })
const CORPUS = [
  line('百家乐开业', 'block', 'gambling'),
  line('赌 博', 'block', 'gambling', 'separators'),
  line('转到安全账户', 'block', 'fraud_bank'),
  line('请帮我看看这个', 'block', 'fraud_bank'),
  line('【店】您的订单已发货', 'allow'),
  line('【店】赌博是违法的', 'allow'),
  '',
].join('\n')

function fixture(t: Test): { config: string; corpus: string } {
  const dir = t.testdir({ 'c.yaml': CONFIG, rules: RULES, 'corpus.jsonl': CORPUS })
  return { config: join(dir, 'c.yaml'), corpus: join(dir, 'corpus.jsonl') }
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(args, { out: (l) => (out += l + '\n'), err: (l) => (err += l + '\n') })
  return { code, out, err }
}

t.test('--json: overall, per category and per evasion figures', async (t) => {
  const f = fixture(t)
  const r = await run(['--config', f.config, '--corpus', f.corpus, '--json'])
  t.equal(r.code, 0)
  const j = JSON.parse(r.out)
  t.same(j.overall, { precision: 0.75, recall: 0.75, false_positive_rate: 0.5, tp: 3, fp: 1, tn: 1, fn: 1 })
  t.match(j.categories.gambling, { tp: 2, fn: 0, fp: 1, recall: 1, same_category: 2 })
  t.match(j.categories.fraud_bank, { tp: 1, fn: 1, recall: 0.5 })
  t.match(j.evasions.separators, { tp: 1, recall: 1 })
  t.same(j.misclassified.map((m: { line: number }) => m.line), [4, 6])
})

t.test('text form lists the misclassified lines', async (t) => {
  const f = fixture(t)
  const r = await run(['--config', f.config, '--corpus', f.corpus])
  t.match(r.out, /overall\s+precision\s+75\.0%\s+recall\s+75\.0%/)
  t.match(r.out, /line 4: missed fraud_bank\/none: 请帮我看看这个/)
  t.match(r.out, /line 6: false positive as gambling: 【店】赌博是违法的\n\s+score 10\/10: 赌博\+10/)
})

t.test('--account applies that account overrides; monitor forwards, as in the proxy', async (t) => {
  const f = fixture(t)
  const lax = JSON.parse((await run(['--config', f.config, '--corpus', f.corpus, '--account', 'lax', '--json'])).out)
  t.match(lax.overall, { tp: 1, fp: 0 })
  const watch = JSON.parse((await run(['--config', f.config, '--corpus', f.corpus, '--account', 'watch', '--json'])).out)
  t.match(watch.overall, { tp: 1, fp: 0 })
})

t.test('bad corpus lines name file and line; missing arguments exit 2', async (t) => {
  t.throws(() => parseCorpus('{"text":"a","label":"allow"}\nnot json\n', 'x.jsonl'), GuardError)
  t.throws(() => parseCorpus('{"text":"a","label":"maybe"}\n', 'x.jsonl'), /x\.jsonl:1: needs "text" and "label"/)
  t.equal((await run([])).code, 2)
  const f = fixture(t)
  t.match((await run(['--config', f.config, '--corpus', join(f.corpus, 'nope')])).err, /cannot read/)
})
