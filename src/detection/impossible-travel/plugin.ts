/** The `impossible-travel` detector plugin: config schema plus factory, for the global registry. */
import type { DetectorPlugin } from '../../core/index.js';
import { impossibleTravelConfigSchema, type ImpossibleTravelConfig } from './config.js';
import { ImpossibleTravelDetector } from './detector.js';

export const impossibleTravelPlugin: DetectorPlugin<ImpossibleTravelConfig> = {
  type: 'impossible-travel',
  description: 'Consecutive successful logins of a user farther apart than max_speed_kmh allows, net of GeoIP accuracy radii.',
  configSchema: impossibleTravelConfigSchema,
  create: (config, deps) => new ImpossibleTravelDetector(config, deps),
};
