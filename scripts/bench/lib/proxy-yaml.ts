// The pieces of a benchmark proxy's YAML config that every scenario shares: the listener, the carrier binds
// and the `bench` account (password `bench`, the raw client's default), and the archive by mode.
import { hashPassword } from '../../../src/inbound/password.js'

export async function baseYaml(port: number, sinkPort: number): Promise<string> {
  return `
listen: { host: 127.0.0.1, port: ${port}, window: 1000 }
upstream: { host: 127.0.0.1, port: ${sinkPort}, binds: 2, window: 1000, queue: 5000 }
accounts:
  - system_id: bench
    password_hash: "${await hashPassword('bench')}"
    max_binds: 64
    tps: 10000000`
}

/** `none` keeps no record at all (the no-archive baseline); otherwise SQLite in that durability. */
export function archiveYaml(mode: string): string {
  if (mode === 'none') return 'archive: { sink: jsonl, path: archive, enabled: false }'
  return `archive: { sink: sqlite, path: archive, retention_days: 30, durability: ${mode} }`
}
