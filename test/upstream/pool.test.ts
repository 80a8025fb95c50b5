// The carrier bind pool against the simulator: binding, reconnect with backoff, spreading, the bounded
// queue, pair mode, and the status gauge kept by the one writer.
import t, { type Test } from 'tap'
import { once, EventEmitter } from 'node:events'
import net from 'node:net'
import pino from 'pino'
import { Framer } from '../../src/smpp/framer.js'
import { UpstreamSchema, type UpstreamConfig } from '../../src/config/schema.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { CoarseTimer } from '../../src/util/coarse-timer.js'
import { createUpstreamPool, type Upstream } from '../../src/upstream/pool.js'
import type { UpstreamRequest } from '../../src/upstream/bind.js'
import type { GuardError } from '../../src/errors.js'
import { CommandStatus, CommandId } from '../../src/smpp/constants.js'
import { readCommandStatus, readCommandId, readSequence } from '../../src/smpp/header.js'
import { encodeBindResp, encodeSubmitSm } from '../../src/smpp/encode.js'
import { createCarrier, type CarrierOptions } from '../../src/simulator/carrier.js'

class Req implements UpstreamRequest {
  pdu = encodeSubmitSm(0, { source_addr: '1', destination_addr: '13800138000', short_message: Buffer.from('x'), registered_delivery: 1 })
  sentPerf = 0
  readonly done: Promise<number>
  #resolve!: (status: number) => void
  constructor() {
    this.done = new Promise((r) => (this.#resolve = r))
  }
  onCarrierResponse(resp: Buffer): void {
    this.#resolve(readCommandStatus(resp))
  }
  onCarrierFailure(err: GuardError): void {
    this.#resolve(err.status)
  }
}

async function setup(t: Test, carrierOpts: CarrierOptions = {}, up: Partial<UpstreamConfig> = {}) {
  const carrier = await createCarrier({ port: 0, ...carrierOpts })
  t.teardown(() => carrier.close())
  const metrics = createMetrics()
  const events = new EventEmitter()
  const delivered: Buffer[] = []
  let bound = 0
  const pool: Upstream = createUpstreamPool(
    UpstreamSchema.parse({ port: carrier.port, reconnect_min_ms: 20, reconnect_max_ms: 100, response_timeout_ms: 2000, unbind_timeout_ms: 200, ...up }),
    {
      log: pino({ level: 'silent' }),
      metrics,
      timer: new CoarseTimer(50),
      onDeliver: (bind, pdu) => {
        delivered.push(Buffer.from(pdu))
        bind.respondDeliver(pdu.readUInt32BE(12), CommandStatus.ESME_ROK)
        events.emit('deliver')
      },
      onBusy: (b) => busy.push(b),
      onBoundChange: (n) => {
        bound = n
        events.emit('bound', n)
      },
    },
  )
  t.teardown(() => pool.close())
  const busy: boolean[] = []
  const waitBound = async (n: number) => {
    while (bound !== n) await once(events, 'bound')
  }
  pool.start()
  return { carrier, pool, metrics, events, delivered, waitBound, busy }
}

async function gauge(metrics: ReturnType<typeof createMetrics>, status: string): Promise<number> {
  const m = await metrics.upstreamBinds.get()
  return m.values.find((v) => v.labels.status === status)?.value ?? 0
}

t.test('binds, spreads submits, reconnects after the carrier drops, closes without reconnecting', async (t) => {
  const { carrier, pool, metrics, waitBound } = await setup(t, { resp_delay_ms: 100 }, { binds: 2 })
  await waitBound(2)
  t.equal(await gauge(metrics, 'bound'), 2, 'gauge: two bound')
  const reqs = Array.from({ length: 4 }, () => new Req())
  for (const r of reqs) pool.submit(r)
  t.same(
    pool.snapshot().binds.map((b) => b.in_flight),
    [2, 2],
    'spread across both binds',
  )
  t.same(await Promise.all(reqs.map((r) => r.done)), [0, 0, 0, 0])

  carrier.dropAll()
  await waitBound(0)
  await waitBound(2)
  t.ok((await metrics.upstreamReconnects.get()).values[0].value >= 2, 'reconnects counted')
  const r = new Req()
  pool.submit(r)
  t.equal(await r.done, 0, 'flows after reconnecting')

  await pool.close()
  t.equal(await gauge(metrics, 'bound'), 0, 'nothing bound after close')
  t.same(pool.snapshot().binds.map((b) => b.status), ['closed', 'closed'])
  const late = new Req()
  pool.submit(late)
  t.equal(await late.done, CommandStatus.ESME_RMSGQFUL, 'closed pool answers at once')
})

t.test('windows full → bounded queue → ESME_RMSGQFUL beyond it; busy while it fills', async (t) => {
  const { pool, waitBound, busy } = await setup(t, { resp_delay_ms: 150 }, { binds: 1, window: 1, queue: 2 })
  await waitBound(1)
  const reqs = Array.from({ length: 5 }, () => new Req())
  for (const r of reqs) pool.submit(r)
  t.equal(pool.snapshot().queued, 2)
  t.same(busy, [true], 'busy once the queue is half full')
  t.same(await Promise.all(reqs.map((r) => r.done)), [0, 0, 0, CommandStatus.ESME_RMSGQFUL, CommandStatus.ESME_RMSGQFUL])
  t.same(busy, [true, false], 'not busy once it has emptied')
})

t.test('a refused bind retries with backoff and never counts as bound', async (t) => {
  // A carrier that refuses every bind and counts the attempts.
  const attempts = new EventEmitter()
  let n = 0
  const refuser = net.createServer((s) => {
    const f = new Framer({
      onFrame: (pdu) => {
        s.write(encodeBindResp(readCommandId(pdu), CommandStatus.ESME_RINVPASWD, readSequence(pdu), ''))
        attempts.emit('attempt', ++n)
      },
      onOversized: () => s.destroy(),
      onMalformed: () => s.destroy(),
    })
    s.on('data', (c: Buffer) => f.push(c))
    s.on('error', () => {})
  })
  refuser.listen(0, '127.0.0.1')
  await once(refuser, 'listening')
  t.teardown(() => new Promise<void>((r) => refuser.close(() => r())))
  const { pool, metrics } = await setup(t, {}, { binds: 1, port: (refuser.address() as net.AddressInfo).port })
  while (n < 3) await once(attempts, 'attempt')
  t.equal(pool.isAvailable, false)
  t.ok((await metrics.upstreamReconnects.get()).values[0].value >= 2, 'each refusal leads to a retry')
  const r = new Req()
  pool.submit(r)
  t.equal(await r.done, CommandStatus.ESME_RMSGQFUL, 'no bind up → 0x14 at once')
})

t.test('pair mode: submits on transmitters, receipts on receivers', async (t) => {
  const { carrier, pool, delivered, events, waitBound } = await setup(t, { dlr: true, dlr_delay_ms: 5 }, { binds: 1, mode: 'pair' })
  await waitBound(1)
  while (carrier.boundCount() < 2) await once(carrier, 'bind')
  t.same(pool.snapshot().binds.map((b) => b.type), ['transmitter', 'receiver'])
  const r = new Req()
  pool.submit(r)
  t.equal(await r.done, 0)
  if (delivered.length === 0) await once(events, 'deliver')
  t.equal(readCommandId(delivered[0]), CommandId.deliver_sm, 'the receipt came on the receiver bind')
})
