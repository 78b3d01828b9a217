import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, type Alert } from '../../core/index.js';
import { startArcherFake, type ArcherFake } from '../../fakes/archer/server.js';
import { deliveryContext, memoryRefs, sampleAlert } from '../testing.js';
import { archerConfigSchema } from './config.js';
import { ARCHER_TEST_CONFIG } from './fixtures/contract.js';
import { escapeHtml } from '../text.js';
import { readTrail, trailLine } from './format.js';
import { ArcherSink, archerSinkPlugin } from './sink.js';
import { failureOf } from '../../core/testing.js';

const PASSWORD = 'Arch3r-s3cret-pw!';
const T = Date.parse('2026-11-03T10:00:00.000Z');
const HOSTILE = 'Invoice <img src=x onerror=alert(1)> & "you" \'now\'';

let fake: ArcherFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const ctx = deliveryContext;

async function setup(extra: Record<string, unknown> = {}, fakeOpts: Parameters<typeof startArcherFake>[0] = {}) {
  fake = await startArcherFake({ password: PASSWORD, ...fakeOpts });
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, new Writable({ write: (c: Buffer, _e, done) => (logs.push(c.toString()), done()) }));
  const config = archerConfigSchema.parse({ base_url: fake.url, password: PASSWORD, ...ARCHER_TEST_CONFIG, allow_networks: ['127.0.0.1'], ...extra });
  const make = () => new ArcherSink('incidents', config, { logger, now: () => T });
  return { fake, sink: make(), make, logs };
}

const failure = failureOf;

function phishAlert(overrides: Partial<Alert> = {}): Alert {
  return sampleAlert({
    id: 'alrt_mail_1',
    rule: 'reported-mail',
    dedupKey: 'reported-mail|email_message:m1@evil.example|2026-11-03T08:00:00.000Z',
    title: `Reported mail: "${HOSTILE}" from billing@evil.example`,
    description: `2 people reported the message "${HOSTILE}"`,
    severity: 'medium',
    entity: { type: 'email_message', value: 'm1@evil.example' },
    details: {
      'email.subject': HOSTILE,
      'email.from.address': 'billing@evil.example',
      'email.reporters': ['a@corp.example', 'b@corp.example'],
      'email.delivery_timestamp': '2026-11-03T08:00:00.000Z',
      'email.message_id': '<m1@evil.example>',
      category: 'phish',
      'related.assets': ['310', '311'],
    },
    ...overrides,
  });
}

const MAPPINGS = [
  { id: 1010, type: 'text', from: 'email.reporters' },
  { id: 1013, type: 'text', from: 'email.subject' },
  { id: 1014, type: 'date', from: 'email.delivery_timestamp' },
  { id: 1018, type: 'numeric', from: 'email.reporters' },
  { id: 1019, type: 'cross_reference', from: 'related.assets' },
  { id: 1020, type: 'values_list', from: 'category', values: { phish: 6001, spam: 6002 } },
];

describe('archer config', () => {
  it('takes the issue’s example (critical falls back to high) and keeps the password masked', () => {
    const c = archerConfigSchema.parse({
      base_url: 'https://archer.example.com',
      instance: 'Production',
      username: 'svc-saaswatch',
      password: PASSWORD,
      level_id: 123,
      fields: { title: 1001, description: 1002, severity: { id: 1003, values: { high: 5001, medium: 5002, low: 5003 } } },
    });
    expect(c.user_domain).toBe('');
    expect(JSON.stringify(c)).not.toContain(PASSWORD);
    expect(archerSinkPlugin.create('x', c, { logger: pino({ level: 'silent' }), dataDir: '/tmp' }).retryPolicy).toEqual({ maxAttempts: 8, initialMs: 1_000, maxMs: 300_000 });
  });

  it.each([
    [{ fields: { ...ARCHER_TEST_CONFIG.fields, severity: { id: 1003, values: { high: 1 } } } }, 'no values-list id for severity low, medium: add low: <id>, medium: <id>'],
    [{ fields: { ...ARCHER_TEST_CONFIG.fields, title: 0 } }, '"path":["fields","title"]'],
    [{ fields: { ...ARCHER_TEST_CONFIG.fields, title: 1.5 } }, 'expected int'],
    [{ fields: { ...ARCHER_TEST_CONFIG.fields, description: 1001 } }, 'field id 1001 is already used by fields.title'],
    [{ content_api_alias: undefined }, 'content_api_alias'],
    [{ mappings: [{ id: 1020, type: 'values_list', from: 'category' }] }, 'a values_list mapping needs values'],
    [{ base_url: 'http://169.254.169.254' }, 'base_url'],
  ])('rejects %j', (change, message) => {
    const r = archerConfigSchema.safeParse({ base_url: 'https://archer.example.com', password: PASSWORD, ...ARCHER_TEST_CONFIG, ...change });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });
});

