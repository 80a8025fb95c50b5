import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

/** A directory of config files that the test removes when it ends. */
export function configDir(t: Test, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

export const HASH = 'scrypt$16384$8$1$gdalgRYeXoH1CQefCrFzpw==$hgCusoZbj2ZO/LJc19dfrhX0S7WNlaemAq/sG4YIbm0='

export function yamlWith(opts: { port?: number; accounts?: string[]; extra?: string } = {}): string {
  const accounts = (opts.accounts ?? ['demo']).map((id) => `  - { system_id: ${id}, password_hash: "${HASH}" }`).join('\n')
  return `listen:\n  port: ${opts.port ?? 2775}\naccounts:\n${accounts}\n${opts.extra ?? ''}`
}
