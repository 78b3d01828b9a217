/** Turns Reports activities (one SecurityEvent per nested event item) and Drive changes into normalized events. */
import type { DeadLetterInput, EventOutcome, SecurityEvent } from '../../core/index.js';
import { errors, eventId } from '../../core/index.js';
import { utcMs } from '../normalize-parts.js';
import type { ActivityLike, ActivityParameterLike, AlertFeedbackLike, AlertLike, DriveChangeLike, DriveFileLike } from './wire.js';

export const PROVIDER = 'google-workspace';

const CATEGORY: Record<string, string[]> = {
  login: ['authentication'],
  saml: ['authentication'],
  drive: ['file'],
  admin: ['iam'],
  token: ['iam'],
  user_accounts: ['iam'],
  groups: ['iam'],
  groups_enterprise: ['iam'],
  mobile: ['host'],
  chrome: ['host'],
  gmail: ['email'],
  rules: ['intrusion_detection'],
  calendar: ['configuration'],
  access_transparency: ['iam'],
  // Context-aware access decides what an already signed-in user may reach: an access policy, not a login.
  context_aware_access: ['iam'],
};

/**
 * Event types (`events[].type`) whose meaning differs from their application's: a login log's
 * account warnings are Google's detections, its 2SV and password changes are account changes, its
 * forwarding change is mail configuration (Google's Login and User Accounts event references).
 */
const TYPE_CATEGORY: Record<string, string[]> = {
  account_warning: ['authentication', 'intrusion_detection'],
  attack_warning: ['authentication', 'intrusion_detection'],
  '2sv_change': ['iam'],
  password_change: ['iam'],
  recovery_info_change: ['iam'],
  titanium_change: ['iam'],
  email_forwarding_change: ['email', 'configuration'],
  blocked_sender_change: ['email', 'configuration'],
  APPLICATION_SETTINGS: ['configuration'],
  SECURITY_SETTINGS: ['configuration', 'iam'],
  DOMAIN_SETTINGS: ['configuration'],
  EMAIL_SETTINGS: ['configuration', 'email'],
  CALENDAR_SETTINGS: ['configuration'],
  CUSTOMER_TAKEOUT: ['file'],
};

/**
 * Parameters naming whoever the event happened to, in order of preference: an account warning's
 * only user is `affected_email_address`; a grant's is the grantee; a transfer's the new owner;
 * forwarding's the destination (Google's activity references per application).
 */
const TARGET_PARAMS = [
  'affected_email_address', 'target_user', 'USER_EMAIL', 'grantee_email', 'new_owner', 'email_forwarding_destination_address',
  'member_id', 'user_email', 'OWNER_EMAIL', 'DEVICE_USER',
];

/** Event names that record a refusal, whichever application logs them. */
const DENIED = new Set(['login_failure', 'deny', 'ACCESS_DENY_EVENT', 'risky_sensitive_action_blocked']);

/**
 * Refusals by policy of a user who had already proved who they are (`application:event`): a
 * context-aware access denial, a SAML assertion Google would not issue (none of Google's SAML
 * failure_type values is a wrong credential) and a sensitive action blocked as risky. They are
 * access decisions, so `iam` with outcome failure: filed as authentication, the brute-force and
 * password-spray detectors would count a user retrying a blocked app as a password guesser.
 */
const POLICY_REFUSAL = new Set(['context_aware_access:ACCESS_DENY_EVENT', 'saml:login_failure', 'login:risky_sensitive_action_blocked']);

/** Parameters copied into labels when present (names as Google spells them, lower-cased). */
const LABEL_PARAMS = [
  'login_type', 'login_challenge_method', 'login_challenge_status', 'login_failure_type', 'is_suspicious', 'is_second_factor',
  'doc_type', 'visibility_change', 'old_visibility', 'old_value', 'new_value', 'target_domain', 'primary_event', 'originating_app_id',
  'client_id', 'app_name', 'scope', 'client_type', 'ROLE_NAME', 'SETTING_NAME', 'APPLICATION_NAME', 'GROUP_EMAIL', 'ORG_UNIT_NAME',
  'OLD_VALUE', 'NEW_VALUE', 'DOMAIN_NAME', 'USER_DEFINED_SETTING_NAME', 'access_level', 'calendar_id', 'application_name', 'failure_type',
  'initiated_by', 'saml_status_code', 'rule_name', 'rule_type', 'has_alert', 'ACTOR_HOME_OFFICE', 'JUSTIFICATIONS', 'PRODUCT_CATEGORY',
  'CAA_ACCESS_LEVEL_APPLIED', 'CAA_APPLICATION', 'EVENT_RESULT', 'EVENT_REASON', 'DEVICE_ID', 'group_email', 'sensitive_action_name',
];

