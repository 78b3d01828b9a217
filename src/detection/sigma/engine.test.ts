import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dedupKey, type Finding, type SecurityEvent } from '../../core/index.js';
import { FIRST_PARTY_APPS, generateUsers, seededRandom, signInRecord } from '../../fakes/microsoft-graph/records.js';
import { normalizeActivity } from '../../sources/google-workspace/normalize.js';
import { normalizeSignIn } from '../../sources/microsoft-graph/normalize.js';
import type { ActivityLike } from '../../sources/google-workspace/wire.js';
import { Rng } from '../random.js';
import { feed, run, testEvent } from '../testing.js';
import { BUILTIN_RULES_DIR, sigmaConfigSchema } from './config.js';
import { SigmaEngine } from './engine.js';
import { parseRuleText } from './loader.js';
import { sigmaPlugin } from './plugin.js';
import { runRuleTests } from './rule-tests.js';
import { registry } from '../../registry.js';

const T0 = Date.parse('2024-05-06T09:00:00.000Z');
const SEC = 1000;
const MIN = 60 * SEC;

function engine(yaml: string, opts: ConstructorParameters<typeof SigmaEngine>[1] = {}): SigmaEngine {
  return new SigmaEngine(parseRuleText(yaml, 'test.yml', 'rules/test'), opts);
}

function google(activity: Record<string, unknown>): SecurityEvent[] {
  const a = activity as ActivityLike;
  return normalizeActivity(a, { source: 'g', application: String(a.id?.applicationName), ingested: '2024-05-06T12:00:00.000Z' }).events;
}

/** Reports API admin activity, shaped like the real wire format (src/sources/google-workspace/fixtures). */
function adminActivity(name: string, type: string, params: Array<Record<string, unknown>>, t = T0): SecurityEvent {
  return google({
    kind: 'admin#reports#activity',
    id: { time: new Date(t).toISOString(), uniqueQualifier: String(t), applicationName: 'admin', customerId: 'C03az79cb' },
    etag: '"x"',
    actor: { callerType: 'USER', email: 'it-admin@example.com', profileId: '100238475610293847561' },
    ipAddress: '192.0.2.10',
    events: [{ type, name, parameters: params }],
  })[0]!;
}

describe('SigmaHQ Entra ID sign-in rules against Graph sign-in records', () => {
  // Detections of SigmaHQ's rules/cloud/azure/signin_logs (ids kept), written against Azure Monitor's
  // SigninLogs columns; Graph serves the same sign-ins with its own property names.
  const rules = parseRuleText(
    `
title: Entra account locked out
id: 2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a
logsource: { product: azure, service: signinlogs }
detection: { selection: { ResultType: 50053 }, condition: selection }
level: medium
---
title: Entra sign-in with only single-factor authentication required
id: 28eea407-28d7-4e42-b0be-575d5ba60b2c
logsource: { product: azure, service: signinlogs }
detection: { selection: { Status: Success, AuthenticationRequirement: singleFactorAuthentication }, condition: selection }
level: low
---
title: Entra sign-in blocked by conditional access
id: 9a60e676-26ac-44c3-814b-0c2a8b977adf
logsource: { product: azure, service: signinlogs }
detection: { selection: { ResultType: 53003 }, condition: selection }
level: medium
---
title: Entra sign-in from a non-compliant device
id: 4f77e1d7-3982-4ee0-8489-abf2d6b75284
logsource: { product: azure, service: signinlogs }
detection: { selection: { DeviceDetail.isCompliant: false }, condition: selection }
level: high
---
title: Entra sign-in from outside the countries we operate in
logsource: { product: azure, service: signinlogs }
detection: { selection: { Location|contains: NG }, filter: { ResultDescription|contains: credentials }, condition: selection and not filter }
level: medium
`,
    'azure.yml',
    'rules/azure',
  );
  const engine = new SigmaEngine(rules, { minLevel: 'informational' });
  const byId = new Map(rules.map((r) => [r.id ?? r.title, r.key]));
  const [user] = generateUsers({ count: 1, seed: 4 });
  const rng = seededRandom(9);
  /** A Graph sign-in through the real normalizer, with `extra` over the record's properties. */
  const signIn = (extra: Record<string, unknown>, failure?: readonly [number, string]): SecurityEvent => {
    const rec = { ...signInRecord(rng, { user: user!, createdMs: T0, app: FIRST_PARTY_APPS[1]!, ...(failure ? { failure } : {}) }), ...extra };
    const r = normalizeSignIn(rec, '2024-05-06T10:00:00.000Z');
    if (!r.ok) throw new Error(r.reason);
    return r.event;
  };
  const matched = (e: SecurityEvent) => engine.matchingRules(e).sort();

  it('maps SigninLogs columns onto Graph properties: ResultType, Status, PascalCase paths', () => {
    const compliant = { deviceDetail: { isCompliant: true, isManaged: true } };
    expect(matched(signIn(compliant, [50053, 'Account is locked because user tried to sign in too many times.']))).toEqual([byId.get('2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a')]);
    expect(matched(signIn(compliant, [53003, 'Access has been blocked by Conditional Access policies.']))).toEqual([byId.get('9a60e676-26ac-44c3-814b-0c2a8b977adf')]);
    expect(matched(signIn({ ...compliant, authenticationRequirement: 'singleFactorAuthentication' }))).toEqual([byId.get('28eea407-28d7-4e42-b0be-575d5ba60b2c')]);
    // Single factor but failed: Status is Failure.
    expect(matched(signIn({ ...compliant, authenticationRequirement: 'singleFactorAuthentication' }, [50126, 'Invalid username or password.']))).toEqual([]);
    expect(matched(signIn({ ...compliant, authenticationRequirement: 'multiFactorAuthentication' }))).toEqual([]);
    expect(matched(signIn({ deviceDetail: { isCompliant: false } }))).toEqual([byId.get('4f77e1d7-3982-4ee0-8489-abf2d6b75284')]);
  });

  it('reads Location and ResultDescription, and leaves records of other providers alone', () => {
    const far = { deviceDetail: { isCompliant: true }, location: { countryOrRegion: 'NG', city: 'Lagos' } };
    expect(matched(signIn(far))).toEqual([byId.get('Entra sign-in from outside the countries we operate in')]);
    expect(matched(signIn(far, [50126, 'Error validating credentials due to invalid username or password.']))).toEqual([]);
    // A Google login failure with a field of the same name is not a sign-in log.
    const google = testEvent({ time: T0, user: 'a@example.com', outcome: 'failure' });
    expect(matched({ ...google, raw: { ResultType: 50053, status: { errorCode: 50053 } } })).toEqual([]);
  });
});

