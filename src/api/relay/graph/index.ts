/** The relay's Graph half: sightings of an observable in Microsoft Graph security alerts. */
import { errors } from '../../../core/index.js';
import type { GraphSightings } from '../types.js';

export interface GraphSightingsOptions {
  /** Graph's root, e.g. https://graph.microsoft.com (the fake's URL in tests). */
  graphUrl: string;
  /** Token endpoint root, e.g. https://login.microsoftonline.com. */
  loginUrl: string;
  /** Also query legacy /security/alerts. */
  legacyAlerts: boolean;
  fetch?: typeof fetch;
  now?: () => number;
}

export function createGraphSightings(_opts: GraphSightingsOptions): GraphSightings {
  throw errors.configInvalid({ path: 'relay', problem: 'the Graph half of the relay is being built', fix: 'wait for issue 17' });
}
