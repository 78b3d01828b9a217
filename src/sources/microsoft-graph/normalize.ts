/** Maps Graph sign-ins (every kind), directory audits, risk detections, risky users, security alerts and user-reported messages onto the SecurityEvent schema, or says why a record cannot be. */
import { isIP } from 'node:net';
import type { ErrorCode, GeoInfo, SecurityEvent } from '../../core/index.js';
import { errors, eventId } from '../../core/index.js';
import type { StreamName } from './config.js';
import { related, setLabel, utcMs } from '../normalize-parts.js';

export const PROVIDER = 'microsoft-graph';

export type NormalizeResult = { ok: true; event: SecurityEvent; ms: number } | { ok: false; code: ErrorCode; reason: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const fail = (code: ErrorCode, reason: string): NormalizeResult => ({ ok: false, code, reason });

function base(raw: unknown, ms: number, ingested: string, stream: StreamName, fields: Pick<SecurityEvent['event'], 'kind' | 'category' | 'action' | 'outcome'>): SecurityEvent {
  return {
    '@timestamp': new Date(ms).toISOString(),
    event: { id: eventId(PROVIDER, raw), ...fields, provider: PROVIDER, dataset: `${PROVIDER}.${stream}`, ingested },
    raw,
  };
}

// ---- Sign-ins (auditLogs/signIns) ----

/**
 * Entra codes that interrupt a sign-in rather than refuse it (MFA or a password change still to
 * come). They count as failures, as Entra reports them, and are labelled so rules can tell.
 */
const INTERRUPTS = new Set([50058, 50072, 50074, 50076, 50079, 50125, 50140, 50158, 81010, 16000, 16003]);

/** signIn.signInEventTypes (beta) onto the kind of identity that signed in. */
const WORKLOAD_KIND: Record<string, NonNullable<NonNullable<SecurityEvent['user']>['kind']>> = {
  servicePrincipal: 'service_principal',
  managedIdentity: 'managed_identity',
};

/** Graph's own place for a record (signIn and riskDetection `location`), as source.geo: kept by the GeoIP enricher when its database does not know the address. */
function geoOf(v: unknown): GeoInfo | undefined {
  const loc = obj(v);
  if (!loc) return undefined;
  const geo: GeoInfo = {};
  const country = str(loc.countryOrRegion);
  if (country) geo.country_iso_code = country.toUpperCase();
  const city = str(loc.city);
  if (city) geo.city_name = city;
  const c = obj(loc.geoCoordinates);
  const lat = c?.latitude;
  const lon = c?.longitude;
  // 0,0 is what Entra writes when it has no coordinates, not a place in the Gulf of Guinea.
  if (typeof lat === 'number' && typeof lon === 'number' && Number.isFinite(lat) && Number.isFinite(lon) && (lat !== 0 || lon !== 0)) geo.location = { lat, lon };
  return Object.keys(geo).length ? geo : undefined;
}

/** source.ip and, from Graph's location, source.geo. */
function sourceOf(ip: string | undefined, location: unknown): SecurityEvent['source'] | undefined {
  const geo = geoOf(location);
  if (!ip && !geo) return undefined;
  return { ...(ip ? { ip } : {}), ...(geo ? { geo } : {}) };
}

function setLocationLabels(labels: Record<string, string>, location: unknown): void {
  const loc = obj(location);
  setLabel(labels, 'location_city', loc?.city);
  setLabel(labels, 'location_state', loc?.state);
  setLabel(labels, 'location_country', loc?.countryOrRegion);
}

/**
 * A failed sign-in's action. Only an interactive user's failure can be a password guess: a
 * non-interactive one is a client refreshing a token (Outlook's expired refresh token, 70043) and a
 * workload's is an application presenting its own credential (an expired secret, 7000222, retried
 * every few seconds), so neither is named `login`, which the failed-login rule and the brute-force
 * detector count (see NOT_PASSWORD_GUESS in src/detection/fields.ts).
 */
function failedSignInAction(kind: NonNullable<SecurityEvent['user']>['kind'], types: string[], raw: Obj): string {
  if (kind === 'service_principal') return 'service_principal_sign_in';
  if (kind === 'managed_identity') return 'managed_identity_sign_in';
  if (!types.includes('nonInteractiveUser') && raw.isInteractive !== false) return 'login';
  // Basic auth (IMAP, POP, SMTP AUTH...) and ROPC send the password on every try, interactive or not.
  const clientApp = str(raw.clientAppUsed);
  if (raw.authenticationProtocol === 'ropc' || (clientApp !== undefined && !MODERN_CLIENTS.has(clientApp))) return 'login';
  return 'token_refresh';
}

/** clientAppUsed values of modern authentication; every other one is a legacy protocol that sends the password. */
const MODERN_CLIENTS = new Set(['Browser', 'Mobile Apps and Desktop clients']);

/**
 * A sign-in of any kind: interactive (v1.0), or from beta's non-interactive, service-principal and
 * managed-identity logs. A workload signing in as itself has no user: its service principal stands
 * in as user.id/user.name, with user.kind saying which it is.
 */
export function normalizeSignIn(raw: unknown, ingested: string): NormalizeResult {
  if (!isObj(raw)) return fail('INPUT_MALFORMED', 'sign-in is not a JSON object');
  const ms = utcMs(raw.createdDateTime);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `sign-in has no valid createdDateTime (got ${JSON.stringify(raw.createdDateTime)})`);
  const types = arr(raw.signInEventTypes).filter((t): t is string => typeof t === 'string');
  const upn = str(raw.userPrincipalName);
  const userId = str(raw.userId);
  const spId = str(raw.servicePrincipalId);
  const spName = str(raw.servicePrincipalName);
  const workloadType = types.find((t) => WORKLOAD_KIND[t] !== undefined);
  const kind = workloadType ? WORKLOAD_KIND[workloadType]! : !upn && !userId && (spId || spName) ? (obj(raw.managedServiceIdentity)?.msiType ? 'managed_identity' : 'service_principal') : 'user';
  const status = obj(raw.status);
  const errorCode = status?.errorCode;
  if (typeof errorCode !== 'number') return fail('FIELD_MISSING', `sign-in has no numeric status.errorCode (got ${JSON.stringify(errorCode)})`);

  const user: NonNullable<SecurityEvent['user']> = { kind };
  if (kind === 'user') {
    if (!upn && !userId) return fail('FIELD_MISSING', 'sign-in has neither userPrincipalName nor userId, and is not a service principal or managed identity sign-in');
    if (upn) user.email = upn;
    if (userId) user.id = userId;
    const name = str(raw.userDisplayName);
    if (name) user.name = name;
  } else {
    // The service principal is the identity; appId names the application it belongs to.
    const id = spId ?? str(raw.appId);
    const name = spName ?? str(raw.appDisplayName);
    if (!id && !name) return fail('FIELD_MISSING', `${kind.replace('_', ' ')} sign-in has neither servicePrincipalId, servicePrincipalName nor appId`);
    if (id) user.id = id;
    if (name) user.name = name;
  }
  const event = base(raw, ms, ingested, 'sign_ins', {
    kind: 'event',
    category: ['authentication'],
    action: errorCode === 0 ? 'login' : failedSignInAction(kind, types, raw),
    outcome: errorCode === 0 ? 'success' : 'failure',
  });
  event.user = user;
  const ip = str(raw.ipAddress);
  const source = sourceOf(ip, raw.location);
  if (source) event.source = source;
  // signIn has no userAgent in v1.0; beta records carry one.
  const ua = str(raw.userAgent);
  if (ua) event.user_agent = { original: ua };

  const labels: Record<string, string> = {};
  setLabel(labels, 'error_code', errorCode);
  setLabel(labels, 'failure_reason', errorCode === 0 ? undefined : status?.failureReason);
  if (INTERRUPTS.has(errorCode)) labels.interrupted = 'true';
  labels.identity_kind = kind;
  if (types.length) labels.sign_in_type = types.join(',');
  setLabel(labels, 'app', raw.appDisplayName);
  setLabel(labels, 'app_id', raw.appId);
  setLabel(labels, 'resource', raw.resourceDisplayName);
  setLabel(labels, 'resource_id', raw.resourceId);
  setLabel(labels, 'client_app', raw.clientAppUsed);
  // How the token was obtained: ropc and deviceCode are what phishing kits and password sprayers use.
  setLabel(labels, 'authentication_protocol', raw.authenticationProtocol);
  setLabel(labels, 'original_transfer_method', raw.originalTransferMethod);
  setLabel(labels, 'incoming_token_type', raw.incomingTokenType);
  setLabel(labels, 'client_credential_type', raw.clientCredentialType);
  setLabel(labels, 'authentication_requirement', raw.authenticationRequirement);
  setLabel(labels, 'user_type', raw.userType);
  setLabel(labels, 'cross_tenant_access_type', raw.crossTenantAccessType);
  setLabel(labels, 'home_tenant_id', raw.homeTenantId);
  setLabel(labels, 'conditional_access', raw.conditionalAccessStatus);
  setLabel(labels, 'interactive', raw.isInteractive);
  setLabel(labels, 'risk_level', raw.riskLevelDuringSignIn);
  setLabel(labels, 'risk_state', raw.riskState);
  setLabel(labels, 'correlation_id', raw.correlationId);
  // The session and the token: what ties one stolen token's uses together across addresses.
  setLabel(labels, 'session_id', raw.sessionId);
  setLabel(labels, 'unique_token_id', raw.uniqueTokenIdentifier);
  if (kind !== 'user') setLabel(labels, 'service_principal_id', spId);
  setLabel(labels, 'msi_type', obj(raw.managedServiceIdentity)?.msiType);
  const device = obj(raw.deviceDetail);
  setLabel(labels, 'device_os', device?.operatingSystem);
  setLabel(labels, 'device_browser', device?.browser);
  setLabel(labels, 'device_id', device?.deviceId);
  setLocationLabels(labels, raw.location);
  event.labels = labels;
  const rel = related([ip], [upn, kind === 'user' ? undefined : (spName ?? spId)]);
  if (rel) event.related = rel;
  return { ok: true, event, ms };
}

