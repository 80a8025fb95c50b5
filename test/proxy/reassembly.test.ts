import t, { type Test } from 'tap'
import fc from 'fast-check'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { once } from 'node:events'
import { decodeAssembled, Reassembler, reassemblyKey, type AddResult, type PartInput, type ReassemblerLimits } from '../../src/proxy/reassembly.js'
import { CommandId, CommandStatus, EsmClass, Tag } from '../../src/smpp/constants.js'
import { encodeBindResp, encodeEnquireLinkResp, encodeResponse, encodeSubmitSmResp } from '../../src/smpp/encode.js'
import { Framer } from '../../src/smpp/framer.js'
import { readCommandId, readSequence } from '../../src/smpp/header.js'
import { findTlv, readSubmitSm } from '../../src/smpp/pdu.js'
import { encodeText } from '../../src/smpp/text/index.js'
import { parseUdh, readSarConcat, type ConcatInfo } from '../../src/smpp/udh.js'

const LIMITS: ReassemblerLimits = {
  timeout_ms: 60_000,
  max_pending_messages: 1000,
  max_pending_bytes: 1 << 20,
  max_pending_per_account: 500,
  max_pending_bytes_per_account: 1 << 19,
}
const gsm = { default_alphabet: 'gsm' } as const

function part(
  seq: number,
  total: number,
  bytes: Uint8Array | string,
  over: Partial<PartInput<string>> & { ref?: number } = {},
): PartInput<string> {
  const concat: ConcatInfo = { ref: over.ref ?? 7, total, seq, scheme: over.concat?.scheme ?? 'udh8' }
  return {
    system_id: 'acme',
    source_addr: '1069',
    destination_addr: '8613800138000',
    data_coding: 8,
    user_data: typeof bytes === 'string' ? encodeText(over.data_coding ?? 8, bytes, gsm).bytes : bytes,
    handle: `p${seq}`,
    ...over,
    concat,
  }
}

t.test('parts in order complete one message with handles in sequence order', async (t) => {
  const r = new Reassembler<string>(LIMITS)
  t.match(r.add(part(1, 3, '禁止'), 1000), { status: 'held', received: 1, total: 3 })
  t.match(r.add(part(2, 3, '赌博'), 1001), { status: 'held', received: 2, total: 3 })
  const done = r.add(part(3, 3, '网站'), 1002)
  t.equal(done.status, 'complete')
  if (done.status !== 'complete') return
  const m = done.message
  t.equal(m.complete, true)
  t.same(m.missing, [])
  t.same(m.parts.map((p) => p.handle), ['p1', 'p2', 'p3'])
  t.equal(m.first_received_at, 1000)
  t.same(decodeAssembled(m, gsm), { text: '禁止赌博网站', encoding: 'ucs2', decode_error: false })
  t.same(r.stats(), { messages: 0, bytes: 0, accounts: 0 })
})

t.test('out of order, with a duplicate before and after completion', async (t) => {
  const r = new Reassembler<string>(LIMITS)
  r.add(part(3, 3, 'c'), 0)
  r.add(part(1, 3, 'a'), 1)
  t.same(r.add({ ...part(1, 3, 'a'), handle: 'retry' }, 2), { status: 'duplicate', key: reassemblyKey(part(1, 3, 'a')), original: 'p1', completed: false })
  const done = r.add(part(2, 3, 'b'), 3)
  t.equal(done.status, 'complete')
  if (done.status === 'complete') t.equal(decodeAssembled(done.message, gsm).text, 'abc')
  t.match(r.add({ ...part(2, 3, 'b'), handle: 'late' }, 4), { status: 'duplicate', original: 'p2', completed: true })
  t.same(r.stats().messages, 0, 'a late retry does not start a message that can never complete')
})

t.test('messages are kept apart by account, source, destination, scheme and reference', async (t) => {
  const r = new Reassembler<string>(LIMITS)
  const variants: Partial<PartInput<string>>[] = [
    {},
    { system_id: 'other' },
    { source_addr: '1070' },
    { destination_addr: '8613900139000' },
    { concat: { ref: 7, total: 2, seq: 1, scheme: 'sar' } },
    { ref: 8 } as Partial<PartInput<string>>,
  ]
  for (const v of variants) t.equal(r.add(part(1, 2, 'x', v), 0).status, 'held')
  t.equal(r.stats().messages, variants.length)
  for (const v of variants) t.equal(r.add(part(2, 2, 'y', v), 1).status, 'complete')
})

