// The long wire-layer fuzz: at least 1,000,000 mutated PDUs through framer + readers, in random chunking.
// usage: node --import tsx scripts/fuzz/wire.ts [--pdus N] [--seed S]
import { parseArgs } from 'node:util'
import fc from 'fast-check'
import { mutatedPdu } from '../../test/fuzz/pdu-corpus.js'
import { fuzzStream, readDirect } from './wire-harness.js'

const { values } = parseArgs({ options: { pdus: { type: 'string', default: '1000000' }, seed: { type: 'string' } } })
const target = Number(values.pdus)
const seed = values.seed === undefined ? Date.now() : Number(values.seed)
const batches = fc.sample(fc.tuple(fc.array(mutatedPdu, { minLength: 50, maxLength: 50 }), fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 8 })), {
  numRuns: Math.ceil(target / 50),
  seed,
})
// Generation is timed apart from the run: the figure is the parser's own speed.
const started = Date.now()
let pdus = 0
let frames = 0
let oversized = 0
let resyncLost = 0
let maxBuffered = 0
for (const [batch, cuts] of batches) {
  for (const pdu of batch) readDirect(pdu)
  const r = fuzzStream(batch, cuts)
  pdus += batch.length
  frames += r.frames
  oversized += r.oversized
  if (r.malformed) resyncLost++
  maxBuffered = Math.max(maxBuffered, r.maxBuffered)
}
console.log(JSON.stringify({ seed, pdus, frames, oversized, streams_closed_as_malformed: resyncLost, max_buffered_bytes: maxBuffered, seconds: (Date.now() - started) / 1000 }))
