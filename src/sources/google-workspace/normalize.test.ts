import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventId, type SecurityEvent } from '../../core/index.js';
import { bruteForcePlugin } from '../../detection/brute-force/plugin.js';
import { BUILTIN_RULES_DIR, SigmaEngine, loadRuleDirs } from '../../detection/sigma/index.js';
import { run } from '../../detection/testing.js';
import { feedbackContext, narrowActivity, normalizeActivity, normalizeAlert, normalizeChange, visibilityFromPermissions } from './normalize.js';
import type { ActivityLike, ActivityParameterLike, AlertLike } from './wire.js';

const page = (name: string): ActivityLike[] =>
  (JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as { items: ActivityLike[] }).items;
const INGESTED = '2024-05-07T00:00:00.000Z';
const norm = (a: ActivityLike, application = a.id!.applicationName!) => normalizeActivity(a, { source: 'gw', application, ingested: INGESTED });

describe('normalizeActivity on Reports fixtures', () => {
  it('maps login failure and success with labels, outcome, user and IP', () => {
    const [failure, success] = page('login-activities.json').map((a) => norm(a));
    expect(failure!.deadLetters).toEqual([]);
    const f = failure!.events[0]!;
    expect(f).toMatchObject({
      '@timestamp': '2024-05-06T08:14:03.512Z',
      event: { kind: 'event', category: ['authentication'], action: 'login_failure', outcome: 'failure', provider: 'google-workspace', dataset: 'google-workspace.login', ingested: INGESTED },
      user: { email: 'mallory.m@example.com', id: '113049857732019871021' },
      source: { ip: '203.0.113.77' },
      labels: { login_type: 'google_password', login_challenge_method: 'password', login_failure_type: 'login_failure_invalid_password', is_suspicious: 'true', event_type: 'login', caller_type: 'USER' },
    });
    const s = success!.events[0]!;
    expect(s.event.outcome).toBe('success');
    expect(s.labels?.login_challenge_method).toBe('password,google_authenticator');
    expect(s.file).toBeUndefined();
  });

  it('makes every nested Drive event its own event with file, visibility and target user', () => {
    const [share, download] = page('drive-activities.json').map((a) => norm(a));
    expect(share!.events.map((e) => e.event.action)).toEqual(['change_document_visibility', 'change_user_access']);
    const [vis, acl] = share!.events as [SecurityEvent, SecurityEvent];
    expect(vis.file).toEqual({ id: '1Qx4vJ8mN2pL7rT0sWc3yZ5aB9dE6fGhK', name: 'Q3 customer pricing', owner: 'bob@example.com' });
    expect(vis.share).toEqual({ visibility: 'people_with_link' });
    expect(vis.labels).toMatchObject({ old_value: 'private', new_value: 'people_with_link', visibility_change: 'external' });
    expect(vis.target).toBeUndefined();
    expect(acl.target).toEqual({ user: { email: 'eve@partner.example.org' } });
    expect(acl.related).toEqual({ ip: ['198.51.100.42'], user: ['bob@example.com', 'eve@partner.example.org'] });
    expect(vis.event.category).toEqual(['file']);
    // Two items of one activity are two events with two ids.
    expect(vis.event.id).not.toBe(acl.event.id);
    const d = download!.events[0]!;
    expect(d).toMatchObject({ event: { action: 'download', outcome: 'success' }, source: { ip: '2001:db8:85a3::8a2e:370:7334' }, share: { visibility: 'shared_internally' } });
    expect(d.file?.name).toBe('Board minutes 2024-04.pdf');
  });

  it('maps an admin role grant and an OAuth authorization to iam', () => {
    const admin = norm(page('admin-activities.json')[0]!).events[0]!;
    expect(admin).toMatchObject({
      event: { category: ['iam'], action: 'ASSIGN_ROLE', dataset: 'google-workspace.admin' },
      user: { email: 'it-admin@example.com' },
      target: { user: { email: 'mallory.m@example.com' } },
      labels: { role_name: '_SEED_ADMIN_ROLE' },
    });
    const token = norm(page('token-activities.json')[0]!).events[0]!;
    expect(token).toMatchObject({ event: { category: ['iam'], action: 'authorize', outcome: 'success' }, labels: { app_name: 'Mail Merge Pro', client_type: 'WEB' } });
    expect(token.labels?.scope).toBe('https://www.googleapis.com/auth/drive,https://www.googleapis.com/auth/gmail.readonly,openid');
  });

  it('keeps the activity narrowed to one item as raw, and ids ignore the volatile etag', () => {
    const a = page('drive-activities.json')[0]!;
    const out = norm(a);
    const raw = out.events[1]!.raw as Record<string, unknown>;
    expect(raw.eventIndex).toBe(1);
    expect(raw.events).toEqual([a.events![1]]);
    expect(raw.etag).toBeUndefined();
    expect(raw.id).toEqual(a.id);
    expect(out.events[1]!.event.id).toBe(eventId('google-workspace', narrowActivity(a, 1)));
    const refetched = norm({ ...a, etag: '"another"' });
    expect(refetched.events.map((e) => e.event.id)).toEqual(out.events.map((e) => e.event.id));
    // A different uniqueQualifier at the same time is a different activity.
    const other = norm({ ...a, id: { ...a.id, uniqueQualifier: '1' } });
    expect(other.events[0]!.event.id).not.toBe(out.events[0]!.event.id);
  });

  it('dead-letters an activity without a usable time or without events', () => {
    const a = page('login-activities.json')[0]!;
    const badTime = norm({ ...a, id: { ...a.id, time: 'yesterday' } }, 'login');
    expect(badTime.events).toEqual([]);
    expect(badTime.deadLetters[0]).toMatchObject({ source: 'gw', code: 'TIMESTAMP_INVALID' });
    const noEvents = norm({ ...a, events: [] }, 'login');
    expect(noEvents.deadLetters[0]).toMatchObject({ code: 'FIELD_MISSING' });
  });
});

