// The match-view fold of the text of the message being judged (content/normalize.ts), for the two stages
// that need it: the content scan folds the text anyway, and the duplicate-content cap hashes that same
// fold. Handed over for the message whose stages are running, as numbers.ts does for the destination; a
// stage that finds another message here (content stage off, or another message judged in between while a
// state lookup was pending) folds the text itself. Folding twice cost a second pass over a 128 KB table
// that the scan no longer reads, missing the CPU caches once per character.
import type { Message } from './message.js'

let lastMsg: Message | undefined
let lastFold = ''

/** `fold` is `normalize(msg.text)`. */
export function rememberFold(msg: Message, fold: string): void {
  lastMsg = msg
  lastFold = fold
}

/** `normalize(msg.text)` when a stage folded it for this message, else undefined. */
export function foldOf(msg: Message): string | undefined {
  return msg === lastMsg ? lastFold : undefined
}
