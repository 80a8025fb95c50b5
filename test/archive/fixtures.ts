// Records and dependencies shared by the archive tests.
import pino from 'pino'
import pg from 'pg'
import { createMetrics } from '../../src/ops/metrics.js'
import { newRecordId, type MessageRecord, type MoRecord, type ReceiptRecord } from '../../src/archive/record.js'

export const silentLog = pino({ level: 'silent' })

/** The test database `scripts/ci/start-postgres.sh` creates, unless SMPP_GUARD_TEST_PG_URL names another. */
export const TEST_PG_URL = process.env.SMPP_GUARD_TEST_PG_URL ?? 'postgres://smpp_guard_test:smpp_guard_test@127.0.0.1:5432/smpp_guard_test'

export async function pgReachable(url = TEST_PG_URL): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await c.connect()
    await c.end()
    return true
  } catch {
    return false
  }
}
export const newMetrics = () => createMetrics()

/** 2026-11-01T10:00:00Z: fixed so day boundaries in tests are known. */
export const T0 = Date.parse('2026-11-01T10:00:00.000Z')
export const HOUR = 3_600_000
export const DAY = 86_400_000

export function message(over: Partial<MessageRecord> = {}): MessageRecord {
  const received_at = over.received_at ?? T0
  return {
    kind: 'message',
    id: newRecordId(received_at),
    received_at,
    decided_at: received_at + 2,
    system_id: 'acme',
    session_id: 's-1',
    client_ip: '127.0.0.1',
    source_addr: '10690001',
    destination_addr: '13800138000',
    data_coding: 8,
    text: '您的验证码是 123456',
    encoding: 'ucs2',
    parts: 1,
    segments: [],
    verdict: 'allow',
    rule: null,
    category: null,
    monitor_hits: [],
    command_status: 0,
    message_ids: ['m-1'],
    carrier_message_ids: ['c-1'],
    carrier_status: 0,
    ...over,
  }
}

export function receipt(over: Partial<ReceiptRecord> = {}): ReceiptRecord {
  const at = over.at ?? T0 + HOUR
  return {
    kind: 'receipt',
    id: newRecordId(at),
    at,
    message_id: 'c-1',
    state: 'DELIVRD',
    error: '000',
    system_id: 'acme',
    ...over,
  }
}

export function mo(over: Partial<MoRecord> = {}): MoRecord {
  const at = over.at ?? T0 + 2 * HOUR
  return {
    kind: 'mo',
    id: newRecordId(at),
    at,
    system_id: 'acme',
    source_addr: '13800138000',
    destination_addr: '10690001',
    data_coding: 8,
    text: 'TD',
    outcome: 'opt_out',
    ...over,
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
