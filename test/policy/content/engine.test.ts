import t, { type Test } from 'tap'
import { join } from 'node:path'
import { compileContentRules, compileRuleFiles, type ContentEngine } from '../../../src/policy/content/engine.js'
import { readRuleDir } from '../../../src/policy/content/rule-file.js'
import { GuardError } from '../../../src/errors.js'
import { VendorStatus } from '../../../src/smpp/status.js'

const SHARED = `
sets:
  warning: [谨防, 切勿]
  optout: [回t退订]
allow: [博物馆]
allow_patterns: ['《[^《》]{1,30}》']
`
const GAMBLING = `
category: gambling
threshold: 10
terms:
  10: [赌博, 百家乐, 赌场, 网上赌场]
  6: [彩金, 赌]
  3: [平台, 网址, 注册, '@link']
  -20: [$warning]
variants:
  菠菜: { of: 赌博, weight: 5 }
combos:
  - name: bonus
    all: [[注册, 首存], [送, 返]]
    within: 6
    weight: 8
allow: [赌徒]
`
const SPAM = `
category: advertising_spam
terms:
  6: [贷款]
  3: ['@unsigned', '@contact']
  -25: [$optout]
`


function rules(t: Test, files: Record<string, string>): string {
  return t.testdir(files)
}

/** The GuardError message a compile throws, or '' when it does not throw one. */
function compileError(dir: string): string {
  try {
    compileContentRules(dir)
  } catch (err) {
    if (err instanceof GuardError && err.code === 'SG_ERR_RULES_INVALID') return err.message
    throw err
  }
  return ''
}

function engine(t: Test, extra: Record<string, string> = {}): ContentEngine {
  return compileContentRules(rules(t, { 'common.yaml': SHARED, 'gambling.yaml': GAMBLING, 'spam.yaml': SPAM, ...extra }))
}

const fired = (e: ContentEngine, text: string) => e.scan(text).hits.map((h) => h.category)

t.test('a strong term fires its category with the category status; a clean text fires nothing', async (t) => {
  const e = engine(t)
  const r = e.scan('百家乐新开')
  t.equal(r.hits[0].category, 'gambling')
  t.equal(r.hits[0].status, VendorStatus.CONTENT_GAMBLING)
  t.equal(r.hits[0].matches[0].text, '百家乐')
  t.same(fired(e, '【某店】您的订单已发货'), [])
})

t.test('allow-phrases win over the shorter risky words inside them, but not over words next to them', async (t) => {
  const e = engine(t)
  t.same(fired(e, '周末去博物馆看展'), [])
  t.same(fired(e, '陀思妥耶夫斯基的赌徒到店了'), [])
  // 赌博 is not inside 博物馆 (it only overlaps it): the allow-phrase cannot be used to hide it.
  t.same(fired(e, '赌博物馆'), ['gambling'])
})

t.test('allow_patterns spans (a title in 《》) drop the terms inside them', async (t) => {
  const e = engine(t)
  t.same(fired(e, '新书《赌场风云》到店'), [])
  t.same(fired(e, '赌场风云'), ['gambling'])
})

t.test('single characters are weak evidence: one alone never fires', async (t) => {
  const e = engine(t)
  t.same(fired(e, '赌一赌'), [])
  t.match(compileError(rules(t, { 'g.yaml': 'category: gambling\nterms:\n  10: [赌]\n' })), /g\.yaml:3: single-character term "赌"/)
})

t.test('combination rules need every group within the window', async (t) => {
  const e = engine(t)
  const near = e.scan('注册送彩金', { explain: true })
  t.same(near.hits[0].rules, ['bonus'])
  const far = e.scan('注册之后请过十天再来领取送的东西和彩金', { explain: true })
  t.notOk([...far.hits, ...(far.below ?? [])].some((h) => h.rules.includes('bonus')))
})

t.test('context words add up to the cap only: everyday words alone never fire', async (t) => {
  const e = engine(t)
  const r = e.scan('平台网址注册', { explain: true })
  t.same(r.hits, [])
  t.equal(r.below?.[0].score, 6)
})

t.test('a term found only inside a longer term of its category adds no weight of its own', async (t) => {
  const dir = rules(t, { 'g.yaml': 'category: gambling\nterms:\n  6: [锁定, 已被锁定]\n' })
  const e = compileContentRules(dir)
  t.equal(e.scan('已被锁定', { explain: true }).below?.[0].score, 6, 'not 6 + 6')
  t.same(e.scan('锁定，已被锁定').hits.map((h) => h.score), [12], 'a separate occurrence still counts')
})

t.test('a hit that needs de-obfuscation is stronger evidence (evasion bonus)', async (t) => {
  const e = engine(t)
  const plain = e.scan('彩金', { explain: true }).below?.[0]
  t.equal(plain?.score, 6)
  const spaced = e.scan('彩 金').hits[0]
  t.equal(spaced.score, 10)
  t.ok(spaced.rules.includes('evasion_bonus'))
  t.ok(spaced.matches[0].evasive)
  t.equal(spaced.matches[0].text, '彩 金')
})

t.test('forms generated at compile time: pinyin, half pinyin, initials, split characters; declared variants', async (t) => {
  const e = engine(t)
  const form = (text: string) => e.scan(text).hits[0]?.matches.find((m) => m.form !== 'plain')?.form
  t.equal(form('dubo 平台'), 'pinyin')
  t.equal(form('赌bo网站'), 'pinyin')
  t.equal(form('真人bjl'), 'initials')
  t.equal(form('贝者十尃网站'), 'split')
  t.equal(fired(e, '菠菜平台').length, 1, 'variant 5 + evasion bonus + context')
})

