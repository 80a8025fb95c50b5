// Throws random and mutated PDUs at a live proxy (`smpp-guard run` from dist/, carrier simulator inside) over
// real sockets and checks every answer against a model of SMPP 3.4 and docs/core.md:
// - the model cuts the byte stream exactly as the spec says a receiver must (command_length first: under 16
//   the stream is lost, above 64 KiB the bytes are skipped), so it knows which PDUs the proxy sees, whatever
//   the mutations did to the framing;
// - each request gets its own response or generic_nack with its sequence number and the status the docs
//   give; responses from the client are never answered; unbind and an impossible length close the
//   connection, a failed bind too;
// - after each batch the session (or a fresh one) answers enquire_link, within a deadline;
// - the proxy process stays up and its RSS is sampled from /proc.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import fc from 'fast-check'
import { CommandId, CommandStatus, HEADER_LENGTH, MAX_PDU_LENGTH, responseIdOf } from '../../src/smpp/constants.js'
import { encodeBind, encodeEnquireLink, encodeResponse, encodeUnbind } from '../../src/smpp/encode.js'
import { hashPassword } from '../../src/inbound/password.js'
import { mutatedFrom, seeds } from '../../test/fuzz/pdu-corpus.js'
import { freePort } from '../bench/lib/harness.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

// --- the model -------------------------------------------------------------------------------------------

export type LaneKind = 'transceiver' | 'receiver' | 'unbound'

/** An answer the proxy owes: a response id, the request's sequence number and a status (null: any). */
export interface Expectation {
  readonly id: number
  readonly seq: number
  readonly status: number | null
  /** Answered after an await (policy, carrier, password check), not while the PDU is read. */
  readonly async: boolean
  /** False once the connection may close before it is written (after a bind on an unbound one, after unbind). */
  required: boolean
  /** Still being judged or forwarded when the connection started closing: its answer may be lost with it. */
  inFlightAtClose: boolean
}

export interface Plan {
  /** The bytes to send: the batch, filler that completes a PDU left open, then the enquire_link probe. */
  readonly stream: Buffer
  readonly expectations: Expectation[]
  /** The probe's sequence number, or null when the batch leaves no frame boundary to put it at. */
  readonly probeSeq: number | null
  /** The proxy must close the connection (unbind, command_length under 16). */
  readonly closeExpected: boolean
  /** A bind on an unbound connection: it closes if the bind fails, and serves on if it succeeds. */
  readonly bindPending: boolean
  /** The stream ends inside the skipped bytes of a huge command_length: the client gives up the connection. */
  readonly abandoned: boolean
  readonly frames: number
  readonly oversized: number
}

/** Requests the proxy does not serve; each is refused with its own response id (docs/core.md). */
const REFUSED_WITH_OWN_RESPONSE = new Set<number>([CommandId.query_sm, CommandId.cancel_sm, CommandId.replace_sm, CommandId.submit_multi, CommandId.data_sm])
const BINDS = new Set<number>([CommandId.bind_transmitter, CommandId.bind_receiver, CommandId.bind_transceiver])

/** Filler up to this many bytes completes an open or skipped PDU; beyond it the connection is abandoned. */
const MAX_FILLER = 4 * MAX_PDU_LENGTH + HEADER_LENGTH

/**
 * Cuts the stream as SMPP 3.4 §2.2 tells a receiver to (command_length, then that many bytes) and lists what
 * the proxy owes for each PDU it will see. `lane` is the connection's state before the batch.
 *
 * A client stops sending after unbind, after a length that loses the stream, and after a bind until the
 * bind_resp: the stream is cut there. With `trailAfterClose` it keeps sending instead, and then nothing is
 * owed any more: a peer that writes to a connection being closed may get it reset, answers and all.
 */
