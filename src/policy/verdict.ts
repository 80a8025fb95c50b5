// Outcomes of the policy pipeline. Rejections are values, never exceptions (STYLE rule 5).

/** What one stage found. `monitor` hits are recorded and counted but do not stop the message. */
export interface Hit {
  /** `<stage>.<rule>`, e.g. `content.gambling`, `rate_limit.recipient_day`. */
  readonly rule: string
  /** Bounded set: a content category, or the stage's area (`account`, `sender`, `recipient`, `rate`). */
  readonly category: string
  readonly status: number
  readonly mode: 'enforce' | 'monitor'
  /** Human-readable detail for check/eval output and the archive; never a metric label. */
  readonly detail?: string
}

/** A stage passes (`null`) or reports hits; the first enforced hit of a stage stops the pipeline. */
export type StageResult = null | Hit | readonly Hit[]

export type Verdict =
  | { readonly action: 'allow'; readonly shadow: readonly Hit[] }
  | {
      readonly action: 'reject'
      readonly rule: string
      readonly category: string
      readonly status: number
      readonly detail?: string
      readonly shadow: readonly Hit[]
    }

export const PASS: StageResult = null

export function hit(rule: string, category: string, status: number, detail?: string): Hit {
  return { rule, category, status, mode: 'enforce', detail }
}
