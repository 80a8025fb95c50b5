// Rule files → one content engine: every term of every category, their generated evasion forms and the
// allow-phrases go into one Aho–Corasick automaton built once per compile (start and reload), so the cost
// per message does not grow with the number of keywords. A message is folded once, matched once, and each
// category adds up the weights of the distinct terms it found; it fires at its threshold.
import { pinyin } from 'pinyin-pro'
import { VendorStatus } from '../../smpp/status.js'
import { buildAutomaton, type Automaton } from './aho-corasick.js'
import { cueOf, detect, detectCued, DetectorKinds, type DetectorHit, type DetectorKind } from './detectors.js'
import { createFolded, foldInto, foldTables, foldedString, normalize, DROP } from './normalize.js'
import { SPLIT_FORMS } from './data/split.js'
import { phoneticKey, phoneticTable } from './phonetic.js'
import { foldFused, unitTable } from './unit-table.js'
import { grown } from '../../util/grown.js'
import { readRuleDir, rulesError, type CategoryAction, type CategoryFile, type Located, type RuleFiles } from './rule-file.js'

/** How a term was written: as listed, or in a form generated or declared to defeat evasion. */
export type TermForm = 'plain' | 'pinyin' | 'initials' | 'split' | 'variant' | 'homophone'

export interface TermMatch {
  /** The rule term (normalised), `$set` or `@detector` token. */
  readonly term: string
  readonly form: TermForm
  readonly weight: number
  /** Original-text indices of the first and last unit, and the original text between them. */
  readonly start: number
  readonly end: number
  readonly text: string
  /** True when the hit only appears after de-obfuscation (not for plain width / traditional folding). */
  readonly evasive: boolean
}

export interface CategoryHit {
  readonly category: string
  readonly status: number
  /** The action the rule file sets; accounts may override it. */
  readonly action: CategoryAction
  readonly score: number
  readonly threshold: number
  readonly priority: number
  readonly matches: readonly TermMatch[]
  /** Names of the combination and regex rules that added to the score. */
  readonly rules: readonly string[]
}

export interface ScanResult {
  readonly normalized: string
  /** Categories at or above their threshold, strongest first (priority, then score). */
  readonly hits: readonly CategoryHit[]
  readonly detectors: readonly DetectorHit[]
  /** With `explain`: categories that found something but stayed below their threshold. */
  readonly below?: readonly CategoryHit[]
}

export interface ScanOptions {
  /** Hosts (and subdomains) whose links are the sender's own: not evidence. */
  readonly allowedHosts?: readonly string[]
  /** Also report categories below their threshold (check, rule tuning). */
  readonly explain?: boolean
}

export interface ContentEngine {
  scan(text: string, opts?: ScanOptions): ScanResult
  /** Category names with their file action and status, in file order. */
  readonly categories: readonly { readonly name: string; readonly action: CategoryAction; readonly status: number }[]
  readonly patternCount: number
}

interface Token {
  readonly key: string
  weight: number
}

interface Combo {
  readonly name: string
  readonly groups: number[][]
  readonly within: number
  readonly weight: number
}

interface Category {
  readonly name: string
  readonly action: CategoryAction
  readonly status: number
  readonly threshold: number
  readonly evasionBonus: number
  readonly contextWeight: number
  readonly contextCap: number
  readonly priority: number
  readonly tokens: Token[]
  readonly detectorTokens: Array<[DetectorKind, number]>
  readonly combos: Combo[]
  /** Sum of the positive regex weights: the most they can add. */
  regexMax: number
  /** Which combinations the current scan's accepted hits meet in every group. */
  readonly watch: ComboWatch
  readonly regex: Array<{ name: string; re: RegExp; weight: number }>
}

/** What one automaton pattern means: a term of a category, or an allow-phrase (category -1: all). */
interface Meaning {
  readonly cat: number
  readonly token: number // -1 for an allow-phrase
  readonly form: TermForm
  /** Letter or digit class of the first / last unit: the original neighbour must not continue it. */
  readonly head: number
  readonly tail: number
  readonly length: number
  /** `form` as its index in FORMS, the number a scan records. */
  readonly formCode: number
}

const HAN = /^\p{Script=Han}+$/u
const FORMS: readonly TermForm[] = ['plain', 'pinyin', 'initials', 'split', 'variant', 'homophone']
const HOMOPHONE = 5
/** Form codes from here on name a detector hit (its index in the scan's detector list). */
const DETECTOR = 16
const isLatin = (c: number) => c >= 0x61 && c <= 0x7a
const isDigit = (c: number) => c >= 0x30 && c <= 0x39
// Latin letters and digits run on into their neighbours (dubo inside "hellodubo", 64 inside "16:40"), so a
// term starting or ending with one needs a boundary there; Chinese has no word boundaries to check.
const NONE = 0
const LETTER = 1
const DIGIT = 2
const classOf = (c: number) => (isLatin(c) ? LETTER : isDigit(c) ? DIGIT : NONE)

