import t, { type Test } from 'tap'
import fc from 'fast-check'
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CounterPool } from '../../src/state/counter-pool.js'
import { createMemoryState } from '../../src/state/memory.js'
import type { State, SyncState } from '../../src/state/types.js'
import { createState } from '../../src/state/index.js'
import { MemoryStateSchema } from '../../src/state/config.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { modelConsume, stateContract, stateModelCheck } from './contract.js'
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

t.test('counters are bounded: the oldest go first', async (t) => {
  const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory', max_counters: 1000 }), deps())
  t.teardown(() => s.close())
  const now = Date.UTC(2026, 0, 1, 10, 0, 30)
  const cap = (k: string) => [{ key: k, window_ms: 60_000, limit: 1 }]
  t.same(await s.consume({ now, offset_ms: 0, caps: cap('first') }), { ok: true })
  for (let i = 0; i < 1000; i++) await s.consume({ now, offset_ms: 0, caps: cap(`other${i}`) })
  t.equal(s.counterCount(), 1000)
  t.same(await s.consume({ now, offset_ms: 0, caps: cap('first') }), { ok: true }, 'evicted, so counted afresh')
  t.same(await s.consume({ now, offset_ms: 0, caps: cap('other999') }), { ok: false, failed: 0 }, 'recent ones kept')
  for (let i = 0; i < 5000; i++) await s.consume({ now, offset_ms: 0, caps: cap(`more${i}`) })
  t.equal(s.counterCount(), 1000, 'still at the cap after many more, interleaved with sweeps or not')
  s.sweepCounters(now, 100)
  for (let i = 0; i < 500; i++) await s.consume({ now, offset_ms: 0, caps: cap(`last${i}`) })
  t.equal(s.counterCount(), 1000)
  t.same(await s.consume({ now, offset_ms: 0, caps: cap('more4999') }), { ok: false, failed: 0 }, 'the newest survive the evictions')
})

t.test('a request whose new key evicts a key it found counts each key once', async (t) => {
  const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory', max_counters: 1000 }), deps())
  t.teardown(() => s.close())
  const now = Date.UTC(2026, 0, 1, 10, 0, 30)
  await s.consume({ now, offset_ms: 0, caps: [{ key: 'oldest', window_ms: 60_000, limit: 10 }] })
  for (let i = 0; i < 999; i++) await s.consume({ now, offset_ms: 0, caps: [{ key: `k${i}`, window_ms: 60_000, limit: 10 }] })
  // Counting 'new' evicts 'oldest', which the same request found in its first pass and counts next.
  const caps = [
    { key: 'new', window_ms: 60_000, limit: 10 },
    { key: 'oldest', window_ms: 60_000, limit: 10 },
  ]
  t.same(await s.consume({ now, offset_ms: 0, caps }), { ok: true })
  t.equal(await s.incr('new', 60_000, now, 0), 1, "the new key's own count, not the evicted one's added to it")
  t.equal(await s.incr('k998', 60_000, now, 0), 1, 'the other keys untouched')
})

t.test('a new key twice in one request, apart: one entry, both windows counted on it', async (t) => {
  const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), deps())
  t.teardown(() => s.close())
  const now = Date.UTC(2026, 0, 1, 10, 0, 30)
  const caps = [
    { key: 'a', window_ms: 60_000, limit: 5 },
    { key: 'b', window_ms: 60_000, limit: 5 },
    { key: 'a', window_ms: 3_600_000, limit: 1 },
  ]
  t.same(s.sync!.consume({ now, offset_ms: 0, caps }), { ok: true })
  t.equal(s.counterCount(), 2)
  t.same(s.sync!.consume({ now, offset_ms: 0, caps }), { ok: false, failed: 2 }, "the hour window is a's")
  t.equal(await s.incr('a', 60_000, now, 0), 1, 'and so is the minute window, counted once')
})

