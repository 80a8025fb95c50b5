// A bounded run of the wire fuzzer for CI; `scripts/fuzz/wire.ts` runs the million-PDU version.
import t from 'tap'
import fc from 'fast-check'
import { fuzzStream, readDirect } from '../../scripts/fuzz/wire-harness.js'
import { mutatedPdu } from './pdu-corpus.js'

t.test('framer and readers survive mutated PDUs in any chunking', async (t) => {
  let frames = 0
  fc.assert(
    fc.property(fc.array(mutatedPdu, { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }), (pdus, cuts) => {
      for (const pdu of pdus) readDirect(pdu)
      const r = fuzzStream(pdus, cuts)
      frames += r.frames
      return r.maxBuffered <= 65536
    }),
    { numRuns: 3000 },
  )
  t.ok(frames > 0, `${frames} frames read without a throw`)
})
