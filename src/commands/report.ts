// `smpp-guard report violations`: rejected (and monitor-mode) messages per account and category, counted
// from the archive over a time range.
import { parseArgs } from 'node:util'
import type { Writable } from 'node:stream'
import { openConfiguredReader } from '../archive/archive.js'
import { parseQueryTime } from '../archive/query.js'
import { GuardError } from '../errors.js'

interface CommandIo {
  readonly out: Writable
  readonly err: Writable
}

const USAGE = 'usage: smpp-guard report violations [--config FILE] [--from ISO] [--to ISO] [--format table|json]'

export interface ViolationRow {
  readonly account: string
  readonly category: string
  readonly rejected: number
  readonly monitored: number
}

async function violations(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' } },
    strict: true,
  })
  const format = values.format ?? 'table'
  if (format !== 'table' && format !== 'json') throw new GuardError('SG_ERR_USAGE', '--format: one of table, json')
  const from = parseQueryTime('from', values.from)
  const to = parseQueryTime('to', values.to)
  const counts = new Map<string, { account: string; category: string; rejected: number; monitored: number }>()
  const reader = await openConfiguredReader(values.config)
  try {
    for (const verdict of ['reject', 'monitor'] as const) {
      for await (const r of reader.query({ kind: 'message', verdict, from, to })) {
        if (r.kind !== 'message') continue
        const category = r.category ?? '(none)'
        const key = `${r.system_id}\u0000${category}`
        let c = counts.get(key)
        if (!c) counts.set(key, (c = { account: r.system_id, category, rejected: 0, monitored: 0 }))
        if (verdict === 'reject') c.rejected++
        else c.monitored++
      }
    }
  } finally {
    await reader.close()
  }
  const rows: ViolationRow[] = [...counts.values()].sort(
    (a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : b.rejected - a.rejected || (a.category < b.category ? -1 : 1)),
  )
  if (format === 'json') {
    const range = { from: from === undefined ? null : new Date(from).toISOString(), to: to === undefined ? null : new Date(to).toISOString() }
    io.out.write(JSON.stringify({ ...range, rows }) + '\n')
    return 0
  }
  const header = ['account', 'category', 'rejected', 'monitored']
  const total = { account: 'total', category: '', rejected: rows.reduce((s, r) => s + r.rejected, 0), monitored: rows.reduce((s, r) => s + r.monitored, 0) }
  const table = [header, ...[...rows, total].map((r) => [r.account, r.category, String(r.rejected), String(r.monitored)])]
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)))
  for (const row of table) {
    io.out.write(row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd() + '\n')
  }
  return 0
}

export async function main(argv: string[], io: CommandIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  const [sub, ...rest] = argv
  try {
    if (sub === 'violations') return await violations(rest, io)
    io.err.write(USAGE + '\n')
    return 2
  } catch (err) {
    if ((err instanceof GuardError && err.code === 'SG_ERR_USAGE') || String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) {
      io.err.write(`smpp-guard report: ${(err as Error).message}\n${USAGE}\n`)
      return 2
    }
    throw err
  }
}