t.test('counters by the million: the pool grows and widens and hands ids back', async (t) => {
  const pool = new CounterPool(2, 1)
  const ids = Array.from({ length: 1000 }, () => pool.alloc())
  t.equal(new Set(ids).size, 1000, 'distinct ids while none is released')
  for (const [i, e] of ids.entries()) {
    pool.append(e, 60_000, i, i + 1)
    pool.append(e, 3_600_000, i, 2 * i)
    pool.extend(e, i)
  }
  for (const [i, e] of ids.entries()) {
    t.equal(pool.count(pool.find(e, 60_000)), i + 1)
    if (pool.count(pool.find(e, 3_600_000)) !== 2 * i || pool.window(pool.find(e, 60_000)) !== i || pool.end(e) !== i) t.fail(`entry ${e}`)
  }
  t.equal(pool.find(ids[0], 86_400_000), -1)
  pool.release(ids[5])
  const again = pool.alloc()
  t.equal(again, ids[5], 'a released id is handed out again')
  t.equal(pool.find(again, 60_000), -1, 'without the windows it had')
  t.equal(pool.end(again), -Infinity)
})

const MIN = 60_000
const HOUR = 3_600_000
// 10:00:30 UTC: the minute window ends at 10:01:00, the hour window at 11:00:00.
const T0 = Date.UTC(2026, 0, 1, 10, 0, 30)
const minuteEnd = T0 + 30_000
const hourEnd = T0 + HOUR - 30_000
const memory = (t: Test, max_counters = 1_000_000) => {
  const s = createMemoryState(MemoryStateSchema.parse({ backend: 'memory', max_counters }), deps())
  t.teardown(() => s.close())
  return s
}
// The first call ends the pass an earlier call left unfinished, the second walks the whole Map.
const sweepAll = (s: ReturnType<typeof memory>, now: number) => s.sweepCounters(now, Infinity, Infinity) + s.sweepCounters(now, Infinity, Infinity)

t.test('a counter goes once every one of its windows has ended, not before', async (t) => {
  const s = memory(t)
  const short = [{ key: 'ra:a:1', window_ms: MIN, limit: 5 }]
  const long = [
    { key: 'ra:a:2', window_ms: MIN, limit: 5 },
    { key: 'ra:a:2', window_ms: HOUR, limit: 2 },
  ]
  t.same(s.sync!.consume({ now: T0, offset_ms: 0, caps: short }), { ok: true })
  t.same(s.sync!.consume({ now: T0, offset_ms: 0, caps: long }), { ok: true })
  t.same(s.sync!.consume({ now: T0 + 1, offset_ms: 0, caps: long }), { ok: true })
  t.equal(s.counterCount(), 2)
  t.equal(sweepAll(s, minuteEnd - 1), 0, 'the minute has not ended')
  t.equal(sweepAll(s, minuteEnd), 1, 'the minute-only counter goes when its minute ends')
  t.equal(s.counterCount(), 1)
  t.same(s.sync!.consume({ now: minuteEnd, offset_ms: 0, caps: long }), { ok: false, failed: 1 }, 'the hour still counts 2 of 2')
  t.same(s.sync!.consume({ now: minuteEnd, offset_ms: 0, caps: short }), { ok: true }, 'a fresh minute for the swept one')
  t.equal(sweepAll(s, hourEnd - 1), 1, 'the new minute-only counter ends with its minute; the hour one stays')
  t.equal(sweepAll(s, hourEnd), 1)
  t.equal(s.counterCount(), 0, 'nothing left')
})

t.test('a new window moves the end forward; incr counters expire too', async (t) => {
  const s = memory(t)
  const caps = [{ key: 'rd:a:1:h', window_ms: MIN, limit: 1 }]
  t.same(s.sync!.consume({ now: T0, offset_ms: 0, caps }), { ok: true })
  t.same(s.sync!.consume({ now: minuteEnd + 10, offset_ms: 0, caps }), { ok: true }, 'next minute')
  await s.incr('dv:a', MIN, T0, 3)
  t.equal(sweepAll(s, minuteEnd + 10), 1, 'the incr counter ended with its minute')
  t.equal(sweepAll(s, minuteEnd + MIN - 1), 0, 'the rolled-over counter lives to the end of its new minute')
  t.same(s.sync!.consume({ now: minuteEnd + MIN - 1, offset_ms: 0, caps }), { ok: false, failed: 0 })
  t.equal(sweepAll(s, minuteEnd + MIN), 1)
})

