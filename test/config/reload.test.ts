import t, { type Test } from 'tap'
import { EventEmitter, once } from 'node:events'
import { writeFileSync, renameSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ConfigError, loadConfig, type LoadedConfig } from '../../src/config/load.js'
import { checkConfig, createReloader, defaultWatchPaths, reportCheck, restartRequired, type ReloaderOptions } from '../../src/config/reload.js'
import { createLogger } from '../../src/ops/logger.js'
import { captureLog } from '../ops/admin-fixture.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { configDir, HASH, yamlWith } from './fixture.js'

function setup(t: Test, opts: Partial<ReloaderOptions> = {}, yaml = yamlWith()) {
  const dir = configDir(t, { 'sg.yaml': yaml })
  mkdirSync(join(dir, 'rules'))
  const file = join(dir, 'sg.yaml')
  const { log, lines } = captureLog('info')
  const metrics = createMetrics()
  const applied: LoadedConfig[] = []
  const events = new EventEmitter()
  // What the proxy does: compile first, then swap the one reference sessions read.
  const running = { accounts: ['demo'] }
  const reloader = createReloader({
    initial: loadConfig(file),
    apply: (next) => {
      const compiled = { accounts: next.config.accounts.map((a) => a.system_id) }
      if (compiled.accounts.includes('explode')) throw new Error('rule compile failed: unbalanced pattern')
      Object.assign(running, compiled)
      applied.push(next)
      events.emit('applied', next)
    },
    log,
    metrics,
    signals: false,
    ...opts,
  })
  t.teardown(() => reloader.close())
  const counter = async (result: string) =>
    (await metrics.registry.getSingleMetric('smpp_guard_config_reloads_total')!.get()).values.find((v) => v.labels.result === result)?.value ?? 0
  const gauge = async () => (await metrics.registry.getSingleMetric('smpp_guard_config_last_reload_successful')!.get()).values[0].value
  return { dir, file, lines, metrics, applied, events, running, reloader, counter, gauge }
}

t.test('a good file is applied and swapped; restart-only changes are named', async (t) => {
  const s = setup(t)
  const before = s.reloader.current
  writeFileSync(s.file, yamlWith({ port: 2800, accounts: ['demo', 'acme'] }))
  const res = await s.reloader.reload('admin')
  t.match(res, { ok: true, trigger: 'admin', file: s.file, restart_required: ['listen.port'] })
  t.same(s.running.accounts, ['demo', 'acme'])
  t.not(s.reloader.current, before)
  t.equal(s.reloader.current.config.accounts.length, 2)
  t.equal(await s.counter('ok'), 1)
  t.equal(await s.gauge(), 1)
  t.match(s.lines.join('\n'), /"msg":"config reloaded"/)
  t.match(s.lines.join('\n'), /"keys":\["listen.port"\].*need a restart/)
})

t.test('a broken file keeps the old config and says file, key and reason; the metric counts it', async (t) => {
  const s = setup(t)
  const before = s.reloader.current
  writeFileSync(s.file, yamlWith({ accounts: ['demo', 'acme'], extra: 'upstream:\n  window: none\n  colour: red\n' }))
  const res = await s.reloader.reload('sighup')
  t.equal(res.ok, false)
  if (res.ok) return
  t.match(res.problems, [
    { file: s.file, line: 7, key: 'upstream.window', reason: /number/ },
    { file: s.file, key: 'upstream', reason: /colour/ },
  ])
  t.equal(s.applied.length, 0, 'apply never saw the broken config')
  t.same(s.running.accounts, ['demo'])
  t.equal(s.reloader.current, before)
  t.equal(await s.counter('failed'), 1)
  t.equal(await s.gauge(), 0)
  const logged = s.lines.find((l) => l.includes('config reload failed'))!
  t.match(logged, `${s.file}:7: upstream.window:`)
  t.match(JSON.parse(logged), { level: 50, trigger: 'sighup' })

  writeFileSync(s.file, yamlWith({ accounts: ['demo', 'acme'] }))
  t.match(await s.reloader.reload('admin'), { ok: true }, 'the fixed file then loads')
  t.equal(await s.gauge(), 1)
  t.same(s.running.accounts, ['demo', 'acme'])
})

