import t from 'tap'
import { parseAdminArgs } from '../../src/ops/admin-protocol.js'

t.test('command-line words become requests', async (t) => {
  t.same(parseAdminArgs(['status']), { cmd: 'status' })
  t.same(parseAdminArgs(['status', 'acme']), { cmd: 'status', account: 'acme' })
  t.same(parseAdminArgs(['sessions']), { cmd: 'sessions.list' })
  t.same(parseAdminArgs(['sessions', 'list']), { cmd: 'sessions.list' })
  t.same(parseAdminArgs(['sessions', 'kick', 'c-17']), { cmd: 'sessions.kick', id: 'c-17' })
  t.same(parseAdminArgs(['reload']), { cmd: 'reload' })
  t.same(parseAdminArgs(['suspend', 'acme']), { cmd: 'suspend', account: 'acme' })
  t.same(parseAdminArgs(['resume', 'acme']), { cmd: 'resume', account: 'acme' })
  t.same(parseAdminArgs(['optout', 'add', 'acme', '+8613812348000']), { cmd: 'optout.add', account: 'acme', number: '+8613812348000' })
  t.same(parseAdminArgs(['optout', 'remove', 'acme', '13812348000']), { cmd: 'optout.remove', account: 'acme', number: '13812348000' })
  t.same(parseAdminArgs(['optout', 'list', 'acme']), { cmd: 'optout.list', account: 'acme' })
  t.same(parseAdminArgs(['rules', 'test', 'acme', '加', '微信', '领红包']), { cmd: 'rules.test', account: 'acme', text: '加 微信 领红包' })
  t.same(parseAdminArgs(['rules', 'test', 'acme', 'hi'], { dst: '13812348000' }), { cmd: 'rules.test', account: 'acme', text: 'hi', dst: '13812348000' })
})

t.test('bad usage names the expected form', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /missing admin command/],
    [['frobnicate'], /unknown admin command 'frobnicate'/],
    [['status', 'acme', 'now'], /expected: status \[ACCOUNT\]/],
    [['sessions', 'kick'], /sessions kick SESSION_ID/],
    [['sessions', 'drop', 'x'], /unknown sessions subcommand/],
    [['suspend'], /suspend ACCOUNT/],
    [['optout', 'add', 'acme'], /optout add ACCOUNT NUMBER/],
    [['optout', 'add', 'acme', 'twelve'], /number: a phone number/],
    [['optout'], /unknown optout subcommand/],
    [['rules', 'test', 'acme'], /rules test ACCOUNT TEXT/],
    [['suspend', 'a-name-longer-than-15'], /account/],
  ]
  for (const [words, message] of cases) {
    t.throws(() => parseAdminArgs(words), { code: 'SG_ERR_USAGE', message }, words.join(' '))
  }
})
