// The README's vendor status table is what clients and carriers' support scripts read: keep it equal to
// the code, in both directions.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { VendorStatus, statusName } from '../../src/smpp/status.js'
import { CommandStatus } from '../../src/smpp/constants.js'

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')

t.test('every vendor status is in the README table with its name, and nothing else is', async (t) => {
  const rows = new Map<number, string>()
  for (const m of README.matchAll(/^\| (0x4[0-9A-Fa-f]{2}) \| (SG_[A-Z_]+) \|/gm)) rows.set(Number.parseInt(m[1], 16), m[2])
  const code = new Map(Object.entries(VendorStatus).map(([k, v]) => [v as number, `SG_${k}`]))
  t.same([...rows.entries()].sort((a, b) => a[0] - b[0]), [...code.entries()].sort((a, b) => a[0] - b[0]))
})

t.test('vendor statuses are unique and inside the vendor range', async (t) => {
  const values = Object.values(VendorStatus) as number[]
  t.equal(new Set(values).size, values.length)
  t.ok(values.every((v) => v >= 0x400 && v <= 0x4ff))
})

t.test('statusName names standard, vendor and unknown statuses', async (t) => {
  t.equal(statusName(CommandStatus.ESME_RTHROTTLED), 'ESME_RTHROTTLED')
  t.equal(statusName(VendorStatus.CONTENT_GAMBLING), 'SG_CONTENT_GAMBLING')
  t.equal(statusName(0x4ff), '0x000004ff')
})
