import t from 'tap'
import fc from 'fast-check'
import { createFolded, foldInto, foldTables, foldedString, normalize } from '../../../src/policy/content/normalize.js'

const { match, view } = foldTables()

t.test('full width and compatibility forms fold by NFKC, and case folds', async (t) => {
  t.equal(normalize('ＶＸ１００％'), 'vx100')
  t.equal(normalize('ＩＥＬＴＳ'), 'ielts')
  t.equal(normalize('①'), '1')
  t.equal(normalize('dǔ bó ĀB'), 'duboab', 'tone marks and other diacritics fall away')
})

t.test('traditional and variant characters fold to simplified', async (t) => {
  t.equal(normalize('線上娛樂城'), '线上娱乐城')
  t.equal(normalize('發票 帳戶 裡'), '发票帐户里')
})

t.test('separators, emoji and zero-width characters between letters disappear', async (t) => {
  t.equal(normalize('赌-博'), '赌博')
  t.equal(normalize('小 姐　上\u200b门'), '小姐上门')
  t.equal(normalize('博🎲彩'), '博彩')
  t.equal(normalize('彩\uFE0F金'), '彩金')
  t.equal(normalize('a.b/c_d'), 'abcd')
})

t.test('the offset map points every output unit at its original index', async (t) => {
  const text = '【公🔥安】Ｘ 線'
  const f = foldInto(text, match, createFolded(4))
  t.equal(foldedString(f), '公安x线')
  t.same([...f.offsets.subarray(0, f.length)], [1, 4, 6, 8])
})

t.test('the detector view keeps punctuation but drops blanks and symbols', async (t) => {
  const f = foldInto('ｖ　ｘ：ｌｈｊ８８ 微♥：a_b', view, createFolded())
  t.equal(foldedString(f), 'vx:lhj88微:a_b')
})

t.test('buffers grow for long texts and are reused', async (t) => {
  const f = createFolded(2)
  foldInto('一二三四五六七八九十', match, f)
  t.equal(foldedString(f), '一二三四五六七八九十')
  foldInto('ab', match, f)
  t.equal(foldedString(f), 'ab')
})

t.test('property: offsets increase and each unit is the fold of the character it came from', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
      const f = foldInto(s, match, createFolded())
      let prev = -1
      for (let i = 0; i < f.length; i++) {
        const o = f.offsets[i]
        if (o <= prev) return false
        if (match[s.charCodeAt(o)] !== f.units[i]) return false
        prev = o
      }
      return f.length <= s.length
    }),
    { numRuns: 300 },
  )
})