// ---- Directory audits (auditLogs/directoryAudits) ----

/** Audit categories that change how the tenant is protected rather than who is in it. */
const CONFIGURATION_CATEGORIES = new Set(['Policy', 'DirectoryManagement', 'Authorization', 'AuthenticationMethodsPolicy']);

/** Modified properties whose new value becomes a label: names and flags, never keys or personal data. */
const AUDIT_VALUE_LABELS: Record<string, string> = {
  'Role.DisplayName': 'role_name',
  'ConsentContext.IsAdminConsent': 'admin_consent',
  'ConsentContext.OnBehalfOfAll': 'consent_for_all',
  ConsentAction_Permissions: 'consent_permissions',
};

const RESULT: Record<string, SecurityEvent['event']['outcome']> = { success: 'success', failure: 'failure', timeout: 'failure' };

export function normalizeDirectoryAudit(raw: unknown, ingested: string): NormalizeResult {
  if (!isObj(raw)) return fail('INPUT_MALFORMED', 'directory audit is not a JSON object');
  const ms = utcMs(raw.activityDateTime);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `directory audit has no valid activityDateTime (got ${JSON.stringify(raw.activityDateTime)})`);
  if (!str(raw.id)) return fail('FIELD_MISSING', 'directory audit has no id');
  const activity = str(raw.activityDisplayName);
  if (!activity) return fail('FIELD_MISSING', 'directory audit has no activityDisplayName');
  const category = str(raw.category);
  // The activity as Entra names it ("Add member to role"), as the Management Activity source keeps Operation.
  const event = base(raw, ms, ingested, 'directory_audits', {
    kind: 'event',
    category: [category && CONFIGURATION_CATEGORIES.has(category) ? 'configuration' : 'iam'],
    action: activity,
    outcome: RESULT[str(raw.result)?.toLowerCase() ?? ''] ?? 'unknown',
  });

  const by = obj(raw.initiatedBy);
  const byUser = obj(by?.user);
  const byApp = obj(by?.app);
  const actorUpn = str(byUser?.userPrincipalName);
  let ip: string | undefined;
  if (byUser && (actorUpn || str(byUser.id))) {
    event.user = { kind: 'user', ...(actorUpn ? { email: actorUpn } : {}), ...(str(byUser.id) ? { id: str(byUser.id)! } : {}), ...(str(byUser.displayName) ? { name: str(byUser.displayName)! } : {}) };
    ip = str(byUser.ipAddress);
  } else if (byApp && (str(byApp.servicePrincipalId) || str(byApp.appId) || str(byApp.displayName))) {
    const id = str(byApp.servicePrincipalId) ?? str(byApp.appId);
    const name = str(byApp.servicePrincipalName) ?? str(byApp.displayName);
    event.user = { kind: 'service_principal', ...(id ? { id } : {}), ...(name ? { name } : {}) };
  }
  if (ip) event.source = { ip };

  const targets = arr(raw.targetResources).map(obj).filter((t): t is Obj => t !== undefined);
  // A user target says so in `type` ("User") or, as in Graph's own directoryAudit example, only in
  // its `@odata.type` (#microsoft.graph.targetResourceUser); a UPN is set on user targets alone.
  const isUser = (t: Obj) => str(t.type)?.toLowerCase() === 'user' || /targetResourceUser$/i.test(str(t['@odata.type']) ?? '') || (!str(t.type) && !!str(t.userPrincipalName)?.includes('@'));
  const targetUser = targets.find((t) => isUser(t) && str(t.userPrincipalName));
  if (targetUser) event.target = { user: { email: str(targetUser.userPrincipalName)! } };

  const labels: Record<string, string> = {};
  setLabel(labels, 'activity', activity);
  setLabel(labels, 'category', category);
  setLabel(labels, 'operation_type', raw.operationType);
  setLabel(labels, 'logged_by_service', raw.loggedByService);
  setLabel(labels, 'result', raw.result);
  setLabel(labels, 'result_reason', raw.resultReason);
  setLabel(labels, 'correlation_id', raw.correlationId);
  setLabel(labels, 'initiated_by_app', byApp?.displayName);
  const first = targets[0];
  setLabel(labels, 'target_type', first?.type);
  setLabel(labels, 'target_name', first?.displayName ?? first?.userPrincipalName);
  setLabel(labels, 'target_id', first?.id);
  // Which properties changed, never their values: those may be key material or personal data.
  const changed = [...new Set(targets.flatMap((t) => arr(t.modifiedProperties).map((m) => str(obj(m)?.displayName)).filter((n): n is string => n !== undefined)))];
  if (changed.length) labels.modified_properties = changed.join(',');
  // The few changed values a rule needs, pairing a property's name with its value (Sigma cannot).
  for (const t of targets) {
    for (const m of arr(t.modifiedProperties).map(obj)) {
      const key = m && AUDIT_VALUE_LABELS[str(m.displayName) ?? ''];
      // Entra writes each value as JSON text ("\"Global Administrator\""): the quotes are not part of it.
      const value = key ? str(m!.newValue)?.replace(/^"(.*)"$/s, '$1') : undefined;
      if (key && value) labels[key] = value;
    }
  }
  // PIM's own records ("Add member to role outside of PIM (permanent)") name the role as a target, not a changed property.
  if (!labels.role_name) setLabel(labels, 'role_name', targets.find((t) => t.type === 'Role')?.displayName);
  event.labels = labels;
  const rel = related([ip], [actorUpn, ...targets.map((t) => str(t.userPrincipalName))]);
  if (rel) event.related = rel;
  return { ok: true, event, ms };
}

