// IA5 / ASCII, data_coding 1 (SMPP 3.4 §5.2.19). A byte with the top bit set is not IA5.
import { encodeSingleByte } from './latin1.js'
import type { Codec, EncodedText } from './types.js'

export function decodeAscii(bytes: Uint8Array): { text: string; decode_error: boolean } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 0x7f) {
      let text = ''
      for (let j = 0; j < bytes.length; j++) text += bytes[j] > 0x7f ? '\uFFFD' : String.fromCharCode(bytes[j])
      return { text, decode_error: true }
    }
  }
  return { text: buf.toString('latin1'), decode_error: false }
}

export function encodeAscii(text: string): EncodedText {
  return encodeSingleByte(text, 0x7f)
}

export const ascii: Codec = { encoding: 'ascii', decode: decodeAscii, encode: encodeAscii }