/** A vendor value when it is a non-empty string / a plain object, else absent. */
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** A table entry for a vendor-supplied key, never one inherited from Object.prototype. */
function own<T>(table: Record<string, T>, key: string | null | undefined): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A parameter's value as a string, whichever typed field carries it; lists joined with commas. */
export function paramString(p: ActivityParameterLike | undefined): string | undefined {
  if (!p || typeof p !== 'object') return undefined;
  if (typeof p.value === 'string') return p.value;
  if (typeof p.boolValue === 'boolean') return String(p.boolValue);
  if (typeof p.intValue === 'string' || typeof p.intValue === 'number') return String(p.intValue);
  if (Array.isArray(p.multiValue)) return p.multiValue.filter((v) => typeof v === 'string').join(',');
  if (Array.isArray(p.multiIntValue)) return p.multiIntValue.filter((v) => typeof v === 'string' || typeof v === 'number').join(',');
  return undefined;
}

function outcomeOf(app: string, name: string, params: Map<string, ActivityParameterLike>): EventOutcome {
  if (DENIED.has(name)) return 'failure';
  if (app === 'login') {
    if (name === 'login_success' || name === 'logout') return 'success';
    if (name === 'login_challenge' || name === 'login_verification') {
      const status = paramString(params.get('login_challenge_status'))?.toLowerCase() ?? '';
      if (status.includes('fail')) return 'failure';
      if (status.includes('pass')) return 'success';
    }
    return 'unknown';
  }
  if (app === 'saml') return name === 'login_success' ? 'success' : 'unknown';
  // Chrome reports what its policy did to a visit or transfer: blocked is a refusal.
  const result = paramString(params.get('EVENT_RESULT'))?.toUpperCase();
  if (result?.includes('BLOCKED')) return 'failure';
  // Other applications record actions that took place; a refusal is its own event name (DENIED).
  return 'success';
}

/** The new visibility of a Drive item: the change's new value, else the visibility the event reports. */
function visibilityOf(name: string, params: Map<string, ActivityParameterLike>): string | undefined {
  if (name === 'change_document_visibility') {
    const nv = params.get('new_value')?.multiValue?.[0] ?? paramString(params.get('new_value'));
    if (nv) return nv;
  }
  return paramString(params.get('visibility'));
}

/** The activity narrowed to one event item: what the event's id hashes and what `raw` keeps. */
export function narrowActivity(activity: ActivityLike, index: number): Record<string, unknown> {
  // etag changes from one response to the next for the same activity; hashing it would defeat dedupe.
  const { etag: _etag, events, ...rest } = activity;
  return { ...rest, events: [eventItems(events)[index]], eventIndex: index };
}

/**
 * The event items of an activity. The API sends a list; collectors that split activities into one
 * line per event (Elastic's google_workspace integration, for one) keep a single object there, which
 * is that one event, not an activity without events.
 */
function eventItems(events: unknown): NonNullable<ActivityLike['events']> {
  if (Array.isArray(events)) return events;
  return events !== null && typeof events === 'object' ? [events as NonNullable<ActivityLike['events']>[number]] : [];
}

/** A number where Google documents a string (`profileId`, as some relays write it) is that string. */
const idString = (v: unknown): string | undefined => (typeof v === 'number' && Number.isFinite(v) ? String(v) : str(v));

export type NormalizeOutcome = { events: SecurityEvent[]; deadLetters: DeadLetterInput[] };

/**
 * Every item of `events[]` is its own SecurityEvent: Google groups several actions (a view and a
 * download, a visibility change and a share) into one activity, and detectors count actions.
 */
