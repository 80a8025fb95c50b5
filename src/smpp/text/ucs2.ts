// UCS2 as carriers send it, data_coding 8: UTF-16 big-endian, so characters beyond the BMP (emoji) come as
// surrogate pairs. A long message may split a pair across parts; the reassembler joins bytes first.
import type { Codec, EncodedText } from './types.js'

const REPLACEMENT = 0xfffd

/**
 * Decodes UTF-16BE. Node has no fast big-endian path: a copy, `swap16()` and the native 'utf16le'
 * decoder measured fastest (NOTES §3). A trailing odd byte and unpaired surrogates become U+FFFD, flagged.
 */
export function decodeUcs2(bytes: Uint8Array): { text: string; decode_error: boolean } {
  const even = bytes.length & ~1
  const copy = Buffer.allocUnsafe(even)
  copy.set(bytes.subarray(0, even))
  let text = copy.swap16().toString('utf16le')
  let decode_error = even !== bytes.length
  if (hasSurrogate(text)) {
    const fixed = replaceLoneSurrogates(text)
    if (fixed !== text) {
      text = fixed
      decode_error = true
    }
  }
  if (even !== bytes.length) text += String.fromCharCode(REPLACEMENT)
  return { text, decode_error }
}

function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdfff) return true
  }
  return false
}

function replaceLoneSurrogates(s: string): string {
  const units: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0
      if (d >= 0xdc00 && d <= 0xdfff) {
        units.push(c, d)
        i++
      } else {
        units.push(REPLACEMENT)
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      units.push(REPLACEMENT)
    } else {
      units.push(c)
    }
  }
  let out = ''
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.slice(i, i + 4096))
  return out
}

/** UTF-16BE; every string is representable (lone surrogates become U+FFFD and count as lossy). */
export function encodeUcs2(text: string): EncodedText {
  const clean = hasSurrogate(text) ? replaceLoneSurrogates(text) : text
  const bytes = Buffer.from(clean, 'utf16le').swap16()
  return { bytes, lossy: clean !== text }
}

export const ucs2: Codec = { encoding: 'ucs2', decode: decodeUcs2, encode: encodeUcs2 }