describe('Drive renames (Drive audit event rename: doc_title is the new title, old_value/new_value lists)', () => {
  const rename = (parameters: ActivityParameterLike[]): ActivityLike => ({
    kind: 'admin#reports#activity',
    id: { time: '2024-05-06T14:02:11.204Z', uniqueQualifier: '-4411235307788011201', applicationName: 'drive', customerId: 'C03az79cb' },
    actor: { email: 'bob@example.com', profileId: '104293840012837465519' },
    ipAddress: '198.51.100.42',
    events: [{ type: 'access', name: 'rename', parameters }],
  });

  it('names the item by its new title and keeps the title it had', () => {
    const e = norm(rename([
      { name: 'primary_event', boolValue: true },
      { name: 'doc_id', value: '1Qx4vJ8mN2pL7rT0sWc3yZ5aB9dE6fGhK' },
      { name: 'doc_type', value: 'spreadsheet' },
      { name: 'doc_title', value: 'Q3 customer pricing.locked' },
      { name: 'old_value', multiValue: ['Q3 customer pricing'] },
      { name: 'new_value', multiValue: ['Q3 customer pricing.locked'] },
      { name: 'owner', value: 'bob@example.com' },
    ])).events[0]!;
    expect(e.event).toMatchObject({ action: 'rename', category: ['file'], outcome: 'success', dataset: 'google-workspace.drive' });
    expect(e.user?.email).toBe('bob@example.com');
    expect(e.file).toEqual({ id: '1Qx4vJ8mN2pL7rT0sWc3yZ5aB9dE6fGhK', name: 'Q3 customer pricing.locked', owner: 'bob@example.com' });
    expect(e.labels).toMatchObject({ previous_name: 'Q3 customer pricing', old_value: 'Q3 customer pricing', new_value: 'Q3 customer pricing.locked' });
  });

  it('keeps a title with a comma whole, and takes the new value as the name when doc_title is missing', () => {
    const e = norm(rename([
      { name: 'doc_id', value: '1bT7' },
      { name: 'old_value', multiValue: ['Budget, draft'] },
      { name: 'new_value', multiValue: ['Budget, final'] },
    ])).events[0]!;
    expect(e.file).toEqual({ id: '1bT7', name: 'Budget, final' });
    expect(e.labels?.previous_name).toBe('Budget, draft');
  });

  it('leaves other Drive events without a previous name', () => {
    const e = norm({ ...rename([{ name: 'doc_id', value: '1bT7' }, { name: 'doc_title', value: 'Budget' }]), events: [{ type: 'access', name: 'edit', parameters: [{ name: 'doc_id', value: '1bT7' }, { name: 'old_value', multiValue: ['x'] }] }] }).events[0]!;
    expect(e.labels?.previous_name).toBeUndefined();
  });
});