export function normalizeActivity(activity: ActivityLike, ctx: { source: string; application: string; ingested: string; page?: string }): NormalizeOutcome {
  const out: NormalizeOutcome = { events: [], deadLetters: [] };
  const time = activity?.id?.time;
  const ms = utcMs(time) ?? NaN;
  const app = activity?.id?.applicationName ?? ctx.application;
  const items = eventItems(activity?.events);
  const dead = (code: string, reason: string): NormalizeOutcome => {
    out.deadLetters.push({
      source: ctx.source,
      code,
      reason,
      payload: JSON.stringify(activity),
      ...(ctx.page ? { position: { page: ctx.page } } : {}),
    });
    return out;
  };
  if (!Number.isFinite(ms)) return dead('TIMESTAMP_INVALID', `${app} activity without a valid id.time: ${JSON.stringify(time)}`);
  if (items.length === 0) return dead('FIELD_MISSING', `${app} activity ${activity.id?.uniqueQualifier ?? '?'} has no events`);
  const timestamp = new Date(ms).toISOString();
  const actorEmail = str(activity.actor?.email);
  const profileId = idString(activity.actor?.profileId);
  const callerType = str(activity.actor?.callerType);
  const ip = str(activity.ipAddress);

  items.forEach((listed, index) => {
    // A record off the wire is only as typed as its sender made it: non-objects and non-strings are absent.
    const item: NonNullable<ActivityLike['events']>[number] = listed !== null && typeof listed === 'object' ? listed : {};
    // Google always names events; an unnamed one still counts, under a name that says so.
    const name = typeof item.name === 'string' && item.name !== '' ? item.name : 'unnamed';
    const listedParams = Array.isArray(item.parameters) ? item.parameters.filter((p) => p !== null && typeof p === 'object' && typeof p.name === 'string') : [];
    const params = new Map<string, ActivityParameterLike>(listedParams.map((p) => [p.name!, p]));
    const raw = narrowActivity(activity, index);
    const labels: Record<string, string> = {};
    if (typeof item.type === 'string' && item.type !== '') labels.event_type = item.type;
    for (const name of LABEL_PARAMS) {
      const v = paramString(params.get(name));
      if (v !== undefined) labels[name.toLowerCase()] = v;
    }
    if (callerType) labels.caller_type = callerType;
    let targetEmail: string | undefined;
    for (const p of TARGET_PARAMS) {
      const v = paramString(params.get(p));
      // Only addresses: groups_enterprise's member_id and Drive's new_owner may name a group or shared drive.
      if (v !== undefined && v.includes('@')) {
        targetEmail = v;
        break;
      }
    }
    // A warning about an account names its victim only as affected_email_address, often with no actor:
    // that account is the event's user, so per-user rules and grouping see it.
    const victim = item.type === 'account_warning' || item.type === 'attack_warning' ? paramString(params.get('affected_email_address')) : undefined;
    const userEmail = actorEmail ?? victim ?? (app === 'chrome' ? paramString(params.get('DEVICE_USER')) : undefined);
    const e: SecurityEvent = {
      '@timestamp': timestamp,
      event: {
        id: eventId(PROVIDER, raw),
        kind: 'event',
        category: POLICY_REFUSAL.has(`${app}:${name}`) ? ['iam'] : [...(own(TYPE_CATEGORY, item.type) ?? own(CATEGORY, app) ?? ['configuration'])],
        action: name,
        outcome: outcomeOf(app, name, params),
        provider: PROVIDER,
        dataset: `${PROVIDER}.${app}`,
        ingested: ctx.ingested,
      },
      raw,
    };
    if (userEmail || profileId) {
      e.user = {};
      if (userEmail) e.user.email = userEmail;
      if (profileId) e.user.id = profileId;
    }
    if (ip) e.source = { ip };
    const docId = paramString(params.get('doc_id'));
    if (docId !== undefined) {
      e.file = { id: docId };
      const title = paramString(params.get('doc_title'));
      const owner = paramString(params.get('owner'));
      if (title !== undefined) e.file.name = title;
      if (owner !== undefined) e.file.owner = owner;
    }
    // A Drive rename's doc_title is the new title and old_value the one it replaces: kept as
    // previous_name (as Dropbox and OneDrive renames are) so an analyst sees what a burst of renames did,
    // e.g. a ransom extension appended to every title.
    if (app === 'drive' && name === 'rename') {
      const first = (p: ActivityParameterLike | undefined) => {
        const v: unknown = p?.multiValue?.[0];
        return typeof v === 'string' ? v : paramString(p);
      };
      const before = first(params.get('old_value'));
      const after = first(params.get('new_value'));
      if (before) labels.previous_name = before;
      if (after && e.file && e.file.name === undefined) e.file.name = after;
    }
    const visibility = visibilityOf(name, params);
    if (visibility !== undefined) e.share = { visibility };
    if (targetEmail) e.target = { user: { email: targetEmail } };
    // Whether the target is outside the acting account's domain: what a transfer of ownership, a
    // grant or a forwarding address means for data leaving depends on it, and rules cannot compare
    // two fields. A secondary domain of the same organisation counts as outside (documented).
    const domainOf = (x: string | undefined) => (x?.includes('@') ? x.slice(x.lastIndexOf('@') + 1).toLowerCase() : undefined);
    const [ud, td] = [domainOf(userEmail), domainOf(targetEmail)];
    if (ud !== undefined && td !== undefined && userEmail !== targetEmail) labels.target_external = String(ud !== td);
    const forward = paramString(params.get('email_forwarding_destination_address'));
    if (forward !== undefined) e.email = { to: { address: [forward] } };
    const users = [userEmail, targetEmail].filter((u): u is string => !!u);
    if (users.length || ip) {
      e.related = {};
      if (ip) e.related.ip = [ip];
      if (users.length) e.related.user = [...new Set(users)];
    }
    if (Object.keys(labels).length) e.labels = labels;
    out.events.push(e);
  });
  return out;
}