// ---- Identity Protection (identityProtection/riskDetections, riskyUsers) ----

export function normalizeRiskDetection(raw: unknown, ingested: string): NormalizeResult {
  if (!isObj(raw)) return fail('INPUT_MALFORMED', 'risk detection is not a JSON object');
  const ms = utcMs(raw.detectedDateTime) ?? utcMs(raw.activityDateTime);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `risk detection has no valid detectedDateTime or activityDateTime (got ${JSON.stringify(raw.detectedDateTime)})`);
  const id = str(raw.id);
  if (!id) return fail('FIELD_MISSING', 'risk detection has no id');
  const upn = str(raw.userPrincipalName);
  const userId = str(raw.userId);
  if (!upn && !userId) return fail('FIELD_MISSING', 'risk detection has neither userPrincipalName nor userId');
  const event = base(raw, ms, ingested, 'risk_detections', { kind: 'alert', category: ['intrusion_detection'], action: 'risk_detection', outcome: 'unknown' });
  event.user = { kind: 'user', ...(upn ? { email: upn } : {}), ...(userId ? { id: userId } : {}), ...(str(raw.userDisplayName) ? { name: str(raw.userDisplayName)! } : {}) };
  const ip = str(raw.ipAddress);
  const source = sourceOf(ip, raw.location);
  if (source) event.source = source;
  const labels: Record<string, string> = {};
  setLabel(labels, 'detection_id', id);
  setLabel(labels, 'risk_event_type', raw.riskEventType);
  setLabel(labels, 'risk_level', raw.riskLevel);
  setLabel(labels, 'risk_state', raw.riskState);
  setLabel(labels, 'risk_detail', raw.riskDetail);
  setLabel(labels, 'detection_timing', raw.detectionTimingType);
  setLabel(labels, 'activity', raw.activity);
  setLabel(labels, 'activity_time', raw.activityDateTime);
  setLabel(labels, 'detection_source', raw.source);
  setLabel(labels, 'token_issuer_type', raw.tokenIssuerType);
  setLabel(labels, 'request_id', raw.requestId);
  setLabel(labels, 'correlation_id', raw.correlationId);
  setLocationLabels(labels, raw.location);
  event.labels = labels;
  const rel = related([ip], [upn]);
  if (rel) event.related = rel;
  return { ok: true, event, ms };
}

