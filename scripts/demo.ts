// Sends a few messages to a running smpp-guard as the demo account and prints what came back: an allowed
// verification code (with its delivery receipt), a gambling advert, an evasive one, and a long message.
// usage: node --import tsx scripts/demo.ts [--port 2775] [--system-id demo] [--password demo]
import { parseArgs } from 'node:util'
import { createClient } from '../src/simulator/client.js'
import { encodeText } from '../src/smpp/text/index.js'
import { buildConcatUdh } from '../src/smpp/udh.js'
import { statusName } from '../src/smpp/status.js'
import { DataCoding, EsmClass } from '../src/smpp/constants.js'

const { values } = parseArgs({
  options: { port: { type: 'string', default: '2775' }, 'system-id': { type: 'string', default: 'demo' }, password: { type: 'string', default: 'demo' } },
})
const ucs2 = (s: string) => encodeText(DataCoding.ucs2, s, { default_alphabet: 'gsm' }).bytes

const client = await createClient({ port: Number(values.port), system_id: values['system-id'], password: values.password, window: 10, timeout_ms: 10000 })
const base = { source_addr: '10690000', destination_addr: '13800138000', data_coding: DataCoding.ucs2, registered_delivery: 1 }
const samples: [string, Buffer[], number][] = [
  ['verification code', [ucs2('【示例科技】您的验证码是385921，5分钟内有效，请勿泄露。')], 0],
  ['gambling advert', [ucs2('线上娱乐城注册就送88元，百家乐真人视讯，日赢万元不是梦')], 0],
  ['evasive advert', [ucs2('加薇信领取福利，菠🎲菜平台稳赚不赔')], 0],
  ['long message, 2 parts', [ucs2('【示例物流】您的包裹已到达小区驿站，'), ucs2('请凭取件码8-2-1103于今晚20点前领取，谢谢。')], EsmClass.UDHI],
]
let expectReceipts = 0
for (const [n, [label, parts, esm]] of samples.entries()) {
  // One recipient per sample: the parts of a long message share theirs, and no per-recipient cap is hit.
  const destination_addr = `1380013800${n}`
  for (let i = 0; i < parts.length; i++) {
    const short_message = parts.length > 1 ? Buffer.concat([buildConcatUdh(7, parts.length, i + 1), parts[i]]) : parts[i]
    const r = await client.submit({ ...base, esm_class: esm, destination_addr, short_message })
    console.log(`${label}${parts.length > 1 ? ` part ${i + 1}` : ''}: ${statusName(r.status)}${r.message_id ? ` message_id=${r.message_id}` : ''}`)
    if (r.status === 0) expectReceipts++
  }
}
const receipts = await client.waitForDeliveries(expectReceipts, 5000).catch(() => client.deliveries)
for (const d of receipts) console.log(`receipt: ${d.fields.short_message.toString('latin1')}`)
await client.unbind()
