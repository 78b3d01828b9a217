/** The `login-forest` detector plugin: config schema plus factory, for the global registry. */
import type { DetectorPlugin } from '../../core/index.js';
import { loginForestConfigSchema, type LoginForestConfig } from './config.js';
import { LoginForestDetector } from './detector.js';

export const loginForestPlugin: DetectorPlugin<LoginForestConfig> = {
  type: 'login-forest',
  description: "Per-user isolation forest over login context (location, ASN, agent family, hour of week): logins unlike the user's history, with the features that made them so.",
  configSchema: loginForestConfigSchema,
  create: (config, deps) => new LoginForestDetector(config, deps),
};