/** Compiles a rule directory; throws GuardError('SG_ERR_RULES_INVALID') naming file, line and reason. */
export function compileContentRules(dir: string): ContentEngine {
  return compileRuleFiles(readRuleDir(dir))
}

export interface CompileOptions {
  /**
   * Turn off every shortcut that only saves time (pre-checks, score bounds), for tests that hold the normal
   * engine to the same results.
   */
  readonly exhaustive?: boolean
  /** @internal The scan number the engine starts counting from: lets a test reach the wrap-around. */
  readonly firstScan?: number
}

export function compileRuleFiles(files: RuleFiles, options: CompileOptions = {}): ContentEngine {
  const tables = foldTables()
  const patterns: string[] = []
  const patternIds = new Map<string, number>()
  const meanings: Meaning[][] = []
  const addPattern = (s: string, m: Omit<Meaning, 'length' | 'formCode'>) => {
    let id = patternIds.get(s)
    if (id === undefined) {
      id = patterns.length
      patterns.push(s)
      patternIds.set(s, id)
      meanings.push([])
    }
    const list = meanings[id]
    if (!list.some((x) => x.cat === m.cat && x.token === m.token)) list.push({ ...m, length: s.length, formCode: FORMS.indexOf(m.form) })
  }

  // Terms matched by sound: their readings (strings of syllable ids) in a second automaton.
  const soundPatterns: string[] = []
  const soundIds = new Map<string, number>()
  const soundMeanings: Array<Array<{ cat: number; token: number; term: string }>> = []
  const addSound = (term: string, cat: number, token: number) => {
    const key = phoneticKey(term)
    if (key === null) return
    let id = soundIds.get(key)
    if (id === undefined) {
      id = soundPatterns.length
      soundPatterns.push(key)
      soundIds.set(key, id)
      soundMeanings.push([])
    }
    soundMeanings[id].push({ cat, token, term })
  }

  const sets = new Map<string, string[]>()
  const allowPatterns: RegExp[] = []
  for (const f of files.shared) {
    for (const [name, terms] of Object.entries(f.data.sets)) {
      if (sets.has(name)) throw rulesError(f.file, f.lineOf(['sets', name]), `set $${name} is defined twice`)
      sets.set(name, terms)
    }
    f.data.allow.forEach((a, i) => addAllow(a, -1, f, ['allow', i]))
    f.data.allow_patterns.forEach((p, i) => {
      try {
        allowPatterns.push(new RegExp(p, 'gu'))
      } catch (err) {
        throw rulesError(f.file, f.lineOf(['allow_patterns', i]), `invalid regex: ${(err as Error).message}`)
      }
    })
  }

  function addAllow(phrase: string, cat: number, f: Located<unknown>, path: PropertyKey[]) {
    const n = normalize(phrase, tables.match)
    if (!n) throw rulesError(f.file, f.lineOf(path), `allow-phrase "${phrase}" has no letters or digits`)
    addPattern(n, { cat, token: -1, form: 'plain', head: NONE, tail: NONE })
  }

  const categories: Category[] = []
  for (const f of files.categories) categories.push(compileCategory(f, categories.length))

  function compileCategory(f: Located<CategoryFile>, cat: number): Category {
    const d = f.data
    const statusKey = `CONTENT_${d.category.toUpperCase()}` as keyof typeof VendorStatus
    const status = d.status ?? VendorStatus[statusKey]
    if (status === undefined) throw rulesError(f.file, f.lineOf(['category']), `no status given and no VendorStatus.${statusKey}`)
    const c: Category = {
      name: d.category,
      action: d.action,
      status,
      threshold: d.threshold,
      evasionBonus: d.evasion_bonus,
      contextWeight: d.context_weight,
      contextCap: d.context_cap,
      priority: d.priority,
      tokens: [],
      detectorTokens: [],
      combos: [],
      regexMax: 0,
      watch: new ComboWatch(0, []),
      regex: [],
    }
    const tokenIndex = new Map<string, number>()
    const fail = (path: PropertyKey[], reason: string) => rulesError(f.file, f.lineOf(path), reason)

    // Resolves a term to its token, registering its patterns the first time it is seen.
    const token = (raw: string, path: PropertyKey[], weight: number | null): number => {
      let key: string
      if (raw.startsWith('$')) {
        key = raw
        if (!sets.has(raw.slice(1))) throw fail(path, `unknown set ${raw} (sets are declared in a shared rule file)`)
      } else if (raw.startsWith('@')) {
        key = raw
        if (!(DetectorKinds as readonly string[]).includes(raw.slice(1))) {
          throw fail(path, `unknown detector ${raw} (known: ${DetectorKinds.map((k) => '@' + k).join(', ')})`)
        }
      } else {
        key = normalize(raw, tables.match)
        if (!key) throw fail(path, `term "${raw}" has no letters or digits`)
      }
      let idx = tokenIndex.get(key)
      if (idx !== undefined) {
        if (weight !== null) {
          const t = c.tokens[idx]
          if (t.weight !== 0) throw fail(path, `term "${raw}" is listed under two weights`)
          t.weight = weight
        }
        return idx
      }
      idx = c.tokens.length
      tokenIndex.set(key, idx)
      c.tokens.push({ key, weight: weight ?? 0 })
      if (key.startsWith('$')) {
        for (const t of sets.get(key.slice(1))!) {
          const n = normalize(t, tables.match)
          if (n) addTerm(n, idx, 'plain')
        }
      } else if (key.startsWith('@')) {
        c.detectorTokens.push([key.slice(1) as DetectorKind, idx])
      } else {
        addTerm(key, idx, 'plain')
      }
      return idx
    }

    const addTerm = (s: string, tok: number, form: TermForm) =>
      addPattern(s, { cat, token: tok, form, head: classOf(s.charCodeAt(0)), tail: classOf(s.charCodeAt(s.length - 1)) })

    for (const [w, list] of Object.entries(d.terms)) {
      const weight = Number(w)
      list.forEach((raw, i) => {
        const idx = token(raw, ['terms', w, i], weight)
        const key = c.tokens[idx].key
        // Single characters are weak evidence on their own (NOTES.md §5): one must never decide alone.
        if (weight >= d.threshold && !key.startsWith('@') && !key.startsWith('$') && [...key].length === 1) {
          throw fail(['terms', w, i], `single-character term "${raw}" must weigh less than the threshold ${d.threshold}`)
        }
      })
    }
    for (const [form, v] of Object.entries(d.variants)) {
      const of = typeof v === 'string' ? v : v.of
      const n = normalize(form, tables.match)
      const target = tokenIndex.get(normalize(of, tables.match))
      if (!n) throw fail(['variants', form], `variant "${form}" has no letters or digits`)
      if (target === undefined) throw fail(['variants', form], `variant "${form}" stands for "${of}", which is not a term of ${d.category}`)
      if (typeof v !== 'string' && v.weight !== undefined) {
        if ([...n].length === 1 && v.weight >= d.threshold) throw fail(['variants', form], `single-character variant "${form}" must weigh less than the threshold`)
        const idx = c.tokens.length
        tokenIndex.set(n, idx)
        c.tokens.push({ key: n, weight: v.weight })
        addTerm(n, idx, 'variant')
      } else {
        addTerm(n, target, 'variant')
      }
    }
    d.combos.forEach((combo, ci) => {
      const groups = combo.all.map((g, gi) => g.map((raw, ti) => token(raw, ['combos', ci, 'all', gi, ti], null)))
      c.combos.push({ name: combo.name ?? `combo${ci + 1}`, groups, within: combo.within, weight: combo.weight })
    })
    d.regex.forEach((r, ri) => {
      let re: RegExp
      try {
        re = new RegExp(r.pattern, 'u')
      } catch (err) {
        throw fail(['regex', ri, 'pattern'], `invalid regex: ${(err as Error).message}`)
      }
      c.regex.push({ name: r.name ?? `regex${ri + 1}`, re, weight: r.weight })
    })
    d.allow.forEach((a, i) => addAllow(a, cat, f, ['allow', i]))
    for (const r of c.regex) if (r.weight > 0) c.regexMax += r.weight

    // Generated evasion forms of every literal term with positive weight or in a combo.
    for (let t = 0; t < c.tokens.length; t++) {
      const tok = c.tokens[t]
      if (tok.key.startsWith('$') || tok.key.startsWith('@') || tok.weight < 0) continue
      if (d.generate.split) for (const s of splitForms(tok.key)) addTerm(s, t, 'split')
      if (!HAN.test(tok.key) || tok.key.length < 2) continue
      if (d.generate.homophones > 0 && tok.key.length >= d.generate.homophones && tok.weight > d.context_weight) addSound(tok.key, cat, t)
      const syl = pinyin(tok.key, { toneType: 'none', type: 'array', v: true }) as string[]
      if (syl.length !== tok.key.length || syl.some((s) => !/^[a-z]+$/.test(s))) continue
      if (d.generate.pinyin) {
        const full = syl.join('')
        if (full.length >= 4) addTerm(full, t, 'pinyin')
        for (const m of mixedForms(tok.key, syl)) addTerm(m, t, 'pinyin')
      }
      if (d.generate.initials && tok.key.length >= 3 && tok.weight >= d.threshold) {
        addTerm(syl.map((s) => s[0]).join(''), t, 'initials')
      }
    }
    return { ...c, watch: new ComboWatch(c.tokens.length, c.combos) }
  }

  const automaton = buildAutomaton(patterns)
  const sound = soundPatterns.length > 0 ? { automaton: buildAutomaton(soundPatterns), meanings: soundMeanings } : null
  return createEngine(automaton, meanings, categories, allowPatterns, sound, options)
}

