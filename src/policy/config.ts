// The `policy:` config section is assembled from the stage list: one key per stage, its own schema.
// An account's `policy:` holds shallow overrides of the same keys.
import { z } from 'zod'
import { stages } from './stages/index.js'

const shape: Record<string, z.ZodType> = {}
const overrideShape: Record<string, z.ZodType> = {}
for (const stage of stages) {
  shape[stage.name] = stage.config.default(stage.config.parse({}) as never)
  overrideShape[stage.name] = withoutDefaults(stage.config).optional()
}

// An override must hold only the keys the account sets: with the stage's defaults filled in, every
// override would silently reset the global settings it does not mention.
function withoutDefaults(schema: z.ZodObject): z.ZodObject {
  const out: Record<string, z.ZodType> = {}
  for (const [k, v] of Object.entries(schema.shape)) out[k] = (v instanceof z.ZodDefault ? v.unwrap() : v).optional()
  return z.strictObject(out)
}

export const PolicySchema = z.strictObject(shape)
export const PolicyOverrideSchema = z.strictObject(overrideShape)
export type PolicyConfig = Record<string, Record<string, unknown> & { mode: 'enforce' | 'monitor' | 'off' }>
