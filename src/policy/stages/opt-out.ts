// A recipient who replied TD / 退订 to an account gets nothing more from it (commitment: no messages
// without consent). The list is written by the MO handler and the admin commands (policy/opt-out.ts).
// Which message classes it covers is configurable: a verification code the person asked for a minute ago
// is not marketing.
import { z } from 'zod'
import { defineStage, StageMode } from '../define-stage.js'
import { hit, PASS } from '../verdict.js'
import { destinationOf } from '../numbers.js'
import { stateFailure } from '../state-failure.js'
import { FailModeSchema } from '../../state/config.js'
import { VendorStatus } from '../../smpp/status.js'

/** The state set holding an account's opted-out numbers (canonical form). */
export const optOutSet = (system_id: string): string => `optout:${system_id}`

export const MessageClass = z.enum(['marketing', 'notification', 'verification'])
export type MessageClass = z.infer<typeof MessageClass>

export const OptOutStageConfig = z.strictObject({
  mode: StageMode.default('enforce'),
  on_state_error: FailModeSchema.default('open'),
  status: z.number().int().default(VendorStatus.RECIPIENT_OPTED_OUT),
  /** What this account sends; set per account (`policy: { opt_out: { message_class: verification } }`). */
  message_class: MessageClass.default('notification'),
  /** Classes an opt-out stops. */
  applies_to: z.array(MessageClass).default(['marketing', 'notification']),
  /** Whole MO replies that opt out, compared width-, case- and punctuation-insensitively. */
  keywords: z.array(z.string().min(1)).default(['TD', 'T', 'N', '退订', '取消']),
})

export default defineStage({
  name: 'opt_out',
  config: OptOutStageConfig,
  build: (cfg, { state }, account) => {
    if (!cfg.applies_to.includes(cfg.message_class)) return null
    const set = optOutSet(account.system_id)
    const optedOut = hit('opt_out.recipient', 'recipient', cfg.status)
    const fail = cfg.on_state_error
    const sync = state.sync
    return (msg) => {
      const d = destinationOf(msg)
      if (d === null) return PASS
      if (sync) {
        try {
          return sync.has(set, d) ? optedOut : PASS
        } catch (err) {
          return stateFailure(state, 'opt_out', fail, err)
        }
      }
      return state.has(set, d).then(
        (yes) => (yes ? optedOut : PASS),
        (err: unknown) => stateFailure(state, 'opt_out', fail, err),
      )
    }
  },
})