export function normalizeRiskyUser(raw: unknown, ingested: string): NormalizeResult {
  if (!isObj(raw)) return fail('INPUT_MALFORMED', 'risky user is not a JSON object');
  const ms = utcMs(raw.riskLastUpdatedDateTime);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `risky user has no valid riskLastUpdatedDateTime (got ${JSON.stringify(raw.riskLastUpdatedDateTime)})`);
  const id = str(raw.id);
  if (!id) return fail('FIELD_MISSING', 'risky user has no id');
  const upn = str(raw.userPrincipalName);
  // A risky user's id is the user's object id.
  const event = base(raw, ms, ingested, 'risky_users', { kind: 'alert', category: ['intrusion_detection'], action: 'risky_user', outcome: 'unknown' });
  event.user = { kind: 'user', id, ...(upn ? { email: upn } : {}), ...(str(raw.userDisplayName) ? { name: str(raw.userDisplayName)! } : {}) };
  const labels: Record<string, string> = {};
  setLabel(labels, 'risk_level', raw.riskLevel);
  setLabel(labels, 'risk_state', raw.riskState);
  setLabel(labels, 'risk_detail', raw.riskDetail);
  setLabel(labels, 'is_deleted', raw.isDeleted);
  setLabel(labels, 'is_processing', raw.isProcessing);
  event.labels = labels;
  const rel = related([], [upn]);
  if (rel) event.related = rel;
  return { ok: true, event, ms };
}

