import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Secret, eventId, type WebhookRoute } from '../../core/index.js';
import { generateTeamEvents, startFakeDropbox, type FakeDropbox } from '../../fakes/dropbox/server.js';
import { silentLogger } from '../../log.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { openStore } from '../../storage/index.js';
import { dropboxConfigSchema } from './config.js';
import { createDropboxSource } from './source.js';
import { MAX_WEBHOOK_BODY_BYTES, REPEAT_STORM, verifyDropboxSignature } from './webhook.js';
import { startApiServer } from '../../api/server.js';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { waitUntil } from '../../core/testing.js';

const TOKEN = 'sl.u.AFakeTeamAuditToken-webhooks';
const SECRET = 'fake-app-secret-for-webhooks';
/** The source's present: its look-back, its promises and event.ingested run on it, and the log's events lie before it. */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const now = () => T0;
const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-dropbox-webhook-'));
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The smallest host for WebhookRoutes, doing what the contract asks of the API server: raw body,
 * lower-cased headers, 413 past maxBodyBytes before the handler runs.
 */
async function host(routes: WebhookRoute[]): Promise<{ url: string; handled: () => number }> {
  let handled = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const route = routes.find((r) => r.method === req.method && r.path === url.pathname);
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    const limit = route.maxBodyBytes ?? 1 << 20;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit && !refused) {
        refused = true;
        res.writeHead(413, { Connection: 'close' }).end();
      }
      if (!refused) chunks.push(c);
    });
    req.on('end', () => {
      if (refused) return;
      handled++;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
      void route
        .handle({ method: req.method!, path: url.pathname, query: url.searchParams, headers, body: Buffer.concat(chunks), remoteAddress: req.socket.remoteAddress })
        .then((r) => res.writeHead(r.status, r.headers).end(r.body ?? ''));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/dropbox`, handled: () => handled };
}


async function setup() {
  const start = T0 - 3 * 3_600_000;
  const initial = generateTeamEvents({ count: 40, start, spanMs: 3_600_000, seed: 11 });
  const fake: FakeDropbox = await startFakeDropbox({ events: initial, accessToken: TOKEN, appSecret: SECRET });
  closers.push(() => fake.close());
  const store = await openStore({ dialect: 'sqlite', path: join(tmp, `wh-${Math.random().toString(36).slice(2)}.sqlite`), now });
  closers.push(() => store.close());
  const source = createDropboxSource(
    'dbx',
    // A poll interval of an hour: anything polled during the test was woken by a webhook.
    // min_poll_interval 0s: these tests check what a notification does, not how a storm of them is coalesced.
    dropboxConfigSchema.parse({ access_token: TOKEN, app_secret: SECRET, base_url: fake.url, poll_interval: '1h', min_poll_interval: '0s', page_size: 25 }),
    { logger: silentLogger, now },
  );
  const web = await host(source.webhookRoutes());
  return { initial, fake, store, source, web, start };
}

describe('verifyDropboxSignature', () => {
  const secret = new Secret('s3cret');
  const body = Buffer.from('{"list_folder":{"accounts":["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]},"delta":{"users":[12345]}}');
  const good = createHmac('sha256', 's3cret').update(body).digest('hex');

  it('accepts the hex HMAC-SHA256 of the raw body, in either case', () => {
    expect(verifyDropboxSignature(body, good, secret)).toBe(true);
    expect(verifyDropboxSignature(body, good.toUpperCase(), secret)).toBe(true);
  });

  it('rejects missing, malformed, truncated, other-secret and other-body signatures', () => {
    expect(verifyDropboxSignature(body, undefined, secret)).toBe(false);
    expect(verifyDropboxSignature(body, '', secret)).toBe(false);
    expect(verifyDropboxSignature(body, 'zz' + good.slice(2), secret)).toBe(false);
    expect(verifyDropboxSignature(body, good.slice(0, 62), secret)).toBe(false);
    expect(verifyDropboxSignature(body, createHmac('sha256', 'other').update(body).digest('hex'), secret)).toBe(false);
    expect(verifyDropboxSignature(Buffer.concat([body, Buffer.from(' ')]), good, secret)).toBe(false);
  });
});

describe('dropbox webhook routes', () => {
  it('echoes the verification challenge as plain text that browsers will not sniff', async () => {
    const { web } = await setup();
    const res = await fetch(`${web.url}?challenge=${encodeURIComponent('<script>x</script>')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('<script>x</script>');
    expect((await fetch(web.url)).status).toBe(400);
  });

  it('rejects forged and unsigned notifications with 401 and oversized ones with 413, without polling', async () => {
    const { fake, web, store, source } = await setup();
    const ac = new AbortController();
    const pipeline = new Pipeline({ store, detectors: [], sinkNames: [], logger: silentLogger, now });
    const run = pipeline.ingest(source, { signal: ac.signal });
    closers.push(async () => {
      ac.abort();
      await run;
    });
    await waitUntil(async () => (await store.countEvents()) === 40, 'the first poll');
    const polls = fake.requests.length;

    expect((await fake.sendWebhook(web.url, { signature: null })).status).toBe(401);
    expect((await fake.sendWebhook(web.url, { signature: 'ab'.repeat(32) })).status).toBe(401);
    const signedOther = createHmac('sha256', 'not-the-app-secret').update('{"list_folder":{"accounts":[]},"delta":{"users":[]}}').digest('hex');
    expect((await fake.sendWebhook(web.url, { signature: signedOther })).status).toBe(401);
    const big = JSON.stringify({ list_folder: { accounts: ['x'.repeat(MAX_WEBHOOK_BODY_BYTES)] }, delta: { users: [] } });
    const before = web.handled();
    const res = await fake.sendWebhook(web.url, { body: big }).catch(() => ({ status: 413, body: '' }));
    expect(res.status).toBe(413);
    expect(web.handled()).toBe(before);

    await new Promise((r) => setTimeout(r, 150));
    expect(fake.requests.length).toBe(polls);
  });

  it('polls at once on a valid notification and stores the new events', async () => {
    const { fake, web, store, source, initial, start } = await setup();
    const ac = new AbortController();
    const pipeline = new Pipeline({ store, detectors: [], sinkNames: [], logger: silentLogger, now });
    const run = pipeline.ingest(source, { signal: ac.signal });
    closers.push(async () => {
      ac.abort();
      await run;
    });
    await waitUntil(async () => (await store.countEvents()) === 40, 'the first poll');
    const polls = fake.requests.length;

    const later = generateTeamEvents({ count: 30, start: start + 2 * 3_600_000, spanMs: 1_800_000, seed: 12 });
    fake.addEvents(later);
    const res = await fake.sendWebhook(web.url);
    expect(res.status).toBe(200);
    await waitUntil(async () => (await store.countEvents()) === 70, 'the woken poll');
    // The woken poll continued from the committed cursor: no new get_events.
    expect(fake.requests.slice(polls).every((q) => q.path === '/2/team_log/get_events/continue')).toBe(true);
    const ids = (await store.queryEvents({ limit: 200 })).map((e) => e.event.id).sort();
    expect(ids).toEqual([...initial, ...later].map((e) => eventId('dropbox', e)).sort());

    ac.abort();
    const stats = await run;
    expect(stats.inserted).toBe(70);
  });
});

