/** The `novelty` detector plugin: config schema plus factory, for the global registry. */
import type { DetectorPlugin } from '../../core/index.js';
import { noveltyConfigSchema, type NoveltyConfig } from './config.js';
import { NoveltyDetector } from './detector.js';

export const noveltyPlugin: DetectorPlugin<NoveltyConfig> = {
  type: 'novelty',
  description: "A user's first successful login from a new country, ASN or browser family, after a per-user learning period; and a login from a country nobody in the organisation signs in from.",
  configSchema: noveltyConfigSchema,
  create: (config, deps) => new NoveltyDetector(config, deps),
};