describe('Drive changes', () => {
  it('derives visibility from permissions', () => {
    const owner = { id: '1', type: 'user', role: 'owner', emailAddress: 'bob@example.com' };
    expect(visibilityFromPermissions({ permissions: [owner] }, 'example.com')).toBe('private');
    expect(visibilityFromPermissions({ permissions: [owner, { id: 'a', type: 'anyone', role: 'reader', allowFileDiscovery: false }] }, 'example.com')).toBe('people_with_link');
    expect(visibilityFromPermissions({ permissions: [owner, { id: 'a', type: 'anyone', role: 'reader', allowFileDiscovery: true }] }, 'example.com')).toBe('public_on_the_web');
    expect(visibilityFromPermissions({ permissions: [owner, { id: 'x', type: 'user', role: 'writer', emailAddress: 'eve@partner.example.org' }] }, 'example.com')).toBe('shared_externally');
    expect(visibilityFromPermissions({ permissions: [owner, { id: 'd', type: 'domain', role: 'reader', domain: 'example.com' }] }, 'example.com')).toBe('shared_internally');
  });

  it('normalizes a change and a removal as state events', () => {
    const change = {
      kind: 'drive#change', changeType: 'file', time: '2024-05-06T12:00:00.123Z', removed: false, fileId: 'f1',
      file: { id: 'f1', name: 'Payroll.xlsx', mimeType: 'application/vnd.ms-excel', size: '2048', owners: [{ emailAddress: 'dave@example.com' }], permissions: [{ id: 'a', type: 'anyone', role: 'reader' }] },
    };
    const e = normalizeChange(change, { source: 'gw', ingested: INGESTED, orgDomain: 'example.com' }).events[0]!;
    expect(e).toMatchObject({
      '@timestamp': '2024-05-06T12:00:00.123Z',
      event: { kind: 'state', category: ['file'], action: 'drive.file_changed', dataset: 'google-workspace.drive_changes' },
      file: { id: 'f1', name: 'Payroll.xlsx', owner: 'dave@example.com', size: 2048, mime_type: 'application/vnd.ms-excel' },
      share: { visibility: 'people_with_link' },
    });
    const removed = normalizeChange({ kind: 'drive#change', changeType: 'file', time: '2024-05-06T12:01:00Z', removed: true, fileId: 'f1' }, { source: 'gw', ingested: INGESTED, orgDomain: 'example.com' });
    expect(removed.events[0]!.event.action).toBe('drive.file_removed');
    expect(normalizeChange({ fileId: 'f1' }, { source: 'gw', ingested: INGESTED, orgDomain: undefined }).deadLetters).toHaveLength(1);
  });
});

