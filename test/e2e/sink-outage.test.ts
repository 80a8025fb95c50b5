// The archive sink down under load, through the proxy: a short PostgreSQL outage (a relay cut, the server
// itself untouched) while a client keeps submitting; `scripts/faults/sink-outage.ts` runs the minute-long one.
import t from 'tap'
import pg from 'pg'
import { DEFAULT_PG_URL, runSinkOutage } from '../../scripts/faults/sink-outage.js'

const skip = process.env.SMPP_GUARD_TEST_PG === 'skip' ? 'SMPP_GUARD_TEST_PG=skip' : false

async function reachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: DEFAULT_PG_URL, connectionTimeoutMillis: 3000 })
  try {
    await c.connect()
    await c.end()
    return true
  } catch {
    return false
  }
}

t.test('PostgreSQL away for seconds under load: nothing acknowledged or rejected is lost', { skip }, async (t) => {
  t.ok(await reachable(), 'PostgreSQL reachable (scripts/ci/start-postgres.sh starts it)')
  // Both ways of losing the sink at once, each with its own proxy, relay and tables: light load, half the wait.
  const modes = ['refuse', 'blackhole'] as const
  const results = await Promise.all(
    modes.map((mode) => runSinkOutage({ pg_url: DEFAULT_PG_URL, mode, rate: 200, before_s: 1, outage_s: 3, after_s: 2, reject_every: 10, window: 50, drain_timeout_s: 60 })),
  )
  modes.forEach((mode, i) => {
    const r = results[i]
    const how = mode === 'refuse' ? 'refusing connections' : 'silent (a partition: only timeouts tell)'
    t.test(`PostgreSQL ${how}`, async (t) => {
      t.comment(JSON.stringify(r))
      t.equal(r.answered, r.sent, 'every submit answered')
      t.ok(r.phases.outage.statuses['0x0'] > 0, 'acknowledgements continue during the outage, from the local spool')
      t.same(Object.keys(r.phases.outage.statuses).sort(), ['0x0', '0x421'], 'and nothing but acks and the content rejection: no 0x14 while the spool has room')
      t.same(r.other, {}, 'no answer other than an ack or a rejection in the whole run')
      // Refused connections fail the next write at once; a silent server only shows once a timeout fires.
      if (mode === 'refuse') t.ok(r.sink_write_errors > 0, `${r.sink_write_errors} failed sink writes`)
      t.ok(r.spool_peak_records > 0 && r.lag_peak_s > 1, `the spool held ${r.spool_peak_records} records, ${r.lag_peak_s} s behind`)
      t.not(r.drain_s, null, `drained ${r.drain_s} s after PostgreSQL came back`)
      t.equal(r.missing, 0, 'every acknowledged message and every rejection is in PostgreSQL')
      t.equal(r.duplicated, 0, 'once')
      t.equal(r.mismatched, 0, 'with the message_id the client got, or the verdict and status it got')
      t.equal(r.archived, r.acked + r.rejected, 'and nothing else')
      t.ok(r.readyz_samples > 0, `${r.readyz_samples} health samples`)
      t.equal(r.readyz_not_200, 0, '/readyz stays 200: the archive spool covers the sink')
      t.equal(r.healthz_not_200, 0, '/healthz stays 200')
      t.equal(r.proxy_exit, '0', 'the proxy ran throughout and stopped cleanly')
    })
  })
})
