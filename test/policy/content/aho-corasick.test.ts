import t from 'tap'
import fc from 'fast-check'
import { buildAutomaton } from '../../../src/policy/content/aho-corasick.js'

function units(s: string): Uint16Array {
  return Uint16Array.from(s, (c) => c.charCodeAt(0))
}

function all(patterns: string[], text: string): string[] {
  const a = buildAutomaton(patterns)
  const out: string[] = []
  a.search(units(text), text.length, (end, id) => out.push(`${end - patterns[id].length + 1}:${patterns[id]}`))
  return out.sort()
}

function naive(patterns: string[], text: string): string[] {
  const out = new Set<string>()
  for (const p of patterns) {
    if (!p) continue
    for (let i = text.indexOf(p); i !== -1; i = text.indexOf(p, i + 1)) out.add(`${i}:${p}`)
  }
  return [...out].sort()
}

t.test('reports every occurrence, overlapping and nested', async (t) => {
  t.same(all(['he', 'she', 'his', 'hers'], 'ushers'), ['1:she', '2:he', '2:hers'])
  t.same(all(['赌博', '博彩', '赌'], '赌博彩'), ['0:赌', '0:赌博', '1:博彩'])
})

t.test('duplicates share one id and empty patterns are ignored', async (t) => {
  const a = buildAutomaton(['ab', '', 'ab'])
  const ids: number[] = []
  a.search(units('xab'), 3, (_e, id) => ids.push(id))
  t.same(ids, [0])
})

t.test('property: same hits as a naive search, over a small alphabet that forces failure links', async (t) => {
  const word = fc.string({ unit: fc.constantFrom('a', 'b', '赌', '博'), minLength: 1, maxLength: 4 })
  fc.assert(
    fc.property(fc.uniqueArray(word, { maxLength: 12 }), fc.string({ unit: fc.constantFrom('a', 'b', '赌', '博', 'c'), maxLength: 40 }), (ps, text) => {
      const got = all(ps, text)
      const want = naive(ps, text)
      return JSON.stringify(got) === JSON.stringify(want)
    }),
    { numRuns: 300 },
  )
})

t.test('property: units that share their low five bits (a A !, 赌 l) are told apart below the root', async (t) => {
  const alphabet = ['a', 'A', '!', '赌', 'l', 'b']
  const word = fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 4 })
  fc.assert(
    fc.property(fc.uniqueArray(word, { maxLength: 12 }), fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 40 }), (ps, text) => {
      return JSON.stringify(all(ps, text)) === JSON.stringify(naive(ps, text))
    }),
    { numRuns: 500 },
  )
})
