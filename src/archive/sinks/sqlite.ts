// The embedded default sink: one SQLite file per UTC day (`archive-YYYY-MM-DD.sqlite`), so retention is a
// file delete and a lawful query over a range opens only the days it covers. better-sqlite3 12 (13 needs
// Node 22, NOTES §2). Writes skip a record id already stored (the drainer may deliver a batch twice) but,
// unlike INSERT OR IGNORE, still fail on any other constraint rather than drop a record silently.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { z } from 'zod'
import { GuardError } from '../../errors.js'
import { DAY_MS, dayOf, dayStart, type ArchiveRecord, type MessageRecord, type MoRecord, type ReceiptRecord } from '../record.js'
import type { ArchiveQuery, MessageRow, QueryRow, ReceiptInfo } from '../query.js'
import { RECEIPT_JOIN_DAYS, sortReceipts } from '../query.js'
import { defineSink, type Sink, type SinkDeps } from '../sink.js'
import { framePayloads } from '../frame.js'
import { dayBefore, dayInRange, ensurePrivateDir, listDays, removeFiles, touchPrivate } from './files.js'
import { messageColumns, messageColumnsOfUtf8, type MessageColumns } from './message-columns.js'
import type { WorkerCall, WorkerReply, WorkerRequest } from './sqlite-worker.js'

export const SqliteSinkSchema = z.strictObject({
  sink: z.literal('sqlite'),
  /** Directory of the day files, relative to the config file. */
  path: z.string().min(1).default('data/archive'),
  /** Day files kept open at once (today, yesterday and late receipts touch a few). */
  open_days: z.number().int().min(1).max(64).default(4),
  /** Write from a worker thread, so the proxy's event loop never waits for SQLite or its fsync. */
  worker: z.boolean().default(true),
})
export type SqliteSinkConfig = z.infer<typeof SqliteSinkSchema>

const PREFIX = 'archive-'
const SUFFIX = /^\.sqlite(-wal|-shm|-journal)?$/
const PAGE = 500

// SQL column names are the record's field names (STYLE rule 2); the whole record is kept as JSON in
// `record` so a query returns exactly what was archived, whatever the column set. Columns hold only what a
// query filters on: a message's text is read from `record` (its column doubled the bytes each row wrote).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY, received_at INTEGER NOT NULL, system_id TEXT NOT NULL, source_addr TEXT NOT NULL,
  destination_addr TEXT NOT NULL, verdict TEXT NOT NULL, rule TEXT, category TEXT, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_received_at ON messages (received_at);
CREATE INDEX IF NOT EXISTS messages_destination_addr ON messages (destination_addr, received_at);
CREATE INDEX IF NOT EXISTS messages_source_addr ON messages (source_addr, received_at);
CREATE INDEX IF NOT EXISTS messages_system_id ON messages (system_id, received_at);
CREATE TABLE IF NOT EXISTS receipts (
  id TEXT PRIMARY KEY, at INTEGER NOT NULL, message_id TEXT NOT NULL, state TEXT NOT NULL, error TEXT,
  system_id TEXT);
