// A bounded run of the live-session fuzzer for CI (`scripts/fuzz/session.ts` runs the million-PDU version),
// after checks that the model it judges the proxy by cuts streams the way SMPP 3.4 says.
import t from 'tap'
import { CommandId, CommandStatus, MAX_PDU_LENGTH } from '../../src/smpp/constants.js'
import { encodeEnquireLink, encodeSubmitSm, encodeUnbind } from '../../src/smpp/encode.js'
import { planBatch, runSessionFuzz } from '../../scripts/fuzz/session-harness.js'

const owed = (p: ReturnType<typeof planBatch>) => p.expectations.map((e) => [e.id, e.seq, e.status, e.required])

t.test('the model', async (t) => {
  t.test('an oversized length: generic_nack 0x02, its bytes skipped, filler completes them, the probe follows', async (t) => {
    const big = encodeEnquireLink(5)
    big.writeUInt32BE(MAX_PDU_LENGTH + 100, 0)
    const p = planBatch([big, encodeEnquireLink(6)], 'transceiver', 9)
    // The enquire_link right behind it lies inside the skipped bytes: it is never seen.
    t.same(owed(p), [
      [CommandId.generic_nack, 5, CommandStatus.ESME_RINVCMDLEN, true],
      [CommandId.enquire_link_resp, 9, CommandStatus.ESME_ROK, true],
    ])
    t.equal(p.stream.length, MAX_PDU_LENGTH + 100 + 16)
    t.equal(p.probeSeq, 9)
  })

  t.test('a length under 16: generic_nack with sequence 0, the client stops, the connection closes', async (t) => {
    const short = encodeEnquireLink(5)
    short.writeUInt32BE(7, 0)
    const p = planBatch([encodeEnquireLink(4), short, encodeEnquireLink(6)], 'unbound', 9)
    t.same(owed(p), [
      [CommandId.enquire_link_resp, 4, CommandStatus.ESME_ROK, true],
      [CommandId.generic_nack, 0, CommandStatus.ESME_RINVCMDLEN, true],
    ])
    t.equal(p.stream.length, 32)
    t.ok(p.closeExpected)
    t.equal(p.probeSeq, null)
  })

  t.test('a length that swallows part of the next PDU: the rest is read as a header of its own', async (t) => {
    const long = encodeEnquireLink(5)
    long.writeUInt32BE(24, 0)
    const p = planBatch([long, encodeSubmitSm(6, { source_addr: '1', destination_addr: '2' })], 'transceiver', 9)
    // The enquire_link takes the submit_sm's length and id; its command_status (0) then reads as a length.
    t.same(owed(p), [
      [CommandId.enquire_link_resp, 5, CommandStatus.ESME_ROK, true],
      [CommandId.generic_nack, 0, CommandStatus.ESME_RINVCMDLEN, true],
    ])
    t.ok(p.closeExpected)
  })

  t.test('submits in flight when the client unbinds are still owed, then the unbind_resp; nothing behind it', async (t) => {
    const p = planBatch([encodeSubmitSm(3, { source_addr: '1', destination_addr: '2' }), encodeUnbind(4), encodeEnquireLink(5)], 'transceiver', 9)
    t.same(owed(p), [
      [CommandId.submit_sm_resp, 3, null, true],
      [CommandId.unbind_resp, 4, CommandStatus.ESME_ROK, true],
    ])
    t.ok(p.closeExpected)
    const short = encodeEnquireLink(4)
    short.writeUInt32BE(3, 0)
    const lost = planBatch([encodeSubmitSm(3, { source_addr: '1', destination_addr: '2' }), short], 'transceiver', 9)
    t.same(owed(lost)[0], [CommandId.submit_sm_resp, 3, null, false], 'a lost stream ends the connection with the submit in flight')
    const trailing = planBatch([encodeUnbind(4), encodeEnquireLink(5)], 'transceiver', 9, true)
    t.same(
      trailing.expectations.map((e) => e.required),
      [false, false],
      'a client writing after its unbind is owed nothing',
    )
  })

  t.test('on an unbound connection a submit is refused with 0x04; on a receiver too', async (t) => {
    for (const lane of ['unbound', 'receiver'] as const) {
      const p = planBatch([encodeSubmitSm(3, { source_addr: '1', destination_addr: '2' })], lane, 9)
      t.same(owed(p)[0], [CommandId.submit_sm_resp, 3, CommandStatus.ESME_RINVBNDSTS, true], lane)
    }
  })
})

t.test('a live proxy survives mutated PDUs on bound and unbound sessions', async (t) => {
  const seed = Date.now() % 0x7fffffff
  const lanes = ['transceiver', 'transceiver', 'receiver', 'unbound'] as const
  t.comment(`seed ${seed}: node --import tsx scripts/fuzz/session.ts --seed ${seed} --lanes ${lanes.join(',')} --pdus 20000 replays these batches`)
  const s = await runSessionFuzz({
    pdus: 20_000,
    max_s: 20,
    seed,
    lanes,
    batch_timeout_ms: 20_000,
  })
  t.comment(JSON.stringify({ pdus: s.pdus, seconds: s.seconds, pdus_per_s: s.pdus_per_s, connections: s.connections, rss_kb: s.rss_kb }))
  t.same(s.failures, [], `no wrong, missing or late answer (seed ${seed})`)
  t.ok(s.pdus >= 2000, `${s.pdus} PDUs thrown`)
  t.ok(s.probes > 0, `${s.probes} batches ended with the session answering enquire_link`)
  for (const kind of ['generic_nack 0x00000002', 'generic_nack 0x00000003', 'enquire_link_resp 0x00000000', 'unbind_resp 0x00000000']) {
    t.ok((s.answers[kind] ?? 0) > 0, `answered with ${kind}`)
  }
  t.ok(Object.keys(s.answers).some((k) => k.startsWith('submit_sm_resp')), 'submits answered')
  t.ok(s.closes_expected > 0, `${s.closes_expected} connections closed where the protocol says so`)
  t.ok(s.alive_after, 'a fresh transceiver binds and is answered after the run')
  t.equal(s.exit, '0', 'the proxy was up all along and stopped cleanly on SIGTERM')
  t.ok(s.rss_kb.max < 512 * 1024, `proxy RSS peaked at ${Math.round(s.rss_kb.max / 1024)} MiB`)
})