t.test('a reference reused by a new message supersedes the stale one', async (t) => {
  const r = new Reassembler<string>(LIMITS)
  r.add(part(1, 2, 'old'), 0)
  const res = r.add({ ...part(1, 2, 'new'), handle: 'n1' }, 5)
  t.match(res, { status: 'held', received: 1 })
  t.ok(res.status === 'held' && res.superseded)
  if (res.status === 'held' && res.superseded) {
    t.equal(res.superseded.complete, false)
    t.same(res.superseded.missing, [2])
    t.same(res.superseded.parts.map((p) => p.handle), ['p1'])
  }
  const other = r.add(part(2, 3, 'x'), 6)
  t.ok(other.status === 'held' && other.superseded, 'a different total also means a new message')
  t.equal(r.stats().messages, 1)
})

t.test('timeout: an incomplete message comes back on what arrived, gaps marked', async (t) => {
  const r = new Reassembler<string>({ ...LIMITS, timeout_ms: 1000 })
  r.add(part(2, 4, 'bb'), 100)
  r.add(part(4, 4, 'dd'), 200)
  r.add(part(1, 2, 'later', { ref: 9 }), 600)
  t.same(r.tick(1099), [], 'not before timeout_ms from the first part')
  const [m, ...rest] = r.tick(1100)
  t.same(rest, [])
  t.equal(m.complete, false)
  t.same(m.missing, [1, 3])
  t.same(decodeAssembled(m, gsm), { text: '\uFFFDbb\uFFFDdd', encoding: 'ucs2', decode_error: false })
  t.equal(r.stats().messages, 1)
  t.equal(r.tick(1600).length, 1)
  t.same(r.stats(), { messages: 0, bytes: 0, accounts: 0 })
  const tail = r.add(part(1, 3, 'x', { ref: 10 }), 2000)
  t.equal(tail.status, 'held')
  t.equal(decodeAssembled(r.tick(3000)[0], gsm).text, 'x\uFFFD', 'missing tail parts are marked too')
})

t.test('drain returns every held message for shutdown', async (t) => {
  const r = new Reassembler<string>(LIMITS)
  r.add(part(1, 2, 'a'), 0)
  r.add(part(1, 2, 'b', { ref: 1 }), 0)
  t.equal(r.drain().length, 2)
  t.same(r.stats(), { messages: 0, bytes: 0, accounts: 0 })
})

t.test('parts in different data codings decode run by run', async (t) => {
  const r = new Reassembler<string>(LIMITS)
  r.add(part(1, 2, 'Hi {', { data_coding: 0 }), 0)
  const done = r.add(part(2, 2, '您好', { data_coding: 8 }), 0)
  t.equal(done.status, 'complete')
  if (done.status === 'complete') t.same(decodeAssembled(done.message, gsm), { text: 'Hi {您好', encoding: 'unknown', decode_error: false })
})

t.test('caps: messages and bytes, per account and global', async (t) => {
  const small: ReassemblerLimits = {
    timeout_ms: 1000,
    max_pending_messages: 3,
    max_pending_bytes: 2048,
    max_pending_per_account: 2,
    max_pending_bytes_per_account: 1024,
  }
  const r = new Reassembler<string>(small)
  const b = new Uint8Array(100)
  t.equal(r.add(part(1, 2, b, { ref: 1 }), 0).status, 'held')
  t.equal(r.add(part(1, 2, b, { ref: 2 }), 0).status, 'held')
  t.same(r.add(part(1, 2, b, { ref: 3 }), 0), { status: 'refused', reason: 'max_pending_per_account' })
  t.equal(r.add(part(1, 2, b, { ref: 1, system_id: 'b' }), 0).status, 'held')
  t.same(r.add(part(1, 2, b, { ref: 1, system_id: 'c' }), 0), { status: 'refused', reason: 'max_pending_messages' })
  t.same(r.stats(), { messages: 3, bytes: 300, accounts: 2 })

  const r2 = new Reassembler<string>(small)
  t.equal(r2.add(part(1, 3, b, { ref: 1, held_bytes: 800 }), 0).status, 'held')
  const over = r2.add(part(2, 3, b, { ref: 1, held_bytes: 200 }), 0)
  t.equal(over.status, 'refused')
  if (over.status === 'refused') {
    t.equal(over.reason, 'max_pending_bytes_per_account')
    t.same(over.dropped?.parts.map((p) => p.handle), ['p1'], 'the held message is given up, not left half')
  }
  t.same(r2.stats(), { messages: 0, bytes: 0, accounts: 0 })
  t.equal(r2.add(part(1, 2, b, { ref: 1, system_id: 'x', held_bytes: 900 }), 0).status, 'held')
  t.equal(r2.add(part(1, 2, b, { ref: 1, system_id: 'y', held_bytes: 900 }), 0).status, 'held')
  t.match(r2.add(part(1, 2, b, { ref: 1, system_id: 'z', held_bytes: 100 }), 0), { status: 'refused', reason: 'max_pending_bytes' })

  const r3 = new Reassembler<string>(small)
  r3.add(part(1, 2, b, { ref: 1, held_bytes: 500 }), 0)
  const refusedNew = r3.add({ ...part(1, 2, new Uint8Array(100).fill(1), { ref: 1, held_bytes: 1000 }), handle: 'n1' }, 1)
  t.match(refusedNew, { status: 'refused', reason: 'max_pending_bytes_per_account' })
  t.same(refusedNew.status === 'refused' && refusedNew.dropped?.parts.map((p) => p.handle), ['p1'], 'a message it superseded is handed back, not lost')
  t.same(r3.stats(), { messages: 0, bytes: 0, accounts: 0 })
})