/** Drive's sharing state in Reports' vocabulary, so rules can compare changes with activities. */
export function visibilityFromPermissions(file: DriveFileLike, orgDomain: string | undefined): string {
  const perms = (file.permissions ?? []).filter((p) => !p.deleted);
  if (perms.some((p) => p.type === 'anyone')) {
    return perms.some((p) => p.type === 'anyone' && p.allowFileDiscovery) ? 'public_on_the_web' : 'people_with_link';
  }
  const external = perms.some((p) => {
    const d = p.type === 'domain' ? p.domain : p.emailAddress?.split('@')[1];
    return orgDomain !== undefined && typeof d === 'string' && d.toLowerCase() !== orgDomain;
  });
  if (external) return 'shared_externally';
  if (perms.some((p) => p.type === 'domain')) return 'shared_internally';
  return perms.some((p) => p.role !== 'owner') ? 'shared_internally' : 'private';
}

/** One Drive change (a file's new state, or its removal) as a `state` event. */
export function normalizeChange(change: DriveChangeLike, ctx: { source: string; ingested: string; orgDomain: string | undefined }): NormalizeOutcome {
  const ms = utcMs(change.time) ?? NaN;
  if (!Number.isFinite(ms) || typeof change.fileId !== 'string') {
    return {
      events: [],
      deadLetters: [{ source: ctx.source, code: 'FIELD_MISSING', reason: 'Drive change without time or fileId', payload: JSON.stringify(change) }],
    };
  }
  const file = change.file;
  const action = change.removed ? 'drive.file_removed' : file?.trashed ? 'drive.file_trashed' : 'drive.file_changed';
  const e: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    event: {
      id: eventId(PROVIDER, change),
      kind: 'state',
      category: ['file'],
      action,
      outcome: 'success',
      provider: PROVIDER,
      dataset: `${PROVIDER}.drive_changes`,
      ingested: ctx.ingested,
    },
    file: { id: change.fileId },
    raw: change,
  };
  if (file) {
    if (typeof file.name === 'string') e.file!.name = file.name;
    if (typeof file.mimeType === 'string') e.file!.mime_type = file.mimeType;
    const owner = file.owners?.[0]?.emailAddress;
    if (owner) e.file!.owner = owner;
    if (file.size !== undefined && Number.isFinite(Number(file.size))) e.file!.size = Number(file.size);
    e.share = { visibility: visibilityFromPermissions(file, ctx.orgDomain) };
    const grantees = (file.permissions ?? []).map((p) => p.emailAddress).filter((x): x is string => !!x);
    if (owner || grantees.length) e.related = { user: [...new Set([...(owner ? [owner] : []), ...grantees])] };
  }
  return { events: [e], deadLetters: [] };
}

/** Dataset of Alert Center alerts: `logsource: {product: google_workspace, service: alert_center}`. */
export const ALERT_CENTER = 'alert_center';

