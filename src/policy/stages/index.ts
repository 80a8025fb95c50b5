// Execution order, cheapest and side-effect-free first: sender and content are pure checks of the message
// itself; account, members and opt-out read state; stages that change shared state (rate-limit counters)
// come last, so a message stopped earlier never uses up a recipient's quota.
import type { StageDefinition } from '../define-stage.js'
import sender from './sender.js'
import account from './account.js'
import content from './content.js'
import members from './members.js'
import optOut from './opt-out.js'
import rateLimit from './rate-limit.js'

export const stages: readonly StageDefinition[] = [sender, account, content, members, optOut, rateLimit]
