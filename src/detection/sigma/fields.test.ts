import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../core/index.js';
import { normalizeActivity } from '../../sources/google-workspace/normalize.js';
import type { ActivityLike } from '../../sources/google-workspace/wire.js';
import { SigmaEngine } from './engine.js';
import { compileLogsource, resolveField } from './fields.js';
import { loadRuleDirs, parseRuleText } from './loader.js';
import { normalizeEventCallback } from '../../sources/slack/normalize.js';
import { slackAccess, slackAudit } from './slack-testing.js';

const T0 = Date.parse('2024-05-06T09:00:00.000Z');
let seq = 0;

type Param = { name: string; value?: string; boolValue?: boolean; intValue?: string; multiValue?: string[] };

/** A Reports API activity as the API returns it (see sources/google-workspace/fixtures), through the real normalizer. */
function activity(app: string, type: string, name: string, parameters: Param[], actor = 'it-admin@example.com'): SecurityEvent {
  seq++;
  const a: ActivityLike = {
    kind: 'admin#reports#activity',
    id: { time: new Date(T0 + seq * 1000).toISOString(), uniqueQualifier: String(-4287616233926452481n + BigInt(seq)), applicationName: app, customerId: 'C03az79cb' },
    etag: `"Ko6VbfFYjNw8LMhZs3O7aZx7Ve4/${seq}"`,
    actor: { callerType: 'USER', email: actor, profileId: '100238475610293847561' },
    ipAddress: '192.0.2.10',
    ...(app === 'drive' ? { ownerDomain: 'example.com' } : {}),
    events: [{ type, name, parameters }],
  };
  const r = normalizeActivity(a, { source: 'google', application: app, ingested: '2024-05-06T12:00:00.000Z' });
  expect(r.deadLetters).toEqual([]);
  return r.events[0]!;
}

