// smpp-guard check [--config FILE] --account ID [--src ADDR] --dst ADDR TEXT
// Runs the account's whole compiled pipeline on one text, as the proxy would, and prints as JSON the
// verdict, the normalised text and every content hit (with the categories that stayed below threshold).
// Exit codes: 0 allowed, 1 rejected, 2 usage or configuration error.
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import pino from 'pino'
import { configPath, loadConfig } from '../config/load.js'
import { GuardError } from '../errors.js'
import { createMetrics } from '../ops/metrics.js'
import { compileAccount } from '../policy/compile.js'
import type { PolicyConfig } from '../policy/config.js'
import type { StageDeps } from '../policy/define-stage.js'
import { messageFor } from '../policy/message.js'
import { createPipeline } from '../policy/pipeline.js'
import { compileContentRules, type ContentEngine } from '../policy/content/engine.js'
import { describeHit, ContentConfigSchema } from '../policy/stages/content.js'
import { statusName } from '../smpp/status.js'
import { createState } from '../state/index.js'

const USAGE = 'usage: smpp-guard check [--config FILE] --account ID [--src ADDR] --dst ADDR TEXT'
export interface CommandIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
}

const consoleIo: CommandIo = { out: (l) => console.log(l), err: (l) => console.error(l) }


export async function main(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  let values: { config?: string; account?: string; src?: string; dst?: string; help?: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        account: { type: 'string', short: 'a' },
        src: { type: 'string' },
        dst: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    io.err(`smpp-guard check: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    io.out(USAGE)
    return 0
  }
  if (!values.account || !values.dst || positionals.length === 0) {
    io.err(USAGE)
    return 2
  }
  const text = positionals.join(' ')
  try {
    const loaded = loadConfig(configPath(values.config))
    const cfg = loaded.config
    const account = cfg.accounts.find((a) => a.system_id === values.account)
    if (!account) {
      io.err(`smpp-guard check: unknown account '${values.account}'`)
      return 2
    }
    const rulesDir = resolve(loaded.baseDir, cfg.rules)
    const engine = compileContentRules(rulesDir)
    const log = pino({ level: 'silent' })
    const state = createState(cfg.state, { log, metrics: createMetrics(), baseDir: loaded.baseDir })
    try {
      // The pipeline and this report share one compiled engine.
      const cache = new Map<string, unknown>([[`content:${rulesDir}`, engine]])
      const deps: StageDeps = {
        state,
        log,
        clock: Date.now,
        baseDir: loaded.baseDir,
        rulesDir,
        memo: <T>(key: string, make: () => T): T => {
          if (!cache.has(key)) cache.set(key, make())
          return cache.get(key) as T
        },
      }
      const policy = compileAccount(account, cfg.policy as PolicyConfig, deps)
      const now = Date.now()
      const msg = messageFor(account.system_id, values.src ?? '', values.dst, text, now)
      const verdict = await createPipeline().judge(msg, policy, now)
      io.out(JSON.stringify(report(engine, account, cfg.policy, text, verdict), null, 2))
      return verdict.action === 'reject' ? 1 : 0
    } finally {
      await state.close()
    }
  } catch (err) {
    if (err instanceof GuardError) {
      io.err(`smpp-guard check: ${err.message}`)
      return 2
    }
    throw err
  }
}

function report(
  engine: ContentEngine,
  account: { system_id: string; policy?: Record<string, unknown> },
  policy: Record<string, unknown>,
  text: string,
  verdict: Awaited<ReturnType<ReturnType<typeof createPipeline>['judge']>>,
) {
  const contentCfg = ContentConfigSchema.parse({
    ...((policy.content as object | undefined) ?? {}),
    ...((account.policy?.content as object | undefined) ?? {}),
  })
  const scan = engine.scan(text, { explain: true, allowedHosts: contentCfg.allowed_hosts })
  const category = (h: (typeof scan.hits)[number]) => ({
    category: h.category,
    action: contentCfg.categories[h.category] ?? h.action,
    status: h.status,
    status_name: statusName(h.status),
    score: h.score,
    threshold: h.threshold,
    detail: describeHit(h),
    matches: h.matches.filter((m) => m.weight !== 0),
    rules: h.rules,
  })
  return {
    account: account.system_id,
    verdict: verdict.action === 'reject' ? { ...verdict, status_name: statusName(verdict.status) } : verdict,
    normalized: scan.normalized,
    hits: scan.hits.map(category),
    below_threshold: (scan.below ?? []).map(category),
    detectors: scan.detectors.filter((d) => d.kind !== 'unsigned'),
  }
}
