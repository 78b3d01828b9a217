import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret, type SourceBatch } from '../../core/index.js';
import { startApiServer } from '../../api/server.js';
import { FAKE_SLACK_ADMIN_TOKEN, startSlackFake, type FakeSlack } from '../../fakes/slack/server.js';
import { silentLogger } from '../../log.js';
import { slackConfigSchema } from './config.js';
import { createSlackSource } from './source.js';
import { SIGNATURE_WINDOW_MS, slackWebhookRoutes, verifySlackSignature } from './webhook.js';

const SECRET = 'slack-signing-secret-4f1e9a0c77';
const NOW = Date.parse('2026-11-03T10:00:00Z');
const TS = String(NOW / 1000);
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** Signed independently of webhook.ts, so the scheme is checked rather than echoed. */
const sign = (ts: string, body: string, secret = SECRET) => `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

// The worked example of docs.slack.dev, "Verifying requests from Slack".
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TS = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIG = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const callback = (id: string, event: Record<string, unknown>) =>
  JSON.stringify({ token: 'legacy-verification-token', team_id: 'T0SAASWTCH', api_app_id: 'A0SAASAPP', type: 'event_callback', event_id: id, event_time: NOW / 1000 - 5, event });

describe('verifySlackSignature', () => {
  const secret = new Secret(SECRET);
  const body = Buffer.from(callback('Ev01', { type: 'team_access_granted', team_ids: ['T0OTHER'] }));

  it("accepts Slack's documented example and a good signature, and refuses a forged or tampered one", () => {
    expect(verifySlackSignature(Buffer.from(DOC_BODY), { signature: DOC_SIG, timestamp: DOC_TS }, new Secret(DOC_SECRET), Number(DOC_TS) * 1000)).toEqual({ ok: true });
    expect(verifySlackSignature(body, { signature: sign(TS, body.toString()), timestamp: TS }, secret, NOW)).toEqual({ ok: true });
    expect(verifySlackSignature(body, { signature: sign(TS, body.toString(), 'another-secret'), timestamp: TS }, secret, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifySlackSignature(Buffer.concat([body, Buffer.from(' ')]), { signature: sign(TS, body.toString()), timestamp: TS }, secret, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    // The timestamp is signed: moving it invalidates the signature.
    expect(verifySlackSignature(body, { signature: sign(TS, body.toString()), timestamp: String(NOW / 1000 + 1) }, secret, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifySlackSignature(body, { signature: 'v1=' + sign(TS, body.toString()).slice(3), timestamp: TS }, secret, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifySlackSignature(body, { signature: sign(TS, body.toString()).slice(0, -2), timestamp: TS }, secret, NOW)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('refuses a timestamp more than five minutes away either way, and missing headers', () => {
    const old = String((NOW - SIGNATURE_WINDOW_MS - 1000) / 1000);
    const ahead = String((NOW + SIGNATURE_WINDOW_MS + 1000) / 1000);
    const edge = String((NOW - SIGNATURE_WINDOW_MS) / 1000);
    expect(verifySlackSignature(body, { signature: sign(old, body.toString()), timestamp: old }, secret, NOW)).toEqual({ ok: false, reason: 'stale timestamp' });
    expect(verifySlackSignature(body, { signature: sign(ahead, body.toString()), timestamp: ahead }, secret, NOW)).toEqual({ ok: false, reason: 'stale timestamp' });
    expect(verifySlackSignature(body, { signature: sign(edge, body.toString()), timestamp: edge }, secret, NOW)).toEqual({ ok: true });
    expect(verifySlackSignature(body, { timestamp: TS }, secret, NOW)).toEqual({ ok: false, reason: 'missing signature' });
    expect(verifySlackSignature(body, { signature: sign(TS, body.toString()) }, secret, NOW)).toEqual({ ok: false, reason: 'missing timestamp' });
    expect(verifySlackSignature(body, { signature: sign(TS, body.toString()), timestamp: '1e9' }, secret, NOW)).toEqual({ ok: false, reason: 'missing timestamp' });
  });
});

describe('Slack Events API endpoint on the saaswatch server', () => {
  async function serve(now = () => NOW) {
    const inbox: unknown[] = [];
    const woken: number[] = [];
    const changed: string[] = [];
    const stats = { accepted: 0, rejected: 0, replayed: 0, queued: 0, dropped: 0 };
    const routes = slackWebhookRoutes({ source: 'slack', path: '/webhooks/slack', signingSecret: new Secret(SECRET), inbox, wake: () => woken.push(now()), userChanged: (id) => changed.push(id), logger: silentLogger, now, stats });
    const server = await startApiServer({ host: '127.0.0.1', port: 0, routes, logger: silentLogger });
    closers.push(() => server.close());
    const post = (body: string, headers: Record<string, string>) => fetch(`${server.url}/webhooks/slack`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const signed = (body: string, ts = TS) => post(body, { 'x-slack-request-timestamp': ts, 'x-slack-signature': sign(ts, body) });
    return { inbox, woken, changed, stats, post, signed };
  }

  it('answers the URL verification challenge, only when signed', async () => {
    const s = await serve();
    const body = JSON.stringify({ token: 'legacy', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const ok = await s.signed(body);
    expect([ok.status, ok.headers.get('content-type'), await ok.json()]).toEqual([200, 'application/json; charset=utf-8', { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' }]);
    const unsigned = await s.post(body, {});
    expect([unsigned.status, await unsigned.text()]).toEqual([401, 'invalid signature\n']);
  });

  it('refuses forged, stale and replayed requests; queues a good callback and wakes the poller', async () => {
    const s = await serve();
    const body = callback('Ev02', { type: 'team_access_granted', team_ids: ['T0OTHER'] });
    const forged = await s.post(body, { 'x-slack-request-timestamp': TS, 'x-slack-signature': sign(TS, body, 'attacker-secret') });
    expect(forged.status).toBe(401);
    const staleTs = String(NOW / 1000 - 301);
    expect((await s.post(body, { 'x-slack-request-timestamp': staleTs, 'x-slack-signature': sign(staleTs, body) })).status).toBe(401);
    expect(s.inbox).toEqual([]);
    expect(s.woken).toEqual([]);

    const good = await s.signed(body);
    expect([good.status, await good.text()]).toEqual([200, '']);
    expect(s.inbox).toEqual([JSON.parse(body)]);
    expect(s.woken).toEqual([NOW]);

    const replayed = await s.signed(body);
    expect([replayed.status, await replayed.text()]).toEqual([401, 'replayed request\n']);
    expect(s.inbox).toHaveLength(1);
    expect(s.stats).toEqual({ accepted: 1, rejected: 2, replayed: 1, queued: 1, dropped: 0 });
  });

  it('forgets a changed user, and only wakes for events it does not keep', async () => {
    const s = await serve();
    await s.signed(callback('Ev03', { type: 'user_change', user: { id: 'U0ANN', name: 'ann', is_bot: false, is_app_user: false, is_admin: true, profile: { email: 'ann@example.com' } } }));
    await s.signed(callback('Ev04', { type: 'channel_created', channel: { id: 'C1', name: 'x' } }), String(NOW / 1000 - 1));
    expect(s.changed).toEqual(['U0ANN']);
    expect(s.inbox.map((b) => (b as { event_id: string }).event_id)).toEqual(['Ev03']);
    expect(s.woken).toHaveLength(2);
  });
});

describe('slack source with its Events API endpoint', () => {
  let fake: FakeSlack;
  it('delivers a verified callback as a slack.events event in the poll it wakes', async () => {
    fake = await startSlackFake({ rateLimits: false, users: [] });
    closers.push(() => fake.close());
    const src = createSlackSource('slack', slackConfigSchema.parse({ token: FAKE_SLACK_ADMIN_TOKEN, base_url: fake.url, signing_secret: SECRET }), { now: () => NOW, once: true, logger: silentLogger });
    const [route] = src.webhookRoutes();
    expect(route!.path).toBe('/webhooks/slack');
    const body = callback('Ev05', { type: 'user_change', user: { id: 'U0ANN', name: 'ann', is_admin: true, is_bot: false, is_app_user: false, profile: { email: 'ann@example.com' } } });
    const res = await route!.handle({ method: 'POST', path: '/webhooks/slack', query: new URLSearchParams(), headers: { 'x-slack-request-timestamp': TS, 'x-slack-signature': sign(TS, body) }, body: Buffer.from(body) });
    expect(res.status).toBe(200);
    const batches: SourceBatch[] = [];
    for await (const b of src.batches({ cursor: undefined, signal: new AbortController().signal })) batches.push(b);
    const [e] = batches[0]!.events;
    expect(batches[0]!.cursor).toBeDefined();
    expect(e).toMatchObject({ event: { action: 'user_change', dataset: 'slack.events', category: ['iam'] }, user: { id: 'U0ANN', email: 'ann@example.com' }, labels: { 'slack.event_id': 'Ev05', 'slack.user.is_admin': 'true' } });
    // The deprecated verification token is a credential of the app, not part of the event.
    expect(JSON.stringify(e!.raw)).not.toContain('legacy-verification-token');
    expect(createSlackSource('x', slackConfigSchema.parse({ token: 'xoxp-1' })).webhookRoutes()).toEqual([]);
  });
});
