// Walks an account's compiled stages in order (fastify's hook runner): a stage may answer synchronously or
// with a promise, and only a thenable is awaited, so pure stages (content) cost no microtask. The first
// enforced hit stops the walk; monitor hits — from a stage in monitor mode or a rule in monitor mode —
// are collected as `shadow` and the walk goes on.
import type { Message } from './message.js'
import type { Hit, StageResult, Verdict } from './verdict.js'
import type { AccountPolicy, CompiledStage } from './compile.js'
import type { StageContext } from './define-stage.js'

export type VerdictHook = (msg: Message, verdict: Verdict, policy: AccountPolicy) => void

const NO_SHADOW: readonly Hit[] = Object.freeze([])
const ALLOW: Verdict = Object.freeze({ action: 'allow', shadow: NO_SHADOW })

export interface Pipeline {
  judge(msg: Message, policy: AccountPolicy, now: number): Verdict | Promise<Verdict>
  /** Called once per verdict, after the walk (metrics, discipline counters, archive). */
  onVerdict(hook: VerdictHook): void
}

export function createPipeline(): Pipeline {
  const hooks: VerdictHook[] = []

  function finish(msg: Message, policy: AccountPolicy, verdict: Verdict): Verdict {
    for (let i = 0; i < hooks.length; i++) hooks[i](msg, verdict, policy)
    return verdict
  }

  function walk(msg: Message, policy: AccountPolicy, ctx: StageContext, from: number, shadow: Hit[] | null): Verdict | Promise<Verdict> {
    const stages = policy.stages
    for (let i = from; i < stages.length; i++) {
      const stage = stages[i]
      const result = stage.run(msg, ctx)
      if (isThenable(result)) {
        return result.then((r) => {
          const out = apply(stage, r, shadow)
          if (out.verdict) return finish(msg, policy, out.verdict)
          return walk(msg, policy, ctx, i + 1, out.shadow)
        })
      }
      if (result === null) continue
      const out = apply(stage, result, shadow)
      if (out.verdict) return finish(msg, policy, out.verdict)
      shadow = out.shadow
    }
    return finish(msg, policy, shadow ? { action: 'allow', shadow } : ALLOW)
  }

  return {
    judge(msg, policy, now) {
      return walk(msg, policy, { account: policy.account, now }, 0, null)
    },
    onVerdict(hook) {
      hooks.push(hook)
    },
  }
}

function isThenable(x: StageResult | Promise<StageResult>): x is Promise<StageResult> {
  return x !== null && typeof (x as Promise<StageResult>).then === 'function'
}

function apply(stage: CompiledStage, result: StageResult, shadow: Hit[] | null): { verdict?: Verdict; shadow: Hit[] | null } {
  if (result === null) return { shadow }
  const hits: readonly Hit[] = Array.isArray(result) ? result : [result as Hit]
  let enforced: Hit | undefined
  for (const h of hits) {
    if (stage.mode === 'enforce' && h.mode === 'enforce') {
      enforced ??= h
    } else {
      ;(shadow ??= []).push(h.mode === 'monitor' ? h : { ...h, mode: 'monitor' })
    }
  }
  if (!enforced) return { shadow }
  const verdict: Verdict = {
    action: 'reject',
    rule: enforced.rule,
    category: enforced.category,
    status: enforced.status,
    detail: enforced.detail,
    shadow: shadow ?? NO_SHADOW,
  }
  return { verdict, shadow }
}