/** Categories per Alert Center payload type (the last part of `data['@type']`). */
const ALERT_CATEGORY: Record<string, string[]> = {
  AccountWarning: ['authentication', 'intrusion_detection'],
  StateSponsoredAttack: ['authentication', 'intrusion_detection'],
  MailPhishing: ['email', 'intrusion_detection'],
  PhishingSpike: ['email', 'intrusion_detection'],
  BadWhitelist: ['email', 'configuration'],
  DlpRuleViolation: ['file', 'intrusion_detection'],
  DeviceCompromised: ['host', 'intrusion_detection'],
  SuspiciousActivity: ['host', 'intrusion_detection'],
  DomainWideTakeoutInitiated: ['file'],
  UserChanges: ['iam'],
  SensitiveAdminAction: ['iam'],
  AccountSuspensionWarning: ['iam'],
};


/** Payloads whose `email` is an account Google believes is in an attacker's hands (or its device). */
const VICTIM_PAYLOADS = new Set(['AccountWarning', 'StateSponsoredAttack', 'DeviceCompromised', 'SuspiciousActivity']);

/** The payload's proto name (`AccountWarning`, ...), trimmed: a stray space after it must not hide its meaning. */
const payloadTypeOf = (data: Record<string, unknown>): string | undefined => str(data['@type'])?.split('.').pop()?.trim();

/** Whom an alert is about, for per-user grouping: its actor, or with none the account Google says was affected. */
function alertSubject(users: { user?: string; victim?: string }, payloadType: string | undefined): string | undefined {
  return users.user ?? (payloadType === 'GoogleOperations' || payloadType === 'UserChanges' ? users.victim : undefined);
}

/**
 * Who an alert names, by payload: AccountWarning, StateSponsoredAttack, DeviceCompromised and
 * SuspiciousActivity the account concerned as `email` (also the target: the victim);
 * DomainWideTakeoutInitiated the admin who started the export as `email`, a DLP violation the user
 * who triggered it: each the actor, never a target. A SensitiveAdminAction names its admin as
 * `actorEmail` and whom it acted on inside the action (a super admin whose password was reset, the new
 * primary admin); GoogleOperations the accounts Google says were affected (`affectedUserEmails`);
 * UserChanges the account as `name`. A phishing alert's messages' recipients (and the reporter of a
 * user-reported one) received the mail: they are `email.to`, not the event's user, so a correlation
 * per user does not read a reported phish as its reporter's compromise. (Payload fields:
 * https://developers.google.com/admin-sdk/alertcenter/reference/alert-types)
 */
function alertUsers(data: Record<string, unknown>, payloadType: string | undefined): { user?: string; victim?: string; recipients: string[]; from?: string; others: string[] } {
  const rv = obj(data.ruleViolationInfo);
  const messages = Array.isArray(data.messages) ? data.messages.map(obj).filter((m) => m !== undefined) : [];
  const recipients = [...new Set(messages.map((m) => str(m.recipient)).filter((r): r is string => r !== undefined))];
  const from = str(obj(data.maliciousEntity)?.fromHeader) ?? str(obj(obj(data.maliciousEntity)?.entity)?.emailAddress);
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(str).filter((x): x is string => x !== undefined && x.includes('@')) : []);
  const affected = list(data.affectedUserEmails);
  const user = str(data.email) ?? str(rv?.triggeringUserEmail) ?? str(data.actorEmail);
  let victim = payloadType !== undefined && VICTIM_PAYLOADS.has(payloadType) ? str(data.email) : undefined;
  if (payloadType === 'SensitiveAdminAction') victim = str(obj(data.superAdminPasswordResetEvent)?.userEmail) ?? str(obj(data.primaryAdminChangedEvent)?.updatedAdminEmail);
  else if (payloadType === 'GoogleOperations') victim = affected[0];
  else if (payloadType === 'UserChanges' && str(data.name)?.includes('@')) victim = str(data.name);
  // Also related: every affected account, a DLP violation's recipients, the admin a primary-admin change replaced.
  const others = [...affected, ...list(rv?.recipients), ...(str(obj(data.primaryAdminChangedEvent)?.previousAdminEmail) ? [str(obj(data.primaryAdminChangedEvent)?.previousAdminEmail)!] : [])];
  return { ...(user ? { user } : {}), ...(victim ? { victim } : {}), recipients, ...(from ? { from } : {}), others };
}