t.test('a flood of never-completed parts stays within the caps and drains by timeout', async (t) => {
  const r = new Reassembler<number>(LIMITS)
  const payload = new Uint8Array(134)
  const refused: Record<string, number> = {}
  let held = 0
  let maxBytes = 0
  for (let i = 0; i < 30_000; i++) {
    const system_id = `acct${i % 4}`
    const res = r.add(
      {
        system_id,
        source_addr: 'flood',
        destination_addr: String(13800000000 + i),
        concat: { ref: i & 0xffff, total: 2, seq: 1, scheme: 'udh16' },
        data_coding: 8,
        user_data: payload,
        held_bytes: 200,
        handle: i,
      },
      i,
    )
    if (res.status === 'held') held++
    else if (res.status === 'refused') refused[res.reason] = (refused[res.reason] ?? 0) + 1
    const s = r.stats()
    maxBytes = Math.max(maxBytes, s.bytes)
    if (s.messages > LIMITS.max_pending_messages || s.bytes > LIMITS.max_pending_bytes) break
    if (r.accountStats(system_id).messages > LIMITS.max_pending_per_account) break
    if (r.accountStats(system_id).bytes > LIMITS.max_pending_bytes_per_account) break
  }
  t.ok(r.stats().messages <= LIMITS.max_pending_messages)
  t.ok(maxBytes <= LIMITS.max_pending_bytes)
  t.equal(held, LIMITS.max_pending_messages, 'it holds up to the global cap, then refuses')
  t.equal(held + Object.values(refused).reduce((a, b) => a + b, 0), 30_000)
  t.ok(refused.max_pending_messages > 0)
  for (let a = 0; a < 4; a++) t.ok(r.accountStats(`acct${a}`).messages <= LIMITS.max_pending_per_account)
  const expired = r.tick(30_000 + LIMITS.timeout_ms)
  t.equal(expired.length, held)
  t.ok(expired.every((m) => !m.complete && m.missing.length === 1))
  t.same(r.stats(), { messages: 0, bytes: 0, accounts: 0 })
  t.equal(r.add({ ...part(1, 2, 'after'), handle: -1 }, 90_001).status, 'held', 'room again once they time out')
})

t.test('one account flooding cannot take the others’ room', async (t) => {
  const r = new Reassembler<string>({ ...LIMITS, max_pending_messages: 100, max_pending_per_account: 40 })
  for (let i = 0; i < 1000; i++) r.add(part(1, 2, 'x', { ref: i & 0xff, destination_addr: String(i) }), 0)
  t.equal(r.accountStats('acme').messages, 40)
  t.equal(r.add(part(1, 2, 'x', { system_id: 'quiet' }), 0).status, 'held')
})

// ---- property: any split, any order, any duplicates --------------------------------------------

interface Split {
  cuts: number[]
  order: number[]
  dups: number[]
}

function splitArb(len: number): fc.Arbitrary<Split> {
  const maxParts = Math.min(8, len)
  return fc
    .integer({ min: 2, max: Math.max(2, maxParts) })
    .chain((k) =>
      fc.record({
        cuts: fc.uniqueArray(fc.integer({ min: 1, max: len - 1 }), { minLength: k - 1, maxLength: k - 1 }).map((c) => c.sort((a, b) => a - b)),
        order: fc.shuffledSubarray([...Array(k).keys()], { minLength: k, maxLength: k }),
        dups: fc.array(fc.nat(k - 1), { maxLength: 4 }),
      }),
    )
}

