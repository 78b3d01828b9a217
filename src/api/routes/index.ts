/** Every API route module, in one list: adding a group of routes is one file and one line here. */
import type { RouteModule } from '../context.js';
import { actions } from './actions.js';
import { alerts } from './alerts.js';
import { audit } from './audit.js';
import { blocked } from './blocked.js';
import { events } from './events.js';
import { files } from './files.js';
import { identities } from './identities.js';
import { meta } from './meta.js';
import { overview } from './overview.js';
import { rules } from './rules.js';
import { sources } from './sources.js';
import { users } from './users.js';

export const ROUTES: readonly RouteModule[] = [meta, overview, events, alerts, users, files, blocked, actions, identities, sources, rules, audit];
