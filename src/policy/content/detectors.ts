// Detectors that rules use as tokens (`@link`, `@mobile`, `@qq`, `@wechat`, …). They run on the detector
// view of the text: folded like the match view (width, case, traditional forms) but with punctuation kept
// and blanks and symbols removed, so `w w w . x . example`, `ｖ　ｘ：ａｂｃ` and `微♥：abc` read as written
// without their interference characters. Spans are reported in original-text indices.
import type { Folded } from './normalize.js'
import { foldedString } from './normalize.js'

export const DetectorKinds = [
  'link',
  'shortlink',
  'mobile',
  'qq',
  'wechat',
  'contact',
  'contact_obfuscated',
  'signature',
  'unsigned',
] as const
export type DetectorKind = (typeof DetectorKinds)[number]

export interface DetectorHit {
  readonly kind: DetectorKind
  /** Original-text index of the first and last unit. */
  readonly start: number
  readonly end: number
  readonly value: string
}

/** Hosts of public URL shorteners: a short link hides where it leads, so rules may weigh it on its own. */
export const SHORTENER_HOSTS: readonly string[] = [
  't.cn', 'dwz.cn', 'url.cn', 'suo.im', 'suo.nz', 'bit.ly', 'tinyurl.com', 't.co', 'is.gd', 'ow.ly', 'w.url.cn',
  'dwz.date', 'sohu.gg', 'mrw.so', 'rrd.me', '0x3.me', 'u.nu', 'cutt.ly', 'rebrand.ly', 'sina.lt', 'tb.cn',
  'm.tb.cn', 'dwz.mk', 'kks.me', 'lrl.kr', 'goo.gl', 'v.gd', 'qq.cn.com',
]

// A host is at least two labels with a letter-only top label; the scheme and `www.` are optional because
// spam drops them. Digits-only "hosts" (3.5, 1.00) never match because the top label must be letters.
const URL_RE = /(?:https?:\/\/)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![a-z0-9-])(?::\d{1,5})?(?:\/[\x21-\x7e]*)?/g
const MOBILE_RE = /(?<![0-9])(?:\+?86)?1[3-9][0-9]{9}(?![0-9])/g
// A bare `q` / `v` prefix counts only with a colon: `Q3 2026` or `version2` are not ids.
const QQ_RE = /(?:(?:qq|扣扣|抠抠|寇寇|企鹅)(?:号|群|号码)?:?|q(?:群|号)?:)([1-9][0-9]{4,10})(?![0-9])/g
// WeChat ids: 6–20 characters, a letter first (WeChat's own rule); after an explicit channel word.
const WECHAT_RE = /(?:(?:微信|weixin|wechat|wx|vx|v信|威信|薇信|位信|维信|徽信|卫信|危信|[威薇徽卫位v]芯)(?:号|id)?:?|(?:v|薇|微)(?:号)?:)([a-z][a-z0-9_-]{5,19})(?![a-z0-9_-])/g
// Forms of the private channels that only exist to slip past keyword filters (NOTES.md §5: 威信 for 微信).
const OBFUSCATED_RE = /v信|威信|薇信|位信|徽信|卫信|危信|维信|[威薇徽卫位v]芯|加薇|加v(?![a-z])|[加+＋]?vx(?![a-z])|[加+＋]wx(?![a-z])|扣扣|抠抠|寇寇|企鹅号|加q(?![a-z])|q群|微:|薇:|v:/g
const CONTACT_WORD_RE = /加微信|加我微信|微信号|加qq|qq号|加我|私聊|私信我|联系我|找我/g
const SIGNATURE_RE = /^\s*【[^【】]{1,24}】|【[^【】]{1,24}】\s*$/

function matchHost(host: string, allowed: readonly string[]): boolean {
  for (const a of allowed) {
    if (host === a || (host.length > a.length && host.endsWith(a) && host.charCodeAt(host.length - a.length - 1) === 46)) return true
  }
  return false
}

export interface DetectOptions {
  /** Hosts (and their subdomains) whose links are the account's own and not evidence. */
  readonly allowedHosts?: readonly string[]
}

/**
 * Every match of a global regex, like `matchAll` but without the copy of the regex that `matchAll` makes on
 * each call (~0.3 µs, six times per message). A zero-length match moves on by one unit.
 */
export function execAll(re: RegExp, s: string, each: (m: RegExpExecArray) => void): void {
  re.lastIndex = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(s)) !== null) {
    if (m[0] === '') re.lastIndex++
    each(m)
  }
}

/** Runs every detector over the detector view `view` of `text`. */
export function detect(text: string, view: Folded, opts: DetectOptions = {}): DetectorHit[] {
  const out: DetectorHit[] = []
  const s = foldedString(view)
  const at = (i: number) => view.offsets[i]
  const push = (kind: DetectorKind, m: RegExpExecArray) =>
    out.push({ kind, start: at(m.index), end: at(m.index + m[0].length - 1), value: m[0] })

  if (s.includes('.')) {
    execAll(URL_RE, s, (m) => {
      const host = m[1].replace(/^www\./, '')
      if (opts.allowedHosts && matchHost(host, opts.allowedHosts)) return
      push('link', m)
      if (matchHost(host, SHORTENER_HOSTS)) push('shortlink', m)
    })
  }
  let contact = false
  execAll(MOBILE_RE, s, (m) => {
    push('mobile', m)
    push('contact', m)
    contact = true
  })
  execAll(QQ_RE, s, (m) => {
    push('qq', m)
    push('contact', m)
    contact = true
  })
  execAll(WECHAT_RE, s, (m) => {
    push('wechat', m)
    push('contact', m)
    contact = true
  })
  execAll(OBFUSCATED_RE, s, (m) => {
    push('contact_obfuscated', m)
    if (!contact) push('contact', m)
  })
  if (!contact) execAll(CONTACT_WORD_RE, s, (m) => push('contact', m))
  const sig = SIGNATURE_RE.exec(text)
  if (sig) out.push({ kind: 'signature', start: sig.index, end: sig.index + sig[0].length - 1, value: sig[0].trim() })
  else out.push({ kind: 'unsigned', start: 0, end: Math.max(0, text.length - 1), value: '' })
  return out
}

/** The 【…】 signature at the start or end of a text, without brackets, or null. */
export function signatureOf(text: string): string | null {
  const m = SIGNATURE_RE.exec(text)
  return m ? m[0].trim().slice(1, -1) : null
}
