// JSON lines for shipping to other tools: one object per line, one file per UTC day
// (`archive-YYYY-MM-DD.jsonl`), rotated to `archive-YYYY-MM-DD.N.jsonl` past `max_file_bytes`. Each batch
// is fsynced before the spool forgets it. The drainer may deliver a batch twice (after a crash or a failed
// write): the ids of recently written records, reloaded from the files' tails on open, keep lines unique.
import { createReadStream, openSync, closeSync, fstatSync, readSync } from 'node:fs'
import { open as openFile, type FileHandle } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { z } from 'zod'
import { GuardError } from '../../errors.js'
import { DAY_MS, dayOf, dayStart, recordTime, type ArchiveRecord, type MessageRecord, type MoRecord } from '../record.js'
import { matchesQuery, RECEIPT_JOIN_DAYS, sortReceipts, type ArchiveQuery, type QueryRow, type ReceiptInfo } from '../query.js'
import { defineSink, type Sink, type SinkDeps } from '../sink.js'
import { dayBefore, dayInRange, ensurePrivateDir, listDays, removeFiles } from './files.js'

export const JsonlSinkSchema = z.strictObject({
  sink: z.literal('jsonl'),
  /** Directory of the files, relative to the config file. */
  path: z.string().min(1).default('data/archive-jsonl'),
  max_file_bytes: z.number().int().min(1024).default(256 * 1024 * 1024),
})
export type JsonlSinkConfig = z.infer<typeof JsonlSinkSchema>

const PREFIX = 'archive-'
const SUFFIX = /^(\.\d+)?\.jsonl$/
/** Bigger than any batch the drainer sends, so a redelivered batch is always recognised. */
const RECENT_IDS = 50_000
const TAIL_BYTES = 16 * 1024 * 1024

interface DayFile {
  readonly day: string
  index: number
  fh: FileHandle
  size: number
}

function fileName(dir: string, day: string, index: number): string {
  return join(dir, index === 0 ? `${PREFIX}${day}.jsonl` : `${PREFIX}${day}.${index}.jsonl`)
}

function indexOf(file: string): number {
  const m = /\.(\d+)\.jsonl$/.exec(file)
  return m ? Number(m[1]) : 0
}

/** Ids from the last lines of `file`, oldest first. */
function tailIds(file: string): string[] {
  const fd = openSync(file, 'r')
  try {
    const size = fstatSync(fd).size
    const len = Math.min(size, TAIL_BYTES)
    const buf = Buffer.alloc(len)
    readSync(fd, buf, 0, len, size - len)
    const lines = buf.toString('utf8').split('\n')
    if (len < size) lines.shift()
    const ids: string[] = []
    for (const line of lines) {
      const m = /^\{"kind":"\w+","id":"([^"]+)"/.exec(line)
      if (m) ids.push(m[1])
    }
    return ids
  } finally {
    closeSync(fd)
  }
}

async function* readLines(file: string): AsyncIterable<ArchiveRecord> {
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  for await (const line of rl) {
    // A line cut short by a crash is not an acknowledged write: the spool still holds its record.
    if (!line.endsWith('}')) continue
    try {
      yield JSON.parse(line) as ArchiveRecord
    } catch {
      continue
    }
  }
}

// Serialise with kind and id first so `tailIds` can read them without parsing the line.
function line(r: ArchiveRecord): string {
  const { kind, id, ...rest } = r
  return JSON.stringify({ kind, id, ...rest }) + '\n'
}

