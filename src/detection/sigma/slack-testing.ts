/** Slack records as the Slack source normalizes them, for the Sigma field and rule tests. */
import { eventId, type SecurityEvent } from '../../core/index.js';
import type { SlackAccessLog, SlackAuditEntry } from '../../sources/slack/wire.js';

const INGESTED = '2024-05-06T12:00:00.000Z';
const iso = (s: number) => new Date(s * 1000).toISOString();

export function slackAudit(entry: SlackAuditEntry): SecurityEvent {
  const a = entry.action;
  const category = a.startsWith('user_login') || a === 'user_logout' ? ['authentication'] : a.startsWith('file_') ? ['file'] : a.startsWith('role_change') ? ['iam'] : ['configuration'];
  const u = entry.actor.user;
  return {
    '@timestamp': iso(entry.date_create),
    event: { kind: 'event', category, action: a, outcome: a === 'user_login_failed' ? 'failure' : 'success', provider: 'slack', dataset: 'slack.audit_logs', ingested: INGESTED, id: eventId('slack', entry) },
    ...(u ? { user: { id: u.id, ...(u.name ? { name: u.name } : {}), ...(u.email ? { email: u.email } : {}) } } : {}),
    ...(entry.context.ip_address ? { source: { ip: entry.context.ip_address } } : {}),
    ...(entry.context.ua ? { user_agent: { original: entry.context.ua } } : {}),
    ...(entry.entity.file ? { file: { id: entry.entity.file.id, ...(entry.entity.file.name ? { name: entry.entity.file.name } : {}) } } : {}),
    raw: entry,
  };
}

export function slackAccess(row: SlackAccessLog, email?: string): SecurityEvent {
  return {
    '@timestamp': iso(row.date_last),
    event: { kind: 'event', category: ['authentication'], action: 'login', outcome: 'success', provider: 'slack', dataset: 'slack.access_logs', ingested: INGESTED, id: eventId('slack', row) },
    user: { id: row.user_id, name: row.username, ...(email ? { email } : {}) },
    source: { ip: row.ip },
    user_agent: { original: row.user_agent },
    raw: row,
  };
}