export function planBatch(batch: readonly Buffer[], lane: LaneKind, probeSeq: number, trailAfterClose = false): Plan {
  const expectations: Expectation[] = []
  // Changed inside the callbacks below, so typed wide: control-flow narrowing would not see those writes.
  let state = 'serving' as 'serving' | 'bind_pending' | 'closing'
  let frames = 0
  let oversized = 0
  const parts: Buffer[] = []
  let pos = 0
  /** Where the client stops: the end of the PDU after which it waits (bind) or leaves (unbind, lost stream). */
  let stopAt = -1
  let owedAtStop = 0
  let closes = false
  // Bytes still to come of the current PDU (whole or skipped); the header of the next one as it arrives.
  let rest = 0
  const head = Buffer.alloc(HEADER_LENGTH)
  let headLength = 0
  let dead = false

  const expect = (id: number, seq: number, status: number | null, async = false): void => {
    expectations.push({ id, seq, status, async, required: state === 'serving', inFlightAtClose: false })
  }
  const stopped = (): boolean => stopAt >= 0 && !trailAfterClose
  const stop = (at: number): void => {
    if (stopAt >= 0) return
    stopAt = at
    owedAtStop = expectations.length
  }
  // An unbind is answered once the submits in flight are (SMPP 3.4 §4.2), so they stay owed. A hopeless
  // length ends the connection at once: what the proxy is still judging or forwarding is not answered on it.
  const closing = (at: number, inFlightAnswered: boolean): void => {
    if (state === 'closing') return
    for (const e of expectations) {
      if (e.async && e.required && !inFlightAnswered) {
        e.required = false
        e.inFlightAtClose = true
      }
    }
    state = 'closing'
    closes = true
    stop(at)
  }
  const onHeader = (): void => {
    const length = head.readUInt32BE(0)
    const id = head.readUInt32BE(4)
    const seq = head.readUInt32BE(12)
    if (length < HEADER_LENGTH) {
      // No way to find the next PDU: generic_nack with sequence 0, then the connection closes.
      expect(CommandId.generic_nack, 0, CommandStatus.ESME_RINVCMDLEN)
      closing(pos, false)
      dead = true
      return
    }
    rest = length - HEADER_LENGTH
    if (length > MAX_PDU_LENGTH) {
      oversized++
      expect(CommandId.generic_nack, seq, CommandStatus.ESME_RINVCMDLEN)
      return
    }
    frames++
    onFrame(id, seq, pos + rest)
  }
  const onFrame = (id: number, seq: number, end: number): void => {
    if ((id & 0x80000000) !== 0) return
    const bound = lane !== 'unbound'
    if (id === CommandId.submit_sm) {
      if (bound && lane !== 'receiver') return expect(responseIdOf(id), seq, null, true)
      // Refused while the connection is open; once a bind is pending the bind may have won by then.
      return expect(responseIdOf(id), seq, state === 'serving' ? CommandStatus.ESME_RINVBNDSTS : null, state !== 'serving')
    }
    if (id === CommandId.enquire_link) return expect(responseIdOf(id), seq, CommandStatus.ESME_ROK)
    if (BINDS.has(id)) {
      if (bound || state !== 'serving') return expect(responseIdOf(id), seq, CommandStatus.ESME_RALYBND)
      expect(responseIdOf(id), seq, null, true)
      state = 'bind_pending'
      stop(end)
      return
    }
    if (id === CommandId.unbind) {
      expect(responseIdOf(id), seq, CommandStatus.ESME_ROK)
      closing(end, true)
      return
    }
    if (REFUSED_WITH_OWN_RESPONSE.has(id)) return expect(responseIdOf(id), seq, CommandStatus.ESME_RINVCMDID)
    if (id === CommandId.deliver_sm) return expect(responseIdOf(id), seq, CommandStatus.ESME_RINVBNDSTS)
    expect(CommandId.generic_nack, seq, CommandStatus.ESME_RINVCMDID)
  }
  const push = (buf: Buffer): void => {
    parts.push(buf)
    let off = 0
    while (off < buf.length && !dead && !(stopped() && pos >= stopAt)) {
      if (rest > 0) {
        const n = Math.min(rest, buf.length - off)
        rest -= n
        off += n
        pos += n
        continue
      }
      const n = Math.min(HEADER_LENGTH - headLength, buf.length - off)
      buf.copy(head, headLength, off, off + n)
      headLength += n
      off += n
      pos += n
      if (headLength === HEADER_LENGTH) {
        headLength = 0
        onHeader()
      }
    }
  }

  for (const pdu of batch) {
    if (stopped() && pos >= stopAt) break
    push(pdu)
  }
  if (stopped()) {
    // The PDU the client stops after may claim more bytes than the batch holds: filler completes it.
    if (pos < stopAt) push(Buffer.alloc(stopAt - pos))
    const owed = expectations.slice(0, owedAtStop)
    return {
      stream: Buffer.concat(parts).subarray(0, stopAt),
      expectations: owed,
      probeSeq: null,
      closeExpected: closes,
      bindPending: !closes,
      abandoned: false,
      frames,
      oversized,
    }
  }
  if (stopAt >= 0) for (const e of expectations) e.required = false
  let abandoned = false
  // Complete whatever PDU the batch left open so that the probe starts on a boundary; the filler's own
  // header (when the batch ended inside one) is judged like any other.
  for (let guard = 0; !dead && (rest > 0 || headLength > 0) && guard < 4; guard++) {
    const need = rest > 0 ? rest : HEADER_LENGTH - headLength
    if (need > MAX_FILLER) break
    push(Buffer.alloc(need))
  }
  if (!dead && (rest > 0 || headLength > 0)) abandoned = true
  // Like every PDU, the probe is owed only when nothing before it may close the connection.
  const probe = !dead && !abandoned && state === 'serving'
  if (probe) push(encodeEnquireLink(probeSeq))
  return {
    stream: Buffer.concat(parts),
    expectations,
    probeSeq: probe ? probeSeq : null,
    closeExpected: closes,
    bindPending: state === 'bind_pending',
    abandoned,
    frames,
    oversized,
  }
}