/** Forms with one or more characters replaced by their split components (贝者博, 赌十尃, 贝者十尃). */
function splitForms(term: string): string[] {
  const chars = [...term]
  if (chars.length > 8) return []
  let forms = ['']
  let changed = false
  for (const ch of chars) {
    const alts = SPLIT_FORMS[ch]
    const options = alts ? [ch, ...alts.split('|')] : [ch]
    if (alts) changed = true
    const next: string[] = []
    for (const f of forms) for (const o of options) if (next.length < 32) next.push(f + o)
    forms = next
  }
  return changed ? forms.filter((f) => f !== term) : []
}

/** Half-pinyin forms of 2–3 character terms: 贷kuan, shua单, 中jiang; each Latin piece ≥ 2 letters. */
function mixedForms(term: string, syl: string[]): string[] {
  const n = syl.length
  if (n < 2 || n > 3) return []
  const out: string[] = []
  for (let mask = 1; mask < (1 << n) - 1; mask++) {
    let s = ''
    let ok = true
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) {
        if (syl[i].length < 2) ok = false
        s += syl[i]
      } else {
        s += term[i]
      }
    }
    if (ok) out.push(s)
  }
  return out
}

/**
 * Which combinations of a category have a token of every group among the accepted hits of the current scan,
 * kept up as hits are accepted, so bounding a category's score does not walk its combinations' term lists.
 * Entries carry the number of the scan that wrote them: nothing is cleared between messages.
 */
