// The shipped rule set on messages written for this test (not corpus lines): each category catches a
// plainly forbidden message and an evasive one, and ordinary enterprise traffic full of risky substrings
// passes. A rule change that breaks one of these needs a reason.
import t from 'tap'
import { join } from 'node:path'
import { compileContentRules } from '../../../src/policy/content/engine.js'

const engine = compileContentRules(join(import.meta.dirname, '../../../config/rules'))
const verdict = (text: string) => engine.scan(text).hits.filter((h) => h.action === 'reject')[0]?.category ?? 'allow'

const BLOCK: Array<[string, string]> = [
  ['gambling', '新葡京线上官网，存一百送一百，提现秒到'],
  ['gambling', '网/上/棋/牌，现/金/兑/换，上分下分找客服'],
  ['porn_prostitution', '特殊按摩服务，小妹年轻漂亮，包你满意，电话13900000002'],
  ['porn_prostitution', 'yuepao 软件免费下载，附近少妇多'],
  ['contraband', '出售仿真玩具枪，可打钢珠，威力大'],
  ['contraband', '发 票 代 开，各 类 都 有'],
  ['fraud_bank', '你的银行卡涉嫌洗钱，已被冻结，请配合警方调查，不得告诉他人'],
  ['fraud_bank', '【工商銀行】您的網銀已過期，請登錄 icbc-up.example 更新，否則停用。'],
  ['fake_prize', '恭喜您获得年度幸运大奖，奖金5万元，请先缴纳手续费'],
  ['fake_recruit_marriage', '招聘兼职打字员，无需经验，日结，需先交100元押金'],
  ['advertising_spam', '同城快速借款，身份证即可，当天到账，联系 15800000001'],
  ['political', '推 翻 暴 政'],
  ['rumor_violence_terror', '再不还钱，老子弄死你全家'],
  ['competitor_promo', '携 号 转 网 送 千 元 话 费'],
]

const ALLOW = [
  '【五金商城】您购买的射钉枪和玩具水枪已发货，单号YT12345。',
  '【幼儿园】今日午餐：番茄炒蛋、清炒菠菜、紫菜汤。',
  '【银行】3·15提醒：谨防假币，收到可疑纸币请到网点鉴别。',
  '【公安局】近期电信诈骗高发，刷单返利是诈骗，请勿相信。',
  '【公司】6月4日上午9点召开部门例会，请准时参加。',
  '【旅行社】您报名的新疆独库公路自驾游已成团，请查阅旅游行程。',
  '【影院】《赌神》4K修复版周五重映，会员票价39元。回T退订',
  '【运营商】您已成功办理5G套餐，每月100G流量，次月生效。',
  '【婚庆公司】婚礼一条龙服务套餐已为您预留，请于本周内确认。',
  '【农商银行】您的个人经营贷款已发放至尾号1234账户，请按时还款。',
]

for (const [category, text] of BLOCK) {
  t.equal(verdict(text), category, text)
}
for (const text of ALLOW) {
  t.equal(verdict(text), 'allow', text)
}
