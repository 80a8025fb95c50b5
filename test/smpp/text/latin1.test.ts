import t from 'tap'
import fc from 'fast-check'
import { decodeLatin1, encodeLatin1 } from '../../../src/smpp/text/latin1.js'

t.test('Latin-1 vectors', async (t) => {
  t.same(encodeLatin1('café ÿ').bytes, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]))
  t.same(decodeLatin1(Buffer.from([0xe9, 0xa3])), { text: 'é£', decode_error: false })
  const r = encodeLatin1('€1')
  t.same(r.bytes, Buffer.from('?1'))
  t.equal(r.lossy, true)
})

t.test('every byte string round-trips', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const r = decodeLatin1(b)
      return !r.decode_error && encodeLatin1(r.text).bytes.equals(Buffer.from(b))
    }),
  )
})
