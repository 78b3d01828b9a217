/** The `brute-force` detector plugin: config schema plus factory, for the global registry. */
import type { DetectorPlugin } from '../../core/index.js';
import { bruteForceConfigSchema, type BruteForceConfig } from './config.js';
import { BruteForceDetector } from './detector.js';

export const bruteForcePlugin: DetectorPlugin<BruteForceConfig> = {
  type: 'brute-force',
  description: 'Failed logins per source IP and per user in a sliding window (brute force, password spray).',
  configSchema: bruteForceConfigSchema,
  create: (config, deps) => new BruteForceDetector(config, { state: deps.state, logger: deps.logger }),
};
