// Stage tests run a stage through the real compile step and pipeline, so config defaults, per-account
// overrides and monitor mode behave as in the proxy.
import pino from 'pino'
import { AccountSchema, type AccountConfig } from '../../../src/config/schema.js'
import { compileAccount } from '../../../src/policy/compile.js'
import { createPipeline } from '../../../src/policy/pipeline.js'
import type { StageDefinition, StageDeps } from '../../../src/policy/define-stage.js'
import type { Message } from '../../../src/policy/message.js'
import type { PolicyConfig } from '../../../src/policy/config.js'
import type { Verdict } from '../../../src/policy/verdict.js'
import type { State } from '../../../src/state/types.js'

export const silentLog = pino({ level: 'silent' })

export function account(over: Partial<AccountConfig> & { system_id: string }): AccountConfig {
  return AccountSchema.parse({ password_hash: 'scrypt$x', ...over })
}

export function message(over: Partial<Message> = {}): Message {
  return {
    system_id: 'acme',
    session_id: 's1',
    client_ip: '127.0.0.1',
    service_type: '',
    source_addr_ton: 0,
    source_addr_npi: 0,
    source_addr: '10690001',
    dest_addr_ton: 0,
    dest_addr_npi: 1,
    destination_addr: '8613800138000',
    esm_class: 0,
    registered_delivery: 0,
    data_coding: 8,
    text: '【Acme】您的订单已发货',
    encoding: 'ucs2',
    decode_error: false,
    parts: 1,
    received_at: 0,
    ...over,
  }
}

export interface Judge {
  (msg: Partial<Message>, now: number): Promise<Verdict>
}

/** Compiles `stages` for one account with `policy` and returns a judge function over the real pipeline. */
export function judgeWith(stages: readonly StageDefinition[], acct: AccountConfig, policy: PolicyConfig, state: State, baseDir = '.'): Judge {
  const cache = new Map<string, unknown>()
  const deps: StageDeps = {
    state,
    log: silentLog,
    clock: () => 0,
    baseDir,
    memo: <T>(key: string, make: () => T): T => {
      if (!cache.has(key)) cache.set(key, make())
      return cache.get(key) as T
    },
  }
  const compiled = compileAccount(acct, policy, deps, stages)
  const pipeline = createPipeline()
  return async (msg, now) => pipeline.judge(message({ system_id: acct.system_id, received_at: now, ...msg }), compiled, now)
}
