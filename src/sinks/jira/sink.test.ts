import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, secretForms, type Alert, type SecurityEvent } from '../../core/index.js';
import { startJiraFake, type JiraFake, type JiraFakeOptions } from '../../fakes/jira/server.js';
import { deliveryContext, memoryRefs, sampleAlert, startReceiver, type Receiver } from '../testing.js';
import { jiraConfigSchema } from './config.js';
import { adfText, PROPERTY_KEY } from './format.js';
import { JiraSink, jiraSinkPlugin } from './sink.js';

const EMAIL = 'soc@example.com';
const TOKEN = 'ATATT3xFfGF0-jira-t0ken-very-secret';
const PAT = 'NjQ2ODk1OTk-data-center-pat-secret';
const NOW = Date.parse('2026-11-03T10:00:00Z');
const LOOPBACK = { allow_networks: ['127.0.0.1'] };

let fake: JiraFake | undefined;
let receiver: Receiver | undefined;
const sinks: JiraSink[] = [];
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  await fake?.close();
  await receiver?.close();
  fake = undefined;
  receiver = undefined;
});

/** The label the sink must put on the issue, computed here from the issue's rule rather than read from the sink. */
const labelOf = (basis: string) => `saaswatch-${createHash('sha256').update(basis).digest('hex').slice(0, 16)}`;

async function setup(extra: Record<string, unknown> = {}, fakeOpts: JiraFakeOptions = {}) {
  fake = await startJiraFake({ email: EMAIL, apiToken: TOKEN, now: () => NOW, customFields: ['customfield_10050', 'customfield_10051', 'customfield_10052'], ...fakeOpts });
  const config = jiraConfigSchema.parse({ base_url: fake.url, email: EMAIL, api_token: TOKEN, project: 'SEC', ...LOOPBACK, ...extra });
  return { fake, config, sink: open(config) };
}

function open(config: ReturnType<typeof jiraConfigSchema.parse>): JiraSink {
  const s = new JiraSink('soc-jira', config, { now: () => NOW });
  sinks.push(s);
  return s;
}

const ctx = deliveryContext;

async function deliverError(sink: JiraSink, alert: Alert = sampleAlert(), c = ctx()): Promise<SaaswatchError> {
  try {
    await sink.deliver(alert, c);
  } catch (err) {
    expect(err).toBeInstanceOf(SaaswatchError);
    return err as SaaswatchError;
  }
  throw new Error('expected deliver() to throw');
}

/** Everything an error would show in a log: message, stack, fields, causes. */
function everything(err: unknown): string {
  let out = '';
  for (let e: unknown = err, d = 0; e && d < 6; e = (e as { cause?: unknown }).cause, d++) {
    out += `${String((e as Error).message)}\n${String((e as Error).stack)}\n${JSON.stringify(e)}\n${inspect(e, { depth: 6 })}\n`;
  }
  return out;
}