CREATE INDEX IF NOT EXISTS receipts_message_id ON receipts (message_id);
CREATE TABLE IF NOT EXISTS mo (
  id TEXT PRIMARY KEY, at INTEGER NOT NULL, system_id TEXT, source_addr TEXT NOT NULL,
  destination_addr TEXT NOT NULL, text TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS mo_at ON mo (at);
CREATE INDEX IF NOT EXISTS mo_destination_addr ON mo (destination_addr, at);
CREATE INDEX IF NOT EXISTS mo_source_addr ON mo (source_addr, at);
`

/**
 * One record ready to insert, with its JSON for the `record` column as text or as its UTF-8 bytes (bound as
 * a blob and cast to text: SQLite stores the bytes as they are, where a string would be transcoded). A
 * message carries only its columns (`messageColumns`), or the whole record when it had to be parsed or never
 * was JSON.
 */
type Json = string | Buffer
type Row =
  | { readonly kind: 'message'; readonly m: MessageColumns; readonly full: MessageRecord | undefined; readonly json: Json }
  | { readonly kind: 'receipt'; readonly r: ReceiptRecord }
  | { readonly kind: 'mo'; readonly r: MoRecord; readonly json: Json }

function rowOfRecord(r: ArchiveRecord): Row {
  switch (r.kind) {
    case 'message':
      return { kind: 'message', m: r, full: r, json: JSON.stringify(r) }
    case 'receipt':
      return { kind: 'receipt', r }
    case 'mo':
      return { kind: 'mo', r, json: JSON.stringify(r) }
  }
}

function rowOfPayload(json: string): Row {
  const m = messageColumns(json)
  if (m) return { kind: 'message', m, full: undefined, json }
  const r = JSON.parse(json) as ArchiveRecord
  return r.kind === 'message' ? { kind: 'message', m: r, full: r, json } : r.kind === 'receipt' ? { kind: 'receipt', r } : { kind: 'mo', r, json }
}

function rowOfUtf8(json: Buffer): Row {
  const m = messageColumnsOfUtf8(json)
  return m ? { kind: 'message', m, full: undefined, json } : rowOfPayload(json.toString('utf8'))
}

const textOf = (json: Json): string => (typeof json === 'string' ? json : json.toString('utf8'))

const rowTime = (row: Row): number => (row.kind === 'message' ? row.m.received_at : row.r.at)

interface DayDb {
  readonly db: Database.Database
  /**
   * A file created before the text left the columns: its messages table still has `text` and
   * `carrier_message_ids`, which its inserts fill and its text filter reads.
   */
  readonly legacy: boolean
  readonly writeBatch: (rows: readonly Row[]) => void
}

function openDay(file: string): DayDb {
  touchPrivate(file)
  const db = new Database(file)
  // WAL lets `archive query` read while the proxy writes; FULL makes each batch commit durable before the
  // spool forgets it (one fsync per batch, not per record).
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  db.exec(SCHEMA)
  const legacy = db.prepare(`SELECT 1 FROM pragma_table_info('messages') WHERE name = 'text'`).get() !== undefined
  const insertMessage = db.prepare(
    legacy
      ? `INSERT INTO messages (id, received_at, system_id, source_addr, destination_addr, verdict, rule,
         category, text, carrier_message_ids, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT)) ON CONFLICT (id) DO NOTHING`
      : `INSERT INTO messages (id, received_at, system_id, source_addr, destination_addr, verdict, rule,
         category, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT)) ON CONFLICT (id) DO NOTHING`,
  )
  const insertReceipt = db.prepare(
    'INSERT INTO receipts (id, at, message_id, state, error, system_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  )
  const insertMo = db.prepare(
    `INSERT INTO mo (id, at, system_id, source_addr, destination_addr, text, record)
     VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TEXT)) ON CONFLICT (id) DO NOTHING`,
  )
  const writeBatch = db.transaction((rows: readonly Row[]) => {
    for (const row of rows) {
      switch (row.kind) {
        case 'message': {
          const m = row.m
          if (legacy) {
            const r = row.full ?? (JSON.parse(textOf(row.json)) as MessageRecord)
            insertMessage.run(m.id, m.received_at, m.system_id, m.source_addr, m.destination_addr, m.verdict, m.rule, m.category,
              r.text, JSON.stringify(r.carrier_message_ids), row.json)
          } else {
            insertMessage.run(m.id, m.received_at, m.system_id, m.source_addr, m.destination_addr, m.verdict, m.rule, m.category, row.json)
          }
          break
        }
        case 'receipt': {
          const r = row.r
          insertReceipt.run(r.id, r.at, r.message_id, r.state, r.error, r.system_id)
          break
        }
        case 'mo': {
          const r = row.r
          insertMo.run(r.id, r.at, r.system_id, r.source_addr, r.destination_addr, r.text, row.json)
          break
        }
      }
    }
  })
  return { db, legacy, writeBatch }
}

function where(q: ArchiveQuery, timeCol: string, textCol: string): { sql: string; args: unknown[] } {
  const parts: string[] = []
  const args: unknown[] = []
  if (q.from !== undefined) (parts.push(`${timeCol} >= ?`), args.push(q.from))
  if (q.to !== undefined) (parts.push(`${timeCol} < ?`), args.push(q.to))
  if (q.account !== undefined) (parts.push('system_id = ?'), args.push(q.account))
  if (q.src !== undefined) (parts.push('source_addr = ?'), args.push(q.src))
  if (q.dst !== undefined) (parts.push('destination_addr = ?'), args.push(q.dst))
  if (q.text !== undefined) (parts.push(`instr(${textCol}, ?) > 0`), args.push(q.text))
  if (q.verdict !== undefined && (q.kind ?? 'message') === 'message') (parts.push('verdict = ?'), args.push(q.verdict))
  return { sql: parts.length ? parts.join(' AND ') : '1', args }
}

export function openSqliteSink(cfg: SqliteSinkConfig, deps: SinkDeps): Sink {
  const dir = resolve(deps.baseDir, cfg.path)
  ensurePrivateDir(dir)
  const open = new Map<string, DayDb>()
  let closed = false

  const fileOf = (day: string) => join(dir, `${PREFIX}${day}.sqlite`)

  function dayDb(day: string): DayDb {
    let d = open.get(day)
    if (d) {
      open.delete(day)
      open.set(day, d)
      return d
    }
    d = openDay(fileOf(day))
    open.set(day, d)
    // Queries also hold the days their receipts come from.
    while (open.size > cfg.open_days + RECEIPT_JOIN_DAYS) {
      const [oldest, od] = open.entries().next().value as [string, DayDb]
      open.delete(oldest)
      od.db.close()
    }
    return d
  }

  function existingDays(): string[] {
    return [...listDays(dir, PREFIX, /^\.sqlite$/).keys()]
  }

  function receiptsFor(ids: string[], fromDay: string): Map<string, ReceiptInfo[]> {
    const out = new Map<string, ReceiptInfo[]>()
    if (ids.length === 0) return out
    const last = dayOf(dayStart(fromDay) + RECEIPT_JOIN_DAYS * DAY_MS)
    for (const day of existingDays()) {
      if (day < fromDay || day > last) continue
      const { db } = dayDb(day)
      for (let i = 0; i < ids.length; i += 400) {
        const chunk = ids.slice(i, i + 400)
        const rows = db
          .prepare(`SELECT message_id, state, error, at FROM receipts WHERE message_id IN (${chunk.map(() => '?').join(',')})`)
          .all(...chunk) as ReceiptInfo[]
        for (const r of rows) {
          const list = out.get(r.message_id) ?? []
          list.push({ message_id: r.message_id, state: r.state, error: r.error, at: r.at })
          out.set(r.message_id, list)
        }
      }
    }
    return out
  }

  async function* query(q: ArchiveQuery): AsyncIterable<QueryRow> {
    const kind = q.kind ?? 'message'
    const table = kind === 'message' ? 'messages' : 'mo'
    const timeCol = kind === 'message' ? 'received_at' : 'at'
    let left = q.limit ?? Infinity
    for (const day of existingDays()) {
      if (!dayInRange(day, q.from, q.to)) continue
      const w = where(q, timeCol, kind === 'message' && !dayDb(day).legacy ? `json_extract(record, '$.text')` : 'text')
      let after: [number, string] = [Number.MIN_SAFE_INTEGER, '']
      for (;;) {
        if (closed) throw new GuardError('SG_ERR_ARCHIVE_WRITE', 'sqlite sink closed during query')
        const { db } = dayDb(day)
        const rows = db
          .prepare(`SELECT ${timeCol} AS t, id, record FROM ${table} WHERE ${w.sql} AND (${timeCol} > ? OR (${timeCol} = ? AND id > ?))
                    ORDER BY ${timeCol}, id LIMIT ${Math.min(PAGE, left)}`)
          .all(...w.args, after[0], after[0], after[1]) as { t: number; id: string; record: string }[]
        if (rows.length === 0) break
        after = [rows[rows.length - 1].t, rows[rows.length - 1].id]
        if (kind === 'mo') {
          for (const r of rows) yield JSON.parse(r.record) as MoRecord
        } else {
          const msgs = rows.map((r) => JSON.parse(r.record) as MessageRecord)
          const receipts = receiptsFor([...new Set(msgs.flatMap((m) => m.carrier_message_ids))], day)
          for (const m of msgs) {
            const joined = m.carrier_message_ids.flatMap((id) => receipts.get(id) ?? [])
            yield { ...m, receipts: sortReceipts(joined) } satisfies MessageRow
          }
        }
        left -= rows.length
        if (left <= 0) return
        if (rows.length < PAGE) break
      }
    }
  }

  function writeByDay(rows: readonly Row[]): void {
    if (closed) throw new GuardError('SG_ERR_ARCHIVE_WRITE', 'sqlite sink closed')
    const byDay = new Map<string, Row[]>()
    for (const row of rows) {
      const day = dayOf(rowTime(row))
      const list = byDay.get(day)
      if (list) list.push(row)
      else byDay.set(day, [row])
    }
    try {
      for (const [day, list] of byDay) dayDb(day).writeBatch(list)
    } catch (err) {
      throw new GuardError('SG_ERR_ARCHIVE_WRITE', `sqlite: ${(err as Error).message}`, { cause: err })
    }
  }

  return {
    kind: 'sqlite',
    async write(batch) {
      writeByDay(batch.map(rowOfRecord))
    },
    async writePayloads(payloads) {
      writeByDay(payloads.map(rowOfPayload))
    },
    async writeFrames(frames) {
      writeByDay(framePayloads(frames).map(rowOfUtf8))
    },
    async purge(before) {
      let removed = 0
      for (const [day, files] of listDays(dir, PREFIX, SUFFIX)) {
        if (!dayBefore(day, before)) continue
        const d = open.get(day)
        if (d) {
          open.delete(day)
          d.db.close()
        }
        removeFiles(files)
        removed++
      }
      return removed
    },
    query,
    async close() {
      if (closed) return
      closed = true
      for (const d of open.values()) d.db.close()
      open.clear()
    },
    destroy() {
      if (closed) return
      closed = true
      for (const d of open.values()) d.db.close()
      open.clear()
    },
  }
}

function workerEntry(): URL {
  // Built code runs the .js beside this file; under a TypeScript loader only the .ts source exists.
  const js = new URL('./sqlite-worker.js', import.meta.url)
  return existsSync(fileURLToPath(js)) ? js : new URL('./sqlite-worker.ts', import.meta.url)
}

/**
 * The sink with writes and purges on a worker thread; queries read the files from this thread. When the
 * worker cannot start at all (a TypeScript loader that does not reach worker threads, such as tsx), it
 * writes on this thread instead, with a warning, rather than never store anything.
 */
export function openSqliteWorkerSink(cfg: SqliteSinkConfig, deps: SinkDeps, entry: URL = workerEntry()): Sink {
  ensurePrivateDir(resolve(deps.baseDir, cfg.path))
  let worker: Worker | undefined
  let answered = false
  let inThread: Sink | undefined
  let reader: Sink | undefined
  let nextId = 0
  let closed = false
  const pending = new Map<number, { resolve(v: number | undefined): void; reject(e: Error): void }>()

  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err)
    pending.clear()
  }

  function spawn(): Worker {
    const w = new Worker(entry, { workerData: { cfg, baseDir: deps.baseDir } })
    w.on('message', (reply: WorkerReply) => {
      answered = true
      const p = pending.get(reply.id)
      if (!p) return
      pending.delete(reply.id)
      if (reply.ok) p.resolve(reply.result)
      else p.reject(new GuardError('SG_ERR_ARCHIVE_WRITE', `sqlite: ${reply.error}`))
    })
    // A worker that dies takes its requests with it (the drainer retries them); the next request starts
    // a new one.
    w.on('error', (err) => {
      if (!answered && !inThread) {
        deps.log.warn({ err: err.message }, 'archive sqlite worker unavailable, writing on the main thread')
        inThread = openSqliteSink(cfg, deps)
      } else {
        deps.log.error({ err: err.message }, 'archive sqlite worker failed')
      }
      failAll(new GuardError('SG_ERR_ARCHIVE_WRITE', `sqlite worker: ${err.message}`, { cause: err }))
    })
    w.on('exit', () => {
      if (worker === w) worker = undefined
      failAll(new GuardError('SG_ERR_ARCHIVE_WRITE', 'sqlite worker exited'))
    })
    return w
  }

  function call(req: WorkerCall, transfer: readonly ArrayBuffer[] = []): Promise<number | undefined> {
    if (closed) return Promise.reject(new GuardError('SG_ERR_ARCHIVE_WRITE', 'sqlite sink closed'))
    worker ??= spawn()
    const id = ++nextId
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      ;(worker as Worker).postMessage({ ...req, id } satisfies WorkerRequest, transfer)
    })
  }

  return {
    kind: 'sqlite',
    async write(batch) {
      if (inThread) return inThread.write(batch)
      await call({ op: 'write', batch: batch.map((r) => JSON.stringify(r)).join('\n') })
    },
    async writePayloads(payloads) {
      if (inThread) return (inThread.writePayloads as NonNullable<Sink['writePayloads']>)(payloads)
      // One string crosses to the worker faster than an array of them; JSON text never holds a raw newline.
      await call({ op: 'write', batch: payloads.join('\n') })
    },
    async writeFrames(frames) {
      if (inThread) return (inThread.writeFrames as NonNullable<Sink['writeFrames']>)(frames)
      // Moved, not copied, when the buffer has its ArrayBuffer to itself (the spool's batches do); a view of
      // a shared one (Buffer's pool) is copied, since moving it would take the rest away from its owners.
      const bytes = frames.byteOffset === 0 && frames.byteLength === frames.buffer.byteLength ? frames : new Uint8Array(frames)
      await call({ op: 'frames', frames: bytes }, [bytes.buffer as ArrayBuffer])
    },
    async purge(before) {
      if (inThread) return inThread.purge(before)
      return (await call({ op: 'purge', before })) ?? 0
    },
    query(q) {
      reader ??= inThread ?? openSqliteSink(cfg, deps)
      return reader.query(q)
    },
    async close() {
      if (closed) return
      const w = worker
      if (w) {
        const exited = new Promise((res) => w.once('exit', res))
        await call({ op: 'close' }).catch(() => undefined)
        await exited
      }
      closed = true
      await reader?.close()
      await inThread?.close()
    },
    destroy(err) {
      if (closed) return
      closed = true
      failAll(err)
      void worker?.terminate()
      reader?.destroy(err)
      inThread?.destroy(err)
    },
  }
}

export default defineSink({
  kind: 'sqlite',
  config: SqliteSinkSchema,
  takesFrames: true,
  open: async (cfg, deps) => (cfg.worker ? openSqliteWorkerSink(cfg, deps) : openSqliteSink(cfg, deps)),
})

