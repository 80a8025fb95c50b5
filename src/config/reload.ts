// Live reload: on SIGHUP, `admin reload` or (optionally) a file change, the whole new configuration is loaded,
// validated and compiled before anything changes; then one reference is swapped. A bad file changes nothing:
// the last good config keeps running and the failure names file, line, key and reason. Bound sessions are
// never touched here: they read the swapped reference on their next message.
import { watch, type FSWatcher, statSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Logger } from '../ops/logger.js'
import type { Metrics } from '../ops/metrics.js'
import { maskDigits } from '../ops/mask.js'
import { formatProblem, loadConfig, type ConfigProblem, type LoadedConfig } from './load.js'
import type { Config } from './schema.js'

export type ReloadTrigger = 'sighup' | 'admin' | 'watch'

export type ReloadResult =
  | {
      readonly ok: true
      readonly trigger: ReloadTrigger
      readonly file: string
      readonly duration_ms: number
      /** Changed keys that take effect only after a restart (listen.port, upstream.host, …). */
      readonly restart_required: readonly string[]
    }
  | { readonly ok: false; readonly trigger: ReloadTrigger; readonly file: string; readonly problems: readonly ConfigProblem[] }

export interface ReloaderOptions {
  /** The config the process started with. */
  readonly initial: LoadedConfig
  /** Defaults to initial.file. */
  readonly file?: string
  readonly load?: (file: string) => LoadedConfig | Promise<LoadedConfig>
  /**
   * Compiles everything the new config needs (accounts, rules, member lists) and then swaps the running
   * reference. Throwing (while compiling) must leave the running config untouched; a thrown error with a
   * `problems` list (ConfigError) is reported item by item.
   */
  readonly apply: (next: LoadedConfig, prev: LoadedConfig) => void | Promise<void>
  readonly log: Logger
  readonly metrics: Pick<Metrics, 'configReloads' | 'configReloadOk' | 'configReloadTime'>
  /** Where SIGHUP comes from (the process by default); false: no signal handler. */
  readonly signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'> | false
  /** Defaults to initial.config.reload. */
  readonly watch?: { readonly watch: boolean; readonly debounce_ms: number }
  /** Files or directories to watch besides the config, accounts file and rules directory (member lists). */
  readonly watchPaths?: (loaded: LoadedConfig) => readonly string[]
  /** Top-level sections that are read only at start; their changes are reported as restart_required. */
  readonly restartSections?: readonly string[]
}

export interface Reloader {
  /** The last config that loaded and applied. */
  readonly current: LoadedConfig
  /** Never rejects: a failure is a result. Concurrent calls coalesce into one more run after the current one. */
  reload(trigger: ReloadTrigger): Promise<ReloadResult>
  close(): Promise<void>
  destroy(): void
}

/**
 * Keys read only at start: whole sections, or single keys as dotted paths. `log.level` is here because
 * component loggers take their level when created; `log.debug_accounts` is live (AccountLogs).
 */
export const RESTART_SECTIONS: readonly string[] = [
  'listen',
  'upstream',
  'state',
  'archive',
  'metrics',
  'admin',
  'receipts',
  'reassembly',
  'log.level',
  'log.pretty',
]

/**
 * Every problem an error carries, in the loader's shape (file, line, key, reason): a `problems` list
 * (ConfigError), or an error with its own `file`, `line`, `key`, `reason` (a rule file's), or the message.
 */
export function problemsOf(file: string, err: unknown): ConfigProblem[] {
  const listed = (err as { problems?: unknown } | null)?.problems
  if (Array.isArray(listed) && listed.length > 0) return listed as ConfigProblem[]
  const e = err as { file?: unknown; key?: unknown; line?: unknown; reason?: unknown; message?: unknown } | null
  return [
    {
      file: typeof e?.file === 'string' ? e.file : file,
      line: typeof e?.line === 'number' ? e.line : undefined,
      key: typeof e?.key === 'string' ? e.key : '',
      reason: typeof e?.reason === 'string' ? e.reason : typeof e?.message === 'string' ? e.message : String(err),
    },
  ]
}

/** Leaf key paths that differ between two configs, within the given sections or dotted keys. */
export function restartRequired(prev: Config, next: Config, sections: readonly string[] = RESTART_SECTIONS): string[] {
  const out: string[] = []
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x)
  const walk = (a: unknown, b: unknown, path: string) => {
    if (a === b) return
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], `${path}.${k}`)
    } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path)
  }
  const at = (c: unknown, path: string) => path.split('.').reduce<unknown>((v, k) => (isObj(v) ? v[k] : undefined), c)
  for (const s of sections) walk(at(prev, s), at(next, s), s)
  return out
}

function memberFiles(policy: unknown): string[] {
  const files = (policy as { members?: { files?: unknown } } | undefined)?.members?.files
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : []
}

/** What a config depends on: the file itself, the accounts file, the rules directory, member lists. */
export function defaultWatchPaths(loaded: LoadedConfig): string[] {
  const { config, baseDir } = loaded
  const paths = [loaded.file, resolve(baseDir, config.rules)]
  if (config.accounts_file) paths.push(resolve(baseDir, config.accounts_file))
  const lists = [...memberFiles(config.policy), ...config.accounts.flatMap((a) => memberFiles(a.policy))]
  for (const f of new Set(lists)) paths.push(resolve(baseDir, f))
  return paths
}