t.test('a compile error in apply keeps the old config', async (t) => {
  const s = setup(t)
  writeFileSync(s.file, yamlWith({ accounts: ['demo', 'explode'] }))
  const res = await s.reloader.reload('admin')
  t.match(res, { ok: false, problems: [{ file: s.file, key: '', reason: /unbalanced pattern/ }] })
  t.same(s.running.accounts, ['demo'])
  t.equal(s.reloader.current.config.accounts.length, 1)
  t.equal(await s.counter('failed'), 1)
})

t.test('problems a compile step lists (rule files) are reported one by one', async (t) => {
  const rules = '/etc/rules/gambling.yaml'
  const s = setup(t, {
    apply: () => {
      throw new ConfigError([
        { file: rules, line: 4, key: 'rules.0.pattern', reason: 'empty pattern' },
        { file: rules, line: 9, key: 'rules.1.category', reason: 'unknown category' },
      ])
    },
  })
  const res = await s.reloader.reload('admin')
  t.match(res, { ok: false, problems: [{ file: rules, line: 4 }, { file: rules, line: 9 }] })
})

t.test('SIGHUP reloads', async (t) => {
  const signals = new EventEmitter()
  const s = setup(t, { signals })
  writeFileSync(s.file, yamlWith({ accounts: ['demo', 'acme'] }))
  const applied = once(s.events, 'applied')
  signals.emit('SIGHUP')
  await applied
  t.same(s.running.accounts, ['demo', 'acme'])
  await s.reloader.close()
  t.equal(signals.listenerCount('SIGHUP'), 0, 'close removes the handler')
})

