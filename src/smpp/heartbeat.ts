// Keepalive on a narrow port (nats.js Heartbeat): after `intervalMs` of silence send enquire_link; once
// `maxOutstanding` of them go unanswered the peer is dead. No timers inside: the owner feeds `tick(now)`
// from the coarse timer, so a thousand sessions cost one interval.

export interface HeartbeatPort {
  sendEnquireLink(): void
  onDead(): void
}

export class Heartbeat {
  readonly #port: HeartbeatPort
  readonly #intervalMs: number
  readonly #maxOutstanding: number
  #lastTraffic: number
  #lastSent = 0
  #outstanding = 0
  #dead = false

  constructor(port: HeartbeatPort, intervalMs: number, now: number, maxOutstanding = 2) {
    this.#port = port
    this.#intervalMs = intervalMs
    this.#maxOutstanding = maxOutstanding
    this.#lastTraffic = now
  }

  /** Any PDU from the peer proves it alive. */
  onTraffic(now: number): void {
    this.#lastTraffic = now
    this.#outstanding = 0
  }

  onEnquireLinkResp(now: number): void {
    this.onTraffic(now)
  }

  tick(now: number): void {
    if (this.#dead) return
    if (now - this.#lastTraffic < this.#intervalMs) return
    if (this.#outstanding > 0 && now - this.#lastSent < this.#intervalMs) return
    if (this.#outstanding >= this.#maxOutstanding) {
      this.#dead = true
      this.#port.onDead()
      return
    }
    this.#outstanding++
    this.#lastSent = now
    this.#port.sendEnquireLink()
  }
}
