// The metric catalogue keeps its promises: bounded labels only (never a number or a message id), names
// in the smpp_guard_<thing>_<unit> form, one registry per call.
import t from 'tap'
import client from 'prom-client'
import { createMetrics } from '../../src/ops/metrics.js'

// Every label must come from a set the operator controls or the code enumerates.
const BOUNDED_LABELS = new Set([
  'account', 'verdict', 'rule', 'category', 'status', 'bind_type', 'reason', 'side', 'outcome', 'stage',
  'fail_mode', 'sink', 'result', 'cause', 'scope', 'command',
])

t.test('labels come from bounded sets', async (t) => {
  const m = createMetrics()
  const labels = Object.entries(m).flatMap(([field, v]) => ((v as { labelNames?: string[] }).labelNames ?? []).map((l) => `${field}{${l}}`))
  t.ok(labels.length > 20, 'the catalogue has labelled metrics')
  t.same(labels.filter((l) => !BOUNDED_LABELS.has(l.slice(l.indexOf('{') + 1, -1))), [])
})

t.test('names: smpp_guard_ prefix, counters end in _total, histograms carry their unit', async (t) => {
  for (const m of await createMetrics().registry.getMetricsAsJSON()) {
    t.match(m.name, /^smpp_guard_[a-z0-9_]+$/)
    const type = String(m.type)
    if (type === 'counter') t.match(m.name, /_total$/, `${m.name} is a counter`)
    else t.notMatch(m.name, /_total$/, `${m.name} is not a counter`)
    if (type === 'histogram') t.match(m.name, /_(seconds|bytes)$/, `${m.name} has a unit`)
  }
})

t.test('each call has its own registry, so tests and several apps in one process do not collide', async (t) => {
  const a = createMetrics()
  const b = createMetrics()
  a.submits.labels('demo', 'allow').inc()
  t.not(a.registry, b.registry)
  t.match(await a.registry.getSingleMetricAsString('smpp_guard_submits_total'), /verdict="allow"\} 1/)
  t.notMatch(await b.registry.getSingleMetricAsString('smpp_guard_submits_total'), /verdict="allow"/)
})

t.test('latency histograms expose exactly what a plain prom-client histogram does', async (t) => {
  const m = createMetrics()
  const plainRegistry = new client.Registry()
  const plain = new client.Histogram({
    name: 'smpp_guard_proxy_added_latency_seconds',
    help: 'Time a submit_sm spends in the proxy, excluding the carrier round trip',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [plainRegistry],
  })
  const expose = async () => [
    await m.registry.getSingleMetricAsString('smpp_guard_proxy_added_latency_seconds'),
    await plainRegistry.getSingleMetricAsString('smpp_guard_proxy_added_latency_seconds'),
  ]
  const [empty, plainEmpty] = await expose()
  t.equal(empty, plainEmpty, 'nothing observed')
  // Binary fractions, so the sums do not depend on the order of additions; bounds themselves land in their bucket.
  const values = [2 ** -14, 0.0001, 2 ** -12, 0.0005, 0.25, 2 ** -3, 10, 12, 2 ** -20]
  for (const v of values) {
    m.proxyLatency.observe(v)
    plain.observe(v)
  }
  const [batched, reference] = await expose()
  t.equal(batched, reference)
  m.proxyLatency.observe(0.5)
  plain.observe(0.5)
  const [again, referenceAgain] = await expose()
  t.equal(again, referenceAgain, 'observations after a read are added to what was read')
  t.throws(() => m.proxyLatency.observe(Number.NaN), TypeError)
  m.proxyLatency.reset()
  plain.reset()
  m.proxyLatency.observe(0.001)
  plain.observe(0.001)
  const [afterReset, referenceAfterReset] = await expose()
  t.equal(afterReset, referenceAfterReset, 'reset forgets pending observations too')
  t.match(afterReset, /_count 1$/m)
})