describe("SigmaHQ's Google Workspace rules on Reports API activities", () => {
  // fixtures/sigmahq/cloud/gcp/gworkspace: SigmaHQ's rules (their ids), which name fields the way
  // Cloud Logging exports the audit log (protoPayload.*) or by Reports parameter names.
  const dir = fileURLToPath(new URL('./fixtures/sigmahq/cloud/gcp/gworkspace/', import.meta.url));
  const defs = loadRuleDirs([dir]);
  const engine = new SigmaEngine(defs, { minLevel: 'informational' });
  const keyOf = new Map(defs.map((d) => [d.id, d.key]));
  const matched = (e: SecurityEvent) => engine.matchingRules(e);

  const cases: Array<[id: string, title: string, event: () => SecurityEvent]> = [
    ['eafe6f2b-cfec-4612-aec2-49563c33a087', 'government-backed attack warning', () => activity('login', 'attack_warning', 'gov_attack_warning', [{ name: 'affected_email_address', value: 'ceo@example.com' }], 'ceo@example.com')],
    ['2a0bb2dd-eb5f-4517-8cb9-404f8ba764a5', 'out-of-domain mail forwarding', () => activity('login', 'email_forwarding_change', 'email_forwarding_out_of_domain', [{ name: 'email_forwarding_destination_address', value: 'drop@evil.example' }], 'cfo@example.com')],
    ['38360161-76c4-4283-842e-efcf997dafc8', 'suspicious login', () => activity('login', 'account_warning', 'suspicious_login', [{ name: 'affected_email_address', value: 'bob@example.com' }], 'bob@example.com')],
    ['38360161-76c4-4283-842e-efcf997dafc8', 'suspicious programmatic login', () => activity('login', 'account_warning', 'suspicious_programmatic_login', [{ name: 'affected_email_address', value: 'bob@example.com' }], 'bob@example.com')],
    ['780601d1-6376-4f2a-884e-b8d45599f78c', 'MFA disabled', () => activity('admin', 'SECURITY_SETTINGS', 'ENFORCE_STRONG_AUTHENTICATION', [{ name: 'ORG_UNIT_NAME', value: 'Example Org' }, { name: 'NEW_VALUE', value: 'false' }, { name: 'OLD_VALUE', value: 'true' }])],
    ['bf638ef7-4d2d-44bb-a1dc-a238252e6267', 'role privilege deleted', () => activity('admin', 'DELEGATED_ADMIN_SETTINGS', 'REMOVE_PRIVILEGE', [{ name: 'PRIVILEGE_NAME', value: 'USERS_RETRIEVE' }, { name: 'ROLE_NAME', value: 'Help desk' }])],
    ['ee2803f0-71c8-4831-b48b-a1fc57601ee4', 'application removed', () => activity('admin', 'DOMAIN_SETTINGS', 'REMOVE_APPLICATION', [{ name: 'APPLICATION_NAME', value: 'Slack' }])],
    ['04e2a23a-9b29-4a5c-be3a-3542e3f982ba', 'granted domain API access', () => activity('admin', 'DOMAIN_SETTINGS', 'AUTHORIZE_API_CLIENT_ACCESS', [{ name: 'API_CLIENT_NAME', value: '109876543210' }, { name: 'API_SCOPES', multiValue: ['https://mail.google.com/'] }])],
    ['2d1b83e4-17c6-4896-a37b-29140b40a788', 'user granted admin privilege', () => activity('admin', 'USER_SETTINGS', 'GRANT_ADMIN_PRIVILEGE', [{ name: 'USER_EMAIL', value: 'mallory.m@example.com' }])],
    ['36513077-2d8b-4f53-a9c1-7e4b3d6f1c20', 'application added', () => activity('admin', 'DOMAIN_SETTINGS', 'ADD_APPLICATION', [{ name: 'APPLICATION_NAME', value: 'Shady Sync' }])],
    ['d4b4b2e4-7a3f-4c91-b8e2-5d9c1f6a3b80', 'calendar sharing changed', () => activity('admin', 'CALENDAR_SETTINGS', 'CHANGE_CALENDAR_SETTING', [{ name: 'SETTING_NAME', value: 'SHARING_OUTSIDE_DOMAIN' }, { name: 'NEW_VALUE', value: 'READ_WRITE_ACCESS' }])],
    ['ac73aeb9-5f2e-4b18-c3d7-9e1a6f8b2c50', 'external member added to a group', () => activity('admin', 'GROUP_SETTINGS', 'ADD_GROUP_MEMBER', [{ name: 'USER_EMAIL', value: 'x@partner.example.org' }, { name: 'GROUP_EMAIL', value: 'finance@example.com' }, { name: 'MEMBER_TYPE', value: 'EXTERNAL' }])],
    ['bea8ff48-3c7d-4e92-b1a5-8f6d2c4e9b70', 'Gmail route changed', () => activity('admin', 'EMAIL_SETTINGS', 'CHANGE_EMAIL_ROUTE', [{ name: 'ORG_UNIT_NAME', value: 'Example Org' }])],
    ['218edcc9-4b7a-4e62-c8f3-1d5a9b2e7c40', 'password policy changed', () => activity('admin', 'APPLICATION_SETTINGS', 'CHANGE_APPLICATION_SETTING', [{ name: 'APPLICATION_NAME', value: 'Security' }, { name: 'SETTING_NAME', value: 'Password Management - Minimum password length' }, { name: 'OLD_VALUE', value: '12' }, { name: 'NEW_VALUE', value: '8' }])],
    ['6aef64e3-60c6-4782-8db3-8448759c714e', 'role deleted', () => activity('admin', 'DELEGATED_ADMIN_SETTINGS', 'DELETE_ROLE', [{ name: 'ROLE_ID', value: '3894208461012993' }, { name: 'ROLE_NAME', value: 'Help desk' }])],
    ['534c2074-1b9e-4d87-a3f2-6c8e5b2d1f40', 'trusted domain added', () => activity('admin', 'DOMAIN_SETTINGS', 'ADD_TRUSTED_DOMAINS', [{ name: 'DOMAIN_NAME', value: 'evil.example' }])],
    ['f261e386-8b3a-4c21-9f7d-2e5b1a3c8d90', 'user created', () => activity('admin', 'USER_SETTINGS', 'CREATE_USER', [{ name: 'USER_EMAIL', value: 'backdoor@example.com' }])],
    ['22f2fb54-5312-435d-852f-7c74f81684ca', 'application access level changed', () => activity('admin', 'APPLICATION_SETTINGS', 'CHANGE_APPLICATION_SETTING', [{ name: 'SETTING_NAME', value: 'ContextAwareAccess - Access levels' }, { name: 'NEW_VALUE', value: '[]' }])],
    ['5e79cc2d-9f4a-4b27-d1e8-3c6a2f5b8e10', 'Drive file opened to anyone with the link', () => activity('drive', 'acl_change', 'change_acl_editors', [{ name: 'doc_id', value: '1Qx4vJ8m' }, { name: 'doc_title', value: 'Payroll' }, { name: 'visibility', value: 'people_with_link' }, { name: 'owner', value: 'bob@example.com' }], 'bob@example.com')],
    ['aece877c-6b3d-4f18-e2a9-7c5d1b4f9a30', 'Drive ownership transferred', () => activity('drive', 'acl_change', 'transfer_document_ownership', [{ name: 'doc_id', value: '1Qx4vJ8m' }, { name: 'new_value', multiValue: ['mallory@evil.example'] }], 'bob@example.com')],
  ];

  it('has every published Google Workspace rule in the sample', () => {
    expect(new Set(cases.map(([id]) => id))).toEqual(new Set(defs.map((d) => d.id)));
  });

  for (const [id, title, make] of cases) {
    it(`${title}: the rule matches its activity, and only that rule`, () => {
      expect(matched(make())).toEqual([keyOf.get(id)]);
    });
  }

  it('does not match look-alikes: another value, another application, another event', () => {
    expect(matched(activity('admin', 'SECURITY_SETTINGS', 'ENFORCE_STRONG_AUTHENTICATION', [{ name: 'NEW_VALUE', value: 'true' }]))).toEqual([]);
    expect(matched(activity('admin', 'APPLICATION_SETTINGS', 'CHANGE_APPLICATION_SETTING', [{ name: 'SETTING_NAME', value: 'Gmail - Spam settings' }]))).toEqual([]);
    expect(matched(activity('admin', 'GROUP_SETTINGS', 'ADD_GROUP_MEMBER', [{ name: 'MEMBER_TYPE', value: 'INTERNAL' }]))).toEqual([]);
    expect(matched(activity('drive', 'acl_change', 'change_acl_editors', [{ name: 'visibility', value: 'private' }]))).toEqual([]);
    // The login rules' names from another application's log, and admin names from the login log.
    expect(matched(activity('admin', 'DOMAIN_SETTINGS', 'suspicious_login', []))).toEqual([]);
    expect(matched(activity('login', 'login', 'REMOVE_PRIVILEGE', []))).toEqual([]);
    expect(matched(activity('login', 'login', 'login_success', [{ name: 'login_type', value: 'google_password' }]))).toEqual([]);
  });
});

