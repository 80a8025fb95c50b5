// A config file with an archive holding a known set of records, for the archive and report command tests.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import pino from 'pino'
import { createArchive } from '../../src/archive/archive.js'
import { ArchiveSchema } from '../../src/archive/config.js'
import { createMetrics } from '../../src/ops/metrics.js'
import type { ArchiveRecord } from '../../src/archive/record.js'

export async function archiveWith(dir: string, records: readonly ArchiveRecord[]): Promise<string> {
  const file = join(dir, 'smpp-guard.yaml')
  writeFileSync(file, 'archive:\n  sink: sqlite\n  path: ../data/archive\n  retention_days: 30\n')
  const archive = await createArchive(ArchiveSchema.parse({ sink: 'sqlite', path: '../data/archive', worker: false }), {
    log: pino({ level: 'silent' }),
    metrics: createMetrics(),
    baseDir: dir,
  })
  for (const r of records) await archive.append(r)
  await archive.close()
  return file
}

export function captureIo() {
  const out = new PassThrough()
  const err = new PassThrough()
  const chunks = { out: '', err: '' }
  out.on('data', (c: Buffer) => (chunks.out += c.toString()))
  err.on('data', (c: Buffer) => (chunks.err += c.toString()))
  return { io: { out, err }, chunks }
}
