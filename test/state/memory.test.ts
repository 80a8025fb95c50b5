import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryState } from '../../src/state/memory.js'
import type { State, SyncState } from '../../src/state/types.js'
import { createState } from '../../src/state/index.js'
import { MemoryStateSchema } from '../../src/state/config.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { stateContract, stateModelCheck } from './contract.js'
import { silentLog, capturingLog, stateErrorCount } from './fixture.js'

const deps = () => ({ log: silentLog, metrics: createMetrics() })

t.test('memory backend passes the state contract', async (t) => {
  const make = async (t: Test) => {
    const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), deps())
    t.teardown(() => s.close())
    return s
  }
  stateContract(t, make)
  stateModelCheck(t, make)
})

t.test('its synchronous has and consume pass the same contract', async (t) => {
  const make = async (t: Test): Promise<State> => {
    const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), deps())
    t.teardown(() => s.close())
    const sync = s.sync as SyncState
    // The promise forms replaced by the synchronous ones, so every contract check goes through them.
    const settle = <T>(fn: () => T): Promise<T> => {
      try {
        return Promise.resolve(fn())
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return { ...s, has: (set, member) => settle(() => sync.has(set, member)), consume: (req) => settle(() => sync.consume(req)) }
  }
  stateContract(t, make)
  stateModelCheck(t, make)
})

t.test('createState picks the backend from config', async (t) => {
  const s = createState({ backend: 'memory', max_counters: 1000, journal: '' }, deps())
  t.teardown(() => s.close())
  t.equal(s.backend, 'memory')
})

t.test('journal keeps sets and values across restarts, compacted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-state-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cfg = MemoryStateSchema.parse({ backend: 'memory', journal: 'state/journal.jsonl' })
  const a = createMemoryState(cfg, { ...deps(), baseDir: dir })
  await a.add('optout:acme', '8613800138000')
  await a.add('optout:acme', '8613900139000')
  await a.remove('optout:acme', '8613900139000')
  await a.set('suspension:acme', '{"cause":"admin"}')
  await a.incr('dv:acme', 60_000, Date.now())
  await a.close()
  const file = join(dir, 'state/journal.jsonl')
  t.equal(readFileSync(file, 'utf8').trim().split('\n').length, 4, 'one line per change, counters never written')

  const b = createMemoryState(cfg, { ...deps(), baseDir: dir })
  t.teardown(() => b.close())
  t.same(await b.members('optout:acme'), ['8613800138000'])
  t.equal(await b.get('suspension:acme'), '{"cause":"admin"}')
  t.equal(readFileSync(file, 'utf8').trim().split('\n').length, 2, 'rewritten compacted on open')
})

t.test('a torn last journal line is skipped with a log line, the rest is kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-state-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'j.jsonl')
  appendFileSync(file, JSON.stringify(['a', 'optout:x', '8613800138000']) + '\n' + '["a","optout:x","86')
  const { log, lines } = capturingLog()
  const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory', journal: file }), { log, metrics: createMetrics() })
  t.teardown(() => s.close())
  t.same(await s.members('optout:x'), ['8613800138000'])
  t.match(lines, [{ msg: 'state journal line unreadable, skipped', line: 2 }])
})

t.test('counters are bounded: the least recently used go first', async (t) => {
  const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory', max_counters: 1000 }), deps())
  t.teardown(() => s.close())
  const now = Date.UTC(2026, 0, 1, 10, 0, 30)
  const cap = (k: string) => [{ key: k, window_ms: 60_000, limit: 1 }]
  t.same(await s.consume({ now, offset_ms: 0, caps: cap('first') }), { ok: true })
  for (let i = 0; i < 1000; i++) await s.consume({ now, offset_ms: 0, caps: cap(`other${i}`) })
  t.same(await s.consume({ now, offset_ms: 0, caps: cap('first') }), { ok: true }, 'evicted, so counted afresh')
  t.same(await s.consume({ now, offset_ms: 0, caps: cap('other999') }), { ok: false, failed: 0 }, 'recent ones kept')
})

t.test('reportFailure counts every failure and logs once per interval', async (t) => {
  const { log, lines } = capturingLog()
  const metrics = createMetrics()
  const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log, metrics })
  t.teardown(() => s.close())
  for (let i = 0; i < 5; i++) s.reportFailure('rate_limit', 'open', new Error('boom'))
  t.equal(await stateErrorCount(metrics, 'rate_limit', 'open'), 5)
  t.equal(lines.length, 1)
  t.match(lines[0], { level: 40, stage: 'rate_limit', fail_mode: 'open', err: 'boom', msg: 'state unavailable, letting messages through' })
})
