/** Every clause of the Store contract (docs/contracts/store.md), port by port. */
import { accountsClauses } from './accounts.js';
import { actionLogClauses } from './action-log.js';
import { apiQueryClauses } from './api-queries.js';
import { alertGroupClauses, eventReadClauses } from './alert-groups.js';
import { alertOutboxClauses } from './alert-outbox.js';
import { auditClauses } from './audit.js';
import { blocksClauses } from './blocks.js';
import { detectorStateClauses } from './detector-state.js';
import { eventLogClauses } from './event-log.js';
import { identitiesClauses } from './identities.js';
import { inventoryClauses } from './inventory.js';
import { lifecycleClauses } from './lifecycle.js';
import { mutesClauses } from './mutes.js';
import { retentionClauses } from './retention.js';
import type { Clause } from './suite.js';

export const STORE_CONTRACT: readonly Clause[] = [
  ...lifecycleClauses,
  ...eventLogClauses,
  ...eventReadClauses,
  ...alertOutboxClauses,
  ...alertGroupClauses,
  ...detectorStateClauses,
  ...inventoryClauses,
  ...identitiesClauses,
  ...blocksClauses,
  ...auditClauses,
  ...retentionClauses,
  ...mutesClauses,
  ...actionLogClauses,
  ...accountsClauses,
  ...apiQueryClauses,
];

export { accountsClauses, actionLogClauses, apiQueryClauses, alertGroupClauses, alertOutboxClauses, eventReadClauses, auditClauses, blocksClauses, detectorStateClauses, eventLogClauses, identitiesClauses, inventoryClauses, lifecycleClauses, mutesClauses, retentionClauses };
export * from './suite.js';
