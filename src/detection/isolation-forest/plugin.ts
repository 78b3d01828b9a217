/** The `isolation-forest` detector plugin: config schema plus factory, for the global registry. */
import type { DetectorPlugin } from '../../core/index.js';
import { isolationForestConfigSchema, type IsolationForestConfig } from './config.js';
import { IsolationForestDetector } from './detector.js';

export const isolationForestPlugin: DetectorPlugin<IsolationForestConfig> = {
  type: 'isolation-forest',
  description: 'Unsupervised anomaly detection over per-entity window features (isolation forest, seeded, explained).',
  configSchema: isolationForestConfigSchema,
  create: (config, deps) => new IsolationForestDetector(config, deps),
};