export async function openJsonlSink(cfg: JsonlSinkConfig, deps: SinkDeps): Promise<Sink> {
  const dir = resolve(deps.baseDir, cfg.path)
  ensurePrivateDir(dir)
  const recent = new Set<string>()
  const remember = (id: string) => {
    recent.add(id)
    if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value as string)
  }
  for (const files of [...listDays(dir, PREFIX, SUFFIX).values()].slice(-2)) {
    for (const f of files.sort((a, b) => indexOf(a) - indexOf(b))) for (const id of tailIds(f)) remember(id)
  }
  const current = new Map<string, DayFile>()
  let closed = false

  async function fileFor(day: string): Promise<DayFile> {
    let f = current.get(day)
    if (f && f.size < cfg.max_file_bytes) return f
    let index = f ? f.index + 1 : Math.max(0, ...(listDays(dir, PREFIX, SUFFIX).get(day) ?? []).map(indexOf))
    if (f) await f.fh.close()
    for (;;) {
      const name = fileName(dir, day, index)
      const fh = await openFile(name, 'a', 0o600)
      const size = (await fh.stat()).size
      if (size < cfg.max_file_bytes) {
        f = { day, index, fh, size }
        break
      }
      await fh.close()
      index++
    }
    current.set(day, f)
    // Only today's and yesterday's files take writes in practice; close the rest.
    for (const [d, other] of current) {
      if (current.size <= 2) break
      if (d !== day) {
        current.delete(d)
        await other.fh.close()
      }
    }
    return f
  }

  async function* query(q: ArchiveQuery): AsyncIterable<QueryRow> {
    const days = listDays(dir, PREFIX, SUFFIX)
    let left = q.limit ?? Infinity
    for (const [day, files] of days) {
      if (!dayInRange(day, q.from, q.to)) continue
      const matched: (MessageRecord | MoRecord)[] = []
      for (const f of files.sort((a, b) => indexOf(a) - indexOf(b))) {
        for await (const r of readLines(f)) {
          if (r.kind !== 'receipt' && matchesQuery(r, q)) matched.push(r)
        }
      }
      const seen = new Set<string>()
      const unique = matched.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)))
      unique.sort((a, b) => recordTime(a) - recordTime(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      const rows = unique.slice(0, left === Infinity ? undefined : left)
      const wanted = new Set(rows.flatMap((r) => (r.kind === 'message' ? r.carrier_message_ids : [])))
      const receipts = new Map<string, ReceiptInfo[]>()
      if (wanted.size > 0) {
        const lastReceiptDay = dayOf(dayStart(day) + RECEIPT_JOIN_DAYS * DAY_MS)
        const receiptSeen = new Set<string>()
        for (const [rday, rfiles] of days) {
          if (rday < day || rday > lastReceiptDay) continue
          for (const f of rfiles) {
            for await (const r of readLines(f)) {
              if (r.kind !== 'receipt' || !wanted.has(r.message_id) || receiptSeen.has(r.id)) continue
              receiptSeen.add(r.id)
              const list = receipts.get(r.message_id) ?? []
              list.push({ message_id: r.message_id, state: r.state, error: r.error, at: r.at })
              receipts.set(r.message_id, list)
            }
          }
        }
      }
      for (const r of rows) {
        if (r.kind === 'mo') yield r
        else yield { ...r, receipts: sortReceipts(r.carrier_message_ids.flatMap((id) => receipts.get(id) ?? [])) }
      }
      left -= rows.length
      if (left <= 0) return
    }
  }

  return {
    kind: 'jsonl',
    async write(batch) {
      if (closed) throw new GuardError('SG_ERR_ARCHIVE_WRITE', 'jsonl sink closed')
      const byDay = new Map<string, string[]>()
      const fresh: string[] = []
      for (const r of batch) {
        if (recent.has(r.id)) continue
        const day = dayOf(recordTime(r))
        const list = byDay.get(day) ?? []
        list.push(line(r))
        byDay.set(day, list)
        fresh.push(r.id)
      }
      try {
        for (const [day, lines] of byDay) {
          const f = await fileFor(day)
          const buf = Buffer.from(lines.join(''), 'utf8')
          await f.fh.write(buf)
          f.size += buf.length
          await f.fh.datasync()
        }
      } catch (err) {
        throw new GuardError('SG_ERR_ARCHIVE_WRITE', `jsonl: ${(err as Error).message}`, { cause: err })
      }
      for (const id of fresh) remember(id)
    },
    async purge(before) {
      let removed = 0
      for (const [day, files] of listDays(dir, PREFIX, SUFFIX)) {
        if (!dayBefore(day, before)) continue
        const f = current.get(day)
        if (f) {
          current.delete(day)
          await f.fh.close()
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
      for (const f of current.values()) await f.fh.close()
      current.clear()
    },
    destroy() {
      if (closed) return
      closed = true
      for (const f of current.values()) void f.fh.close().catch(() => undefined)
      current.clear()
    },
  }
}

export default defineSink({ kind: 'jsonl', config: JsonlSinkSchema, open: openJsonlSink })
