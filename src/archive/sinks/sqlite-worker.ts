// Worker-thread side of the sqlite sink: better-sqlite3 is synchronous, and a batch of inserts plus the
// commit's fsync measured 100+ ms of event-loop stall on the main thread (scripts/bench/archive.ts). Here
// it stalls only this thread. Requests arrive as { id, op, ... } and are answered in order.
import { parentPort, workerData } from 'node:worker_threads'
import pino from 'pino'
import type { Sink } from '../sink.js'
import { lowerThisThread } from '../../util/thread-priority.js'
import { openSqliteSink, type SqliteSinkConfig } from './sqlite.js'

/** Nice value of the worker thread: 10 gives it about a tenth of the event loop's share when both want a CPU. */
const WORKER_NICE = 10

export type WorkerCall =
  /** `batch`: the records' JSON texts joined by newlines. */
  | { readonly op: 'write'; readonly batch: string }
  /** `frames`: the records as the spool framed them, transferred. */
  | { readonly op: 'frames'; readonly frames: Uint8Array }
  | { readonly op: 'purge'; readonly before: number }
  | { readonly op: 'close' }
export type WorkerRequest = WorkerCall & { readonly id: number }

export type WorkerReply = { readonly id: number; readonly ok: true; readonly result?: number } | { readonly id: number; readonly ok: false; readonly error: string }

// Records reach this thread a linger after they are durable in the spool, so its bursts of inserts can wait
// a few milliseconds; the event loop answering clients cannot. On a busy machine the scheduler now hands
// the CPU to the event loop first instead of preempting it for a batch.
lowerThisThread(WORKER_NICE)

const { cfg, baseDir } = workerData as { cfg: SqliteSinkConfig; baseDir: string }
const port = parentPort as NonNullable<typeof parentPort>
const sink = openSqliteSink(cfg, { log: pino({ level: 'silent' }), baseDir, clock: Date.now })
const writePayloads = sink.writePayloads as NonNullable<Sink['writePayloads']>
const writeFrames = sink.writeFrames as NonNullable<Sink['writeFrames']>

port.on('message', (req: WorkerRequest) => {
  void (async (): Promise<WorkerReply> => {
    switch (req.op) {
      case 'write':
        await writePayloads(req.batch.split('\n'))
        return { id: req.id, ok: true }
      case 'frames':
        await writeFrames(Buffer.from(req.frames.buffer, req.frames.byteOffset, req.frames.byteLength))
        return { id: req.id, ok: true }
      case 'purge':
        return { id: req.id, ok: true, result: await sink.purge(req.before) }
      case 'close':
        await sink.close()
        port.close()
        return { id: req.id, ok: true }
    }
  })().then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ id: req.id, ok: false, error: (err as Error).message } satisfies WorkerReply),
  )
})
