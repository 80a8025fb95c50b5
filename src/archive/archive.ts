// The archive: every record goes into the durable spool first, then one drainer per sink moves it, in
// order and at least once, into that sink. `append` is the only call on the data path.
//
//   const archive = await createArchive(config.archive, { log, metrics, baseDir })
//   await archive.append({ kind: 'message', id: newRecordId(), ... })   // durable on return in `ack`
//   for await (const row of archive.query({ dst: '13800138000' })) ...
//   await archive.close()
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import pino from 'pino'
import { configPath, loadConfig } from '../config/load.js'
import { GuardError } from '../errors.js'
import type { Metrics } from '../ops/metrics.js'
import type { ArchiveConfig, SinkConfig } from './config.js'
import type { ArchiveQuery, QueryRow } from './query.js'
import { DAY_MS, recordTime, type ArchiveRecord } from './record.js'
import type { Sink, SinkDefinition, SinkDeps } from './sink.js'
import { sinkDefinitions } from './sinks/index.js'
import { Spool, type SpoolBatch, type SpoolReader, type SpoolStats } from './spool.js'

export interface ArchiveDeps {
  readonly log: Logger
  readonly metrics: Metrics
  /** Directory relative paths resolve against: the config file's directory. */
  readonly baseDir: string
  readonly clock?: () => number
}

export type ArchiveStatus = 'open' | 'closing' | 'closed'

export interface Archive {
  /**
   * Spools a record. In `ack` durability the promise resolves once the record is fsynced (send the client's
   * response after it); in `async` it resolves at once. Rejects with GuardError SG_ERR_ARCHIVE_SPOOL_FULL at
   * the disk cap, SG_ERR_ARCHIVE_WRITE on a disk error, SG_ERR_SHUTTING_DOWN after close(); the error's
   * `status` is the SMPP status to answer with.
   */
  append(record: ArchiveRecord): Promise<void>
  /** Queries the first sink: records already drained from the spool. */
  query(q: ArchiveQuery): AsyncIterable<QueryRow>
  /** Drops days older than retention_days from every sink now (also runs every purge_interval_ms). */
  purge(): Promise<number>
  stats(): SpoolStats
  /**
   * False while `append` would be refused (spool full or failed, archive closing). Check it before
   * forwarding a message to the carrier, so nothing leaves that cannot be archived.
   */
  readonly accepting: boolean
  readonly status: ArchiveStatus
  /** Refuses new records, writes the spool, drains into the sinks until close_timeout_ms, releases. */
  close(): Promise<void>
  /** Fails pending appends with `err` at once and releases everything; the spool keeps what it has. */
  destroy(err: Error): void
}

interface SinkEntry {
  readonly name: string
  readonly cfg: SinkConfig
  readonly def: SinkDefinition
  sink: Sink | undefined
  opening: Promise<Sink> | undefined
  reader: SpoolReader | undefined
  /** Append time of the oldest record this sink has read but not stored, for the lag gauge. */
  pendingSince: number | undefined
  done: Promise<void> | undefined
}

/** Stable per target, so a cursor follows its sink when the list is reordered. */
function readerName(cfg: SinkConfig): string {
  const key = cfg.sink === 'postgres' ? [cfg.url ?? '', cfg.table_prefix] : [cfg.path]
  return `${cfg.sink}-${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 12)}`
}

function definitionOf(cfg: SinkConfig): SinkDefinition {
  const def = sinkDefinitions.find((d) => d.kind === cfg.sink)
  if (!def) throw new GuardError('SG_ERR_CONFIG_INVALID', `unknown archive sink ${cfg.sink}`)
  return def as unknown as SinkDefinition
}

/** `archive.spool.path`, or `spool` inside the first sink that has a directory. */
export function spoolDir(cfg: ArchiveConfig, baseDir: string): string {
  if (cfg.spool.path) return resolve(baseDir, cfg.spool.path)
  const withPath = cfg.sinks.find((s): s is Extract<SinkConfig, { path: string }> => 'path' in s)
  if (!withPath) throw new GuardError('SG_ERR_CONFIG_INVALID', 'archive.spool.path is required when no sink has a path')
  return resolve(baseDir, withPath.path, 'spool')
}

function backoffMs(failures: number): number {
  return Math.min(5000, 50 * 2 ** Math.min(failures, 10)) * (0.5 + Math.random() / 2)
}

