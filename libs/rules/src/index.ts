export * from './types';
export { compileRules, RuleEngine, DEFAULT_FUNC_TIMEOUT_MS, DEFAULT_RULES_PATH } from './engine';
export type { CompileRulesOptions, RuleEntry } from './engine';
export type { RateLimit, RateLimitBy } from './rate-limit';
export { NAME_PATTERN } from './compiled-rule';
export { toNumber, toStringValue, toBool } from './values';
export { RuleCatalog } from './describe';
export type { RuleSummary, TokenUse } from './describe';