describe('SigmaHQ Google Workspace rules against Reports API records', () => {
  // Rules as SigmaHQ publishes them (rules/cloud/gcp/gworkspace), written against GCP-exported field names.
  const sigmahq = `
title: Google Workspace MFA Disabled
id: 780601d1-6376-4f2a-884e-b8d45599f78c
status: test
logsource:
  product: gcp
  service: google_workspace.admin
detection:
  selection_base:
    eventService: admin.googleapis.com
    eventName:
      - ENFORCE_STRONG_AUTHENTICATION
      - ALLOW_STRONG_AUTHENTICATION
  selection_eventValue:
    new_value: 'false'
  condition: all of selection*
level: medium
---
title: Google Workspace Role Privilege Deleted
id: bf638ef7-4d2d-44bb-a1dc-a238252e6267
status: test
logsource:
  product: gcp
  service: google_workspace.admin
detection:
  selection:
    eventService: admin.googleapis.com
    eventName: REMOVE_PRIVILEGE
  condition: selection
level: medium
---
title: Google Workspace Granted Domain API Access
id: 04e2a23a-9b29-4a5c-be3a-3542e3f982ba
status: test
logsource:
  product: gcp
  service: google_workspace.admin
detection:
  selection:
    eventService: admin.googleapis.com
    eventName: AUTHORIZE_API_CLIENT_ACCESS
  condition: selection
level: medium
---
title: Google Workspace Application Access Level Modified
id: 22f2fb54-5312-435d-852f-7c74f81684ca
status: test
logsource:
  product: gcp
  service: google_workspace.admin
detection:
  selection:
    eventService: admin.googleapis.com
    eventName: CHANGE_APPLICATION_SETTING
    setting_name|startswith: 'Session Control Settings'
  condition: selection
level: medium
`;
  const e = engine(sigmahq);

  it('matches the records the rules describe, via eventService/eventName and case-insensitive parameter names', () => {
    const mfaOff = adminActivity('ENFORCE_STRONG_AUTHENTICATION', 'SECURITY_SETTINGS', [
      { name: 'ORG_UNIT_NAME', value: 'Example Org' },
      { name: 'NEW_VALUE', value: 'false' },
      { name: 'OLD_VALUE', value: 'true' },
    ]);
    const fs = e.observe(mfaOff);
    expect(fs.map((f) => f.rule)).toEqual(['rules/test/780601d1-6376-4f2a-884e-b8d45599f78c']);
    expect(fs[0]).toMatchObject({ title: 'Google Workspace MFA Disabled (it-admin@example.com)', severity: 'medium', entity: { type: 'user', value: 'it-admin@example.com' }, windowStart: T0, evidence: [mfaOff.event.id] });
    expect(e.observe(adminActivity('REMOVE_PRIVILEGE', 'DELEGATED_ADMIN_SETTINGS', [{ name: 'ROLE_NAME', value: 'Help desk' }]))).toHaveLength(1);
    expect(e.observe(adminActivity('AUTHORIZE_API_CLIENT_ACCESS', 'DOMAIN_SETTINGS', [{ name: 'API_CLIENT_NAME', value: '1234' }]))).toHaveLength(1);
    expect(
      e.observe(adminActivity('CHANGE_APPLICATION_SETTING', 'APPLICATION_SETTINGS', [{ name: 'SETTING_NAME', value: 'Session Control Settings - Web session duration' }])),
    ).toHaveLength(1);
  });

  it('does not match look-alikes', () => {
    // MFA enforced (new value true), a different setting, and the same event name from the login log.
    expect(e.observe(adminActivity('ENFORCE_STRONG_AUTHENTICATION', 'SECURITY_SETTINGS', [{ name: 'NEW_VALUE', value: 'true' }]))).toEqual([]);
    expect(e.observe(adminActivity('CHANGE_APPLICATION_SETTING', 'APPLICATION_SETTINGS', [{ name: 'SETTING_NAME', value: 'Gmail - Spam settings' }]))).toEqual([]);
    const login = google({ id: { time: new Date(T0).toISOString(), uniqueQualifier: '1', applicationName: 'login' }, actor: { email: 'a@example.com' }, events: [{ type: 'x', name: 'REMOVE_PRIVILEGE' }] });
    expect(e.observe(login[0]!)).toEqual([]);
  });

  it('reads the shipped admin fixture: ASSIGN_ROLE by raw and by normalized field names alike', () => {
    const page = JSON.parse(readFileSync(new URL('../../sources/google-workspace/fixtures/admin-activities.json', import.meta.url), 'utf8')) as { items: Record<string, unknown>[] };
    const events = page.items.flatMap(google);
    const rules = engine(`
title: by vendor fields
logsource: { product: google_workspace, service: admin }
detection:
  sel: { eventName: assign_role, id.applicationName: admin, actor.callerType: USER, ROLE_NAME|contains: ADMIN, ipAddress|cidr: 192.0.2.0/24 }
  condition: sel
---
title: by normalized fields
logsource: { product: google_workspace, service: admin }
detection:
  sel: { event.action: ASSIGN_ROLE, user.email|endswith: '@example.com', target.user.email: mallory.m@example.com, source.ip: 192.0.2.10 }
  condition: sel
`);
    expect(events.flatMap((ev) => rules.matchingRules(ev)).sort()).toEqual(['rules/test/1', 'rules/test/2']);
  });
});

