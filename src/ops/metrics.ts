// Every metric the proxy exports, declared once. Modules receive this object (deps.metrics) and resolve
// label children once per session or bind (`labels()` cached), never per PDU. Labels come from bounded sets:
// account, stage, rule, category, status name, state — never numbers or message ids.
import client from 'prom-client'

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface HistogramEntry {
  bucketValues: Record<number, number>
  sum: number
  count: number
}

/**
 * A histogram without labels for per-message latencies. prom-client's observe() resolves and hashes labels
 * on every call (0.24 µs, NOTES §2; three per message were 6 % of the transparent proxy's CPU): here it only
 * counts into a local array, which is added to prom-client's values whenever they are read (its `collect`
 * hook runs before every scrape or get()). The exposition is the same; test/ops/metrics.test.ts holds it
 * against a plain Histogram.
 */
export class LatencyHistogram extends client.Histogram<string> {
  readonly #bounds: readonly number[]
  /** Per bucket, not cumulative; the last slot counts values above every bound (+Inf only). */
  readonly #counts: Float64Array
  #sum = 0
  #n = 0

  constructor(cfg: { name: string; help: string; buckets: number[]; registers: client.Registry[] }) {
    super(cfg)
    this.#bounds = [...cfg.buckets].sort((a, b) => a - b)
    this.#counts = new Float64Array(this.#bounds.length + 1)
    const slow = this.observe.bind(this) as (a: unknown, b?: unknown) => void
    // prom-client sets observe as an own property in its constructor, so it is replaced the same way.
    this.observe = ((a: unknown, b?: unknown) => {
      if (typeof a === 'number' && b === undefined && Number.isFinite(a)) this.#add(a)
      else slow(a, b)
    }) as client.Histogram<string>['observe']
    // prom-client's own constructor calls reset(), before this class's fields exist: hence no override.
    const reset = this.reset.bind(this)
    Object.assign(this, {
      collect: () => this.#fold(),
      reset: () => {
        this.#clear()
        reset()
      },
    })
  }

  #add(v: number): void {
    const bounds = this.#bounds
    let i = 0
    while (i < bounds.length && v > bounds[i]) i++
    this.#counts[i]++
    this.#sum += v
    this.#n++
  }

  #fold(): void {
    if (this.#n === 0) return
    const internals = this as unknown as { hashMap: Record<string, HistogramEntry> }
    let entry = Object.values(internals.hashMap)[0]
    if (!entry) {
      this.zero({})
      entry = Object.values(internals.hashMap)[0]
    }
    const bounds = this.#bounds
    for (let i = 0; i < bounds.length; i++) entry.bucketValues[bounds[i]] += this.#counts[i]
    entry.sum += this.#sum
    entry.count += this.#n
    this.#clear()
  }

  #clear(): void {
    this.#counts.fill(0)
    this.#sum = 0
    this.#n = 0
  }
}

