/** Maps Slack access-log aggregates, Audit Logs API entries and Events API callbacks onto the SecurityEvent schema, or says why a record cannot be. */
import type { ErrorCode, EventOutcome, SecurityEvent } from '../../core/index.js';
import { errors, eventId } from '../../core/index.js';
import { related, setLabel } from '../normalize-parts.js';

export const PROVIDER = 'slack';

export type NormalizeResult = { ok: true; event: SecurityEvent; ms: number } | { ok: false; code: ErrorCode; reason: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const fail = (code: ErrorCode, reason: string): NormalizeResult => ({ ok: false, code, reason });

/** Slack's times are epoch seconds (a number, or a numeric string in some payloads). */
function secondsToMs(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.round(n * 1000) : undefined;
}

function userOf(u: Obj | undefined): SecurityEvent['user'] | undefined {
  if (!u) return undefined;
  const profile = obj(u.profile);
  const out: NonNullable<SecurityEvent['user']> = {};
  const email = str(u.email) ?? str(profile?.email);
  const id = str(u.id);
  const name = str(u.name);
  if (email) out.email = email;
  if (id) out.id = id;
  if (name) out.name = name;
  return Object.keys(out).length ? out : undefined;
}

// ---- team.accessLogs aggregates ----

/** What the source knew of an aggregate before this state of it: the advance is in the labels. */
export interface AccessLogContext {
  /** From users.info, when the user could be looked up and Slack gave an email. */
  email?: string | undefined;
  /** The aggregate's count and date_last when it was last emitted, if it was. */
  previous?: { count: number; date_last: number } | undefined;
}

/**
 * One aggregate (user, IP, user agent) in the state it was read: a login at `date_last`. The event
 * id hashes the whole row, count and date_last included, so each advance is its own event and
 * reading the same state twice (a restart, a settle re-read) is the same event.
 */
export function normalizeAccessLog(raw: unknown, ingested: string, ctx: AccessLogContext = {}): NormalizeResult {
  if (!isObj(raw)) return fail('INPUT_MALFORMED', 'access log row is not a JSON object');
  const ms = secondsToMs(raw.date_last);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `access log row has no valid date_last (got ${JSON.stringify(raw.date_last)})`);
  const userId = str(raw.user_id);
  if (!userId) return fail('FIELD_MISSING', 'access log row has no user_id');
  const ip = str(raw.ip);
  const ua = str(raw.user_agent);
  const user: NonNullable<SecurityEvent['user']> = { id: userId };
  const name = str(raw.username);
  if (name) user.name = name;
  if (ctx.email) user.email = ctx.email;
  const labels: Record<string, string> = {};
  setLabel(labels, 'slack.count', raw.count);
  const first = secondsToMs(raw.date_first);
  if (first !== undefined) labels['slack.date_first'] = new Date(first).toISOString();
  setLabel(labels, 'slack.isp', raw.isp);
  setLabel(labels, 'slack.country', raw.country);
  setLabel(labels, 'slack.region', raw.region);
  if (ctx.previous) {
    labels['slack.previous_count'] = String(ctx.previous.count);
    labels['slack.previous_date_last'] = new Date(ctx.previous.date_last * 1000).toISOString();
  } else {
    labels['slack.first_seen'] = 'true';
  }
  const event: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    event: { id: eventId(PROVIDER, raw), kind: 'event', category: ['authentication'], action: 'login', outcome: 'success', provider: PROVIDER, dataset: `${PROVIDER}.access_logs`, ingested },
    user,
    ...(ip ? { source: { ip } } : {}),
    ...(ua ? { user_agent: { original: ua } } : {}),
    labels,
    raw,
  };
  const rel = related([ip], [ctx.email ?? name]);
  if (rel) event.related = rel;
  return { ok: true, event, ms };
}

// ---- Audit Logs API entries ----

/** Slack's `filetype` (a short type name) as a MIME type, for the types worth telling apart in rules. */
const MIME: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  text: 'text/plain',
  csv: 'text/csv',
  zip: 'application/zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  json: 'application/json',
};

/** ECS category of an audit action, by Slack's naming of its actions. */
export function auditCategory(action: string): string[] {
  if (/^user_log(in|out)/.test(action) || /^user_session/.test(action)) return ['authentication'];
  if (/^file_/.test(action)) return ['file'];
  // Slack's User actions (role_change_to_*, role_assigned, owner_transferred, guest_*) and service_owner_transferred, which Slack lists among channel actions.
  if (/^(role_|user_|guest_|owner_|service_owner_|admin_|usergroup|permissions_)/.test(action)) return ['iam'];
  return ['configuration'];
}

