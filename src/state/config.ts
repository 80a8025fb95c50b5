import { z } from 'zod'

export const StateSchema = z.discriminatedUnion('backend', [
  z.strictObject({ backend: z.literal('memory') }),
  z.strictObject({ backend: z.literal('redis'), url: z.string().default('redis://127.0.0.1:6379') }),
])
export type StateConfig = z.infer<typeof StateSchema>
