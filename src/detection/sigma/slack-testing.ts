/** Slack records through the Slack source's own normalizer, for the Sigma field and rule tests. */
import type { SecurityEvent } from '../../core/index.js';
import { normalizeAccessLog, normalizeAuditEntry } from '../../sources/slack/normalize.js';
import type { SlackAccessLog, SlackAuditEntry } from '../../sources/slack/wire.js';

const INGESTED = '2024-05-06T12:00:00.000Z';

export function slackAudit(entry: SlackAuditEntry): SecurityEvent {
  const r = normalizeAuditEntry(entry, INGESTED);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

/** An access-log aggregate, with the email users.info gave for its user. */
export function slackAccess(row: SlackAccessLog, email?: string): SecurityEvent {
  const r = normalizeAccessLog(row, INGESTED, { email });
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}
