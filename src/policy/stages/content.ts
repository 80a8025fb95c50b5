// The commitment's forbidden content, judged on the whole decoded text of a message (long messages are
// reassembled first). The rule files compile once per config into one engine shared by every account
// (`memo`); an account's overrides only change what a category's hit does for it.
import { resolve } from 'node:path'
import { z } from 'zod'
import { defineStage, StageMode } from '../define-stage.js'
import type { Hit } from '../verdict.js'
import { VendorStatus } from '../../smpp/status.js'
import { compileContentRules, type CategoryHit, type ContentEngine, type ScanResult } from '../content/engine.js'
import { rememberFold } from '../folded-text.js'
import { CategoryAction } from '../content/rule-file.js'

export const ContentConfigSchema = z.strictObject({
  mode: StageMode.default('enforce'),
  /** Category → reject / monitor / off, over the rule file's action (e.g. one account in monitor). */
  categories: z.record(z.string(), CategoryAction).default({}),
  /** The account's own hosts (and their subdomains): links to them are not evidence. */
  allowed_hosts: z.array(z.string().min(1)).default([]),
  /** `evidence`: links add to category scores; `allowed_only`: any link to another host is rejected. */
  links: z.enum(['evidence', 'allowed_only']).default('evidence'),
})
export type ContentConfig = z.infer<typeof ContentConfigSchema>

/** One line for check, eval and the archive: what fired and on which words. */
export function describeHit(h: CategoryHit): string {
  const seen = new Set<string>()
  const terms = h.matches
    .filter((m) => {
      // One entry per term and spelling: the same words found twice (as a variant and by sound) say nothing new.
      const key = `${m.term}\0${m.text}`
      if (m.weight === 0 || seen.has(key)) return false
      seen.add(key)
      return true
    })
    .map((m) => {
      const how = m.form !== 'plain' ? m.form : m.evasive ? 'separators' : ''
      return `${m.term}${m.text !== '' && m.text !== m.term ? `「${m.text}」` : ''}${how ? `(${how})` : ''}${m.weight > 0 ? '+' : ''}${m.weight}`
    })
  return `score ${h.score}/${h.threshold}: ${[...terms, ...h.rules].join(' ')}`
}

/** Turns a scan into stage hits for one account's overrides; shared by the stage and `eval`. */
export function contentHits(scan: ScanResult, cfg: Pick<ContentConfig, 'categories' | 'links'>): Hit[] {
  const out: Hit[] = []
  for (const h of scan.hits) {
    const action = cfg.categories[h.category] ?? h.action
    if (action === 'off') continue
    out.push({
      rule: `content.${h.category}`,
      category: h.category,
      status: h.status,
      mode: action === 'monitor' ? 'monitor' : 'enforce',
      detail: describeHit(h),
    })
  }
  if (cfg.links === 'allowed_only') {
    const link = scan.detectors.find((d) => d.kind === 'link')
    if (link) {
      const action = cfg.categories.link_not_allowed ?? 'reject'
      if (action !== 'off' && !out.some((h) => h.category === 'link_not_allowed' && h.mode === 'enforce')) {
        out.unshift({
          rule: 'content.link_not_allowed',
          category: 'link_not_allowed',
          status: VendorStatus.CONTENT_LINK_NOT_ALLOWED,
          mode: action === 'monitor' ? 'monitor' : 'enforce',
          detail: `link ${link.value} outside the account's allowed hosts`,
        })
      }
    }
  }
  return out
}

export default defineStage({
  name: 'content',
  config: ContentConfigSchema,
  build: (cfg, { memo, baseDir, rulesDir }) => {
    const dir = rulesDir ?? resolve(baseDir, 'rules')
    const engine = memo<ContentEngine>(`content:${dir}`, () => compileContentRules(dir))
    const opts = cfg.allowed_hosts.length > 0 ? { allowedHosts: cfg.allowed_hosts.map((h) => h.toLowerCase()) } : {}
    return (msg) => {
      if (msg.text === '') return null
      const scan = engine.scan(msg.text, opts)
      rememberFold(msg, scan.normalized)
      const hits = contentHits(scan, cfg)
      return hits.length === 0 ? null : hits
    }
  },
})
