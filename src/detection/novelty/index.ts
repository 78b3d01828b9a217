/** Public surface of the novelty detector. */
export { noveltyPlugin } from './plugin.js';
export { NoveltyDetector, NOVELTY_RULE, type NoveltyUserState } from './detector.js';
export { noveltyConfigSchema, NOVELTY_ATTRIBUTES, type NoveltyConfig } from './config.js';