function expectNoSecret(text: string) {
  for (const form of [...secretForms(TOKEN), ...secretForms(PAT), Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')]) expect(text).not.toContain(form);
  expect(text).not.toMatch(/authorization/i);
}

const evidence: SecurityEvent[] = [
  {
    '@timestamp': '2024-05-01T10:01:00.000Z',
    event: { id: 'ev1', kind: 'event', category: ['authentication'], action: 'login', outcome: 'failure', provider: 'google-workspace', dataset: 'gw.login', ingested: '2024-05-01T10:01:05.000Z' },
    user: { email: 'alice@example.com' },
    source: { ip: '203.0.113.7', geo: { country_iso_code: 'RO', country_name: 'Romania', city_name: 'Bucharest' }, as: { number: 64500, organization: { name: 'Example Hosting' } } },
    raw: {},
  },
];

describe('jira config', () => {
  it('applies the documented defaults', () => {
    const c = jiraConfigSchema.parse({ base_url: 'https://acme.atlassian.net', email: EMAIL, api_token: TOKEN, project: 'SEC' });
    expect(c.issue_type).toBe('Task');
    expect(c.priorities).toEqual({ critical: 'Highest', high: 'High', medium: 'Medium', low: 'Low' });
    expect(c.labels).toEqual(['saaswatch']);
    expect(c.components).toEqual([]);
    expect(c.on_closed).toBe('new');
    expect(c.reopen_transition).toBe('Reopen');
    expect(c.timeout).toBe(10_000);
    const made = jiraSinkPlugin.create('j', c, { logger: undefined as never, dataDir: '/tmp' });
    sinks.push(made);
    expect(made.retryPolicy).toEqual({ maxAttempts: 8, initialMs: 1_000, maxMs: 300_000 });
    // The outbox loads the evidence lines the description shows.
    expect(made.needs).toEqual({ evidence: 5, updates: true });
    expect(made.target).toBe('acme.atlassian.net');
    expect(JSON.stringify(c)).not.toContain(TOKEN);
  });

  it('keeps unset severities at their default priority', () => {
    expect(jiraConfigSchema.parse({ base_url: 'https://a.atlassian.net', pat: PAT, project: 'SEC', priorities: { low: 'Lowest' } }).priorities).toEqual({ critical: 'Highest', high: 'High', medium: 'Medium', low: 'Lowest' });
  });

  it.each([
    [{ email: EMAIL, api_token: TOKEN, pat: PAT }, 'not both'],
    [{ email: EMAIL }, 'needs both email and api_token'],
    [{}, 'set email + api_token'],
    [{ pat: PAT, project: 'sec' }, 'project key'],
    [{ pat: PAT, labels: ['two words'] }, 'spaces'],
    [{ pat: PAT, labels: [] }, 'at least one label'],
    [{ pat: PAT, custom_fields: { severity: 'x' } }, 'customfield_10050'],
    [{ pat: PAT, on_closed: 'delete' }, 'on_closed'],
    [{ pat: PAT, base_url: 'https://u:p@acme.atlassian.net' }, 'not in base_url'],
    [{ pat: PAT, base_url: 'acme.atlassian.net' }, 'https://your-domain.atlassian.net'],
    [{ pat: PAT, base_url: 'http://169.254.169.254' }, 'metadata'],
    [{ pat: PAT, base_url: 'http://127.0.0.1:8080' }, 'allow_networks'],
    [{ pat: PAT, projects: 'SEC' }, 'projects'],
  ])('rejects %j', (input, message) => {
    const r = jiraConfigSchema.safeParse({ base_url: 'https://acme.atlassian.net', project: 'SEC', ...input });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });
});

describe('jira issue', () => {
  it('searches by its dedup label, then creates one issue with the mapped fields and an ADF description', async () => {
    const { fake, sink } = await setup({
      components: ['Security'],
      dashboard_url: 'https://saaswatch.example.com/',
      custom_fields: { customfield_10050: '{{details.email.reporters}}', customfield_10051: 'entity {{entity.type}}={{entity.value}} via {{rule}}', customfield_10052: { value: '{{severity}}' } },
    });
    const alert = sampleAlert({ details: { 'email.reporters': ['bob@example.com', 'carol@example.com'], 'source.ip': '203.0.113.7' } });
    await sink.deliver(alert, ctx('dlv_1', { evidence }));

    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /rest/api/3/search/jql 200', 'POST /rest/api/3/issue 201']);
    const search = fake.requests[0]!;
    expect(search.auth).toBe('basic');
    const label = labelOf(alert.dedupKey);
    expect(search.query['jql']).toBe(`project = "SEC" AND labels = "${label}" ORDER BY created DESC`);
    expect(search.query['fields']!.split(',')).toContain('status');
    expect(search.query['properties']).toBe(PROPERTY_KEY);

    expect(fake.created()).toHaveLength(1);
    const issue = fake.created()[0]!;
    expect(issue.key).toBe('SEC-1');
    const f = issue.fields;
    expect(f['project']).toEqual({ key: 'SEC' });
    expect(f['issuetype']).toEqual({ name: 'Task' });
    expect(f['summary']).toBe('[HIGH] Brute force from 203.0.113.7');
    expect(f['labels']).toEqual(['saaswatch', label]);
    expect(f['priority']).toEqual({ name: 'High' });
    expect(f['components']).toEqual([{ name: 'Security' }]);
    expect(f['customfield_10050']).toEqual(['bob@example.com', 'carol@example.com']);
    expect(f['customfield_10051']).toBe('entity ip=203.0.113.7 via brute-force');
    expect(f['customfield_10052']).toEqual({ value: 'high' });
    expect(issue.properties[PROPERTY_KEY]).toEqual({ alertId: 'alrt_0001', dedupKey: alert.dedupKey, deliveryId: 'dlv_1' });

    const doc = f['description'] as { type: string; version: number; content: unknown[] };
    expect(doc.type).toBe('doc');
    expect(doc.version).toBe(1);
    const body = adfText(doc);
    expect(body).toContain('42 failed logins in 5 minutes (expected at most 10)');
    expect(body).toContain('ip 203.0.113.7');
    expect(body).toContain('2024-05-01T10:00:00.000Z – 2024-05-01T10:05:00.000Z');
    expect(body).toContain('failures: observed 42, expected 10');
    expect(body).toContain('2024-05-01T10:01:00.000Z · login · failure · alice@example.com · 203.0.113.7 RO');
    expect(body).toContain('saaswatch alert alrt_0001 · delivery dlv_1');
    expect(JSON.stringify(doc)).toContain('"href":"https://saaswatch.example.com/alerts/alrt_0001"');
  });

  it.each([
    ['critical', {}, 'Highest'],
    ['medium', {}, 'Medium'],
    ['low', { priorities: { low: 'Lowest' } }, 'Lowest'],
  ] as const)('maps severity %s to priority', async (severity, extra, name) => {
    const { fake, sink } = await setup(extra);
    await sink.deliver(sampleAlert({ severity }), ctx());
    expect(fake.created()[0]!.fields['priority']).toEqual({ name });
  });

  it('keeps hostile alert text as text: one summary line, plain text nodes, no links of its own', async () => {
    const { fake, sink } = await setup();
    const title = 'Phish {color:red}*URGENT*{color} [click|https://evil.example] <script>alert(1)</script>\r\nX-Injected: yes';
    const description = '!https://evil.example/pixel.png! h1. heading {{monospace}} <img src=x onerror=alert(1)>';
    await sink.deliver(sampleAlert({ title, description, entity: { type: 'user', value: 'eve@example.com\n[~admin]' }, details: { 'email.subject': '<b>Invoice</b> [pay|https://evil.example]' } }), ctx());
    const f = fake.created()[0]!.fields;
    expect(f['summary']).toBe('[HIGH] Phish {color:red}*URGENT*{color} [click|https://evil.example] <script>alert(1)</script> X-Injected: yes');
    const json = JSON.stringify(f['description']);
    // Only text nodes carry the hostile strings, verbatim; no mark or node is made from them.
    expect(json).not.toContain('"type":"link"');
    expect(json).not.toContain('"type":"inlineCard"');
    const texts: string[] = [];
    const walk = (n: { type?: string; text?: string; content?: unknown[] }) => {
      if (n.type === 'text') texts.push(n.text!);
      for (const c of n.content ?? []) walk(c as never);
    };
    walk(f['description'] as never);
    expect(texts).toContain(description);
    expect(texts).toContain('user eve@example.com [~admin]');
    expect(texts).toContain('<b>Invoice</b> [pay|https://evil.example]');
    for (const t of texts) expect(t).not.toMatch(/[\r\n]/);
  });

  it('caps the summary at 255 characters', async () => {
    const { fake, sink } = await setup();
    await sink.deliver(sampleAlert({ title: 'x'.repeat(400) }), ctx());
    const summary = fake.created()[0]!.fields['summary'] as string;
    expect(summary).toHaveLength(255);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('keeps the description under Jira\'s limit by dropping the most expendable sections first', async () => {
    const { fake, sink } = await setup({ dashboard_url: 'https://saaswatch.example.com' });
    const details = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field.${i}`, 'v'.repeat(2_000)]));
    const others = Array.from({ length: 20 }, (_, i) => sampleAlert({ id: `alrt_o${i}`, title: 't'.repeat(2_000) }));
    const alert = sampleAlert({ details, groupId: 'alrt_o0' });
    await sink.deliver(alert, ctx('dlv_1', { evidence, group: { id: 'alrt_o0', alerts: [...others, alert] } }));
    const doc = fake.created()[0]!.fields['description'];
    expect(JSON.stringify(doc).length).toBeLessThanOrEqual(30_000);
    const body = adfText(doc);
    expect(body).not.toContain('Related alerts in this group');
    expect(body).toContain('Evidence');
    expect(body).toContain('Open the alert in saaswatch');
    expect(body).toContain('saaswatch alert alrt_0001 · delivery dlv_1');
  });

  it('comments on the labelled issue already in Jira instead of creating a second one', async () => {
    const { fake, sink } = await setup();
    const alert = sampleAlert();
    const existing = fake.seed({ summary: 'made by an earlier run', labels: ['saaswatch', labelOf(alert.dedupKey)] }, { properties: { [PROPERTY_KEY]: { alertId: alert.id, dedupKey: alert.dedupKey, deliveryId: 'dlv_old' } } });
    const refs = memoryRefs();
    await sink.deliver(alert, ctx('dlv_new', { refs }));
    expect(fake.created()).toHaveLength(0);
    expect(fake.comments()).toHaveLength(1);
    expect(fake.comments()[0]!.issueKey).toBe(existing.key);
    expect(adfText(fake.comments()[0]!.body)).toContain('delivery dlv_new');
    expect(refs.map.get('alert:alrt_0001')).toBe(existing.key);
  });

  it('never makes a second issue or comment for one delivery id, with or without the saved key (a crash before commit, a lost database)', async () => {
    const { fake, config, sink } = await setup();
    const alert = sampleAlert();
    const refs = memoryRefs();
    await sink.deliver(alert, ctx('dlv_1', { refs }));
    await sink.deliver(alert, ctx('dlv_1', { refs }));
    // A restart with the database gone: no saved key, the search finds the issue.
    await open(config).deliver(alert, ctx('dlv_1', { refs: memoryRefs() }));
    await open(config).deliver(alert, ctx('dlv_1'));
    expect(fake.created()).toHaveLength(1);
    expect(fake.comments()).toHaveLength(0);

    // A later delivery of the same alert is one comment, however often it is repeated.
    await sink.deliver(alert, ctx('dlv_2', { kind: 'update', refs }));
    await open(config).deliver(alert, ctx('dlv_2', { kind: 'update' }));
    expect(fake.created()).toHaveLength(1);
    expect(fake.comments()).toHaveLength(1);
    expect(adfText(fake.comments()[0]!.body)).toMatch(/^Update: /);
    expect(fake.comments()[0]!.properties[PROPERTY_KEY]).toMatchObject({ deliveryId: 'dlv_2' });
  });

  it('waits, instead of creating again, while a create the process lost may still be missing from search', async () => {
    let now = NOW;
    fake = await startJiraFake({ email: EMAIL, apiToken: TOKEN, now: () => now, indexLagMs: 5_000 });
    const config = jiraConfigSchema.parse({ base_url: fake.url, email: EMAIL, api_token: TOKEN, project: 'SEC', ...LOOPBACK });
    const alert = sampleAlert();
    // The process dies after Jira made the issue, before the key is saved.
    const map = new Map<string, string>();
    const crashing = { ...memoryRefs(map), put: async (k: string, v: string) => (k.startsWith('alert:') ? Promise.reject(new Error('killed')) : void map.set(k, v)) };
    const first = new JiraSink('soc-jira', config, { now: () => now });
    sinks.push(first);
    await expect(first.deliver(alert, ctx('dlv_1', { refs: crashing }))).rejects.toThrow('killed');
    expect(fake.created()).toHaveLength(1);

    now += 2_000;
    const rerun = new JiraSink('soc-jira', config, { now: () => now });
    sinks.push(rerun);
    const err = await deliverError(rerun, alert, ctx('dlv_1', { refs: memoryRefs(map) }));
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(28_000);
    expect(fake.created()).toHaveLength(1);

    now += 28_000;
    await rerun.deliver(alert, ctx('dlv_1', { refs: memoryRefs(map) }));
    expect(fake.created()).toHaveLength(1);
    expect(fake.comments()).toHaveLength(0);
    expect(map.get('alert:alrt_0001')).toBe('SEC-1');
  });

  it('reads the saved key directly (the search index can lag a fresh create)', async () => {
    const { fake, sink } = await setup();
    const alert = sampleAlert();
    const refs = memoryRefs();
    await sink.deliver(alert, ctx('dlv_1', { refs }));
    fake.requests.length = 0;
    await sink.deliver(alert, ctx('dlv_2', { refs, kind: 'update' }));
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /rest/api/3/issue/SEC-1', 'GET /rest/api/3/issue/SEC-1/comment', 'POST /rest/api/3/issue/SEC-1/comment']);
  });

  it('tells a group as one issue: later alerts of the group are comments on it', async () => {
    const { fake, sink } = await setup();
    const first = sampleAlert({ id: 'alrt_a', groupId: 'alrt_a' });
    const second = sampleAlert({ id: 'alrt_b', groupId: 'alrt_a', rule: 'baseline', title: 'Unusual volume for 203.0.113.7', dedupKey: 'baseline|ip:203.0.113.7|2024-05-01T10:00:00.000Z' });
    await sink.deliver(first, ctx('dlv_a', { group: { id: 'alrt_a', alerts: [first] } }));
    await sink.deliver(second, ctx('dlv_b', { group: { id: 'alrt_a', alerts: [first, second] } }));
    expect(fake.created()).toHaveLength(1);
    expect(fake.created()[0]!.fields['labels']).toEqual(['saaswatch', labelOf('group:alrt_a')]);
    expect(fake.comments()).toHaveLength(1);
    expect(adfText(fake.comments()[0]!.body)).toContain('Unusual volume for 203.0.113.7');
  });

  it('on_closed: new makes a new issue naming the closed one, and later deliveries go to the new one', async () => {
    const { fake, sink } = await setup();
    const alert = sampleAlert();
    const closed = fake.seed({ summary: 'old', labels: [labelOf(alert.dedupKey)] }, { status: 'done', created: NOW - 86_400_000 });
    await sink.deliver(alert, ctx('dlv_1'));
    expect(fake.created()).toHaveLength(1);
    expect(adfText(fake.created()[0]!.fields['description'])).toContain(`Follows ${closed.key}, which was closed`);
    expect(fake.transitions).toEqual([]);
    await sink.deliver(alert, ctx('dlv_2'));
    expect(fake.created()).toHaveLength(1);
    expect(fake.comments().map((c) => c.issueKey)).toEqual([fake.created()[0]!.key]);
  });

  it('on_closed: reopen moves the Done issue back with the configured transition and comments, once per delivery', async () => {
    const { fake, sink } = await setup({ on_closed: 'reopen' });
    const alert = sampleAlert();
    const closed = fake.seed({ summary: 'old', labels: [labelOf(alert.dedupKey)] }, { status: 'done' });
    await sink.deliver(alert, ctx('dlv_1'));
    await sink.deliver(alert, ctx('dlv_1'));
    expect(fake.created()).toHaveLength(0);
    expect(fake.transitions).toEqual([{ key: closed.key, transitionId: '41', name: 'Reopen', from: 'done', to: 'new' }]);
    expect(fake.issues[0]!.status).toBe('new');
    expect(fake.comments()).toHaveLength(1);
    expect(adfText(fake.comments()[0]!.body)).toMatch(/^Reopened by saaswatch/);
  });

  it('on_closed: reopen with a transition the workflow lacks fails permanently, naming the field and the choices', async () => {
    const { fake, sink } = await setup({ on_closed: 'reopen', reopen_transition: 'Resurrect' });
    fake.seed({ summary: 'old', labels: [labelOf(sampleAlert().dedupKey)] }, { status: 'done' });
    const err = await deliverError(sink);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('sinks.soc-jira.reopen_transition');
    expect(err.message).toContain('"Reopen"');
  });
});

describe('jira failures', () => {
  it('a 429 is retryable with its Retry-After', async () => {
    const { fake, sink } = await setup();
    fake.failNext(1, 429, { retryAfterSec: 30 });
    const err = await deliverError(sink);
    expect(err.code).toBe('HTTP_RETRYABLE');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(30_000);
    expect(err.message).toContain('Rate limit exceeded.');
    expect(fake.created()).toHaveLength(0);
  });

  it('a 5xx on create is retryable, and the retry makes exactly one issue', async () => {
    const { fake, sink } = await setup();
    fake.failNext(1, 503, { pathPrefix: '/rest/api/3/issue', method: 'POST' });
    const err = await deliverError(sink);
    expect(err.code).toBe('HTTP_RETRYABLE');
    await sink.deliver(sampleAlert(), ctx('dlv_1', { attempt: 2 }));
    expect(fake.created()).toHaveLength(1);
  });

  it('a wrong token is a permanent 401 with Jira\'s reason and no credential anywhere', async () => {
    fake = await startJiraFake({ email: EMAIL, apiToken: 'the-right-token' });
    const sink = open(jiraConfigSchema.parse({ base_url: fake.url, email: EMAIL, api_token: TOKEN, project: 'SEC', ...LOOPBACK }));
    const err = await deliverError(sink);
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^jira 127\.0\.0\.1:\d+ \(search issues\) rejected the request with 401: Client must be authenticated/);
    expectNoSecret(everything(err));
  });

  it('a 400 is permanent and names the field Jira refused', async () => {
    const { sink } = await setup({ priorities: { high: 'Urgent' }, issue_type: 'Incident' });
    const err = await deliverError(sink);
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("(create issue) rejected the request with 400: priority: Priority name 'Urgent' is not valid");
  });

  it('an unknown issue type is refused with Jira\'s field error', async () => {
    const { sink } = await setup({ issue_type: 'Epicc' });
    expect((await deliverError(sink)).message).toContain('issuetype: Specify a valid issue type');
  });

  it('redacts the credential when Jira (or a proxy) quotes the request back', async () => {
    const { fake, sink } = await setup();
    fake.failNext(1, 403, { echo: true });
    const err = await deliverError(sink);
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.message).toContain('[redacted]');
    expectNoSecret(everything(err).replace(/"authorization"/gi, ''));
  });

  it('an unreachable Jira is a retryable NETWORK error without the axios request in it', async () => {
    const { fake: gone, sink } = await setup();
    await gone.close();
    fake = undefined;
    const err = await deliverError(sink);
    expect(err.code).toBe('NETWORK');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
    expectNoSecret(everything(err));
  });

  it('does not follow a redirect (it would carry the token elsewhere)', async () => {
    const other = await startReceiver();
    try {
      receiver = await startReceiver((_req, _i, res) => {
        res.writeHead(302, { location: `${other.url}/rest/api/3/search/jql` }).end();
      });
      const sink = open(jiraConfigSchema.parse({ base_url: new URL(receiver.url).origin, email: EMAIL, api_token: TOKEN, project: 'SEC', ...LOOPBACK }));
      const err = await deliverError(sink);
      expect(err.code).toBe('HTTP_REJECTED');
      expect(err.message).toContain('redirects are not followed');
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('a stopped delivery (lease lost, shutdown) sends nothing more', async () => {
    const { fake, sink } = await setup();
    const stop = new AbortController();
    stop.abort();
    const err = await deliverError(sink, sampleAlert(), ctx('dlv_1', { signal: stop.signal }));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('delivery stopped before search issues');
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a name resolving to loopback unless allow_networks names it', async () => {
    fake = await startJiraFake({ email: EMAIL, apiToken: TOKEN });
    const sink = open(jiraConfigSchema.parse({ base_url: fake.url.replace('127.0.0.1', 'localhost'), email: EMAIL, api_token: TOKEN, project: 'SEC' }));
    const err = await deliverError(sink);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('allow_networks');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('jira data center (pat, REST v2)', () => {
  async function dcSetup(extra: Record<string, unknown> = {}) {
    fake = await startJiraFake({ pat: PAT, deployment: 'data-center', now: () => NOW });
    const config = jiraConfigSchema.parse({ base_url: fake.url, pat: PAT, project: 'SEC', ...LOOPBACK, ...extra });
    return { fake, config, sink: open(config) };
  }

  it('creates through REST v2 with a bearer token, a wiki-markup description and the property set after', async () => {
    const { fake, sink } = await dcSetup({ dashboard_url: 'https://saaswatch.example.com' });
    await sink.deliver(sampleAlert(), ctx('dlv_1', { evidence }));
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /rest/api/2/search 200',
      'POST /rest/api/2/issue 201',
      'PUT /rest/api/2/issue/SEC-1/properties/saaswatch 201',
    ]);
    expect(new Set(fake.requests.map((r) => r.auth))).toEqual(new Set(['bearer']));
    const issue = fake.created()[0]!;
    expect(issue.fields['labels']).toEqual(['saaswatch', labelOf(sampleAlert().dedupKey)]);
    const wiki = issue.fields['description'] as string;
    expect(typeof wiki).toBe('string');
    expect(wiki).toContain('* *Rule:* {{brute\\-force}}');
    expect(wiki).toContain('h3. Evidence');
    expect(wiki).toContain('[Open the alert in saaswatch|https://saaswatch.example.com/alerts/alrt_0001]');
    expect(issue.properties[PROPERTY_KEY]).toEqual({ alertId: 'alrt_0001', dedupKey: sampleAlert().dedupKey, deliveryId: 'dlv_1' });
  });

  it('escapes hostile text in wiki markup, and puts a line-start command in a noformat block', async () => {
    const { fake, sink } = await dcSetup();
    await sink.deliver(sampleAlert({ description: 'h1. Pay now', title: 'Phish {color:red}*URGENT*{color} [click|https://evil.example]' }), ctx());
    const wiki = fake.created()[0]!.fields['description'] as string;
    expect(wiki.startsWith('{noformat}h1. Pay now{noformat}')).toBe(true);
    const withHostileTitle = sampleAlert({ id: 'alrt_x', dedupKey: 'other', description: '{color:red}*URGENT*{color} [click|https://evil.example] !https://evil.example/p.png!' });
    await sink.deliver(withHostileTitle, ctx('dlv_x'));
    const second = fake.created()[1]!.fields['description'] as string;
    expect(second).toContain('\\{color:red\\}\\*URGENT\\*\\{color\\} \\[click\\|https://evil.example\\] \\!https://evil.example/p.png\\!');
  });

  it('never makes a second issue or comment for one delivery id (no saved key, no properties in answers)', async () => {
    const { fake, config, sink } = await dcSetup();
    const alert = sampleAlert();
    await sink.deliver(alert, ctx('dlv_1'));
    await open(config).deliver(alert, ctx('dlv_1'));
    expect(fake.created()).toHaveLength(1);
    expect(fake.comments()).toHaveLength(0);
    await sink.deliver(alert, ctx('dlv_2', { kind: 'update' }));
    await open(config).deliver(alert, ctx('dlv_2', { kind: 'update' }));
    expect(fake.comments()).toHaveLength(1);
    expect(typeof fake.comments()[0]!.body).toBe('string');
    expect(fake.comments()[0]!.body as string).toContain('Update:');
  });
});