/**
 * One Alert Center alert as an `alert` event. Its id hashes only the alertId: Google updates an
 * alert (status, assignee, etag) and a re-read or a later update must collapse into the event already
 * stored, never alert twice. Its time is createTime, when Google raised it: the stream's watermark
 * is on createTime, and startTime (the activity's own start, often much earlier) is kept as a label.
 */
export function normalizeAlert(alert: AlertLike, ctx: { source: string; ingested: string; page?: string }): NormalizeOutcome {
  const ms = utcMs(alert?.createTime) ?? NaN;
  const alertId = str(alert?.alertId);
  if (!Number.isFinite(ms) || alertId === undefined) {
    return {
      events: [],
      deadLetters: [
        {
          source: ctx.source,
          code: alertId === undefined ? 'FIELD_MISSING' : 'TIMESTAMP_INVALID',
          reason: alertId === undefined ? 'Alert Center alert without alertId' : `Alert Center alert ${alertId} without a valid createTime`,
          payload: JSON.stringify(alert),
          ...(ctx.page ? { position: { page: ctx.page } } : {}),
        },
      ],
    };
  }
  const data = obj(alert.data) ?? {};
  const payloadType = payloadTypeOf(data);
  const type = str(alert.type) ?? payloadType ?? 'alert';
  const labels: Record<string, string> = { alert_id: alertId, alert_type: type };
  const put = (k: string, v: unknown): void => {
    const sv = str(v);
    if (sv !== undefined) labels[k] = sv;
  };
  put('alert_source', alert.source);
  put('alert_payload', payloadType);
  put('severity', alert.metadata?.severity);
  put('status', alert.metadata?.status);
  put('start_time', alert.startTime);
  put('rule_name', obj(obj(obj(data.ruleViolationInfo)?.ruleInfo))?.displayName);
  put('takeout_request_id', data.takeoutRequestId);
  put('is_internal', typeof data.isInternal === 'boolean' ? String(data.isInternal) : undefined);
  const users = alertUsers(data, payloadType);
  const { user, victim, recipients, from, others } = users;
  const ip = str(obj(data.loginDetails)?.ipAddress);
  // A misconfigured allowlist's or phishing alert's sourceIp is the sending mail server: related, never source.
  const senderIp = str(data.sourceIp);
  const e: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    event: {
      id: eventId(PROVIDER, { alertId }),
      kind: 'alert',
      category: [...(own(ALERT_CATEGORY, payloadType) ?? ['intrusion_detection'])],
      action: type,
      outcome: 'unknown',
      provider: PROVIDER,
      dataset: `${PROVIDER}.${ALERT_CENTER}`,
      ingested: ctx.ingested,
    },
    labels,
    raw: alert,
  };
  const who = alertSubject(users, payloadType);
  if (who) e.user = { email: who };
  if (victim) e.target = { user: { email: victim } };
  if (ip) e.source = { ip };
  if (from || recipients.length) {
    e.email = {};
    if (from) e.email.from = { address: [from] };
    if (recipients.length) e.email.to = { address: recipients };
  }
  const related = [...new Set([...(user ? [user] : []), ...(victim ? [victim] : []), ...recipients, ...others])];
  const ips = [...new Set([ip, senderIp].filter((x): x is string => x !== undefined))];
  if (related.length || ips.length) e.related = { ...(related.length ? { user: related } : {}), ...(ips.length ? { ip: ips } : {}) };
  return { events: [e], deadLetters: [] };
}

/** Dataset of admins' feedback on Alert Center alerts: `logsource: {product: google_workspace, service: alert_feedback}`. */
export const ALERT_FEEDBACK = 'alert_feedback';

/** What the poller knows of the alert a feedback is about, from its listing (absent in rule examples). */
export interface FeedbackAlertContext {
  type?: string | undefined;
  payload?: string | undefined;
  /** The account the alert is about (its event's user.email): a compromise alert's victim, a DLP rule's triggering user. */
  user?: string | undefined;
}

/** The alert's type, payload and named user as alertUsers reads them, for its feedback's labels. */
export function feedbackContext(alert: AlertLike): FeedbackAlertContext {
  const data = obj(alert.data) ?? {};
  const payload = payloadTypeOf(data);
  return { type: str(alert.type) ?? payload, payload, user: alertSubject(alertUsers(data, payload), payload) };
}

