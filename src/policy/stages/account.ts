// Account-level refusals, before anything looks at the recipient: a suspended account (by config, by an
// operator or by automatic discipline), binary data_coding where the account may send text only, and a
// destination that is not a phone number (ESME_RINVDSTADR, SMPP 3.4 §5.1.3).
import { z } from 'zod'
import { defineStage, StageMode } from '../define-stage.js'
import { hit, PASS } from '../verdict.js'
import { destinationOf } from '../numbers.js'
import { isSuspended, SUSPENDED_SET } from '../suspension.js'
import { stateFailure } from '../state-failure.js'
import { FailModeSchema } from '../../state/config.js'
import { VendorStatus } from '../../smpp/status.js'
import { CommandStatus, DataCoding } from '../../smpp/constants.js'

export const AutoSuspendSchema = z.strictObject({
  /** Off by default: one content false positive storm must not cut a customer off before rules are tuned. */
  enabled: z.boolean().default(false),
  /** Weighted rejections within one window that suspend the account. */
  threshold: z.number().min(1).default(50),
  window_s: z.number().int().min(1).default(3600),
  /**
   * Which rejections count and how much: verdict rule → weight; `content.*` matches every rule of a stage.
   * The highest matching weight applies. Rate limits are left out on purpose: a client retrying too fast
   * is throttled, not a violator.
   */
  weights: z.record(z.string(), z.number().min(0)).default({ 'content.*': 1, 'sender.*': 1, 'members.*': 1, 'opt_out.*': 1 }),
})
export type AutoSuspendConfig = z.infer<typeof AutoSuspendSchema>

const SUSPENDED = hit('account.suspended', 'account', VendorStatus.ACCOUNT_SUSPENDED)
const BINARY = hit('account.binary_not_allowed', 'account', VendorStatus.BINARY_NOT_ALLOWED)
const INVALID_DESTINATION = hit('account.invalid_destination', 'recipient', CommandStatus.ESME_RINVDSTADR)

export default defineStage({
  name: 'account',
  config: z.strictObject({
    mode: StageMode.default('enforce'),
    on_state_error: FailModeSchema.default('open'),
    auto_suspend: AutoSuspendSchema.default(AutoSuspendSchema.parse({})),
  }),
  build: (cfg, { state }, account) => {
    if (account.suspended) return () => SUSPENDED
    const allowBinary = account.allow_binary
    const id = account.system_id
    const fail = cfg.on_state_error
    const sync = state.sync
    return (msg) => {
      if (!allowBinary && (msg.encoding === 'binary' || msg.data_coding === DataCoding.binary || msg.data_coding === DataCoding.binary_alt)) {
        return BINARY
      }
      if (destinationOf(msg) === null) return INVALID_DESTINATION
      if (sync) {
        try {
          return sync.has(SUSPENDED_SET, id) ? SUSPENDED : PASS
        } catch (err) {
          return stateFailure(state, 'account', fail, err)
        }
      }
      return isSuspended(state, id).then(
        (yes) => (yes ? SUSPENDED : PASS),
        (err: unknown) => stateFailure(state, 'account', fail, err),
      )
    }
  },
})
