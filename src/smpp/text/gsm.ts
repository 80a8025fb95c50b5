// GSM 03.38 / 3GPP TS 23.038 §6.2.1 default alphabet with its extension table, as SMPP carries it in
// data_coding 0: unpacked, one septet per octet (SMPP 3.4 §5.2.19). Packed 7-bit (the air-interface form)
// has helpers below for tools that meet it.
import type { Codec, EncodedText } from './types.js'

const ESC = 0x1b
const REPLACEMENT = '\uFFFD'

// Index = septet value. 0x1B is the escape to the extension table; its slot is never emitted directly.
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'

// TS 23.038 §6.2.1.1: escape + these septets.
const EXTENSION: ReadonlyArray<readonly [number, string]> = [
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
]

const DECODE_EXT: (string | undefined)[] = new Array(128).fill(undefined)
for (const [septet, ch] of EXTENSION) DECODE_EXT[septet] = ch

const ENCODE = new Map<string, number>()
for (let i = 0; i < BASIC.length; i++) if (i !== ESC) ENCODE.set(BASIC[i], i)
for (const [septet, ch] of EXTENSION) ENCODE.set(ch, (ESC << 8) | septet)
// Handsets and Perl's Encode write ç as 0x09 (the table shows Ç); decoding gives Ç back, so it is lossy.
const LOSSY_ALIASES = new Map<string, number>([['ç', 0x09]])

/**
 * Decodes unpacked septets. A septet above 0x7F is not GSM and becomes U+FFFD (flagged). An escape
 * followed by a code the extension table lacks shows the basic character (TS 23.038 §6.2.1.1 note), and
 * escape-escape shows a space; neither is an error. A trailing lone escape is flagged: the rest of the
 * character is missing (a split escape is joined before decoding, see proxy/reassembly).
 */
export function decodeGsm(bytes: Uint8Array): { text: string; decode_error: boolean } {
  let text = ''
  let decode_error = false
  const n = bytes.length
  for (let i = 0; i < n; i++) {
    const b = bytes[i]
    if (b > 0x7f) {
      text += REPLACEMENT
      decode_error = true
    } else if (b !== ESC) {
      text += BASIC[b]
    } else if (i + 1 >= n) {
      text += REPLACEMENT
      decode_error = true
    } else {
      const next = bytes[++i]
      if (next > 0x7f) {
        text += REPLACEMENT
        decode_error = true
      } else if (next === ESC) {
        text += ' '
      } else {
        text += DECODE_EXT[next] ?? BASIC[next]
      }
    }
  }
  return { text, decode_error }
}

/** Unpacked septets; characters outside the alphabet become '?'. */
export function encodeGsm(text: string): EncodedText {
  const out: number[] = []
  let lossy = false
  for (const ch of text) {
    let code = ENCODE.get(ch)
    if (code === undefined) {
      code = LOSSY_ALIASES.get(ch) ?? 0x3f
      lossy = true
    }
    if (code > 0xff) out.push(ESC, code & 0x7f)
    else out.push(code)
  }
  return { bytes: Buffer.from(out), lossy }
}

/** True when every character has a code in the default alphabet or its extension table. */
export function isGsmText(text: string): boolean {
  for (const ch of text) if (!ENCODE.has(ch)) return false
  return true
}

/** Septets `text` takes (extension characters take two): what counts against 160 / 153 per part. */
export function gsmSeptetCount(text: string): number {
  let n = 0
  for (const ch of text) {
    const code = ENCODE.get(ch) ?? LOSSY_ALIASES.get(ch) ?? 0x3f
    n += code > 0xff ? 2 : 1
  }
  return n
}

/**
 * Packs septets 7 bits each, least significant first (TS 23.038 §6.1.2.1.1). `fillBits` (0–6) are the
 * padding bits a UDH leaves before the first septet so that it starts on a septet boundary.
 */
export function packSeptets(septets: Uint8Array, fillBits = 0): Buffer {
  const out = Buffer.alloc(Math.ceil((septets.length * 7 + fillBits) / 8))
  let bit = fillBits
  for (const s of septets) {
    const v = s & 0x7f
    const byte = bit >> 3
    const shift = bit & 7
    out[byte] |= (v << shift) & 0xff
    if (shift > 1) out[byte + 1] |= v >> (8 - shift)
    bit += 7
  }
  return out
}

/**
 * Unpacks `count` septets (default: as many as fit) after `fillBits` padding bits. When the count is not
 * known, a final septet from 7 spare zero bits reads as '@'; TS 23.038 §6.1.2.3.1 has senders pad with CR
 * instead, so pass the count when the bearer gives one.
 */
export function unpackSeptets(packed: Uint8Array, count?: number, fillBits = 0): Uint8Array {
  const available = Math.floor((packed.length * 8 - fillBits) / 7)
  const n = Math.max(0, Math.min(count ?? available, available))
  const out = new Uint8Array(n)
  let bit = fillBits
  for (let i = 0; i < n; i++) {
    const byte = bit >> 3
    const shift = bit & 7
    let v = packed[byte] >> shift
    if (shift > 1) v |= packed[byte + 1] << (8 - shift)
    out[i] = v & 0x7f
    bit += 7
  }
  return out
}

export const gsm: Codec = { encoding: 'gsm', decode: decodeGsm, encode: encodeGsm }
