import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.js';
import { registry } from '../../registry.js';
import { SaaswatchError, eventId, type SecurityEvent, type SourceBatch } from '../../core/index.js';
import { FAKE_SLACK_ADMIN_TOKEN, FAKE_SLACK_AUDIT_TOKEN, FAKE_SLACK_TOKEN, startSlackFake, type FakeSlack, type FakeSlackOptions } from '../../fakes/slack/server.js';
import { silentLogger } from '../../log.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { openStore } from '../../storage/index.js';
import { slackConfigSchema, type SlackSourceConfigInput } from './config.js';
import { createSlackSource, slackPlugin, type SlackSourceOptions } from './source.js';
import type { SlackAccessLog, SlackAuditEntry, SlackUser } from './wire.js';
import { drain, failureOf as failure } from '../../core/testing.js';

const NOW = Date.parse('2026-11-03T10:00:00Z');
const T0 = NOW / 1000;

const open: FakeSlack[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

const person = (id: string, name: string, extra: Partial<SlackUser> = {}): SlackUser => ({ id, name, is_bot: false, is_app_user: false, profile: { email: `${name}@example.com` }, ...extra });
const PEOPLE: SlackUser[] = [
  person('U0ANN', 'ann'),
  person('U0BOB', 'bob'),
  person('U0CAT', 'cat'),
  person('UBOT01', 'deploybot', { is_bot: true, profile: {} }),
  person('UAPP01', 'workflow', { is_app_user: true, profile: {} }),
];

function row(i: number, user = PEOPLE[i % 3]!, at = T0 - 60 - i): SlackAccessLog {
  return { user_id: user.id, username: user.name, date_first: at - 3600, date_last: at, count: 1, ip: `198.51.100.${i % 200}`, user_agent: `Slack/4.${i} (Mac)`, isp: 'Example ISP', country: 'US', region: 'CA' };
}

interface Rig {
  fake: FakeSlack;
  clock: { t: number };
  sleeps: number[];
  source(config?: Partial<SlackSourceConfigInput>, opts?: SlackSourceOptions): ReturnType<typeof createSlackSource>;
}

async function rig(fakeOpts: FakeSlackOptions = {}): Promise<Rig> {
  const clock = { t: NOW };
  const fake = await startSlackFake({ rateLimits: false, users: PEOPLE, now: () => clock.t, ...fakeOpts });
  open.push(fake);
  const sleeps: number[] = [];
  return {
    fake,
    clock,
    sleeps,
    source: (config = {}, opts = {}) =>
      createSlackSource(
        'slack',
        slackConfigSchema.parse({ token: FAKE_SLACK_ADMIN_TOKEN, audit_token: FAKE_SLACK_AUDIT_TOKEN, base_url: fake.url, audit_url: fake.auditUrl, ...config }),
        { now: () => clock.t, once: true, logger: silentLogger, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, ...opts },
      ),
  };
}

const calls = (f: FakeSlack, method: string) => f.requests.filter((r) => r.method === method);

describe('slack source: access logs', () => {
  it('reads past page 100 with before, resending every parameter, each aggregate once', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => row(i));
    const r = await rig({ accessLogs: rows });
    const sent: Array<Record<string, string>> = [];
    const recording: typeof fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.endsWith('/team.accessLogs')) sent.push(Object.fromEntries(new URLSearchParams(String(init?.body ?? ''))));
      return fetch(input, init);
    };
    const { events, batches } = await drain(r.source({ page_size: 2 }, { fetch: recording }));
    expect(events).toHaveLength(250);
    expect(new Set(events.map((e) => e.event.id)).size).toBe(250);
    expect(new Set(events.map((e) => `${e.source?.ip} ${e.user_agent?.original}`)).size).toBe(250);
    const accessCalls = calls(r.fake, 'team.accessLogs');
    // 100 pages, then from page 1 again with before = the oldest date_last read: 25 more pages plus the boundary.
    expect(accessCalls.every((c) => c.ok)).toBe(true);
    expect(accessCalls.length).toBeGreaterThan(100);
    expect(accessCalls.length).toBeLessThan(130);
    expect(sent[99]).toEqual({ count: '2', page: '100' });
    // Page 101 would be refused: page 1 again, ending at the oldest activity read so far (inclusive).
    expect(sent[100]).toEqual({ count: '2', page: '1', before: String(T0 - 60 - 199) });
    expect(sent[101]).toEqual({ count: '2', page: '2', before: String(T0 - 60 - 199) });
    // users.info once per person (three people), however many rows they have.
    expect(calls(r.fake, 'users.info')).toHaveLength(3);
    expect(events.find((e) => e.user?.id === 'U0ANN')!.user).toEqual({ id: 'U0ANN', name: 'ann', email: 'ann@example.com' });
    expect(batches.at(-1)!.watermark).toBe(NOW - 15 * 60_000);
  });

  it('emits an aggregate when first seen and once per advance of count or date_last, across polls and a restart', async () => {
    const r = await rig({ accessLogs: [row(0), row(1), row(2)] });
    const first = await drain(r.source());
    expect(first.events.map((e) => e.labels?.['slack.first_seen'])).toEqual(['true', 'true', 'true']);

    r.clock.t += 300_000;
    const same = await drain(r.source(), first.cursor);
    expect(same.events).toEqual([]);

    r.fake.recordAccess({ user_id: 'U0ANN', ip: '198.51.100.0', user_agent: 'Slack/4.0 (Mac)', at: T0 + 200 });
    r.fake.recordAccess({ user_id: 'U0BOB', ip: '203.0.113.77', user_agent: 'Slack/4.9 (Windows)', at: T0 + 250, country: 'RO' });
    r.clock.t += 300_000;
    const advanced = await drain(r.source(), same.cursor);
    expect(advanced.events.map((e) => [e.user?.id, e.source?.ip, e.labels?.['slack.count'], e.labels?.['slack.previous_count'] ?? 'new', e['@timestamp']])).toEqual([
      ['U0BOB', '203.0.113.77', '1', 'new', new Date((T0 + 250) * 1000).toISOString()],
      ['U0ANN', '198.51.100.0', '2', '1', new Date((T0 + 200) * 1000).toISOString()],
    ]);

    // A restart (a new source from the committed cursor) emits nothing again, and the next advance once.
    r.clock.t += 300_000;
    expect((await drain(r.source(), advanced.cursor)).events).toEqual([]);
    r.fake.recordAccess({ user_id: 'U0ANN', ip: '198.51.100.0', user_agent: 'Slack/4.0 (Mac)', at: T0 + 700 });
    r.clock.t += 300_000;
    const again = await drain(r.source(), advanced.cursor);
    expect(again.events.map((e) => [e.user?.id, e.labels?.['slack.count'], e.labels?.['slack.previous_count']])).toEqual([['U0ANN', '3', '2']]);
  });

  it('a lookup failing mid-page marks nothing seen: the next poll of the same source emits the whole page', async () => {
    const r = await rig({ accessLogs: [row(0), row(1), row(2)] });
    // users.info answers for the first row, then fails (503) past the retries.
    r.fake.failNext({ method: 'users.info', status: 503, after: 1, times: 2 });
    const src = r.source({ retry: { max_attempts: 2 } }, { once: false, idle: async () => void (r.clock.t += 5 * 60_000) });
    const ac = new AbortController();
    const events: SecurityEvent[] = [];
    for await (const b of src.batches({ cursor: undefined, signal: ac.signal })) {
      events.push(...b.events);
      if (b.cursor !== undefined) ac.abort();
    }
    expect(calls(r.fake, 'users.info').map((c) => c.status)).toEqual([200, 503, 503, 200, 200]);
    expect(events.map((e) => e.user?.name).sort()).toEqual(['ann', 'bob', 'cat']);
  });

  it('dead-letters a row it cannot read and keeps a readable cursor when Slack leaves out a count', async () => {
    const noCount = { ...row(1) } as Partial<SlackAccessLog>;
    delete noCount.count;
    const r = await rig({ accessLogs: [row(0), noCount as SlackAccessLog, { ...row(2), date_last: 'yesterday' as unknown as number }] });
    const { batches, events, cursor } = await drain(r.source());
    expect(events.map((e) => e.user?.name)).toEqual(['ann', 'bob']);
    expect(batches.flatMap((b) => b.deadLetters)).toEqual([expect.objectContaining({ source: 'slack', code: 'INPUT_MALFORMED', reason: 'access_logs page 1: row without user_id or numeric date_last' })]);
    r.clock.t += 60_000;
    // The cursor reads back (no NaN in it): nothing is emitted twice.
    expect((await drain(r.source(), cursor)).events).toEqual([]);
  });

  it('keeps the aggregate state bounded: only what the next settle re-read reaches', async () => {
    const r = await rig({ accessLogs: [row(0), row(1, PEOPLE[1], T0 - 6 * 3600)] });
    const { cursor } = await drain(r.source({ settle: '1h' }));
    const state = JSON.parse(cursor!) as { access_logs: { through: number; seen: Record<string, unknown> } };
    expect(state.access_logs.through).toBe(T0);
    // The six-hour-old aggregate is not read again (the pass stops an hour before `through`): it is not kept.
    expect(Object.keys(state.access_logs.seen)).toHaveLength(1);
  });

  it('keeps the cursor within max_tracked_aggregates during a long pass, still emitting each aggregate once', async () => {
    const r = await rig({ accessLogs: Array.from({ length: 250 }, (_, i) => row(i)) });
    const { batches, events } = await drain(r.source({ page_size: 2, max_tracked_aggregates: 100 }));
    expect(events).toHaveLength(250);
    expect(new Set(events.map((e) => e.event.id)).size).toBe(250);
    const sizes = batches.map((b) => Object.keys((JSON.parse(b.cursor!) as { access_logs: { seen: object } }).access_logs.seen).length);
    expect(Math.max(...sizes)).toBe(100);
  });

  it('drops aggregates the pass cannot read again from a loaded cursor before its first batch', async () => {
    const r = await rig({ accessLogs: [row(0), row(1)] });
    const { cursor } = await drain(r.source({ settle: '1h' }));
    const state = JSON.parse(cursor!) as { access_logs: { through: number; seen: Record<string, [number, number]> } };
    state.access_logs.seen.stale = [3, T0 - 2 * 86_400];
    r.clock.t += 60_000;
    r.fake.recordAccess({ user_id: PEOPLE[0]!.id, ip: '203.0.113.77', user_agent: 'Slack/5.0 (Mac)', at: r.clock.t / 1000 });
    const again = await drain(r.source({ settle: '1h', page_size: 1 }), JSON.stringify(state));
    expect(again.events).toHaveLength(1);
    for (const b of again.batches) expect(Object.keys((JSON.parse(b.cursor!) as typeof state).access_logs.seen)).not.toContain('stale');
  });

  it('skips bots, app users and Slackbot, and asks users.info again only after the cache TTL', async () => {
    const r = await rig({ accessLogs: [row(0, PEOPLE[3]), row(1, PEOPLE[4]), row(2, person('USLACKBOT', 'slackbot', { profile: {} })), row(3, PEOPLE[0])] });
    const first = await drain(r.source({ user_cache_ttl: '10m' }));
    expect(first.events.map((e) => e.user?.id)).toEqual(['U0ANN']);
    const asked = () => calls(r.fake, 'users.info').length;
    expect(asked()).toBe(4);
    // One source instance polls twice (the cache lives with it): the second poll asks nothing; after the TTL it asks again.
    const src = r.source({ user_cache_ttl: '10m' }, { once: false, idle: async () => void (r.clock.t += 5 * 60_000) });
    const ac = new AbortController();
    let polls = 0;
    const seenAt: number[] = [];
    for await (const b of src.batches({ cursor: first.cursor, signal: ac.signal })) {
      if (b.watermark !== undefined && b.cursor !== undefined) {
        seenAt.push(asked());
        r.fake.recordAccess({ user_id: 'UBOT01', ip: '198.51.100.0', user_agent: 'Slack/4.0 (Mac)', at: r.clock.t / 1000 });
        if (++polls === 4) ac.abort();
      }
    }
    // Poll 1 finds nothing new (nothing to look up); poll 2 (+5 min) asks for the advanced bot aggregate's
    // user, poll 3 (+10 min) answers from the cache, poll 4 (+15 min, 10 min after the answer) asks again.
    expect(seenAt).toEqual([4, 5, 5, 6]);
  });
});

