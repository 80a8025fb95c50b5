// ISO-8859-1, data_coding 3 (SMPP 3.4 §5.2.19). Every byte is a character, so decoding cannot fail.
import type { Codec, EncodedText } from './types.js'

export function decodeLatin1(bytes: Uint8Array): { text: string; decode_error: boolean } {
  return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'), decode_error: false }
}

/** One byte per character up to `max`; anything above becomes '?', one per character (not per UTF-16 unit). */
export function encodeSingleByte(text: string, max: number): EncodedText {
  const out = Buffer.alloc(text.length)
  let n = 0
  let lossy = false
  for (const ch of text) {
    const c = ch.codePointAt(0) as number
    if (c > max) lossy = true
    out[n++] = c > max ? 0x3f : c
  }
  return { bytes: out.subarray(0, n), lossy }
}

export function encodeLatin1(text: string): EncodedText {
  return encodeSingleByte(text, 0xff)
}

export const latin1: Codec = { encoding: 'latin1', decode: decodeLatin1, encode: encodeLatin1 }
