// The state interface policy stages and the proxy see; `memory.ts` and `redis.ts` implement it and both pass
// test/state/contract.ts. Nothing outside src/state knows which backend is in use.

export interface State {
  /** Set membership (opt-out lists, suspensions). */
  has(set: string, member: string): Promise<boolean>
  add(set: string, member: string): Promise<void>
  remove(set: string, member: string): Promise<boolean>
  members(set: string, limit?: number): Promise<string[]>
  close(): Promise<void>
  destroy(err?: Error): void
}
