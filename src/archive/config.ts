// The archive section. Its sinks declare their own schemas (STYLE rule 13); this file unions them. Two
// spellings are accepted: one sink inline (`sink: sqlite, path: …`, the DESIGN.md form) or several under
// `sinks:`. Both parse to the same shape, `{ …common, sinks: [...] }`.
import { z } from 'zod'
import { JsonlSinkSchema } from './sinks/jsonl.js'
import { PostgresSinkSchema } from './sinks/postgres.js'
import { SqliteSinkSchema } from './sinks/sqlite.js'

export const SinkConfigSchema = z.discriminatedUnion('sink', [SqliteSinkSchema, PostgresSinkSchema, JsonlSinkSchema])
export type SinkConfig = z.infer<typeof SinkConfigSchema>

export const SpoolSchema = z.strictObject({
  /** Spool directory, relative to the config file. Default: `spool` inside the first sink's `path`. */
  path: z.string().min(1).optional(),
  /** Disk cap: past it `append` fails with SG_ERR_ARCHIVE_SPOOL_FULL (and the client gets ESME_RMSGQFUL). */
  max_bytes: z.number().int().min(1024 * 1024).default(1024 * 1024 * 1024),
  segment_bytes: z.number().int().min(64 * 1024).default(16 * 1024 * 1024),
  /** In `async` durability: the longest a record waits in memory, i.e. the loss bound on a crash. */
  flush_interval_ms: z.number().int().min(1).max(10000).default(200),
  /** Records per sink write. */
  batch_records: z.number().int().min(1).max(20000).default(2000),
  /**
   * After a write smaller than `batch_records`, how long a drainer lets records gather before its next one.
   * A sink pays per write (a transaction and its fsync) about as much as per record: without it a drainer
   * that keeps up writes a handful of records at a time. Delays only what queries see, never an
   * acknowledgement; 0 writes as soon as records are spooled.
   */
  linger_ms: z.number().int().min(0).max(10000).default(100),
})
export type SpoolConfig = z.infer<typeof SpoolSchema>

const common = {
  /**
   * false keeps no record at all: for benchmarks and labs only. The enterprise commitment requires every
   * message to be kept, so a production config never sets it.
   */
  enabled: z.boolean().default(true),
  retention_days: z
    .number()
    .int()
    .min(30, { error: 'retention_days must be at least 30: the commitment keeps every message for a month' })
    .default(180),
  /** ack: append resolves once the record is fsynced in the spool; async: at once, loss ≤ flush_interval_ms. */
  durability: z.enum(['ack', 'async']).default('ack'),
  spool: SpoolSchema.default(SpoolSchema.parse({})),
  /** How often expired days are dropped. */
  purge_interval_ms: z.number().int().min(1000).default(3_600_000),
  /** How long close() keeps draining the spool into the sinks before leaving the rest for the next start. */
  close_timeout_ms: z.number().int().min(0).default(5000),
}

const MultiSchema = z.strictObject({ ...common, sinks: z.array(SinkConfigSchema).min(1) })
const SingleSchema = z.discriminatedUnion('sink', [
  SqliteSinkSchema.extend(common),
  PostgresSinkSchema.extend(common),
  JsonlSinkSchema.extend(common),
])

const CommonSchema = z.strictObject(common)
export type ArchiveConfig = z.output<typeof CommonSchema> & { readonly sinks: readonly SinkConfig[] }

const SINK_KEYS = new Set(Object.keys(common))

// A transform rather than z.union: a union that fails reports only "Invalid input", and a config error must
// name the key and the reason (STYLE rule 9). Issues of the chosen spelling keep their own paths.
export const ArchiveSchema = z.unknown().transform((input, ctx): ArchiveConfig => {
  const out = parseArchive(input, ctx)
  if (out !== z.NEVER && !out.spool.path && !out.sinks.some((s) => 'path' in s)) {
    ctx.addIssue({ code: 'custom', message: 'required when no sink has a path (the spool must live on local disk)', input, path: ['spool', 'path'] })
    return z.NEVER
  }
  return out
})

function parseArchive(input: unknown, ctx: z.core.$RefinementCtx): ArchiveConfig {
  const value = input ?? {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'archive must be a mapping', input })
    return z.NEVER
  }
  const v = value as Record<string, unknown>
  if ('sinks' in v && 'sink' in v) {
    ctx.addIssue({ code: 'custom', message: 'use either `sink` (one sink) or `sinks` (a list), not both', input, path: ['sink'] })
    return z.NEVER
  }
  if ('sinks' in v) {
    const r = MultiSchema.safeParse(v)
    if (r.success) return r.data
    for (const issue of r.error.issues) ctx.addIssue({ ...issue, code: 'custom', input: undefined })
    return z.NEVER
  }
  const r = SingleSchema.safeParse({ sink: 'sqlite', ...v })
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ ...issue, code: 'custom', input: undefined })
    return z.NEVER
  }
  const shared: Record<string, unknown> = {}
  const sink: Record<string, unknown> = {}
  for (const [k, val] of Object.entries(r.data)) (SINK_KEYS.has(k) ? shared : sink)[k] = val
  return { ...(shared as z.output<typeof CommonSchema>), sinks: [sink as SinkConfig] }
}
