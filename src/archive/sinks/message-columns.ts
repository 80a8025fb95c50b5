// The few fields of a message record that the SQLite sink puts in columns, read from the record's spooled
// JSON without building the whole record. JSON.parse of a message record (a two-byte string when its text is
// Chinese, with nested segments and hits) took ~2.5 µs of the SQLite worker's ~15 µs per record, for fields
// it then stores only as the JSON it already has. The spool's JSON is JSON.stringify of a record built field
// by field in `MessageRecord`'s order, so one anchored pattern matches the leading fields in that order
// (irregexp runs it natively in ~0.5 µs). A payload that differs in any way (another order, a field of an
// unexpected type) does not match and the caller parses it in full, so a column never differs from what
// JSON.parse would give. Keep `MessageRecord`'s fields and the proxy's record literal in the same order, or
// every record takes the slow path.
import type { MessageRecord } from '../record.js'

export type MessageColumns = Pick<
  MessageRecord,
  'kind' | 'id' | 'received_at' | 'system_id' | 'source_addr' | 'destination_addr' | 'verdict' | 'rule' | 'category'
>

/** A JSON string, quotes included. */
const STR = String.raw`"(?:[^"\\]|\\.)*"`
const NUM = String.raw`-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?`
/** One segment: an object of scalars only, so the pattern cannot end the array inside a nested one. */
const SEGMENT = String.raw`\{(?:[^"{}\[\]]|${STR})*\}`
const LEADING = new RegExp(
  String.raw`^\{"kind":"message","id":(${STR}),"received_at":(${NUM}),"decided_at":${NUM},"system_id":(${STR}),` +
    String.raw`"session_id":${STR},"client_ip":${STR},"source_addr":(${STR}),"destination_addr":(${STR}),` +
    String.raw`"data_coding":${NUM},"text":${STR},"encoding":${STR},"parts":${NUM},` +
    String.raw`"segments":\[(?:${SEGMENT}(?:,${SEGMENT})*)?\],"verdict":(${STR}),"rule":(null|${STR}),"category":(null|${STR})[,}]`,
)

/** A matched JSON string's value; only one with an escape needs the parser. */
const unquote = (quoted: string): string => (quoted.indexOf('\\') === -1 ? quoted.slice(1, -1) : (JSON.parse(quoted) as string))

/** A match against the UTF-8 bytes read as Latin-1 (one character per byte) back to the text it encodes. */
const NON_ASCII = /[\x80-\xff]/
const fromLatin1 = (v: string): string => (NON_ASCII.test(v) ? Buffer.from(v, 'latin1').toString('utf8') : v)

function columnsOf(m: RegExpExecArray, decode: (v: string) => string): MessageColumns {
  const text = (v: string) => unquote(decode(v))
  const textOrNull = (v: string) => (v === 'null' ? null : text(v))
  return {
    kind: 'message',
    id: text(m[1]),
    received_at: Number(m[2]),
    system_id: text(m[3]),
    source_addr: text(m[4]),
    destination_addr: text(m[5]),
    verdict: text(m[6]) as MessageRecord['verdict'],
    rule: textOrNull(m[7]),
    category: textOrNull(m[8]),
  }
}

const same = (v: string): string => v

/** The columns of a message record's JSON, or undefined when it is not one this reads (parse it instead). */
export function messageColumns(json: string): MessageColumns | undefined {
  const m = LEADING.exec(json)
  return m === null ? undefined : columnsOf(m, same)
}

/**
 * The same from the JSON's UTF-8 bytes, without decoding them: read as Latin-1 every byte of a multi-byte
 * character is one character at or above 0x80, never a quote, backslash or digit, so the pattern matches where
 * it would in the decoded text; only the few matched values are decoded.
 */
export function messageColumnsOfUtf8(json: Buffer): MessageColumns | undefined {
  const m = LEADING.exec(json.toString('latin1'))
  return m === null ? undefined : columnsOf(m, fromLatin1)
}
