// Shared shapes of the text codecs. `TextEncoding` repeats the union that policy's `Message.encoding`
// declares (src/policy/message.ts): smpp/ imports nothing from the project, and a test checks that the
// two unions stay equal.

export type TextEncoding = 'gsm' | 'ascii' | 'latin1' | 'ucs2' | 'gb18030' | 'binary' | 'unknown'

/** What data_coding 0 means on a link: carriers and clients differ (NOTES §3). */
export type DefaultAlphabet = 'gsm' | 'ascii' | 'latin1'

export interface DecodedText {
  /** Decoded text; bytes that could not be read became U+FFFD. '' for binary. */
  readonly text: string
  readonly encoding: TextEncoding
  /** True when some bytes could not be decoded, or the alphabet is not one we can read. */
  readonly decode_error: boolean
}

export interface EncodedText {
  readonly bytes: Buffer
  /** True when some characters had no code in the alphabet and were replaced by '?'. */
  readonly lossy: boolean
}

/** One alphabet: bytes ↔ string. `decode` never throws on peer bytes. */
export interface Codec {
  readonly encoding: TextEncoding
  decode(bytes: Uint8Array): { text: string; decode_error: boolean }
  encode(text: string): EncodedText
}
