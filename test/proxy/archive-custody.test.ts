// The proxy takes custody of nothing it cannot archive: while the archive refuses records, an allowed
// message is answered ESME_RMSGQFUL and never reaches the carrier; once it accepts again, traffic flows.
// A rejection is archived too, so while it cannot be it is answered the same way.
import t from 'tap'
import { CommandStatus } from '../../src/smpp/constants.js'
import type { ArchiveRecord, MessageRecord } from '../../src/archive/record.js'
import { GuardError } from '../../src/errors.js'
import { AccountSchema } from '../../src/config/schema.js'
import { createPipeline } from '../../src/policy/pipeline.js'
import { hit } from '../../src/policy/verdict.js'
import type { AccountPolicy } from '../../src/policy/compile.js'
import { VendorStatus } from '../../src/smpp/status.js'
import { startHarness, DEMO } from './harness.js'

/** An archive that starts refusing; it counts the appends it is asked for while it refuses. */
function refusingArchive() {
  const records: ArchiveRecord[] = []
  const archive = {
    accepting: false,
    refusedAppends: 0,
    append: async (r: ArchiveRecord) => {
      if (!archive.accepting) {
        archive.refusedAppends++
        throw new GuardError('SG_ERR_ARCHIVE_SPOOL_FULL')
      }
      records.push(r)
    },
  }
  return { records, archive }
}

t.test('a full archive stops forwarding; a recovered one lets it through', async (t) => {
  const { records, archive } = refusingArchive()
  const h = await startHarness(t, { proxy: { archive } })
  const c = await h.client({ ...DEMO, window: 5 })
  const msg = { source_addr: '10690001', destination_addr: '13800138000', short_message: Buffer.from('order 1 shipped') }

  const refused = await c.submit(msg)
  t.equal(refused.status, CommandStatus.ESME_RMSGQFUL, 'retry-later status while the archive refuses')
  t.equal(h.carrier!.submits.length, 0, 'nothing reached the carrier')
  t.equal(archive.refusedAppends, 0, 'no record asked of a refusing archive for a message not taken')

  archive.accepting = true
  const ok = await c.submit(msg)
  t.equal(ok.status, CommandStatus.ESME_ROK)
  t.equal(h.carrier!.submits.length, 1)
  const rec = records.find((r): r is MessageRecord => r.kind === 'message')
  t.equal(rec?.verdict, 'allow', 'the forwarded message is archived')
  await c.unbind()
})

t.test('a rejection that cannot be archived is answered retry-later, not with its verdict', async (t) => {
  const policy: AccountPolicy = {
    system_id: 'acme',
    account: AccountSchema.parse({ system_id: 'acme', password_hash: 'unused' }),
    stages: [{ name: 'content', mode: 'enforce', run: () => hit('content.gambling', 'gambling', VendorStatus.CONTENT_GAMBLING) }],
  }
  const { records, archive } = refusingArchive()
  const h = await startHarness(t, { proxy: { archive, pipeline: createPipeline(), policies: () => new Map([['acme', policy]]) } })
  const c = await h.client({ ...DEMO, window: 5 })
  const msg = { source_addr: '10690001', destination_addr: '13800138000', short_message: Buffer.from('casino tonight') }

  t.equal((await c.submit(msg)).status, CommandStatus.ESME_RMSGQFUL, 'retry-later while the archive refuses')
  t.equal(archive.refusedAppends, 0, 'and no record of it asked for')
  archive.accepting = true
  t.equal((await c.submit(msg)).status, VendorStatus.CONTENT_GAMBLING, 'the verdict once it can be archived')
  const rec = records.find((r): r is MessageRecord => r.kind === 'message')
  t.equal(rec?.verdict, 'reject')
  t.equal(h.carrier!.submits.length, 0)
  await c.unbind()
})