// --- the generator ---------------------------------------------------------------------------------------

export interface Batch {
  readonly pdus: Buffer[]
  readonly cuts: number[]
  /** Let the event loop turn between chunks, so they leave as separate segments more often. */
  readonly spread: boolean
  /** Keep sending after the PDU that closes the connection. */
  readonly trailAfterClose: boolean
}

const notUnbind = seeds.filter((s) => s.readUInt32BE(4) !== CommandId.unbind)
const pduArb = fc.oneof({ arbitrary: fc.constantFrom(...notUnbind), weight: 1 }, { arbitrary: mutatedFrom(notUnbind), weight: 4 })
const batchArb = fc.record({
  pdus: fc.array(pduArb, { minLength: 1, maxLength: 80 }),
  cuts: fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 8 }),
  spread: fc.boolean(),
  unbindRoll: fc.integer({ min: 0, max: 99 }),
  unbindAt: fc.nat(),
  trailRoll: fc.integer({ min: 0, max: 9 }),
})

/** Batch number `n` of the run with `seed`: the same pair always gives the same PDUs and cuts. */
export function generateBatch(seed: number, n: number, seqBase: number): Batch {
  const [b] = fc.sample(batchArb, { numRuns: 1, seed: (seed + n * 0x9e3779b1) | 0 })
  // Seeds come as shared buffers: each PDU gets its own copy before its sequence number is written.
  const pdus: Buffer[] = b.pdus.map((p) => Buffer.from(p))
  // Unique sequence numbers per lane, so each answer names its request.
  for (let i = 0; i < pdus.length; i++) pdus[i].writeUInt32BE((seqBase + i) >>> 0, 12)
  // A valid unbind in three batches of a hundred: it ends the session, so it must stay rare.
  if (b.unbindRoll < 3) pdus.splice(b.unbindAt % (pdus.length + 1), 0, encodeUnbind((seqBase + pdus.length) >>> 0))
  return { pdus, cuts: b.cuts, spread: b.spread, trailAfterClose: b.trailRoll < 2 }
}

// --- the proxy -------------------------------------------------------------------------------------------

export interface FuzzProxy {
  readonly port: number
  readonly metricsPort: number
  /** Set once the process has exited: the exit code or signal. */
  exited(): string | null
  /** The last lines the process wrote on stdout and stderr (log level warn), for a failure report. */
  tail(): string
  rssKb(): number
  stop(): Promise<void>
}

