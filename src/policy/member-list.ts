// An account's members: exact numbers and prefixes, read from plain text files. Exact numbers are kept as
// canonical digits in one sorted Float64Array (≤ 15 digits fit a double exactly), so ten million members
// cost 80 MB and no objects; a lookup is a binary search. Prefixes are few and kept in a Set per length.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { GuardError } from '../errors.js'
import { normalizeNumber } from './numbers.js'
import { grown } from '../util/grown.js'

export interface MemberList {
  has(canonical: string): boolean
  readonly numbers: number
  readonly prefixes: number
  /** Lines that were neither a number nor a prefix. */
  readonly invalid: number
}

/**
 * A prefix as written (`138*`, `+86138*`, `0755*`) in canonical digits: national Chinese forms get 86, like
 * whole numbers do. Returns null for anything but digits.
 */
export function normalizePrefix(p: string): string | null {
  let s = p.replace(/[\s\-()]/g, '')
  if (s.startsWith('+')) s = s.slice(1)
  else if (s.startsWith('00')) s = s.slice(2)
  else if (s.startsWith('0')) s = '86' + s.slice(1)
  else if (s.startsWith('1')) s = '86' + s
  return /^\d{1,15}$/.test(s) ? s : null
}

export function buildMemberList(sources: Iterable<string>): MemberList {
  let exact = new Float64Array(1024)
  let n = 0
  const prefixes = new Set<string>()
  let invalid = 0
  for (const text of sources) {
    let start = 0
    while (start <= text.length) {
      let end = text.indexOf('\n', start)
      if (end < 0) end = text.length
      let line = text.slice(start, end)
      start = end + 1
      const hash = line.indexOf('#')
      if (hash >= 0) line = line.slice(0, hash)
      line = line.trim()
      if (!line) continue
      if (line.endsWith('*')) {
        const p = normalizePrefix(line.slice(0, -1))
        if (p) prefixes.add(p)
        else invalid++
        continue
      }
      const c = normalizeNumber(line)
      if (c === null) {
        invalid++
        continue
      }
      if (n === exact.length) exact = grown(exact, exact.length * 2)
      exact[n++] = Number(c)
    }
  }
  // A copy at the exact size, so the growth slack of the buffer is not kept for the life of the list.
  const sorted = exact.slice(0, n).sort()
  const lengths = [...new Set([...prefixes].map((p) => p.length))].sort((a, b) => a - b)
  return {
    numbers: n,
    prefixes: prefixes.size,
    invalid,
    has(canonical) {
      const v = Number(canonical)
      let lo = 0
      let hi = sorted.length - 1
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1
        const x = sorted[mid]
        if (x === v) return true
        if (x < v) lo = mid + 1
        else hi = mid - 1
      }
      for (let i = 0; i < lengths.length && lengths[i] <= canonical.length; i++) {
        if (prefixes.has(canonical.slice(0, lengths[i]))) return true
      }
      return false
    },
  }
}

/** Reads the files (relative to `baseDir`) and inline entries into one list. */
export function loadMemberList(files: readonly string[], inline: readonly string[], baseDir: string): MemberList {
  const texts = files.map((f) => {
    const path = resolve(baseDir, f)
    try {
      return readFileSync(path, 'utf8')
    } catch (err) {
      // A config error, so that start-up and reload name the file and keep the last good policy.
      throw new GuardError('SG_ERR_CONFIG_INVALID', `member list ${path}: ${(err as Error).message}`, { cause: err })
    }
  })
  return buildMemberList([...texts, inline.join('\n')])
}

/**
 * Every member list file a configuration names (global and per account), resolved: for the reloader's
 * `watchPaths`, so a new export of a list is picked up without a command.
 */
export function memberListPaths(config: { readonly policy: object; readonly accounts: readonly { readonly policy: object }[] }, baseDir: string): string[] {
  const files = (p: object) => ((p as { members?: { files?: readonly string[] } }).members?.files ?? []).map((f) => resolve(baseDir, f))
  return [...new Set([...files(config.policy), ...config.accounts.flatMap((a) => files(a.policy))])]
}