export async function createArchive(cfg: ArchiveConfig, deps: ArchiveDeps): Promise<Archive> {
  const clock = deps.clock ?? Date.now
  const log = deps.log.child({ component: 'archive' })
  const m = deps.metrics
  const sinkDeps: SinkDeps = { log, baseDir: deps.baseDir, clock }
  const entries: SinkEntry[] = cfg.sinks.map((s) => ({
    name: readerName(s),
    cfg: s,
    def: definitionOf(s),
    sink: undefined,
    opening: undefined,
    reader: undefined,
    pendingSince: undefined,
    done: undefined,
  }))
  const spool = await Spool.open(
    {
      dir: spoolDir(cfg, deps.baseDir),
      durability: cfg.durability,
      max_bytes: cfg.spool.max_bytes,
      segment_bytes: cfg.spool.segment_bytes,
      flush_interval_ms: cfg.spool.flush_interval_ms,
      readers: entries.map((e) => e.name),
      recent_json: entries.some((e) => !e.def.takesFrames),
    },
    {
      log,
      onFull: (full, refused) => {
        m.archiveSpoolFull.set(full ? 1 : 0)
        if (refused) m.archiveSpoolRejects.inc()
      },
    },
  )
  spool.readers().forEach((r, i) => (entries[i].reader = r))

  let status: ArchiveStatus = 'open'
  let stopping = false
  const wake = new AbortController()
  // Aborted when close() starts: drainers stop lingering and store what is left at once.
  const closing = new AbortController()
  let closePromise: Promise<void> | undefined
  const sinkLabel = entries.map((e) => e.cfg.sink)

  function updateGauges(): void {
    const s = spool.stats()
    m.archiveSpoolDepth.set(s.records)
    m.archiveSpoolBytes.set(s.bytes)
    const now = clock()
    let lag = 0
    for (const e of entries) if (e.pendingSince !== undefined) lag = Math.max(lag, (now - e.pendingSince) / 1000)
    m.archiveLag.set(lag)
  }

  function openSink(e: SinkEntry): Promise<Sink> {
    if (e.sink) return Promise.resolve(e.sink)
    e.opening ??= e.def.open(e.cfg, sinkDeps).then(
      (s) => {
        e.sink = s
        e.opening = undefined
        return s
      },
      (err: unknown) => {
        e.opening = undefined
        throw err
      },
    )
    return e.opening
  }

  async function drain(e: SinkEntry, label: string): Promise<void> {
    const reader = e.reader as SpoolReader
    const records = m.archiveRecords.labels(label)
    const errors = m.archiveWriteErrors.labels(label)
    let failures = 0
    // The next batch is read while this one is being stored.
    let ahead: Promise<SpoolBatch | null> | undefined
    const settle = () => void ahead?.catch(() => undefined)
    while (!stopping) {
      const batch = await (ahead ?? reader.next(cfg.spool.batch_records))
      ahead = undefined
      if (!batch) return
      const full = batch.count >= cfg.spool.batch_records
      if (!stopping && full) ahead = reader.next(cfg.spool.batch_records)
      const first = batch.first
      // When the record was appended, near enough: a long message is received long before it is decided.
      e.pendingSince = first.kind === 'message' ? first.decided_at : first.at
      for (;;) {
        if (stopping) return settle()
        try {
          const sink = await openSink(e)
          await (sink.writeFrames
            ? sink.writeFrames(batch.frames())
            : sink.writePayloads
              ? sink.writePayloads(batch.payloads)
              : sink.write(batch.records))
          break
        } catch (err) {
          failures++
          errors.inc()
          if (failures === 1) log.error({ sink: label, err: (err as Error).message }, 'archive sink write failed')
          updateGauges()
          try {
            await sleep(backoffMs(failures), undefined, { signal: wake.signal })
          } catch {
            return settle()
          }
        }
      }
      if (failures > 0) {
        log.warn({ sink: label, failures }, 'archive sink recovered')
        failures = 0
      }
      records.inc(batch.count)
      await reader.commit(batch)
      if (reader.isCaughtUp()) e.pendingSince = undefined
      updateGauges()
      if (!full && cfg.spool.linger_ms > 0 && !closing.signal.aborted) {
        await sleep(cfg.spool.linger_ms, undefined, { signal: closing.signal }).catch(() => undefined)
      }
    }
    settle()
  }

  async function purge(): Promise<number> {
    const before = clock() - cfg.retention_days * DAY_MS
    let removed = 0
    for (const e of entries) {
      try {
        const n = await (await openSink(e)).purge(before)
        if (n > 0) log.info({ sink: e.cfg.sink, days: n }, 'archive purged')
        removed += n
      } catch (err) {
        log.error({ sink: e.cfg.sink, err: (err as Error).message }, 'archive purge failed')
      }
    }
    return removed
  }

  entries.forEach((e, i) => {
    e.done = drain(e, sinkLabel[i]).catch((err: unknown) => {
      // A reader error means the spool itself is damaged: stop taking records rather than lose them.
      log.fatal({ sink: sinkLabel[i], err: (err as Error).message }, 'archive drainer stopped')
      spool.destroy(err as Error)
    })
  })
  const gaugeTimer = setInterval(updateGauges, 1000).unref()
  const purgeTimer = setInterval(() => void purge(), cfg.purge_interval_ms).unref()
  const firstPurge = purge()

  async function releaseSinks(destroyErr?: Error): Promise<void> {
    for (const e of entries) {
      const sink = e.sink ?? (await e.opening?.catch(() => undefined))
      if (!sink) continue
      if (destroyErr) sink.destroy(destroyErr)
      else await sink.close().catch((err: unknown) => log.error({ sink: e.cfg.sink, err: (err as Error).message }, 'archive sink close failed'))
    }
  }

  const archive: Archive = {
    append(record) {
      // A record no sink can store would stall its drainer for good (delivery retries until it succeeds).
      if (typeof record.id !== 'string' || !Number.isFinite(recordTime(record))) {
        return Promise.reject(new GuardError('SG_ERR_ARCHIVE_WRITE', 'record needs a string id and a finite time'))
      }
      return spool.append(record)
    },
    async *query(q) {
      yield* (await openSink(entries[0])).query(q)
    },
    purge,
    stats: () => spool.stats(),
    get accepting() {
      return status === 'open' && spool.accepting
    },
    get status() {
      return status
    },
    close() {
      closePromise ??= (async () => {
        status = 'closing'
        closing.abort()
        clearInterval(purgeTimer)
        await firstPurge
        await spool.close()
        const drained = Promise.all(entries.map((e) => e.done))
        let timer: NodeJS.Timeout | undefined
        const deadline = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), cfg.close_timeout_ms)))
        const outcome = await Promise.race([drained.then(() => 'drained' as const), deadline])
        clearTimeout(timer)
        stopping = true
        wake.abort()
        if (outcome === 'timeout') {
          const s = spool.stats()
          log.warn({ records: s.records }, 'archive closed with records still in the spool')
          // A write stuck on a dead server would hold close() forever: the spool keeps the batch.
          await releaseSinks(new GuardError('SG_ERR_SHUTTING_DOWN', 'archive close deadline'))
          await drained
        } else {
          await releaseSinks()
        }
        clearInterval(gaugeTimer)
        updateGauges()
        await spool.closeFiles()
        status = 'closed'
      })()
      return closePromise
    },
    destroy(err) {
      if (status === 'closed') return
      status = 'closed'
      stopping = true
      wake.abort()
      closing.abort()
      clearInterval(purgeTimer)
      clearInterval(gaugeTimer)
      spool.destroy(err)
      void releaseSinks(err)
      closePromise ??= Promise.resolve()
    },
  }
  return archive
}