class ComboWatch {
  /** Token → its groups: `groups[start[t]]` up to `groups[start[t + 1]]`; groups are numbered across combos. */
  private readonly start: Int32Array
  private readonly groups: Int32Array
  private readonly comboOf: Int32Array
  private readonly size: Int32Array
  private readonly groupSeen: Int32Array
  private readonly comboSeen: Int32Array
  /** Groups of the combo seen in the scan `comboSeen` names. */
  private readonly met: Int32Array

  constructor(tokenCount: number, combos: readonly Combo[]) {
    const byToken: number[][] = Array.from({ length: tokenCount }, () => [])
    const comboOf: number[] = []
    combos.forEach((combo, k) => {
      for (const g of combo.groups) {
        for (const t of new Set(g)) byToken[t].push(comboOf.length)
        comboOf.push(k)
      }
    })
    this.start = new Int32Array(tokenCount + 1)
    byToken.forEach((list, t) => (this.start[t + 1] = this.start[t] + list.length))
    this.groups = Int32Array.from(byToken.flat())
    this.comboOf = Int32Array.from(comboOf)
    this.size = Int32Array.from(combos, (c) => c.groups.length)
    this.groupSeen = new Int32Array(comboOf.length)
    this.comboSeen = new Int32Array(combos.length)
    this.met = new Int32Array(combos.length)
  }

  see(token: number, scan: number): void {
    for (let i = this.start[token]; i < this.start[token + 1]; i++) {
      const g = this.groups[i]
      if (this.groupSeen[g] === scan) continue
      this.groupSeen[g] = scan
      const k = this.comboOf[g]
      if (this.comboSeen[k] !== scan) {
        this.comboSeen[k] = scan
        this.met[k] = 0
      }
      this.met[k]++
    }
  }

  clear(): void {
    this.groupSeen.fill(0)
    this.comboSeen.fill(0)
  }

  /** True when every group of combo `k` has had a token seen in scan `scan`. */
  holds(k: number, scan: number): boolean {
    return this.comboSeen[k] === scan && this.met[k] === this.size[k]
  }
}