function feed(bytes: Buffer, dc: number, s: Split): { results: AddResult<string>[]; total: number } {
  const bounds = [0, ...s.cuts, bytes.length]
  const total = bounds.length - 1
  const parts = Array.from({ length: total }, (_, i) => part(i + 1, total, bytes.subarray(bounds[i], bounds[i + 1]), { data_coding: dc }))
  const arrival = [...s.order]
  // A duplicate arrives right after its original, or at the end (the retry of a part whose response was lost).
  for (const d of s.dups) arrival.splice(arrival.indexOf(d) + 1, 0, d)
  const r = new Reassembler<string>(LIMITS)
  const results = arrival.map((i, n) => r.add({ ...parts[i], handle: `p${i + 1}#${n}` }, n))
  return { results, total }
}

function reassemblesTo(text: string, dc: number, s: Split): boolean {
  const { results } = feed(encodeText(dc, text, gsm).bytes, dc, s)
  const complete = results.filter((x) => x.status === 'complete')
  if (complete.length !== 1 || complete[0].status !== 'complete') return false
  const d = decodeAssembled(complete[0].message, gsm)
  return d.text === text && !d.decode_error && results.every((x) => x.status === 'held' || x.status === 'complete' || x.status === 'duplicate')
}

function withSplit(text: fc.Arbitrary<string>, dc: number): fc.Arbitrary<[string, Split]> {
  return text.chain((s) => fc.tuple(fc.constant(s), splitArb(encodeText(dc, s, gsm).bytes.length)))
}

const UCS2_TEXT = fc
  .array(fc.oneof(fc.constantFrom('😀', '👍🏽', '𠀀', '禁', '止', 'a', ' '), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 60 })
  .map((a) => a.join(''))
const GSM_TEXT = fc
  .array(fc.constantFrom(...Array.from('{}[]~^|€\\\fabcXYZ @£$Δ_0123')), { minLength: 2, maxLength: 200 })
  .map((a) => a.join(''))

t.test('UCS2 (emoji included): any split into 2–8 parts, any order, duplicates → the original', async () => {
  fc.assert(fc.property(withSplit(UCS2_TEXT, 8), ([text, s]) => reassemblesTo(text, 8, s)), { numRuns: 300 })
})

t.test('GSM (escapes included): any split into 2–8 parts, any order, duplicates → the original', async () => {
  fc.assert(fc.property(withSplit(GSM_TEXT, 0), ([text, s]) => reassemblesTo(text, 0, s)), { numRuns: 300 })
})

t.test('a split surrogate pair and a split escape, spelled out', async (t) => {
  const emoji = encodeText(8, 'a😀', gsm).bytes // 0061 d83d de00
  const r = new Reassembler<string>(LIMITS)
  r.add(part(2, 2, emoji.subarray(3)), 0)
  const done = r.add(part(1, 2, emoji.subarray(0, 3)), 1)
  t.ok(done.status === 'complete' && decodeAssembled(done.message, gsm).text === 'a😀')
  const esc = encodeText(0, 'x€', gsm).bytes // 78 1b 65
  const g = new Reassembler<string>(LIMITS)
  g.add(part(1, 2, esc.subarray(0, 2), { data_coding: 0 }), 0)
  const gd = g.add(part(2, 2, esc.subarray(2), { data_coding: 0 }), 1)
  t.ok(gd.status === 'complete' && decodeAssembled(gd.message, gsm).text === 'x€')
})

// ---- the Perl peer: what esme-send --split really sends -----------------------------------------

const ESME_SEND = fileURLToPath(new URL('../../../shared/peers/esme-send', import.meta.url))
const hasPerlPeer = existsSync(ESME_SEND) && spawnSync('perl', ['-MNet::SMPP', '-e', '1']).status === 0

interface Captured {
  esm_class: number
  data_coding: number
  short_message: Buffer
  payload?: Buffer
  concat?: ConcatInfo
  user_data: Buffer
}