describe('slack source: rate limits and refusals', () => {
  it('rides out a 429 storm, waiting what Retry-After says (the SDK itself does not retry)', async () => {
    const r = await rig({ accessLogs: [row(0), row(1)] });
    r.fake.failNext({ method: 'team.accessLogs', status: 429, retryAfter: 3, times: 4 });
    const { events } = await drain(r.source());
    expect(events).toHaveLength(2);
    expect(r.sleeps).toEqual([3000, 3000, 3000, 3000]);
    expect(calls(r.fake, 'team.accessLogs').map((c) => c.status)).toEqual([429, 429, 429, 429, 200]);
  });

  it("keeps within team.accessLogs' Tier 2 (20 a minute) by waiting out the fake's Retry-After", async () => {
    const r = await rig({ accessLogs: Array.from({ length: 30 }, (_, i) => row(i)), rateLimits: { perMinute: { 2: 20, 4: 100 } } });
    // Each wait moves the clock the fake limits by, as a real wait would.
    const { events } = await drain(r.source({ page_size: 1 }, { sleep: async (ms) => void (r.sleeps.push(ms), (r.clock.t += ms)) }));
    expect(events).toHaveLength(30);
    expect(r.sleeps).toEqual([60_000]);
    expect(calls(r.fake, 'team.accessLogs').map((c) => c.status).filter((s) => s === 429)).toEqual([429]);
  });

  it('gives up after max_attempts with a retryable error naming the rate limit', async () => {
    const r = await rig({ accessLogs: [row(0)] });
    r.fake.failNext({ method: 'team.accessLogs', status: 429, retryAfter: 1, times: 10 });
    const err = await failure(drain(r.source({ retry: { max_attempts: 3 } })));
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true, retryAfterMs: 1000 });
    expect(calls(r.fake, 'team.accessLogs')).toHaveLength(3);
  });

  it('ends with a clear, non-retryable error naming the missing scope, and the plan', async () => {
    const r = await rig({ accessLogs: [row(0)] });
    const scope = await failure(drain(r.source({ token: FAKE_SLACK_TOKEN }, { once: false })));
    expect(scope).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
    expect(scope.message).toMatch(/team\.accessLogs: missing_scope: the token lacks the admin scope \(it has: chat:write,/);
    expect(calls(r.fake, 'team.accessLogs')).toHaveLength(1);

    const audit = await failure(drain(r.source({ streams: ['audit_logs'], audit_token: FAKE_SLACK_ADMIN_TOKEN })));
    expect(audit.message).toMatch(/audit\/v1\/logs: missing_scope: the token lacks the auditlogs:read scope \(it has: admin,users:read,users:read.email\)/);

    const free = await rig({ plan: 'free', accessLogs: [row(0)] });
    expect((await failure(drain(free.source()))).message).toMatch(/paid_only: team\.accessLogs is available on paid plans only/);
    const pro = await rig({ plan: 'pro' });
    const notGrid = await failure(drain(pro.source({ streams: ['audit_logs'] })));
    expect(notGrid).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
    expect(notGrid.message).toMatch(/feature_not_enabled: the Audit Logs API needs an Enterprise organization/);
  });

  it('never shows a token in an error, even when the answer quotes the request', async () => {
    const r = await rig({ accessLogs: [row(0)] });
    r.fake.failNext({ method: 'team.accessLogs', error: 'invalid_auth', echo: true });
    const err = await failure(drain(r.source()));
    expect(JSON.stringify({ m: err.message, d: err.details, s: err.stack })).not.toContain(FAKE_SLACK_ADMIN_TOKEN);
    expect(err.message).toMatch(/invalid_auth: check the token/);
  });
});

