import t, { type Test } from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadDeliveries, saveDeliveries, type StoredDelivery } from '../../src/proxy/receipt-store.js'

function dir(t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'smpp-guard-receipt-store-'))
  t.teardown(() => rmSync(d, { recursive: true, force: true }))
  return d
}

const list: StoredDelivery[] = [
  { system_id: 'acme', kind: 'receipt', pdu: Buffer.from('0000001a00000005000000000000000161626300', 'hex') },
  { system_id: 'b', kind: 'mo', pdu: Buffer.alloc(300, 7) },
  { system_id: 'x'.repeat(16), kind: 'receipt', pdu: Buffer.alloc(0) },
]

t.test('what is saved is loaded back in order, and the file is gone after loading', async (t) => {
  const d = dir(t)
  saveDeliveries(d, list)
  t.same(loadDeliveries(d), list)
  t.same(loadDeliveries(d), [], 'loaded once: a second start finds nothing')
})

t.test('saving nothing removes an older file', async (t) => {
  const d = dir(t)
  saveDeliveries(d, list)
  saveDeliveries(d, [])
  t.same(loadDeliveries(d), [])
})

t.test('a directory that does not exist yet is created; no file loads as nothing', async (t) => {
  const d = join(dir(t), 'queue', 'deep')
  t.same(loadDeliveries(d), [])
  saveDeliveries(d, list.slice(0, 1))
  t.same(loadDeliveries(d), list.slice(0, 1))
})

t.test('a truncated tail is dropped, the whole records before it are kept', async (t) => {
  const d = dir(t)
  saveDeliveries(d, list)
  const file = join(d, 'queued-deliveries.bin')
  const bytes = readFileSync(file)
  // cut inside the second record's PDU
  writeFileSync(file, bytes.subarray(0, 1 + 4 + 1 + 4 + list[0].pdu.length + 1 + 1 + 1 + 4 + 100))
  t.same(loadDeliveries(d), list.slice(0, 1))
  t.notOk(existsSync(file))
})