interface SoundMatcher {
  readonly automaton: Automaton
  readonly meanings: ReadonlyArray<ReadonlyArray<{ cat: number; token: number; term: string }>>
}

function createEngine(
  automaton: Automaton,
  meanings: Meaning[][],
  categories: Category[],
  allowPatterns: RegExp[],
  sound: SoundMatcher | null,
  options: CompileOptions,
): ContentEngine {
  const exhaustive = options.exhaustive === true
  const tables = foldTables()
  const readings = phoneticTable()
  // The phonetic view of one scan: syllable ids, and for each the index of its unit in the folded text.
  let soundUnits = new Uint16Array(256)
  let soundAt = new Uint32Array(256)
  let soundHits: Array<[number, number]> = []
  const onSound = (end: number, id: number) => {
    soundHits.push([end, id])
  }
  const opening = sound && !exhaustive ? soundOpenings(sound) : null
  const unitInfo = exhaustive ? null : unitTable(automaton, tables.match, readings)
  const folded = createFolded()
  // Per unit of `folded`: the automaton's root transition on it and its syllable id (0: none).
  let roots = new Int32Array(256)
  let syllables = new Uint16Array(256)
  const view = createFolded()
  // Matches of one scan, as flat (end, patternId) pairs; reused so a clean message allocates nothing here.
  let hitEnds = new Int32Array(64)
  let hitIds = new Int32Array(64)
  let hitCount = 0
  const onMatch = (end: number, id: number) => {
    if (hitCount === hitEnds.length) {
      hitEnds = grown(hitEnds, hitCount * 2)
      hitIds = grown(hitIds, hitCount * 2)
    }
    hitEnds[hitCount] = end
    hitIds[hitCount] = id
    hitCount++
  }
  const hasRegex = categories.some((c) => c.regex.length > 0)
  const potential = new Float64Array(categories.length)
  const touched = new Int32Array(categories.length)
  // Detector kind → the (category, token) pairs that use it.
  const byDetector = new Map<string, Array<[number, number]>>()
  categories.forEach((c, ci) => {
    for (const [kind, t] of c.detectorTokens) {
      const list = byDetector.get(kind) ?? []
      list.push([ci, t])
      byDetector.set(kind, list)
    }
  })
  let stamp = options.firstScan ?? 0
  // Scan numbers live in Int32Arrays: before they would wrap (after 2^31 scans, days at full rate, when every
  // category would look untouched and nothing would fire) the marks are cleared and counting starts over.
  const nextStamp = (s: number) => {
    if (s < 0x7fffffff) return s + 1
    touched.fill(0)
    for (const c of categories) c.watch.clear()
    return 1
  }
  let accepted = 0
  // Records one accepted hit of the current scan (numbers only) and raises its category's upper bound.
  const accept = (cat: number, token: number, oStart: number, oEnd: number, form: number, evasive: boolean) => {
    aCat[accepted] = cat
    aTok[accepted] = token
    aStart[accepted] = oStart
    aEnd[accepted] = oEnd
    aForm[accepted] = form
    aEvasive[accepted] = evasive ? 1 : 0
    accepted++
    categories[cat].watch.see(token, stamp)
    touched[cat] = stamp
    const w = categories[cat].tokens[token].weight
    if (w > 0) potential[cat] += w
  }
  // Accepted hits of one scan, as parallel arrays reused across scans.
  const aCat: number[] = []
  const aTok: number[] = []
  const aStart: number[] = []
  const aEnd: number[] = []
  const aForm: number[] = []
  const aEvasive: number[] = []

  function boundary(text: string, origIndex: number, cls: number): boolean {
    if (cls === NONE || origIndex < 0 || origIndex >= text.length) return true
    const f = tables.match[text.charCodeAt(origIndex)]
    return f === DROP || classOf(f) !== cls
  }

  /**
   * Folds `text` into `folded` and fills `roots` and `syllables`; returns the detector cues of its units.
   * The exhaustive engine reads the four tables one by one: the reference the fused table is held to.
   */
  function foldText(text: string): number {
    if (roots.length < text.length) {
      roots = new Int32Array(text.length * 2)
      syllables = new Uint16Array(text.length * 2)
    }
    if (unitInfo !== null) return foldFused(text, unitInfo, folded, roots, syllables)
    const f = foldInto(text, tables.match, folded)
    let cues = 0
    for (let i = 0; i < f.length; i++) {
      roots[i] = automaton.rootNext(f.units[i])
      syllables[i] = readings[f.units[i]]
      cues |= cueOf(f.units[i])
    }
    return cues
  }

  function scan(text: string, opts: ScanOptions = {}): ScanResult {
    const cues = foldText(text)
    const f = folded
    hitCount = 0
    automaton.search(f.units, f.length, onMatch, roots)
    const offsets = f.offsets

    // Allow-phrases first: a term inside one of them (same category or global) is dropped.
    let allows: Array<[number, number, number]> | null = null
    for (let h = 0; h < hitCount; h++) {
      for (const m of meanings[hitIds[h]]) {
        if (m.token === -1) (allows ??= []).push([m.cat, hitEnds[h] - m.length + 1, hitEnds[h]])
      }
    }
    // Spans of the original text the shared allow_patterns declare harmless, e.g. a title in 《》.
    const allowed = allowedSpans(allowPatterns, text)
    // Pass 1 keeps accepted hits as numbers only and bounds each category's score from above, so a
    // category that cannot reach its threshold (most of them, on most messages) builds no objects.
    stamp = nextStamp(stamp)
    potential.fill(0)
    accepted = 0
    for (let h = 0; h < hitCount; h++) {
      const end = hitEnds[h]
      for (const m of meanings[hitIds[h]]) {
        if (m.token === -1) continue
        const start = end - m.length + 1
        if (allows && allowedPhrase(allows, m.cat, start, end)) continue
        const oStart = offsets[start]
        const oEnd = offsets[end]
        if (!boundary(text, oStart - 1, m.head) || !boundary(text, oEnd + 1, m.tail)) continue
        if (allowed && insideSpan(allowed, oStart, oEnd)) continue
        accept(m.cat, m.token, oStart, oEnd, m.formCode, m.formCode !== 0 || oEnd - oStart !== end - start)
      }
    }
    if (sound) {
      if (soundUnits.length < f.length) {
        soundUnits = new Uint16Array(f.length * 2)
        soundAt = new Uint32Array(f.length * 2)
      }
      let k = 0
      let a = 0
      let b = 0
      let c = 0
      let candidate = opening === null
      for (let i = 0; i < f.length; i++) {
        const id = syllables[i]
        if (id === 0) continue
        if (!candidate && opening !== null) {
          const h3 = hash3(b, c, id)
          const base = blockOf(h3)
          if (mayHold(opening, base, h3) || mayHold(opening, base, hash4(a, b, c, id))) candidate = true
        }
        a = b
        b = c
        c = id
        soundUnits[k] = id
        soundAt[k] = i
        k++
      }
      soundHits.length = 0
      if (candidate) sound.automaton.search(soundUnits, k, onSound)
      for (const [end, id] of soundHits) {
        for (const m of sound.meanings[id]) {
          const start = soundAt[end - m.term.length + 1]
          const last = soundAt[end]
          // Written as the term itself: the main automaton has it already, as plain evidence.
          if (last - start + 1 === m.term.length && sameUnits(f.units, start, m.term)) continue
          if (allows && allowedPhrase(allows, m.cat, start, last)) continue
          const oStart = offsets[start]
          const oEnd = offsets[last]
          if (allowed && insideSpan(allowed, oStart, oEnd)) continue
          accept(m.cat, m.token, oStart, oEnd, HOMOPHONE, true)
        }
      }
    }
    const detectors = exhaustive ? detect(text, foldInto(text, tables.view, view), opts) : detectCued(text, cues, tables.view, view, opts)
    for (let di = 0; di < detectors.length; di++) {
      const d = detectors[di]
      const users = byDetector.get(d.kind)
      if (users) for (const [ci, t] of users) accept(ci, t, d.start, d.end, DETECTOR + di, false)
    }

    const normalized = foldedString(f)
    const hits: CategoryHit[] = []
    let below: CategoryHit[] | undefined
    for (let ci = 0; ci < categories.length; ci++) {
      const c = categories[ci]
      if (!exhaustive && touched[ci] !== stamp && c.regexMax === 0) continue
      let bound = potential[ci] + c.regexMax + (potential[ci] > 0 ? c.evasionBonus : 0)
      for (let k = 0; k < c.combos.length; k++) {
        const w = c.combos[k].weight
        if (w > 0 && c.watch.holds(k, stamp)) bound += w
      }
      if (!exhaustive && bound < c.threshold && !(opts.explain && potential[ci] > 0)) continue
      let list: TermMatch[] | undefined
      const tokenOf = new Map<TermMatch, number>()
      for (let i = 0; i < accepted; i++) {
        if (aCat[i] !== ci) continue
        const t = aTok[i]
        const form = aForm[i]
        const d = form >= DETECTOR ? detectors[form - DETECTOR] : null
        const tm: TermMatch = {
          term: c.tokens[t].key,
          form: d ? 'plain' : FORMS[form],
          weight: c.tokens[t].weight,
          start: aStart[i],
          end: aEnd[i],
          text: d ? d.value : text.slice(aStart[i], aEnd[i] + 1),
          evasive: aEvasive[i] === 1,
        }
        ;(list ??= []).push(tm)
        tokenOf.set(tm, t)
      }
      if (!list && !(hasRegex && c.regex.length > 0)) continue
      const rules: string[] = []
      let score = 0
      if (list) {
        const seen = new Map<number, TermMatch[]>()
        for (const tm of list) {
          const t = tokenOf.get(tm)!
          const s = seen.get(t)
          if (s) s.push(tm)
          else seen.set(t, [tm])
        }
        let evasive = false
        let context = 0
        for (const [t, ms] of seen) {
          const w = c.tokens[t].weight
          // A term found only inside a longer term of the same category (锁定 in 已被锁定, 法轮 in 法轮功) is
          // the same evidence once: it still serves combinations but adds no weight of its own.
          if (w > 0 && !isToken(c.tokens[t].key) && ms.every((m) => insideLonger(m, list))) continue
          const add = c.tokens[t].key.startsWith('$') ? w * distinctTexts(ms, SET_CAP) : w
          if (w > 0 && w <= c.contextWeight) context += add
          else score += add
          if (w > c.contextWeight && ms.some((m) => m.evasive)) evasive = true
        }
        score += Math.min(context, c.contextCap)
        if (evasive) {
          // De-obfuscation was needed to see the term: stronger evidence, not weaker (NOTES.md §5).
          score += c.evasionBonus
          rules.push('evasion_bonus')
        }
        for (const combo of c.combos) {
          if (comboHolds(combo, seen)) {
            score += combo.weight
            rules.push(combo.name)
          }
        }
      }
      for (const r of c.regex) {
        if (r.re.test(normalized)) {
          score += r.weight
          rules.push(r.name)
        }
      }
      if (score >= c.threshold || (opts.explain && score > 0)) {
        ;(score >= c.threshold ? hits : (below ??= [])).push({
          category: c.name,
          status: c.status,
          action: c.action,
          score,
          threshold: c.threshold,
          priority: c.priority,
          matches: list ?? [],
          rules,
        })
      }
    }
    if (hits.length > 1) hits.sort((a, b) => b.priority - a.priority || b.score - a.score)
    return below ? { normalized, hits, detectors, below } : { normalized, hits, detectors }
  }

  return {
    scan,
    categories: categories.map((c) => ({ name: c.name, action: c.action, status: c.status })),
    patternCount: automaton.patternCount,
  }
}