describe('slack source: audit logs', () => {
  const entry = (i: number, at: number, action = 'user_login'): SlackAuditEntry => ({
    id: `0f1c2d3e-0000-4000-8000-${String(i).padStart(12, '0')}`,
    date_create: at,
    action,
    actor: { type: 'user', user: { id: 'U0ANN', name: 'ann', email: 'ann@example.com', team: 'T0SAASWTCH' } },
    entity: { type: 'user', user: { id: 'U0ANN', name: 'ann', email: 'ann@example.com', team: 'T0SAASWTCH' } },
    context: { location: { type: 'workspace', id: 'T0SAASWTCH', name: 'saaswatch', domain: 'saaswatch' }, ua: 'Mozilla/5.0', ip_address: '198.51.100.9' },
  });

  it('reads [watermark − settle, now) in windows and cursor pages; the settle re-read repeats ids, never loses one', async () => {
    const entries = Array.from({ length: 25 }, (_, i) => entry(i, T0 - 3 * 3600 + i * 400));
    const r = await rig({ auditLogs: entries });
    const first = await drain(r.source({ streams: ['audit_logs'], audit_page_size: 4, window: '1h', settle: '15m' }));
    expect(first.events.map((e) => e.event.id).sort()).toEqual(entries.map((e) => eventId('slack', e)).sort());
    const audit = calls(r.fake, 'audit/v1/logs');
    expect(audit.length).toBeGreaterThan(7);
    // Each batch's watermark promises no older event follows; it never moves back.
    let promised = -Infinity;
    for (const b of first.batches) {
      for (const e of b.events) expect(Date.parse(e['@timestamp'])).toBeGreaterThanOrEqual(promised);
      if (b.watermark !== undefined) {
        expect(b.watermark).toBeGreaterThanOrEqual(promised);
        promised = b.watermark;
      }
    }
    expect(promised).toBe(NOW - 15 * 60_000);

    // A late entry (stamped before the last poll ended) and a new one: the next poll's re-read finds both.
    r.fake.auditLogs.push(entry(100, T0 - 120, 'file_downloaded'), entry(101, T0 + 200, 'app_installed'));
    r.clock.t += 600_000;
    const second = await drain(r.source({ streams: ['audit_logs'], audit_page_size: 4, settle: '15m' }), first.cursor);
    const ids = new Set(second.events.map((e) => e.event.id));
    expect(ids.has(eventId('slack', r.fake.auditLogs.at(-2)))).toBe(true);
    expect(ids.has(eventId('slack', r.fake.auditLogs.at(-1)))).toBe(true);
    // Only what the settle window reaches is read again: entries from the last 15 minutes of the first poll.
    const reread = second.events.filter((e) => e.event.action === 'user_login');
    expect(reread.every((e) => Date.parse(e['@timestamp']) >= NOW - 15 * 60_000)).toBe(true);
    expect(JSON.parse(second.cursor!).audit_logs).toBe(new Date(r.clock.t).toISOString());
  });

  it('stores each entry and each aggregate state once across overlapping polls (the pipeline dedupes the settle re-read by event id)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-slack-'));
    const store = await openStore({ dialect: 'sqlite', path: join(tmp, 'db.sqlite') });
    try {
      const entries = Array.from({ length: 12 }, (_, i) => entry(i, T0 - 3600 + i * 290));
      const r = await rig({ accessLogs: [row(0), row(1)], auditLogs: entries });
      const pipeline = new Pipeline({ store, detectors: [], sinkNames: [], logger: silentLogger, now: () => r.clock.t });
      const config = { streams: ['access_logs', 'audit_logs'] as ('access_logs' | 'audit_logs')[], audit_page_size: 5, settle: '30m' };
      const first = await pipeline.ingest(r.source(config));
      expect(first).toMatchObject({ inserted: 14, duplicates: 0 });
      r.clock.t += 600_000;
      r.fake.recordAccess({ user_id: 'U0ANN', ip: '198.51.100.0', user_agent: 'Slack/4.0 (Mac)', at: T0 + 300 });
      const second = await pipeline.ingest(r.source(config));
      // The audit re-read finds the five entries of its last 30 minutes again: duplicates, not new rows. The advance is one new row.
      expect(second).toMatchObject({ inserted: 1, duplicates: 5 });
      expect(await store.countEvents()).toBe(15);
    } finally {
      await store.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a cursor Slack stops taking fails the poll as retryable; the next poll reads the window again', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => entry(i, T0 - 1800 + i * 60));
    const r = await rig({ auditLogs: entries });
    r.fake.failNext({ method: 'audit/v1/logs', status: 400, error: 'invalid_cursor', after: 1, times: 2 });
    const config = { streams: ['audit_logs'] as 'audit_logs'[], audit_page_size: 4, retry: { max_attempts: 2 } };
    const batches: SourceBatch[] = [];
    const err = await failure(
      (async () => {
        for await (const b of r.source(config).batches({ cursor: undefined, signal: new AbortController().signal })) batches.push(b);
      })(),
    );
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true });
    expect(err.message).toMatch(/invalid_cursor/);
    const again = await drain(r.source(config), batches.at(-1)?.cursor);
    expect(new Set([...batches.flatMap((b) => b.events), ...again.events].map((e) => e.event.id)).size).toBe(6);
  });

  it('a next_cursor Slack hands out twice fails the pass as retryable, the window read again next poll', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => entry(i, T0 - 1800 + i * 60));
    const r = await rig({ auditLogs: entries });
    // One window, so the fault's second request is that window's page 2.
    r.fake.failNext({ method: 'audit/v1/logs', repeatCursor: true, after: 1 });
    const config = { streams: ['audit_logs'] as 'audit_logs'[], audit_page_size: 4, backfill: '1h', window: '2h' };
    const batches: SourceBatch[] = [];
    const err = await failure(
      (async () => {
        for await (const b of r.source(config).batches({ cursor: undefined, signal: new AbortController().signal })) batches.push(b);
      })(),
    );
    expect(err).toMatchObject({ code: 'INPUT_MALFORMED', retryable: true });
    expect(err.message).toMatch(/next_cursor repeated on page 2/);
    // Page 1 and the stuck page 2: then no third request for the same page.
    expect(calls(r.fake, 'audit/v1/logs')).toHaveLength(2);
    const again = await drain(r.source(config), batches.at(-1)?.cursor);
    expect(new Set([...batches.flatMap((b) => b.events), ...again.events].map((e) => e.event.id)).size).toBe(10);
  });

  it('reads both streams, and a failing audit stream does not hold back the access logs', async () => {
    const r = await rig({ accessLogs: [row(0)], auditLogs: [entry(1, T0 - 100)] });
    r.fake.failNext({ method: 'audit/v1/logs', status: 503, times: 20 });
    const src = r.source({ streams: ['access_logs', 'audit_logs'], retry: { max_attempts: 2 } });
    const batches: SourceBatch[] = [];
    const err = await failure(
      (async () => {
        for await (const b of src.batches({ cursor: undefined, signal: new AbortController().signal })) batches.push(b);
      })(),
    );
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE' });
    expect(batches.flatMap((b) => b.events).map((e) => e.event.dataset)).toEqual(['slack.access_logs']);
  });
});

