// `smpp-guard run --check` as an operator runs it: the built CLI on a config file, exit code and output.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

function check(config: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'run', '--check', '--config', config], { encoding: 'utf8' })
  return { status: r.status, out: r.stdout + r.stderr }
}

t.test('the shipped default config passes', async (t) => {
  const r = check(join(ROOT, 'config/default.yaml'))
  t.equal(r.status, 0, r.out)
})

t.test('a broken rule file fails the check even when no account uses the rules', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-check-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(ROOT, 'config/rules'), join(dir, 'rules'), { recursive: true })
  writeFileSync(join(dir, 'rules', 'gambling.yaml'), 'category: gambling\nterms: [unclosed\n')
  writeFileSync(join(dir, 'config.yaml'), 'rules: rules\narchive: { sink: jsonl, path: archive }\n')
  const r = check(join(dir, 'config.yaml'))
  t.equal(r.status, 1)
  t.match(r.out, /gambling\.yaml/)
})

t.test('every problem of a bad config is named with file, line and key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-check-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'config.yaml'), `rules: ${JSON.stringify(join(ROOT, 'config/rules'))}\nlisten:\n  port: "x"\n  colour: blue\narchive: { retention_days: 7 }\n`)
  const r = check(join(dir, 'config.yaml'))
  t.equal(r.status, 1)
  t.match(r.out, /config\.yaml:3: listen\.port/)
  t.match(r.out, /colour/)
  t.match(r.out, /archive\.retention_days: retention_days must be at least 30/)
})
