// The phonetic view: every CJK character replaced by the id of its toneless reading, so a term written with
// other characters of the same sound (代凯发漂 for 代开发票, 法论大法 for 法轮大法) matches the term's own
// reading. One table lookup per unit, from a table generated once from pinyin-pro.
import { PINYIN_FIRST, PINYIN_TABLE } from './data/pinyin.js'

let shared: Uint16Array | undefined

/** Unit → syllable id (1-based), 0 for anything without a reading. Built once per process. */
export function phoneticTable(): Uint16Array {
  if (shared) return shared
  const bytes = Buffer.from(PINYIN_TABLE, 'base64')
  const ids = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2)
  const table = new Uint16Array(0x10000)
  table.set(ids, PINYIN_FIRST)
  shared = table
  return table
}

/** The reading of a term as a string of syllable ids, or null when a character has none. */
export function phoneticKey(term: string): string | null {
  const table = phoneticTable()
  let out = ''
  for (let i = 0; i < term.length; i++) {
    const id = table[term.charCodeAt(i)]
    if (id === 0) return null
    out += String.fromCharCode(id)
  }
  return out
}
