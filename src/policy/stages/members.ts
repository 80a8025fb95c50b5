// The commitment allows messages to the enterprise's own members only. Each account names its member list
// files; numbers and prefixes are compared in canonical form. Lists are read when policy is compiled, so a
// config reload (SIGHUP, `admin reload`) re-reads them without a restart; accounts naming the same files
// share one copy.
import { z } from 'zod'
import { defineStage, StageMode } from '../define-stage.js'
import { hit, PASS } from '../verdict.js'
import { destinationOf } from '../numbers.js'
import { loadMemberList } from '../member-list.js'
import { VendorStatus } from '../../smpp/status.js'

export default defineStage({
  name: 'members',
  config: z.strictObject({
    /** Off until an account has a list: `enforce` with no list would refuse every recipient. */
    mode: StageMode.default('off'),
    /** Files of numbers and prefixes (`138*`), one per line, `#` comments; relative to the config file. */
    files: z.array(z.string()).default([]),
    /** Entries inline, for small lists and tests. */
    numbers: z.array(z.string()).default([]),
    status: z.number().int().default(VendorStatus.RECIPIENT_NOT_MEMBER),
  }),
  build: (cfg, { memo, baseDir, log }) => {
    const key = `members\0${cfg.files.join('\0')}\0${cfg.numbers.join('\0')}`
    const list = memo(key, () => {
      const l = loadMemberList(cfg.files, cfg.numbers, baseDir)
      // Counts only: the skipped lines are phone numbers, and logs carry none.
      if (l.invalid) log.warn({ files: cfg.files, invalid: l.invalid }, 'member list lines skipped')
      log.info({ files: cfg.files, numbers: l.numbers, prefixes: l.prefixes }, 'member list loaded')
      return l
    })
    const notMember = hit('members.not_member', 'recipient', cfg.status)
    return (msg) => {
      const d = destinationOf(msg)
      return d !== null && list.has(d) ? PASS : notMember
    }
  },
})