describe('archer trail lines', () => {
  it('are read back also when the rich-text field rewrote the paragraph tag, and never from escaped text', () => {
    const line = trailLine(sampleAlert({ id: 'alrt_1' }), { deliveryId: 'dlv_1' });
    expect(line).toBe('<p>saaswatch alert alrt_1, delivery dlv_1</p>');
    expect(readTrail(`<div>${line.replace('<p>', '<P style="margin:0">').replace('</p>', ' </P>')}</div>`)).toEqual([{ alertId: 'alrt_1', deliveryId: 'dlv_1' }]);
    expect(readTrail(escapeHtml(line))).toEqual([]);
  });
});

describe('archer sink', () => {
  it('logs in with Archer’s body, sends its session header, and fills every field type; all text escaped', async () => {
    const { fake, sink } = await setup({ mappings: MAPPINGS, dashboard_url: 'https://saaswatch.example.com/' });
    await sink.deliver(phishAlert(), ctx('dlv_1', { evidence: [] }));
    const login = fake.requests[0]!;
    expect(login).toMatchObject({ method: 'POST', path: '/platformapi/core/security/login', body: { InstanceName: 'Production', Username: 'svc-saaswatch', UserDomain: '', Password: PASSWORD } });
    const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/platformapi/core/content')!;
    expect(create.headers.authorization).toBe(`Archer session-id="${[...fake.sessions.keys()][0]}"`);
    const fc = (create.body as { Content: { LevelId: number; FieldContents: Record<string, unknown> } }).Content;
    expect(fc.LevelId).toBe(123);
    expect(fc.FieldContents).toMatchObject({
      1001: { Type: 1, FieldId: 1001, Value: escapeHtml(phishAlert().title) },
      1003: { Type: 4, FieldId: 1003, Value: { ValuesListIds: [5001] } },
      1004: { Type: 1, FieldId: 1004, Value: phishAlert().dedupKey },
      1010: { Type: 1, FieldId: 1010, Value: 'a@corp.example, b@corp.example' },
      1013: { Type: 1, FieldId: 1013, Value: 'Invoice &lt;img src=x onerror=alert(1)&gt; &amp; &quot;you&quot; &#39;now&#39;' },
      1014: { Type: 3, FieldId: 1014, Value: '2026-11-03T08:00:00.000Z' },
      1018: { Type: 2, FieldId: 1018, Value: 2 },
      1019: { Type: 9, FieldId: 1019, Value: [{ ContentId: 310 }, { ContentId: 311 }] },
      1020: { Type: 4, FieldId: 1020, Value: { ValuesListIds: [6001] } },
    });
    const [record] = [...fake.records.values()];
    const description = fake.text(record!, 1002)!;
    expect(description).not.toMatch(/<img|onerror=alert\(1\)>/);
    expect(description).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(description).toContain('<a href="https://saaswatch.example.com/alerts/alrt_mail_1">');
    expect(readTrail(description)).toEqual([{ alertId: 'alrt_mail_1', deliveryId: 'dlv_1' }]);
  });

  it('renews an expired session once and sends the call again', async () => {
    const { fake, sink } = await setup();
    await sink.deliver(sampleAlert(), ctx('dlv_1'));
    fake.expireSessions();
    await sink.deliver(sampleAlert({ id: 'alrt_2', dedupKey: 'k2' }), ctx('dlv_2'));
    const logins = fake.requests.filter((r) => r.path.endsWith('/security/login'));
    expect(logins).toHaveLength(2);
    expect(fake.requests.filter((r) => r.status === 401)).toHaveLength(1);
    expect(fake.records.size).toBe(2);
  });

  it('expires sessions on the fake’s clock too (sessionTtlMs)', async () => {
    let now = T;
    const { fake, sink } = await setup({}, { sessionTtlMs: 60_000, now: () => now });
    await sink.deliver(sampleAlert(), ctx('dlv_1'));
    now += 61_000;
    await sink.deliver(sampleAlert({ id: 'alrt_2', dedupKey: 'k2' }), ctx('dlv_2'));
    expect(fake.requests.filter((r) => r.path.endsWith('/security/login'))).toHaveLength(2);
  });

  it('a second 401 after a fresh login is a permanent refusal, not a loop', async () => {
    const { fake, sink } = await setup();
    fake.failNext(5, { status: 401, on: 'content' });
    const err = await failure(sink.deliver(sampleAlert(), ctx()));
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('401');
    expect(fake.requests.map((r) => r.status)).toEqual([200, 401, 200, 401]);
  });

  it('refused credentials are permanent, with Archer’s reason', async () => {
    fake = await startArcherFake({ password: 'another' });
    const sink = new ArcherSink('incidents', archerConfigSchema.parse({ base_url: fake.url, password: PASSWORD, ...ARCHER_TEST_CONFIG, allow_networks: ['127.0.0.1'] }));
    const err = await failure(sink.deliver(sampleAlert(), ctx()));
    expect([err.code, err.retryable]).toEqual(['HTTP_REJECTED', false]);
    expect(err.message).toContain('login refused');
    expect(err.message).toContain('Invalid credentials.');
  });

  it('finds the incident before creating it: a lost commit or a lost database updates, a repeated delivery changes nothing', async () => {
    const { fake, make } = await setup();
    const alert = phishAlert();
    await make().deliver(alert, ctx('dlv_1'));
    // The process died before the outbox committed: a new one, no refs, the same delivery again.
    await make().deliver(alert, ctx('dlv_1', { refs: memoryRefs() }));
    expect(fake.records.size).toBe(1);
    expect([...fake.records.values()][0]!.updates).toBe(0);
    // The database was lost: the alert comes back under a new delivery id, and finds its incident.
    const refs = memoryRefs();
    await make().deliver({ ...alert, id: 'alrt_again' }, ctx('dlv_9', { refs }));
    expect(fake.records.size).toBe(1);
    const [record] = [...fake.records.values()];
    expect(record!.updates).toBe(1);
    expect(readTrail(fake.text(record!, 1002)!).map((t) => t.deliveryId)).toEqual(['dlv_1', 'dlv_9']);
    expect(refs.map.get(`incident:${alert.dedupKey}`)).toBe(String(record!.Id));
    expect(fake.requests.filter((r) => r.path.startsWith('/contentapi/Security_Incidents?'))).toHaveLength(3);
  });

  it('finds an incident whose key holds quotes and markup (a hostile Message-ID): stored escaped, looked up with OData quoting', async () => {
    const { fake, make } = await setup();
    const alert = phishAlert({ dedupKey: `reported-mail|email_message:o'brien<x>@evil.example|2026-11-03T08:00:00.000Z` });
    await make().deliver(alert, ctx('dlv_1'));
    await make().deliver({ ...alert, id: 'alrt_again' }, ctx('dlv_2'));
    expect(fake.records.size).toBe(1);
    const [record] = [...fake.records.values()];
    expect(fake.text(record!, 1004)).toBe('reported-mail|email_message:o&#39;brien&lt;x&gt;@evil.example|2026-11-03T08:00:00.000Z');
    expect(record!.updates).toBe(1);
    const lookup = fake.requests.find((r) => r.path.startsWith('/contentapi/'))!;
    expect(new URL(lookup.path, 'http://x').searchParams.get('$filter')).toBe(`Saaswatch_Key eq 'reported-mail|email_message:o&#39;brien&lt;x&gt;@evil.example|2026-11-03T08:00:00.000Z'`);
  });

  it('uses the saved content id without asking the Content API, and makes a new incident when an analyst deleted it', async () => {
    const { fake, sink } = await setup();
    const refs = memoryRefs();
    await sink.deliver(sampleAlert(), ctx('dlv_1', { refs }));
    const lookups = () => fake.requests.filter((r) => r.path.startsWith('/contentapi/')).length;
    expect(lookups()).toBe(1);
    await sink.deliver(sampleAlert({ id: 'alrt_2' }), ctx('dlv_2', { refs, kind: 'update' }));
    expect(lookups()).toBe(1);
    expect(fake.records.size).toBe(1);
    fake.records.clear();
    await sink.deliver(sampleAlert({ id: 'alrt_3' }), ctx('dlv_3', { refs }));
    expect(fake.records.size).toBe(1);
  });

  it('an update delivery grows the reporters of the same incident and appends to its description', async () => {
    const { fake, sink } = await setup({ mappings: MAPPINGS });
    await sink.deliver(phishAlert(), ctx('dlv_1'));
    const [record] = [...fake.records.values()];
    const before = fake.text(record!, 1002)!;
    const grown = phishAlert({ severity: 'high', details: { ...phishAlert().details, 'email.reporters': ['a@corp.example', 'b@corp.example', 'c@corp.example'] } });
    await sink.deliver(grown, ctx('dlv_2', { kind: 'update' }));
    expect(fake.records.size).toBe(1);
    expect(fake.text(record!, 1010)).toBe('a@corp.example, b@corp.example, c@corp.example');
    expect(record!.FieldContents['1018']!.Value).toBe(3);
    expect(record!.FieldContents['1003']!.Value).toEqual({ ValuesListIds: [5002] });
    const after = fake.text(record!, 1002)!;
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toContain('<strong>Updated: ');
    expect(after.slice(before.length)).toContain('c@corp.example');
  });

  it('a later alert of a group updates the group’s incident; the severity never drops', async () => {
    const { fake, sink } = await setup();
    const first = sampleAlert({ severity: 'high' });
    await sink.deliver(first, ctx('dlv_1'));
    const second = sampleAlert({ id: 'alrt_2', dedupKey: 'other-rule|ip:203.0.113.7|x', severity: 'low', title: 'Another look at 203.0.113.7' });
    await sink.deliver(second, ctx('dlv_2', { group: { id: first.id, alerts: [first, second] } }));
    expect(fake.records.size).toBe(1);
    const [record] = [...fake.records.values()];
    expect(fake.text(record!, 1002)).toContain('A related alert joined: Another look at 203.0.113.7');
    expect(record!.FieldContents['1003']!.Value).toEqual({ ValuesListIds: [5002] });
  });

  it('a validation failure is permanent and carries Archer’s message', async () => {
    const { sink } = await setup({ fields: { ...ARCHER_TEST_CONFIG.fields, severity: { id: 1003, values: { low: 1, medium: 2, high: 9999 } } } });
    const err = await failure(sink.deliver(sampleAlert(), ctx()));
    expect([err.code, err.retryable]).toEqual(['HTTP_REJECTED', false]);
    expect(err.message).toContain('validation failed');
    expect(err.message).toContain('Values list value 9999 is not valid for field Severity.');
  });

  it('a validation envelope answered with 400 is read the same way', async () => {
    const { fake, sink } = await setup();
    fake.failNext(1, { validation: 'The field Incident_Summary is required.', status: 400, on: 'content' });
    const err = await failure(sink.deliver(sampleAlert(), ctx()));
    expect([err.code, err.retryable]).toEqual(['HTTP_REJECTED', false]);
    expect(err.message).toContain('The field Incident_Summary is required.');
  });

  it('503 and 429 are retryable, with Retry-After', async () => {
    const { fake, sink } = await setup();
    fake.failNext(1, { status: 503 });
    expect((await failure(sink.deliver(sampleAlert(), ctx()))).retryable).toBe(true);
    fake.failNext(1, { status: 429, retryAfterSec: 42, on: 'content' });
    const err = await failure(sink.deliver(sampleAlert(), ctx()));
    expect([err.code, err.retryable, err.retryAfterMs]).toEqual(['HTTP_RETRYABLE', true, 42_000]);
    expect(fake.records.size).toBe(0);
  });

  it('keeps the password and the session token out of errors and logs, also when Archer quotes the request back', async () => {
    const { fake, sink, logs } = await setup();
    await sink.deliver(sampleAlert(), ctx('dlv_1'));
    const token = [...fake.sessions.keys()][0]!;
    fake.failNext(1, { status: 500, echo: true, on: 'content' });
    const e1 = await failure(sink.deliver(sampleAlert(), ctx('dlv_2')));
    fake.expireSessions();
    fake.failNext(1, { validation: 'bad login', echo: true, on: 'login' });
    const e2 = await failure(sink.deliver(sampleAlert(), ctx('dlv_3')));
    await sink.close();
    const seen = [e1, e2].map((e) => `${e.message}\n${e.stack}\n${JSON.stringify(e)}`).join('\n') + logs.join('\n');
    expect(e1.message).toContain('[redacted]');
    expect(e2.message).toContain('[redacted]');
    for (const secret of [PASSWORD, token]) expect(seen).not.toContain(secret);
  });

  it('logs out on close, and close without a session sends nothing', async () => {
    const { fake, sink, make } = await setup();
    await make().close();
    expect(fake.requests).toHaveLength(0);
    await sink.deliver(sampleAlert(), ctx());
    expect(fake.sessions.size).toBe(1);
    await sink.close();
    expect(fake.sessions.size).toBe(0);
    expect(fake.requests.at(-1)).toMatchObject({ path: '/platformapi/core/security/logout', status: 200 });
  });
});
