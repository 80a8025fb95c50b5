import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { createHttpServer } from '../../src/ops/http.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { createLogger } from '../../src/ops/logger.js'

const silent = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }))
const cfg = { enabled: true, host: '127.0.0.1', port: 0 }

async function start(t: Test, isReady: () => boolean = () => true) {
  const metrics = createMetrics()
  const http = createHttpServer(cfg, { metrics, isReady, log: silent })
  const addr = await http.listen()
  t.teardown(() => http.close())
  if (!addr) throw new Error('not listening')
  return { metrics, http, base: `http://127.0.0.1:${addr.port}` }
}

t.test('/metrics exposes the proxy series and default process metrics', async (t) => {
  const { metrics, base } = await start(t)
  metrics.submits.labels('demo', 'allow').inc(3)
  metrics.rejections.labels('demo', 'content', 'gambling', 'ESME_RX_R_APPN').inc()
  metrics.proxyLatency.observe(0.0004)
  metrics.upstreamBinds.labels('bound').set(2)
  metrics.configReloads.labels('failed').inc()
  const res = await fetch(`${base}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /text\/plain/)
  const body = await res.text()
  t.match(body, /^smpp_guard_submits_total\{account="demo",verdict="allow"\} 3$/m)
  t.match(body, /^smpp_guard_rejections_total\{account="demo",rule="content",category="gambling",status="ESME_RX_R_APPN"\} 1$/m)
  t.match(body, /^smpp_guard_proxy_added_latency_seconds_bucket\{le="0.0005"\} 1$/m)
  t.match(body, /^smpp_guard_upstream_binds\{status="bound"\} 2$/m)
  t.match(body, /^smpp_guard_config_reloads_total\{result="failed"\} 1$/m)
  t.match(body, /^smpp_guard_ready 1$/m)
  t.match(body, /^process_cpu_user_seconds_total /m)
  t.match(body, /^nodejs_heap_size_used_bytes /m)
})

t.test('/healthz answers while alive; /readyz follows isReady', async (t) => {
  let ready = false
  const { base } = await start(t, () => ready)
  t.equal((await fetch(`${base}/healthz`)).status, 200)
  let res = await fetch(`${base}/readyz`)
  t.equal(res.status, 503)
  t.same(await res.json(), { status: 'not ready' })
  t.match(await (await fetch(`${base}/metrics`)).text(), /^smpp_guard_ready 0$/m)
  ready = true
  res = await fetch(`${base}/readyz`)
  t.equal(res.status, 200)
  t.same(await res.json(), { status: 'ready' })
  ready = false
  t.equal((await fetch(`${base}/readyz`)).status, 503)
  t.equal((await fetch(`${base}/healthz`)).status, 200, 'alive even when not ready')
})

t.test('beforeScrape flushes batched counters into the scrape', async (t) => {
  const metrics = createMetrics()
  let pending = 0
  const http = createHttpServer(cfg, {
    metrics,
    isReady: () => true,
    log: silent,
    beforeScrape: () => {
      metrics.submits.labels('demo', 'allow').inc(pending)
      pending = 0
    },
  })
  const addr = await http.listen()
  t.teardown(() => http.close())
  pending = 7
  t.match(await (await fetch(`http://127.0.0.1:${addr!.port}/metrics`)).text(), /^smpp_guard_submits_total\{account="demo",verdict="allow"\} 7$/m)
})

t.test('unknown paths and methods', async (t) => {
  const { base } = await start(t)
  t.equal((await fetch(`${base}/nope`)).status, 404)
  t.equal((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status, 405)
  const head = await fetch(`${base}/metrics`, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(await head.text(), '')
})

t.test('listens on 127.0.0.1 by default and refuses a port in use', async (t) => {
  const { http } = await start(t)
  const metrics = createMetrics()
  const first = createHttpServer({ enabled: true, host: '127.0.0.1', port: 0 }, { metrics, isReady: () => true, log: silent })
  const addr = await first.listen()
  t.teardown(() => first.close())
  t.equal(addr?.host, '127.0.0.1')
  const second = createHttpServer({ enabled: true, host: '127.0.0.1', port: addr!.port }, { metrics, isReady: () => true, log: silent })
  await t.rejects(second.listen(), { code: 'EADDRINUSE' })
  t.equal(second.status, 'closed')
  t.equal(http.status, 'listening')
})

t.test('close is idempotent, destroy ends open keep-alive connections', async (t) => {
  const metrics = createMetrics()
  const http = createHttpServer(cfg, { metrics, isReady: () => true, log: silent })
  const addr = await http.listen()
  await fetch(`http://127.0.0.1:${addr!.port}/metrics`).then((r) => r.text())
  const a = http.destroy()
  const b = http.close()
  await Promise.all([a, b])
  t.equal(http.status, 'closed')
  await t.rejects(fetch(`http://127.0.0.1:${addr!.port}/healthz`))
})

t.test('disabled: listen resolves null and nothing binds', async (t) => {
  const http = createHttpServer({ ...cfg, enabled: false }, { metrics: createMetrics(), isReady: () => true, log: silent })
  t.equal(await http.listen(), null)
  await http.close()
  t.equal(http.status, 'closed')
})

t.test('close while starting leaves nothing listening', async (t) => {
  const http = createHttpServer(cfg, { metrics: createMetrics(), isReady: () => true, log: silent })
  const listening = http.listen()
  await http.close()
  await t.rejects(listening, { code: 'SG_ERR_SHUTTING_DOWN' })
  t.equal(http.status, 'closed')
})
