import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { main } from '../../src/commands/archive.js'
import { message, mo, receipt, T0, HOUR, DAY } from '../archive/fixtures.js'
import { archiveWith, captureIo } from './archive-fixture.js'

const allowed = message({ received_at: T0, carrier_message_ids: ['c-1'], text: 'hello, "world"\nline two' })
const rejected = message({ received_at: T0 + HOUR, system_id: 'beta', destination_addr: '13900139000', verdict: 'reject', rule: 'content.gambling', category: 'gambling', command_status: 0x401, carrier_message_ids: [], carrier_status: null, text: '澳门赌场' })
const later = message({ received_at: T0 + 2 * DAY, verdict: 'monitor', rule: 'content.marketing', category: 'marketing', carrier_message_ids: [] })
const dlr = receipt({ message_id: 'c-1', at: T0 + 2 * HOUR })
const inbound = mo({ at: T0 + 3 * HOUR })

async function run(config: string, ...args: string[]) {
  const { io, chunks } = captureIo()
  const code = await main([...args, '--config', config], io)
  return { code, ...chunks }
}

t.test('archive query', async (t) => {
  const dir = t.testdir({ etc: {} })
  const config = await archiveWith(join(dir, 'etc'), [allowed, rejected, later, dlr, inbound])

  t.test('JSON lines with the receipt joined', async (t) => {
    const r = await run(config, 'query')
    t.equal(r.code, 0)
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l))
    t.same(rows.map((x) => x.id), [allowed.id, rejected.id, later.id])
    t.same(rows[0].receipts, [{ message_id: 'c-1', state: 'DELIVRD', error: '000', at: dlr.at }])
    t.equal(r.err, '')
  })

  t.test('filters from the command line', async (t) => {
    const ids = async (...args: string[]) => (await run(config, 'query', ...args)).out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).id)
    t.same(await ids('--account', 'beta'), [rejected.id])
    t.same(await ids('--dst', '13900139000'), [rejected.id])
    t.same(await ids('--src', allowed.source_addr, '--verdict', 'allow'), [allowed.id])
    t.same(await ids('--from', '2026-11-02'), [later.id])
    t.same(await ids('--to', new Date(T0 + HOUR).toISOString()), [allowed.id])
    t.same(await ids('--text', '赌场'), [rejected.id])
    t.same(await ids('--verdict', 'monitor'), [later.id])
    t.same(await ids('--kind', 'mo'), [inbound.id])
    t.same(await ids('--limit', '1'), [allowed.id])
  })

  t.test('CSV quotes text and joins receipts', async (t) => {
    const r = await run(config, 'query', '--format', 'csv', '--account', 'acme', '--verdict', 'allow')
    t.equal(r.code, 0)
    const [header, row] = r.out.split('\r\n')
    t.match(header, /^kind,id,time,decided_at,system_id,/)
    t.match(row, /^message,/)
    t.ok(row.includes('"hello, ""world""\nline two"'))
    t.ok(row.includes(`c-1:DELIVRD:000@${new Date(dlr.at).toISOString()}`))
  })

  t.test('bad usage exits 2 with the reason', async (t) => {
    const r1 = await run(config, 'query', '--verdict', 'maybe')
    t.equal(r1.code, 2)
    t.match(r1.err, /--verdict: one of allow, reject, monitor/)
    const r2 = await run(config, 'query', '--from', 'yesterday')
    t.equal(r2.code, 2)
    t.match(r2.err, /--from: not an ISO date/)
    const r3 = await run(config, 'query', '--bogus')
    t.equal(r3.code, 2)
  })

  t.test('export writes private files and a SHA-256 manifest that sha256sum accepts', async (t) => {
    const out = join(dir, 'case-42')
    const r = await run(config, 'export', '--from', '2026-11-01', '--to', '2026-11-02', '--out', out)
    t.equal(r.code, 0, r.err)
    t.same(readdirSync(out).sort(), ['SHA256SUMS', 'manifest.json', 'messages.jsonl', 'mo.jsonl'])
    for (const f of readdirSync(out)) t.equal(statSync(join(out, f)).mode & 0o777, 0o600, f)
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))
    t.match(manifest.query, { from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' })
    t.same(manifest.files.map((f: { name: string; records: number }) => [f.name, f.records]), [['messages.jsonl', 2], ['mo.jsonl', 1]])
    t.same(readFileSync(join(out, 'messages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).id), [allowed.id, rejected.id])
    t.match(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' }), /messages\.jsonl: OK[\s\S]*manifest\.json: OK/)
  })

  t.test('export as CSV with a verdict filter writes the messages only', async (t) => {
    const out = join(dir, 'case-43')
    const r = await run(config, 'export', '--from', '2026-11-01', '--to', '2026-12-01', '--verdict', 'reject', '--format', 'csv', '--out', out)
    t.equal(r.code, 0, r.err)
    t.same(readdirSync(out).sort(), ['SHA256SUMS', 'manifest.json', 'messages.csv'])
    const lines = readFileSync(join(out, 'messages.csv'), 'utf8').split('\r\n').filter(Boolean)
    t.equal(lines.length, 2, 'header and one rejected message')
    t.ok(lines[1].includes(rejected.id) && lines[1].includes('content.gambling'))
  })

  t.test('export refuses a non-empty directory and needs --from, --to, --out', async (t) => {
    const out = join(dir, 'busy')
    mkdirSync(join(out, 'x'), { recursive: true })
    const r = await run(config, 'export', '--from', '2026-11-01', '--to', '2026-11-02', '--out', out)
    t.equal(r.code, 2)
    t.match(r.err, /not empty/)
    t.equal((await run(config, 'export', '--from', '2026-11-01', '--out', join(dir, 'y'))).code, 2)
  })
})
