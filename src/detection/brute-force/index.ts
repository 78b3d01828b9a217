/** Public surface of the brute-force rule. */
export { bruteForcePlugin } from './plugin.js';
export { BruteForceDetector, BRUTE_FORCE_RULE, type BruteForceStats } from './detector.js';
export { bruteForceConfigSchema, type BruteForceConfig } from './config.js';
