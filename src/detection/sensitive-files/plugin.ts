/** The `sensitive-files` detector plugin: config schema plus factory, for the global registry. */
import type { DetectorPlugin } from '../../core/index.js';
import { sensitiveFilesConfigSchema, type SensitiveFilesConfig } from './config.js';
import { SensitiveFilesDetector } from './detector.js';

export const sensitiveFilesPlugin: DetectorPlugin<SensitiveFilesConfig> = {
  type: 'sensitive-files',
  description: 'A file whose last scan found medium+ sensitive data (cards, national ids, secrets) made public, shared outside or to a personal mailbox, or taken in a mass download: a high alert naming what is in it.',
  configSchema: sensitiveFilesConfigSchema,
  create: (config, deps) => new SensitiveFilesDetector(config, deps),
};