// ---- Security alerts (security/alerts_v2) ----

const EVIDENCE_USER = '#microsoft.graph.security.userEvidence';
const EVIDENCE_MAILBOX = '#microsoft.graph.security.mailboxEvidence';
const EVIDENCE_IP = '#microsoft.graph.security.ipEvidence';
const EVIDENCE_MESSAGE = '#microsoft.graph.security.analyzedMessageEvidence';

export function normalizeAlert(raw: unknown, ingested: string): NormalizeResult {
  if (!isObj(raw)) return fail('INPUT_MALFORMED', 'alert is not a JSON object');
  // Each update of an alert is its own record (and event): the time is when this version was written.
  const ms = utcMs(raw.lastUpdateDateTime) ?? utcMs(raw.createdDateTime);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `alert has no valid lastUpdateDateTime or createdDateTime (got ${JSON.stringify(raw.lastUpdateDateTime)})`);
  const id = str(raw.id);
  if (!id) return fail('FIELD_MISSING', 'alert has no id');
  const event = base(raw, ms, ingested, 'security_alerts', { kind: 'alert', category: ['intrusion_detection'], action: 'security_alert', outcome: 'unknown' });

  const evidence = arr(raw.evidence).map(obj).filter((e): e is Obj => e !== undefined);
  const accounts = evidence
    .filter((e) => e['@odata.type'] === EVIDENCE_USER || e['@odata.type'] === EVIDENCE_MAILBOX)
    .map((e) => ({ account: obj(e.userAccount), mailbox: str(e.primaryAddress) ?? str(e.upn) }));
  // A mail alert may carry only the message (analyzedMessageEvidence): its recipient is the account it is about.
  const messages = evidence.filter((e) => e['@odata.type'] === EVIDENCE_MESSAGE);
  const recipients = [...new Set(messages.map((m) => str(m.recipientEmailAddress)).filter((r): r is string => r !== undefined))];
  if (!accounts.some((a) => str(a.account?.userPrincipalName) || a.mailbox) && recipients.length) accounts.push({ account: undefined, mailbox: recipients[0] });
  const first = accounts.find((a) => str(a.account?.userPrincipalName) || a.mailbox) ?? accounts[0];
  if (first) {
    const u: NonNullable<SecurityEvent['user']> = {};
    const email = str(first.account?.userPrincipalName) ?? first.mailbox;
    const uid = str(first.account?.azureAdUserId);
    const name = str(first.account?.displayName) ?? str(first.account?.accountName);
    if (email) u.email = email;
    if (uid) u.id = uid;
    if (name) u.name = name;
    if (Object.keys(u).length) event.user = u;
  }
  const labels: Record<string, string> = {};
  setLabel(labels, 'alert_id', id);
  setLabel(labels, 'title', raw.title);
  setLabel(labels, 'severity', raw.severity);
  setLabel(labels, 'status', raw.status);
  setLabel(labels, 'category', raw.category);
  setLabel(labels, 'service_source', raw.serviceSource);
  setLabel(labels, 'detection_source', raw.detectionSource);
  setLabel(labels, 'classification', raw.classification);
  setLabel(labels, 'determination', raw.determination);
  setLabel(labels, 'incident_id', raw.incidentId);
  setLabel(labels, 'alert_url', raw.alertWebUrl);
  const techniques = arr(raw.mitreTechniques).filter((t): t is string => typeof t === 'string');
  if (techniques.length) labels.mitre_techniques = techniques.join(',');
  event.labels = labels;
  // Evidence addresses are the attacker's or the victim's, not where this record came from: related, not source.
  const ips = [...evidence.filter((e) => e['@odata.type'] === EVIDENCE_IP).map((e) => str(e.ipAddress)), ...messages.map((m) => str(m.senderIp))];
  const senders = [...new Set(messages.map((m) => str(obj(m.p2Sender)?.emailAddress) ?? str(obj(m.p1Sender)?.emailAddress)).filter((x): x is string => x !== undefined))];
  if (senders.length || recipients.length) event.email = { ...(senders.length ? { from: { address: senders } } : {}), ...(recipients.length ? { to: { address: recipients } } : {}) };
  const rel = related(ips, [...accounts.map((a) => str(a.account?.userPrincipalName) ?? a.mailbox), ...recipients]);
  if (rel) event.related = rel;
  return { ok: true, event, ms };
}