/** `user_login_failed`, `file_download_blocked`, `file_upload_blocked_by_type` and the like (Slack refused it): nothing happened. */
function auditOutcome(action: string): EventOutcome {
  return /_(failed|failure|denied|rejected|blocked)(_by_type)?$/.test(action) ? 'failure' : 'success';
}

/**
 * Shares, by Slack's documented actions: a file's public link is public; a channel connected (or
 * reconnected, or upgraded) to another organization through Slack Connect is external; a file
 * shared into another channel is internal, since the entry's entity is the file and Slack names
 * no destination. Slack documents no `details` for these actions, so none are read.
 */
const EXTERNAL_CHANNEL_SHARES = new Set(['external_shared_channel_connected', 'external_shared_channel_reconnected', 'external_shared_channel_access_upgraded']);
function shareOf(action: string): SecurityEvent['share'] | undefined {
  if (action === 'file_public_link_created') return { visibility: 'public' };
  if (EXTERNAL_CHANNEL_SHARES.has(action)) return { visibility: 'external' };
  if (action === 'file_shared') return { visibility: 'internal' };
  return undefined;
}

/** Primitive `details` values and lists of strings (comma-joined) kept as labels (`slack.details.<key>`), so rules can match them; at most this many. */
const MAX_DETAIL_LABELS = 24;

export function normalizeAuditEntry(raw: unknown, ingested: string): NormalizeResult {
  if (!isObj(raw)) return fail('INPUT_MALFORMED', 'audit log entry is not a JSON object');
  const ms = secondsToMs(raw.date_create);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `audit log entry has no valid date_create (got ${JSON.stringify(raw.date_create)})`);
  const action = str(raw.action);
  if (!action) return fail('FIELD_MISSING', 'audit log entry has no action');
  const actor = obj(raw.actor) ?? {};
  const entity = obj(raw.entity) ?? {};
  const context = obj(raw.context) ?? {};
  const details = obj(raw.details) ?? {};
  const location = obj(context.location);
  const labels: Record<string, string> = {};
  setLabel(labels, 'slack.audit_id', raw.id);
  setLabel(labels, 'slack.actor_type', actor.type);
  setLabel(labels, 'slack.entity_type', entity.type);
  setLabel(labels, 'slack.location_type', location?.type);
  setLabel(labels, 'slack.location_id', location?.id);
  setLabel(labels, 'slack.location_name', location?.name);
  setLabel(labels, 'slack.session_id', context.session_id);
  // An entry made through an app names it in `context.app` (Slack's "The audit event"); it is absent otherwise.
  const app = obj(context.app);
  setLabel(labels, 'slack.actor_app_id', app?.id);
  setLabel(labels, 'slack.actor_app_name', app?.name);
  let kept = 0;
  for (const [k, v] of Object.entries(details)) {
    if (kept >= MAX_DETAIL_LABELS) break;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      setLabel(labels, `slack.details.${k}`, v);
      kept++;
    } else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) {
      // Lists of names (an anomaly's `reason`, an app's `new_scopes`) are what an analyst reads first in the alert.
      labels[`slack.details.${k}`] = v.join(',');
      kept++;
    }
  }

  const event: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    event: { id: eventId(PROVIDER, raw), kind: 'event', category: auditCategory(action), action, outcome: auditOutcome(action), provider: PROVIDER, dataset: `${PROVIDER}.audit_logs`, ingested },
    raw,
  };
  const user = userOf(obj(actor.user));
  if (user) event.user = user;
  const ip = str(context.ip_address);
  if (ip) event.source = { ip };
  const ua = str(context.ua);
  if (ua) event.user_agent = { original: ua };

  const entityType = str(entity.type);
  const file = obj(entity.file);
  if (file) {
    const f: NonNullable<SecurityEvent['file']> = {};
    const id = str(file.id);
    const name = str(file.name) ?? str(file.title);
    const type = str(file.filetype)?.toLowerCase();
    if (id) f.id = id;
    if (name) f.name = name;
    if (type) {
      labels['slack.filetype'] = type;
      if (MIME[type]) f.mime_type = MIME[type];
    }
    event.file = f;
  }
  const target = entityType === 'user' ? obj(entity.user) : undefined;
  const targetEmail = str(target?.email);
  if (targetEmail) event.target = { user: { email: targetEmail } };
  if (target) setLabel(labels, 'slack.target_user_id', target.id);
  const channel = obj(entity.channel);
  if (channel) {
    setLabel(labels, 'slack.channel_id', channel.id);
    setLabel(labels, 'slack.channel_name', channel.name);
    setLabel(labels, 'slack.channel_privacy', channel.privacy);
  }
  const entityApp = obj(entity.app);
  if (entityApp) {
    setLabel(labels, 'slack.app_id', entityApp.id);
    setLabel(labels, 'slack.app_name', entityApp.name);
    if (Array.isArray(entityApp.scopes)) labels['slack.app_scopes'] = entityApp.scopes.filter((s) => typeof s === 'string').join(',');
  }
  const share = shareOf(action);
  if (share) event.share = share;
  const rel = related([ip], [user?.email, targetEmail]);
  if (rel) event.related = rel;
  event.labels = labels;
  return { ok: true, event, ms };
}

