// Linux gives every thread its own nice value: setpriority(2) on a thread id changes that thread only.
// Node names no thread id, but /proc/thread-self links to <pid>/task/<tid> of the thread that reads it.
import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'

/** Raises the calling thread's nice value (lowers its priority); false where the platform cannot. */
export function lowerThisThread(nice: number): boolean {
  try {
    const m = /\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))
    if (!m) return false
    setPriority(Number(m[1]), nice)
    return true
  } catch {
    return false
  }
}
