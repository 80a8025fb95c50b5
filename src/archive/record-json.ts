// A record's JSON written as UTF-8 without making its text part of the JSON string. JSON.stringify of a
// record whose text is Chinese builds a one-byte head and a two-byte rest, joined as a cons string, which
// the UTF-8 write then flattens: ~1.7 KB allocated per message record, the largest share of all. Here the
// record is stringified with an empty text (one-byte when its other fields are), and the text goes
// straight into the buffer between the two halves. The bytes are Buffer.from(JSON.stringify(record)).
import type { ArchiveRecord } from './record.js'

/** What JSON.stringify escapes, and lone surrogates (it writes them as \u escapes, a UTF-8 write as U+FFFD). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/
/** `"text":""` as JSON.stringify writes the key of an empty text: the only place those bytes can appear
 *  outside a string value, since a quote inside one is always escaped. */
const EMPTY_TEXT = '"text":""'
const QUOTE = 0x22
const isEnumerable = Object.prototype.propertyIsEnumerable

/** One spool's writer: `prepare` a record, then `write` it where `maxBytes` fit. Holds the last record only. */
export class RecordJsonWriter {
  #head = ''
  #text = ''
  /** Whether `#text` is the raw text (quotes to add) or already JSON.stringify'd. */
  #raw = false
  #tail = ''

  prepare(record: ArchiveRecord): void {
    const text = record.kind === 'receipt' ? '' : record.text
    // Only an own enumerable text keeps its place in the copy below (and is what JSON.stringify writes).
    if (typeof text !== 'string' || text === '' || !isEnumerable.call(record, 'text')) {
      this.#head = JSON.stringify(record)
      this.#text = this.#tail = ''
      return
    }
    const json = JSON.stringify({ ...record, text: '' })
    const at = json.indexOf(EMPTY_TEXT) + EMPTY_TEXT.length - 2
    this.#head = json.slice(0, at)
    this.#tail = json.slice(at + 2)
    this.#raw = !NEEDS_ESCAPE.test(text)
    this.#text = this.#raw ? text : JSON.stringify(text)
  }

  /** The most bytes the prepared record can take (3 per UTF-16 unit, and its text's quotes). */
  get maxBytes(): number {
    return 3 * (this.#head.length + this.#text.length + this.#tail.length) + 2
  }

  /** Writes the prepared record at `offset`; returns the bytes written. */
  write(buf: Buffer, offset: number): number {
    let o = offset + buf.write(this.#head, offset, 'utf8')
    if (this.#text !== '') {
      if (this.#raw) buf[o++] = QUOTE
      o += buf.write(this.#text, o, 'utf8')
      if (this.#raw) buf[o++] = QUOTE
      o += buf.write(this.#tail, o, 'utf8')
    }
    return o - offset
  }
}
