/** Public surface of the isolation-forest detector. */
export { isolationForestPlugin } from './plugin.js';
export { IsolationForestDetector, ISOLATION_FOREST_RULE, type IsolationForestStats } from './detector.js';
export { isolationForestConfigSchema, type IsolationForestConfig } from './config.js';
export { IsolationForest, averagePathLength, EULER_GAMMA, type Explanation, type IsolationForestOptions } from './forest.js';
export { FEATURES, FEATURE_NAMES, type WindowCounts } from './features.js';
