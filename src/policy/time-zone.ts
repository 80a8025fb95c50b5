// UTC offset of an IANA time zone at an instant, for quiet hours and for cutting day windows at local
// midnight. Intl formatting costs microseconds, so the offset is kept for the current hour: zones change
// offset on (half-)hour boundaries, never inside one.
const HOUR_MS = 3_600_000

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** Returns `(now) => offset_ms` for `tz` (positive east of Greenwich: Asia/Shanghai → +8 h). */
export function zoneOffset(tz: string): (now: number) => number {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  })
  let hour = NaN
  let offset = 0
  return (now) => {
    const h = Math.floor(now / HOUR_MS)
    if (h !== hour) {
      const p: Record<string, number> = {}
      for (const part of fmt.formatToParts(h * HOUR_MS)) if (part.type !== 'literal') p[part.type] = Number(part.value)
      offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - h * HOUR_MS
      hour = h
    }
    return offset
  }
}

/** Minutes since local midnight. */
export function minuteOfDay(now: number, offset_ms: number): number {
  const day = 86_400_000
  return Math.floor((((now + offset_ms) % day) + day) % day / 60_000)
}

/** Parses `HH:MM` (00:00–23:59) to minutes since midnight. */
export function parseClock(s: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s)
  return m ? Number(m[1]) * 60 + Number(m[2]) : null
}
