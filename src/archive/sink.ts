// The contract every archive sink implements (STYLE rule 13): `sinks/<kind>.ts` exports a SinkDefinition and
// `sinks/index.ts` lists it once; the archive config schema is the union of their `config` schemas.
import type { z } from 'zod'
import type { Logger } from 'pino'
import type { ArchiveRecord } from './record.js'
import type { ArchiveQuery, QueryRow } from './query.js'

export interface SinkDeps {
  readonly log: Logger
  /** Directory relative paths resolve against (the config file's directory). */
  readonly baseDir: string
  readonly clock: () => number
}

export interface Sink {
  readonly kind: string
  /**
   * Writes a batch durably enough to be dropped from the spool. Idempotent by record id: the drainer
   * delivers at least once, so a batch may come again after a crash or a failed write.
   */
  write(batch: readonly ArchiveRecord[]): Promise<void>
  /**
   * The same, given each record's JSON as spooled: a sink that stores the JSON (or hands it to a worker
   * thread) skips parsing and re-serialising it on the proxy's thread.
   */
  writePayloads?(payloads: readonly string[]): Promise<void>
  /**
   * The same, given the records as the spool framed them (`frame.ts`), in a buffer the sink may keep or
   * transfer: bytes cross to a worker thread cheaper than strings and bind as SQLite text without transcoding.
   */
  writeFrames?(frames: Buffer): Promise<void>
  /** Removes every day that ends at or before `before` (epoch ms); returns how many days were removed. */
  purge(before: number): Promise<number>
  /** Records matching `q` in time order, messages with their receipts joined. */
  query(q: ArchiveQuery): AsyncIterable<QueryRow>
  close(): Promise<void>
  destroy(err: Error): void
}

export interface SinkDefinition<S extends z.ZodObject = z.ZodObject> {
  readonly kind: string
  /** A strict object whose `sink` key is the literal `kind`. */
  readonly config: S
  /** Its sinks implement `writeFrames`: the spool need not keep recent records' JSON text for them. */
  readonly takesFrames?: boolean
  open(cfg: z.output<S>, deps: SinkDeps): Promise<Sink>
}

export function defineSink<S extends z.ZodObject>(def: SinkDefinition<S>): SinkDefinition<S> {
  return def
}