t.test('homophones: terms of four characters or more also match by sound; shorter ones do not', async (t) => {
  const e = engine(t)
  const hit = e.scan('网尚堵场开业').hits[0]
  t.equal(hit?.category, 'gambling')
  t.ok(hit.matches.some((m) => m.form === 'homophone' && m.text === '网尚堵场' && m.evasive))
  t.same(fired(e, '白家乐'), [], '百家乐 has three characters: no sound match')
  const plain = e.scan('网上赌场').hits[0]
  t.notOk(plain.matches.some((m) => m.form === 'homophone'), 'the term as written is plain evidence, not a homophone')
})

t.test('homophones match across separators, and two-character terms match by sound when asked to', async (t) => {
  t.equal(engine(t).scan('网 尚 😀 堵场').hits[0]?.category, 'gambling')
  const short = engine(t, { 'gambling.yaml': GAMBLING + 'generate: { homophones: 2 }\n' })
  t.ok(short.scan('堵搏').hits[0]?.matches.some((m) => m.form === 'homophone' && m.term === '赌博'))
  t.same(engine(t).scan('堵搏').hits, [], 'by default a two-character term has no sound form')
})

t.test('Latin and digit terms need a boundary in the original text', async (t) => {
  const e = engine(t)
  t.same(fired(e, 'xdubox'), [])
  t.same(fired(e, 'hello dubo'), ['gambling'])
})

t.test('warning sets pull an awareness message below the threshold', async (t) => {
  const e = engine(t)
  t.same(fired(e, '谨防网络赌博，切勿下载不明App'), [])
})

t.test('detector tokens and negative sets: cold solicitation versus members marketing', async (t) => {
  const e = engine(t)
  t.same(fired(e, '贷款找我 13000000000'), ['advertising_spam'])
  t.same(fired(e, '【某银行】贷款优惠，详询 13000000000 回T退订'), [])
})

t.test('per-scan allowed hosts take links out of the evidence', async (t) => {
  const e = engine(t)
  const withLink = e.scan('注册 a.example 平台', { explain: true }).below?.[0]
  t.equal(withLink?.matches.some((m) => m.term === '@link'), true)
  const own = e.scan('注册 a.example 平台', { explain: true, allowedHosts: ['a.example'] }).below?.[0]
  t.equal(own?.matches.some((m) => m.term === '@link'), false)
})

t.test('rule file errors name file, line and reason', async (t) => {
  const bad = (files: Record<string, string>, re: RegExp) => t.match(compileError(rules(t, files)), re)
  bad({ 'a.yaml': 'category: a\naction: maybe\n' }, /a\.yaml:2: action: Invalid option/)
  bad({ 'a.yaml': 'category: a\nstatus: 0x421\nterms:\n  10: [x\n' }, /a\.yaml:\d+: /)
  bad({ 'a.yaml': 'category: a\nstatus: 0x421\nterms:\n  10: [$nope]\n' }, /a\.yaml:4: unknown set \$nope/)
  bad({ 'a.yaml': 'category: a\nstatus: 0x421\nterms:\n  10: ["@radar"]\n' }, /a\.yaml:4: unknown detector @radar/)
  bad({ 'a.yaml': "category: a\nstatus: 0x421\nregex:\n  - { pattern: '(', weight: 1 }\n" }, /a\.yaml:4: invalid regex/)
  bad({ 'a.yaml': 'category: mystery\n' }, /a\.yaml:1: no status given and no VendorStatus\.CONTENT_MYSTERY/)
  bad({ 'a.yaml': 'category: a\nstatus: 0x421\nvariants:\n  x: y\n' }, /a\.yaml:4: variant "x" stands for "y", which is not a term of a/)
  bad({ 'a.yaml': 'category: gambling\n', 'b.yaml': 'category: gambling\n' }, /b\.yaml:1: category gambling is already defined/)
  bad({ 'readme.txt': 'x' }, /no category rule files/)
})

t.test('the shipped rules compile into one automaton with thousands of patterns', async (t) => {
  const e = compileContentRules(join(import.meta.dirname, '../../../config/rules'))
  t.ok(e.patternCount >= 4000, `${e.patternCount} patterns`)
  const names = e.categories.map((c) => c.name)
  for (const c of ['fraud_bank', 'gambling', 'porn_prostitution', 'contraband', 'fake_prize', 'fake_recruit_marriage', 'advertising_spam', 'political', 'rumor_violence_terror', 'competitor_promo']) {
    t.ok(names.includes(c), c)
  }
})

t.test('the scan counter wraps without losing a hit: past 2^31 scans every category still fires', async (t) => {
  const files = readRuleDir(join(import.meta.dirname, '../../../config/rules'))
  const fresh = compileRuleFiles(files)
  const old = compileRuleFiles(files, { firstScan: 0x7fffffff - 3 })
  const violating = '网上赌场真人荷官百家乐，首充送彩金，提款秒到，注册就送'
  const clean = '您的验证码是482913，5分钟内有效，请勿泄露给他人。'
  const want = fresh.scan(violating).hits.map((h) => h.category)
  t.ok(want.length > 0, 'the violating text fires on a fresh engine')
  // Scans before, at and well after the wrap, clean ones between, so marks from earlier scans are in place.
  for (let i = 0; i < 12; i++) {
    t.same(old.scan(clean).hits, [], `clean scan ${i}`)
    t.same(old.scan(violating).hits.map((h) => h.category), want, `violating scan ${i}`)
  }
})