// Hash three or four syllable ids. Ids are 1-based, so the windows that reach before the first syllable
// (holding a 0) start no pattern; a collision only costs a search.
const hash3 = (a: number, b: number, c: number) => Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d)
const hash4 = (a: number, b: number, c: number, d: number) =>
  Math.imul(a, 0x27d4eb2f) ^ Math.imul(b, 0x165667b1) ^ Math.imul(c, 0xd3a2646c) ^ Math.imul(d, 0xfd7046c5)

// The openings form a blocked filter of 2^20 bits: the three syllables ending at a unit pick one block of 512
// bits (a 64-byte cache line), which holds the bits of both windows ending there, of three and of four
// syllables; each window sets and tests two bits of it. One cache line per unit where two bit lookups in a
// 128 KB table missed the caches twice (a proxy scans between other work); with thousands of patterns a
// 70-syllable message still passes by chance rarely.
const BLOCK_BITS = 11
const BLOCK_WORDS = 16
const blockOf = (h3: number) => (Math.imul(h3, 0x7feb352d) >>> (32 - BLOCK_BITS)) * BLOCK_WORDS
const bitOne = (h: number) => h >>> 23
const bitTwo = (h: number) => Math.imul(h, 0x2c1b3c6d) >>> 23
const hasBitAt = (bits: Uint32Array, base: number, i: number) => (bits[base + (i >>> 5)] & (1 << (i & 31))) !== 0
const mayHold = (bits: Uint32Array, base: number, h: number) => hasBitAt(bits, base, bitOne(h)) && hasBitAt(bits, base, bitTwo(h))

