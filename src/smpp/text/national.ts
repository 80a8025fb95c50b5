// The national character sets SMPP 3.4 §5.2.19 names (Cyrillic, Latin/Hebrew, ISO-2022-JP, KS C 5601),
// read through TextDecoder. Policy has no encoding name for them: they report 'unknown' with a real text.
// Encoding into them is never needed (we originate only GSM, Latin-1 or UCS2 text).
import { TextDecoder } from 'node:util'

export type NationalCharset = 'iso-8859-5' | 'iso-8859-8' | 'iso-2022-jp' | 'euc-kr'

const decoders = new Map<NationalCharset, { strict: TextDecoder; lenient: TextDecoder }>()

export function decodeNational(charset: NationalCharset, bytes: Uint8Array): { text: string; decode_error: boolean } {
  let d = decoders.get(charset)
  if (!d) {
    d = { strict: new TextDecoder(charset, { fatal: true }), lenient: new TextDecoder(charset) }
    decoders.set(charset, d)
  }
  try {
    return { text: d.strict.decode(bytes), decode_error: false }
  } catch {
    return { text: d.lenient.decode(bytes), decode_error: true }
  }
}