/**
 * An admin's feedback on an Alert Center alert as an `alert_feedback` event at its createTime, by
 * whoever gave it (`user.email`), tied to the alert by `labels.alert_id` (the key alert events
 * carry). Its id hashes the alertId and feedbackId: feedback never changes, and a re-read must
 * collapse into the stored event. A NOT_USEFUL rating is triage evidence (and an admin account in
 * an attacker's hands dismissing the alert about it); `labels.own_alert` says the giver is the
 * account the alert names.
 */
export function normalizeFeedback(
  feedback: AlertFeedbackLike,
  ctx: { source: string; ingested: string; page?: string; alert?: FeedbackAlertContext },
): NormalizeOutcome {
  const ms = utcMs(feedback?.createTime) ?? NaN;
  const alertId = str(feedback?.alertId);
  const feedbackId = str(feedback?.feedbackId);
  if (!Number.isFinite(ms) || alertId === undefined || feedbackId === undefined) {
    const missing = alertId === undefined || feedbackId === undefined;
    return {
      events: [],
      deadLetters: [
        {
          source: ctx.source,
          code: missing ? 'FIELD_MISSING' : 'TIMESTAMP_INVALID',
          reason: missing ? 'Alert Center feedback without alertId or feedbackId' : `Alert Center feedback ${feedbackId} without a valid createTime`,
          payload: JSON.stringify(feedback),
          ...(ctx.page ? { position: { page: ctx.page } } : {}),
        },
      ],
    };
  }
  const type = str(feedback.type) ?? 'ALERT_FEEDBACK_TYPE_UNSPECIFIED';
  const labels: Record<string, string> = { alert_id: alertId, feedback_id: feedbackId, feedback_type: type };
  const giver = str(feedback.email);
  const alert = ctx.alert;
  if (alert?.type) labels.alert_type = alert.type;
  if (alert?.payload) labels.alert_payload = alert.payload;
  if (alert?.user) {
    labels.alert_user = alert.user;
    labels.own_alert = String(giver !== undefined && giver.toLowerCase() === alert.user.toLowerCase());
  }
  const e: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    event: {
      id: eventId(PROVIDER, { alertId, feedbackId }),
      kind: 'event',
      category: ['intrusion_detection'],
      action: 'alert_feedback',
      outcome: 'success',
      provider: PROVIDER,
      dataset: `${PROVIDER}.${ALERT_FEEDBACK}`,
      ingested: ctx.ingested,
    },
    labels,
    raw: feedback,
  };
  if (giver) e.user = { email: giver };
  const related = [...new Set([...(giver ? [giver] : []), ...(alert?.user ? [alert.user] : [])])];
  if (related.length) e.related = { user: related };
  return { events: [e], deadLetters: [] };
}

/** A rule example's Reports activity at `time` (see SourcePlugin.example); each of its events[] becomes one event. */
export function normalizeExample(record: Record<string, unknown>, time: string): SecurityEvent[] {
  // Feedback on an alert (a feedbackId besides its alertId): createTime is its time.
  if (typeof record.feedbackId === 'string') {
    const r = normalizeFeedback({ ...record, createTime: time } as AlertFeedbackLike, { source: 'rules-test', ingested: time });
    if (r.deadLetters.length) throw errors.inputMalformed({ where: '', problem: `the Google normalizer rejected the feedback: ${r.deadLetters[0]!.reason}` });
    return r.events;
  }
  // An Alert Center alert (it has an alertId, an activity has id.uniqueQualifier): createTime is its time.
  if (typeof record.alertId === 'string') {
    const r = normalizeAlert({ ...record, createTime: time } as AlertLike, { source: 'rules-test', ingested: time });
    if (r.deadLetters.length) throw errors.inputMalformed({ where: '', problem: `the Google normalizer rejected the alert: ${r.deadLetters[0]!.reason}` });
    return r.events;
  }
  const id: Record<string, unknown> = { ...(record.id as Record<string, unknown> | undefined), time };
  const activity = { ...record, id } as ActivityLike;
  const r = normalizeActivity(activity, { source: 'rules-test', application: String(id.applicationName ?? 'admin'), ingested: time });
  if (r.deadLetters.length) throw errors.inputMalformed({ where: '', problem: `the Google normalizer rejected the record: ${r.deadLetters[0]!.reason}` });
  return r.events;
}
