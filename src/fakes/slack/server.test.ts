import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_SLACK_CHANNEL, FAKE_SLACK_TOKEN, startSlackFake, type FakeSlack, type FakeSlackOptions } from './server.js';

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
});
