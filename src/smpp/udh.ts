// Long-message bookkeeping on the wire: the User Data Header (3GPP TS 23.040 §9.2.3.24) at the start of
// short_message / message_payload when esm_class has UDHI (SMPP 3.4 §5.2.12), and the sar_* TLVs
// (SMPP 3.4 §5.3.2.22–24) that say the same thing outside the user data.
import { Iei } from './constants.js'

export interface ConcatInfo {
  /** Message reference shared by all parts: 0–255 for 8-bit refs, 0–65535 for 16-bit refs and sar. */
  readonly ref: number
  readonly total: number
  /** 1-based. */
  readonly seq: number
  /** Where the numbers came from; part of the reassembly key, since the three schemes are separate. */
  readonly scheme: 'udh8' | 'udh16' | 'sar'
}

export interface InformationElement {
  readonly iei: number
  /** Offset of the element's data (after IEI and length) within the user data. */
  readonly offset: number
  readonly length: number
}

export type UdhResult =
  | {
      readonly ok: true
      /** Where the text starts: UDHL + 1. */
      readonly offset: number
      readonly elements: readonly InformationElement[]
      /** Present when a well-formed concatenation element (0x00 or 0x08) is there. */
      readonly concat?: ConcatInfo
    }
  | { readonly ok: false; readonly reason: 'udh_too_long' | 'element_overrun' | 'bad_concat' }

/**
 * Reads the UDH at the start of `userData`. Other elements (ports, national language shifts…) are listed
 * and skipped. When several concatenation elements appear the last one wins (TS 23.040 §9.2.3.24: a
 * repeated element overrides). A concatenation element with total 0 or a sequence outside 1..total is
 * `bad_concat` (TS 23.040 §9.2.3.24.1 says ignore the element; we report it so the caller can decide).
 */
export function parseUdh(userData: Uint8Array): UdhResult {
  if (userData.length < 1) return { ok: false, reason: 'udh_too_long' }
  const udhl = userData[0]
  const end = 1 + udhl
  if (end > userData.length) return { ok: false, reason: 'udh_too_long' }
  const elements: InformationElement[] = []
  let concat: ConcatInfo | undefined
  let badConcat = false
  let i = 1
  while (i < end) {
    if (i + 2 > end) return { ok: false, reason: 'element_overrun' }
    const iei = userData[i]
    const len = userData[i + 1]
    const offset = i + 2
    if (offset + len > end) return { ok: false, reason: 'element_overrun' }
    elements.push({ iei, offset, length: len })
    if (iei === Iei.CONCAT_8BIT || iei === Iei.CONCAT_16BIT) {
      const is16 = iei === Iei.CONCAT_16BIT
      if (len !== (is16 ? 4 : 3)) {
        badConcat = true
      } else {
        const ref = is16 ? (userData[offset] << 8) | userData[offset + 1] : userData[offset]
        const total = userData[offset + len - 2]
        const seq = userData[offset + len - 1]
        if (total < 1 || seq < 1 || seq > total) {
          badConcat = true
        } else {
          concat = { ref, total, seq, scheme: is16 ? 'udh16' : 'udh8' }
          badConcat = false
        }
      }
    }
    i = offset + len
  }
  if (badConcat) return { ok: false, reason: 'bad_concat' }
  return concat ? { ok: true, offset: end, elements, concat } : { ok: true, offset: end, elements }
}

export type SarResult =
  | { readonly ok: true; readonly concat?: ConcatInfo }
  | { readonly ok: false; readonly reason: 'sar_incomplete' | 'sar_bad_length' | 'bad_concat' }

/**
 * Reads the sar_* TLV values (pass what `findTlv` returned for each). None present: no concatenation.
 * Some but not all, wrong lengths, or a sequence outside 1..total are errors: SMPP 3.4 §5.3.2.22–24 makes
 * the three mandatory together, with ref 2 octets and the counts 1 octet each.
 */
export function readSarConcat(
  ref: Uint8Array | undefined,
  total: Uint8Array | undefined,
  seq: Uint8Array | undefined,
): SarResult {
  if (!ref && !total && !seq) return { ok: true }
  if (!ref || !total || !seq) return { ok: false, reason: 'sar_incomplete' }
  if (ref.length !== 2 || total.length !== 1 || seq.length !== 1) return { ok: false, reason: 'sar_bad_length' }
  const t = total[0]
  const s = seq[0]
  if (t < 1 || s < 1 || s > t) return { ok: false, reason: 'bad_concat' }
  return { ok: true, concat: { ref: (ref[0] << 8) | ref[1], total: t, seq: s, scheme: 'sar' } }
}

/** A UDH holding only a concatenation element: 8-bit ref (6 octets) or 16-bit ref (7 octets). */
export function buildConcatUdh(ref: number, total: number, seq: number, refBits: 8 | 16 = 8): Buffer {
  return refBits === 8
    ? Buffer.from([5, Iei.CONCAT_8BIT, 3, ref & 0xff, total, seq])
    : Buffer.from([6, Iei.CONCAT_16BIT, 4, (ref >> 8) & 0xff, ref & 0xff, total, seq])
}
