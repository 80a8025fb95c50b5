// The long live-session fuzz: at least 1,000,000 random and mutated PDUs at a running proxy (dist/cli.js run)
// over TCP, bound transceivers, a receiver and unbound connections at once, pipelined and cut at random
// byte boundaries. Prints progress on stderr and one JSON summary on stdout; exits 1 on any failure.
// usage: node --import tsx scripts/fuzz/session.ts [--pdus N] [--max-s S] [--seed S] [--batch-timeout-ms MS]
//          [--lanes transceiver,transceiver,transceiver,receiver,unbound,unbound]
//        (build first: npx tsc -p tsconfig.json)
import { parseArgs } from 'node:util'
import { runSessionFuzz, type LaneKind } from './session-harness.js'

const { values } = parseArgs({
  options: {
    pdus: { type: 'string', default: '1000000' },
    'max-s': { type: 'string', default: '1800' },
    seed: { type: 'string' },
    'batch-timeout-ms': { type: 'string', default: '20000' },
    // One connection per lane at a time; batch n goes to lane n mod lanes, so a seed replays with the same lanes.
    lanes: { type: 'string', default: 'transceiver,transceiver,transceiver,receiver,unbound,unbound' },
  },
})
const seed = values.seed === undefined ? Date.now() % 0x7fffffff : Number(values.seed)
const lanes = values.lanes.split(',') as LaneKind[]
if (!lanes.every((l) => l === 'transceiver' || l === 'receiver' || l === 'unbound')) throw new Error(`--lanes: transceiver, receiver or unbound, got ${values.lanes}`)
console.error(`session fuzz: seed ${seed}, ${values.pdus} PDUs, at most ${values['max-s']} s`)
const summary = await runSessionFuzz({
  pdus: Number(values.pdus),
  max_s: Number(values['max-s']),
  seed,
  lanes,
  batch_timeout_ms: Number(values['batch-timeout-ms']),
  progress: (t, s, kb) => {
    if (Math.round(s) % 10 === 0) console.error(`${s.toFixed(0)} s: ${t.pdus} PDUs, ${t.batches} batches, ${t.connections} connections, RSS ${(kb / 1024).toFixed(0)} MiB`)
  },
})
console.log(JSON.stringify(summary))
const ok = summary.failures.length === 0 && summary.alive_after && summary.exit === '0'
process.exit(ok ? 0 : 1)