export function createReloader(opts: ReloaderOptions): Reloader {
  const { apply, log, metrics } = opts
  const file = opts.file ?? opts.initial.file
  const load = opts.load ?? loadConfig
  const signals = opts.signals === undefined ? process : opts.signals
  const watchCfg = opts.watch ?? opts.initial.config.reload
  const restartSections = opts.restartSections ?? RESTART_SECTIONS
  let current = opts.initial
  let running: Promise<ReloadResult> | null = null
  let queued: Promise<ReloadResult> | null = null
  let closed = false
  let watchers: FSWatcher[] = []
  let debounce: NodeJS.Timeout | null = null

  metrics.configReloadOk.set(1)
  metrics.configReloadTime.set(Date.now() / 1000)

  function fail(trigger: ReloadTrigger, problems: ConfigProblem[]): ReloadResult {
    metrics.configReloads.labels('failed').inc()
    metrics.configReloadOk.set(0)
    log.error(
      { trigger, file, problems: problems.map((p) => maskDigits(formatProblem(p))) },
      'config reload failed, previous config kept',
    )
    return { ok: false, trigger, file, problems }
  }

  async function run(trigger: ReloadTrigger): Promise<ReloadResult> {
    const started = performance.now()
    let next: LoadedConfig
    try {
      next = await load(file)
    } catch (err) {
      return fail(trigger, problemsOf(file, err))
    }
    const prev = current
    try {
      await apply(next, prev)
    } catch (err) {
      return fail(trigger, problemsOf(file, err))
    }
    current = next
    const duration_ms = Math.round((performance.now() - started) * 10) / 10
    const restart_required = restartRequired(prev.config, next.config, restartSections)
    metrics.configReloads.labels('ok').inc()
    metrics.configReloadOk.set(1)
    metrics.configReloadTime.set(Date.now() / 1000)
    log.info({ trigger, file, duration_ms, accounts: next.config.accounts.length }, 'config reloaded')
    if (restart_required.length > 0) log.warn({ keys: restart_required }, 'config changes need a restart to take effect')
    if (watchCfg.watch && !closed) startWatching(next)
    return { ok: true, trigger, file, duration_ms, restart_required }
  }

  function reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    // Not a config failure (no metric, no alert): the process is going down and builds nothing new.
    if (closed) return Promise.resolve({ ok: false, trigger, file, problems: [{ file, key: '', reason: 'shutting down' }] })
    if (!running) {
      running = run(trigger).finally(() => {
        running = null
      })
      return running
    }
    // A change made while a reload runs may have been read too early: run once more after it.
    queued ??= running.then(() => {
      queued = null
      return reload(trigger)
    })
    return queued
  }

  function schedule(): void {
    if (closed) return
    if (debounce) clearTimeout(debounce)
    debounce = setTimeout(() => {
      debounce = null
      void reload('watch')
    }, watchCfg.debounce_ms)
  }

  function stopWatching(): void {
    for (const w of watchers) w.close()
    watchers = []
  }

  // Editors save by writing a new file and renaming it over the old one, which ends a watch on the file
  // itself; watching the directory and filtering by name survives that.
  function startWatching(loaded: LoadedConfig): void {
    stopWatching()
    const byDir = new Map<string, { names: Set<string>; all: boolean }>()
    for (const p of [...defaultWatchPaths(loaded), ...(opts.watchPaths?.(loaded) ?? [])]) {
      let isDir = false
      try {
        isDir = statSync(p).isDirectory()
      } catch {
        isDir = false
      }
      const dir = isDir ? p : dirname(p)
      const entry = byDir.get(dir) ?? { names: new Set<string>(), all: false }
      if (isDir) entry.all = true
      else entry.names.add(basename(p))
      byDir.set(dir, entry)
    }
    for (const [dir, entry] of byDir) {
      try {
        const w = watch(dir, { persistent: true }, (_event, name) => {
          if (entry.all || (name !== null && entry.names.has(String(name)))) schedule()
        })
        w.on('error', (err) => log.warn({ err, dir }, 'config watch failed'))
        watchers.push(w)
      } catch (err) {
        log.warn({ err, dir }, 'config watch failed')
      }
    }
  }

  const onHup = () => {
    void reload('sighup')
  }
  if (signals) signals.on('SIGHUP', onHup)
  if (watchCfg.watch) startWatching(current)

  function stop(): void {
    closed = true
    if (signals) signals.off('SIGHUP', onHup)
    if (debounce) clearTimeout(debounce)
    debounce = null
    stopWatching()
  }

  return {
    get current() {
      return current
    },
    reload,
    async close() {
      stop()
      await queued
      await running
    },
    destroy: stop,
  }
}

/**
 * `run --check`: load, validate and compile without starting anything. Returns every problem found; an
 * empty list means the config would start.
 */
export async function checkConfig(
  file: string,
  opts: { load?: (file: string) => LoadedConfig | Promise<LoadedConfig>; compile?: (loaded: LoadedConfig) => unknown } = {},
): Promise<ConfigProblem[]> {
  const load = opts.load ?? loadConfig
  let loaded: LoadedConfig
  try {
    loaded = await load(file)
  } catch (err) {
    return problemsOf(resolve(file), err)
  }
  try {
    await opts.compile?.(loaded)
  } catch (err) {
    return problemsOf(loaded.file, err)
  }
  return []
}

/** Prints the outcome of checkConfig for a person; returns the exit code (0 valid, 1 invalid). */
export function reportCheck(file: string, problems: readonly ConfigProblem[], write: (line: string) => void): number {
  if (problems.length === 0) {
    write(`${resolve(file)}: configuration is valid`)
    return 0
  }
  for (const p of problems) write(formatProblem(p))
  write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${resolve(file)}`)
  return 1
}
