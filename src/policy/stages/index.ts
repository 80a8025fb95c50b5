// Execution order, cheapest and side-effect-free first: stages that change shared state (rate-limit
// counters) come last, so a message stopped earlier never uses up a recipient's quota.
import type { StageDefinition } from '../define-stage.js'

export const stages: readonly StageDefinition[] = []
