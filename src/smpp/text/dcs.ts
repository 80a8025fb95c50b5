// What a data_coding byte says about the text, read from the whole byte (NOTES §3: `& 0x0F` misreads the
// GSM DCS groups). SMPP 3.4 §5.2.19 names 0x00–0x0E and the 0xC0–0xFF groups; carriers also use the GSM
// general groups (3GPP TS 23.038 §4), e.g. 0x18 for a UCS2 flash message, so those are read as TS 23.038
// says.
import { DataCoding } from '../constants.js'
import type { DefaultAlphabet } from './types.js'
import type { NationalCharset } from './national.js'

export type Alphabet =
  | { readonly kind: 'gsm' | 'ascii' | 'latin1' | 'ucs2' | 'gb18030' | 'binary' }
  | { readonly kind: 'national'; readonly charset: NationalCharset }
  /** Compressed, reserved, pictogram or JIS: no decoder; text is read as Latin-1 and flagged. */
  | { readonly kind: 'unreadable'; readonly why: string }

export interface DataCodingOptions {
  /** What data_coding 0 means from this peer. */
  readonly default_alphabet: DefaultAlphabet
  /** What 0x0F means: GBK/GB18030 (Chinese gateways, the default) or its TS 23.038 reading (reserved). */
  readonly data_coding_0f?: 'gb18030' | 'reserved'
}

const GSM = { kind: 'gsm' } as const
const ASCII = { kind: 'ascii' } as const
const LATIN1 = { kind: 'latin1' } as const
const UCS2 = { kind: 'ucs2' } as const
const GB18030 = { kind: 'gb18030' } as const
const BINARY = { kind: 'binary' } as const

export function alphabetOf(dataCoding: number, opts: DataCodingOptions): Alphabet {
  const dc = dataCoding & 0xff
  switch (dc) {
    case DataCoding.default:
      return { kind: opts.default_alphabet }
    case DataCoding.ia5:
      return ASCII
    case DataCoding.binary:
    case DataCoding.binary_alt:
      return BINARY
    case DataCoding.latin1:
      return LATIN1
    case DataCoding.jis:
      return { kind: 'unreadable', why: 'jis' }
    case DataCoding.cyrillic:
      return { kind: 'national', charset: 'iso-8859-5' }
    case DataCoding.latin_hebrew:
      return { kind: 'national', charset: 'iso-8859-8' }
    case DataCoding.ucs2:
      return UCS2
    case DataCoding.pictogram:
      return { kind: 'unreadable', why: 'pictogram' }
    case DataCoding.iso2022jp:
      return { kind: 'national', charset: 'iso-2022-jp' }
    case DataCoding.kanji:
      return { kind: 'unreadable', why: 'jis_x_0212' }
    case DataCoding.ksc5601:
      return { kind: 'national', charset: 'euc-kr' }
    case DataCoding.gbk:
      return opts.data_coding_0f === 'reserved' ? { kind: 'unreadable', why: 'reserved' } : GB18030
  }
  if (dc < 0x10) return { kind: 'unreadable', why: 'reserved' }
  // TS 23.038 §4 general (00xx) and automatic-deletion (01xx) groups: bit 5 = compressed, bits 3–2 alphabet.
  if (dc < 0x80) {
    if (dc & 0x20) return { kind: 'unreadable', why: 'compressed' }
    return generalAlphabet((dc >> 2) & 0x03)
  }
  if (dc < 0xc0) return { kind: 'unreadable', why: 'reserved' }
  // Message waiting groups: 0xC0–0xDF GSM default alphabet, 0xE0–0xEF UCS2.
  if (dc < 0xe0) return GSM
  if (dc < 0xf0) return UCS2
  // Data coding / message class group: bit 2 chooses 8-bit data over the default alphabet.
  return dc & 0x04 ? BINARY : GSM
}

function generalAlphabet(bits: number): Alphabet {
  switch (bits) {
    case 0:
      return GSM
    case 1:
      return BINARY
    case 2:
      return UCS2
    default:
      return { kind: 'unreadable', why: 'reserved' }
  }
}
