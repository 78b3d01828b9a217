import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, type AlertGroup, type SinkRefs } from '../../core/index.js';
import { decodePng } from '../../charts/png.js';
import { sampleActivity, sampleTravelEvidence } from '../../charts/fixtures.js';
import { startSlackFake, FAKE_SLACK_CHANNEL, FAKE_SLACK_TOKEN, type FakeSlack, type FakeSlackOptions } from '../../fakes/slack/server.js';
import { deliveryContext, memoryRefs, sampleAlert } from '../testing.js';
import { slackConfigSchema } from './config.js';
import { chartFilename, SlackSink, slackSinkPlugin } from './sink.js';
import { failureOf as failure } from '../../core/testing.js';

let fake: FakeSlack | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  fake = await startSlackFake({ rateLimits: { postIntervalMs: 0 }, ...opts });
  return fake;
}

function sink(f: FakeSlack, over: Record<string, unknown> = {}, logs?: string[]): SlackSink {
  const config = slackConfigSchema.parse({ token: FAKE_SLACK_TOKEN, channel: FAKE_SLACK_CHANNEL.id, base_url: f.url, allow_private_networks: true, dashboard_url: 'https://saaswatch.example.com/', ...over });
  const logger = logs
    ? pino({ level: 'trace' }, new Writable({ write: (c: Buffer, _e, done) => (logs.push(c.toString('utf8')), done()) }))
    : pino({ level: 'silent' });
  return slackSinkPlugin.create('soc-slack', config, { logger, dataDir: '/nonexistent' });
}

const ctx = deliveryContext;

const allText = (blocks: unknown) => JSON.stringify(blocks);
const brute = sampleAlert();
const travel = sampleAlert({ id: 'alrt_travel', rule: 'impossible-travel', title: 'Impossible travel for alice@example.com', severity: 'medium', entity: { type: 'user', value: 'alice@example.com' }, createdAt: '2024-05-01T10:08:00.000Z' });

