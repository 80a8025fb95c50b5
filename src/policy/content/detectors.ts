// Detectors that rules use as tokens (`@link`, `@mobile`, `@qq`, `@wechat`, …). They run on the detector
// view of the text: folded like the match view (width, case, traditional forms) but with punctuation kept
// and blanks and symbols removed, so `w w w . x . example`, `ｖ　ｘ：ａｂｃ` and `微♥：abc` read as written
// without their interference characters. Spans are reported in original-text indices.
import { foldedString, foldInto, type Folded, type FoldTable } from './normalize.js'

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

// Cues: characters at least one of which every match of a detector regex contains, so a text without any
// skips that regex (and, without any cue at all, the detector view). Every cue is a letter or a digit, which
// the match view keeps exactly as the detector view does, so the cues are read off the match view the scan
// has already folded. A new regex alternative needs its cue here.
const DIGIT_CUE = 1 // MOBILE_RE, QQ_RE: the number itself
const LATIN_CUE = 2 // URL_RE (the top label), WECHAT_RE (the id), and v / w / q in OBFUSCATED_RE and qq in CONTACT_WORD_RE
const OBFUSCATED_CUE = 4 // OBFUSCATED_RE's Chinese-only alternatives: 威信 … 维信, 威芯, 加薇, 扣扣, 企鹅号, 微:
const CONTACT_CUE = 8 // CONTACT_WORD_RE's Chinese-only alternatives: 加我, 微信号, 私聊, 联系我, 找我
/** All cues: what `detect` assumes when not told. */
const ALL_CUES = DIGIT_CUE | LATIN_CUE | OBFUSCATED_CUE | CONTACT_CUE

const CUES = (() => {
  const t = new Uint8Array(0x10000)
  for (let c = 0x30; c <= 0x39; c++) t[c] = DIGIT_CUE
  for (let c = 0x61; c <= 0x7a; c++) t[c] = LATIN_CUE
  for (const ch of '威薇位徽卫危维扣抠寇企微') t[ch.charCodeAt(0)] |= OBFUSCATED_CUE
  for (const ch of '加微私联找') t[ch.charCodeAt(0)] |= CONTACT_CUE
  return t
})()

/** The cues a match-view unit carries (0 for most): what the scan ORs over a message's units. */
export const cueOf = (unit: number): number => CUES[unit]

/**
 * Runs every detector over the detector view `view` of `text`. `cues` (`cueOf` of every unit) names the
 * regexes that can match at all; the others are skipped, which changes nothing but the time taken.
 */
export function detect(text: string, view: Folded, opts: DetectOptions = {}, cues = ALL_CUES): DetectorHit[] {
  const out: DetectorHit[] = []
  const s = foldedString(view)
  if ((cues & LATIN_CUE) !== 0 && s.includes('.')) links(s, view, opts, out)
  let contact = false
  if ((cues & DIGIT_CUE) !== 0) {
    contact = collect(MOBILE_RE, s, view, out, 'mobile', 'contact') || contact
    contact = collect(QQ_RE, s, view, out, 'qq', 'contact') || contact
  }
  if ((cues & LATIN_CUE) !== 0) contact = collect(WECHAT_RE, s, view, out, 'wechat', 'contact') || contact
  if ((cues & (LATIN_CUE | OBFUSCATED_CUE)) !== 0) collect(OBFUSCATED_RE, s, view, out, 'contact_obfuscated', contact ? null : 'contact')
  if (!contact && (cues & (LATIN_CUE | CONTACT_CUE)) !== 0) collect(CONTACT_WORD_RE, s, view, out, 'contact', null)
  out.push(signatureHit(text))
  return out
}

/**
 * `detect` as the scan runs it: `cues` were gathered off the text's match-view fold, and the detector view is
 * folded (into `view`, through `table`) only when some regex can match.
 */
export function detectCued(text: string, cues: number, table: FoldTable, view: Folded, opts: DetectOptions = {}): DetectorHit[] {
  return cues === 0 ? [signatureHit(text)] : detect(text, foldInto(text, table, view), opts, cues)
}

/** Records every match of `re` in `s` as `kind` (and `also`); true when there was one. */
function collect(re: RegExp, s: string, view: Folded, out: DetectorHit[], kind: DetectorKind, also: DetectorKind | null): boolean {
  re.lastIndex = 0
  let found = false
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const hit = viewHit(kind, m, view)
    out.push(hit)
    if (also !== null) out.push({ ...hit, kind: also })
    found = true
  }
  return found
}

function links(s: string, view: Folded, opts: DetectOptions, out: DetectorHit[]): void {
  URL_RE.lastIndex = 0
  for (let m = URL_RE.exec(s); m !== null; m = URL_RE.exec(s)) {
    const host = m[1].replace(/^www\./, '')
    if (opts.allowedHosts && matchHost(host, opts.allowedHosts)) continue
    const hit = viewHit('link', m, view)
    out.push(hit)
    if (matchHost(host, SHORTENER_HOSTS)) out.push({ ...hit, kind: 'shortlink' })
  }
}

const viewHit = (kind: DetectorKind, m: RegExpExecArray, view: Folded): DetectorHit => ({
  kind,
  start: view.offsets[m.index],
  end: view.offsets[m.index + m[0].length - 1],
  value: m[0],
})

function signatureHit(text: string): DetectorHit {
  const sig = SIGNATURE_RE.exec(text)
  return sig
    ? { kind: 'signature', start: sig.index, end: sig.index + sig[0].length - 1, value: sig[0].trim() }
    : { kind: 'unsigned', start: 0, end: Math.max(0, text.length - 1), value: '' }
}

/** The 【…】 signature at the start or end of a text, without brackets, or null. */
export function signatureOf(text: string): string | null {
  const m = SIGNATURE_RE.exec(text)
  return m ? m[0].trim().slice(1, -1) : null
}