describe('Cloud Logging field names on Google Workspace events', () => {
  const e = activity('admin', 'APPLICATION_SETTINGS', 'CHANGE_APPLICATION_SETTING', [
    { name: 'SETTING_NAME', value: 'Password Management - Enforce strong password' },
    { name: 'NEW_VALUE', value: 'false' },
    { name: 'ENFORCED', boolValue: false },
    { name: 'SCOPES', multiValue: ['a', 'b'] },
  ]);
  const get = (name: string) => resolveField('google-workspace', name).get(e);

  it('reads the AuditLog envelope from the Reports activity', () => {
    expect(get('protoPayload.serviceName')).toBe('admin.googleapis.com');
    expect(get('protoPayload.Servicename')).toBe('admin.googleapis.com');
    expect(get('protoPayload.methodName')).toBe('CHANGE_APPLICATION_SETTING');
    expect(get('protoPayload.metadata.event.eventName')).toBe('CHANGE_APPLICATION_SETTING');
    expect(resolveField('google-workspace', 'protoPayload.metadata.event.eventName').isAction).toBe(true);
    expect(get('protoPayload.metadata.event.eventType')).toBe('APPLICATION_SETTINGS');
    expect(get('protoPayload.authenticationInfo.principalEmail')).toBe('it-admin@example.com');
    expect(get('protoPayload.requestMetadata.callerIp')).toBe('192.0.2.10');
    expect(get('protoPayload.metadata.activityId.uniqQualifier')).toMatch(/^-?\d+$/);
    expect(get('protoPayload.metadata.activityId.timeUsec')).toBe(String(Date.parse(e['@timestamp']) * 1000));
    expect(get('protoPayload.resourceName')).toBeUndefined();
  });

  it('reads parameters by name, and the parameter list as Cloud Logging lays it out', () => {
    expect(get('protoPayload.metadata.event.parameter.SETTING_NAME')).toBe('Password Management - Enforce strong password');
    expect(get('protoPayload.metadata.event.parameter.setting_name')).toBe('Password Management - Enforce strong password');
    expect(get('protoPayload.metadata.event.new_value')).toBe('false');
    expect(get('protoPayload.metadata.event.parameter.name')).toEqual(['SETTING_NAME', 'NEW_VALUE', 'ENFORCED', 'SCOPES']);
    expect(get('protoPayload.metadata.event.parameter.value')).toEqual(['Password Management - Enforce strong password', 'false', false, 'a', 'b']);
    expect(get('protoPayload.metadata.event.parameter.boolValue')).toEqual([false]);
    expect(get('protoPayload.metadata.event.parameter.multiStrValue')).toEqual(['a', 'b']);
  });
});

