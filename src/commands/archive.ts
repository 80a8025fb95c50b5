// `smpp-guard archive query|export`: the lawful-query workflow. Reads the sinks (the first by default) while
// the proxy may be running; never touches the spool's lock.
import { createHash } from 'node:crypto'
import { createReadStream, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { Writable } from 'node:stream'
import { openConfiguredReader, type ArchiveReader } from '../archive/archive.js'
import { parseQueryTime, type ArchiveQuery, type QueryRow } from '../archive/query.js'
import type { ArchiveVerdict } from '../archive/record.js'
import { GuardError } from '../errors.js'

interface CommandIo {
  readonly out: Writable
  readonly err: Writable
}

const USAGE = `usage:
  smpp-guard archive query [--config FILE] [--account ID] [--src ADDR] [--dst ADDR] [--from ISO] [--to ISO]
                           [--text SUBSTRING] [--verdict allow|reject|monitor] [--kind message|mo]
                           [--format jsonl|csv] [--limit N] [--sink N]
  smpp-guard archive export --from ISO --to ISO [filters as for query] --out DIR [--format jsonl|csv]`

const filterOptions = {
  config: { type: 'string' },
  account: { type: 'string' },
  src: { type: 'string' },
  dst: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  text: { type: 'string' },
  verdict: { type: 'string' },
  kind: { type: 'string' },
  format: { type: 'string' },
  limit: { type: 'string' },
  sink: { type: 'string' },
  out: { type: 'string' },
} as const

const usage = (detail: string) => new GuardError('SG_ERR_USAGE', detail)

function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined
  if (!(allowed as readonly string[]).includes(v)) throw usage(`--${flag}: one of ${allowed.join(', ')}`)
  return v as T
}

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw usage(`--${flag}: a whole number`)
  return n
}

type Values = { [K in keyof typeof filterOptions]?: string }

function queryOf(v: Values): ArchiveQuery {
  return {
    kind: oneOf('kind', v.kind, ['message', 'mo'] as const),
    account: v.account,
    src: v.src,
    dst: v.dst,
    from: parseQueryTime('from', v.from),
    to: parseQueryTime('to', v.to),
    text: v.text,
    verdict: oneOf<ArchiveVerdict>('verdict', v.verdict, ['allow', 'reject', 'monitor']),
    limit: positiveInt('limit', v.limit),
  }
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? '' : new Date(ms).toISOString())

const CSV_COLUMNS = [
  'kind', 'id', 'time', 'decided_at', 'system_id', 'session_id', 'client_ip', 'source_addr', 'destination_addr',
  'data_coding', 'text', 'parts', 'verdict', 'rule', 'category', 'command_status', 'message_ids',
  'carrier_message_ids', 'carrier_status', 'receipts', 'outcome',
] as const

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n'
}

/** RFC 4180 row; times ISO 8601 UTC; receipts as `message_id:state:error@time` joined by spaces. */
function csvRow(r: QueryRow): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], unknown> =
    r.kind === 'message'
      ? {
          kind: r.kind, id: r.id, time: iso(r.received_at), decided_at: iso(r.decided_at), system_id: r.system_id,
          session_id: r.session_id, client_ip: r.client_ip, source_addr: r.source_addr,
          destination_addr: r.destination_addr, data_coding: r.data_coding, text: r.text, parts: r.parts,
          verdict: r.verdict, rule: r.rule, category: r.category, command_status: r.command_status,
          message_ids: r.message_ids.join(' '), carrier_message_ids: r.carrier_message_ids.join(' '),
          carrier_status: r.carrier_status,
          receipts: r.receipts.map((x) => `${x.message_id}:${x.state}:${x.error ?? ''}@${iso(x.at)}`).join(' '),
          outcome: '',
        }
      : {
          kind: r.kind, id: r.id, time: iso(r.at), decided_at: '', system_id: r.system_id, session_id: '',
          client_ip: '', source_addr: r.source_addr, destination_addr: r.destination_addr,
          data_coding: r.data_coding, text: r.text, parts: '', verdict: '', rule: '', category: '',
          command_status: '', message_ids: '', carrier_message_ids: '', carrier_status: '', receipts: '',
          outcome: r.outcome,
        }
  return CSV_COLUMNS.map((c) => csvCell(cells[c])).join(',') + '\r\n'
}

