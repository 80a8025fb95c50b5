// Behaviour every state backend must show. memory.test.ts and redis.test.ts run it against a fresh
// instance each time; the windows and the bucket are driven by explicit `now` values, never by sleeping.
import type { Test } from 'tap'
import fc from 'fast-check'
import type { State } from '../../src/state/types.js'

export type MakeState = (t: Test) => Promise<State>

const MIN = 60_000
// A fixed instant in the middle of a minute, so "the same window" and "the next window" are unambiguous.
const T0 = Date.UTC(2026, 0, 1, 10, 0, 30)

export function stateContract(t: Test, make: MakeState): void {
  t.test('sets: add, has, remove, members, size', async (t) => {
    const s = await make(t)
    t.equal(await s.has('optout:a', '8613800138000'), false)
    await s.add('optout:a', '8613800138000')
    await s.add('optout:a', '8613800138000')
    await s.add('optout:a', '8613900139000')
    await s.add('optout:b', '8613700137000')
    t.equal(await s.has('optout:a', '8613800138000'), true)
    t.equal(await s.has('optout:b', '8613800138000'), false, 'sets are separate')
    t.equal(await s.size('optout:a'), 2)
    t.same(await s.members('optout:a'), ['8613800138000', '8613900139000'])
    t.same(await s.members('optout:a', 1), ['8613800138000'])
    t.equal(await s.remove('optout:a', '8613800138000'), true)
    t.equal(await s.remove('optout:a', '8613800138000'), false, 'second remove finds nothing')
    t.same(await s.members('optout:a'), ['8613900139000'])
    t.same(await s.members('nothing'), [])
    t.equal(await s.size('nothing'), 0)
  })

  t.test('values: set, get, del', async (t) => {
    const s = await make(t)
    t.equal(await s.get('suspension:x'), null)
    await s.set('suspension:x', '{"cause":"admin"}')
    t.equal(await s.get('suspension:x'), '{"cause":"admin"}')
    t.equal(await s.del('suspension:x'), true)
    t.equal(await s.del('suspension:x'), false)
    t.equal(await s.get('suspension:x'), null)
  })

  t.test('token bucket: burst, then one token per 1/rate seconds', async (t) => {
    const s = await make(t)
    const bucket = { key: 'tb:acct', rate: 2, burst: 3 }
    const at = (now: number) => s.consume({ now, offset_ms: 0, bucket, caps: [] })
    for (let i = 0; i < 3; i++) t.same(await at(T0), { ok: true }, `burst message ${i + 1}`)
    t.same(await at(T0), { ok: false, failed: 'bucket' }, 'burst + 1 is refused')
    t.same(await at(T0 + 499), { ok: false, failed: 'bucket' }, 'not yet refilled')
    t.same(await at(T0 + 500), { ok: true }, 'one token after 1/rate s')
    t.same(await at(T0 + 500), { ok: false, failed: 'bucket' })
    t.same(await at(T0 + 60_000), { ok: true }, 'a long pause refills up to burst only')
    t.same(await at(T0 + 60_000), { ok: true })
    t.same(await at(T0 + 60_000), { ok: true })
    t.same(await at(T0 + 60_000), { ok: false, failed: 'bucket' })
  })

  t.test('rate 0 means no bucket', async (t) => {
    const s = await make(t)
    for (let i = 0; i < 5; i++) t.same(await s.consume({ now: T0, offset_ms: 0, bucket: { key: 'tb:free', rate: 0, burst: 0 }, caps: [] }), { ok: true })
  })

  t.test('window cap: limit exactly, refused above it, fresh in the next window', async (t) => {
    const s = await make(t)
    const caps = [{ key: 'ra:acct:8613800138000', window_ms: MIN, limit: 2 }]
    const at = (now: number) => s.consume({ now, offset_ms: 0, caps })
    t.same(await at(T0), { ok: true })
    t.same(await at(T0 + 1000), { ok: true })
    t.same(await at(T0 + 2000), { ok: false, failed: 0 }, 'third in the same minute')
    const lastMs = T0 - 30_000 + MIN - 1
    t.same(await at(lastMs), { ok: false, failed: 0 }, 'last millisecond of the window')
    t.same(await at(lastMs + 1), { ok: true }, 'first millisecond of the next window')
  })

  t.test('windows follow the offset (a day starts at local midnight)', async (t) => {
    const s = await make(t)
    const day = 86_400_000
    const cst = 8 * 3600_000
    const caps = [{ key: 'ra:acct:day', window_ms: day, limit: 1 }]
    const localMidnight = Date.UTC(2026, 0, 2) - cst // 2026-01-02 00:00 in UTC+8
    t.same(await s.consume({ now: localMidnight - 1, offset_ms: cst, caps }), { ok: true })
    t.same(await s.consume({ now: localMidnight - 1, offset_ms: cst, caps }), { ok: false, failed: 0 })
    t.same(await s.consume({ now: localMidnight, offset_ms: cst, caps }), { ok: true }, 'new local day')
  })

  t.test('all or nothing: a refused message counts nowhere', async (t) => {
    const s = await make(t)
    const wide = { key: 'rg:8613800138000', window_ms: MIN, limit: 3 }
    const narrow = { key: 'ra:acct:8613800138000', window_ms: MIN, limit: 1 }
    const bucket = { key: 'tb:acct2', rate: 1, burst: 10 }
    t.same(await s.consume({ now: T0, offset_ms: 0, bucket, caps: [wide, narrow] }), { ok: true })
    for (let i = 0; i < 5; i++) {
      t.same(await s.consume({ now: T0, offset_ms: 0, bucket, caps: [wide, narrow] }), { ok: false, failed: 1 })
    }
    t.same(await s.consume({ now: T0, offset_ms: 0, caps: [wide] }), { ok: true }, 'wide cap still has room')
    t.same(await s.consume({ now: T0, offset_ms: 0, caps: [wide] }), { ok: true })
    t.same(await s.consume({ now: T0, offset_ms: 0, caps: [wide] }), { ok: false, failed: 0 })
    for (let i = 0; i < 9; i++) t.same(await s.consume({ now: T0, offset_ms: 0, bucket, caps: [] }), { ok: true }, 'bucket untouched by refusals')
    t.same(await s.consume({ now: T0, offset_ms: 0, bucket, caps: [] }), { ok: false, failed: 'bucket' })
  })

  t.test('an empty bucket stops the message before any cap is counted', async (t) => {
    const s = await make(t)
    const cap = { key: 'ra:acct3:x', window_ms: MIN, limit: 2 }
    const bucket = { key: 'tb:acct3', rate: 1, burst: 1 }
    t.same(await s.consume({ now: T0, offset_ms: 0, bucket, caps: [cap] }), { ok: true })
    t.same(await s.consume({ now: T0, offset_ms: 0, bucket, caps: [cap] }), { ok: false, failed: 'bucket' })
    t.same(await s.consume({ now: T0, offset_ms: 0, caps: [cap] }), { ok: true }, 'the cap counted one message only')
    t.same(await s.consume({ now: T0, offset_ms: 0, caps: [cap] }), { ok: false, failed: 0 })
  })

  t.test('counters: incr by weight within a window, reset', async (t) => {
    const s = await make(t)
    t.equal(await s.incr('dv:acct', MIN, T0), 1)
    t.equal(await s.incr('dv:acct', MIN, T0 + 1, 3), 4)
    t.equal(await s.incr('dv:acct', MIN, T0 + MIN), 1, 'next window starts at zero')
    await s.resetCounter('dv:acct', MIN, T0 + MIN)
    t.equal(await s.incr('dv:acct', MIN, T0 + MIN), 1, 'reset zeroes the current window')
  })

  t.test('after close every call fails instead of hanging', async (t) => {
    const s = await make(t)
    await s.close()
    await t.rejects(s.has('x', 'y'), { code: 'SG_ERR_STATE_UNAVAILABLE' })
    await t.rejects(s.consume({ now: T0, offset_ms: 0, caps: [] }), { code: 'SG_ERR_STATE_UNAVAILABLE' })
    t.equal(s.close(), s.close(), 'close is idempotent')
  })
}