export function createMetrics(registry = new client.Registry()) {
  const r = [registry]
  const m = {
    registry,
    submits: new client.Counter({ name: 'smpp_guard_submits_total', help: 'submit_sm judged, by account and verdict (allow, reject, monitor)', labelNames: ['account', 'verdict'], registers: r }),
    rejections: new client.Counter({ name: 'smpp_guard_rejections_total', help: 'Rejected messages by account, stage rule, category and status', labelNames: ['account', 'rule', 'category', 'status'], registers: r }),
    shadowHits: new client.Counter({ name: 'smpp_guard_monitor_hits_total', help: 'Monitor-mode hits (would have rejected)', labelNames: ['account', 'rule', 'category'], registers: r }),
    responses: new client.Counter({ name: 'smpp_guard_client_responses_total', help: 'submit_sm_resp sent to clients by status', labelNames: ['status'], registers: r }),
    proxyLatency: new LatencyHistogram({ name: 'smpp_guard_proxy_added_latency_seconds', help: 'Time a submit_sm spends in the proxy, excluding the carrier round trip', buckets: LATENCY_BUCKETS, registers: r }),
    carrierLatency: new LatencyHistogram({ name: 'smpp_guard_carrier_rtt_seconds', help: 'submit_sm → submit_sm_resp round trip on carrier binds', buckets: LATENCY_BUCKETS, registers: r }),
    policyLatency: new LatencyHistogram({ name: 'smpp_guard_policy_seconds', help: 'Time to judge one message', buckets: LATENCY_BUCKETS, registers: r }),
    clientSessions: new client.Gauge({ name: 'smpp_guard_client_sessions', help: 'Client sessions by bind type', labelNames: ['bind_type'], registers: r }),
    clientBindFailures: new client.Counter({ name: 'smpp_guard_client_bind_failures_total', help: 'Refused client binds by reason', labelNames: ['reason'], registers: r }),
    upstreamBinds: new client.Gauge({ name: 'smpp_guard_upstream_binds', help: 'Carrier binds by status', labelNames: ['status'], registers: r }),
    upstreamReconnects: new client.Counter({ name: 'smpp_guard_upstream_reconnects_total', help: 'Carrier bind reconnect attempts', registers: r }),
    clientInFlight: new client.Gauge({ name: 'smpp_guard_client_window_in_flight', help: 'Unanswered submit_sm from clients', registers: r }),
    upstreamInFlight: new client.Gauge({ name: 'smpp_guard_upstream_window_in_flight', help: 'Unanswered submit_sm on carrier binds', registers: r }),
    upstreamQueued: new client.Gauge({ name: 'smpp_guard_upstream_queue_depth', help: 'submit_sm waiting for a carrier window', registers: r }),
    malformedPdus: new client.Counter({ name: 'smpp_guard_malformed_pdus_total', help: 'Malformed PDUs by side and reason', labelNames: ['side', 'reason'], registers: r }),
    receipts: new client.Counter({ name: 'smpp_guard_receipts_total', help: 'Delivery receipts by outcome (routed, queued, dropped, unmapped)', labelNames: ['outcome'], registers: r }),
    receiptsQueued: new client.Gauge({ name: 'smpp_guard_receipts_queued', help: 'Receipts held for accounts with no receiver bind', registers: r }),
    receiptMapEntries: new client.Gauge({ name: 'smpp_guard_receipt_map_entries', help: 'Carrier message ids mapped to accounts', registers: r }),
    mo: new client.Counter({ name: 'smpp_guard_mo_total', help: 'Mobile-originated messages by outcome (routed, queued, unroutable, opt_out)', labelNames: ['outcome'], registers: r }),
    reassemblyPending: new client.Gauge({ name: 'smpp_guard_reassembly_pending_messages', help: 'Long messages waiting for parts', registers: r }),
    reassemblyBytes: new client.Gauge({ name: 'smpp_guard_reassembly_pending_bytes', help: 'Bytes held for reassembly', registers: r }),
    reassemblyOutcomes: new client.Counter({ name: 'smpp_guard_reassembly_total', help: 'Long messages by outcome (complete, timeout, overflow, duplicate)', labelNames: ['outcome'], registers: r }),
    stateErrors: new client.Counter({ name: 'smpp_guard_state_errors_total', help: 'State backend errors by stage and applied fail mode', labelNames: ['stage', 'fail_mode'], registers: r }),
    archiveSpoolDepth: new client.Gauge({ name: 'smpp_guard_archive_spool_records', help: 'Records in the archive spool not yet in every sink', registers: r }),
    archiveSpoolBytes: new client.Gauge({ name: 'smpp_guard_archive_spool_bytes', help: 'Bytes of the archive spool on disk', registers: r }),
    archiveLag: new client.Gauge({ name: 'smpp_guard_archive_lag_seconds', help: 'Age of the oldest record not yet in every sink', registers: r }),
    archiveWriteErrors: new client.Counter({ name: 'smpp_guard_archive_write_errors_total', help: 'Failed sink writes by sink', labelNames: ['sink'], registers: r }),
    archiveRecords: new client.Counter({ name: 'smpp_guard_archive_records_total', help: 'Records written by sink', labelNames: ['sink'], registers: r }),
    archiveSpoolMaxBytes: new client.Gauge({ name: 'smpp_guard_archive_spool_max_bytes', help: 'The spool disk cap (archive.spool.max_bytes), for fill-ratio alerts', registers: r }),
    archiveSpoolFull: new client.Gauge({ name: 'smpp_guard_archive_spool_full', help: '1 while the archive spool is at its disk cap and appends are refused', registers: r }),
    archiveSpoolRejects: new client.Counter({ name: 'smpp_guard_archive_spool_rejects_total', help: 'Records refused because the archive spool was full', registers: r }),
    configReloads: new client.Counter({ name: 'smpp_guard_config_reloads_total', help: 'Config reloads by result (ok, failed)', labelNames: ['result'], registers: r }),
    configReloadOk: new client.Gauge({ name: 'smpp_guard_config_last_reload_successful', help: '1 when the last reload attempt succeeded (or none failed since start), 0 after a failed one', registers: r }),
    configReloadTime: new client.Gauge({ name: 'smpp_guard_config_last_reload_success_timestamp_seconds', help: 'Unix time the running config was loaded', registers: r }),
    adminCommands: new client.Counter({ name: 'smpp_guard_admin_commands_total', help: 'Admin socket commands by command and result (ok, failed)', labelNames: ['command', 'result'], registers: r }),
    ready: new client.Gauge({ name: 'smpp_guard_ready', help: '1 when listening with at least one carrier bind up (what /readyz answers)', registers: r }),
    accountSuspensions: new client.Counter({ name: 'smpp_guard_account_suspensions_total', help: 'Accounts suspended, by cause (auto, admin)', labelNames: ['cause'], registers: r }),
    bindLockouts: new client.Counter({ name: 'smpp_guard_bind_lockouts_total', help: 'Temporary bind lockouts after repeated wrong passwords', labelNames: ['scope'], registers: r }),
    clientConnectionsDropped: new client.Counter({ name: 'smpp_guard_client_connections_dropped_total', help: 'Client connections refused on accept (max_connections, per_ip, per_ip_rate) or dropped as abusive (pdu_timeout, write_blocked, write_buffer)', labelNames: ['reason'], registers: r }),
  }
  return m
}

export type Metrics = ReturnType<typeof createMetrics>
