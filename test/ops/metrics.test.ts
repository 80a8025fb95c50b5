// The metric catalogue keeps its promises: bounded labels only (never a number or a message id), names
// in the smpp_guard_<thing>_<unit> form, one registry per call.
import t from 'tap'
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
