// Live client sessions by account: bind counting for max_binds, picking a receiver for receipts and MO,
// and the list shutdown and the admin socket walk.
import type { ClientSession, Delivery } from './session.js'

export interface SessionRegistry<D extends Delivery = Delivery> {
  add(s: ClientSession<D>): void
  remove(s: ClientSession<D>): void
  /** Bound sessions of the account, any bind type. */
  count(system_id: string): number
  /** A session of the account that can take a deliver_sm now: the last one used while it has room. */
  pickReceiver(system_id: string): ClientSession<D> | undefined
  all(): IterableIterator<ClientSession<D>>
  readonly size: number
}

export function createRegistry<D extends Delivery = Delivery>(): SessionRegistry<D> {
  const byAccount = new Map<string, ClientSession<D>[]>()
  const all = new Set<ClientSession<D>>()
  const cursor = new Map<string, number>()

  return {
    add(s) {
      all.add(s)
      const list = byAccount.get(s.system_id)
      if (list) list.push(s)
      else byAccount.set(s.system_id, [s])
    },
    remove(s) {
      if (!all.delete(s)) return
      const list = byAccount.get(s.system_id)
      if (!list) return
      const i = list.indexOf(s)
      if (i >= 0) list.splice(i, 1)
      if (list.length === 0) {
        byAccount.delete(s.system_id)
        cursor.delete(s.system_id)
      }
    },
    count(system_id) {
      return byAccount.get(system_id)?.length ?? 0
    },
    pickReceiver(system_id) {
      const list = byAccount.get(system_id)
      if (!list) return undefined
      // Stay on one session while it has room: deliveries from one carrier read then leave in one write
      // per client socket instead of one per session (round-robin per PDU multiplied the write syscalls).
      const start = cursor.get(system_id) ?? 0
      for (let k = 0; k < list.length; k++) {
        const i = (start + k) % list.length
        if (list[i].canDeliver) {
          if (k > 0) cursor.set(system_id, i)
          return list[i]
        }
      }
      return undefined
    },
    all() {
      return all.values()
    },
    get size() {
      return all.size
    },
  }
}