t.test('a real SIGHUP to the process reloads instead of ending it', async (t) => {
  const dir = configDir(t, { 'sg.yaml': yamlWith() })
  const file = join(dir, 'sg.yaml')
  // Only the TypeScript loader: the child is a plain process with the default SIGHUP wiring.
  const loader = process.execArgv.filter((a) => a.includes('typescript'))
  const child = spawn(process.execPath, [...loader, fileURLToPath(new URL('sighup-child.ts', import.meta.url)), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  t.equal((await lines.next()).value, 'ready')
  writeFileSync(file, yamlWith({ accounts: ['demo', 'viahup'] }))
  child.kill('SIGHUP')
  t.equal((await lines.next()).value, 'applied demo,viahup')
  t.equal((await lines.next()).value, 'closed')
  const [code, signal] = await once(child, 'exit')
  t.same([code, signal], [0, null], 'the process ended by itself: the handler was removed, nothing kept it alive')
})

t.test('concurrent requests coalesce: one run, then at most one more', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  let calls = 0
  const s = setup(t, {
    apply: async () => {
      calls++
      if (calls === 1) await gate
    },
  })
  const a = s.reloader.reload('admin')
  const b = s.reloader.reload('sighup')
  const c = s.reloader.reload('watch')
  t.equal(b, c, 'requests during a run share the follow-up run')
  release()
  const results = await Promise.all([a, b, c])
  t.equal(calls, 2)
  t.ok(results.every((r) => r.ok))
})

t.test('file change reloads when watch is on, also when an editor renames over the file', async (t) => {
  const s = setup(t, { watch: { watch: true, debounce_ms: 50 } })
  let applied = once(s.events, 'applied')
  writeFileSync(s.file, yamlWith({ accounts: ['demo', 'w1'] }))
  await applied
  t.same(s.running.accounts, ['demo', 'w1'])

  applied = once(s.events, 'applied')
  writeFileSync(join(s.dir, '.sg.yaml.swp'), yamlWith({ accounts: ['demo', 'w2'] }))
  renameSync(join(s.dir, '.sg.yaml.swp'), s.file)
  await applied
  t.same(s.running.accounts, ['demo', 'w2'])

  applied = once(s.events, 'applied')
  writeFileSync(join(s.dir, 'rules', 'spam.yaml'), 'rules: []\n')
  await applied
  t.pass('a rule file change reloads too')
})

t.test('checkConfig reports every problem at once; reportCheck prints them', async (t) => {
  const dir = configDir(t, {
    'ok.yaml': yamlWith(),
    'bad.yaml': 'listen:\n  port: -1\nmetrics:\n  port: "x"\nnope: 1\n',
  })
  t.same(await checkConfig(join(dir, 'ok.yaml')), [])
  const problems = await checkConfig(join(dir, 'bad.yaml'))
  t.equal(problems.length, 3)
  t.match(problems.map((p) => p.key).sort(), ['', 'listen.port', 'metrics.port'])
  const out: string[] = []
  t.equal(reportCheck(join(dir, 'bad.yaml'), problems, (l) => out.push(l)), 1)
  t.match(out.join('\n'), /bad\.yaml:2: listen\.port: .*\n.*bad\.yaml:4: metrics\.port: .*\n.*nope[\s\S]*3 problems in/)
  out.length = 0
  t.equal(reportCheck(join(dir, 'ok.yaml'), [], (l) => out.push(l)), 0)
  t.match(out[0], /configuration is valid/)

  const compileProblems = await checkConfig(join(dir, 'ok.yaml'), {
    compile: () => {
      throw new Error('rules: no rule files in rules/')
    },
  })
  t.match(compileProblems, [{ file: join(dir, 'ok.yaml'), reason: /no rule files/ }])
})

t.test('restartRequired lists changed leaf keys of start-only sections', async (t) => {
  const dir = configDir(t, {
    a: yamlWith(),
    b: yamlWith({ port: 2900, extra: 'upstream:\n  host: 10.0.0.1\nlog:\n  level: debug\n  debug_accounts: [demo]\n' }),
  })
  const a = loadConfig(join(dir, 'a')).config
  const b = loadConfig(join(dir, 'b')).config
  t.same(restartRequired(a, b), ['listen.port', 'upstream.host', 'log.level'], 'debug_accounts is live')
  t.same(restartRequired(a, a), [])
})

t.test('member lists are watched: global and per-account files', async (t) => {
  const dir = configDir(t, {
    'sg.yaml': [
      'accounts:',
      `  - { system_id: demo, password_hash: "${HASH}" }`,
      `  - { system_id: acme, password_hash: "${HASH}", policy: { members: { files: [lists/acme.txt] } } }`,
      'policy:',
      '  members:',
      '    files: [lists/members.txt]',
      '',
    ].join('\n'),
  })
  mkdirSync(join(dir, 'lists'))
  writeFileSync(join(dir, 'lists', 'members.txt'), '13800000000\n')
  writeFileSync(join(dir, 'lists', 'acme.txt'), '13900000000\n')
  const loaded = loadConfig(join(dir, 'sg.yaml'))
  t.same(defaultWatchPaths(loaded).sort(), [join(dir, 'lists', 'acme.txt'), join(dir, 'lists', 'members.txt'), join(dir, 'rules'), join(dir, 'sg.yaml')].sort())

  const events = new EventEmitter()
  const reloader = createReloader({
    initial: loaded,
    apply: () => {
      events.emit('applied')
    },
    log: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    signals: false,
    watch: { watch: true, debounce_ms: 50 },
  })
  t.teardown(() => reloader.close())
  const applied = once(events, 'applied')
  writeFileSync(join(dir, 'lists', 'acme.txt'), '13900000000\n13900000001\n')
  await applied
  t.pass('a member list change reloads')
})

t.test('after close a reload builds nothing and is not counted as a config failure', async (t) => {
  const s = setup(t)
  await s.reloader.close()
  writeFileSync(s.file, yamlWith({ accounts: ['demo', 'late'] }))
  t.match(await s.reloader.reload('admin'), { ok: false, problems: [{ reason: 'shutting down' }] })
  t.equal(s.applied.length, 0)
  t.equal(await s.counter('failed'), 0)
  t.equal(await s.gauge(), 1)
})

t.test('an error naming its own file, line, key and reason is reported as such', async (t) => {
  const rules = '/etc/smpp-guard/rules/gambling.yaml'
  const problems = await checkConfig('ignored.yaml', {
    load: () => loadConfig(join(configDir(t, { 'sg.yaml': yamlWith() }), 'sg.yaml')),
    compile: () => {
      throw Object.assign(new Error(`${rules}:4: bad`), { file: rules, line: 4, key: 'weights.10', reason: 'unclosed list' })
    },
  })
  t.same(problems, [{ file: rules, line: 4, key: 'weights.10', reason: 'unclosed list' }])
})