describe('Slack field names', () => {
  const login = slackAudit({
    id: '0123a45b-6c7d-4e8f-9a0b-1c2d3e4f5a6b',
    date_create: 1_714_986_000,
    action: 'user_login',
    actor: { type: 'user', user: { id: 'W012J3FEWAU', name: 'mallory', email: 'mallory@example.com', team: 'E012MH3HS94' } },
    entity: { type: 'user', user: { id: 'W012J3FEWAU', name: 'mallory', email: 'mallory@example.com' } },
    context: { location: { type: 'enterprise', id: 'E012MH3HS94', name: 'Example Inc.', domain: 'example-inc' }, ua: 'SlackWeb Mozilla/5.0', ip_address: '203.0.113.9', session_id: 2_581_316_728_128 },
  });
  const scopes = slackAudit({
    id: '9d9b76ce-47bb-4838-a96a-1b5fd4d1b564',
    date_create: 1_714_986_100,
    action: 'app_scopes_expanded',
    actor: { type: 'user', user: { id: 'W012J3FEWAU', name: 'mallory', email: 'mallory@example.com' } },
    entity: { type: 'app', app: { id: 'A049JV0H0KC', name: 'Files Backup Pro', scopes: ['files:read', 'admin'] } },
    context: { location: { type: 'workspace', id: 'T01770N79GB' }, ip_address: '203.0.113.9' },
    details: { new_scopes: ['files:read', 'admin'], previous_scopes: ['files:read'] },
  });
  const download = slackAudit({
    id: '72cac009-9eb3-4dde-bac6-ee49a32a1789',
    date_create: 1_714_986_200,
    action: 'file_downloaded',
    actor: { type: 'user', user: { id: 'W012J3FEWAU', email: 'mallory@example.com' } },
    entity: { type: 'file', file: { id: 'F0ABCDEF123', name: 'Salaries 2025.xlsx', filetype: 'xlsx', title: 'Salaries 2025' } },
    context: { location: { type: 'workspace', id: 'T01770N79GB' }, ip_address: '203.0.113.9', ua: 'SlackWeb Mozilla/5.0' },
  });
  const access = slackAccess(
    { user_id: 'W012J3FEWAU', username: 'mallory', date_first: 1_714_980_000, date_last: 1_714_986_000, count: 7, ip: '203.0.113.9', user_agent: 'com.tinyspeck.chatlyio/24.11.10 (iPhone; iOS 18.1; Scale/3.00)', isp: 'M247 Europe SRL', country: 'RO', region: 'Bucuresti' },
    'mallory@example.com',
  );
  const get = (e: SecurityEvent, name: string) => resolveField('slack', name).get(e);

  it("reads Slack's own names and the normalized ones alike, on both logs", () => {
    for (const e of [login, access]) {
      expect([get(e, 'actor.user.email'), get(e, 'user.email')]).toEqual(['mallory@example.com', 'mallory@example.com']);
      expect([get(e, 'context.ip_address'), get(e, 'ip'), get(e, 'source.ip')]).toEqual(['203.0.113.9', '203.0.113.9', '203.0.113.9']);
      expect(get(e, 'context.ua')).toBe(get(e, 'user_agent.original'));
      expect([get(e, 'user_id'), get(e, 'actor.user.id')]).toEqual(['W012J3FEWAU', 'W012J3FEWAU']);
    }
    expect(get(login, 'action')).toBe('user_login');
    expect(resolveField('slack', 'action').isAction).toBe(true);
    expect(get(access, 'action')).toBe('login');
    expect([get(access, 'country'), get(access, 'isp'), get(access, 'count'), get(access, 'date_first')]).toEqual(['RO', 'M247 Europe SRL', 7, 1_714_980_000]);
    // An audit entry's country is where its address geolocates.
    expect(get(login, 'country')).toBeUndefined();
    expect(get({ ...login, source: { ip: '203.0.113.9', geo: { country_iso_code: 'RO' } } }, 'country')).toBe('RO');
    expect([get(login, 'context.location.type'), get(login, 'context.session_id'), get(login, 'entity.type')]).toEqual(['enterprise', 2_581_316_728_128, 'user']);
  });

  it('reads the entity, and details by their bare name', () => {
    expect([get(download, 'entity.file.name'), get(download, 'file.name'), get(download, 'entity.file.filetype')]).toEqual(['Salaries 2025.xlsx', 'Salaries 2025.xlsx', 'xlsx']);
    expect(get(scopes, 'entity.app.scopes')).toEqual(['files:read', 'admin']);
    expect([get(scopes, 'new_scopes'), get(scopes, 'details.previous_scopes')]).toEqual([['files:read', 'admin'], ['files:read']]);
    expect(get(scopes, 'no_such_detail')).toBeUndefined();
  });

  it("reads an Events API callback's inner event as event_callback.*", () => {
    const r = normalizeEventCallback(
      { token: 'deprecated', team_id: 'T01770N79GB', api_app_id: 'A0SAASWATCH', type: 'event_callback', event_id: 'Ev0PV52K21', event_time: 1_714_986_300, event: { type: 'user_change', user: { id: 'W012J3FEWAU', name: 'mallory', is_admin: true, profile: { email: 'mallory@example.com' } } } },
      '2024-05-06T12:00:00.000Z',
    );
    if (!r.ok) throw new Error(r.reason);
    expect([get(r.event, 'event_callback.type'), get(r.event, 'event_callback.user.is_admin'), get(r.event, 'type'), get(r.event, 'team_id')]).toEqual(['user_change', true, 'event_callback', 'T01770N79GB']);
    expect([get(r.event, 'action'), get(r.event, 'actor.user.email')]).toEqual(['user_change', 'mallory@example.com']);
  });

  it("reads the access log's raw user_agent string by Slack's name, while user_agent.original stays the normalized one", () => {
    expect(get(access, 'user_agent')).toBe('com.tinyspeck.chatlyio/24.11.10 (iPhone; iOS 18.1; Scale/3.00)');
    expect(get(access, 'user_agent.original')).toBe(get(access, 'user_agent'));
    expect(get(login, 'user_agent')).toBe('SlackWeb Mozilla/5.0');
    // Other providers have no such alias: their user_agent is the normalized object, as before.
    const g = activity('login', 'login', 'login_success', []);
    expect(resolveField('google-workspace', 'user_agent').get({ ...g, user_agent: { original: 'x' } })).toEqual({ original: 'x' });
  });

  it('matches user_agent|contains in a Slack rule and in a generic one, and only Slack events by that alias', () => {
    const script = slackAccess({ user_id: 'W0SCRIPT01', username: 'bot', date_first: 1_714_980_000, date_last: 1_714_986_000, count: 3, ip: '198.51.100.7', user_agent: 'python-requests/2.31.0', isp: 'Hosting', country: 'US', region: 'Virginia' }, 'ops@example.com');
    const rule = (id: string, logsource: string) =>
      parseRuleText(`title: Scripted Slack access ${id}\nid: ${id}\nstatus: test\nlogsource:\n${logsource}\ndetection:\n  selection:\n    user_agent|contains: python\n  condition: selection\nlevel: medium\n`, `${id}.yml`, id);
    const defs = [...rule('6f9d2b1e-0000-4000-8000-000000000001', '  product: slack'), ...rule('6f9d2b1e-0000-4000-8000-000000000002', '  category: authentication')];
    const engine = new SigmaEngine(defs, { minLevel: 'informational' });
    expect(engine.matchingRules(script).sort()).toEqual(['6f9d2b1e-0000-4000-8000-000000000001', '6f9d2b1e-0000-4000-8000-000000000002']);
    expect(engine.matchingRules(access)).toEqual([]);
    // A Google login with a python agent: the generic rule reads Google's normalized user_agent object, which a string match never meets.
    const g = activity('login', 'login', 'login_success', []);
    expect(engine.matchingRules({ ...g, user_agent: { original: 'python-requests/2.31.0' } })).toEqual([]);
  });

  it('selects Slack by product, and each log by service', () => {
    expect(compileLogsource({ product: 'slack' }).providers).toEqual(['slack']);
    const audit = compileLogsource({ product: 'slack', service: 'audit_logs' });
    const accessLs = compileLogsource({ product: 'slack', service: 'access_logs' });
    const whole = compileLogsource({ product: 'slack', service: 'audit' });
    expect([login, access].map((e) => [audit.test(e), accessLs.test(e), whole.test(e)])).toEqual([[true, false, true], [false, true, true]]);
    expect(compileLogsource({ product: 'slack', category: 'authentication' }).test(login)).toBe(true);
    expect(compileLogsource({ product: 'slack', category: 'authentication' }).test(download)).toBe(false);
  });
});

