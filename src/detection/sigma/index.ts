/** Public surface of the Sigma rule engine. */
export { sigmaPlugin } from './plugin.js';
export { sigmaConfigSchema, BUILTIN_RULES_DIR, type SigmaConfig } from './config.js';
export { SigmaEngine, SIGMA_DETECTOR, severityOf, type SigmaEngineOptions, type SigmaStats } from './engine.js';
export { loadRuleDirs, parseRuleText, SigmaRuleError, LEVELS, type RuleDef, type DetectionRuleDef, type CorrelationRuleDef, type SigmaLevel } from './loader.js';
export { runRuleTests, examplesPathOf, exampleEvents, type RuleTestResult } from './rule-tests.js';
export { resolveField, compileLogsource } from './fields.js';
