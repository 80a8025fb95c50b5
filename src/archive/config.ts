// Placeholder section: the archive's schema is the tagged union of its sinks' schemas (STYLE rule 13).
import { z } from 'zod'

export const ArchiveSchema = z.strictObject({
  sink: z.enum(['sqlite', 'postgres', 'jsonl', 'none']).default('sqlite'),
  path: z.string().default('data/archive'),
  retention_days: z.number().int().min(30).default(180),
  durability: z.enum(['ack', 'async']).default('ack'),
})
export type ArchiveConfig = z.infer<typeof ArchiveSchema>