// ---- User-reported messages (delta of the reporting mailbox) ----

const ITEM_ATTACHMENT = '#microsoft.graph.itemAttachment';

/**
 * Message properties that change without the report changing (read state, flags, the etag of
 * each change, a move): kept out of the record, since a delta repeats a message on each of them
 * and the event id must not.
 */
const VOLATILE = new Set([
  '@odata.etag', '@odata.context', 'changeKey', 'isRead', 'lastModifiedDateTime', 'flag', 'categories', 'parentFolderId',
  'inferenceClassification', 'webLink',
]);
/** Content: the attacker's payload stays in the mailbox; the record keeps who sent what to whom. */
const CONTENT = new Set(['body', 'uniqueBody', 'contentBytes', 'item@odata.context']);

function strip(v: Obj): Obj {
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!VOLATILE.has(k) && !CONTENT.has(k)) out[k] = x;
  return out;
}

/**
 * The stored record of one reported message: the message as the delta returned it and its
 * attachments (the reported original, expanded), without volatile properties or content.
 */
export function reportRecord(message: Obj, attachments?: unknown[]): Obj {
  const out = strip(message);
  if (attachments !== undefined) {
    out.attachments = attachments.map((a) => {
      const att = obj(a);
      if (!att) return a;
      const s = strip(att);
      const item = obj(att.item);
      if (item) {
        const i = strip(item);
        if (Array.isArray(item.attachments)) i.attachments = item.attachments.map((x) => (isObj(x) ? strip(x) : x));
        s.item = i;
      }
      return s;
    });
  }
  return out;
}

