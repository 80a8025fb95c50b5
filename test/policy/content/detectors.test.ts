import t from 'tap'
import fc from 'fast-check'
import { cueOf, detect, detectCued, signatureOf, type DetectOptions } from '../../../src/policy/content/detectors.js'
import { createFolded, foldInto, foldTables } from '../../../src/policy/content/normalize.js'

function kinds(text: string, allowedHosts?: string[]): string[] {
  const hits = detect(text, foldInto(text, foldTables().view, createFolded()), allowedHosts ? { allowedHosts } : {})
  return hits.map((h) => `${h.kind}=${h.value}`)
}

t.test('links with or without a scheme, also spaced out; not decimals', async (t) => {
  t.ok(kinds('点击 https://x-y.example/a?b=1 领取').includes('link=https://x-y.example/a?b=1'))
  t.ok(kinds('登录 w w w . icbc-ud . example 升级').includes('link=www.icbc-ud.example'))
  t.notOk(kinds('余额3,890.10元，费率1.5%').some((k) => k.startsWith('link')))
})

t.test('allowed hosts and their subdomains are not evidence; shorteners are flagged', async (t) => {
  t.notOk(kinds('详见 https://m.shop.example/x', ['shop.example']).some((k) => k.startsWith('link')))
  t.ok(kinds('详见 https://evilshop.example/x', ['shop.example']).some((k) => k.startsWith('link')))
  t.ok(kinds('点 t.cn/AbC12 看').includes('shortlink=t.cn/abc12'))
})

t.test('mobile numbers, QQ and WeChat ids, each also a contact', async (t) => {
  const k = kinds('联系 13000000012 或 QQ：900000034，微信 ab_demo9')
  t.ok(k.includes('mobile=13000000012'))
  t.ok(k.includes('qq=qq:900000034'))
  t.ok(k.includes('wechat=微信ab_demo9'))
  t.equal(k.filter((x) => x.startsWith('contact=')).length, 3)
  t.notOk(kinds('订单号 213000000012345').some((x) => x.startsWith('mobile')))
  t.notOk(kinds('Q3 2026 version2026').some((x) => x.startsWith('qq') || x.startsWith('wechat')))
})

t.test('obfuscated channels: V信, 威信, 加薇, 扣扣, full-width ＶＸ, a symbol inside 微♥', async (t) => {
  for (const text of ['加V信 ab', '威信号 abcdef', '威芯 js_demo', '加薇：abc', '扣扣 900000001', 'ＶＸ：ｙｄｘ０１', '微♥：lj_demo01']) {
    t.ok(kinds(text).some((k) => k.startsWith('contact_obfuscated=')), text)
  }
  t.notOk(kinds('【微联科技】关注微信公众号查询').some((k) => k.startsWith('contact_obfuscated')))
})

t.test('signature at the start or the end, or none', async (t) => {
  t.equal(signatureOf('【云帆科技】您好'), '云帆科技')
  t.equal(signatureOf('您好【云帆科技】'), '云帆科技')
  t.equal(signatureOf('您好，没有签名'), null)
  t.ok(kinds('您好').includes('unsigned='))
  t.ok(kinds('【甲】您好').includes('signature=【甲】'))
})

// The scan skips the regexes (and the detector view) for which the text has no cue: that must only save
// time. Texts are made of whole matches of the regexes' alternatives (alone they carry just their own cue),
// look-alikes that are not matches, and noise.
const MATCHES = ['http://a.example', 'www.x.cn', 't.cn/ab', 'a.b.example/x?y=1', '8.xyz', '13812345678', '+8613912345678', 'qq12345', 'q:123456',
  '扣扣号:123456', '企鹅123456', '抠抠群12345', '微信abcdef', 'wx:abcdefg', 'v:abc_def', '威芯号abcdefg', 'v信', '威信', '薇信', '位信',
  '徽信', '卫信', '危信', '维信', '威芯', '薇芯', '徽芯', '卫芯', '位芯', 'v芯', '加薇', '加v', '+vx', '＋wx', '加wx', '扣扣', '抠抠', '寇寇',
  '企鹅号', '加q', 'q群', '微:', '薇:', 'v:', '加微信', '加我微信', '微信号', '加qq', 'qq号', '加我', '私聊', '私信我', '联系我', '找我',
  'ＱＱ：１２３４５６', 'ＶＸ：ｙｄｘ０１', '威 信', '微♥：abcdef', '維信', '聯系我']
const NOISE = ['', ' ', '.', ':', '：', '-', '_', '/', '　', '\u200b', '♥', '🎲', '【云帆】', '的', '是', '您好', '信', '芯', '号', '群', '我', '聊',
  '系', '鹅', '1', '9', 'a', 'z', 'x', 'Q', '订单']
const pieceText = fc.array(fc.constantFrom(...MATCHES, ...NOISE), { maxLength: 8 }).map((a) => a.join(''))
const anyText = fc.oneof(pieceText, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }))

t.test('skipping the regexes a text has no cue for changes no detector hit', async (t) => {
  const { match, view } = foldTables()
  const m = createFolded()
  const v = createFolded()
  const cuesOf = (text: string) => {
    const f = foldInto(text, match, m)
    let cues = 0
    for (let i = 0; i < f.length; i++) cues |= cueOf(f.units[i])
    return cues
  }
  const same = (text: string, opts: DetectOptions) =>
    JSON.stringify(detectCued(text, cuesOf(text), view, v, opts)) === JSON.stringify(detect(text, foldInto(text, view, createFolded()), opts))
  const own = { allowedHosts: ['t.cn', 'a.example'] }
  for (const x of MATCHES) {
    for (const n of NOISE) {
      for (const text of [n + x, x + n]) {
        if (!same(text, {}) || !same(text, own)) t.fail(text)
      }
    }
  }
  fc.assert(
    fc.property(anyText, fc.boolean(), (text, withOwn) => same(text, withOwn ? own : {})),
    { numRuns: 5000, seed: 7 },
  )
})
