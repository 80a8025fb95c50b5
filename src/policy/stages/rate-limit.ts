// Anti-harassment limits (commitment: no repeated messages that disturb a person's normal life), last in
// the pipeline because it counts: a message stopped by an earlier stage uses up no quota. Every limit of a
// message is checked and counted in one State.consume call — one Redis round trip — and all or nothing,
// so a refused message counts nowhere. Defaults follow Chinese cloud practice (NOTES.md §5).
import { z } from 'zod'
import { defineStage, StageMode } from '../define-stage.js'
import { hit, PASS, type Hit } from '../verdict.js'
import { destinationOf } from '../numbers.js'
import { stateFailure } from '../state-failure.js'
import { isTimeZone, minuteOfDay, parseClock, zoneOffset } from '../time-zone.js'
import { normalize } from '../content/normalize.js'
import { foldOf } from '../folded-text.js'
import { FailModeSchema } from '../../state/config.js'
import type { WindowCap, TokenBucket } from '../../state/types.js'
import { VendorStatus } from '../../smpp/status.js'
import { CommandStatus } from '../../smpp/constants.js'
import { base36 } from '../../util/base36.js'
import { hash64, hash64Out } from '../../util/hash64.js'

const Window = z.strictObject({ window_s: z.number().int().min(1), limit: z.number().int().min(0) })
type Window = z.infer<typeof Window>
const Clock = z.string().refine((s) => parseClock(s) !== null, 'a time of day, HH:MM')