describe('correlation rules', () => {
  const base = `
title: failed
name: failed
logsource: { category: authentication }
detection: { sel: { event.outcome: failure }, condition: sel }
`;
  const fail = (t: number, ip: string, user: string, nonce?: number) => testEvent({ time: t, ip, user, outcome: 'failure', ...(nonce !== undefined ? { nonce } : {}) });

  it('event_count fires at the threshold with windowStart at the oldest event in the window, once per burst', () => {
    const e = engine(`${base}---
title: many failures
correlation: { type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 10 } }
level: critical
`);
    const events = Array.from({ length: 30 }, (_, i) => fail(T0 + i * 10 * SEC, '203.0.113.9', `u${i % 4}@example.com`));
    for (const ev of events.slice(0, 9)) expect(feed(e, [ev])).toEqual([]);
    const [f] = feed(e, [events[9]!]);
    expect(f).toMatchObject({ rule: 'rules/test', severity: 'critical', entity: { type: 'ip', value: '203.0.113.9' }, windowStart: T0, windowEnd: T0 + 90 * SEC });
    expect(f!.evidence).toEqual(events.slice(0, 10).map((x) => x.event.id));
    expect(f!.description).toMatch(/many failures: 10 matching events .* source\.ip=203\.0\.113\.9/);
    const rest = run(e, events.slice(10));
    expect(rest.live).toEqual([]);
    const last = rest.flushed.at(-1)!;
    expect(dedupKey(last)).toBe(dedupKey(f!));
    expect(last.observed).toMatchObject({ events: 30, peak_window_events: 30 });
  });

  it('counts a backfill a day behind a live source, up to the watermark the slower one promises', () => {
    const e = engine(`${base}---
title: many failures
correlation: { type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 10 } }
`);
    // The live source is a day ahead; the backfill's burst interleaves with it, as sources polled side by side deliver.
    const live = Array.from({ length: 20 }, (_, i) => testEvent({ time: T0 + 24 * 3600 * SEC + i * MIN, ip: `192.0.2.${i}`, user: 'x@example.com', outcome: 'failure', dataset: 'test.live' }));
    const backfill = Array.from({ length: 20 }, (_, i) => testEvent({ time: T0 + i * 10 * SEC, ip: '203.0.113.9', user: `u${i}@example.com`, outcome: 'failure', dataset: 'test.backfill' }));
    const found: Finding[] = [];
    for (let i = 0; i < 20; i++) {
      e.observe(live[i]!);
      e.observe(backfill[i]!);
      // The pipeline's watermark is the backfill's promise: it is the one behind.
      found.push(...e.flush({ final: false, watermark: Date.parse(backfill[i]!['@timestamp']) + 1 }));
    }
    expect([...new Set(found.map((f) => f.entity.value))]).toEqual(['203.0.113.9']);
    expect(found[0]).toMatchObject({ windowStart: T0, observed: { events: 10 } });
  });

  it('base rules of a correlation report nothing themselves unless generate is true', () => {
    const corr = (generate: boolean) => `${base}---
title: c
correlation: { type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: { gte: 100 }, generate: ${generate} }
`;
    const ev = fail(T0, '192.0.2.1', 'a@example.com');
    expect(feed(engine(corr(false)), [ev])).toEqual([]);
    expect(feed(engine(corr(true)), [ev]).map((f) => f.rule)).toEqual(['rules/test/failed']);
  });

  it('value_count counts distinct values in the sliding window', () => {
    const e = engine(`${base}---
title: spray
correlation: { type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user.email, gte: 5 } }
`);
    // Many failures for 4 users: no spray; the 5th distinct user makes one.
    const same = Array.from({ length: 40 }, (_, i) => fail(T0 + i * SEC, '198.51.100.1', `u${i % 4}@example.com`));
    expect(run(e, same).live).toEqual([]);
    const f = feed(e, [fail(T0 + 41 * SEC, '198.51.100.1', 'u9@example.com')]);
    expect(f).toHaveLength(1);
    expect(f[0]!.observed).toMatchObject({ 'distinct_user.email': 5 });
    expect(f[0]!.windowStart).toBe(T0);
  });

  it('upper-bound conditions are judged when the window closes', () => {
    const e = engine(`${base}---
title: few
correlation: { type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: { gte: 2, lte: 3 } }
`);
    const events = [
      fail(T0, '192.0.2.1', 'two@example.com'),
      fail(T0 + MIN, '192.0.2.1', 'two@example.com'),
      ...Array.from({ length: 5 }, (_, i) => fail(T0 + i * SEC, '192.0.2.1', 'five@example.com', i)),
      // Advances event time past the windows so they close.
      fail(T0 + 20 * MIN, '192.0.2.2', 'late@example.com'),
    ];
    const { flushed } = run(e, events);
    expect(flushed.map((f) => [f.entity.value, f.windowStart, f.observed?.events])).toEqual([['two@example.com', T0, 2]]);
  });

  it('temporal fires when all rules matched for the group within the timespan, in any order', () => {
    const e = engine(`
title: admin grant
name: grant
logsource: { product: test }
detection: { sel: { event.action: grant_admin }, condition: sel }
---
title: mass download
name: download
logsource: { product: test }
detection: { sel: { event.action: download }, condition: sel }
---
title: grant and download
correlation: { type: temporal, rules: [grant, download], group-by: [user], timespan: 10m }
level: critical
`);
    const dl = testEvent({ time: T0, user: 'm@example.com', action: 'download' });
    const grant = testEvent({ time: T0 + 2 * MIN, user: 'm@example.com', action: 'grant_admin' });
    const other = testEvent({ time: T0 + 3 * MIN, user: 'x@example.com', action: 'grant_admin' });
    expect(feed(e, [dl])).toEqual([]);
    expect(feed(e, [other])).toEqual([]);
    const [f] = feed(e, [grant]);
    expect(f).toMatchObject({ rule: 'rules/test', entity: { type: 'user', value: 'm@example.com' }, windowStart: T0, windowEnd: T0 + 2 * MIN, severity: 'critical' });
    expect(f!.evidence.sort()).toEqual([dl.event.id, grant.event.id].sort());
    // Too far apart: no finding.
    const e2 = engine(`
title: a
name: a
logsource: { product: test }
detection: { sel: { event.action: a }, condition: sel }
---
title: b
name: b
logsource: { product: test }
detection: { sel: { event.action: b }, condition: sel }
---
title: ab
correlation: { type: temporal, rules: [a, b], group-by: [user], timespan: 10m }
`);
    expect(run(e2, [testEvent({ time: T0, user: 'u', action: 'a' }), testEvent({ time: T0 + 11 * MIN, user: 'u', action: 'b' })]).live).toEqual([]);
  });

  it('temporal_ordered needs the rules in order', () => {
    const yaml = `
title: fail
name: fail
logsource: { product: test }
detection: { sel: { event.outcome: failure }, condition: sel }
---
title: ok
name: ok
logsource: { product: test }
detection: { sel: { event.outcome: success }, condition: sel }
---
title: failures then success
correlation: { type: temporal_ordered, rules: [fail, ok], group-by: [source.ip], timespan: 5m }
`;
    const ok = (t: number) => testEvent({ time: t, ip: '203.0.113.5', user: 'v@example.com', outcome: 'success' });
    const ko = (t: number) => testEvent({ time: t, ip: '203.0.113.5', user: 'v@example.com', outcome: 'failure', nonce: t });
    expect(run(engine(yaml), [ok(T0), ko(T0 + SEC)]).live).toEqual([]);
    const { live } = run(engine(yaml), [ko(T0), ko(T0 + SEC), ok(T0 + 2 * SEC)]);
    expect(live).toHaveLength(1);
    // The chain starts at the latest failure that leads to the success: the most time left.
    expect(live[0]).toMatchObject({ entity: { type: 'ip', value: '203.0.113.5' }, windowStart: T0 + SEC, windowEnd: T0 + 2 * SEC });
    expect(run(engine(yaml), [ko(T0), ok(T0 + 6 * MIN)]).live).toEqual([]);
  });

  it('aliases map one group-by name onto different fields per rule', () => {
    const e = engine(`
title: g
name: g
logsource: { product: test }
detection: { sel: { event.action: a }, condition: sel }
---
title: d
name: d
logsource: { product: test }
detection: { sel: { event.action: b }, condition: sel }
---
title: cross
correlation:
  type: temporal
  rules: [g, d]
  group-by: [who]
  timespan: 5m
  aliases:
    who: { g: user.email, d: target.user.email }
`);
    const a = testEvent({ time: T0, user: 'p@example.com', action: 'a' });
    const b = { ...testEvent({ time: T0 + SEC, user: 'someone@example.com', action: 'b' }), target: { user: { email: 'p@example.com' } } };
    feed(e, [a]);
    expect(feed(e, [b]).map((f) => f.entity)).toEqual([{ type: 'who', value: 'p@example.com' }]);
  });

  it('is deterministic under replay regardless of batch boundaries, and bounds its state', () => {
    const yaml = `${base}---
title: per ip
correlation: { type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 15 } }
---
title: spray
correlation: { type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user, gte: 6 } }
`;
    const rng = new Rng(9);
    const events: SecurityEvent[] = [];
    let t = T0;
    for (let i = 0; i < 4000; i++) {
      t += rng.int(3 * SEC);
      const ip = rng.chance(0.3) ? `203.0.113.${rng.int(3)}` : `192.0.2.${rng.int(200)}`;
      events.push(fail(t, ip, `u${rng.int(50)}@example.com`, i));
    }
    const final = (fs: Finding[]) => [...new Map(fs.map((f) => [dedupKey(f), f])).entries()].sort(([x], [y]) => x.localeCompare(y));
    const a = run(engine(yaml), events, 64);
    const b = run(engine(yaml), events, 1000);
    expect(a.live.length).toBeGreaterThan(0);
    // Which flush reports a burst depends on the batch; what is reported does not.
    const byKey = (fs: Finding[]) => [...fs].sort((x, y) => dedupKey(x).localeCompare(dedupKey(y)));
    expect(byKey(a.live)).toEqual(byKey(b.live));
    expect(final([...a.live, ...a.flushed])).toEqual(final([...b.live, ...b.flushed]));
    for (const f of [...a.live, ...a.flushed]) expect(f.evidence.length).toBeLessThanOrEqual(100);

    const capped = engine(yaml, { maxGroups: 20 });
    for (let i = 0; i < 500; i++) feed(capped, [fail(T0 + i, `10.0.${i >> 8}.${i & 255}`, 'x@example.com')]);
    for (const s of Object.values(capped.stats().correlationState)) expect(s.groups).toBeLessThanOrEqual(20);
  });

  it('rejects references to unknown rules', () => {
    expect(() => engine(`title: c\ncorrelation: { type: event_count, rules: [nope], timespan: 5m, condition: { gte: 2 } }\n`)).toThrow(/test\.yml#1: correlation\.rules\.0: refers to unknown rule "nope"/);
  });
});

describe('options, plugin and the built-in pack', () => {
  const rules = `
title: low one
logsource: { product: test }
detection: { sel: { event.action: x }, condition: sel }
level: low
---
title: high one
id: h1
logsource: { product: test }
detection: { sel: { event.action: x }, condition: sel }
level: high
`;
  it('min_level and disabled', () => {
    const ev = testEvent({ time: T0, user: 'a@example.com', action: 'X' });
    expect(engine(rules).observe(ev).map((f) => f.severity)).toEqual(['low', 'high']);
    expect(engine(rules, { minLevel: 'medium' }).observe(ev).map((f) => f.severity)).toEqual(['high']);
    expect(engine(rules, { disabled: ['h1'] }).observe(ev).map((f) => f.severity)).toEqual(['low']);
  });

  it('config defaults to the built-in pack and rejects unknown keys', () => {
    const c = sigmaConfigSchema.parse({});
    expect(c).toEqual({ rules_dirs: [BUILTIN_RULES_DIR], disabled: [], min_level: 'low', max_evidence: 100, max_groups: 100_000, placeholders: {} });
    expect(BUILTIN_RULES_DIR).toMatch(/[\\/]rules[\\/]?$/);
    expect(sigmaConfigSchema.safeParse({ rule_dirs: ['x'] }).success).toBe(false);
    expect(sigmaConfigSchema.safeParse({ min_level: 'severe' }).success).toBe(false);
  });

  it('plugin loads the built-in pack and detects a public payroll link', () => {
    const d = sigmaPlugin.create(sigmaPlugin.configSchema.parse({}), { dataDir: '.' } as never);
    const events = google({
      id: { time: new Date(T0).toISOString(), uniqueQualifier: '5', applicationName: 'drive' },
      actor: { email: 'bob@example.com' },
      ipAddress: '198.51.100.42',
      events: [{ type: 'acl_change', name: 'change_document_visibility', parameters: [{ name: 'doc_id', value: 'd1' }, { name: 'doc_title', value: 'Payroll' }, { name: 'new_value', multiValue: ['people_with_link'] }] }],
    });
    const fs = events.flatMap((e) => d.observe(e));
    expect(fs.map((f) => [f.rule, f.severity, f.entity.value])).toEqual([['rules/google-workspace/public-link', 'high', 'bob@example.com']]);
    expect(fs[0]!.description).toMatch(/doc_title=Payroll; .*new_value=people_with_link/);
  });

  it('every rule of the built-in pack passes its positive and negative examples', async () => {
    const results = await runRuleTests(BUILTIN_RULES_DIR, registry.sources);
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(34);
  });

  it('the example runner reports failing cases and missing examples', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'sigma-rt-'));
    writeFileSync(join(dir, 'a.yml'), 'title: a\nlogsource: { product: test }\ndetection: { sel: { event.action: boom }, condition: sel }\n');
    writeFileSync(join(dir, 'a.tests.yml'), 'cases:\n  - { name: wrong, expect: match, events: [ { event: { event: { action: fizz } } } ] }\n  - { name: right, expect: no_match, events: [ { event: { event: { action: fizz } } } ] }\n');
    writeFileSync(join(dir, 'b.yml'), 'title: b\nlogsource: { product: test }\ndetection: { sel: { event.action: boom }, condition: sel }\n');
    const r = await runRuleTests(dir, registry.sources);
    expect(r.map((x) => [x.case, x.passed])).toEqual([
      ['wrong', false],
      ['right', true],
      ['(examples)', false],
    ]);
    expect(r[0]!.message).toMatch(/expected a match, got none/);
  });
});
