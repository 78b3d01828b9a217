/** The `reported-mail` detector plugin: config schema plus factory, for the global registry. */
import type { DetectorPlugin } from '../../core/index.js';
import { reportedMailConfigSchema, type ReportedMailConfig } from './config.js';
import { ReportedMailDetector } from './detector.js';

export const reportedMailPlugin: DetectorPlugin<ReportedMailConfig> = {
  type: 'reported-mail',
  description: 'One finding per message users reported as suspicious (keyed by Message-ID), listing every reporter; campaigns by sender.',
  configSchema: reportedMailConfigSchema,
  create: (config, deps) => new ReportedMailDetector(config, { state: deps.state, logger: deps.logger }),
};