/**
 * The subject format Defender documents for reports delivered to a custom mailbox:
 * `SafetyAPIAction|NetworkMessageId|SenderIp|FromAddress|(Message Subject)`, with 1 junk, 2 not
 * junk, 3 phishing.
 */
const SUBMISSION_SUBJECT = /^\s*([123])\|([^|]*)\|([^|]*)\|([^|]*)\|\((.*)\)\s*$/s;
const REPORT_TYPE: Record<string, string> = { '1': 'junk', '2': 'not_junk', '3': 'phish' };

function address(v: unknown): string | undefined {
  return str(obj(obj(v)?.emailAddress)?.address)?.trim().toLowerCase();
}

function addresses(v: unknown): string[] {
  return arr(v).map(address).filter((a): a is string => a !== undefined);
}

export function normalizeReportedMessage(raw: unknown, ingested: string): NormalizeResult {
  if (!isObj(raw)) return fail('INPUT_MALFORMED', 'reported message is not a JSON object');
  const ms = utcMs(raw.receivedDateTime);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `reported message has no valid receivedDateTime (got ${JSON.stringify(raw.receivedDateTime)})`);
  if (!str(raw.id)) return fail('FIELD_MISSING', 'reported message has no id');
  const reporter = address(raw.from) ?? address(raw.sender);
  if (!reporter) return fail('FIELD_MISSING', 'reported message has no from or sender address (who reported it)');

  const event = base(raw, ms, ingested, 'reported_mail', { kind: 'event', category: ['email'], action: 'email_reported', outcome: 'unknown' });
  const reporterName = str(obj(obj(raw.from)?.emailAddress)?.name) ?? str(obj(obj(raw.sender)?.emailAddress)?.name);
  event.user = { email: reporter, ...(reporterName ? { name: reporterName } : {}) };

  const labels: Record<string, string> = {};
  const reportSubject = str(raw.subject);
  setLabel(labels, 'report_subject', reportSubject);
  setLabel(labels, 'report_message_id', raw.internetMessageId);
  const submission = reportSubject ? SUBMISSION_SUBJECT.exec(reportSubject) : null;
  const fileAttachments = (list: unknown[]) =>
    list
      .map(obj)
      .filter((a): a is Obj => a !== undefined && a['@odata.type'] !== ITEM_ATTACHMENT)
      .map((a) => ({
        file: {
          ...(str(a.name) ? { name: str(a.name)! } : {}),
          ...(str(a.contentType) ? { mime_type: str(a.contentType)! } : {}),
          ...(typeof a.size === 'number' ? { size: a.size } : {}),
        },
      }));

  const attachments = arr(raw.attachments).map(obj).filter((a): a is Obj => a !== undefined);
  const original = attachments.map((a) => (a['@odata.type'] === ITEM_ATTACHMENT ? obj(a.item) : undefined)).find((i) => i !== undefined);
  const email: NonNullable<SecurityEvent['email']> = {};
  let source: string;
  if (original) {
    // The reported message itself, attached to the report: the most complete account of it.
    source = 'attachment';
    const from = address(original.from) ?? address(original.sender);
    if (from) email.from = { address: [from] };
    const to = [...addresses(original.toRecipients), ...addresses(original.ccRecipients)];
    if (to.length) email.to = { address: [...new Set(to)] };
    const replyTo = addresses(original.replyTo);
    if (replyTo.length) email.reply_to = { address: replyTo };
    const subject = str(original.subject);
    if (subject) email.subject = subject;
    const mid = str(original.internetMessageId);
    if (mid) email.message_id = mid;
    const sent = utcMs(original.sentDateTime);
    if (sent !== undefined) email.origination_timestamp = new Date(sent).toISOString();
    const received = utcMs(original.receivedDateTime);
    if (received !== undefined) email.delivery_timestamp = new Date(received).toISOString();
    const files = fileAttachments(arr(original.attachments));
    if (files.length) email.attachments = files;
    if (typeof original.hasAttachments === 'boolean') labels.original_has_attachments = String(original.hasAttachments);
  } else if (submission) {
    source = 'subject';
  } else {
    // A plain forward: all that is known is the report, so the report stands for the message.
    source = 'report';
    const from = address(raw.sender) ?? reporter;
    email.from = { address: [from] };
    if (reportSubject) email.subject = reportSubject.replace(/^\s*(?:(?:fw|fwd|tr|wg|rv)\s*:\s*)+/i, '');
    const files = fileAttachments(attachments);
    if (files.length) email.attachments = files;
  }
  if (submission) {
    const [, action, networkId, senderIp, fromAddress, subject] = submission;
    labels.report_type = REPORT_TYPE[action!]!;
    setLabel(labels, 'network_message_id', networkId?.trim());
    // The subject is typed by whatever tool filed the report: only a real address goes on.
    if (senderIp && isIP(senderIp.trim())) labels.sender_ip = senderIp.trim();
    // The attached original is better evidence; the subject fills in what it lacks.
    const from = fromAddress?.trim().toLowerCase();
    if (!email.from && from) email.from = { address: [from] };
    if (!email.subject && subject) email.subject = subject;
  }
  labels.original_source = source;
  if (Object.keys(email).length) event.email = email;
  event.labels = labels;
  // The sender's IP is the attacker's mail server, not where the reporter was: related, never source.ip.
  const rel = related([labels.sender_ip], [reporter, ...(email.from?.address ?? [])]);
  if (rel) event.related = rel;
  return { ok: true, event, ms };
}