/**
 * Every sound pattern in the filter: a pattern of three syllables whole, a longer one by its first four
 * (three would let everyday openings through: 验证码 opens 验证码通道). A reading without any of these windows
 * cannot match, and the phonetic search is skipped. Null when a pattern is shorter than three syllables,
 * which the filter cannot vouch for.
 */
function soundOpenings(sound: SoundMatcher): Uint32Array | null {
  const bits = new Uint32Array((1 << BLOCK_BITS) * BLOCK_WORDS)
  for (const list of sound.meanings) {
    const key = phoneticKey(list[0].term)
    if (key === null || key.length < 3) return null
    const id = (i: number) => key.charCodeAt(i)
    // The block is picked by the window's last three syllables, as the scan picks it at the window's end.
    const last3 = key.length === 3 ? hash3(id(0), id(1), id(2)) : hash3(id(1), id(2), id(3))
    const h = key.length === 3 ? last3 : hash4(id(0), id(1), id(2), id(3))
    const base = blockOf(last3)
    for (const i of [bitOne(h), bitTwo(h)]) bits[base + (i >>> 5)] |= 1 << (i & 31)
  }
  return bits
}

// The two checks below run for every candidate hit of every message: indexed loops, because a closure with a
// destructured parameter per call (`some(([a, b]) => …)`) allocated a context and an iterator each time, a
// few kilobytes per clean message.

