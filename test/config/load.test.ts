import t from 'tap'
import { join } from 'node:path'
import { ConfigError, configPath, formatProblem, loadConfig } from '../../src/config/load.js'
import { configDir, HASH, yamlWith } from './fixture.js'

t.test('a valid file loads into a deep-frozen snapshot with defaults', async (t) => {
  const dir = configDir(t, { 'sg.yaml': yamlWith() })
  const loaded = loadConfig(join(dir, 'sg.yaml'))
  t.equal(loaded.file, join(dir, 'sg.yaml'))
  t.equal(loaded.baseDir, dir)
  t.equal(loaded.config.listen.port, 2775)
  t.equal(loaded.config.metrics.host, '127.0.0.1')
  t.equal(loaded.config.reload.watch, false)
  t.ok(Object.isFrozen(loaded.config.accounts[0]))
  t.throws(() => {
    ;(loaded.config.listen as { port: number }).port = 1
  })
})

t.test('every problem at once, each with file, line, key and reason; unknown keys are errors', async (t) => {
  const yaml = [
    'listen:',
    '  port: "2775"', // 2: wrong type
    '  bogus: 1', // 3: unknown key
    'upstream:',
    '  window: 0', // 5: below minimum
    'archive:',
    '  retention_days: 7', // 7: below the 30-day commitment
    'colour: blue', // 8: unknown top-level key
    '',
  ].join('\n')
  const dir = configDir(t, { 'bad.yaml': yaml })
  const file = join(dir, 'bad.yaml')
  const err = t.throws(() => loadConfig(file)) as ConfigError
  t.equal(err.code, 'SG_ERR_CONFIG_INVALID')
  const byKey = new Map(err.problems.map((p) => [p.key, p]))
  t.match(byKey.get('listen.port'), { file, line: 2, reason: /number/ })
  t.match(byKey.get('listen'), { file, reason: /bogus/ })
  t.match(byKey.get('upstream.window'), { file, line: 5 })
  t.match(byKey.get('archive.retention_days'), { file, line: 7 })
  t.match(byKey.get(''), { file, reason: /colour/ })
  t.equal(err.problems.length, 5)
  t.match(err.message, `${file}:2: listen.port:`)
})

t.test('YAML syntax errors name the line', async (t) => {
  const dir = configDir(t, { 'sg.yaml': 'listen:\n  port: [2775\nupstream: {}\n' })
  const err = t.throws(() => loadConfig(join(dir, 'sg.yaml'))) as ConfigError
  t.ok(err.problems.length >= 1)
  t.match(err.problems[0], { file: join(dir, 'sg.yaml'), line: Number })
})

t.test('problems in the accounts file name that file; duplicates are caught across both lists', async (t) => {
  const dir = configDir(t, {
    'sg.yaml': yamlWith({ extra: 'accounts_file: accounts.yaml\n' }),
    'accounts.yaml': `accounts:\n  - { system_id: demo, password_hash: "${HASH}" }\n  - { system_id: other, password_hash: "${HASH}", tps: fast }\n`,
  })
  const err = t.throws(() => loadConfig(join(dir, 'sg.yaml'))) as ConfigError
  t.match(err.problems, [{ file: join(dir, 'accounts.yaml'), line: 3, key: 'accounts.1.tps' }])
  const dup = configDir(t, {
    'sg.yaml': yamlWith({ extra: 'accounts_file: accounts.yaml\n' }),
    'accounts.yaml': `- { system_id: demo, password_hash: "${HASH}" }\n`,
  })
  const err2 = t.throws(() => loadConfig(join(dup, 'sg.yaml'))) as ConfigError
  t.match(err2.problems, [{ key: 'accounts', reason: /duplicate system_id demo/ }])
})

t.test('a missing file is a problem, not a crash', async (t) => {
  const err = t.throws(() => loadConfig('/nonexistent/sg.yaml')) as ConfigError
  t.match(formatProblem(err.problems[0]), /^\/nonexistent\/sg\.yaml: \(root\): cannot read/)
})

t.test('configPath: flag, then environment, then the shipped default', async (t) => {
  t.equal(configPath('a.yaml', { SMPP_GUARD_CONFIG: 'b.yaml' }), 'a.yaml')
  t.equal(configPath(undefined, { SMPP_GUARD_CONFIG: 'b.yaml' }), 'b.yaml')
  t.equal(configPath(undefined, {}), 'config/default.yaml')
})

t.test('the shipped default config is valid', async (t) => {
  t.equal(loadConfig('config/default.yaml').config.upstream.simulator, true)
})