describe('file sensitivity fields', () => {
  const share = (sensitivity?: 'low' | 'medium' | 'high', pii?: Record<string, number>) => {
    const e = activity('drive', 'acl_change', 'change_document_visibility', [
      { name: 'doc_id', value: '1Xq7bM3kT9vLpR2sWcY8nHdF0aEzGuJiK' },
      { name: 'new_value', multiValue: ['people_with_link'] },
      { name: 'visibility', value: 'people_with_link' },
    ]);
    if (sensitivity) e.file = { ...e.file, sensitivity, ...(pii ? { pii } : {}) };
    return e;
  };
  const rule = (detection: string) =>
    new SigmaEngine(parseRuleText(`title: t\nid: 5d7c1f0e-3a9b-4c2d-8e6f-1a2b3c4d5e6f\nlogsource: { product: google_workspace, service: drive }\ndetection:\n${detection}\nlevel: high\n`, 'rules/x.yml', 'rules/x'), { minLevel: 'informational' });
  const hits = (detection: string, e: SecurityEvent) => rule(detection).matchingRules(e).length > 0;

  it('reads the level, its rank for comparisons, and a type count in any case', () => {
    const e = share('high', { CREDIT_CARD: 120, US_SSN: 3 });
    expect(resolveField('google-workspace', 'file.sensitivity').get(e)).toBe('high');
    expect(resolveField('google-workspace', 'file.sensitivity_rank').get(e)).toBe(3);
    expect(resolveField('google-workspace', 'file.pii.credit_card').get(e)).toBe(120);
    expect(resolveField(undefined, 'file.pii.US_SSN').get(e)).toBe(3);
    expect(resolveField('google-workspace', 'file.sensitivity_rank').get(share())).toBeUndefined();
  });

  it('lets |gte pick medium and above, and a count threshold, without matching an unscanned file', () => {
    const medium = "  sel:\n    file.sensitivity_rank|gte: 2\n  condition: sel";
    expect(hits(medium, share('high'))).toBe(true);
    expect(hits(medium, share('medium'))).toBe(true);
    expect(hits(medium, share('low'))).toBe(false);
    expect(hits(medium, share())).toBe(false);
    const cards = "  sel:\n    file.pii.CREDIT_CARD|gte: 100\n  condition: sel";
    expect(hits(cards, share('high', { CREDIT_CARD: 120 }))).toBe(true);
    expect(hits(cards, share('high', { CREDIT_CARD: 12 }))).toBe(false);
    expect(hits("  sel:\n    file.sensitivity:\n      - high\n      - critical\n  condition: sel", share('high'))).toBe(true);
  });
});