/** True when an allow-phrase of category `cat` (or a global one, -1) covers folded units start..end. */
function allowedPhrase(allows: ReadonlyArray<readonly [number, number, number]>, cat: number, start: number, end: number): boolean {
  for (let i = 0; i < allows.length; i++) {
    const a = allows[i]
    if ((a[0] === -1 || a[0] === cat) && a[1] <= start && end <= a[2]) return true
  }
  return false
}

/** True when one of `spans` covers start..end of the original text. */
function insideSpan(spans: ReadonlyArray<readonly [number, number]>, start: number, end: number): boolean {
  for (let i = 0; i < spans.length; i++) {
    const sp = spans[i]
    if (sp[0] <= start && end <= sp[1]) return true
  }
  return false
}

/** Spans (first and last index) of `text` that the global regexes match, or null when there are none. */
function allowedSpans(res: readonly RegExp[], text: string): Array<[number, number]> | null {
  let spans: Array<[number, number]> | null = null
  for (const re of res) {
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0] === '') re.lastIndex++ // an empty match would match again at the same place
      ;(spans ??= []).push([m.index, m.index + m[0].length - 1])
    }
  }
  return spans
}

/** `$set` and `@detector` tokens: not words of the text, so never nested in or around a term. */
const isToken = (key: string) => key.startsWith('$') || key.startsWith('@')

/** True when a longer positive-weight term of the same list covers `m`'s span in the original text. */
function insideLonger(m: TermMatch, list: readonly TermMatch[]): boolean {
  for (const o of list) {
    if (o.weight > 0 && !isToken(o.term) && o.term !== m.term && o.start <= m.start && m.end <= o.end && o.end - o.start > m.end - m.start) return true
  }
  return false
}

function sameUnits(units: Uint16Array, at: number, term: string): boolean {
  for (let i = 0; i < term.length; i++) if (units[at + i] !== term.charCodeAt(i)) return false
  return true
}

// A set counts once per distinct member found, up to this many: three different warning phrases are
// stronger evidence of an awareness message than one, but a set cannot outweigh everything.
const SET_CAP = 3

function distinctTexts(ms: readonly TermMatch[], cap: number): number {
  const seen = new Set<string>()
  for (const m of ms) {
    seen.add(m.text)
    if (seen.size === cap) break
  }
  return seen.size
}

/** True when one match per group can be chosen with all of them inside `within` original characters. */
function comboHolds(combo: Combo, seen: Map<number, TermMatch[]>): boolean {
  // Most combos of a category that matched lack a whole group: answered before anything is allocated.
  for (let gi = 0; gi < combo.groups.length; gi++) if (!anySeen(combo.groups[gi], seen)) return false
  const spans: TermMatch[][] = []
  for (const g of combo.groups) {
    const s: TermMatch[] = []
    for (const t of g) {
      const ms = seen.get(t)
      if (ms) for (const m of ms) if (s.length < 8) s.push(m)
    }
    spans.push(s)
  }
  const pick = (gi: number, lo: number, hi: number): boolean => {
    if (gi === spans.length) return hi - lo < combo.within
    for (const m of spans[gi]) {
      const nlo = Math.min(lo, m.start)
      const nhi = Math.max(hi, m.end)
      if (nhi - nlo < combo.within && pick(gi + 1, nlo, nhi)) return true
    }
    return false
  }
  return pick(0, Infinity, -Infinity)
}

function anySeen(terms: readonly number[], seen: Map<number, TermMatch[]>): boolean {
  for (let i = 0; i < terms.length; i++) if (seen.has(terms[i])) return true
  return false
}
