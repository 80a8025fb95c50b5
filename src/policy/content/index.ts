// The content policy's public surface: the stage, `check` and `eval` share this one path.
export { compileContentRules, compileRuleFiles } from './engine.js'
export type { ContentEngine, ScanResult, ScanOptions, CategoryHit, TermMatch, TermForm } from './engine.js'
export { normalize, foldTables } from './normalize.js'
export { signatureOf, SHORTENER_HOSTS } from './detectors.js'
export type { DetectorHit, DetectorKind } from './detectors.js'
export { CategoryAction } from './rule-file.js'
