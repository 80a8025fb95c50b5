// The shipped Grafana dashboard and Prometheus alert rules stay in step with the metrics the proxy exports.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import client from 'prom-client'
import { parse } from 'yaml'
import { createMetrics } from '../../src/ops/metrics.js'

const dir = fileURLToPath(new URL('../../dashboards/', import.meta.url))
const dashboard = JSON.parse(readFileSync(dir + 'grafana-smpp-guard.json', 'utf8'))
const alerts = parse(readFileSync(dir + 'prometheus-alerts.yml', 'utf8')) as {
  groups: { rules: { alert: string; expr: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[]
}
const rules = alerts.groups.flatMap((g) => g.rules)

interface Panel {
  id: number
  type: string
  title: string
  gridPos: { x: number; y: number; w: number; h: number }
  targets?: { expr: string }[]
}
const panels = dashboard.panels as Panel[]
const dashboardExprs = [
  ...panels.flatMap((p) => (p.targets ?? []).map((x) => x.expr)),
  ...dashboard.annotations.list.map((a: { expr: string }) => a.expr),
]

async function exported(): Promise<Set<string>> {
  const metrics = createMetrics()
  client.collectDefaultMetrics({ register: metrics.registry })
  const names = new Set<string>()
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name)
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s)
  }
  return names
}

function referenced(exprs: readonly string[]): Set<string> {
  const out = new Set<string>()
  for (const e of exprs) for (const m of e.matchAll(/\b((?:smpp_guard|process|nodejs)_[a-z0-9_]+)\b/g)) out.add(m[1])
  return out
}

t.test('every metric the dashboard and the alerts query is exported', async (t) => {
  const names = await exported()
  const unknown = [...referenced([...dashboardExprs, ...rules.map((r) => r.expr)])].filter((n) => !names.has(n))
  t.same(unknown, [])
})

t.test('every smpp_guard metric is on the dashboard', async (t) => {
  const shown = referenced(dashboardExprs)
  const base = (n: string) => n.replace(/_(bucket|sum|count)$/, '')
  const shownBase = new Set([...shown].map(base))
  const missing = [...(await exported())].filter((n) => n.startsWith('smpp_guard_') && !shown.has(n) && !shownBase.has(n))
  t.same(missing.filter((n) => !/_(bucket|sum|count)$/.test(n)), [])
})

t.test('dashboard layout: unique ids, panels inside the 24-column grid, every panel has a query', async (t) => {
  const ids = panels.map((p) => p.id)
  t.equal(new Set(ids).size, ids.length)
  for (const p of panels) {
    t.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits`)
    if (p.type !== 'row') t.ok((p.targets ?? []).length > 0, `${p.title} has a query`)
  }
  t.equal(dashboard.uid, 'smpp-guard')
})

t.test('the alerts the runbook names exist, with severity and summary', async (t) => {
  const names = rules.map((r) => r.alert)
  for (const a of ['SmppGuardUpstreamDown', 'SmppGuardRejectionSpike', 'SmppGuardArchiveSpoolFilling', 'SmppGuardConfigReloadFailed']) {
    t.ok(names.includes(a), a)
  }
  for (const r of rules) {
    t.match(r.labels.severity, /^(critical|warning)$/, `${r.alert} severity`)
    t.ok(r.annotations.summary, `${r.alert} summary`)
  }
})

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' })
t.test('promtool accepts the rules and their unit tests pass', { skip: promtool.error ? 'promtool not installed' : false }, async (t) => {
  const check = spawnSync('promtool', ['check', 'rules', dir + 'prometheus-alerts.yml'], { encoding: 'utf8' })
  t.equal(check.status, 0, check.stdout + check.stderr)
  const test = spawnSync('promtool', ['test', 'rules', dir + 'prometheus-alerts.test.yml'], { encoding: 'utf8' })
  t.equal(test.status, 0, test.stdout + test.stderr)
})
