import t from 'tap'
import { join } from 'node:path'
import { main } from '../../src/commands/report.js'
import { message, T0, DAY } from '../archive/fixtures.js'
import { archiveWith, captureIo } from './archive-fixture.js'

const reject = (system_id: string, category: string, at: number) =>
  message({ system_id, received_at: at, verdict: 'reject', rule: `content.${category}`, category, command_status: 0x401 })

t.test('report violations', async (t) => {
  const dir = t.testdir({ etc: {} })
  const config = await archiveWith(join(dir, 'etc'), [
    reject('acme', 'gambling', T0),
    reject('acme', 'gambling', T0 + 1),
    reject('acme', 'fraud', T0 + 2),
    reject('beta', 'gambling', T0 + 3),
    message({ system_id: 'beta', received_at: T0 + 4, verdict: 'monitor', rule: 'content.marketing', category: 'marketing' }),
    message({ system_id: 'acme', received_at: T0 + 5 }),
    reject('acme', 'gambling', T0 + 3 * DAY),
  ])
  const run = async (...args: string[]) => {
    const { io, chunks } = captureIo()
    const code = await main(['violations', '--config', config, ...args], io)
    return { code, ...chunks }
  }

  t.test('per account and category over a range, as JSON', async (t) => {
    const r = await run('--from', '2026-11-01', '--to', '2026-11-02', '--format', 'json')
    t.equal(r.code, 0)
    t.same(JSON.parse(r.out), {
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T00:00:00.000Z',
      rows: [
        { account: 'acme', category: 'gambling', rejected: 2, monitored: 0 },
        { account: 'acme', category: 'fraud', rejected: 1, monitored: 0 },
        { account: 'beta', category: 'gambling', rejected: 1, monitored: 0 },
        { account: 'beta', category: 'marketing', rejected: 0, monitored: 1 },
      ],
    })
  })

  t.test('as a table with a total, whole archive', async (t) => {
    const r = await run()
    t.equal(r.code, 0)
    const lines = r.out.trim().split('\n')
    t.match(lines[0], /^account\s+category\s+rejected\s+monitored$/)
    t.match(lines[1], /^acme\s+gambling\s+3\s+0$/)
    t.match(lines[lines.length - 1], /^total\s+5\s+1$/)
  })

  t.test('usage errors exit 2', async (t) => {
    t.equal((await run('--format', 'xml')).code, 2)
    const { io } = captureIo()
    t.equal(await main(['nothing'], io), 2)
  })
})
