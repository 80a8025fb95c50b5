// Who the message claims to be from: the source_addr must be one the account may use, and nobody may
// borrow the service numbers of banks, UnionPay, carriers and public services (95588 in a phishing text is
// the classic spoof); the 【signature】 must be one registered for the account.
import { z } from 'zod'
import { defineStage, StageMode } from '../define-stage.js'
import { hit, PASS, type Hit } from '../verdict.js'
import { VendorStatus } from '../../smpp/status.js'
import { signatureOf } from '../content/detectors.js'

/**
 * Service numbers only their owners send from: 955xx (banks, UnionPay 95516, insurers), carriers' 100xx,
 * public services (12306 railway, 12315 consumer, 12345 hotline, 12321 spam reporting) and emergency
 * numbers. An account that really is the bank lists its number in `allowed_source`.
 */
export const PROTECTED_SOURCES: readonly string[] = ['955*', '100*', '12306', '12315', '12345', '12321', '12329', '12333', '110', '119', '120', '122', '96110']

const Pattern = z.string().min(1)
const SOURCE_CACHE = 1024

export const SenderConfigSchema = z.strictObject({
  mode: StageMode.default('enforce'),
  /** source_addr patterns the account may use: exact, with `*` for any run of characters, or `/regex/`. Empty: any. */
  allowed_source: z.array(Pattern).default([]),
  /** Patterns refused unless `allowed_source` names them (a bare `*` does not count). */
  protected_source: z.array(Pattern).default([...PROTECTED_SOURCES]),
  /** Registered signatures (without 【】). Empty: no signature check. */
  signatures: z.array(z.string().min(1)).default([]),
  /** What a missing or unregistered signature does: reject, monitor (log, count, forward) or off. */
  signature_action: z.enum(['reject', 'monitor', 'off']).default('reject'),
})
export type SenderConfig = z.infer<typeof SenderConfigSchema>

/** A compiled matcher for one pattern list. */
export function compilePatterns(patterns: readonly string[]): (addr: string) => boolean {
  const res = patterns.map((p) => {
    if (p.length > 2 && p.startsWith('/') && p.endsWith('/')) return new RegExp(p.slice(1, -1))
    const body = p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')
    return new RegExp(`^${body}$`)
  })
  return (addr) => res.some((re) => re.test(addr))
}

/** The address as dialled nationally: spoofers write 95588 as +8695588 or 008695588 too. */
export function canonicalSource(addr: string): string {
  const s = addr.trim().replace(/[\s-]/g, '')
  const m = /^(?:\+|00)?86(\d{3,})$/.exec(s)
  return m ? m[1] : s
}

export default defineStage({
  name: 'sender',
  config: SenderConfigSchema,
  build: (cfg) => {
    const allowed = cfg.allowed_source.length > 0 ? compilePatterns(cfg.allowed_source) : null
    // "Any sender" must not silently include the bank's number: only a pattern with a fixed part does.
    const named = compilePatterns(cfg.allowed_source.filter((p) => p.replace(/\*/g, '') !== ''))
    const isProtected = compilePatterns(cfg.protected_source)
    const notAllowed = (addr: string) => hit('sender.source_addr', 'sender', VendorStatus.SENDER_NOT_ALLOWED, `source_addr ${addr}`)
    const signatures = new Set(cfg.signatures)
    const checkSignature = signatures.size > 0 && cfg.signature_action !== 'off'
    const signatureMode: Hit['mode'] = cfg.signature_action === 'monitor' ? 'monitor' : 'enforce'
    if (!allowed && cfg.protected_source.length === 0 && !checkSignature) return null
    const judgeSource = (addr: string): Hit | null => {
      const src = canonicalSource(addr)
      if (allowed && !allowed(src) && !allowed(addr)) return notAllowed(addr)
      if (src !== '' && isProtected(src) && !named(src)) return notAllowed(addr)
      return null
    }
    // An account sends from a handful of addresses: the pattern lists (a dozen regexes) run once per address,
    // not once per message. Bounded, since the addresses come from the client.
    const sources = new Map<string, Hit | null>()

    return (msg) => {
      let source = sources.get(msg.source_addr)
      if (source === undefined) {
        if (sources.size >= SOURCE_CACHE) sources.clear()
        sources.set(msg.source_addr, (source = judgeSource(msg.source_addr)))
      }
      if (source) return source
      // Binary payloads (allowed only where the account may send them) carry no text to sign.
      if (checkSignature && msg.encoding !== 'binary') {
        const sig = signatureOf(msg.text)
        if (sig === null || !signatures.has(sig)) {
          return {
            rule: 'sender.signature',
            category: 'sender',
            status: VendorStatus.SIGNATURE_INVALID,
            mode: signatureMode,
            detail: sig === null ? 'no 【signature】' : `signature 【${sig}】 not registered`,
          }
        }
      }
      return PASS
    }
  },
})