describe('security applications (Google activity references per application)', () => {
  const byName = new Map(page('security-activities.json').map((a) => [a.events![0]!.name!, norm(a).events[0]!] as const));
  const ev = (name: string): SecurityEvent => byName.get(name)!;

  it('makes the account a warning names in affected_email_address its user and target, with no actor', () => {
    expect(ev('suspicious_login')).toMatchObject({
      event: { category: ['authentication', 'intrusion_detection'], dataset: 'google-workspace.login' },
      user: { email: 'carol.d@example.com' },
      target: { user: { email: 'carol.d@example.com' } },
      related: { user: ['carol.d@example.com'] },
    });
    expect(ev('gov_attack_warning')).toMatchObject({ user: { email: 'dana.k@example.com' }, target: { user: { email: 'dana.k@example.com' } } });
  });

  it('maps forwarding, 2SV, calendar grants and ownership transfers onto target and email fields', () => {
    expect(ev('email_forwarding_out_of_domain')).toMatchObject({
      event: { category: ['email', 'configuration'], outcome: 'success' },
      user: { email: 'carol.d@example.com' },
      target: { user: { email: 'carol.backup@protonmail.com' } },
      email: { to: { address: ['carol.backup@protonmail.com'] } },
    });
    expect(ev('2sv_disable')).toMatchObject({ event: { category: ['iam'] }, user: { email: 'carol.d@example.com' } });
    expect(ev('2sv_disable').target).toBeUndefined();
    expect(ev('change_calendar_acls')).toMatchObject({
      target: { user: { email: '__public_principal__@public.calendar.google.com' } },
      labels: { access_level: 'freebusy', calendar_id: 'carol.d@example.com' },
    });
    expect(ev('change_owner')).toMatchObject({
      file: { id: '1aZ9xQw3Er5Ty7Ui9Op1As3Df5Gh7Jk9L', owner: 'carol.d@example.com' },
      target: { user: { email: 'carol.backup@protonmail.com' } },
    });
  });

  it('gives refusals a failure outcome, and policy refusals the iam category: SAML failure, context-aware access denial, a download Chrome blocked', () => {
    expect(ev('login_failure')).toMatchObject({ event: { category: ['iam'], dataset: 'google-workspace.saml', outcome: 'failure' }, labels: { application_name: 'Salesforce', failure_type: 'failure_app_not_configured_for_user' } });
    expect(ev('ACCESS_DENY_EVENT')).toMatchObject({ event: { category: ['iam'], outcome: 'failure' }, labels: { caa_application: 'Gmail' } });
    expect(ev('MALWARE_TRANSFER')).toMatchObject({ event: { category: ['host'], outcome: 'failure' }, user: { email: 'bob@example.com' }, labels: { event_result: 'EVENT_RESULT_BLOCKED' } });
  });

  it('names the member added to a group, the account Google staff accessed, and the DLP rule that fired', () => {
    expect(ev('add_member')).toMatchObject({ user: { email: 'it-admin@example.com' }, target: { user: { email: 'eve@partner.example.org' } } });
    expect(ev('ACCESS')).toMatchObject({ event: { category: ['iam'] }, target: { user: { email: 'dana.k@example.com' } }, labels: { product_category: 'Drive' } });
    expect(ev('rule_trigger')).toMatchObject({ event: { category: ['intrusion_detection'] }, labels: { rule_name: 'Block credit card numbers', rule_type: 'dlp', has_alert: 'true' } });
  });

  it("makes the account an admin turns 2SV or Advanced Protection off for the target, the admin the user", () => {
    for (const name of ['TURN_OFF_2_STEP_VERIFICATION', 'UNENROLL_USER_FROM_TITANIUM']) {
      const a: ActivityLike = {
        id: { time: '2024-05-06T12:00:00.000Z', uniqueQualifier: '-7720938471209384711', applicationName: 'admin', customerId: 'C03az79cb' },
        actor: { callerType: 'USER', email: 'it-admin@example.com' },
        events: [{ type: 'USER_SETTINGS', name, parameters: [{ name: 'USER_EMAIL', value: 'carol.d@example.com' }] }],
      };
      expect(norm(a).events[0]).toMatchObject({ event: { action: name, category: ['iam'] }, user: { email: 'it-admin@example.com' }, target: { user: { email: 'carol.d@example.com' } } });
    }
  });

  it('never reads a category from Object.prototype for a hostile event type', () => {
    const a = page('security-activities.json')[0]!;
    const out = norm({ ...a, events: [{ type: 'constructor', name: 'x' }] }, 'login');
    expect(out.events[0]!.event.category).toEqual(['authentication']);
  });
});

