// The fused per-unit table must give the scan exactly what the four tables it replaces give.
import t from 'tap'
import fc from 'fast-check'
import { buildAutomaton } from '../../../src/policy/content/aho-corasick.js'
import { cueOf } from '../../../src/policy/content/detectors.js'
import { createFolded, foldInto, foldTables } from '../../../src/policy/content/normalize.js'
import { phoneticTable } from '../../../src/policy/content/phonetic.js'
import { foldFused, unitTable } from '../../../src/policy/content/unit-table.js'

const { match } = foldTables()
const readings = phoneticTable()
// First units across the ranges that matter: Latin, digits, CJK (folded traditional forms too), full width.
const automaton = buildAutomaton(['博彩', '賭場', 'qq', '13', '发票', 'ｖｘ', '验证码', '加微', '威信', 'x', '9'])
const table = unitTable(automaton, match, readings)

/** What the scan read before: the fold, then each table on its own. */
function reference(text: string) {
  const f = foldInto(text, match, createFolded())
  const units = [...f.units.subarray(0, f.length)]
  let cues = 0
  for (const u of units) cues |= cueOf(u)
  return {
    units,
    offsets: [...f.offsets.subarray(0, f.length)],
    roots: units.map((u) => automaton.rootNext(u)),
    syllables: units.map((u) => readings[u]),
    cues,
  }
}

function fused(text: string) {
  const out = createFolded(1)
  const roots = new Int32Array(text.length)
  const syllables = new Uint16Array(text.length)
  const cues = foldFused(text, table, out, roots, syllables)
  return {
    units: [...out.units.subarray(0, out.length)],
    offsets: [...out.offsets.subarray(0, out.length)],
    roots: [...roots.subarray(0, out.length)],
    syllables: [...syllables.subarray(0, out.length)],
    cues,
  }
}

t.test('every BMP unit alone reads as from the separate tables', async (t) => {
  let bad = 0
  for (let c = 0; c < 0x10000; c++) {
    const text = String.fromCharCode(c)
    if (JSON.stringify(fused(text)) !== JSON.stringify(reference(text)) && bad++ < 5) t.fail(`U+${c.toString(16)}`)
  }
  t.equal(bad, 0)
})

t.test('texts read as from the separate tables, surrogate pairs and lone surrogates included', async () => {
  const pieces = fc.constantFrom('博彩', '賭 場', 'ＱＱ', '１３８', '🎲', '\ud83c', '\udfb2', '\u200b', '验证码', 'v信', 'a.b', '　', '')
  const text = fc.oneof(fc.array(pieces, { maxLength: 12 }).map((a) => a.join('')), fc.string({ unit: 'binary', maxLength: 60 }))
  fc.assert(fc.property(text, (s) => JSON.stringify(fused(s)) === JSON.stringify(reference(s))), { numRuns: 3000, seed: 11 })
})