export const RateLimitConfig = z.strictObject({
  mode: StageMode.default('enforce'),
  on_state_error: FailModeSchema.default('open'),
  /** Token bucket from the account's `tps` / `burst` (burst defaults to one second of tps); 0x58 when empty. */
  account_tps: z.boolean().default(true),
  /** Per recipient, per account. Aliyun's verification-code limits: 1 a minute, 5 an hour, 10 a day. */
  recipient: z.array(Window).default([
    { window_s: 60, limit: 1 },
    { window_s: 3600, limit: 5 },
    { window_s: 86400, limit: 10 },
  ]),
  /** Per recipient across every account: one person flooded by several enterprises (Huawei: 15/min, 50/day). */
  recipient_global: z.array(Window).default([
    { window_s: 60, limit: 15 },
    { window_s: 86400, limit: 50 },
  ]),
  /** Same normalised text to the same recipient from one account (Tencent 1 per 30 s, Huawei 5 per hour). */
  duplicate: z.array(Window).default([
    { window_s: 30, limit: 1 },
    { window_s: 3600, limit: 5 },
  ]),
  /** Hour and day windows start at this zone's midnight; quiet hours are read in it. */
  time_zone: z.string().refine(isTimeZone, 'an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  /** No messages from `from` to `to` local time (wrapping midnight), e.g. 21:00–08:00 for marketing. */
  quiet_hours: z.strictObject({ from: Clock, to: Clock }).nullable().default(null),
})

const THROTTLED = hit('rate_limit.tps', 'rate', CommandStatus.ESME_RTHROTTLED)
const QUIET = hit('rate_limit.quiet_hours', 'rate', VendorStatus.QUIET_HOURS)

interface CapTemplate {
  readonly prefix: string
  readonly window_ms: number
  readonly limit: number
  readonly hit: Hit
  readonly duplicate: boolean
}

function templates(windows: readonly Window[], prefix: string, rule: string, status: number, duplicate: boolean): CapTemplate[] {
  return windows.map((w) => ({
    prefix,
    window_ms: w.window_s * 1000,
    limit: w.limit,
    duplicate,
    hit: hit(rule, 'rate', status, `${w.limit} per ${w.window_s} s`),
  }))
}

/** 53-bit hash of the folded text (cyrb53): collisions within one recipient's window are negligible. */
function hashFold(fold: string): string {
  hash64(fold)
  return base36(4294967296 * (2097151 & hash64Out.hi) + (hash64Out.lo >>> 0))
}

/** A cap whose key is filled in per message. */
interface CapSlot {
  key: string
  readonly window_ms: number
  readonly limit: number
}

/**
 * The caps one kind of message is counted against, built once: with text, and without (binary messages
 * skip the duplicate check). The synchronous backend reads the request before it returns, so the sync path
 * fills in the keys and hands over the same objects, allocating nothing per message; the promise path copies.
 */
interface CapPlan {
  readonly templates: readonly CapTemplate[]
  readonly caps: readonly CapSlot[]
  readonly req: { now: number; offset_ms: number; readonly bucket: TokenBucket | undefined; readonly caps: readonly CapSlot[] }
}

function capPlan(templates: readonly CapTemplate[], bucket: TokenBucket | undefined): CapPlan {
  const caps = templates.map((c) => ({ key: '', window_ms: c.window_ms, limit: c.limit }))
  return { templates, caps, req: { now: 0, offset_ms: 0, bucket, caps } }
}

export default defineStage({
  name: 'rate_limit',
  config: RateLimitConfig,
  build: (cfg, { state, memo }, account) => {
    const id = account.system_id
    const bucket: TokenBucket | undefined =
      cfg.account_tps && account.tps > 0 ? { key: `tps:${id}`, rate: account.tps, burst: account.burst ?? Math.max(1, account.tps) } : undefined
    const caps: CapTemplate[] = [
      ...templates(cfg.recipient, `ra:${id}:`, 'rate_limit.recipient', VendorStatus.RECIPIENT_RATE_LIMITED, false),
      ...templates(cfg.recipient_global, 'rg:', 'rate_limit.recipient_global', VendorStatus.RECIPIENT_GLOBAL_RATE_LIMITED, false),
      ...templates(cfg.duplicate, `rd:${id}:`, 'rate_limit.duplicate', VendorStatus.DUPLICATE_CONTENT, true),
    ]
    const quiet = cfg.quiet_hours ? { from: parseClock(cfg.quiet_hours.from)!, to: parseClock(cfg.quiet_hours.to)! } : null
    if (!bucket && caps.length === 0 && !quiet) return null
    const offsetOf = memo(`tz\0${cfg.time_zone}`, () => zoneOffset(cfg.time_zone))
    const fail = cfg.on_state_error
    const sync = state.sync
    const withText = capPlan(caps, bucket)
    const binary = capPlan(caps.filter((c) => !c.duplicate), bucket)

    return (msg, ctx) => {
      const now = ctx.now
      const offset_ms = offsetOf(now)
      if (quiet) {
        const m = minuteOfDay(now, offset_ms)
        if (quiet.from <= quiet.to ? m >= quiet.from && m < quiet.to : m >= quiet.from || m < quiet.to) return QUIET
      }
      const d = destinationOf(msg) ?? msg.destination_addr
      let hash = ''
      if (msg.text.length > 0) hash = hashFold(foldOf(msg) ?? normalize(msg.text))
      const plan = hash ? withText : binary
      const used = plan.templates
      // The windows of one prefix come together: one key string for all of them, so the backend's "same key
      // as an earlier cap" test is a pointer comparison and not a walk over two cons-string trees.
      let key = ''
      for (let i = 0; i < used.length; i++) {
        const c = used[i]
        if (i === 0 || used[i - 1].prefix !== c.prefix) key = c.duplicate ? `${c.prefix}${d}:${hash}` : c.prefix + d
        plan.caps[i].key = key
      }
      if (sync) {
        plan.req.now = now
        plan.req.offset_ms = offset_ms
        try {
          const r = sync.consume(plan.req)
          return r.ok ? PASS : r.failed === 'bucket' ? THROTTLED : used[r.failed].hit
        } catch (err) {
          return stateFailure(state, 'rate_limit', fail, err)
        }
      }
      const caps: WindowCap[] = plan.caps.map((c) => ({ key: c.key, window_ms: c.window_ms, limit: c.limit }))
      return state.consume({ now, offset_ms, bucket, caps }).then(
        (r) => (r.ok ? PASS : r.failed === 'bucket' ? THROTTLED : used[r.failed].hit),
        (err: unknown) => stateFailure(state, 'rate_limit', fail, err),
      )
    }
  },
})
