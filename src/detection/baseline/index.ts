/** Public surface of the baseline detector. */
export { baselinePlugin } from './plugin.js';
export { BaselineDetector, BASELINE_RULE, type BaselineStats, type BaselineUserState } from './detector.js';
export { baselineConfigSchema, type BaselineConfig } from './config.js';
