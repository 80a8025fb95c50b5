// The proxy takes custody of nothing it cannot archive: while the archive refuses records, an allowed
// message is answered ESME_RMSGQFUL and never reaches the carrier; once it accepts again, traffic flows.
import t from 'tap'
import { CommandStatus } from '../../src/smpp/constants.js'
import type { ArchiveRecord, MessageRecord } from '../../src/archive/record.js'
import { GuardError } from '../../src/errors.js'
import { startHarness, DEMO } from './harness.js'

t.test('a full archive stops forwarding; a recovered one lets it through', async (t) => {
  const records: ArchiveRecord[] = []
  const archive = {
    accepting: false,
    append: async (r: ArchiveRecord) => {
      if (!archive.accepting) throw new GuardError('SG_ERR_ARCHIVE_SPOOL_FULL')
      records.push(r)
    },
  }
  const h = await startHarness(t, { proxy: { archive } })
  const c = await h.client({ ...DEMO, window: 5 })
  const msg = { source_addr: '10690001', destination_addr: '13800138000', short_message: Buffer.from('order 1 shipped') }

  const refused = await c.submit(msg)
  t.equal(refused.status, CommandStatus.ESME_RMSGQFUL, 'retry-later status while the archive refuses')
  t.equal(h.carrier!.submits.length, 0, 'nothing reached the carrier')

  archive.accepting = true
  const ok = await c.submit(msg)
  t.equal(ok.status, CommandStatus.ESME_ROK)
  t.equal(h.carrier!.submits.length, 1)
  const rec = records.find((r): r is MessageRecord => r.kind === 'message')
  t.equal(rec?.verdict, 'allow', 'the forwarded message is archived')
  await c.unbind()
})