/** A minimal SMSC: answers bind, submit_sm, enquire_link and unbind, and keeps every submit_sm. */
async function captureServer(t: Test): Promise<{ port: number; submits: Captured[] }> {
  const submits: Captured[] = []
  const server = net.createServer((sock) => {
    let seqMsg = 0
    const framer = new Framer({
      onFrame(pdu) {
        const id = readCommandId(pdu)
        const seq = readSequence(pdu)
        if (id === CommandId.bind_transceiver || id === CommandId.bind_transmitter) sock.write(encodeBindResp(id, 0, seq, 'CAPTURE'))
        else if (id === CommandId.enquire_link) sock.write(encodeEnquireLinkResp(seq))
        else if (id === CommandId.unbind) sock.end(encodeResponse(CommandId.unbind, 0, seq))
        else if (id === CommandId.submit_sm) {
          const r = readSubmitSm(Buffer.from(pdu))
          if (!r.ok) return void sock.write(encodeSubmitSmResp(r.status, seq, ''))
          const payload = findTlv(r.tlvs, Tag.message_payload)
          const ud = Buffer.from(payload ?? r.short_message)
          let concat: ConcatInfo | undefined
          let user_data = ud
          if (r.esm_class & EsmClass.UDHI) {
            const u = parseUdh(ud)
            if (u.ok) {
              concat = u.concat
              user_data = ud.subarray(u.offset)
            }
          } else {
            const s = readSarConcat(findTlv(r.tlvs, Tag.sar_msg_ref_num), findTlv(r.tlvs, Tag.sar_total_segments), findTlv(r.tlvs, Tag.sar_segment_seqnum))
            if (s.ok) concat = s.concat
          }
          submits.push({ esm_class: r.esm_class, data_coding: r.data_coding, short_message: Buffer.from(r.short_message), payload: payload && Buffer.from(payload), concat, user_data })
          sock.write(encodeSubmitSmResp(CommandStatus.ESME_ROK, seq, `m${++seqMsg}`))
        } else sock.write(encodeResponse(id, CommandStatus.ESME_RINVCMDID, seq))
      },
      onOversized() {
        sock.destroy()
      },
      onMalformed() {
        sock.destroy()
      },
    })
    sock.on('data', (c) => framer.push(c))
    sock.on('error', () => sock.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((res) => server.close(() => res())))
  return { port: (server.address() as net.AddressInfo).port, submits }
}

t.test('esme-send --split (UDH and SAR modes) reassembles and decodes to its input', { skip: hasPerlPeer ? false : 'Perl peer (../shared/peers, libnet-smpp-perl) not available' }, async (t) => {
  const { port, submits } = await captureServer(t)
  const messages = [
    { text: '您好，这是一条很长的中文短信😀，用来测试长短信的重新组装，禁止赌博网站。👍🏽 结束', encoding: 'ucs2', split: 7 },
    { text: 'GSM with escapes {curly} [square] ~tilde~ ^caret^ |pipe| €uro €uro €uro and more text', encoding: 'gsm', split: 9 },
    { text: 'SAR mode: 您的验证码是123456,请勿泄露。😀😀😀 long enough to split', encoding: 'ucs2', split: 6, split_mode: 'sar' },
    { text: 'Latin-1 café naïve façade déjà vu, split in the sar way', encoding: 'latin1', split: 10, split_mode: 'sar' },
    { text: '整条放在 message_payload 里的长文本😀'.repeat(6), encoding: 'ucs2', payload: true },
  ]
  const dir = t.testdir({ 'messages.jsonl': messages.map((m) => JSON.stringify({ src: '10690001', dst: '8613800138000', ...m })).join('\n') + '\n' })
  const child = spawn('perl', [ESME_SEND, '--window', '1', '--wait', '0', '--expect-deliver', '0', `127.0.0.1:${port}`, 'acme', 'secret', `${dir}/messages.jsonl`], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c) => (stderr += c))
  child.stdout.resume()
  const [code] = await once(child, 'exit')
  t.equal(code, 0, `esme-send exits 0 ${stderr}`)

  const r = new Reassembler<number>(LIMITS)
  const texts: string[] = []
  submits.forEach((s, i) => {
    if (!s.concat) {
      texts.push(`${s.payload ? 'payload:' : ''}${decodeAssembled({ parts: [{ seq: 1, data_coding: s.data_coding, user_data: s.user_data, handle: i, received_at: 0 }], total: 1 }, gsm).text}`)
      return
    }
    const res = r.add({ system_id: 'acme', source_addr: '10690001', destination_addr: '8613800138000', concat: s.concat, data_coding: s.data_coding, user_data: s.user_data, handle: i }, i)
    if (res.status === 'complete') texts.push(decodeAssembled(res.message, gsm).text)
  })
  t.same(texts, messages.map((m) => (m.payload ? 'payload:' : '') + m.text))
  t.ok(submits.filter((s) => s.concat?.scheme === 'udh8').length >= 10, 'UDH parts seen')
  t.ok(submits.filter((s) => s.concat?.scheme === 'sar').length >= 10, 'SAR parts seen')
  t.same(r.stats().messages, 0)
})

t.test('completed keys: a new text under the same reference starts a new message; memory of them is bounded', async (t) => {
  const r = new Reassembler<string>({ ...LIMITS, timeout_ms: 1000, max_pending_messages: 2 })
  r.add(part(1, 2, 'a'), 0)
  r.add(part(2, 2, 'b'), 0)
  t.equal(r.add(part(1, 2, 'NEW'), 10).status, 'held', 'different bytes under a completed key: a new message')
  r.drain()
  r.add(part(1, 1, 'x', { ref: 1 }), 0)
  t.equal(r.add(part(1, 1, 'x', { ref: 1 }), 999).status, 'duplicate')
  t.same(r.tick(1000), [])
  t.equal(r.add(part(1, 1, 'x', { ref: 1 }), 1001).status, 'complete', 'forgotten after timeout_ms')
  for (let i = 2; i < 6; i++) r.add(part(1, 1, 'y', { ref: i }), 1002)
  t.equal(r.add(part(1, 1, 'x', { ref: 1 }), 1003).status, 'complete', 'only max_pending_messages completed keys are remembered')
})

t.test('remembered completed keys stay correct across many evictions', async (t) => {
  const r = new Reassembler<string>({ ...LIMITS, max_pending_messages: 1000 })
  for (let i = 0; i < 5000; i++) r.add(part(1, 1, 'x', { destination_addr: String(i) }), i)
  t.equal(r.add(part(1, 1, 'x', { destination_addr: '4999' }), 5000).status, 'duplicate', 'the newest are remembered')
  t.equal(r.add(part(1, 1, 'x', { destination_addr: '4000' }), 5000).status, 'duplicate')
  t.equal(r.add(part(1, 1, 'x', { destination_addr: '3999' }), 5000).status, 'complete', 'older ones are forgotten')
})

t.test('held bytes are the caller’s bytes at the time, every byte value, whatever the caller does with its buffer later', async (t) => {
  const r = new Reassembler<string>(LIMITS)
  const chunk = Buffer.alloc(600)
  for (let i = 0; i < 256; i++) chunk[i] = i
  for (let i = 0; i < 256; i++) chunk[300 + i] = 255 - i
  t.equal(r.add(part(1, 2, chunk.subarray(0, 256)), 0).status, 'held')
  // a plain Uint8Array view, not a Buffer: the proxy may hand either
  const second = new Uint8Array(chunk.buffer, chunk.byteOffset + 300, 256)
  const res = r.add(part(2, 2, second), 1)
  const expected = Buffer.concat([Buffer.from(chunk.subarray(0, 256)), Buffer.from(chunk.subarray(300, 556))])
  chunk.fill(0x20) // the socket chunk is reused
  t.equal(res.status, 'complete')
  if (res.status !== 'complete') return
  t.same(
    Buffer.concat(res.message.parts.map((p) => p.user_data)),
    expected,
  )
  t.same(res.message.parts.map((p) => [p.seq, p.data_coding, p.received_at]), [
    [1, 8, 0],
    [2, 8, 1],
  ])
})

t.test('timeouts are handed out a bounded batch per tick, oldest first', async (t) => {
  const r = new Reassembler<number>({ ...LIMITS, max_pending_messages: 5000, max_pending_per_account: 5000, max_pending_bytes: 1 << 24, max_pending_bytes_per_account: 1 << 24 })
  for (let i = 0; i < 4500; i++) {
    const res = r.add({ ...part(1, 2, 'x', { ref: i, destination_addr: String(13800000000 + i) }), handle: i }, i)
    if (res.status !== 'held') t.fail(`part ${i} ${res.status}`)
  }
  const after = 4500 + LIMITS.timeout_ms
  const first = r.tick(after)
  const second = r.tick(after)
  const third = r.tick(after)
  t.equal(first.length, 2000)
  t.equal(second.length, 2000)
  t.equal(third.length, 500)
  t.same(
    [...first, ...second, ...third].map((m) => m.parts[0].handle),
    Array.from({ length: 4500 }, (_, i) => i),
  )
  t.same(r.tick(after), [])
  t.equal(r.stats().messages, 0)
})