describe('slack sink', () => {
  it('posts one Block Kit message with the alert, its metadata and a dashboard link, then the chart PNG in its thread', async () => {
    const f = await start();
    const refs = memoryRefs();
    await sink(f).deliver(travel, ctx('dlv_1', { refs, evidence: sampleTravelEvidence(), activity: sampleActivity() }));

    const top = f.topLevel(FAKE_SLACK_CHANNEL.id);
    expect(top).toHaveLength(1);
    const root = top[0]!;
    expect(root.metadata).toEqual({
      event_type: 'saaswatch_alert',
      event_payload: { delivery_id: 'dlv_1', alert_id: 'alrt_travel', group_id: 'alrt_travel', dedup_key: travel.dedupKey, rule: 'impossible-travel', severity: 'medium', kind: 'alert', role: 'root' },
    });
    const text = allText(root.blocks);
    expect(root.blocks![0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: ':large_yellow_circle: MEDIUM · Impossible travel for alice@example.com' } });
    expect(text).toContain('*Who*\\nuser alice@example.com');
    expect(text).toContain('Paris, FR · AS3215 Orange; Sydney, AU · AS1221 Telstra');
    expect(text).toContain('*Window*\\n2024-05-01 10:00–10:05 UTC');
    expect(text).toContain('failures 42 (expected failures 10)');
    expect(text).toContain('• 2024-05-01 10:07:00Z login success alice@example.com from 203.0.113.9 Sydney, AU · AS1221 Telstra');
    expect(root.blocks).toContainEqual({ type: 'actions', elements: [expect.objectContaining({ type: 'button', url: 'https://saaswatch.example.com/alerts/alrt_travel' })] });
    expect(root.text).toBe('[MEDIUM] Impossible travel for alice@example.com (user alice@example.com)');
    expect(refs.map.get('group:alrt_travel')).toBe(root.ts);

    // The chart went through getUploadURLExternal → upload URL → completeUploadExternal, into the thread.
    expect(f.requests.map((r) => r.method).filter((m) => m.startsWith('files.') || m === 'upload')).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
    // The bot token goes to the API only; the upload URL is its own credential.
    expect(f.requests.filter((r) => r.method !== 'upload').every((r) => r.bearer)).toBe(true);
    expect(f.requests.find((r) => r.method === 'upload')!.bearer).toBe(false);
    expect(f.files).toHaveLength(1);
    const file = f.files[0]!;
    expect(file).toMatchObject({ filename: 'saaswatch-alrt_travel.png', channel: FAKE_SLACK_CHANNEL.id, thread_ts: root.ts, completed: true });
    expect(file.length).toBe(file.bytes!.length);
    const png = decodePng(file.bytes!);
    expect([png.width, png.height]).toEqual([800, 360]);
    expect(file.alt_text).toContain('Paris, FR (AS3215 Orange)');
    expect(f.replies(FAKE_SLACK_CHANNEL.id, root.ts).map((m) => m.files?.[0]?.name)).toEqual(['saaswatch-alrt_travel.png']);
  });

  it('escapes hostile alert and event text for mrkdwn and caps it to the block limits', async () => {
    const f = await start();
    const hostile = sampleAlert({
      title: '<!channel> pay <https://evil.example|here> & now',
      description: `${'<@U123> '.repeat(600)}end`,
      entity: { type: 'user', value: '<!here>' },
    });
    const evidence = sampleTravelEvidence().map((e) => ({ ...e, user: { email: '<https://evil.example|admin@corp>' } }));
    await sink(f, { charts: false }).deliver(hostile, ctx('dlv_hostile', { evidence }));
    const root = f.topLevel(FAKE_SLACK_CHANNEL.id)[0]!;
    const texts: string[] = [];
    JSON.stringify(root.blocks, (k, v: unknown) => (k === 'text' && typeof v === 'string' ? (texts.push(v), v) : v));
    const mrkdwn = [...texts.filter((t) => !t.startsWith(':')), root.text];
    for (const t of mrkdwn) {
      expect(t).not.toMatch(/<[!@#]|<https?:/);
    }
    // The notification text is mrkdwn: escaped. The header is plain_text, which Slack never parses for mentions or links.
    expect(root.text).toContain('&lt;!channel&gt; pay &lt;https://evil.example|here&gt; &amp; now');
    expect(root.blocks![0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(allText(root.blocks)).toContain('&lt;https://evil.example|admin@corp&gt;');
    const what = (root.blocks as Array<{ text?: { text?: string } }>).find((b) => b.text?.text?.startsWith('*What*'))!;
    expect(what.text!.text!.length).toBeLessThanOrEqual(3000);
    expect(what.text!.text!.endsWith('…')).toBe(true);
    // An entity is never cut in half.
    expect(what.text!.text!).not.toMatch(/&[a-z]*…$/);
  });

  it('tells a later alert of the group in the thread, rewrites the root to list the group, and sends updates as replies without a chart', async () => {
    const f = await start();
    const refs = memoryRefs();
    const s = sink(f);
    const first = sampleAlert({ id: 'alrt_g1', rule: 'baseline', title: 'Unusual volume of file_delete for bob', entity: { type: 'user', value: 'bob@example.com' }, expected: { mean: 30, sd: 6, bucket_minutes: 60 } });
    const second = sampleAlert({ id: 'alrt_g2', rule: 'sigma-drive-mass-delete', title: 'Drive mass deletion by bob', severity: 'critical', entity: { type: 'user', value: 'bob@example.com' } });
    const g1: AlertGroup = { id: 'alrt_g1', alerts: [first] };
    const g2: AlertGroup = { id: 'alrt_g1', alerts: [first, second] };
    await s.deliver(first, ctx('dlv_g1', { refs, group: g1, activity: sampleActivity() }));
    await s.deliver(second, ctx('dlv_g2', { refs, group: g2, activity: sampleActivity() }));
    await s.deliver(second, ctx('dlv_g3', { refs, group: g2, kind: 'update', activity: sampleActivity() }));

    const top = f.topLevel(FAKE_SLACK_CHANNEL.id);
    expect(top).toHaveLength(1);
    const root = top[0]!;
    expect(root.updates).toBe(2);
    expect(root.text).toBe('[CRITICAL] 2 alerts on user bob@example.com');
    expect(allText(root.blocks)).toContain('Unusual volume of file_delete for bob');
    expect(allText(root.blocks)).toContain('• *CRITICAL* Drive mass deletion by bob · `sigma-drive-mass-delete` · 2024-05-01 10:00–10:05 UTC · failures 42');
    const replies = f.replies(FAKE_SLACK_CHANNEL.id, root.ts);
    // The first alert's chart, the second alert (its own chart), then the update (no chart).
    expect(replies.map((m) => m.files?.[0]?.name ?? m.metadata?.event_payload.delivery_id)).toEqual(['saaswatch-alrt_g1.png', 'dlv_g2', 'saaswatch-alrt_g2.png', 'dlv_g3']);
    expect(replies.at(-1)!.text).toBe('Update: [CRITICAL] Drive mass deletion by bob (user bob@example.com)');
    expect(replies.at(-1)!.metadata!.event_payload).toMatchObject({ kind: 'update', role: 'reply', group_id: 'alrt_g1' });
  });

  it('finds the group thread from the channel when the refs are lost', async () => {
    const f = await start();
    const first = sampleAlert({ id: 'alrt_a', entity: { type: 'user', value: 'carol@example.com' } });
    const second = sampleAlert({ id: 'alrt_b', entity: { type: 'user', value: 'carol@example.com' }, title: 'Second' });
    await sink(f, { charts: false }).deliver(first, ctx('dlv_a', { refs: memoryRefs(), group: { id: 'alrt_a', alerts: [first] } }));
    await sink(f, { charts: false }).deliver(second, ctx('dlv_b', { refs: memoryRefs(), group: { id: 'alrt_a', alerts: [first, second] } }));
    const top = f.topLevel(FAKE_SLACK_CHANNEL.id);
    expect(top).toHaveLength(1);
    expect(f.replies(FAKE_SLACK_CHANNEL.id, top[0]!.ts).map((m) => m.metadata?.event_payload.alert_id)).toEqual(['alrt_b']);
  });

  it("looks back to the group's first alert for its thread, however much later the new alert comes", async () => {
    const clock = { t: Date.parse('2026-11-03T10:00:05Z') };
    const f = await start({ now: () => clock.t });
    const first = sampleAlert({ id: 'alrt_early', windowStart: Date.parse('2026-11-03T09:55:00Z'), windowEnd: Date.parse('2026-11-03T10:00:00Z'), createdAt: '2026-11-03T10:00:01.000Z' });
    const later = sampleAlert({ id: 'alrt_late', windowStart: Date.parse('2026-11-03T12:55:00Z'), windowEnd: Date.parse('2026-11-03T13:00:00Z'), createdAt: '2026-11-03T13:00:01.000Z' });
    await sink(f, { charts: false }).deliver(first, ctx('dlv_early', { refs: memoryRefs(), group: { id: first.id, alerts: [first] } }));
    clock.t = Date.parse('2026-11-03T13:00:05Z');
    await sink(f, { charts: false }).deliver(later, ctx('dlv_late', { refs: memoryRefs(), group: { id: first.id, alerts: [first, later] } }));
    expect(f.topLevel(FAKE_SLACK_CHANNEL.id)).toHaveLength(1);
    expect(f.replies(FAKE_SLACK_CHANNEL.id, f.topLevel(FAKE_SLACK_CHANNEL.id)[0]!.ts).map((m) => m.metadata?.event_payload.alert_id)).toEqual(['alrt_late']);
  });

  describe('a repeated delivery id never posts twice', () => {
    const lost = (): SinkRefs | undefined => memoryRefs();
    const none = (): SinkRefs | undefined => undefined;
    it.each([
      ['refs lost', lost],
      ['refs kept', undefined],
      ['no refs at all', none],
    ] as const)('after a crash between the post and the commit (%s), from a new sink instance', async (_name, refsAfter) => {
      const f = await start();
      const refs = memoryRefs();
      await sink(f).deliver(brute, ctx('dlv_crash', { refs, activity: sampleActivity() }));
      const again: SinkRefs | undefined = refsAfter ? refsAfter() : refs;
      await sink(f).deliver(brute, ctx('dlv_crash', { attempt: 2, ...(again ? { refs: again } : {}), activity: sampleActivity() }));
      expect(f.messages.filter((m) => m.metadata?.event_payload.delivery_id === 'dlv_crash')).toHaveLength(1);
      expect(f.files.filter((x) => x.completed)).toHaveLength(1);
    });

    it('a thread reply is not repeated either', async () => {
      const f = await start();
      const refs = memoryRefs();
      const g = { id: brute.id, alerts: [brute, { ...brute, id: 'alrt_0002' }] };
      await sink(f, { charts: false }).deliver(brute, ctx('dlv_r1', { refs, group: { id: brute.id, alerts: [brute] } }));
      await sink(f, { charts: false }).deliver(g.alerts[1]!, ctx('dlv_r2', { refs, group: g }));
      await sink(f, { charts: false }).deliver(g.alerts[1]!, ctx('dlv_r2', { attempt: 2, refs: memoryRefs(), group: g }));
      expect(f.messages.filter((m) => m.metadata?.event_payload.delivery_id === 'dlv_r2')).toHaveLength(1);
    });

    it('when the chart upload failed after the post, the retry uploads the chart and does not post again', async () => {
      const f = await start();
      f.failNext({ method: 'files.completeUploadExternal', error: 'internal_error' });
      const err = await failure(sink(f).deliver(brute, ctx('dlv_chart', { refs: memoryRefs(), activity: sampleActivity() })));
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('internal_error');
      await sink(f).deliver(brute, ctx('dlv_chart', { attempt: 2, refs: memoryRefs(), activity: sampleActivity() }));
      await sink(f).deliver(brute, ctx('dlv_chart', { attempt: 3, refs: memoryRefs(), activity: sampleActivity() }));
      expect(f.topLevel(FAKE_SLACK_CHANNEL.id)).toHaveLength(1);
      const root = f.topLevel(FAKE_SLACK_CHANNEL.id)[0]!;
      expect(f.replies(FAKE_SLACK_CHANNEL.id, root.ts).map((m) => m.files?.[0]?.name)).toEqual([chartFilename(brute)]);
    });
  });

  it('a 429 is retryable with Retry-After, from the per-channel pace and from any method', async () => {
    const f = await start({ rateLimits: { postIntervalMs: 1000 } });
    const s = sink(f, { charts: false });
    await s.deliver(brute, ctx('dlv_p1'));
    const paced = await failure(s.deliver(sampleAlert({ id: 'alrt_other' }), ctx('dlv_p2')));
    expect(paced).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true, retryAfterMs: 1000 });
    expect(paced.message).toContain('chat.postMessage rate limited');
    f.failNext({ method: 'conversations.history', status: 429, retryAfter: 30 });
    const throttled = await failure(s.deliver(sampleAlert({ id: 'alrt_third' }), ctx('dlv_p3')));
    expect(throttled).toMatchObject({ retryable: true, retryAfterMs: 30_000 });
    expect(f.topLevel(FAKE_SLACK_CHANNEL.id)).toHaveLength(1);
  });

  it.each([
    ['invalid_auth', 'check the sink token'],
    ['not_in_channel', 'invite the bot to the channel'],
    ['channel_not_found', 'check the channel id'],
  ])('%s is permanent, with the reason and the fix, and no token', async (code, fix) => {
    const f = await start();
    f.failNext({ method: 'chat.postMessage', error: code, echo: true });
    const logs: string[] = [];
    const err = await failure(sink(f, {}, logs).deliver(brute, ctx('dlv_perm')));
    expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
    expect(err.message).toBe(`slack 127.0.0.1:${new URL(f.url).port} refused chat.postMessage: ${code} (${fix}${code === 'invalid_auth' ? ': a bot token (xoxb-…) of an installed app' : code === 'channel_not_found' ? ', and that the bot can see the channel' : ' (/invite @your-app)'})`);
    const everything = [err.message, err.stack, JSON.stringify(err), JSON.stringify((err as { cause?: unknown }).cause), ...logs].join('\n');
    expect(everything).not.toContain(FAKE_SLACK_TOKEN);
  });

  it('a wrong token is refused by the fake as invalid_auth, permanently', async () => {
    const f = await start();
    const err = await failure(sink(f, { token: 'xoxb-wrong-token-1234' }).deliver(brute, ctx('dlv_bad')));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('invalid_auth');
    expect(err.message).not.toContain('xoxb-wrong-token-1234');
  });

  it('internal_error and a 5xx are retryable; a closed port is NETWORK', async () => {
    const f = await start();
    f.failNext({ error: 'internal_error' });
    expect(await failure(sink(f).deliver(brute, ctx('dlv_i')))).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true });
    f.failNext({ status: 503 });
    expect(await failure(sink(f).deliver(brute, ctx('dlv_5')))).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true });
    const s = sink(f);
    await f.close();
    fake = undefined;
    expect(await failure(s.deliver(brute, ctx('dlv_gone')))).toMatchObject({ code: 'NETWORK', retryable: true });
  });

  it('gives up after the configured timeout, and posts nothing once the delivery is aborted', async () => {
    const f = await start();
    f.failNext({ method: 'conversations.history', hang: true });
    const slow = await failure(sink(f, { timeout: '300ms' }).deliver(brute, ctx('dlv_t')));
    expect(slow).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(slow.message).toContain('did not respond after 300ms');
    const aborted = new AbortController();
    aborted.abort();
    const err = await failure(sink(f).deliver(brute, ctx('dlv_abort', { signal: aborted.signal })));
    expect(err.retryable).toBe(true);
    expect(f.messages).toHaveLength(0);
  });

  it('resolves #name once through conversations.list paging', async () => {
    const channels = Array.from({ length: 450 }, (_, i) => ({ id: `C${String(i).padStart(9, '0')}`, name: `chan-${i}`, is_member: i === 449 }));
    const f = await start({ channels });
    const s = sink(f, { channel: '#chan-449', charts: false });
    await s.deliver(brute, ctx('dlv_n1'));
    await s.deliver(sampleAlert({ id: 'alrt_n2' }), ctx('dlv_n2'));
    expect(f.requests.filter((r) => r.method === 'conversations.list')).toHaveLength(3);
    expect(f.topLevel('C000000449')).toHaveLength(2);
    const missing = await failure(sink(f, { channel: '#nope', charts: false }).deliver(brute, ctx('dlv_n3')));
    expect(missing).toMatchObject({ code: 'CONFIG_INVALID', retryable: false });
    expect(missing.message).toContain('sinks.soc-slack.channel: no channel #nope');
  });

  it('a workspace that refuses files (missing_scope) still gets the message; the chart is skipped with a warning', async () => {
    const f = await start();
    f.failNext({ method: 'files.getUploadURLExternal', error: 'missing_scope' });
    const logs: string[] = [];
    await sink(f, {}, logs).deliver(brute, ctx('dlv_scope', { activity: sampleActivity() }));
    expect(f.topLevel(FAKE_SLACK_CHANNEL.id)).toHaveLength(1);
    expect(f.files).toHaveLength(0);
    const warn = logs.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } }).find((l) => l.level === 40)!;
    expect(warn.msg).toBe('slack chart not sent; the message went without it');
    expect(warn.err!.message).toContain('files.uploadV2: missing_scope');
  });

  it('sends no chart when charts are off or the alert has no data', async () => {
    const f = await start();
    await sink(f, { charts: false }).deliver(brute, ctx('dlv_c1', { activity: sampleActivity() }));
    await sink(f).deliver(sampleAlert({ id: 'alrt_nodata' }), ctx('dlv_c2'));
    expect(f.files).toHaveLength(0);
    expect(f.topLevel(FAKE_SLACK_CHANNEL.id)).toHaveLength(2);
  });

  it('refuses a loopback base_url unless allowed, naming allow_networks', () => {
    const parsed = slackConfigSchema.safeParse({ token: 'xoxb-1', channel: 'C0123456789', base_url: 'http://127.0.0.1:9/api/' });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error!.issues)).toContain('allow_networks');
    expect(slackConfigSchema.safeParse({ token: 'xoxb-1', channel: 'general' }).error!.issues[0]!.message).toContain('#name');
    const ok = slackConfigSchema.parse({ token: 'xoxb-1', channel: '#soc-alerts' });
    expect([ok.base_url, ok.charts, ok.max_attempts]).toEqual(['https://slack.com/api/', true, 8]);
    expect(String(ok.token)).not.toContain('xoxb-1');
  });
});

