// Reads a YAML config file, validates it against the schema and returns a deep-frozen snapshot. Every
// problem is reported at once, each with file, line, key path and reason.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { LineCounter, parseDocument, isNode, type Document } from 'yaml'
import type { z } from 'zod'
import { GuardError } from '../errors.js'
import { ConfigSchema, AccountSchema, type Config } from './schema.js'

export interface LoadedConfig {
  readonly config: Config
  /** Absolute path of the file, for messages and reload. */
  readonly file: string
  /** Directory relative paths in the config resolve against. */
  readonly baseDir: string
}

export interface ConfigProblem {
  readonly file: string
  readonly line?: number
  readonly key: string
  readonly reason: string
}

export class ConfigError extends GuardError {
  readonly problems: readonly ConfigProblem[]
  constructor(problems: readonly ConfigProblem[]) {
    super('SG_ERR_CONFIG_INVALID', '\n' + problems.map(formatProblem).join('\n'))
    this.problems = problems
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.key || '(root)'}: ${p.reason}`
}

interface ParsedYaml {
  readonly value: unknown
  readonly doc: Document
  readonly lines: LineCounter
}

function readYaml(file: string): ParsedYaml {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError([{ file, key: '', reason: `cannot read: ${(err as Error).message}` }])
  }
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({ file, line: lines.linePos(e.pos[0]).line, key: '', reason: e.message.split('\n')[0] })),
    )
  }
  return { value: doc.toJS() ?? {}, doc, lines }
}

function lineOf(y: ParsedYaml, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = y.doc.getIn(path.slice(0, n) as unknown[], true)
    if (isNode(node) && node.range) return y.lines.linePos(node.range[0]).line
  }
  return undefined
}

/** `prefix` is prepended to reported keys; `docPrefix` is where the validated value sits in the document. */
function problemsOf(
  file: string,
  y: ParsedYaml,
  error: z.ZodError,
  prefix: readonly PropertyKey[] = [],
  docPrefix: readonly PropertyKey[] = [],
): ConfigProblem[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path]
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : ''
    return { file, line: lineOf(y, [...docPrefix, ...issue.path]), key: path.map(String).join('.'), reason: issue.message + keys }
  })
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o)) deepFreeze(v)
  }
  return o
}

/** Parses and validates without touching anything else: used by run, `run --check` and reload. */
export function loadConfig(path: string): LoadedConfig {
  const file = resolve(path)
  const baseDir = dirname(file)
  const y = readYaml(file)
  const parsed = ConfigSchema.safeParse(y.value)
  const problems: ConfigProblem[] = parsed.success ? [] : problemsOf(file, y, parsed.error)
  let accounts = parsed.success ? parsed.data.accounts : []

  const accountsFile = parsed.success ? parsed.data.accounts_file : undefined
  if (accountsFile) {
    const af = resolve(baseDir, accountsFile)
    try {
      const ay = readYaml(af)
      const nested = (ay.value as { accounts?: unknown }).accounts !== undefined
      const list = AccountSchema.array().safeParse(nested ? (ay.value as { accounts: unknown }).accounts : ay.value)
      if (list.success) accounts = [...accounts, ...list.data]
      else problems.push(...problemsOf(af, ay, list.error, ['accounts'], nested ? ['accounts'] : []))
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems)
      else throw err
    }
  }
  const seen = new Set<string>()
  for (const a of accounts) {
    if (seen.has(a.system_id)) problems.push({ file, key: 'accounts', reason: `duplicate system_id ${a.system_id}` })
    seen.add(a.system_id)
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems)
  return deepFreeze({ config: { ...parsed.data, accounts }, file, baseDir })
}

/** The config file named by --config, then SMPP_GUARD_CONFIG, then the shipped default. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.SMPP_GUARD_CONFIG ?? 'config/default.yaml'
}