export interface ArchiveReader {
  query(q: ArchiveQuery): AsyncIterable<QueryRow>
  /** Bytes in the spool that some sink has not stored yet: a query may miss them. */
  spoolBacklogBytes(): number
  close(): Promise<void>
}

/**
 * Read-only access for the CLI while the proxy may be running: opens one sink (the first by default) and
 * reads the spool's files without taking its lock.
 */
export async function openArchiveReader(cfg: ArchiveConfig, deps: Pick<ArchiveDeps, 'log' | 'baseDir' | 'clock'>, sinkIndex = 0): Promise<ArchiveReader> {
  const sc = cfg.sinks[sinkIndex]
  if (!sc) throw new GuardError('SG_ERR_USAGE', `archive has no sink number ${sinkIndex}`)
  const sink = await definitionOf(sc).open(sc, { log: deps.log, baseDir: deps.baseDir, clock: deps.clock ?? Date.now })
  const dir = spoolDir(cfg, deps.baseDir)
  return {
    query: (q) => sink.query(q),
    spoolBacklogBytes() {
      let names: string[]
      try {
        names = readdirSync(dir)
      } catch {
        return 0
      }
      const segments = names.filter((n) => /^seg-\d{16}\.log$/.test(n)).sort()
      let worst = 0
      for (const s of cfg.sinks) {
        let cursor = { segment: 0, offset: 0 }
        try {
          cursor = JSON.parse(readFileSync(join(dir, `cursor-${readerName(s)}.json`), 'utf8')) as typeof cursor
        } catch {
          // No cursor yet: the whole spool is pending for this sink.
        }
        let bytes = 0
        for (const name of segments) {
          const n = Number(name.slice(4, 20))
          const size = statSync(join(dir, name)).size
          if (n > cursor.segment) bytes += size
          else if (n === cursor.segment) bytes += Math.max(0, size - cursor.offset)
        }
        worst = Math.max(worst, bytes)
      }
      return worst
    },
    close: () => sink.close(),
  }
}

/** For commands: loads the config file (--config, SMPP_GUARD_CONFIG or the default) and opens a reader. */
export async function openConfiguredReader(configFlag: string | undefined, sinkIndex = 0): Promise<ArchiveReader> {
  const loaded = loadConfig(configPath(configFlag))
  const log = pino({ level: 'warn', base: { name: 'smpp-guard' } }, pino.destination({ dest: 2, sync: true }))
  return openArchiveReader(loaded.config.archive, { log, baseDir: loaded.baseDir }, sinkIndex)
}