const FUZZ_ACCOUNT = { system_id: 'fuzz', password: 'fuzz' } as const


/**
 * `smpp-guard run` with the carrier simulator inside, the shipped rules, a SQLite archive in `durability: ack`
 * and abuse limits raised: the fuzzer binds, fails binds and reconnects far more than any client may.
 */
export async function startFuzzProxy(): Promise<FuzzProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-fuzz-'))
  const port = await freePort()
  const metricsPort = await freePort()
  const fuzzHash = await hashPassword(FUZZ_ACCOUNT.password)
  const demoHash = await hashPassword('demo')
  writeFileSync(
    join(dir, 'config.yaml'),
    `listen:
  host: 127.0.0.1
  port: ${port}
  bind_timeout_ms: 60000
  max_connections_per_ip: 1000
  max_new_connections_per_ip_per_second: 100000
  bind_lockout: { attempts_per_account: 1000000000, attempts_per_ip: 1000000000 }
upstream: { simulator: true, host: 127.0.0.1, port: ${await freePort()}, binds: 2, response_timeout_ms: 3000 }
accounts:
  - { system_id: ${FUZZ_ACCOUNT.system_id}, password_hash: "${fuzzHash}", allowed_ips: [127.0.0.1/32], max_binds: 64, tps: 0 }
  # The seeds bind as demo/demo: a mutated bind on an unbound connection sometimes succeeds.
  - { system_id: demo, password_hash: "${demoHash}", allowed_ips: [127.0.0.1/32], max_binds: 64, tps: 0 }
rules: ${JSON.stringify(join(ROOT, 'config/rules'))}
reassembly: { timeout_ms: 2000 }
archive: { sink: sqlite, path: archive, durability: ack }
metrics: { host: 127.0.0.1, port: ${metricsPort} }
admin: { enabled: false }
log: { level: warn, pretty: false }
`,
  )
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'run', '--config', join(dir, 'config.yaml')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // A fuzzer that dies (or is interrupted) must not leave its proxy running.
  const killOnExit = (): void => void child.kill('SIGKILL')
  process.once('exit', killOnExit)
  child.once('exit', () => process.off('exit', killOnExit))
  const lines: string[] = []
  const keep = (d: Buffer): void => {
    for (const l of d.toString().split('\n')) if (l) lines.push(l.length > 400 ? `${l.slice(0, 400)}…` : l)
    if (lines.length > 200) lines.splice(0, lines.length - 100)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exit: string | null = null
  const gone = new Promise<void>((res) =>
    child.once('exit', (code, signal) => {
      exit = signal ?? String(code)
      res()
    }),
  )
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true })
  await Promise.race([
    waitReady(metricsPort, () => exit !== null),
    gone.then(() => {
      throw new Error(`smpp-guard exited (${exit}) before it was ready:\n${lines.join('\n')}`)
    }),
  ]).catch((err: unknown) => {
    child.kill('SIGKILL')
    cleanup()
    throw err
  })
  return {
    port,
    metricsPort,
    exited: () => exit,
    tail: () => lines.slice(-40).join('\n'),
    rssKb: () => readRssKb(child.pid as number),
    async stop() {
      if (exit === null) {
        child.kill('SIGTERM')
        const force = setTimeout(() => child.kill('SIGKILL'), 15000)
        await gone
        clearTimeout(force)
      }
      cleanup()
    },
  }
}

/** Polls /readyz until the listener is up and a carrier bind is bound. */
async function waitReady(metricsPort: number, gaveUp: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !gaveUp(); i++) {
    const ok = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    )
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  if (!gaveUp()) throw new Error('smpp-guard not ready after 60 s')
}

function readRssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

// --- one connection --------------------------------------------------------------------------------------

