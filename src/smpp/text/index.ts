// The text layer's one entry: data_coding + bytes → text for policy, and text → bytes for what we
// originate. One codec per file; this registry picks one from the whole data_coding byte (dcs.ts).
import { DataCoding } from '../constants.js'
import { ascii } from './ascii.js'
import { alphabetOf, type Alphabet, type DataCodingOptions } from './dcs.js'
import { gb18030 } from './gb18030.js'
import { gsm, isGsmText } from './gsm.js'
import { latin1 } from './latin1.js'
import { decodeNational } from './national.js'
import type { Codec, DecodedText, DefaultAlphabet, EncodedText } from './types.js'
import { ucs2 } from './ucs2.js'

export type { Codec, DecodedText, DefaultAlphabet, EncodedText, TextEncoding } from './types.js'
export type { Alphabet, DataCodingOptions } from './dcs.js'
export { alphabetOf } from './dcs.js'
export { decodeGsm, encodeGsm, isGsmText, gsmSeptetCount, packSeptets, unpackSeptets } from './gsm.js'
export { decodeUcs2, encodeUcs2 } from './ucs2.js'

export const codecs: Readonly<Record<'gsm' | 'ascii' | 'latin1' | 'ucs2' | 'gb18030', Codec>> = {
  gsm,
  ascii,
  latin1,
  ucs2,
  gb18030,
}

const BINARY: DecodedText = Object.freeze({ text: '', encoding: 'binary', decode_error: false })

/** Decodes user data (UDH already stripped) for policy. Never throws: bad bytes give U+FFFD and the flag. */
export function decodeText(dataCoding: number, bytes: Uint8Array, opts: DataCodingOptions): DecodedText {
  return decodeWith(alphabetOf(dataCoding, opts), bytes)
}

/** decodeText for an alphabet resolved once (per link or account) instead of per message. */
export function decodeWith(alphabet: Alphabet, bytes: Uint8Array): DecodedText {
  switch (alphabet.kind) {
    case 'binary':
      return BINARY
    case 'national': {
      const r = decodeNational(alphabet.charset, bytes)
      return { text: r.text, encoding: 'unknown', decode_error: r.decode_error }
    }
    case 'unreadable':
      // No decoder, but ASCII words are still visible to content rules through a Latin-1 reading.
      return { text: latin1.decode(bytes).text, encoding: 'unknown', decode_error: true }
    default: {
      const codec = codecs[alphabet.kind]
      const r = codec.decode(bytes)
      return { text: r.text, encoding: codec.encoding, decode_error: r.decode_error }
    }
  }
}

/**
 * Encodes text we originate (receipts, simulator, tests) for a data_coding. Characters the alphabet lacks
 * become '?' and set `lossy`. Throws RangeError for a data_coding that is not a text we write: a bug.
 */
export function encodeText(dataCoding: number, text: string, opts: DataCodingOptions): EncodedText {
  const alphabet = alphabetOf(dataCoding, opts)
  switch (alphabet.kind) {
    case 'gsm':
    case 'ascii':
    case 'latin1':
    case 'ucs2':
    case 'gb18030':
      return codecs[alphabet.kind].encode(text)
    default:
      throw new RangeError(`cannot encode text for data_coding 0x${(dataCoding & 0xff).toString(16)}`)
  }
}

/** The data_coding for text we originate: 0 when the link's default alphabet holds it, else UCS2. */
export function chooseDataCoding(text: string, defaultAlphabet: DefaultAlphabet): number {
  const fits =
    defaultAlphabet === 'gsm' ? isGsmText(text) : !codecs[defaultAlphabet].encode(text).lossy
  return fits ? DataCoding.default : DataCoding.ucs2
}
