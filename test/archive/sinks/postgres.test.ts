// Against a real PostgreSQL (scripts/ci/start-postgres.sh starts one and prints its URL). The outage test
// puts a TCP relay on 127.0.0.1 between the archive and the server and cuts it in the middle of a run.
import t from 'tap'
import net from 'node:net'
import pg from 'pg'
import { openPostgresSink, type PostgresSinkConfig } from '../../../src/archive/sinks/postgres.js'
import { createArchive } from '../../../src/archive/archive.js'
import { ArchiveSchema } from '../../../src/archive/config.js'
import { sinkContract } from '../sink-contract.js'
import { collect, message, newMetrics, pgReachable, silentLog, T0, TEST_PG_URL } from '../fixtures.js'

const URL = TEST_PG_URL
const deps = { log: silentLog, baseDir: '.', clock: Date.now }


let n = 0
function prefix(): string {
  return `t${process.pid}_${Date.now().toString(36)}_${n++}`
}

async function dropTables(p: string): Promise<void> {
  const c = new pg.Client({ connectionString: URL })
  await c.connect()
  await c.query(`DROP TABLE IF EXISTS ${p}_messages, ${p}_receipts, ${p}_mo CASCADE`)
  await c.end()
}

function cfg(p: string, url = URL): PostgresSinkConfig {
  return { sink: 'postgres', url, table_prefix: p, pool_size: 2, connect_timeout_ms: 2000, statement_timeout_ms: 5000 }
}

/** A TCP relay that can cut every connection and refuse new ones, then come back. */
async function relay(target: URL) {
  const sockets = new Set<net.Socket>()
  let up = true
  const server = net.createServer((client) => {
    if (!up) return client.destroy()
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
  })
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res))
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      up = false
      for (const s of sockets) s.destroy()
    },
    restore() {
      up = true
    },
    close: () => new Promise<void>((res) => {
      for (const s of sockets) s.destroy()
      server.close(() => res())
    }),
  }
}

const skip = process.env.SMPP_GUARD_TEST_PG === 'skip' ? 'SMPP_GUARD_TEST_PG=skip' : false

t.test('postgres sink', { skip }, async (t) => {
  t.ok(await pgReachable(), `PostgreSQL reachable at ${URL.replace(/:[^:@/]+@/, ':***@')} (scripts/ci/start-postgres.sh starts it)`)

  t.test('passes the contract', async (t) => {
    const p = prefix()
    t.teardown(() => dropTables(p))
    await sinkContract(t, () => openPostgresSink(cfg(p), deps))
  })

  t.test('tables are partitioned by day', async (t) => {
    const p = prefix()
    t.teardown(() => dropTables(p))
    const sink = await openPostgresSink(cfg(p), deps)
    await sink.write([message({ received_at: T0 }), message({ received_at: T0 + 86_400_000 })])
    await sink.close()
    const c = new pg.Client({ connectionString: URL })
    await c.connect()
    const res = await c.query(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [`${p}_messages`],
    )
    await c.end()
    t.same(res.rows.map((r) => r.relname), [`${p}_messages_p20261101`, `${p}_messages_p20261102`])
  })

  t.test('an outage in the middle of a run loses nothing', async (t) => {
    const p = prefix()
    t.teardown(() => dropTables(p))
    const r = await relay(new globalThis.URL(URL))
    t.teardown(() => r.close())
    const target = new globalThis.URL(URL)
    target.host = `127.0.0.1:${r.port}`
    const dir = t.testdir()
    const metrics = newMetrics()
    const archive = await createArchive(
      ArchiveSchema.parse({ ...cfg(p, target.toString()), spool: { path: 'spool', batch_records: 50 } }),
      { log: silentLog, metrics, baseDir: dir },
    )
    const sent: string[] = []
    const total = 3000
    for (let i = 0; i < total; i++) {
      const rec = message({ received_at: T0 + i })
      sent.push(rec.id)
      const acked = archive.append(rec)
      if (i === 1000) {
        await acked
        r.cut()
      }
      if (i === 2000) {
        await acked
        // The spool keeps taking records while the sink is down, and the drainer has seen the failure.
        while ((await metrics.archiveWriteErrors.get()).values.length === 0) {
          await new Promise((res) => setTimeout(res, 20))
        }
        r.restore()
      }
      if (i % 100 === 99) await acked
    }
    await archive.close()
    t.equal(archive.stats().records, 0, 'spool drained')
    t.ok((await metrics.archiveWriteErrors.get()).values[0].value > 0, 'the outage was seen')
    const check = await openPostgresSink(cfg(p), deps)
    const got = (await collect(check.query({}))).map((x) => x.id)
    await check.close()
    t.equal(got.length, total)
    t.same(got, sent, 'every record, once, in order')
  })
})
