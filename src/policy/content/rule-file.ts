// Reading and validating rule files (config/rules/*.yaml). Every problem names file, line and reason,
// so a reload that fails can say exactly what to fix while the old rules stay in force.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LineCounter, parseDocument, isNode, type Document } from 'yaml'
import { z } from 'zod'
import { GuardError } from '../../errors.js'

export const CategoryAction = z.enum(['reject', 'monitor', 'off'])
export type CategoryAction = z.infer<typeof CategoryAction>

// Numbers are terms too (192, 64): YAML reads them unquoted as numbers.
const Term = z.union([z.string().min(1), z.number().transform(String)])
const TermList = z.array(Term)

const VariantSchema = z.union([Term, z.strictObject({ of: Term, weight: z.number().optional() })])

const ComboSchema = z.strictObject({
  /** Every group must match (any one of its terms), all within `within` characters of the original text. */
  all: z.array(TermList.min(1)).min(2),
  within: z.number().int().min(1).default(30),
  weight: z.number(),
  name: z.string().optional(),
})

const RegexSchema = z.strictObject({
  pattern: z.string().min(1),
  weight: z.number(),
  name: z.string().optional(),
})

export const CategoryFileSchema = z.strictObject({
  category: z.string().regex(/^[a-z][a-z0-9_]*$/, 'category must be snake_case'),
  description: z.string().optional(),
  action: CategoryAction.default('reject'),
  /** SMPP command_status; defaults to VendorStatus.CONTENT_<CATEGORY>. */
  status: z.number().int().min(0x400).max(0x4ff).optional(),
  threshold: z.number().positive().default(10),
  /** Added once when a hit only appears after de-obfuscation (separators, pinyin, split or variant forms). */
  evasion_bonus: z.number().min(0).default(4),
  /**
   * Terms weighing at most `context_weight` are context, not evidence: together they add at most
   * `context_cap`, so a message made only of everyday words (银行, 账户, 领取) can never fire.
   */
  context_weight: z.number().default(3),
  context_cap: z.number().default(6),
  /** When several categories fire, the highest priority names the verdict, then the highest score. */
  priority: z.number().int().default(0),
  /** Weight → terms. Terms are literals, `$set` names from shared files, or `@detector` tokens. */
  terms: z.record(z.string().regex(/^-?\d+(\.\d+)?$/, 'weight keys must be numbers'), TermList).default({}),
  /** Homophones and euphemisms: form → the term it stands for (inherits its weight unless given). */
  variants: z.record(z.string(), VariantSchema).default({}),
  combos: z.array(ComboSchema).default([]),
  regex: z.array(RegexSchema).default([]),
  /** Phrases that contain risky words but are harmless; a hit inside one of them is dropped. */
  allow: TermList.default([]),
  /** Generate pinyin / initials / split-character / homophone forms of the terms (on by default). */
  generate: z
    .strictObject({
      pinyin: z.boolean().default(true),
      initials: z.boolean().default(true),
      split: z.boolean().default(true),
      /**
       * Match terms of at least this many characters by sound (homophones); 0 turns it off. Shorter terms
       * collide with ordinary words too often (强制 sounds like 枪支).
       */
      homophones: z.number().int().min(0).default(4),
    })
    .default({ pinyin: true, initials: true, split: true, homophones: 4 }),
})
export type CategoryFile = z.infer<typeof CategoryFileSchema>

export const SharedFileSchema = z.strictObject({
  description: z.string().optional(),
  /** Named term lists that category files reference as `$name`. */
  sets: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), TermList).default({}),
  /** Allow-phrases that apply to every category. */
  allow: TermList.default([]),
  /** Regexes over the original text whose spans are harmless for every category (titles in 《》). */
  allow_patterns: z.array(z.string().min(1)).default([]),
})
export type SharedFile = z.infer<typeof SharedFileSchema>

export interface Located<T> {
  readonly file: string
  readonly data: T
  /** Line of the node at a key path, for errors found after parsing. */
  lineOf(path: readonly PropertyKey[]): number | undefined
}

export interface RuleFiles {
  readonly categories: Located<CategoryFile>[]
  readonly shared: Located<SharedFile>[]
}

export function rulesError(file: string, line: number | undefined, reason: string): GuardError {
  return new GuardError('SG_ERR_RULES_INVALID', `${file}${line ? `:${line}` : ''}: ${reason}`)
}

function locate(doc: Document, lines: LineCounter) {
  return (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true)
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line
    }
    return undefined
  }
}

/** Parses one rule file; throws a GuardError naming file, line and reason. */
export function readRuleFile(file: string, text?: string): { category?: Located<CategoryFile>; shared?: Located<SharedFile> } {
  let src: string
  try {
    src = text ?? readFileSync(file, 'utf8')
  } catch (err) {
    throw new GuardError('SG_ERR_RULES_INVALID', `${file}: cannot read: ${(err as Error).message}`, { cause: err })
  }
  const lines = new LineCounter()
  const doc = parseDocument(src, { lineCounter: lines, prettyErrors: false })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw rulesError(file, lines.linePos(e.pos[0]).line, e.message.split('\n')[0])
  }
  const value = (doc.toJS() ?? {}) as Record<string, unknown>
  const lineOf = locate(doc, lines)
  const isCategory = typeof value === 'object' && value !== null && 'category' in value
  const parsed = isCategory ? CategoryFileSchema.safeParse(value) : SharedFileSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : ''
    throw rulesError(file, lineOf(issue.path), `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}${keys}`)
  }
  return isCategory
    ? { category: { file, data: parsed.data as CategoryFile, lineOf } }
    : { shared: { file, data: parsed.data as SharedFile, lineOf } }
}

/** Reads every `*.yaml` / `*.yml` of a directory, in name order (stable hit order across reloads). */
export function readRuleDir(dir: string): RuleFiles {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()
  } catch (err) {
    throw new GuardError('SG_ERR_RULES_INVALID', `${dir}: cannot read rule directory: ${(err as Error).message}`, { cause: err })
  }
  const out: RuleFiles = { categories: [], shared: [] }
  const seen = new Map<string, string>()
  for (const name of names) {
    const file = join(dir, name)
    const r = readRuleFile(file)
    if (r.shared) out.shared.push(r.shared)
    if (r.category) {
      const prev = seen.get(r.category.data.category)
      if (prev) throw rulesError(file, r.category.lineOf(['category']), `category ${r.category.data.category} is already defined in ${prev}`)
      seen.set(r.category.data.category, file)
      out.categories.push(r.category)
    }
  }
  if (out.categories.length === 0) throw new GuardError('SG_ERR_RULES_INVALID', `${dir}: no category rule files`)
  return out
}
