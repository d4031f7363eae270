export * from './types';
export { compileRules, RuleEngine, DEFAULT_FUNC_TIMEOUT_MS, DEFAULT_RULES_PATH } from './engine';
export type { CompileRulesOptions } from './engine';
export { NAME_PATTERN } from './compiled-rule';
export { toNumber, toStringValue, toBool } from './values';
export { compileRule } from './compile';
export type { CompiledRule, CompileContext } from './compiled-rule';