describe('slack plugin', () => {
  it('is registered under its type with a config whose defaults follow Slack', () => {
    const c = slackPlugin.configSchema.parse({ token: 'xoxp-1' });
    expect(c).toMatchObject({ streams: ['access_logs'], page_size: 1000, audit_page_size: 1000, audit_url: 'https://api.slack.com', webhook_path: '/webhooks/slack' });
    expect(() => slackPlugin.configSchema.parse({ token: 'xoxp-1', page_size: 1001 })).toThrow();
    expect(() => slackPlugin.configSchema.parse({ token: 'xoxp-1', audit_page_size: 10_000 })).toThrow();
    expect(() => slackPlugin.configSchema.parse({ token: 'xoxp-1', streams: ['messages'] })).toThrow(/streams must be among access_logs, audit_logs/);
  });

  it("validates the README's example, with the defaults it names", () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('type: slack'));
    expect(block).toBeDefined();
    const cfg = validateConfig(parse(block!), registry, { env: { SLACK_ADMIN_TOKEN: 'xoxp-a', SLACK_AUDIT_TOKEN: 'xoxp-b', SLACK_SIGNING_SECRET: 's' } });
    expect(cfg.sources).toMatchObject([{ type: 'slack', name: 'slack', config: { streams: ['access_logs', 'audit_logs'], settle: 900_000, backfill: { lookbackMs: 86_400_000 }, user_cache_ttl: 3_600_000 } }]);
  });
});
