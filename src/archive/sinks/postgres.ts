// PostgreSQL for scale: three tables partitioned by UTC day (created on first use, dropped by retention),
// one multi-row INSERT per table per batch through unnest() — a single round trip whatever the batch size,
// and no bind-parameter limit. ON CONFLICT DO NOTHING on (id, time) makes redelivered batches harmless.
import pg from 'pg'
import { z } from 'zod'
import { GuardError } from '../../errors.js'
import { DAY_MS, dayOf, dayStart, recordTime, type ArchiveRecord, type MessageRecord, type MoRecord } from '../record.js'
import { RECEIPT_JOIN_DAYS, sortReceipts, type ArchiveQuery, type QueryRow, type ReceiptInfo } from '../query.js'
import { defineSink, type Sink, type SinkDeps } from '../sink.js'
import { dayBefore } from './files.js'

export const PostgresSinkSchema = z.strictObject({
  sink: z.literal('postgres'),
  /** postgres://user:password@host:port/db; when absent the PG* environment variables apply. */
  url: z.string().optional(),
  /** Tables are `<prefix>_messages`, `<prefix>_receipts`, `<prefix>_mo`, partitions `<table>_pYYYYMMDD`. */
  table_prefix: z.string().regex(/^[a-z_][a-z0-9_]{0,40}$/, 'lower-case SQL identifier').default('smpp_guard_archive'),
  pool_size: z.number().int().min(1).max(32).default(2),
  connect_timeout_ms: z.number().int().min(100).default(5000),
  statement_timeout_ms: z.number().int().min(100).default(30000),
})
export type PostgresSinkConfig = z.infer<typeof PostgresSinkSchema>

const PAGE = 500

interface Table {
  readonly name: string
  readonly timeCol: 'received_at' | 'at'
}

