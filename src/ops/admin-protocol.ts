// What travels over the admin socket, declared once for both ends: the command-line grammar
// (`smpp-guard admin optout add ACCOUNT NUMBER`), the request the client sends, the handler table the
// proxy implements, and the response. The server validates every request: the socket is local and 0600,
// but a bad request must be an answer, not a crash.
import { z } from 'zod'
import { GuardError } from '../errors.js'

const Id = z.string().min(1).max(64)
const Account = z.string().min(1).max(15)
// Any usual spelling (+86 138-1234-8000); the policy layer canonicalises it.
const Number_ = z.string().regex(/^[+0-9][0-9 ().+-]{2,31}$/, 'a phone number: digits, optional leading +')

export const AdminRequestSchema = z.discriminatedUnion('cmd', [
  z.strictObject({ cmd: z.literal('ping') }),
  z.strictObject({ cmd: z.literal('status'), account: Account.optional() }),
  z.strictObject({ cmd: z.literal('sessions.list') }),
  z.strictObject({ cmd: z.literal('sessions.kick'), id: Id }),
  z.strictObject({ cmd: z.literal('reload') }),
  z.strictObject({ cmd: z.literal('suspend'), account: Account }),
  z.strictObject({ cmd: z.literal('resume'), account: Account }),
  z.strictObject({ cmd: z.literal('optout.add'), account: Account, number: Number_ }),
  z.strictObject({ cmd: z.literal('optout.remove'), account: Account, number: Number_ }),
  z.strictObject({ cmd: z.literal('optout.list'), account: Account }),
  z.strictObject({
    cmd: z.literal('rules.test'),
    account: Account,
    text: z.string().max(10_000),
    src: z.string().max(21).optional(),
    dst: z.string().max(21).optional(),
  }),
])

export type AdminRequest = z.infer<typeof AdminRequestSchema>
export type AdminCommand = AdminRequest['cmd']

/**
 * What the proxy implements, one function per command (`ping` is answered by the server itself). Results
 * must be plain JSON values. A handler throws for a failure (unknown account, unknown session, reload
 * rejected); a `GuardError`'s code and an error's `problems` list reach the client.
 */
export type AdminHandlers = {
  readonly [K in Exclude<AdminCommand, 'ping'>]: (req: Extract<AdminRequest, { cmd: K }>) => unknown
}

export interface AdminErrorBody {
  readonly code: string
  readonly message: string
  readonly problems?: readonly unknown[]
}

export type AdminResponse = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: AdminErrorBody }

export const ADMIN_USAGE = `commands:
  status [ACCOUNT]                     proxy, binds, sessions, config; or one account: suspension, violations, opt-outs
  sessions [list]                      client sessions
  sessions kick SESSION_ID             unbind and close one client session
  reload                               reload config, accounts, rules and lists (old config kept if invalid)
  suspend ACCOUNT | resume ACCOUNT     refuse / allow an account's submits (bound sessions stay)
  optout add|remove ACCOUNT NUMBER     change an account's opt-out list
  optout list ACCOUNT                  show an account's opt-out list
  rules test ACCOUNT TEXT...           the verdict the account's policy gives TEXT (options --src, --dst)`

function usage(detail: string): GuardError {
  return new GuardError('SG_ERR_USAGE', `${detail}\n${ADMIN_USAGE}`)
}

function arity(words: readonly string[], n: number, form: string): void {
  if (words.length !== n) throw usage(`expected: ${form}`)
}

/** Command-line words → request. Throws `SG_ERR_USAGE` naming the expected form. */
export function parseAdminArgs(words: readonly string[], opts: { src?: string; dst?: string } = {}): AdminRequest {
  const [cmd, sub, ...rest] = words
  let req: unknown
  switch (cmd) {
    case 'status':
      if (words.length > 2) throw usage('expected: status [ACCOUNT]')
      req = { cmd, account: sub }
      break
    case 'reload':
    case 'ping':
      arity(words, 1, cmd)
      req = { cmd }
      break
    case 'sessions':
      if (sub === undefined || sub === 'list') {
        arity(words, sub ? 2 : 1, 'sessions [list]')
        req = { cmd: 'sessions.list' }
      } else if (sub === 'kick') {
        arity(words, 3, 'sessions kick SESSION_ID')
        req = { cmd: 'sessions.kick', id: rest[0] }
      } else throw usage(`unknown sessions subcommand '${sub}'`)
      break
    case 'suspend':
    case 'resume':
      arity(words, 2, `${cmd} ACCOUNT`)
      req = { cmd, account: sub }
      break
    case 'optout':
      if (sub === 'add' || sub === 'remove') {
        arity(words, 4, `optout ${sub} ACCOUNT NUMBER`)
        req = { cmd: `optout.${sub}`, account: rest[0], number: rest[1] }
      } else if (sub === 'list') {
        arity(words, 3, 'optout list ACCOUNT')
        req = { cmd: 'optout.list', account: rest[0] }
      } else throw usage(`unknown optout subcommand '${sub ?? ''}'`)
      break
    case 'rules':
      if (sub !== 'test' || rest.length < 2) throw usage('expected: rules test ACCOUNT TEXT...')
      req = { cmd: 'rules.test', account: rest[0], text: rest.slice(1).join(' '), src: opts.src, dst: opts.dst }
      break
    default:
      throw usage(cmd ? `unknown admin command '${cmd}'` : 'missing admin command')
  }
  const parsed = AdminRequestSchema.safeParse(stripUndefined(req as Record<string, unknown>))
  if (!parsed.success) throw usage(parsed.error.issues.map((i) => `${i.path.join('.') || cmd}: ${i.message}`).join('; '))
  return parsed.data
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}
