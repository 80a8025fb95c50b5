// GBK / GB18030, data_coding 0x0F on Chinese gateways (not in SMPP 3.4; NOTES §3). GBK is a subset of
// GB18030, so one decoder reads both. Node's TextDecoder decodes GB18030 but TextEncoder only writes
// UTF-8, so the encoder builds its table once from the decoder, on first use (tests, simulator, receipts).
import { TextDecoder } from 'node:util'
import type { Codec, EncodedText } from './types.js'

const strict = new TextDecoder('gb18030', { fatal: true })
const lenient = new TextDecoder('gb18030')

export function decodeGb18030(bytes: Uint8Array): { text: string; decode_error: boolean } {
  try {
    return { text: strict.decode(bytes), decode_error: false }
  } catch {
    return { text: lenient.decode(bytes), decode_error: true }
  }
}

let table: Map<number, number> | undefined

// Code point → code (2 or 4 bytes, big-endian in a number). Two-byte codes first: where the decoder also
// reads a four-byte code as the same character, the shorter one wins.
function buildTable(): Map<number, number> {
  const map = new Map<number, number>()
  const two: number[] = []
  for (let a = 0x81; a <= 0xfe; a++) for (let b = 0x40; b <= 0xfe; b++) if (b !== 0x7f) two.push(a, b)
  const s2 = lenient.decode(Uint8Array.from(two))
  for (let i = 0; i < s2.length; i++) {
    const cp = s2.charCodeAt(i)
    if (cp !== 0xfffd && !map.has(cp)) map.set(cp, (two[2 * i] << 8) | two[2 * i + 1])
  }
  // The BMP four-byte range 0x81308130–0x8439FE39: every sequence decodes to one UTF-16 unit.
  const four: number[] = []
  for (let a = 0x81; a <= 0x84; a++)
    for (let b = 0x30; b <= 0x39; b++)
      for (let c = 0x81; c <= 0xfe; c++) for (let d = 0x30; d <= 0x39; d++) four.push(a, b, c, d)
  const s4 = lenient.decode(Uint8Array.from(four))
  for (let i = 0; i < s4.length; i++) {
    const cp = s4.charCodeAt(i)
    if (cp !== 0xfffd && !map.has(cp))
      map.set(cp, ((four[4 * i] << 24) | (four[4 * i + 1] << 16) | (four[4 * i + 2] << 8) | four[4 * i + 3]) >>> 0)
  }
  return map
}

// Supplementary planes are linear from 0x90308130 (GB 18030-2005 §6.3.3).
function supplementary(cp: number, out: number[]): void {
  let n = cp - 0x10000
  const d = 0x30 + (n % 10)
  n = Math.floor(n / 10)
  const c = 0x81 + (n % 126)
  n = Math.floor(n / 126)
  const b = 0x30 + (n % 10)
  const a = 0x90 + Math.floor(n / 10)
  out.push(a, b, c, d)
}

export function encodeGb18030(text: string): EncodedText {
  table ??= buildTable()
  const out: number[] = []
  let lossy = false
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number
    if (cp < 0x80) {
      out.push(cp)
    } else if (cp > 0xffff) {
      supplementary(cp, out)
    } else {
      const code = table.get(cp)
      if (code === undefined) {
        out.push(0x3f)
        lossy = true
      } else if (code > 0xffff) {
        out.push(code >>> 24, (code >>> 16) & 0xff, (code >>> 8) & 0xff, code & 0xff)
      } else {
        out.push(code >>> 8, code & 0xff)
      }
    }
  }
  return { bytes: Buffer.from(out), lossy }
}

export const gb18030: Codec = { encoding: 'gb18030', decode: decodeGb18030, encode: encodeGb18030 }