/** The normalizer of one stream's records. */
export function normalizeRecord(stream: StreamName, raw: unknown, ingested: string): NormalizeResult {
  switch (stream) {
    case 'sign_ins':
    case 'non_interactive_sign_ins':
    case 'service_principal_sign_ins':
    case 'managed_identity_sign_ins':
      return normalizeSignIn(raw, ingested);
    case 'directory_audits':
      return normalizeDirectoryAudit(raw, ingested);
    case 'risk_detections':
      return normalizeRiskDetection(raw, ingested);
    case 'risky_users':
      return normalizeRiskyUser(raw, ingested);
    case 'security_alerts':
      return normalizeAlert(raw, ingested);
    case 'reported_mail':
      return normalizeReportedMessage(raw, ingested);
  }
}

const EXAMPLE_STREAMS = ['sign_ins', 'directory_audits', 'risk_detections', 'risky_users', 'security_alerts', 'reported_mail'] as const;

/** The time property the runner sets on an example of each stream (the record's own time). */
const EXAMPLE_TIME: Record<(typeof EXAMPLE_STREAMS)[number], string> = {
  sign_ins: 'createdDateTime',
  directory_audits: 'activityDateTime',
  risk_detections: 'detectedDateTime',
  risky_users: 'riskLastUpdatedDateTime',
  security_alerts: 'lastUpdateDateTime',
  reported_mail: 'receivedDateTime',
};

/**
 * A rule example's Graph record at `time` (see SourcePlugin.example), given under the name of its
 * stream: a sign-in of any kind (`sign_ins`; a workload's says so in signInEventTypes), a directory
 * audit (`directory_audits`), a risk detection (`risk_detections`), a risky user (`risky_users`), an
 * alerts_v2 alert (`security_alerts`) or a reported message with its `attachments` (`reported_mail`).
 */
export function normalizeExample(record: Record<string, unknown>, time: string): SecurityEvent[] {
  const given = EXAMPLE_STREAMS.filter((k) => record[k] !== undefined);
  const stream = given[0];
  const unknown = Object.keys(record).filter((k) => !(EXAMPLE_STREAMS as readonly string[]).includes(k));
  if (given.length !== 1 || unknown.length || !isObj(record[stream!])) {
    throw errors.inputMalformed({ where: '', problem: `give exactly one of ${EXAMPLE_STREAMS.join(', ')}, holding one Graph record` });
  }
  let raw = record[stream!] as Obj;
  if (stream === 'security_alerts') raw = { createdDateTime: time, ...raw, lastUpdateDateTime: time };
  else if (stream !== 'reported_mail') raw = { ...raw, [EXAMPLE_TIME[stream!]]: time };
  // The record as the poller stores it: volatile properties and content left out.
  else raw = reportRecord({ ...raw, receivedDateTime: time }, Array.isArray(raw.attachments) ? raw.attachments : undefined);
  const r = normalizeRecord(stream!, raw, time);
  if (!r.ok) throw errors.inputMalformed({ where: '', problem: `the Microsoft Graph normalizer rejected the record: ${r.reason}` });
  return [r.event];
}
