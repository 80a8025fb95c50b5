// smpp-guard eval [--config FILE] --corpus FILE [--account ID] [--json]
// Measures the content rules on a labelled corpus (JSON lines: text, label allow|block, category, evasion):
// precision, recall and false-positive rate overall, per category and per evasion type, and the lines it
// got wrong. As in the proxy, only categories set to reject stop a message; monitor mode forwards it.
// Exit codes: 0 done, 2 usage, configuration, rule or corpus error.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { configPath, loadConfig } from '../config/load.js'
import { GuardError } from '../errors.js'
import { compileContentRules, type ContentEngine } from '../policy/content/engine.js'
import { contentHits, ContentConfigSchema, type ContentConfig } from '../policy/stages/content.js'

const USAGE = 'usage: smpp-guard eval [--config FILE] --corpus FILE [--account ID] [--json]'
export interface CommandIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
}

const consoleIo: CommandIo = { out: (l) => console.log(l), err: (l) => console.error(l) }

export interface CorpusLine {
  readonly text: string
  readonly label: 'allow' | 'block'
  readonly category: string
  readonly evasion: string
}

export interface Counts {
  tp: number
  fp: number
  tn: number
  fn: number
}

export interface Rates extends Counts {
  precision: number
  recall: number
  false_positive_rate: number
}

export interface Misclassified {
  readonly line: number
  readonly label: 'allow' | 'block'
  readonly category: string
  readonly evasion: string
  /** The category that fired, or null when nothing did. */
  readonly predicted: string | null
  readonly text: string
  readonly detail?: string
}

export interface EvalReport {
  readonly overall: Rates
  /** Per labelled category (block lines) plus false positives attributed to the category that fired. */
  readonly categories: Record<string, Rates & { same_category: number }>
  readonly evasions: Record<string, Rates>
  readonly misclassified: Misclassified[]
}

export function parseCorpus(text: string, file: string): CorpusLine[] {
  const out: CorpusLine[] = []
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return
    let v: Partial<CorpusLine>
    try {
      v = JSON.parse(raw) as Partial<CorpusLine>
    } catch (err) {
      throw new GuardError('SG_ERR_USAGE', `${file}:${i + 1}: not JSON: ${(err as Error).message}`)
    }
    if (typeof v.text !== 'string' || (v.label !== 'allow' && v.label !== 'block')) {
      throw new GuardError('SG_ERR_USAGE', `${file}:${i + 1}: needs "text" and "label": "allow" | "block"`)
    }
    out.push({ text: v.text, label: v.label, category: v.category ?? 'none', evasion: v.evasion ?? 'none' })
  })
  return out
}

const zero = (): Counts => ({ tp: 0, fp: 0, tn: 0, fn: 0 })
const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10000) / 10000)
function rates(c: Counts): Rates {
  return { precision: ratio(c.tp, c.tp + c.fp), recall: ratio(c.tp, c.tp + c.fn), false_positive_rate: ratio(c.fp, c.fp + c.tn), ...c }
}

