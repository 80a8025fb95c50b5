import t, { type Test } from 'tap'
import { createRedisState } from '../../src/state/redis.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { stateContract, stateModelCheck } from './contract.js'
import { silentLog, capturingLog } from './fixture.js'
import { freePort, isolatedConfig, requireRedis, startPrivateRedis } from './redis-server.js'

const deps = () => ({ log: silentLog, metrics: createMetrics() })
const T0 = Date.UTC(2026, 0, 1, 10, 0, 30)

t.test('redis backend passes the state contract', async (t) => {
  if (!(await requireRedis(t))) return
  const make = async (t: Test) => {
    const s = createRedisState(isolatedConfig(t), deps())
    t.teardown(() => s.close())
    await s.ready()
    return s
  }
  stateContract(t, make)
  stateModelCheck(t, make)
})

t.test('two instances on one Redis share a recipient cap and a bucket', async (t) => {
  if (!(await requireRedis(t))) return
  const cfg = isolatedConfig(t)
  const a = createRedisState(cfg, deps())
  const b = createRedisState(cfg, deps())
  t.teardown(() => Promise.all([a.close(), b.close()]))
  await Promise.all([a.ready(), b.ready()])
  const caps = [{ key: 'rg:8613800138000', window_ms: 60_000, limit: 3 }]
  // Concurrent requests from both: exactly `limit` may pass, whatever the interleaving.
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).consume({ now: T0, offset_ms: 0, caps })))
  t.equal(results.filter((r) => r.ok).length, 3)
  t.same(await a.consume({ now: T0, offset_ms: 0, caps }), { ok: false, failed: 0 })
  t.same(await b.consume({ now: T0, offset_ms: 0, caps }), { ok: false, failed: 0 })

  const bucket = { key: 'tb:acct', rate: 1, burst: 2 }
  t.same(await a.consume({ now: T0, offset_ms: 0, bucket, caps: [] }), { ok: true })
  t.same(await b.consume({ now: T0, offset_ms: 0, bucket, caps: [] }), { ok: true })
  t.same(await a.consume({ now: T0, offset_ms: 0, bucket, caps: [] }), { ok: false, failed: 'bucket' }, 'the burst is shared')

  await a.add('optout:acct', '8613800138000')
  t.equal(await b.has('optout:acct', '8613800138000'), true, 'opt-outs are shared')
})

t.test('nothing listening: calls fail at once, ready() rejects, one log line', async (t) => {
  const port = await freePort()
  const { log, lines } = capturingLog()
  const s = createRedisState(isolatedConfig(t, { url: `redis://127.0.0.1:${port}`, connect_timeout_ms: 200 }), { log, metrics: createMetrics() })
  t.teardown(() => s.close())
  await t.rejects(s.ready(), { code: 'SG_ERR_STATE_UNAVAILABLE' })
  for (let i = 0; i < 20; i++) {
    await t.rejects(s.consume({ now: T0, offset_ms: 0, caps: [{ key: 'k', window_ms: 1000, limit: 1 }] }), { code: 'SG_ERR_STATE_UNAVAILABLE' })
  }
  t.equal(lines.filter((l) => l.msg === 'state backend unavailable').length, 1, 'reconnect attempts do not repeat the line')
})

t.test('a frozen server: the command times out instead of hanging; a restart recovers', async (t) => {
  const server = await startPrivateRedis(t)
  const { log, lines } = capturingLog()
  const s = createRedisState(isolatedConfig(t, { url: server.url, command_timeout_ms: 50 }), { log, metrics: createMetrics() })
  t.teardown(() => s.close())
  await s.ready()
  await s.add('optout:a', '1')

  server.proc.kill('SIGSTOP')
  await t.rejects(s.has('optout:a', '1'), { code: 'SG_ERR_STATE_UNAVAILABLE', message: /timed out/ })
  server.proc.kill('SIGCONT')

  await server.stop()
  await t.rejects(s.has('optout:a', '1'), { code: 'SG_ERR_STATE_UNAVAILABLE' })
  t.ok(lines.some((l) => l.msg === 'state backend unavailable'))

  const port = Number(new URL(server.url).port)
  const again = await startPrivateRedis(t, port)
  t.ok(again)
  await s.ready()
  t.equal(await s.has('optout:a', '1'), false, 'answers again (the private server kept no data)')
  t.ok(lines.some((l) => l.msg === 'state backend ready'))
})

t.test('close while disconnected does not wait for the server', async (t) => {
  const port = await freePort()
  const s = createRedisState(isolatedConfig(t, { url: `redis://127.0.0.1:${port}` }), deps())
  await s.close()
  await t.rejects(s.get('x'), { code: 'SG_ERR_STATE_UNAVAILABLE' })
})
