// One canonical form per phone number, so that limits, member lists and opt-outs see 13800138000,
// +8613800138000, 008613800138000 and 8613800138000 (TON international) as one person: E.164 digits
// without the '+' (ITU-T E.164 allows at most 15 digits). Chinese national forms are completed with 86.
import type { Message } from './message.js'

/** type_of_number values, SMPP 3.4 §5.2.5. */
export const Ton = { UNKNOWN: 0, INTERNATIONAL: 1, NATIONAL: 2, NETWORK_SPECIFIC: 3, SUBSCRIBER: 4, ALPHANUMERIC: 5, ABBREVIATED: 6 } as const

const CN = '86'
const E164_MAX = 15
/** Shortest international number worth a message (a few small countries have 7-digit E.164 numbers). */
const INTL_MIN = 7
const MOBILE_CN = /^1[3-9]\d{9}$/
/**
 * Chinese fixed line dialled nationally: trunk prefix 0, area code, subscriber; 10 to 12 digits. Beijing's
 * 10 is the only area code starting with 1: 011… is not a fixed line (and 11… is a truncated mobile).
 */
const FIXED_CN = /^0(?:10|[2-9]\d)\d{7,9}$/
/** Service numbers and short codes (95588, 10086, 106…) carry no country code. */
const SHORT = /^[1-9]\d{2,11}$/
const SEPARATORS = /[\s\-().]/g
const HAS_SEPARATOR = /[\s\-().]/

/**
 * Canonical digits of an address, or null when it cannot be a phone number (alphanumeric TON, letters,
 * a Chinese mobile number of the wrong length, more than 15 digits).
 */
export function normalizeNumber(addr: string, ton: number = Ton.UNKNOWN): string | null {
  if (ton === Ton.ALPHANUMERIC) return null
  let s = addr.trim()
  if (HAS_SEPARATOR.test(s)) s = s.replace(SEPARATORS, '')
  let international = ton === Ton.INTERNATIONAL
  if (s.startsWith('+')) {
    s = s.slice(1)
    international = true
  } else if (s.startsWith('00')) {
    s = s.slice(2)
    international = true
  }
  if (!/^\d+$/.test(s)) return null
  if (ton === Ton.ABBREVIATED) return SHORT.test(s) && s.length <= 8 ? s : null

  if (!international) {
    if (MOBILE_CN.test(s)) return CN + s
    if (FIXED_CN.test(s)) return CN + s.slice(1)
    if (s.length <= 8 && SHORT.test(s)) return s
    // Without a '+', 00 or TON international, a longer number starting with 1 is a mistyped Chinese mobile
    // rather than a NANP number; foreign numbers must say they are international.
    if (s.startsWith('1')) return null
    // A Chinese national number never starts with 86 (mobiles start with 1, fixed lines with 0), so 86
    // here is a country code even under TON national; anything else national is malformed.
    if (ton === Ton.NATIONAL && !s.startsWith(CN)) return null
  }
  // Country code 86 followed by a national number: check it is a whole Chinese number.
  if (s.startsWith(CN)) {
    const national = s.slice(2)
    if (MOBILE_CN.test(national)) return s
    if (FIXED_CN.test('0' + national)) return s
    return null
  }
  if (s.length < INTL_MIN || s.length > E164_MAX || s.startsWith('0')) return null
  return s
}

// The last message asked about: its stages run one after another, so a single entry serves them all
// without a WeakMap entry per message (ephemerons the collector must trace).
let lastMsg: Message | null = null
let lastDest: string | null = null

/**
 * The message's destination in canonical form, computed once per message however many stages ask.
 * Stages that count or look up recipients all use this, so they agree on who the recipient is.
 */
export function destinationOf(msg: Message): string | null {
  if (msg !== lastMsg) {
    lastDest = normalizeNumber(msg.destination_addr, msg.dest_addr_ton)
    lastMsg = msg
  }
  return lastDest
}
