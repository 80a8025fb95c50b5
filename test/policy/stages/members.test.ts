import t, { type Test } from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import members from '../../../src/policy/stages/members.js'
import { buildMemberList, memberListPaths, normalizePrefix } from '../../../src/policy/member-list.js'
import { createMemoryState } from '../../../src/state/memory.js'
import { MemoryStateSchema } from '../../../src/state/config.js'
import { createMetrics } from '../../../src/ops/metrics.js'
import { VendorStatus } from '../../../src/smpp/status.js'
import type { PolicyConfig } from '../../../src/policy/config.js'
import { account, judgeWith, silentLog } from './fixture.js'

const memory = () => createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log: silentLog, metrics: createMetrics() })

function listDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-members-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    join(dir, 'acme.txt'),
    ['# Acme members', '13800138000', '+86 139-0013-9000  # VIP', '008613700137000', '', '0755*', '186*', 'not a number', '1380013800'].join('\n'),
  )
  return dir
}

t.test('enforce: members by number in any spelling, and by prefix', async (t) => {
  const dir = listDir(t)
  const state = memory()
  t.teardown(() => state.close())
  const policy = { members: { mode: 'enforce', files: ['acme.txt'] } } as PolicyConfig
  const judge = judgeWith([members], account({ system_id: 'acme' }), policy, state, dir)
  for (const d of ['8613800138000', '13900139000', '+8613700137000', '18612345678', '075512345678']) {
    t.match(await judge({ destination_addr: d }, 0), { action: 'allow' }, d)
  }
  for (const d of ['13800138001', '13600136000', '01012345678', 'garbage']) {
    t.match(await judge({ destination_addr: d }, 0), {
      action: 'reject',
      rule: 'members.not_member',
      category: 'recipient',
      status: VendorStatus.RECIPIENT_NOT_MEMBER,
    }, d)
  }
})

t.test('monitor: non-members pass, recorded as shadow hits', async (t) => {
  const dir = listDir(t)
  const state = memory()
  t.teardown(() => state.close())
  const judge = judgeWith([members], account({ system_id: 'acme' }), { members: { mode: 'monitor', files: ['acme.txt'] } } as PolicyConfig, state, dir)
  t.match(await judge({ destination_addr: '13600136000' }, 0), { action: 'allow', shadow: [{ rule: 'members.not_member', mode: 'monitor' }] })
  t.match(await judge({ destination_addr: '13800138000' }, 0), { action: 'allow', shadow: [] })
})

t.test('off by default; per-account lists override the global setting', async (t) => {
  const dir = listDir(t)
  const state = memory()
  t.teardown(() => state.close())
  const off = judgeWith([members], account({ system_id: 'other' }), {}, state, dir)
  t.match(await off({ destination_addr: '13600136000' }, 0), { action: 'allow', shadow: [] })
  const own = judgeWith(
    [members],
    account({ system_id: 'acme', policy: { members: { mode: 'enforce', numbers: ['13600136000'] } } }),
    {},
    state,
    dir,
  )
  t.match(await own({ destination_addr: '13600136000' }, 0), { action: 'allow' })
  t.match(await own({ destination_addr: '13800138000' }, 0), { action: 'reject' })
})

t.test('a missing list file is a config error naming the file', async (t) => {
  const state = memory()
  t.teardown(() => state.close())
  t.throws(() => judgeWith([members], account({ system_id: 'acme' }), { members: { mode: 'enforce', files: ['nope.txt'] } } as PolicyConfig, state, tmpdir()), {
    code: 'SG_ERR_CONFIG_INVALID',
    message: /member list .*nope\.txt/,
  })
})

t.test('memberListPaths: every named file once, resolved', async (t) => {
  const config = {
    policy: { members: { mode: 'off', files: ['lists/all.txt'] } },
    accounts: [{ policy: { members: { files: ['lists/a.txt', 'lists/all.txt'] } } }, { policy: {} }],
  }
  t.same(memberListPaths(config, '/etc/sg'), ['/etc/sg/lists/all.txt', '/etc/sg/lists/a.txt'])
})

t.test('prefix spellings', async (t) => {
  t.equal(normalizePrefix('138'), '86138')
  t.equal(normalizePrefix('+86138'), '86138')
  t.equal(normalizePrefix('0086138'), '86138')
  t.equal(normalizePrefix('0755'), '86755')
  t.equal(normalizePrefix('44'), '44')
  t.equal(normalizePrefix('13x'), null)
})

t.test('a million members: a typed array, not a million objects', async (t) => {
  const lines: string[] = []
  for (let i = 0; i < 1_000_000; i++) lines.push(String(13_000_000_000 + i * 7))
  const list = buildMemberList([lines.join('\n')])
  t.equal(list.numbers, 1_000_000)
  t.equal(list.has('86' + String(13_000_000_000 + 7 * 123_456)), true)
  t.equal(list.has('86' + String(13_000_000_000 + 7 * 123_456 + 1)), false)
  t.equal(list.has('8613000000000'), true, 'first')
  t.equal(list.has('86' + String(13_000_000_000 + 7 * 999_999)), true, 'last')
  t.equal(list.invalid, 0)
})
