// The archive sink down under load, through the proxy: a short PostgreSQL outage (a relay cut, the server
// itself untouched) while a client keeps submitting; `scripts/faults/sink-outage.ts` runs the minute-long one.
import t, { type Test } from 'tap'
import { runSinkOutage, type OutageResult } from '../../scripts/faults/sink-outage.js'
import { pgReachable, TEST_PG_URL } from '../archive/fixtures.js'

const skip = process.env.SMPP_GUARD_TEST_PG === 'skip' ? 'SMPP_GUARD_TEST_PG=skip' : false


const base = { pg_url: TEST_PG_URL, rate: 200, before_s: 1, outage_s: 3, after_s: 2, reject_every: 10, window: 50, drain_timeout_s: 60 }

t.test('PostgreSQL away for seconds under load: nothing acknowledged or rejected is lost', { skip }, async (t) => {
  t.ok(await pgReachable(), 'PostgreSQL reachable (scripts/ci/start-postgres.sh starts it)')
  // Three outages at once, each with its own proxy, relay and tables: light load, a third of the wait.
  const [refused, silent, full] = await Promise.all([
    runSinkOutage({ ...base, mode: 'refuse' }),
    runSinkOutage({ ...base, mode: 'blackhole' }),
    // 1 MiB of spool fills in about 4 s at 400 messages a second.
    runSinkOutage({ ...base, mode: 'refuse', rate: 400, outage_s: 5, after_s: 6, spool_max_bytes: 1024 * 1024 }),
  ])

  const nothingLost = (t: Test, r: OutageResult): void => {
    t.comment(JSON.stringify(r))
    t.equal(r.answered, r.sent, 'every submit answered')
    t.ok(r.phases.outage.statuses['0x0'] > 0, 'acknowledgements continue during the outage, from the local spool')
    t.ok(r.spool_peak_records > 0 && r.lag_peak_s > 1, `the spool held ${r.spool_peak_records} records, ${r.lag_peak_s} s behind`)
    t.not(r.drain_s, null, `drained ${r.drain_s} s after PostgreSQL came back`)
    t.equal(r.missing, 0, 'every acknowledged message and every rejection is in PostgreSQL')
    t.equal(r.duplicated, 0, 'once')
    t.equal(r.mismatched, 0, 'with the message_id the client got, or the verdict and status it got')
    t.equal(r.archived, r.acked + r.rejected + r.other_archived, 'and nothing that was not answered')
    t.ok(r.readyz_samples > 0, `${r.readyz_samples} health samples`)
    t.equal(r.readyz_not_200, 0, '/readyz stays 200: the archive spool covers the sink')
    t.equal(r.healthz_not_200, 0, '/healthz stays 200')
    t.equal(r.proxy_exit, '0', 'the proxy ran throughout and stopped cleanly')
  }

  t.test('PostgreSQL refusing connections', async (t) => {
    nothingLost(t, refused)
    t.same(refused.other, {}, 'nothing but acks and the content rejection while the spool has room: no 0x14')
    t.ok(refused.sink_write_errors > 0, `${refused.sink_write_errors} failed sink writes`)
  })

  t.test('PostgreSQL silent (a partition: only timeouts tell)', async (t) => {
    nothingLost(t, silent)
    t.same(silent.other, {}, 'no 0x14 either')
  })

  t.test('PostgreSQL away until the spool is full', async (t) => {
    nothingLost(t, full)
    t.same(Object.keys(full.other), ['0x14'], 'the only other answer is 0x14, retry later')
    t.ok(full.phases.outage.statuses['0x14'] > 0, `${full.phases.outage.statuses['0x14']} submits of the outage got 0x14 once the spool refused`)
    t.ok(full.phases.after.statuses['0x0'] > 0, 'acknowledgements resume once PostgreSQL has drained the spool')
  })
})
