export * from './types';
export { compileRules, compileRuleEntry, RuleEngine, DEFAULT_FUNC_TIMEOUT_MS, DEFAULT_RULES_PATH } from './engine';
export type { CompileRulesOptions, RuleEntry } from './engine';
export type { RateLimit, RateLimitBy } from './rate-limit';
export { toNumber, toStringValue, toBool } from './values';
export { RuleCatalog } from './describe';
export type { RuleSummary, TokenUse } from './describe';
export { compileRule } from './compile';
export type { CompiledRule, CompileContext } from './compiled-rule';
