// Child-process plumbing shared by the benchmark scenarios: start a helper script or the proxy, wait for
// its port, read its CPU time from /proc, run the raw client and parse its result line.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const LIB = join(ROOT, 'scripts/bench/lib')

export interface ClientResult {
  sent: number
  ok: number
  failed: number
  receipts: number
  elapsed_s: number
  msgs_per_s: number
  p50_ms: number
  p90_ms: number
  p99_ms: number
  p999_ms: number
  /** Whole messages: counted by the raw client for every mix (a long message is done with its last part). */
  messages_done: number
  messages_per_s: number
  messages_rejected: number
  violating_sent: number
  violating_rejected: number
  /** Messages that asked for a receipt, and accepted PDUs of those (each gets one receipt). */
  receipts_asked: number
  receipts_expected: number
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

function tsNode(script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(LIB, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

function firstJsonLine<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    let buf = ''
    const onData = (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl === -1) return
      child.stdout?.off('data', onData)
      try {
        resolvePromise(JSON.parse(buf.slice(0, nl)) as T)
      } catch (err) {
        reject(err)
      }
    }
    child.stdout?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`child exited ${code} before printing a result`)))
  })
}

export async function startHelper(script: string, args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const child = tsNode(script, args)
  const { port } = await firstJsonLine<{ port: number }>(child)
  return { port, child }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => res(port))
    })
    s.on('error', rej)
  })
}

export async function waitForPort(port: number, timeoutMs = 20000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const up = await new Promise<boolean>((res) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy()
        res(true)
      })
      s.on('error', () => res(false))
    })
    if (up) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`)
}

/** Starts `smpp-guard run` (from dist/) with a YAML config written to a temp dir. */
export async function startProxy(yaml: string, port: number): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'smpp-guard-bench-'))
  const file = join(dir, 'bench.yaml')
  writeFileSync(file, yaml)
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the proxy there when it stops (`--cpu-prof`).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.env.BENCH_CPU_PROF)] : []
  // BENCH_PROXY_FLAGS: extra Node/V8 flags for the proxy only (e.g. a heap setting to compare).
  const flags = (process.env.BENCH_PROXY_FLAGS ?? '').split(' ').filter(Boolean)
  const child = spawn(process.execPath, [...flags, ...prof, join(ROOT, 'dist/cli.js'), 'run', '--config', file], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] })
  children.add(child)
  child.on('exit', () => children.delete(child))
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`smpp-guard exited with ${code} before listening`))))
  await Promise.race([waitForPort(port), exited])
  return child
}

/** utime + stime of a process in microseconds (from /proc; Linux only). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return (ticks * 1e6) / 100
}

/** utime + stime in microseconds per thread id of a process (from /proc; Linux only). */
export function threadCpuMicros(pid: number): Map<number, number> {
  const out = new Map<number, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.set(Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100)
  }
  return out
}

/**
 * CPU µs of `pid`'s threads since `before` (a `threadCpuMicros` snapshot), divided by `n`: all threads, the
 * main thread (the event loop), and the busiest other one.
 */
export function cpuSince(pid: number, before: Map<number, number>, n: number): { total: number; main: number; busiest: number } {
  let total = 0
  let main = 0
  let busiest = 0
  for (const [tid, us] of threadCpuMicros(pid)) {
    const d = us - (before.get(tid) ?? 0)
    total += d
    if (tid === pid) main = d
    else busiest = Math.max(busiest, d)
  }
  return { total: total / n, main: main / n, busiest: busiest / n }
}

/**
 * How long a thread was runnable but not running (ns → µs, /proc/<pid>/task/<tid>/schedstat) and how often
 * the scheduler took the CPU from it (nonvoluntary_ctxt_switches): on a shared machine, latency the process
 * itself did not spend. Linux only; zeros where unreadable.
 */
export function threadWait(pid: number, tid = pid): { wait_us: number; preempted: number } {
  try {
    const wait = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1000
    const m = /nonvoluntary_ctxt_switches:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))
    return { wait_us: wait, preempted: m ? Number(m[1]) : 0 }
  } catch {
    return { wait_us: 0, preempted: 0 }
  }
}

export interface ClientRun {
  port: number
  system_id?: string
  password?: string
  sessions: number
  window: number
  count: number
  max_s: number
  receipts?: boolean
  /** `pipeline`: 20 % long (2–3 parts), 5 % violating, 10 % asking receipts (when `receipts`). */
  mix?: 'single' | 'long' | 'pipeline'
  /** Steady messages per second for the whole client; 0 or absent: as fast as the window allows. */
  rate?: number
}

export async function runClient(r: ClientRun): Promise<ClientResult> {
  const child = tsNode('raw-client.ts', [
    String(r.port),
    r.system_id ?? 'bench',
    r.password ?? 'bench',
    String(r.sessions),
    String(r.window),
    String(r.count),
    String(r.max_s),
    r.receipts ? '1' : '0',
    r.mix ?? 'single',
    String(r.rate ?? 0),
  ])
  return firstJsonLine<ClientResult>(child)
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((res) => {
    child.once('exit', () => res())
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 5000).unref()
  })
}

export function table(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0] ?? {})
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 0)) : v)
  const lines = [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`]
  for (const r of rows) lines.push(`| ${cols.map((c) => fmt(r[c])).join(' | ')} |`)
  return lines.join('\n')
}