/** Scores every line with the engine and one account's content settings. */
export function evaluate(engine: ContentEngine, lines: readonly CorpusLine[], cfg: Pick<ContentConfig, 'categories' | 'links' | 'allowed_hosts'>): EvalReport {
  const overall = zero()
  const perCat = new Map<string, Counts & { same_category: number }>()
  const perEvasion = new Map<string, Counts>()
  const misclassified: Misclassified[] = []
  const opts = cfg.allowed_hosts.length > 0 ? { allowedHosts: cfg.allowed_hosts } : {}
  const cat = (name: string) => {
    let c = perCat.get(name)
    if (!c) perCat.set(name, (c = { ...zero(), same_category: 0 }))
    return c
  }
  lines.forEach((x, i) => {
    // What the proxy would do: only enforced hits stop a message; monitor hits are forwarded.
    const hits = contentHits(engine.scan(x.text, opts), cfg).filter((h) => h.mode === 'enforce')
    const top = hits[0]
    const blocked = top !== undefined
    const ev = perEvasion.get(x.evasion) ?? zero()
    perEvasion.set(x.evasion, ev)
    if (x.label === 'block') {
      const c = cat(x.category)
      if (blocked) {
        overall.tp++
        ev.tp++
        c.tp++
        if (top.category === x.category) c.same_category++
      } else {
        overall.fn++
        ev.fn++
        c.fn++
      }
    } else if (blocked) {
      overall.fp++
      ev.fp++
      cat(top.category).fp++
    } else {
      overall.tn++
      ev.tn++
    }
    if ((x.label === 'block') !== blocked) {
      misclassified.push({ line: i + 1, label: x.label, category: x.category, evasion: x.evasion, predicted: top?.category ?? null, text: x.text, detail: top?.detail })
    }
  })
  const categories: EvalReport['categories'] = {}
  for (const [name, c] of [...perCat].sort((a, b) => a[0].localeCompare(b[0]))) categories[name] = { ...rates(c), same_category: c.same_category }
  const evasions: EvalReport['evasions'] = {}
  for (const [name, c] of [...perEvasion].sort((a, b) => a[0].localeCompare(b[0]))) evasions[name] = rates(c)
  return { overall: rates(overall), categories, evasions, misclassified }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(7)

export function formatReport(r: EvalReport): string[] {
  const o = r.overall
  const lines = [
    `overall   precision ${pct(o.precision)}  recall ${pct(o.recall)}  false positives ${pct(o.false_positive_rate)}  (tp ${o.tp} fp ${o.fp} tn ${o.tn} fn ${o.fn})`,
    '',
    'category                  lines  recall  same-cat  fp',
  ]
  for (const [name, c] of Object.entries(r.categories)) {
    lines.push(`${name.padEnd(24)} ${String(c.tp + c.fn).padStart(6)} ${pct(c.recall)} ${String(c.same_category).padStart(9)} ${String(c.fp).padStart(3)}`)
  }
  lines.push('', 'evasion          block  recall  allow  fp-rate')
  for (const [name, c] of Object.entries(r.evasions)) {
    lines.push(`${name.padEnd(15)} ${String(c.tp + c.fn).padStart(6)} ${pct(c.recall)} ${String(c.tn + c.fp).padStart(6)} ${pct(c.false_positive_rate)}`)
  }
  lines.push('', r.misclassified.length === 0 ? 'no misclassified lines' : `misclassified lines (${r.misclassified.length}):`)
  for (const m of r.misclassified) {
    const what = m.label === 'block' ? `missed ${m.category}/${m.evasion}` : `false positive as ${m.predicted}`
    lines.push(`  line ${m.line}: ${what}: ${m.text}${m.detail ? `\n      ${m.detail}` : ''}`)
  }
  return lines
}

export async function main(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  let values: { config?: string; corpus?: string; account?: string; json?: boolean; help?: boolean }
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        corpus: { type: 'string' },
        account: { type: 'string', short: 'a' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    io.err(`smpp-guard eval: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    io.out(USAGE)
    return 0
  }
  if (!values.corpus) {
    io.err(USAGE)
    return 2
  }
  try {
    const loaded = loadConfig(configPath(values.config))
    const cfg = loaded.config
    let overrides: object = {}
    if (values.account) {
      const account = cfg.accounts.find((a) => a.system_id === values.account)
      if (!account) {
        io.err(`smpp-guard eval: unknown account '${values.account}'`)
        return 2
      }
      overrides = (account.policy?.content as object | undefined) ?? {}
    }
    const contentCfg = ContentConfigSchema.parse({ ...((cfg.policy.content as object | undefined) ?? {}), ...overrides })
    const engine = compileContentRules(resolve(loaded.baseDir, cfg.rules))
    let text: string
    try {
      text = readFileSync(values.corpus, 'utf8')
    } catch (err) {
      io.err(`smpp-guard eval: cannot read ${values.corpus}: ${(err as Error).message}`)
      return 2
    }
    const report = evaluate(engine, parseCorpus(text, values.corpus), contentCfg)
    if (values.json) io.out(JSON.stringify(report, null, 2))
    else for (const l of formatReport(report)) io.out(l)
    return 0
  } catch (err) {
    if (err instanceof GuardError) {
      io.err(`smpp-guard eval: ${err.message}`)
      return 2
    }
    throw err
  }
}
