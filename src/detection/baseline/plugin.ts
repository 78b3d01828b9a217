/** The `baseline` detector plugin: config schema plus factory, for the global registry. */
import type { DetectorPlugin } from '../../core/index.js';
import { baselineConfigSchema, type BaselineConfig } from './config.js';
import { BaselineDetector } from './detector.js';

export const baselinePlugin: DetectorPlugin<BaselineConfig> = {
  type: 'baseline',
  description: "Per-user, per-action event counts per hour/day/week against the user's own EWMA mean and variance (after a learning period).",
  configSchema: baselineConfigSchema,
  create: (config, deps) => new BaselineDetector(config, deps),
};