// ---- Events API callbacks (webhook) ----

const EVENT_CATEGORY: Record<string, string> = {
  user_change: 'iam',
  team_join: 'iam',
  team_access_granted: 'configuration',
  team_access_revoked: 'configuration',
  tokens_revoked: 'configuration',
  app_uninstalled: 'configuration',
  app_uninstalled_team: 'configuration',
};

/** The event types the webhook turns into events (the rest are acknowledged and only wake the poller). */
export const NORMALIZED_EVENT_TYPES = new Set(Object.keys(EVENT_CATEGORY));

/**
 * One `event_callback` body. `raw` is the body as Slack sent it less its deprecated verification
 * `token` (a credential of the app, not part of the event). The id is Slack's `event_id` hashed
 * with the rest, so Slack's retries of one delivery are one event.
 */
export function normalizeEventCallback(body: unknown, ingested: string): NormalizeResult {
  if (!isObj(body)) return fail('INPUT_MALFORMED', 'Events API body is not a JSON object');
  const { token: _token, ...raw } = body;
  const inner = obj(raw.event);
  const type = str(inner?.type);
  if (!inner || !type) return fail('FIELD_MISSING', 'Events API callback has no event.type');
  const ms = secondsToMs(raw.event_time) ?? secondsToMs(inner.event_ts);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `Events API callback has no valid event_time (got ${JSON.stringify(raw.event_time)})`);
  const labels: Record<string, string> = {};
  setLabel(labels, 'slack.event_id', raw.event_id);
  setLabel(labels, 'slack.team_id', raw.team_id);
  setLabel(labels, 'slack.enterprise_id', raw.enterprise_id);
  setLabel(labels, 'slack.api_app_id', raw.api_app_id);
  if (Array.isArray(inner.team_ids)) labels['slack.team_ids'] = inner.team_ids.filter((t) => typeof t === 'string').join(',');
  const event: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    event: { id: eventId(PROVIDER, raw), kind: 'event', category: [EVENT_CATEGORY[type] ?? 'configuration'], action: type, outcome: 'success', provider: PROVIDER, dataset: `${PROVIDER}.events`, ingested },
    raw,
  };
  const u = obj(inner.user);
  if (u) {
    const user = userOf(u);
    if (user) event.user = user;
    for (const flag of ['deleted', 'is_admin', 'is_owner', 'is_bot', 'is_restricted', 'is_ultra_restricted'] as const) setLabel(labels, `slack.user.${flag}`, u[flag]);
  } else if (str(inner.user)) {
    event.user = { id: str(inner.user)! };
  }
  const rel = related([], [event.user?.email]);
  if (rel) event.related = rel;
  event.labels = labels;
  return { ok: true, event, ms };
}

// ---- rule examples ----

/**
 * A rule example's Slack record at `time` (see SourcePlugin.example): an audit entry (it has
 * `action`), an Events API callback (`type: event_callback`), or an access-log row (`user_agent`
 * and `count`); Slack stamps whole seconds.
 */
export function normalizeExample(record: Record<string, unknown>, time: string): SecurityEvent[] {
  const seconds = Math.floor(Date.parse(time) / 1000);
  let r: NormalizeResult;
  if (typeof record.action === 'string') r = normalizeAuditEntry({ ...record, date_create: seconds }, time);
  else if (record.type === 'event_callback') r = normalizeEventCallback({ ...record, event_time: seconds }, time);
  else if ('user_id' in record && ('user_agent' in record || 'ip' in record)) {
    const email = typeof record.email === 'string' ? record.email : undefined;
    const { email: _e, ...row } = record;
    r = normalizeAccessLog({ date_first: seconds, count: 1, ...row, date_last: seconds }, time, { email });
  } else {
    throw errors.inputMalformed({ where: '', problem: 'a Slack example is an audit entry (with action), an Events API callback (type: event_callback) or an access log row (user_id, ip, user_agent)' });
  }
  if (!r.ok) throw errors.inputMalformed({ where: '', problem: `the Slack normalizer rejected the record: ${r.reason}` });
  return [r.event];
}