describe('policy refusals and the brute-force detectors', () => {
  const T0 = Date.parse('2024-05-06T09:00:00.000Z');
  // One user retrying Gmail from an unmanaged laptop: Google logs each refusal (context-aware access audit).
  const refusal = (i: number, app: string, type: string, name: string, parameters: ActivityParameterLike[]): ActivityLike => ({
    kind: 'admin#reports#activity',
    id: { time: new Date(T0 + i * 15_000).toISOString(), uniqueQualifier: String(3312098471230948712n + BigInt(i)), applicationName: app, customerId: 'C03az79cb' },
    actor: { callerType: 'USER', email: 'bob@example.com', profileId: '109384712093847120938' },
    ipAddress: '203.0.113.50',
    events: [{ type, name, parameters }],
  });
  const streams: Record<string, (i: number) => ActivityLike> = {
    'context-aware access denials': (i) =>
      refusal(i, 'context_aware_access', 'CONTEXT_AWARE_ACCESS_USER_EVENT', 'ACCESS_DENY_EVENT', [
        { name: 'CAA_ACCESS_LEVEL_APPLIED', multiValue: ['corp_managed_device'] },
        { name: 'CAA_APPLICATION', value: 'Gmail' },
        { name: 'DEVICE_STATE', value: 'Unmanaged' },
      ]),
    'SAML refusals': (i) => refusal(i, 'saml', 'login', 'login_failure', [{ name: 'application_name', value: 'Salesforce' }, { name: 'failure_type', value: 'failure_app_not_configured_for_user' }]),
    'blocked sensitive actions': (i) => refusal(i, 'login', 'risky_sensitive_action', 'risky_sensitive_action_blocked', [{ name: 'sensitive_action_name', value: 'change_password' }]),
  };
  const events = (make: (i: number) => ActivityLike): SecurityEvent[] => Array.from({ length: 25 }, (_, i) => norm(make(i)).events).flat();
  const bruteForce = (evs: SecurityEvent[]) => run(bruteForcePlugin.create(bruteForcePlugin.configSchema.parse({}), {} as never), evs).flushed;
  const sigma = (evs: SecurityEvent[]) => {
    const engine = new SigmaEngine(loadRuleDirs([join(BUILTIN_RULES_DIR, 'auth')]));
    const found = evs.flatMap((e) => engine.observe(e));
    return [...found, ...engine.flush({ final: true })].filter((f) => /brute_force|brute-force|spray/.test(f.rule));
  };

  for (const [what, make] of Object.entries(streams)) {
    it(`raises no brute force from 25 ${what} 15 s apart for one user`, () => {
      const evs = events(make);
      expect(evs).toHaveLength(25);
      expect(evs.every((e) => e.event.outcome === 'failure')).toBe(true);
      expect(bruteForce(evs)).toEqual([]);
      expect(sigma(evs)).toEqual([]);
    });
  }

  it('still raises one from 25 wrong passwords 15 s apart for that user', () => {
    const evs = events((i) => refusal(i, 'login', 'login', 'login_failure', [{ name: 'login_type', value: 'google_password' }, { name: 'login_failure_type', value: 'login_failure_invalid_password' }]));
    expect(bruteForce(evs).map((f) => f.entity)).toContainEqual({ type: 'user', value: 'bob@example.com' });
    expect(sigma(evs).length).toBeGreaterThan(0);
  });
});

describe('activities relayed one event per line', () => {
  // A Reports login activity (https://developers.google.com/admin-sdk/reports/v1/appendix/activity/login)
  // as collectors that split activities per event store it: `events` one object, ids as numbers.
  it('reads an activity whose events is a single object as that one event', () => {
    const activity = {
      kind: 'admin#reports#activity', id: { time: '2024-05-06T15:00:00Z', uniqueQualifier: 4213, applicationName: 'login', customerId: 'C03az79cb' },
      actor: { callerType: 'USER', email: 'carol.d@example.com', profileId: 11450342 }, ipAddress: '203.0.113.77',
      events: { type: 'account_warning', name: 'suspicious_login', parameters: [{ name: 'affected_email_address', value: 'carol.d@example.com' }, { name: 'login_timestamp', intValue: '1714996800000000' }] },
    } as unknown as ActivityLike;
    const out = normalizeActivity(activity, { source: 'gw', application: 'login', ingested: INGESTED });
    expect(out.deadLetters).toEqual([]);
    expect(out.events).toHaveLength(1);
    expect(out.events[0]).toMatchObject({ event: { action: 'suspicious_login', category: ['authentication', 'intrusion_detection'] }, user: { email: 'carol.d@example.com', id: '11450342' }, source: { ip: '203.0.113.77' } });
    expect((out.events[0]!.raw as { events: unknown[] }).events).toEqual([activity.events]);
  });
});

