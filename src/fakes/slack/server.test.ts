import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlackAccessLog, SlackAuditEntry, SlackUser } from '../../sources/slack/wire.js';
import { FAKE_SLACK_ADMIN_TOKEN, FAKE_SLACK_AUDIT_TOKEN, FAKE_SLACK_CHANNEL, FAKE_SLACK_TOKEN, startSlackFake, type FakeSlack, type FakeSlackOptions } from './server.js';

let fake: FakeSlack | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(opts: FakeSlackOptions = {}) {
  fake = await startSlackFake(opts);
  const web = new WebClient(FAKE_SLACK_TOKEN, { slackApiUrl: fake.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  return { fake, web };
}

/** The fake's clock: fixed instants a test moves by hand. */
function clock(start = Date.parse('2026-11-03T10:00:00Z')) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('Slack Web API fake', () => {
  it('answers auth.test and refuses a missing or wrong token with ok:false on HTTP 200', async () => {
    const { fake: f, web } = await start();
    expect(await web.auth.test()).toMatchObject({ ok: true, team_id: 'T0SAASWTCH', bot_id: 'B0SAASBOT' });
    await expect(new WebClient('xoxb-nope', { slackApiUrl: f.url, retryConfig: { retries: 0 } }).auth.test()).rejects.toMatchObject({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'invalid_auth' } });
    const raw = await fetch(`${f.url}auth.test`, { method: 'POST' });
    expect([raw.status, await raw.json()]).toEqual([200, { ok: false, error: 'not_authed' }]);
  });

  it('keeps threads, metadata and history pages as Slack does (newest first, replies only in their thread)', async () => {
    const c = clock();
    const { fake: f, web } = await start({ now: c.now, rateLimits: false });
    const posted: string[] = [];
    for (let i = 0; i < 5; i++) {
      c.t += 1000;
      const r = await web.chat.postMessage({ channel: FAKE_SLACK_CHANNEL.id, text: `m${i}`, metadata: { event_type: 'saaswatch_alert', event_payload: { n: i } } });
      posted.push(r.ts!);
    }
    expect(posted[0]).toBe(`${Date.parse('2026-11-03T10:00:01Z') / 1000}.000000`);
    await web.chat.postMessage({ channel: FAKE_SLACK_CHANNEL.id, thread_ts: posted[1]!, text: 'reply' });
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const h = await web.conversations.history({ channel: FAKE_SLACK_CHANNEL.id, limit: 2, include_all_metadata: true, oldest: posted[0]!, ...(cursor ? { cursor } : {}) });
      pages.push(h.messages!.map((m) => m.text!));
      expect(h.messages!.every((m) => (m as { metadata?: unknown }).metadata !== undefined)).toBe(true);
      cursor = h.response_metadata?.next_cursor || undefined;
    } while (cursor);
    // `oldest` is exclusive unless inclusive is set.
    expect(pages).toEqual([['m4', 'm3'], ['m2', 'm1']]);
    const plain = await web.conversations.history({ channel: FAKE_SLACK_CHANNEL.id, limit: 1 });
    expect((plain.messages![0] as { metadata?: unknown }).metadata).toBeUndefined();
    const thread = await web.conversations.replies({ channel: FAKE_SLACK_CHANNEL.id, ts: posted[1]!, include_all_metadata: true });
    expect(thread.messages!.map((m) => [m.text, m.reply_count])).toEqual([['m1', 1], ['reply', undefined]]);
    await web.chat.update({ channel: FAKE_SLACK_CHANNEL.id, ts: posted[1]!, text: 'm1 edited' });
    expect(f.messages.find((m) => m.ts === posted[1])).toMatchObject({ text: 'm1 edited', updates: 1 });
    await expect(web.conversations.history({ channel: FAKE_SLACK_CHANNEL.id, cursor: 'bogus' })).rejects.toMatchObject({ data: { error: 'invalid_cursor' } });
  });

  it('paces chat.postMessage per channel and limits each method to its tier, with Retry-After', async () => {
    const c = clock();
    const { fake: f, web } = await start({ now: c.now, channels: [FAKE_SLACK_CHANNEL, { id: 'C0OTHER000', name: 'other' }], rateLimits: { perMinute: { 2: 2 } } });
    await web.chat.postMessage({ channel: FAKE_SLACK_CHANNEL.id, text: 'a' });
    await web.chat.postMessage({ channel: 'C0OTHER000', text: 'another channel is not held back' });
    c.t += 400;
    await expect(web.chat.postMessage({ channel: FAKE_SLACK_CHANNEL.id, text: 'b' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 1 });
    c.t += 600;
    await web.chat.postMessage({ channel: FAKE_SLACK_CHANNEL.id, text: 'b' });
    await web.conversations.list();
    await web.conversations.list();
    await expect(web.conversations.list()).rejects.toMatchObject({ retryAfter: 60 });
    c.t += 30_000;
    await expect(web.conversations.list()).rejects.toMatchObject({ retryAfter: 30 });
    expect(f.requests.filter((r) => r.status === 429).map((r) => r.method)).toEqual(['chat.postMessage', 'conversations.list', 'conversations.list']);
  });

  it('takes files through getUploadURLExternal, the upload URL and completeUploadExternal, into a thread', async () => {
    const { fake: f, web } = await start({ rateLimits: false });
    const root = await web.chat.postMessage({ channel: FAKE_SLACK_CHANNEL.id, text: 'root' });
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5]);
    const res = await web.filesUploadV2({ channel_id: FAKE_SLACK_CHANNEL.id, thread_ts: root.ts!, file: bytes, filename: 'chart.png', title: 'Chart', initial_comment: 'the chart' });
    expect(res.ok).toBe(true);
    expect(f.files).toEqual([expect.objectContaining({ filename: 'chart.png', title: 'Chart', length: 9, channel: FAKE_SLACK_CHANNEL.id, thread_ts: root.ts, completed: true })]);
    expect(f.files[0]!.bytes!.equals(bytes)).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'slack-fake-'));
    try {
      const [path, ...rest] = await f.saveUploads(dir);
      expect(rest).toEqual([]);
      expect((await readFile(path!)).equals(bytes)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(f.replies(FAKE_SLACK_CHANNEL.id, root.ts!)).toEqual([expect.objectContaining({ text: 'the chart', files: [expect.objectContaining({ name: 'chart.png', mimetype: 'image/png' })] })]);
    // Completing a file that was never uploaded is refused.
    const { file_id } = await web.files.getUploadURLExternal({ filename: 'x.png', length: 3 });
    await expect(web.files.completeUploadExternal({ files: [{ id: file_id! }] })).rejects.toMatchObject({ data: { error: 'file_not_found' } });
  });

  it('answers channel errors and injected faults the way Slack does', async () => {
    const { fake: f, web } = await start({ channels: [FAKE_SLACK_CHANNEL, { id: 'C0NOTMEMBER', name: 'private', is_member: false }] });
    await expect(web.chat.postMessage({ channel: 'C0MISSING00', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(web.chat.postMessage({ channel: 'C0NOTMEMBER', text: 'x' })).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
    f.failNext({ method: 'chat.postMessage', status: 503, times: 2 });
    await expect(web.chat.postMessage({ channel: FAKE_SLACK_CHANNEL.id, text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 503 });
    await expect(web.auth.test()).resolves.toMatchObject({ ok: true });
    await expect(web.chat.postMessage({ channel: FAKE_SLACK_CHANNEL.id, text: 'x' })).rejects.toMatchObject({ statusCode: 503 });
    await expect(web.chat.postMessage({ channel: FAKE_SLACK_CHANNEL.id, text: 'x' })).resolves.toMatchObject({ ok: true });
    // JSON bodies work as well as the SDK's form bodies.
    const json = await fetch(`${f.url}conversations.list`, { method: 'POST', headers: { authorization: `Bearer ${FAKE_SLACK_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ limit: 1 }) });
    const body = (await json.json()) as { channels: unknown[]; response_metadata: { next_cursor: string } };
    expect(body.channels).toHaveLength(1);
    expect(body.response_metadata.next_cursor).not.toBe('');
  });

  describe('what the slack source reads', () => {
    const T0 = Date.parse('2026-11-03T10:00:00Z') / 1000;
    const rows = (n: number): SlackAccessLog[] =>
      Array.from({ length: n }, (_, i) => ({ user_id: `U${String(i % 7).padStart(4, '0')}`, username: `user${i % 7}`, date_first: T0 - 10_000 - i, date_last: T0 - i, count: 1 + (i % 3), ip: `198.51.100.${i % 250}`, user_agent: `agent ${i}`, isp: 'ISP', country: 'US', region: 'CA' }));
    const people: SlackUser[] = [
      { id: 'U0000', name: 'ann', is_bot: false, is_app_user: false, profile: { email: 'ann@example.com' } },
      { id: 'UBOT', name: 'deploybot', is_bot: true, is_app_user: false, profile: {} },
    ];
    const entries = (n: number): SlackAuditEntry[] =>
      Array.from({ length: n }, (_, i) => ({ id: `e${String(i).padStart(4, '0')}`, date_create: T0 - 60 * i, action: 'user_login', actor: { type: 'user', user: { id: 'U0000', email: 'ann@example.com' } }, entity: { type: 'user', user: { id: 'U0000' } }, context: { ip_address: '198.51.100.1' } }));

    const admin = (f: FakeSlack) => new WebClient(FAKE_SLACK_ADMIN_TOKEN, { slackApiUrl: f.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    const audit = (f: FakeSlack, q: Record<string, string | number>, token = FAKE_SLACK_AUDIT_TOKEN) =>
      fetch(`${f.auditUrl}/audit/v1/logs?${new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)]))}`, { headers: { authorization: `Bearer ${token}` } });

    it('pages team.accessLogs newest activity first, refuses page 101 and count 1001, and ends the range at before (inclusive)', async () => {
      const { fake: f } = await start({ rateLimits: false, accessLogs: rows(250) });
      const web = admin(f);
      const p1 = await web.team.accessLogs({ count: 2, page: 1 });
      expect(p1.paging).toEqual({ count: 2, total: 250, page: 1, pages: 125 });
      expect(p1.logins!.map((r) => r.date_last)).toEqual([T0, T0 - 1]);
      const p100 = await web.team.accessLogs({ count: 2, page: 100 });
      expect(p100.logins!.map((r) => r.date_last)).toEqual([T0 - 198, T0 - 199]);
      await expect(web.team.accessLogs({ count: 2, page: 101 })).rejects.toMatchObject({ data: { ok: false, error: 'over_pagination_limit' } });
      await expect(web.team.accessLogs({ count: 1001, page: 1 })).rejects.toMatchObject({ data: { error: 'over_pagination_limit' } });
      const on = await web.team.accessLogs({ count: 2, page: 1, before: T0 - 199 });
      expect(on.logins!.map((r) => r.date_last)).toEqual([T0 - 199, T0 - 200]);
      expect(on.paging!.total).toBe(51);
    });

    it('advances an aggregate on recordAccess and starts a new one for a new IP', async () => {
      const { fake: f } = await start({ rateLimits: false, accessLogs: rows(1), users: people });
      f.recordAccess({ user_id: 'U0000', ip: '198.51.100.0', user_agent: 'agent 0', at: T0 + 30 });
      f.recordAccess({ user_id: 'U0000', ip: '203.0.113.9', user_agent: 'agent 0', at: T0 + 40, country: 'KP' });
      const { logins } = await admin(f).team.accessLogs({ count: 10 });
      expect(logins!.map((r) => [r.ip, r.count, r.date_last, r.date_first, r.country, r.username])).toEqual([
        ['203.0.113.9', 1, T0 + 40, T0 + 40, 'KP', 'ann'],
        ['198.51.100.0', 2, T0 + 30, T0 - 10_000, 'US', 'user0'],
      ]);
    });

    it('refuses a token without the admin scope (missing_scope with needed and provided) and a free plan (paid_only)', async () => {
      const { fake: f, web } = await start({ rateLimits: false, accessLogs: rows(3) });
      await expect(web.team.accessLogs()).rejects.toMatchObject({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'missing_scope', needed: 'admin', provided: expect.stringContaining('chat:write') } });
      await f.close();
      const free = await startSlackFake({ rateLimits: false, plan: 'free' });
      fake = free;
      await expect(admin(free).team.accessLogs()).rejects.toMatchObject({ data: { error: 'paid_only' } });
    });

    it('answers users.info, leaving the email out for a token without users:read.email, and user_not_found', async () => {
      const { fake: f, web } = await start({ rateLimits: false, users: people });
      expect((await admin(f).users.info({ user: 'U0000' })).user).toMatchObject({ id: 'U0000', profile: { email: 'ann@example.com' } });
      expect((await web.users.info({ user: 'U0000' })).user!.profile!.email).toBeUndefined();
      await expect(admin(f).users.info({ user: 'UNOPE' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    });

    it('serves the Audit Logs API: cursor pages bound to their query, oldest/latest inclusive, limit up to 9999, HTTP errors', async () => {
      const { fake: f } = await start({ rateLimits: false, auditLogs: entries(7) });
      const seen: string[] = [];
      let cursor = '';
      do {
        const r = await audit(f, { oldest: T0 - 300, latest: T0 - 60, limit: 2, ...(cursor ? { cursor } : {}) });
        expect(r.status).toBe(200);
        const body = (await r.json()) as { entries: SlackAuditEntry[]; response_metadata: { next_cursor: string } };
        seen.push(...body.entries.map((e) => e.id));
        cursor = body.response_metadata.next_cursor;
      } while (cursor);
      expect(seen).toEqual(['e0001', 'e0002', 'e0003', 'e0004', 'e0005']);
      const first = (await (await audit(f, { oldest: T0 - 300, limit: 2 })).json()) as { response_metadata: { next_cursor: string } };
      const mixed = await audit(f, { oldest: T0 - 200, limit: 2, cursor: first.response_metadata.next_cursor });
      expect([mixed.status, await mixed.json()]).toEqual([400, { ok: false, error: 'invalid_cursor' }]);
      expect((await audit(f, { limit: 10_000 })).status).toBe(400);
      expect((await audit(f, { limit: 9999 })).status).toBe(200);
      const noScope = await audit(f, {}, FAKE_SLACK_ADMIN_TOKEN);
      expect([noScope.status, await noScope.json()]).toEqual([403, { ok: false, error: 'missing_scope', needed: 'auditlogs:read', provided: 'admin,users:read,users:read.email' }]);
      expect((await audit(f, {}, 'xoxp-unknown')).status).toBe(401);
      // The Audit Logs API's own error names (its reference's Errors table), not the Web API's not_authed / ratelimited.
      const anonymous = await fetch(`${f.auditUrl}/audit/v1/logs`);
      expect([anonymous.status, await anonymous.json()]).toEqual([401, { ok: false, error: 'missing_authentication' }]);
      const badRange = await audit(f, { oldest: 'yesterday' });
      expect([badRange.status, await badRange.json()]).toEqual([400, { ok: false, error: 'invalid_range' }]);
      f.failNext({ method: 'audit/v1/logs', status: 429, retryAfter: 7 });
      const limited = await audit(f, {});
      expect([limited.status, limited.headers.get('retry-after'), await limited.json()]).toEqual([429, '7', { ok: false, error: 'rate_limited' }]);
    });

    it('answers feature_not_enabled (403) to the audit API outside Enterprise, and limits it as Tier 3 with Retry-After', async () => {
      const c = clock();
      const pro = await startSlackFake({ plan: 'pro', now: c.now });
      fake = pro;
      const r = await audit(pro, {});
      expect([r.status, await r.json()]).toEqual([403, { ok: false, error: 'feature_not_enabled' }]);
      await pro.close();
      const ent = await startSlackFake({ now: c.now, rateLimits: { perMinute: { 3: 2 } } });
      fake = ent;
      expect((await audit(ent, {})).status).toBe(200);
      expect((await audit(ent, {})).status).toBe(200);
      const third = await audit(ent, {});
      expect([third.status, third.headers.get('retry-after')]).toEqual([429, '60']);
    });
  });
});