function ddl(p: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${p}_messages (
  id text NOT NULL, received_at timestamptz NOT NULL, system_id text NOT NULL, source_addr text NOT NULL,
  destination_addr text NOT NULL, verdict text NOT NULL, rule text, category text, text text NOT NULL,
  record text NOT NULL, PRIMARY KEY (id, received_at)) PARTITION BY RANGE (received_at);
CREATE INDEX IF NOT EXISTS ${p}_messages_received_at ON ${p}_messages (received_at);
CREATE INDEX IF NOT EXISTS ${p}_messages_destination_addr ON ${p}_messages (destination_addr, received_at);
CREATE INDEX IF NOT EXISTS ${p}_messages_source_addr ON ${p}_messages (source_addr, received_at);
CREATE INDEX IF NOT EXISTS ${p}_messages_system_id ON ${p}_messages (system_id, received_at);
CREATE TABLE IF NOT EXISTS ${p}_receipts (
  id text NOT NULL, at timestamptz NOT NULL, message_id text NOT NULL, state text NOT NULL, error text,
  system_id text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE INDEX IF NOT EXISTS ${p}_receipts_message_id ON ${p}_receipts (message_id);
CREATE TABLE IF NOT EXISTS ${p}_mo (
  id text NOT NULL, at timestamptz NOT NULL, system_id text, source_addr text NOT NULL,
  destination_addr text NOT NULL, text text NOT NULL, record text NOT NULL,
  PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE INDEX IF NOT EXISTS ${p}_mo_at ON ${p}_mo (at);
CREATE INDEX IF NOT EXISTS ${p}_mo_destination_addr ON ${p}_mo (destination_addr, at);
CREATE INDEX IF NOT EXISTS ${p}_mo_source_addr ON ${p}_mo (source_addr, at);
`
}

// PostgreSQL text cannot hold NUL. Searchable columns get U+FFFD instead; the `record` column is JSON, where
// JSON.stringify has already escaped NUL, so what a query returns is exactly what was archived.
function pgText(s: string): string
function pgText(s: string | null): string | null
function pgText(s: string | null): string | null {
  return s !== null && s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s
}

const iso = (ms: number) => new Date(ms).toISOString()

export async function openPostgresSink(cfg: PostgresSinkConfig, deps: SinkDeps): Promise<Sink> {
  const p = cfg.table_prefix
  const tables = { message: `${p}_messages`, receipt: `${p}_receipts`, mo: `${p}_mo` } as const
  const pool = new pg.Pool({
    connectionString: cfg.url,
    max: cfg.pool_size,
    connectionTimeoutMillis: cfg.connect_timeout_ms,
    statement_timeout: cfg.statement_timeout_ms,
    query_timeout: cfg.statement_timeout_ms + 1000,
  })
  // An idle client whose server went away emits 'error' on the pool; unhandled it would end the process.
  pool.on('error', (err) => deps.log.warn({ err: err.message }, 'archive postgres connection lost'))
  let closed = false
  let ready: Promise<void> | undefined
  const partitions = new Set<string>()
  const guarded = new WeakSet<pg.PoolClient>()

  const wrap = (what: string, err: unknown) =>
    new GuardError('SG_ERR_ARCHIVE_WRITE', `postgres ${what}: ${(err as Error).message}`, { cause: err })

  function ensureSchema(): Promise<void> {
    ready ??= pool.query(ddl(p)).then(
      () => undefined,
      (err) => {
        ready = undefined
        throw wrap('schema', err)
      },
    )
    return ready
  }

  async function ensurePartition(client: pg.PoolClient, table: string, day: string): Promise<void> {
    const key = `${table}:${day}`
    if (partitions.has(key)) return
    const start = dayStart(day)
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${table}_p${day.replaceAll('-', '')} PARTITION OF ${table}
       FOR VALUES FROM ('${iso(start)}') TO ('${iso(start + DAY_MS)}')`,
    )
    partitions.add(key)
  }

  async function insert(client: pg.PoolClient, batch: readonly ArchiveRecord[]): Promise<void> {
    const messages: MessageRecord[] = []
    const receipts: Extract<ArchiveRecord, { kind: 'receipt' }>[] = []
    const mos: MoRecord[] = []
    for (const r of batch) {
      if (r.kind === 'message') messages.push(r)
      else if (r.kind === 'receipt') receipts.push(r)
      else mos.push(r)
      await ensurePartition(client, tables[r.kind], dayOf(recordTime(r)))
    }
    if (messages.length) {
      await client.query(
        `INSERT INTO ${tables.message} (id, received_at, system_id, source_addr, destination_addr, verdict, rule, category, text, record)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
         ON CONFLICT DO NOTHING`,
        [
          messages.map((m) => m.id), messages.map((m) => iso(m.received_at)), messages.map((m) => pgText(m.system_id)),
          messages.map((m) => pgText(m.source_addr)), messages.map((m) => pgText(m.destination_addr)),
          messages.map((m) => m.verdict), messages.map((m) => pgText(m.rule)), messages.map((m) => pgText(m.category)),
          messages.map((m) => pgText(m.text)), messages.map((m) => JSON.stringify(m)),
        ],
      )
    }
    if (receipts.length) {
      await client.query(
        `INSERT INTO ${tables.receipt} (id, at, message_id, state, error, system_id)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
         ON CONFLICT DO NOTHING`,
        [
          receipts.map((r) => r.id), receipts.map((r) => iso(r.at)), receipts.map((r) => pgText(r.message_id)),
          receipts.map((r) => pgText(r.state)), receipts.map((r) => pgText(r.error)), receipts.map((r) => pgText(r.system_id)),
        ],
      )
    }
    if (mos.length) {
      await client.query(
        `INSERT INTO ${tables.mo} (id, at, system_id, source_addr, destination_addr, text, record)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         ON CONFLICT DO NOTHING`,
        [
          mos.map((r) => r.id), mos.map((r) => iso(r.at)), mos.map((r) => pgText(r.system_id)),
          mos.map((r) => pgText(r.source_addr)), mos.map((r) => pgText(r.destination_addr)),
          mos.map((r) => pgText(r.text)), mos.map((r) => JSON.stringify(r)),
        ],
      )
    }
  }

  async function listPartitions(table: string): Promise<string[]> {
    const res = await pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = to_regclass($1)`,
      [table],
    )
    return res.rows.map((r) => r.name)
  }

  function whereOf(q: ArchiveQuery, timeCol: string, args: unknown[]): string {
    const parts: string[] = []
    const add = (sql: string, v: unknown) => {
      args.push(v)
      parts.push(sql.replace('?', `$${args.length}`))
    }
    if (q.from !== undefined) add(`${timeCol} >= ?`, iso(q.from))
    if (q.to !== undefined) add(`${timeCol} < ?`, iso(q.to))
    if (q.account !== undefined) add('system_id = ?', q.account)
    if (q.src !== undefined) add('source_addr = ?', q.src)
    if (q.dst !== undefined) add('destination_addr = ?', q.dst)
    if (q.text !== undefined) add('strpos(text, ?) > 0', pgText(q.text))
    if (q.verdict !== undefined && (q.kind ?? 'message') === 'message') add('verdict = ?', q.verdict)
    return parts.length ? parts.join(' AND ') : 'true'
  }

  async function* query(q: ArchiveQuery): AsyncIterable<QueryRow> {
    await ensureSchema()
    const kind = q.kind ?? 'message'
    const t: Table = kind === 'message' ? { name: tables.message, timeCol: 'received_at' } : { name: tables.mo, timeCol: 'at' }
    let left = q.limit ?? Infinity
    let after: [string, string] | undefined
    for (;;) {
      const args: unknown[] = []
      let where = whereOf(q, t.timeCol, args)
      if (after) {
        args.push(after[0], after[1])
        where += ` AND (${t.timeCol}, id) > ($${args.length - 1}::timestamptz, $${args.length})`
      }
      const res = await pool.query<{ t: string; id: string; record: string }>(
        `SELECT to_char(${t.timeCol} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t, id, record
         FROM ${t.name} WHERE ${where} ORDER BY ${t.timeCol}, id LIMIT ${Math.min(PAGE, left)}`,
        args,
      )
      if (res.rows.length === 0) return
      const last = res.rows[res.rows.length - 1]
      after = [last.t, last.id]
      if (kind === 'mo') {
        for (const r of res.rows) yield JSON.parse(r.record) as MoRecord
      } else {
        const msgs = res.rows.map((r) => JSON.parse(r.record) as MessageRecord)
        const lastMsg = msgs[msgs.length - 1]
        const ids = [...new Set(msgs.flatMap((m) => m.carrier_message_ids))]
        const receipts = new Map<string, ReceiptInfo[]>()
        if (ids.length) {
          const rr = await pool.query<{ message_id: string; state: string; error: string | null; at: string }>(
            `SELECT message_id, state, error, (extract(epoch from at) * 1000)::bigint AS at FROM ${tables.receipt}
             WHERE message_id = ANY($1) AND at >= $2 AND at < $3`,
            [ids, iso(dayStart(dayOf(msgs[0].received_at))), iso(dayStart(dayOf(lastMsg.received_at)) + (RECEIPT_JOIN_DAYS + 1) * DAY_MS)],
          )
          for (const r of rr.rows) {
            const list = receipts.get(r.message_id) ?? []
            list.push({ message_id: r.message_id, state: r.state, error: r.error, at: Number(r.at) })
            receipts.set(r.message_id, list)
          }
        }
        for (const m of msgs) {
          yield { ...m, receipts: sortReceipts(m.carrier_message_ids.flatMap((id) => receipts.get(id) ?? [])) }
        }
      }
      left -= res.rows.length
      if (left <= 0 || res.rows.length < PAGE) return
    }
  }

  return {
    kind: 'postgres',
    async write(batch) {
      if (closed) throw new GuardError('SG_ERR_ARCHIVE_WRITE', 'postgres sink closed')
      await ensureSchema()
      let client: pg.PoolClient
      try {
        client = await pool.connect()
      } catch (err) {
        throw wrap('connect', err)
      }
      // A connection that dies while checked out emits 'error' on the client, not the pool; the pending
      // query rejects with it too, so the listener only keeps the process alive.
      if (!guarded.has(client)) {
        guarded.add(client)
        client.on('error', () => undefined)
      }
      try {
        await client.query('BEGIN')
        await insert(client, batch)
        await client.query('COMMIT')
        client.release()
      } catch (err) {
        // A failed connection must not go back to the pool; a healthy one is rolled back first.
        await client.query('ROLLBACK').then(
          () => client.release(),
          () => client.release(true),
        )
        partitions.clear()
        throw wrap('write', err)
      }
    },
    async purge(before) {
      await ensureSchema()
      const days = new Set<string>()
      for (const table of Object.values(tables)) {
        for (const name of await listPartitions(table)) {
          const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name)
          if (!m) continue
          const day = `${m[1]}-${m[2]}-${m[3]}`
          if (!dayBefore(day, before)) continue
          await pool.query(`DROP TABLE IF EXISTS ${name}`)
          partitions.delete(`${table}:${day}`)
          days.add(day)
        }
      }
      return days.size
    },
    query,
    async close() {
      if (closed) return
      closed = true
      await pool.end()
    },
    destroy() {
      if (closed) return
      closed = true
      void pool.end().catch(() => undefined)
    },
  }
}

export default defineSink({ kind: 'postgres', config: PostgresSinkSchema, open: openPostgresSink })