describe('Alert Center alerts', () => {
  const alerts = (JSON.parse(readFileSync(new URL('./fixtures/alert-center-alerts.json', import.meta.url), 'utf8')) as { alerts: AlertLike[] }).alerts;
  const one = (a: AlertLike): SecurityEvent => normalizeAlert(a, { source: 'gw', ingested: INGESTED }).events[0]!;

  it('makes a suspicious login an alert event about its account, at createTime, with its address', () => {
    expect(one(alerts[0]!)).toMatchObject({
      '@timestamp': '2024-05-06T09:48:30.512Z',
      event: { kind: 'alert', category: ['authentication', 'intrusion_detection'], action: 'Suspicious login', dataset: 'google-workspace.alert_center', outcome: 'unknown' },
      user: { email: 'carol.d@example.com' },
      target: { user: { email: 'carol.d@example.com' } },
      source: { ip: '203.0.113.77' },
      labels: { alert_id: '8e0c3f1a-7b52-4a0c-9d1e-2f6a4b8c0d11', alert_type: 'Suspicious login', alert_source: 'Google identity', alert_payload: 'AccountWarning', severity: 'HIGH', status: 'NOT_STARTED', start_time: '2024-05-06T09:40:52Z' },
    });
  });

  it('reads who each payload names: a state-sponsored attack its victim, a DLP rule its trigger, a phishing alert its recipients', () => {
    expect(one(alerts[1]!)).toMatchObject({ user: { email: 'dana.k@example.com' }, target: { user: { email: 'dana.k@example.com' } } });
    // The recipient (or reporter) of a phish received it: mail fields and related.user, not the event's user or target.
    const phish = one(alerts[2]!);
    expect(phish).toMatchObject({ email: { from: { address: ['billing@examp1e-payments.com'] }, to: { address: ['bob@example.com'] } }, related: { user: ['bob@example.com'] }, event: { category: ['email', 'intrusion_detection'] }, labels: { severity: 'MEDIUM' } });
    expect(phish.user).toBeUndefined();
    expect(phish.target).toBeUndefined();
    // A DLP rule's triggering user acted; Google does not say the account is compromised.
    const dlp = one(alerts[3]!);
    expect(dlp).toMatchObject({ user: { email: 'bob@example.com' }, labels: { rule_name: 'Block credit card numbers', severity: 'LOW' }, event: { category: ['file', 'intrusion_detection'] } });
    expect(dlp.target).toBeUndefined();
  });

  // Payloads as Google's alert-type reference describes them (https://developers.google.com/admin-sdk/alertcenter/reference/alert-types):
  // each names its people in its own field, and a proto name can arrive with trailing white space.
  it('reads the people of sensitive admin actions, Google operations, user changes and allowlist alerts', () => {
    const base = { customerId: '03az79cb', createTime: '2024-05-07T08:00:00.120Z', metadata: { severity: 'HIGH', status: 'NOT_STARTED' } };
    const reset = one({ ...base, alertId: 'c1', type: 'Super admin password reset', source: 'Sensitive Admin Action', data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.SensitiveAdminAction', eventTime: '2024-05-07T07:58:11Z', actorEmail: 'it.lead@example.com', superAdminPasswordResetEvent: { userEmail: 'root.admin@example.com' } } });
    expect(reset).toMatchObject({ event: { category: ['iam'] }, user: { email: 'it.lead@example.com' }, target: { user: { email: 'root.admin@example.com' } } });
    const primary = one({ ...base, alertId: 'c2', type: 'Primary admin changed', source: 'Sensitive Admin Action', data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.SensitiveAdminAction ', actorEmail: 'it.lead@example.com', primaryAdminChangedEvent: { domain: 'example.com', previousAdminEmail: 'old.admin@example.com', updatedAdminEmail: 'new.admin@example.com' } } });
    expect(primary).toMatchObject({ labels: { alert_payload: 'SensitiveAdminAction' }, target: { user: { email: 'new.admin@example.com' } } });
    expect(primary.related?.user).toEqual(['it.lead@example.com', 'new.admin@example.com', 'old.admin@example.com']);
    const ops = one({ ...base, alertId: 'c3', type: 'Google Operations', source: 'Google Operations', data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.GoogleOperations', title: 'Unusual access to your data', affectedUserEmails: ['ana@example.com', 'ben@example.com'], domain: 'example.com' } });
    expect(ops).toMatchObject({ user: { email: 'ana@example.com' }, target: { user: { email: 'ana@example.com' } } });
    expect(ops.related?.user).toEqual(['ana@example.com', 'ben@example.com']);
    const suspended = one({ ...base, alertId: 'c4', type: 'User suspended', source: 'Google identity', data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.UserChanges', name: 'ana@example.com' } });
    expect(suspended).toMatchObject({ event: { category: ['iam'] }, user: { email: 'ana@example.com' } });
    const allow = one({ ...base, alertId: 'c5', type: 'Misconfigured whitelist', source: 'Gmail phishing', data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.BadWhitelist', maliciousEntity: { fromHeader: 'billing@sales.example' }, messages: [{ messageId: 'x1@sales.example', recipient: 'ana@example.com' }], sourceIp: '198.51.100.23' } });
    expect(allow.source).toBeUndefined();
    expect(allow.related?.ip).toEqual(['198.51.100.23']);
    const dlp = one({ ...base, alertId: 'c6', type: 'Data Loss Prevention', source: 'Data Loss Prevention', data: { '@type': 'type.googleapis.com/google.apps.alertcenter.type.DlpRuleViolation ', ruleViolationInfo: { ruleInfo: { displayName: 'Card numbers' }, triggeringUserEmail: 'ana@example.com', recipients: ['buyer@partner.example'] } } });
    expect(dlp).toMatchObject({ event: { category: ['file', 'intrusion_detection'] }, labels: { alert_payload: 'DlpRuleViolation' } });
    expect(dlp.related?.user).toEqual(['ana@example.com', 'buyer@partner.example']);
    // Feedback on each of these names the same alert: payload and user as the alert's own event reads them.
    const alertsOf = [reset, primary, ops, suspended, dlp];
    for (const a of alertsOf) {
      expect(feedbackContext(a.raw as AlertLike), a.labels!.alert_id).toEqual({ type: a.labels!.alert_type, payload: a.labels!.alert_payload, user: a.user?.email });
    }
  });

  it('keeps one id per alertId whatever Google updates on it', () => {
    const first = one(alerts[0]!);
    const updated = one({ ...alerts[0]!, metadata: { status: 'IN_PROGRESS', severity: 'HIGH', assignee: 'secops@example.com' }, etag: 'new', updateTime: '2024-05-06T11:00:00Z' });
    expect(updated.event.id).toBe(first.event.id);
    expect(one(alerts[1]!).event.id).not.toBe(first.event.id);
  });

  it('dead-letters an alert without alertId or createTime', () => {
    expect(normalizeAlert({ ...alerts[0]!, alertId: undefined }, { source: 'gw', ingested: INGESTED }).deadLetters[0]).toMatchObject({ code: 'FIELD_MISSING' });
    expect(normalizeAlert({ ...alerts[0]!, createTime: 'soon' }, { source: 'gw', ingested: INGESTED }).deadLetters[0]).toMatchObject({ code: 'TIMESTAMP_INVALID' });
  });
});