async function write(out: Writable, s: string): Promise<void> {
  if (!out.write(s)) await new Promise<void>((res) => out.once('drain', res))
}

async function writeRows(rows: AsyncIterable<QueryRow>, format: 'jsonl' | 'csv', out: Writable): Promise<number> {
  let n = 0
  if (format === 'csv') await write(out, csvHeader())
  for await (const r of rows) {
    await write(out, format === 'csv' ? csvRow(r) : JSON.stringify(r) + '\n')
    n++
  }
  return n
}

function warnBacklog(reader: ArchiveReader, io: CommandIo): void {
  const bytes = reader.spoolBacklogBytes()
  if (bytes > 0) io.err.write(`smpp-guard: warning: ${bytes} bytes of records are still in the spool, not yet in every sink; results may be incomplete\n`)
}

async function query(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: filterOptions, strict: true })
  if (values.out) throw usage('--out belongs to export')
  const q = queryOf(values)
  const format = oneOf('format', values.format, ['jsonl', 'csv'] as const) ?? 'jsonl'
  const reader = await openConfiguredReader(values.config, positiveInt('sink', values.sink) ?? 0)
  try {
    warnBacklog(reader, io)
    await writeRows(reader.query(q), format, io.out)
  } finally {
    await reader.close()
  }
  return 0
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

async function exportRecords(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: filterOptions, strict: true })
  if (!values.from || !values.to || !values.out) throw usage('export needs --from, --to and --out')
  if (values.kind) throw usage('export writes messages and MO messages; --kind belongs to query')
  const q = queryOf(values)
  const format = oneOf('format', values.format, ['jsonl', 'csv'] as const) ?? 'jsonl'
  const dir = resolve(values.out)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (readdirSync(dir).length > 0) throw usage(`--out ${dir} is not empty`)
  const reader = await openConfiguredReader(values.config, positiveInt('sink', values.sink) ?? 0)
  const files: { name: string; records: number; bytes: number; sha256: string }[] = []
  try {
    warnBacklog(reader, io)
    // MO messages have no verdict: a --verdict filter selects messages only.
    const parts: ['message' | 'mo', string][] = q.verdict ? [['message', 'messages']] : [['message', 'messages'], ['mo', 'mo']]
    for (const [kind, base] of parts) {
      const name = `${base}.${format}`
      const fh = await open(join(dir, name), 'wx', 0o600)
      const stream = fh.createWriteStream()
      const records = await writeRows(reader.query({ ...q, kind }), format, stream)
      await new Promise<void>((res, rej) => stream.end((err?: Error | null) => (err ? rej(err) : res())))
      await fh.close().catch(() => undefined)
      const file = join(dir, name)
      const { size } = await stat(file)
      files.push({ name, records, bytes: size, sha256: await sha256(file) })
    }
  } finally {
    await reader.close()
  }
  const manifest = {
    created_at: new Date().toISOString(),
    query: { ...q, from: iso(q.from), to: iso(q.to) },
    format,
    files,
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  // `sha256sum -c SHA256SUMS` checks the files without our tools.
  const sums = [...files.map((f) => `${f.sha256}  ${f.name}`), `${await sha256(join(dir, 'manifest.json'))}  manifest.json`]
  writeFileSync(join(dir, 'SHA256SUMS'), sums.join('\n') + '\n', { mode: 0o600, flag: 'wx' })
  io.err.write(`smpp-guard: exported ${files.map((f) => `${f.records} ${f.name}`).join(', ')} to ${dir}\n`)
  return 0
}

export async function main(argv: string[], io: CommandIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  const [sub, ...rest] = argv
  try {
    if (sub === 'query') return await query(rest, io)
    if (sub === 'export') return await exportRecords(rest, io)
    io.err.write(USAGE + '\n')
    return 2
  } catch (err) {
    if ((err instanceof GuardError && err.code === 'SG_ERR_USAGE') || String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) {
      io.err.write(`smpp-guard archive: ${(err as Error).message}\n${USAGE}\n`)
      return 2
    }
    throw err
  }
}
