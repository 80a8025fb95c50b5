// Per-message cost of recipient protection: the rate_limit stage alone (token bucket + 3 per-recipient
// windows + 2 cross-account windows + 2 duplicate-content windows, all in one State.consume), and the
// three state-reading stages together (account suspension, opt-out, rate_limit), with the memory backend
// and with Redis. Redis runs with many messages in flight (as a busy proxy has), so ioredis pipelines the
// commands of concurrent messages into shared writes; one in flight shows the bare round-trip latency.
// Bounded by count and time; stops by itself.
// usage: node --import tsx scripts/bench/limits.ts [--count N] [--inflight N] [--redis URL | --no-redis]
import { parseArgs } from 'node:util'
import pino from 'pino'
import { AccountSchema } from '../../src/config/schema.js'
import { compileAccount } from '../../src/policy/compile.js'
import { createPipeline } from '../../src/policy/pipeline.js'
import type { StageDefinition, StageDeps } from '../../src/policy/define-stage.js'
import type { Message } from '../../src/policy/message.js'
import { stages } from '../../src/policy/stages/index.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { createMemoryState } from '../../src/state/memory.js'
import { createRedisState } from '../../src/state/redis.js'
import { MemoryStateSchema, RedisStateSchema } from '../../src/state/config.js'
import type { State } from '../../src/state/types.js'

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200000' },
    inflight: { type: 'string', default: '256' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    'no-redis': { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
  },
})
const COUNT = Number(values.count)
const INFLIGHT = Number(values.inflight)
const MAX_MS = Number(values.seconds) * 1000

const log = pino({ level: 'silent' })
const byName = (n: string) => stages.find((s) => s.name === n)!
const LIMIT_ONLY = [byName('rate_limit')]
const STATEFUL = [byName('account'), byName('opt_out'), byName('rate_limit')]

let seed = 7
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff

function messages(n: number): Message[] {
  const out: Message[] = []
  for (let i = 0; i < n; i++) {
    out.push({
      system_id: 'bench',
      session_id: 's',
      client_ip: '127.0.0.1',
      service_type: '',
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: '10690001',
      dest_addr_ton: 0,
      dest_addr_npi: 1,
      // A million recipients: most messages go to someone with little history, as in real traffic.
      destination_addr: String(13_000_000_000 + Math.floor(rand() * 1_000_000)),
      esm_class: 0,
      registered_delivery: 0,
      data_coding: 8,
      text: `【云帆科技】您的验证码是${100000 + Math.floor(rand() * 900000)}，5分钟内有效，请勿泄露。`,
      encoding: 'ucs2',
      decode_error: false,
      parts: 1,
      received_at: 0,
    })
  }
  return out
}

async function run(label: string, state: State, list: StageDefinition[], inflight: number, msgs: Message[]): Promise<void> {
  const deps: StageDeps = { state, log, clock: Date.now, baseDir: '.', memo: (_k, make) => make() }
  const acct = AccountSchema.parse({ system_id: 'bench', password_hash: 'x', tps: 1e9, burst: 1e9 })
  const policy = compileAccount(acct, {}, deps, list)
  const pipeline = createPipeline()
  let next = 0
  let done = 0
  let allowed = 0
  const reasons = new Map<string, number>()
  const deadline = Date.now() + MAX_MS
  const t0 = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  async function worker(): Promise<void> {
    while (next < msgs.length && Date.now() < deadline) {
      const m = msgs[next++]
      const v = await pipeline.judge(m, policy, Date.now())
      if (v.action === "allow") allowed++
      else reasons.set(v.rule, (reasons.get(v.rule) ?? 0) + 1)
      done++
    }
  }
  await Promise.all(Array.from({ length: inflight }, worker))
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  const us = (secs * 1e6) / done
  const cpuUs = (cpu.user + cpu.system) / done
  console.log(
    `${label.padEnd(44)} ${String(done).padStart(7)} msgs  ${Math.round(done / secs).toString().padStart(8)} msg/s  ` +
      `${us.toFixed(2).padStart(7)} µs/msg wall  ${cpuUs.toFixed(2).padStart(7)} µs/msg proxy CPU  allowed ${((allowed / done) * 100).toFixed(0)}%`,
      JSON.stringify([...reasons]),
  )
}

const metrics = createMetrics()
const warm = messages(20_000)
const msgs = messages(COUNT)

{
  const mem = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log, metrics })
  await run('warm-up', mem, STATEFUL, 1, warm)
  await mem.close()
}
for (const [label, list] of [['memory  rate_limit', LIMIT_ONLY], ['memory  account+opt_out+rate_limit', STATEFUL]] as const) {
  const mem = createMemoryState(MemoryStateSchema.parse({ backend: 'memory' }), { log, metrics })
  await run(label, mem, [...list], 1, msgs)
  await mem.close()
}

if (!values['no-redis']) {
  const prefix = `sgbench:${process.pid}:`
  const states: State[] = []
  // A fresh key space per run, so no run inherits the counters of the one before.
  const redisState = async (run: string) => {
    const cfg = RedisStateSchema.parse({ backend: 'redis', url: values.redis, key_prefix: `${prefix}${run}:`, command_timeout_ms: 2000 })
    const s = createRedisState(cfg, { log, metrics })
    states.push(s)
    await s.ready()
    return s
  }
  try {
    await run('redis   rate_limit, 1 in flight', await redisState('a'), LIMIT_ONLY, 1, msgs.slice(0, Math.min(COUNT, 20_000)))
    await run(`redis   rate_limit, ${INFLIGHT} in flight`, await redisState('b'), LIMIT_ONLY, INFLIGHT, msgs)
    await run(`redis   account+opt_out+rate_limit, ${INFLIGHT} in flight`, await redisState('c'), STATEFUL, INFLIGHT, msgs)
  } finally {
    await Promise.all(states.map((s) => s.close()))
    // Leave the server as found: the counters would expire within a day, but a bench should not wait for that.
    const { Redis } = await import('ioredis')
    const r = new Redis(values.redis)
    let cursor = '0'
    do {
      const [c, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10000)
      if (keys.length) await r.unlink(...keys)
      cursor = c
    } while (cursor !== '0')
    r.disconnect()
  }
}