/**
 * The runtime's clock and its waits between polls, moved only by the test: a wait ends when the
 * clock passes its end (`advance`) or when it is cut short (a wake, the stop).
 */
class ManualTime {
  now = T0;
  readonly waits: Array<{ due: number; end: () => void }> = [];
  readonly clock = () => this.now;
  readonly idle = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      const w = {
        due: this.now + ms,
        end: () => {
          this.waits.splice(this.waits.indexOf(w) >>> 0, 1);
          resolve();
        },
      };
      this.waits.push(w);
      signal.addEventListener('abort', w.end, { once: true });
    });
  advance(ms: number): void {
    this.now += ms;
    for (const w of [...this.waits]) if (w.due <= this.now) w.end();
  }
  /** The runtime is waiting again, for a moment still ahead. */
  waiting = () => this.waits.length === 1 && this.waits[0]!.due > this.now;
}

/** Sends `bodies` (signed by the fake, as Dropbox signs) with a few in flight at a time; every answer must be 200. */
async function notify(fake: FakeDropbox, url: string, bodies: string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fake.sendWebhook(url, { body });
        if (res.status !== 200) throw new Error(`notification answered ${res.status}`);
      }
    }),
  );
}

describe('dropbox notification storm', () => {
  it('1,000 signed notifications and 300 replays through the API server cost at most one team_log poll per min_poll_interval', async () => {
    const time = new ManualTime();
    const initial = generateTeamEvents({ count: 40, start: T0 - 3 * 3_600_000, spanMs: 3_600_000, seed: 21 });
    const fake = await startFakeDropbox({ events: initial, accessToken: TOKEN, appSecret: SECRET });
    closers.push(() => fake.close());
    const store = await openStore({ dialect: 'sqlite', path: join(tmp, `storm-${Math.random().toString(36).slice(2)}.sqlite`), now: time.clock });
    closers.push(() => store.close());
    const lines: Array<{ level: number; msg: string; repeats?: number }> = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, done) => (lines.push(JSON.parse(String(c))), done()) }));
    const source = createDropboxSource(
      'dbx',
      dropboxConfigSchema.parse({ access_token: TOKEN, app_secret: SECRET, base_url: fake.url, poll_interval: '1h', min_poll_interval: '10s', page_size: 25 }),
      { logger, now: time.clock, idle: time.idle },
    );
    const server = await startApiServer({ host: '127.0.0.1', port: 0, routes: source.webhookRoutes(), logger: silentLogger });
    closers.push(() => server.close());
    const url = `${server.url}/webhooks/dropbox`;
    const ac = new AbortController();
    const run = new Pipeline({ store, detectors: [], sinkNames: [], logger: silentLogger, now: time.clock }).ingest(source, { signal: ac.signal });
    closers.push(async () => {
      ac.abort();
      await run;
    });
    const polls = () => fake.requests.filter((q) => q.path === '/2/team_log/get_events' || q.path === '/2/team_log/get_events/continue').length;
    const body = (i: number) => JSON.stringify({ list_folder: { accounts: [`dbid:AAH${i}`] }, delta: { users: [i] } });

    // The first poll (get_events, two pages) ran at T0; the runtime now waits out poll_interval.
    await waitUntil(async () => (await store.countEvents()) === 40 && time.waiting(), 'the first poll');
    const first = polls();
    expect(first).toBe(2);

    // 1,000 different notifications and 300 replays of one, all within the 10 s after that poll began.
    const storm = [...Array.from({ length: 1_000 }, (_, i) => body(i)), ...Array.from({ length: 300 }, () => body(7))];
    await notify(fake, url, storm);
    await waitUntil(() => time.waiting(), 'the wait for the minimum interval');
    // Nothing polled yet: the earliest the next poll may start is 10 s after the last one began.
    expect(polls()).toBe(first);
    expect(time.waits[0]!.due).toBe(T0 + 10_000);
    time.advance(9_999);
    expect(polls()).toBe(first);
    time.advance(1);
    await waitUntil(() => polls() === first + 1 && time.waiting(), 'the one coalesced poll');
    // It continued from the committed cursor, and was the only poll: the runtime waits poll_interval again.
    expect(fake.requests.at(-1)!.path).toBe('/2/team_log/get_events/continue');
    expect(time.waits[0]!.due).toBe(T0 + 10_000 + 3_600_000);

    // The storm again, spread over 20 s of the clock: one poll per 10 s, no more.
    for (let round = 0; round < 10; round++) {
      await notify(fake, url, storm.slice(round * 130, (round + 1) * 130));
      await waitUntil(() => time.waiting(), `round ${round}`);
      time.advance(2_000);
      await waitUntil(() => time.waiting(), `round ${round} settled`);
    }
    expect(polls()).toBe(first + 1 + 2);

    // Repeats: the 300 replays of body 7 the first time, then every one of the second storm (all seen within the window).
    expect(source.webhookStats).toEqual({ accepted: 2_600, repeated: 300 + 1_300, rejected: 0 });
    // The replays are counted in the log, not logged one by one.
    const repeatLines = lines.filter((l) => /seen again|replayed in bulk/.test(l.msg));
    expect(repeatLines.length).toBeLessThanOrEqual(3);
    expect(repeatLines).toContainEqual(expect.objectContaining({ level: 40, repeats: REPEAT_STORM }));
    expect(lines.filter((l) => l.level >= 40 && !/replayed in bulk/.test(l.msg))).toEqual([]);
  });
});
