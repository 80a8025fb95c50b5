// Content policy throughput on one core: the shipped rules plus a synthetic category of extra keywords
// (≥ 5,000 automaton patterns in all), 70-character messages, most of them clean as in real traffic.
// Prints msg/s for normalise + match (fold into the offset-mapped buffer and run the automaton) and for the
// whole scan (detectors, allow-phrases, scoring), with 5,000 and with 4× as many keywords: the per-message
// cost must not grow with the number of keywords.
// Rates are per CPU second of this process (process.cpuUsage), so other load on a shared machine skews them
// less than wall-clock rates would.
// `--cold` times each full scan alone after writing over 8 MB of other memory, as a proxy does everything else
// between two scans: what the scan costs when its tables have left the CPU caches (wall time of the scans only).
// usage: node --import tsx scripts/bench/content.ts [--seconds S] [--extra N] [--dense] [--cold]
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { buildAutomaton } from '../../src/policy/content/aho-corasick.js'
import { compileRuleFiles } from '../../src/policy/content/engine.js'
import { createFolded, foldInto, foldTables } from '../../src/policy/content/normalize.js'
import { readRuleDir, CategoryFileSchema, type RuleFiles } from '../../src/policy/content/rule-file.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    extra: { type: 'string', default: '5000' },
    dense: { type: 'boolean', default: false },
    cold: { type: 'boolean', default: false },
  },
})
const SECONDS = Number(values.seconds)
const EXTRA = Number(values.extra)

// A deterministic generator, so runs compare.
let seed = 42
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x80000000
const COMMON = '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严'
const BUSINESS = ['【云帆科技】', '【鲸选商城】', '验证码 482913，', '您的包裹已到达驿站，', '会员专享：', '回T退订', '请于3月20日前缴纳。', '如非本人操作请忽略。']

function message(): string {
  let s = BUSINESS[Math.floor(rand() * BUSINESS.length)]
  while (s.length < 70) s += COMMON[Math.floor(rand() * COMMON.length)]
  return s.slice(0, 70)
}

// Keywords drawn from the whole CJK block, as real lists are; `--dense` draws them from the same common
// characters the messages are made of, the worst case where nearly every character starts a keyword.
const DENSE = values.dense === true
function randomTerm(): string {
  const n = 2 + Math.floor(rand() * 3)
  let s = ''
  for (let i = 0; i < n; i++) s += DENSE ? COMMON[Math.floor(rand() * COMMON.length)] : String.fromCharCode(0x4e00 + Math.floor(rand() * 0x51a6))
  return s
}

function withExtra(files: RuleFiles, count: number): RuleFiles {
  const terms = new Set<string>()
  while (terms.size < count) terms.add(randomTerm())
  const data = CategoryFileSchema.parse({ category: 'bench_extra', status: 0x4ff, terms: { 6: [...terms] }, generate: { pinyin: false, initials: false, split: false } })
  return { ...files, categories: [...files.categories, { file: 'bench_extra.yaml', data, lineOf: () => undefined }] }
}

function measure(label: string, fn: (text: string) => void, messages: string[]): number {
  for (let i = 0; i < 20000; i++) fn(messages[i % messages.length]) // warm-up for the JIT
  let n = 0
  const wall0 = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  const limit = BigInt(Math.round(SECONDS * 1e9))
  while (process.hrtime.bigint() - wall0 < limit) {
    for (let i = 0; i < 1000; i++) fn(messages[(n + i) % messages.length])
    n += 1000
  }
  const cpu = process.cpuUsage(cpu0)
  const s = (cpu.user + cpu.system) / 1e6
  const rate = n / s
  console.log(`${label.padEnd(48)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} msg/s  ${((s / n) * 1e6).toFixed(2)} µs/msg`)
  return rate
}

// Written over between cold scans: larger than this machine's last-level cache share, a line at a time.
const junk = new Int32Array((8 * 1024 * 1024) / 4)
function evictCaches(): void {
  for (let i = 0; i < junk.length; i += 16) junk[i]++
}

function measureCold(label: string, fn: (text: string) => void, messages: string[]): void {
  for (let i = 0; i < 20000; i++) fn(messages[i % messages.length])
  let n = 0
  let ns = 0n
  const wall0 = process.hrtime.bigint()
  const limit = BigInt(Math.round(SECONDS * 1e9))
  while (process.hrtime.bigint() - wall0 < limit) {
    evictCaches()
    const t0 = process.hrtime.bigint()
    fn(messages[n % messages.length])
    ns += process.hrtime.bigint() - t0
    n++
  }
  console.log(`${label.padEnd(48)} ${(Number(ns) / n / 1000).toFixed(2).padStart(10)} µs/msg (${n.toLocaleString('en-US')} scans)`)
}

const messages = Array.from({ length: 10000 }, message)
const base = readRuleDir(resolve(import.meta.dirname, '../../config/rules'))
const tables = foldTables()

console.log(`content benchmark: 70-character messages, ${SECONDS}s per figure, one core`)
for (const extra of [EXTRA, EXTRA * 4]) {
  const t0 = performance.now()
  const engine = compileRuleFiles(withExtra(base, extra))
  const buildMs = performance.now() - t0
  // The same pattern set as a bare automaton, for the normalise + match figure.
  const terms = withExtra(base, extra).categories.flatMap((c) => Object.values(c.data.terms).flat().map(String))
  const automaton = buildAutomaton(terms)
  const folded = createFolded()
  let sink = 0
  const count = (_end: number, id: number) => {
    sink += id
  }
  console.log(`\n${engine.patternCount.toLocaleString('en-US')} automaton patterns (${extra.toLocaleString('en-US')} synthetic keywords), rules compiled in ${buildMs.toFixed(0)} ms`)
  measure('normalise + match (fold, offset map, automaton)', (text) => {
    const f = foldInto(text, tables.match, folded)
    automaton.search(f.units, f.length, count)
  }, messages)
  measure('full scan (+ detectors, allow-phrases, scoring)', (text) => {
    sink += engine.scan(text).hits.length
  }, messages)
  if (values.cold) {
    measureCold('full scan, caches flushed before each', (text) => {
      sink += engine.scan(text).hits.length
    }, messages)
  }
  if (sink === -1) console.log(sink)
}
