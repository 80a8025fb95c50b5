// ISO-8859-1, data_coding 3 (SMPP 3.4 §5.2.19). Every byte is a character, so decoding cannot fail.
import type { Codec, EncodedText } from './types.js'

export function decodeLatin1(bytes: Uint8Array): { text: string; decode_error: boolean } {
  return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'), decode_error: false }
}

export function encodeLatin1(text: string): EncodedText {
  const out = Buffer.alloc(text.length)
  let n = 0
  let lossy = false
  for (const ch of text) {
    const c = ch.codePointAt(0) as number
    if (c > 0xff) lossy = true
    out[n++] = c > 0xff ? 0x3f : c
  }
  return { bytes: out.subarray(0, n), lossy }
}

export const latin1: Codec = { encoding: 'latin1', decode: decodeLatin1, encode: encodeLatin1 }