t.test('the end follows the offset: a day counter lives to local midnight', async (t) => {
  const s = memory(t)
  const cst = 8 * HOUR
  const localMidnight = Date.UTC(2026, 0, 2) - cst
  const caps = [{ key: 'ra:a:day', window_ms: 24 * HOUR, limit: 1 }]
  t.same(s.sync!.consume({ now: localMidnight - 5 * HOUR, offset_ms: cst, caps }), { ok: true })
  t.equal(sweepAll(s, localMidnight - 1), 0)
  t.equal(sweepAll(s, localMidnight), 1)
})

t.test('a sweep does bounded work, resumes where it stopped, and gives the memory back', async (t) => {
  const s = memory(t)
  for (let i = 0; i < 3000; i++) s.sync!.consume({ now: T0, offset_ms: 0, caps: [{ key: `rd:a:${i}:h`, window_ms: 30_000, limit: 1 }] })
  for (let i = 0; i < 1000; i++) s.sync!.consume({ now: T0, offset_ms: 0, caps: [{ key: `ra:a:${i}`, window_ms: HOUR, limit: 1 }] })
  t.equal(s.sweepCounters(minuteEnd, 500), 500, 'looks at no more than asked')
  t.equal(s.sweepCounters(minuteEnd, Infinity, 700), 700, 'drops no more than asked')
  t.equal(s.counterCount(), 2800)
  let rounds = 0
  while (s.counterCount() > 1000 && rounds++ < 100) s.sweepCounters(minuteEnd, 400)
  t.equal(s.counterCount(), 1000, 'every ended counter gone, every live one kept')
  t.same(s.sync!.consume({ now: minuteEnd, offset_ms: 0, caps: [{ key: 'ra:a:999', window_ms: HOUR, limit: 1 }] }), { ok: false, failed: 0 })
})

t.test('sweeps at the time of the latest request change no answer (property)', async (t) => {
  const s = memory(t, 1000)
  const cap = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), window_ms: fc.constantFrom(1000, 5000, 60_000), limit: fc.integer({ min: 0, max: 4 }) })
  const op = fc.record({
    dt: fc.integer({ min: 0, max: 7000 }),
    offset_ms: fc.constantFrom(0, 250, 3_600_000),
    caps: fc.array(cap, { maxLength: 5 }),
    sweep: fc.option(fc.record({ look: fc.integer({ min: 1, max: 6 }), drop: fc.integer({ min: 1, max: 6 }) }), { nil: undefined }),
  })
  let run = 0
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
      const tag = `q${run++}:`
      const model = { counts: new Map<string, number>(), tokens: new Map<string, { t: number; at: number }>() }
      let now = T0
      for (const o of ops) {
        now += o.dt
        // One offset per run: a key's windows must be cut the same way on every call, as a time zone does.
        const req = { now, offset_ms: ops[0].offset_ms, caps: o.caps.map((c) => ({ ...c, key: tag + c.key })) }
        if (o.sweep) s.sweepCounters(now, o.sweep.look, o.sweep.drop)
        const want = modelConsume(model, req)
        const got = s.sync!.consume(req)
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`at ${now - T0} ms ${JSON.stringify(req)}: got ${JSON.stringify(got)}, model ${JSON.stringify(want)}`)
      }
      sweepAll(s, T0 + HOUR)
      if (s.counterCount() !== 0) throw new Error(`${s.counterCount()} counters left after every window ended`)
    }),
    { numRuns: 200 },
  )
  t.pass('matches the model')
})

t.test('the timer sweeps on the clock the requests bring, and stops on close', async (t) => {
  const s = memory(t)
  const now = Date.now()
  s.sync!.consume({ now: now - 2 * MIN, offset_ms: 0, caps: [{ key: 'old', window_ms: MIN, limit: 1 }] })
  s.sync!.consume({ now, offset_ms: 0, caps: [{ key: 'current', window_ms: HOUR, limit: 1 }] })
  while (s.counterCount() > 1) await new Promise((r) => setTimeout(r, 100))
  t.same(s.sync!.consume({ now, offset_ms: 0, caps: [{ key: 'current', window_ms: HOUR, limit: 1 }] }), { ok: false, failed: 0 }, 'the live one kept')
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
