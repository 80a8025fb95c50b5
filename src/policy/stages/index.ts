// Execution order, cheapest and side-effect-free first: sender and content are pure checks of the message
// itself; stages that read state come after them, and stages that change shared state (rate-limit
// counters) come last, so a message stopped earlier never uses up a recipient's quota.
import type { StageDefinition } from '../define-stage.js'
import sender from './sender.js'
import content from './content.js'

export const stages: readonly StageDefinition[] = [sender, content]
