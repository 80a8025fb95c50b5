// kill -9 in the middle of a run: every record the archive acknowledged must be in the archive after a
// restart. The child prints an id only after `append` resolved, so what we read is a subset of what it acked.
import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { createArchive, openArchiveReader } from '../../src/archive/archive.js'
import { ArchiveSchema } from '../../src/archive/config.js'
import { collect, newMetrics, silentLog } from './fixtures.js'

const child = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url))

t.test('acknowledged records survive kill -9', async (t) => {
  const dir = t.testdir()
  const proc = spawn(process.execPath, [...process.execArgv, child, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const acked: string[] = []
  const exited = new Promise<NodeJS.Signals | null>((res) => proc.on('exit', (_code, signal) => res(signal)))
  for await (const line of createInterface({ input: proc.stdout })) {
    if (line === 'ready') continue
    acked.push(line)
    if (acked.length === 3000) proc.kill('SIGKILL')
  }
  t.equal(await exited, 'SIGKILL')
  t.ok(acked.length >= 3000, `${acked.length} acknowledged before the kill`)

  const cfg = ArchiveSchema.parse({ sink: 'sqlite', path: 'archive' })
  const archive = await createArchive(cfg, { log: silentLog, metrics: newMetrics(), baseDir: dir })
  await archive.close()
  const reader = await openArchiveReader(cfg, { log: silentLog, baseDir: dir })
  const stored = new Set((await collect(reader.query({}))).map((r) => r.id))
  await reader.close()
  const missing = acked.filter((id) => !stored.has(id))
  t.same(missing, [], `all ${acked.length} acknowledged ids stored (${stored.size} records in the archive)`)
})
