// Delivery-receipt text (SMPP 3.4 Appendix B, a de-facto format every carrier varies a little):
//   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
// Seen variants: keys in any case, `submit_date` / `submitdate`, missing fields, extra fields, dates with
// seconds, `Text:` with the rest of the line. Parsing keeps the span of each value so the proxy can
// rewrite `id:` in place and forward everything else as the carrier wrote it.

export interface Receipt {
  readonly id: string
  readonly sub?: string
  readonly dlvrd?: string
  readonly submit_date?: string
  readonly done_date?: string
  readonly stat?: string
  readonly err?: string
  readonly text?: string
}

type Field = keyof Receipt

interface Span {
  readonly field: Field
  readonly start: number
  readonly end: number
}

// A key is recognised at the start or after whitespace, so `text:` inside a value of another key needs
// that whitespace too; everything after `text:` is the text, keys included.
const KEY = /(?:^|(?<=\s))(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:/gi

function fieldOf(key: string): Field {
  const k = key.toLowerCase().replace(/[ _]/g, '')
  if (k === 'submitdate') return 'submit_date'
  if (k === 'donedate') return 'done_date'
  return k as Field
}

function spans(text: string): Span[] {
  const out: Span[] = []
  let prev: { field: Field; start: number } | undefined
  KEY.lastIndex = 0
  for (let m = KEY.exec(text); m; m = KEY.exec(text)) {
    if (prev) out.push({ field: prev.field, start: prev.start, end: m.index })
    prev = { field: fieldOf(m[1]), start: m.index + m[0].length }
    if (prev.field === 'text') break
  }
  if (prev) out.push({ field: prev.field, start: prev.start, end: text.length })
  return out
}

/** Parses receipt text; undefined when there is no `id:` (not a receipt, or one we cannot route). */
export function parseReceipt(text: string): Receipt | undefined {
  const fields: Partial<Record<Field, string>> = {}
  for (const s of spans(text)) {
    if (fields[s.field] !== undefined) continue
    const raw = text.slice(s.start, s.end)
    fields[s.field] = s.field === 'text' ? raw.replace(/^ /, '') : raw.trim()
  }
  if (!fields.id) return undefined
  return fields as Receipt
}

/**
 * The receipt text with its `id:` value replaced and every other byte kept; undefined when there is no
 * `id:` field. Used to give the client the message id it was given rather than the carrier's.
 */
export function replaceReceiptId(text: string, id: string): string | undefined {
  const s = spans(text).find((x) => x.field === 'id')
  if (!s) return undefined
  const raw = text.slice(s.start, s.end)
  const lead = raw.length - raw.trimStart().length
  const trail = raw.length - raw.trimEnd().length
  return text.slice(0, s.start + lead) + id + text.slice(s.end - trail)
}

const pad3 = (v: string | number | undefined, dflt: string): string =>
  v === undefined ? dflt : String(v).padStart(3, '0')

/**
 * Formats receipt text in the Appendix B layout. `sub`, `dlvrd` and `err` are zero-padded to 3 digits;
 * `text` is cut to its first 20 characters, as the format says.
 */
export function formatReceipt(r: {
  id: string
  sub?: number | string
  dlvrd?: number | string
  submit_date: string
  done_date: string
  stat: string
  err?: number | string
  text?: string
}): string {
  const text = Array.from(r.text ?? '').slice(0, 20).join('')
  return (
    `id:${r.id} sub:${pad3(r.sub, '001')} dlvrd:${pad3(r.dlvrd, '000')} ` +
    `submit date:${r.submit_date} done date:${r.done_date} stat:${r.stat} err:${pad3(r.err, '000')} text:${text}`
  )
}

/** YYMMDDhhmm in UTC, the receipt date layout. */
export function formatReceiptDate(epochMs: number): string {
  const d = new Date(epochMs)
  const two = (n: number) => String(n).padStart(2, '0')
  return (
    two(d.getUTCFullYear() % 100) + two(d.getUTCMonth() + 1) + two(d.getUTCDate()) + two(d.getUTCHours()) +
    two(d.getUTCMinutes())
  )
}
