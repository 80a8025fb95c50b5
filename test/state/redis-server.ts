// Test access to Redis: the shared server started by scripts/ci/start-redis.sh (REDIS_URL or
// 127.0.0.1:6379), and private redis-server processes for outage tests, which stop, freeze and kill them.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { Redis } from 'ioredis'
import { RedisStateSchema, type RedisStateConfig } from '../../src/state/config.js'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Fails the test with the fix when no Redis answers: the backend contract must not be skipped silently. */
export async function requireRedis(t: Test, url = REDIS_URL): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => {})
  try {
    await probe.connect()
    await probe.ping()
    return true
  } catch (err) {
    t.fail(`no Redis at ${url} (${(err as Error).message}); start one with scripts/ci/start-redis.sh`)
    return false
  } finally {
    probe.disconnect()
  }
}

/** A config with a key prefix of its own; the keys are deleted when the test ends. */
export function isolatedConfig(t: Test, overrides: Partial<RedisStateConfig> = {}): RedisStateConfig {
  const key_prefix = `sgtest:${randomBytes(6).toString('hex')}:`
  t.teardown(async () => {
    const r = new Redis(overrides.url ?? REDIS_URL, { enableOfflineQueue: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    r.on('error', () => {})
    try {
      let cursor = '0'
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${key_prefix}*`, 'COUNT', 1000)
        if (keys.length) await r.del(...keys)
        cursor = next
      } while (cursor !== '0')
    } catch {
      // A private server may already be gone; its keys went with it.
    } finally {
      r.disconnect()
    }
  })
  // A generous command timeout: a loaded test machine must not turn a slow answer into a failed test.
  // Outage tests set their own.
  return RedisStateSchema.parse({ backend: 'redis', url: REDIS_URL, key_prefix, command_timeout_ms: 5000, ...overrides })
}

export async function freePort(): Promise<number> {
  const srv = createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as { port: number }).port
  srv.close()
  await once(srv, 'close')
  return port
}

export interface PrivateRedis {
  readonly url: string
  readonly proc: ChildProcess
  stop(): Promise<void>
}

/** Starts redis-server on a free loopback port; stopped (by its pid) at teardown. */
export async function startPrivateRedis(t: Test, port?: number): Promise<PrivateRedis> {
  const p = port ?? (await freePort())
  const proc = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(p), '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (out.includes('Ready to accept connections')) {
        proc.stdout!.off('data', onData)
        resolve()
      }
    }
    proc.stdout!.on('data', onData)
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)))
    proc.once('error', reject)
  })
  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= (async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGCONT')
      proc.kill('SIGKILL')
      await once(proc, 'exit')
    })()
    return stopped
  }
  t.teardown(stop)
  return { url: `redis://127.0.0.1:${p}`, proc, stop }
}
