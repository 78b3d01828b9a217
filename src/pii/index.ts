/** The PII analyzer's public face: create an analyzer, summarize and classify its findings, mask values. */
export { createAnalyzer, describeReason, resolveOverlaps, type CreateAnalyzerOptions } from './analyzer.js';
export { analyzerConfigSchema, parseAnalyzerConfig, CONTEXT_LANGUAGES, type AnalyzerConfig, type AnalyzerConfigInput } from './config.js';
export { keyedHash, mask, maskFinding, redact, keepFor, type MaskOptions } from './anonymize.js';
export { classify, summarize, IDENTIFIER_TYPES, CONTACT_TYPES, type SummarizeOptions } from './sensitivity.js';
export { BUILTIN_RECOGNIZERS } from './recognizers/index.js';
export * from './types.js';
