// Helpers shared by the sinks that keep one file per UTC day: names, listing, private creation.
import { closeSync, mkdirSync, openSync, readdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { DAY_MS, dayStart } from '../record.js'

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/

/** Creates the directory owner-only: the archive holds message content. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
}

/** Creates `file` 0600 if it does not exist, so whatever opens it later inherits private permissions. */
export function touchPrivate(file: string): void {
  closeSync(openSync(file, 'a', 0o600))
}

/** Days present as `<prefix><YYYY-MM-DD><suffix>` in `dir`, sorted, each with its file names. */
export function listDays(dir: string, prefix: string, suffix: RegExp): Map<string, string[]> {
  const days = new Map<string, string[]>()
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return days
    throw err
  }
  for (const name of names.sort()) {
    if (!name.startsWith(prefix)) continue
    const day = name.slice(prefix.length, prefix.length + 10)
    if (!DAY_RE.test(day) || !suffix.test(name.slice(prefix.length + 10))) continue
    const list = days.get(day) ?? []
    list.push(join(dir, name))
    days.set(day, list)
  }
  return new Map([...days.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** Days overlapping [from, to). */
export function dayInRange(day: string, from?: number, to?: number): boolean {
  const start = dayStart(day)
  if (from !== undefined && start + DAY_MS <= from) return false
  if (to !== undefined && start >= to) return false
  return true
}

/** True when the whole day ends at or before `before`. */
export function dayBefore(day: string, before: number): boolean {
  return dayStart(day) + DAY_MS <= before
}

/** Deletes a purged day's files; one already gone is what purge wanted anyway. */
export function removeFiles(files: readonly string[]): void {
  for (const file of files) {
    try {
      unlinkSync(file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
}
