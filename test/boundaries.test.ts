// Folders follow the data flow and imports point one way (STYLE rule 1). This scans every import in src/
// and fails on one that crosses a boundary.
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)) {
    const spec = m[1] ?? m[2]
    out.push(relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'))
  }
  return out
}

const top = (p: string) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : p)

/** For each folder, the folders (or single files) it may import from besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  smpp: [],
  util: [],
  state: ['util', 'errors.ts', 'ops/logger.ts', 'ops/metrics.ts', 'config'],
  archive: ['util', 'errors.ts', 'ops/logger.ts', 'ops/metrics.ts', 'config'],
  policy: ['smpp', 'util', 'errors.ts', 'state', 'config', 'ops/logger.ts', 'ops/metrics.ts', 'ops/mask.ts'],
  inbound: ['smpp', 'util', 'errors.ts', 'config', 'ops'],
  upstream: ['smpp', 'util', 'errors.ts', 'config', 'ops'],
  config: ['util', 'errors.ts', 'smpp', 'policy', 'archive', 'state', 'ops'],
}

t.test('imports respect the folder boundaries', async (t) => {
  const bad: string[] = []
  for (const file of files(SRC)) {
    const from = relative(SRC, file)
    const folder = top(from)
    const allowed = ALLOWED[folder]
    if (!allowed) continue
    for (const target of imports(file)) {
      if (top(target) === folder) continue
      const ok = allowed.some((a) => (a.endsWith('.ts') ? target === a : top(target) === a))
      if (!ok) bad.push(`${from} → ${target}`)
    }
  }
  t.same(bad, [], 'no import crosses a boundary')
})

t.test('nothing but the composition root imports commands, cli or app', async (t) => {
  const bad: string[] = []
  for (const file of files(SRC)) {
    const from = relative(SRC, file)
    for (const target of imports(file)) {
      if (target === 'cli.ts' || (target === 'app.ts' && top(from) !== 'commands') || (top(target) === 'commands' && from !== 'cli.ts' && top(from) !== 'commands')) bad.push(`${from} → ${target}`)
    }
  }
  t.same(bad, [])
})
