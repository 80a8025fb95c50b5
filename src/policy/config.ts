// The `policy:` config section is assembled from the stage list: one key per stage, its own schema.
// An account's `policy:` holds shallow overrides of the same keys.
import { z } from 'zod'
import { stages } from './stages/index.js'

const shape: Record<string, z.ZodType> = {}
const overrideShape: Record<string, z.ZodType> = {}
for (const stage of stages) {
  shape[stage.name] = stage.config.default(stage.config.parse({}) as never)
  overrideShape[stage.name] = stage.config.partial().optional()
}

export const PolicySchema = z.strictObject(shape)
export const PolicyOverrideSchema = z.strictObject(overrideShape)
export type PolicyConfig = Record<string, Record<string, unknown> & { mode: 'enforce' | 'monitor' | 'off' }>