export interface Tally {
  pdus: number
  bytes: number
  batches: number
  frames: number
  oversized: number
  /** Answers by kind (`submit_sm_resp 0x00000401`, `generic_nack 0x00000003`, …). */
  answers: Record<string, number>
  probes: number
  closes_expected: number
  closes_after_bind: number
  binds_on_unbound_served: number
  abandoned: number
  connections: number
  /** Optional answers (after an unbind or a pending bind) that never came because the connection closed. */
  unanswered_before_close: number
  /** Of those, submits in flight when the client sent a hopeless command_length. */
  submits_unanswered_at_close: number
  failures: string[]
}

function newTally(): Tally {
  return {
    pdus: 0,
    bytes: 0,
    batches: 0,
    frames: 0,
    oversized: 0,
    answers: {},
    probes: 0,
    closes_expected: 0,
    closes_after_bind: 0,
    binds_on_unbound_served: 0,
    abandoned: 0,
    connections: 0,
    unanswered_before_close: 0,
    submits_unanswered_at_close: 0,
    failures: [],
  }
}

const NAMES = new Map<number, string>(Object.entries(CommandId).map(([k, v]) => [v, k]))
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`
const nameOf = (id: number): string => NAMES.get(id) ?? hex(id)

/** A raw client connection: reads whole PDUs, answers the proxy's own requests between batches. */
class Connection {
  readonly socket: net.Socket
  closed = false
  readonly #onClose: Array<() => void> = []
  #acc: Buffer = Buffer.alloc(0)
  onPdu: (pdu: Buffer) => void = () => {}
  /** Answers to the proxy's enquire_link and deliver_sm, held until the stream is at a frame boundary. */
  readonly owed: Buffer[] = []
  malformed: string | null = null
  /** The last batch ended in a close the protocol calls for. */
  closeOwed = false

  constructor(socket: net.Socket) {
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('data', (d: Buffer) => this.#onData(d))
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closed = true
      for (const f of this.#onClose.splice(0)) f()
    })
  }

  static open(port: number): Promise<Connection> {
    return new Promise((res, rej) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.off('error', rej)
        res(new Connection(s))
      })
      s.once('error', rej)
    })
  }

  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((res) => this.#onClose.push(res))
  }

  #onData(d: Buffer): void {
    this.#acc = this.#acc.length === 0 ? d : Buffer.concat([this.#acc, d])
    while (this.#acc.length >= HEADER_LENGTH) {
      const len = this.#acc.readUInt32BE(0)
      if (len < HEADER_LENGTH || len > MAX_PDU_LENGTH) {
        this.malformed ??= `proxy sent command_length ${len}`
        this.socket.destroy()
        return
      }
      if (this.#acc.length < len) return
      const pdu = this.#acc.subarray(0, len)
      this.#acc = this.#acc.subarray(len)
      const id = pdu.readUInt32BE(4)
      const seq = pdu.readUInt32BE(12)
      if (id === CommandId.enquire_link || id === CommandId.deliver_sm) this.owed.push(encodeResponse(id, CommandStatus.ESME_ROK, seq))
      else this.onPdu(pdu)
    }
  }

  flushOwed(): void {
    if (this.owed.length > 0 && !this.closed) this.socket.write(Buffer.concat(this.owed.splice(0)))
  }

  destroy(): Promise<void> {
    this.socket.destroy()
    return this.whenClosed()
  }
}

async function bindConnection(port: number, kind: 'transceiver' | 'receiver', seq: number): Promise<Connection> {
  const c = await Connection.open(port)
  const id = kind === 'transceiver' ? CommandId.bind_transceiver : CommandId.bind_receiver
  const resp = new Promise<Buffer>((res, rej) => {
    c.onPdu = res
    c.whenClosed().then(() => rej(new Error(`the proxy closed the connection instead of answering a valid ${kind} bind`)))
  })
  c.socket.write(encodeBind(id, seq, FUZZ_ACCOUNT))
  const pdu = await resp
  const status = pdu.readUInt32BE(8)
  if (pdu.readUInt32BE(4) !== responseIdOf(id) || status !== CommandStatus.ESME_ROK) {
    await c.destroy()
    throw new Error(`valid ${kind} bind answered ${nameOf(pdu.readUInt32BE(4))} status ${hex(status)}`)
  }
  return c
}

// --- a lane: one connection at a time, one batch after another -----------------------------------------

export interface LaneOptions {
  readonly port: number
  readonly kind: LaneKind
  readonly seed: number
  /** This lane's batches are numbers first, first + stride, … */
  readonly first: number
  readonly stride: number
  readonly batch_timeout_ms: number
  /** Stop before a batch once this returns true. */
  readonly done: () => boolean
  readonly tally: Tally
  /** Called with a failure; the run stops at the first. */
  readonly fail: (msg: string) => void
}

const MAX_REPORTED = 20

export async function runLane(o: LaneOptions): Promise<void> {
  let conn: Connection | null = null
  let seq = 1 + o.first * 1_000_000
  for (let n = o.first; !o.done(); n += o.stride) {
    // A connection kept after a batch was owed no close: the proxy ending it in between is a failure too.
    if (conn !== null && conn.closed && !conn.closeOwed) {
      const detail = `the proxy closed a serving connection between batches [${o.kind} lane, seed ${o.seed}, after batch ${n - o.stride}]`
      if (o.tally.failures.length < MAX_REPORTED) o.tally.failures.push(detail)
      o.fail(detail)
      return
    }
    if (conn === null || conn.closed) {
      conn = o.kind === 'unbound' ? await Connection.open(o.port) : await bindConnection(o.port, o.kind, seq++)
      o.tally.connections++
    }
    const batch = generateBatch(o.seed, n, seq)
    seq = (seq + batch.pdus.length + 2) % 0x7fff0000
    const plan = planBatch(batch.pdus, o.kind, seq++, batch.trailAfterClose)
    const problem = await runBatch(conn, batch, plan, o.batch_timeout_ms, o.tally)
    if (problem !== null) {
      const detail = `${problem} [${o.kind} lane, seed ${o.seed}, batch ${n}]`
      if (o.tally.failures.length < MAX_REPORTED) o.tally.failures.push(detail)
      o.fail(detail)
      await conn.destroy()
      return
    }
    // An unbound connection that survived its batch (no bind in it, or a bind that succeeded) is not reused:
    // each unbound batch starts from the open state.
    if (o.kind === 'unbound' || plan.abandoned) {
      await conn.destroy()
      conn = null
    }
  }
  if (conn !== null && !conn.closed) await conn.destroy()
}

/** Sends one planned batch and waits until everything owed has arrived; a string says what went wrong. */
async function runBatch(conn: Connection, batch: Batch, plan: Plan, timeoutMs: number, tally: Tally): Promise<string | null> {
  const owed = new Map<string, Expectation[]>()
  let required = 0
  for (const e of plan.expectations) {
    const k = `${e.id}:${e.seq}`
    const list = owed.get(k)
    if (list) list.push(e)
    else owed.set(k, [e])
    if (e.required) required++
  }
  let problem: string | null = null
  let probeAnswered = false
  let bindRefused = false
  let bindAccepted = false
  let wake: () => void = () => {}
  conn.onPdu = (pdu) => {
    const id = pdu.readUInt32BE(4)
    const status = pdu.readUInt32BE(8)
    const seq = pdu.readUInt32BE(12)
    const list = owed.get(`${id}:${seq}`)
    const i = list ? list.findIndex((e) => e.status === null || e.status === status) : -1
    if (!list || i < 0) {
      const wanted = list ? ` (expected ${list.map((e) => (e.status === null ? 'any status' : hex(e.status))).join(' or ')})` : ''
      problem ??= `unexpected answer ${nameOf(id)} status ${hex(status)} seq ${seq}${wanted}`
      return wake()
    }
    const [e] = list.splice(i, 1)
    if (e.required) required--
    const kind = `${nameOf(id)} ${hex(status)}`
    tally.answers[kind] = (tally.answers[kind] ?? 0) + 1
    if (seq === plan.probeSeq && id === CommandId.enquire_link_resp) probeAnswered = true
    if (BINDS.has(id & 0x7fffffff) && status === CommandStatus.ESME_ROK) bindAccepted = true
    else if (BINDS.has(id & 0x7fffffff) && status !== CommandStatus.ESME_RALYBND) bindRefused = true
    wake()
  }

  const finished = (): boolean => {
    if (problem !== null) return true
    if (required > 0) return conn.closed
    if (plan.closeExpected || bindRefused) return conn.closed
    if (plan.abandoned) return true
    // A bind the proxy accepted: the connection serves on (the probe, when there is one, says so).
    if (plan.bindPending) return conn.closed || (bindAccepted && (plan.probeSeq === null || probeAnswered))
    return probeAnswered
  }
  let settle: () => void = () => {}
  const settled = new Promise<void>((res) => (settle = res))
  wake = () => {
    if (finished()) settle()
  }
  void conn.whenClosed().then(() => wake())
  const timer = setTimeout(() => {
    const waiting = required > 0 ? `${required} owed answers` : plan.closeExpected || bindRefused ? 'the close' : 'the probe'
    problem ??= `hang: still waiting for ${waiting} after ${timeoutMs} ms (connection ${conn.closed ? 'closed' : 'open'})`
    settle()
  }, timeoutMs)

  conn.flushOwed()
  let off = 0
  for (let k = 0; off < plan.stream.length && !conn.closed; k++) {
    const n = batch.cuts[k % batch.cuts.length]
    conn.socket.write(plan.stream.subarray(off, off + n))
    off += n
    if (batch.spread) await yieldToLoop()
  }
  wake()
  await settled
  clearTimeout(timer)
  conn.onPdu = () => {}

  tally.batches++
  tally.pdus += batch.pdus.length
  tally.bytes += plan.stream.length
  tally.frames += plan.frames
  tally.oversized += plan.oversized
  if (probeAnswered) tally.probes++
  conn.closeOwed = conn.closed || plan.closeExpected || bindRefused
  if (conn.malformed !== null) return conn.malformed
  if (problem !== null) return withSample(problem, plan, owed)
  if (required > 0) {
    const missing = [...owed.values()].flat().filter((e) => e.required)
    return withSample(`connection closed with ${missing.length} owed answers missing (first: ${nameOf(missing[0].id)} seq ${missing[0].seq})`, plan, owed)
  }
  const optional = [...owed.values()].flat()
  if (plan.closeExpected) tally.closes_expected++
  else if (plan.bindPending && conn.closed) tally.closes_after_bind++
  else if (plan.bindPending) tally.binds_on_unbound_served++
  if (plan.abandoned) tally.abandoned++
  if (conn.closed) {
    tally.unanswered_before_close += optional.length
    tally.submits_unanswered_at_close += optional.filter((e) => e.inFlightAtClose).length
  }
  return null
}

function withSample(problem: string, plan: Plan, owed: Map<string, Expectation[]>): string {
  const left = [...owed.values()].flat().slice(0, 3)
  const head = plan.stream.subarray(0, 96).toString('hex')
  return `${problem}; ${plan.expectations.length} expected, still owed e.g. ${JSON.stringify(left.map((e) => [nameOf(e.id), e.seq, e.status === null ? null : hex(e.status), e.required]))}; stream starts ${head}`
}

// --- a run -----------------------------------------------------------------------------------------------

export interface RunOptions {
  /** Stop once this many PDUs were thrown… */
  readonly pdus: number
  /** …or after this many seconds, whichever comes first. */
  readonly max_s: number
  readonly seed: number
  readonly lanes: readonly LaneKind[]
  readonly batch_timeout_ms: number
  readonly progress?: (t: Tally, seconds: number, rssKb: number) => void
}

export interface Summary extends Tally {
  readonly seed: number
  readonly seconds: number
  readonly pdus_per_s: number
  readonly rss_kb: { readonly start: number; readonly max: number; readonly end: number }
  /** RSS every 30 s of the run, in MiB: a leak shows as a climb that does not level off. */
  readonly rss_trace_mib: number[]
  /** `smpp_guard_malformed_pdus_total` by reason, as the proxy counted them. */
  readonly malformed_counted: Record<string, number>
  /** The proxy's V8 heap in use and its memory outside the heap (buffers) after the run, in MiB. */
  readonly heap_used_mib: number
  readonly external_mib: number
  /** After the run: a fresh transceiver binds and answers enquire_link. */
  readonly alive_after: boolean
  /** How the proxy ended on SIGTERM: `0` is a clean exit. */
  readonly exit: string | null
}

export async function runSessionFuzz(o: RunOptions): Promise<Summary> {
  const proxy = await startFuzzProxy()
  const tally = newTally()
  const started = Date.now()
  let failed = false
  const rss = { start: proxy.rssKb(), max: 0, end: 0 }
  const trace: number[] = []
  const sample = (): number => {
    const kb = proxy.rssKb()
    if (kb > rss.max) rss.max = kb
    return kb
  }
  const sampler = setInterval(() => {
    const kb = sample()
    const seconds = (Date.now() - started) / 1000
    if (seconds >= (trace.length + 1) * 30) trace.push(Math.round(kb / 1024))
    o.progress?.(tally, seconds, kb)
  }, 1000)
  const done = (): boolean => failed || proxy.exited() !== null || tally.pdus >= o.pdus || Date.now() - started > o.max_s * 1000
  const fail = (): void => {
    failed = true
  }
  let aliveAfter = false
  let end: EndMetrics = { malformed: {}, heap_used_mib: 0, external_mib: 0 }
  try {
    await Promise.all(
      o.lanes.map((kind, i) =>
        runLane({ port: proxy.port, kind, seed: o.seed, first: i, stride: o.lanes.length, batch_timeout_ms: o.batch_timeout_ms, done, tally, fail }).catch((err: unknown) => {
          if (tally.failures.length < MAX_REPORTED) tally.failures.push(`${kind} lane: ${(err as Error).message}`)
          failed = true
        }),
      ),
    )
    if (proxy.exited() === null) {
      aliveAfter = await stillServes(proxy.port)
      end = await endMetrics(proxy.metricsPort)
    }
  } finally {
    clearInterval(sampler)
    rss.end = sample()
  }
  const seconds = (Date.now() - started) / 1000
  const diedDuringRun = proxy.exited()
  if (diedDuringRun !== null) tally.failures.push(`the proxy exited (${diedDuringRun}) during the run:\n${proxy.tail()}`)
  await proxy.stop()
  return {
    seed: o.seed,
    ...tally,
    seconds,
    pdus_per_s: Math.round(tally.pdus / seconds),
    rss_kb: rss,
    rss_trace_mib: trace,
    malformed_counted: end.malformed,
    heap_used_mib: end.heap_used_mib,
    external_mib: end.external_mib,
    alive_after: aliveAfter,
    exit: diedDuringRun === null ? proxy.exited() : `died: ${diedDuringRun}`,
  }
}

async function stillServes(port: number): Promise<boolean> {
  try {
    const c = await bindConnection(port, 'transceiver', 1)
    const answered = new Promise<boolean>((res) => {
      c.onPdu = (pdu) => res(pdu.readUInt32BE(4) === CommandId.enquire_link_resp && pdu.readUInt32BE(12) === 2)
      void c.whenClosed().then(() => res(false))
    })
    c.socket.write(encodeEnquireLink(2))
    const ok = await answered
    await c.destroy()
    return ok
  } catch {
    return false
  }
}

interface EndMetrics {
  readonly malformed: Record<string, number>
  readonly heap_used_mib: number
  readonly external_mib: number
}

async function endMetrics(metricsPort: number): Promise<EndMetrics> {
  const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
    (r) => r.text(),
    () => '',
  )
  const malformed: Record<string, number> = {}
  for (const m of text.matchAll(/^smpp_guard_malformed_pdus_total\{side="client",reason="([^"]+)"\} (\d+)/gm)) malformed[m[1]] = Number(m[2])
  const mib = (name: string): number => Math.round(Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? 0) / 1048576)
  return { malformed, heap_used_mib: mib('nodejs_heap_size_used_bytes'), external_mib: mib('nodejs_external_memory_bytes') }
}
