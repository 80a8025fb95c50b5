// The scan's shortcuts (detector cues, score bounds, the phonetic pre-check) may only save time: on any text
// the engine must return exactly what the same rules return with every shortcut off.
import t from 'tap'
import fc from 'fast-check'
import { join } from 'node:path'
import { compileRuleFiles, type ScanOptions } from '../../../src/policy/content/engine.js'
import { phoneticTable } from '../../../src/policy/content/phonetic.js'
import { CategoryFileSchema, readRuleDir, type RuleFiles } from '../../../src/policy/content/rule-file.js'

const shipped = readRuleDir(join(import.meta.dirname, '../../../config/rules'))
// Regex rules and more allow_patterns than the shipped set has, so those paths are held to it too.
const extra = CategoryFileSchema.parse({
  category: 'extra',
  status: 0x4fe,
  threshold: 8,
  terms: { 5: ['平台', '注册', '@mobile', '@qq'], 3: ['@link', '@wechat'], 2: ['@shortlink', '@contact'], '-4': ['@signature'] },
  combos: [{ all: [['注册'], ['@link', '@qq']], weight: 4 }],
  regex: [{ pattern: '\\d{6}', weight: 4 }, { pattern: '[a-z]{4,}', weight: 3 }, { pattern: '退订$', weight: -5 }, { pattern: '赌.{0,3}场', weight: 6 }],
})
const regexOnly = CategoryFileSchema.parse({ category: 'regex_only', status: 0x4fd, threshold: 5, regex: [{ pattern: '^.*验证码', weight: 5 }] })
const files: RuleFiles = {
  categories: [...shipped.categories, { file: 'extra.yaml', data: extra, lineOf: () => undefined }, { file: 'regex_only.yaml', data: regexOnly, lineOf: () => undefined }],
  shared: [...shipped.shared, { file: 'shared.yaml', data: { sets: {}, allow: [], allow_patterns: ['「[^」]*」', 'qq\\d+'] }, lineOf: () => undefined }],
}
const fast = compileRuleFiles(files)
const exhaustive = compileRuleFiles(files, { exhaustive: true })

// What the rules look for, written plainly and with the same-sounding characters the phonetic view folds together.
const terms = new Set<string>()
for (const c of files.categories) {
  for (const list of Object.values(c.data.terms)) for (const x of list) if (!/^[@$]/.test(x)) terms.add(x)
  for (const v of Object.keys(c.data.variants)) terms.add(v)
  for (const combo of c.data.combos) for (const g of combo.all) for (const x of g) if (!/^[@$]/.test(x)) terms.add(x)
}
for (const s of files.shared) for (const list of [...Object.values(s.data.sets), s.data.allow]) for (const x of list) terms.add(x)
const termList = [...terms]
const readings = phoneticTable()
const sameSound = new Map<number, string[]>()
for (let c = 0x4e00; c <= 0x9fff; c++) {
  const id = readings[c]
  if (id !== 0) sameSound.set(id, [...(sameSound.get(id) ?? []), String.fromCharCode(c)])
}
const soundAlike = (term: string, pick: number) =>
  [...term].map((ch, i) => {
    const alts = sameSound.get(readings[ch.charCodeAt(0)]) ?? [ch]
    return alts[(pick * (i + 7)) % alts.length]
  }).join('')
const NOISE = ['', ' ', '.', ':', '：', '-', '/', '　', '\u200b', '🎲', '【云帆】', '《', '》', '「', '」', '的', '您好', '订单', '验证码',
  '13812345678', 'qq:123456', '微信abcdef', 'v信', '加我', 't.cn/ab', 'http://a.example', 'x.example/p', '8', 'a', 'Ｑ', '回T退订', '退订', '贝者十尃', '木仓']
// A text for one of the combinations: a word of each group, in the order written.
const SAMPLES: Record<string, string> = {
  link: 'http://a.example', shortlink: 't.cn/ab', mobile: '13812345678', qq: 'qq:123456', wechat: '微信abcdef', contact: '加我',
  contact_obfuscated: 'v信', signature: '【云帆】', unsigned: '',
}
const sets = new Map(files.shared.flatMap((s) => Object.entries(s.data.sets)))
const wordFor = (x: string, n: number) => {
  if (x.startsWith('@')) return SAMPLES[x.slice(1)] ?? ''
  if (!x.startsWith('$')) return x
  const members = sets.get(x.slice(1)) ?? ['']
  return members[n % members.length]
}
const combos = files.categories.flatMap((c) => c.data.combos.map((combo) => combo.all))
const comboText = fc.tuple(fc.constantFrom(...combos), fc.nat(), fc.constantFrom('', '，', '的', '您好')).map(([groups, n, gap]) =>
  groups.map((g, i) => wordFor(g[(n + i) % g.length], n + i)).join(gap),
)
const piece = fc.oneof(
  comboText,
  fc.constantFrom(...termList),
  fc.tuple(fc.constantFrom(...termList), fc.nat()).map(([x, n]) => soundAlike(x, n)),
  fc.tuple(fc.constantFrom(...termList), fc.constantFrom(' ', '-', '🎲')).map(([x, sep]) => [...x].join(sep)),
  fc.constantFrom(...NOISE),
)
const text = fc.oneof(fc.array(piece, { maxLength: 8 }).map((a) => a.join('')), fc.string({ unit: 'binary', maxLength: 30 }))
const options = fc.constantFrom<ScanOptions>({}, { explain: true }, { allowedHosts: ['a.example', 't.cn'] })

const json = (x: unknown) => JSON.stringify(x)

// With `explain`, a category below its threshold is listed when it found a term of positive weight or its
// score could have reached the threshold; the bound decides the second, so one that found only zero-weight
// terms and scored through a combination is listed by the exhaustive engine alone.
function same(x: string, opts: ScanOptions): boolean {
  const a = fast.scan(x, opts)
  const b = exhaustive.scan(x, opts)
  if (!opts.explain) return json(a) === json(b)
  const { below: belowA = [], ...restA } = a
  const { below: belowB = [], ...restB } = b
  const listed = new Set(belowA.map((h) => h.category))
  const unlisted = belowB.filter((h) => !listed.has(h.category))
  return json(restA) === json(restB) && json(belowA) === json(belowB.filter((h) => listed.has(h.category))) && unlisted.every((h) => h.matches.every((m) => m.weight <= 0))
}

t.test('every shortcut off, the same result on random texts made of the rules own words', async (t) => {
  fc.assert(fc.property(text, options, same), { numRuns: 4000, seed: 11 })
})

t.test('the texts reach the rules: categories fire through every form of term and through rules', async (t) => {
  const seen = new Set<string>()
  fc.sample(text, { numRuns: 2000, seed: 11 }).forEach((x) => {
    for (const h of fast.scan(x).hits) {
      seen.add('hit')
      for (const m of h.matches) seen.add(m.form)
      for (const r of h.rules) seen.add(r === 'evasion_bonus' ? r : 'rule')
    }
  })
  for (const what of ['hit', 'rule', 'plain', 'homophone', 'pinyin', 'split', 'variant', 'evasion_bonus']) t.ok(seen.has(what), what)
})