/** A reference model of consume(): plain arrays, obviously right, slow. It never forgets a window. */
export function modelConsume(
  m: { counts: Map<string, number>; tokens: Map<string, { t: number; at: number }> },
  req: { now: number; offset_ms: number; bucket?: { key: string; rate: number; burst: number }; caps: readonly { key: string; window_ms: number; limit: number }[] },
): { ok: true } | { ok: false; failed: 'bucket' | number } {
  let tokens = 0
  let at = req.now
  if (req.bucket && req.bucket.rate > 0) {
    const b = m.tokens.get(req.bucket.key)
    tokens = b ? b.t : req.bucket.burst
    at = b ? b.at : req.now
    if (b && req.now > b.at) {
      tokens = Math.min(req.bucket.burst, b.t + ((req.now - b.at) * req.bucket.rate) / 1000)
      at = req.now
    }
    if (tokens < 1) return { ok: false, failed: 'bucket' }
  }
  const keys = req.caps.map((c) => `${c.key}|${c.window_ms}|${Math.floor((req.now + req.offset_ms) / c.window_ms)}`)
  for (let i = 0; i < req.caps.length; i++) if ((m.counts.get(keys[i]) ?? 0) + 1 > req.caps[i].limit) return { ok: false, failed: i }
  if (req.bucket && req.bucket.rate > 0) m.tokens.set(req.bucket.key, { t: tokens - 1, at })
  for (const k of keys) m.counts.set(k, (m.counts.get(k) ?? 0) + 1)
  return { ok: true }
}

export function stateModelCheck(t: Test, make: MakeState): void {
  t.test('consume agrees with a reference model on random sequences (property)', async (t) => {
    const s = await make(t)
    const cap = fc.record({ key: fc.constantFrom('a', 'b', 'c'), window_ms: fc.constantFrom(1000, 5000, 60_000), limit: fc.integer({ min: 0, max: 4 }) })
    const op = fc.record({
      dt: fc.integer({ min: 0, max: 2500 }),
      bucket: fc.option(fc.record({ key: fc.constantFrom('x', 'y'), rate: fc.constantFrom(1, 2), burst: fc.integer({ min: 1, max: 3 }) }), { nil: undefined }),
      caps: fc.array(cap, { maxLength: 5 }),
    })
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        // Each run gets keys of its own, so earlier runs leave nothing behind.
        const tag = `p${run++}:`
        const model = { counts: new Map<string, number>(), tokens: new Map<string, { t: number; at: number }>() }
        let now = T0
        for (const o of ops) {
          now += o.dt
          // The rate of one bucket key must not change between calls: fix it per key.
          const bucket = o.bucket && { key: tag + o.bucket.key, rate: o.bucket.key === 'x' ? 1 : 2, burst: o.bucket.key === 'x' ? 2 : 3 }
          const req = { now, offset_ms: 0, bucket, caps: o.caps.map((c) => ({ ...c, key: tag + c.key })) }
          const want = modelConsume(model, req)
          const got = await s.consume(req)
          if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`at ${now - T0} ms ${JSON.stringify(req)}: got ${JSON.stringify(got)}, model ${JSON.stringify(want)}`)
        }
      }),
      { numRuns: 40 },
    )
    t.pass('matches the model')
  })
}
