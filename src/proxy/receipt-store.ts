// Receipts and MO queued for accounts with no receiver bind survive a restart: written at shutdown to one
// file in `receipts.queue_dir`, read back (and the file removed) at start. Written to a temporary name and
// renamed, so a crash mid-write leaves the previous state, never half a file. Format, repeated:
// u8 system_id length, system_id (latin1), u8 kind (0 receipt, 1 MO), u32 PDU length, PDU.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface StoredDelivery {
  readonly system_id: string
  readonly kind: 'receipt' | 'mo'
  readonly pdu: Buffer
}

const FILE = 'queued-deliveries.bin'

export function saveDeliveries(dir: string, list: readonly StoredDelivery[]): void {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, FILE)
  if (list.length === 0) {
    rmSync(path, { force: true })
    return
  }
  const chunks: Buffer[] = []
  for (const d of list) {
    const id = Buffer.from(d.system_id, 'latin1')
    const head = Buffer.allocUnsafe(1 + id.length + 1 + 4)
    head[0] = id.length
    id.copy(head, 1)
    head[1 + id.length] = d.kind === 'receipt' ? 0 : 1
    head.writeUInt32BE(d.pdu.length, 2 + id.length)
    chunks.push(head, d.pdu)
  }
  const tmp = `${path}.tmp`
  writeFileSync(tmp, Buffer.concat(chunks))
  renameSync(tmp, path)
}

/** Reads and removes the file; a truncated tail (a crash during an older write format) is dropped. */
export function loadDeliveries(dir: string): StoredDelivery[] {
  const path = join(dir, FILE)
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: StoredDelivery[] = []
  let off = 0
  while (off < buf.length) {
    const idLen = buf[off]
    if (off + 1 + idLen + 5 > buf.length) break
    const system_id = buf.toString('latin1', off + 1, off + 1 + idLen)
    const kind = buf[off + 1 + idLen] === 0 ? 'receipt' : 'mo'
    const len = buf.readUInt32BE(off + 2 + idLen)
    const start = off + 6 + idLen
    if (start + len > buf.length) break
    out.push({ system_id, kind, pdu: Buffer.from(buf.subarray(start, start + len)) })
    off = start + len
  }
  rmSync(path, { force: true })
  return out
}
