import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import type { Store, WebhookRequest, WebhookRoute } from '../../core/index.js';
import { Secret } from '../../core/index.js';
import { createServiceAccountKey, startFakeGoogle, type DriveFile, type FakeGoogle, type ServiceAccountKey } from '../../fakes/google/index.js';
import { loggerOptions, silentLogger } from '../../log.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { startApiServer } from '../../api/server.js';
import { openStore } from '../../storage/index.js';
import { createClients } from './client.js';
import { googleWorkspaceConfigSchema } from './config.js';
import { decodeCursor } from './poller.js';
import { createGoogleWorkspaceSource } from './source.js';
import { DRIVE_WEBHOOK_PATH, DriveChannels, channelToken } from './webhook.js';
import { waitUntil } from '../../core/testing.js';

const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-gw-hook-'));
/**
 * The present of the source (channel lifetimes, look-back), the store, the pipeline and the fake's
 * data (change times, granted channel lifetimes). The SDK signs its token assertions with the process
 * clock, so the fake judges those by the system clock (`authNow`).
 */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const atT0 = () => T0;
let key: ServiceAccountKey;
let fake: FakeGoogle | undefined;
let receiver: Server | undefined;
let store: Store | undefined;

beforeAll(() => {
  key = createServiceAccountKey();
});
afterEach(async () => {
  await fake?.close();
  if (receiver) await new Promise((r) => receiver!.close(r));
  await store?.close();
  fake = receiver = store = undefined;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Hosts webhook routes on 127.0.0.1 the way the API server will: raw body, lower-cased headers. */
async function hostRoutes(routes: () => WebhookRoute[]): Promise<string> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const route = routes().find((r) => r.method === req.method && r.path === u.pathname);
      if (!route) return res.writeHead(404).end();
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
      route
        .handle({ method: req.method!, path: u.pathname, query: u.searchParams, headers, body: Buffer.concat(chunks), remoteAddress: req.socket.remoteAddress })
        .then((out) => res.writeHead(out.status, out.headers).end(out.body ?? ''))
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${DRIVE_WEBHOOK_PATH}`;
}


const file = (id: string, over: Partial<DriveFile> = {}): DriveFile => ({
  id,
  name: `${id}.docx`,
  mimeType: 'application/vnd.google-apps.document',
  owners: [{ emailAddress: 'bob@example.com', displayName: 'Bob' }],
  permissions: [{ id: 'p0', type: 'user', role: 'owner', emailAddress: 'bob@example.com' }],
  ...over,
});

function gwConfig(address: string) {
  return googleWorkspaceConfigSchema.parse({
    credentials: JSON.stringify(key.json),
    subject: 'admin@example.com',
    base_url: fake!.url,
    token_url: fake!.tokenUrl,
    applications: ['login'],
    poll_interval: '1h',
    // A notification polls at once (the clock is pinned, so a 10 s minimum would never pass).
    min_poll_interval: '0s',
    drive: { watch: { address, token: 'channel-secret-for-tests', ttl: '1d', renew_before: '1h' } },
  });
}

describe('Drive push notifications end to end', () => {
  it('opens a channel, ignores sync, rejects forgeries, and a valid notification stores the changed file', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], files: [file('doc-1')], now: atT0, authNow: systemClock });
    let routes: WebhookRoute[] = [];
    const address = await hostRoutes(() => routes);
    const source = createGoogleWorkspaceSource('gw', gwConfig(address), { logger: silentLogger, now: atT0 });
    routes = source.webhookRoutes();
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /webhooks/google-drive']);
    store = await openStore({ dialect: 'sqlite', path: join(tmp, 'e2e.db'), now: atT0 });
    const s = store;
    const pipeline = new Pipeline({ store: s, detectors: [], sinkNames: [], logger: silentLogger, now: atT0 });
    const ac = new AbortController();
    const running = pipeline.ingest(source, { signal: ac.signal });
    try {
      // The channel exists and its sync message was acknowledged and ignored.
      await waitUntil(() => (source.channelStats?.ignoredSync ?? 0) === 1);
      expect(fake.channels.size).toBe(1);
      const ch = [...fake.channels.values()][0]!;
      expect(ch.address).toBe(address);
      expect(ch.token).toBe(channelToken(new Secret('channel-secret-for-tests'), ch.id));
      await waitUntil(async () => decodeCursor(await s.getCursor('gw')).drive?.channel?.id === ch.id);

      // Forged token, unknown channel, replayed message number: all 401, nothing queued.
      const base = {
        'x-goog-channel-id': ch.id,
        'x-goog-resource-id': ch.resourceId,
        'x-goog-resource-state': 'change',
        'x-goog-channel-token': ch.token!,
      };
      const post = (headers: Record<string, string>) => fetch(address, { method: 'POST', headers });
      expect((await post({ ...base, 'x-goog-channel-token': 'guess', 'x-goog-message-number': '50' })).status).toBe(401);
      expect((await post({ ...base, 'x-goog-channel-id': 'not-ours', 'x-goog-message-number': '50' })).status).toBe(401);
      expect((await post({ ...base, 'x-goog-message-number': '1' })).status).toBe(401);
      expect((await post({ ...base, 'x-goog-resource-id': 'other', 'x-goog-message-number': '50' })).status).toBe(401);
      expect(source.channelStats).toMatchObject({ accepted: 0, rejected: 4 });
      const changeCallsBefore = fake.requests.filter((r) => r.path === '/drive/v3/changes').length;

      // A real change: Google notifies, the source wakes and reads changes.list from its page token.
      await fake.addChange({ fileId: 'doc-1', file: file('doc-1', { permissions: [...file('doc-1').permissions!, { id: 'anyone', type: 'anyone', role: 'reader' }] }) });
      expect(fake.notifications.filter((n) => n.state === 'change').map((n) => n.status)).toEqual([200]);
      await waitUntil(async () => (await s.countEvents({ provider: 'google-workspace' })) === 1);
      const [e] = await s.queryEvents({ provider: 'google-workspace' });
      expect(e).toMatchObject({ event: { action: 'drive.file_changed', kind: 'state' }, file: { id: 'doc-1', owner: 'bob@example.com' }, share: { visibility: 'people_with_link' } });
      expect(fake.requests.filter((r) => r.path === '/drive/v3/changes').length).toBe(changeCallsBefore + 1);
      const listed = fake.requests.filter((r) => r.path === '/drive/v3/changes').at(-1)!;
      expect(listed.query.pageToken).toBe('1');
      await waitUntil(async () => decodeCursor(await s.getCursor('gw')).drive?.pageToken === '2');

      // Several notifications in a row are never lost: every change ends up stored.
      await fake.addChange({ fileId: 'doc-2', file: file('doc-2') });
      await fake.addChange({ fileId: 'doc-1', removed: true });
      await waitUntil(async () => (await s.countEvents({ provider: 'google-workspace' })) === 3);
      expect(source.channelStats?.accepted).toBe(3);
    } finally {
      ac.abort();
      await running;
    }
  });

  it('restarts with the committed channel and page token: old notifications still verify, no new channel', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], files: [file('doc-1')], now: atT0, authNow: systemClock });
    let routes: WebhookRoute[] = [];
    const address = await hostRoutes(() => routes);
    store = await openStore({ dialect: 'sqlite', path: join(tmp, 'restart.db'), now: atT0 });
    const s = store;
    const run = async (work: (src: ReturnType<typeof createGoogleWorkspaceSource>) => Promise<void>) => {
      const src = createGoogleWorkspaceSource('gw', gwConfig(address), { now: atT0, state: s });
      routes = src.webhookRoutes();
      const ac = new AbortController();
      const running = new Pipeline({ store: s, detectors: [], sinkNames: [], logger: silentLogger, now: atT0 }).ingest(src, { signal: ac.signal });
      try {
        await work(src);
      } finally {
        ac.abort();
        await running;
      }
    };
    await run(async (src) => {
      await waitUntil(async () => decodeCursor(await s.getCursor('gw')).drive?.channel !== undefined && (src.channelStats?.ignoredSync ?? 0) === 1);
    });
    const [ch] = [...fake.channels.values()];
    // The sync message (number 1) was accepted, and its number saved before the answer.
    expect(await s.getState('source:gw:drive-message-numbers')).toEqual({ [ch!.id]: 1 });
    // Changed while saaswatch was down: the notification is lost (nobody listening), the change is not.
    routes = [];
    await fake.addChange({ fileId: 'doc-1', file: file('doc-1', { name: 'renamed.docx' }) });
    await run(async (src) => {
      await waitUntil(async () => (await s.countEvents({ provider: 'google-workspace' })) === 1);
      await fake!.addChange({ fileId: 'doc-1', file: file('doc-1', { name: 'again.docx' }) });
      await waitUntil(async () => (await s.countEvents({ provider: 'google-workspace' })) === 2);
      expect(src.channelStats?.accepted).toBe(1);
      // The number of that notification is saved: the channel's own notification, sent again, is a replay.
      const last = fake!.notifications.at(-1)!;
      expect(await s.getState('source:gw:drive-message-numbers')).toEqual({ [ch!.id]: last.messageNumber });
      const again = await fetch(address, {
        method: 'POST',
        headers: { 'x-goog-channel-id': ch!.id, 'x-goog-channel-token': ch!.token!, 'x-goog-resource-id': ch!.resourceId, 'x-goog-resource-state': 'change', 'x-goog-message-number': String(last.messageNumber) },
      });
      expect(again.status).toBe(401);
      expect(src.channelStats).toMatchObject({ accepted: 1, rejected: 1 });
    });
    expect(fake.channels.size).toBe(1);
    expect((await s.queryEvents({ provider: 'google-workspace' })).map((e) => e.file?.name).sort()).toEqual(['again.docx', 'renamed.docx']);
  });
});

describe('DriveChannels', () => {
  it('renews a channel before it expires and stops the old one', async () => {
    // One clock for the channels and the fake's data: what lifetime it grants, and when.
    let clock = T0;
    fake = await startFakeGoogle({ serviceAccounts: [key], now: () => clock, authNow: systemClock });
    const address = 'http://127.0.0.1:9/unused';
    const cfg = gwConfig(address);
    const channels = new DriveChannels({ address, token: new Secret('s'), ttlMs: 2 * 3_600_000, renewBeforeMs: 3_600_000, logger: silentLogger, now: () => clock });
    const { drive } = createClients(cfg, { client_email: key.json.client_email, private_key: key.json.private_key });
    const retry = { maxAttempts: 2, initialMs: 1, maxMs: 1, signal: new AbortController().signal };
    expect(await channels.ensure(drive, '1', retry)).toBe(true);
    const first = channels.current!;
    expect(channels.renewAt()).toBe(first.expiration - 3_600_000);
    // Not due yet: nothing happens.
    clock += 30 * 60_000;
    expect(await channels.ensure(drive, '1', retry)).toBe(false);
    // Inside the renewal margin: a new channel, and the old one is stopped at Google.
    clock = channels.renewAt() + 1;
    expect(await channels.ensure(drive, '1', retry)).toBe(true);
    expect(channels.current!.id).not.toBe(first.id);
    expect(fake.channels.get(first.id)!.stopped).toBe(true);
    expect(fake.channels.get(channels.current!.id)!.stopped).toBe(false);
    expect(fake.requests.filter((r) => r.path === '/drive/v3/channels/stop' && r.status === 204)).toHaveLength(1);
  });

  it('keeps the new channel when Google refuses to stop the old one, logging the error object', async () => {
    let clock = T0;
    fake = await startFakeGoogle({ serviceAccounts: [key], now: () => clock, authNow: systemClock });
    const logged: string[] = [];
    const logger = pino(loggerOptions('info'), new Writable({ write: (c, _e, done) => (logged.push(String(c)), done()) }));
    const address = 'http://127.0.0.1:9/unused';
    const channels = new DriveChannels({ address, token: new Secret('channel-secret-for-tests'), ttlMs: 2 * 3_600_000, renewBeforeMs: 3_600_000, logger, now: () => clock });
    const { drive } = createClients(gwConfig(address), { client_email: key.json.client_email, private_key: key.json.private_key });
    const retry = { maxAttempts: 2, initialMs: 1, maxMs: 1, signal: new AbortController().signal };
    expect(await channels.ensure(drive, '1', retry)).toBe(true);
    const first = channels.current!;
    clock = channels.renewAt() + 1;
    fake.faults.failNext(1, 403, { path: '/drive/v3/channels/stop' });
    expect(await channels.ensure(drive, '1', retry)).toBe(true);
    expect(channels.current!.id).not.toBe(first.id);
    expect(fake.channels.get(first.id)!.stopped).toBe(false);
    const line = logged.map((l) => JSON.parse(l) as { msg: string; channel?: string; err?: Record<string, unknown> }).find((l) => l.msg === 'Could not stop the replaced Drive channel.');
    expect(line).toMatchObject({ channel: first.id, err: { type: 'SaaswatchError', code: 'HTTP_REJECTED', retryable: false, details: { status: 403 } } });
    expect(line!.err!.stack).toEqual(expect.stringContaining('SaaswatchError: drive channels.stop rejected the request with 403'));
    expect(logged.join('')).not.toContain('channel-secret-for-tests');
  });

  const req = (h: Record<string, string>): WebhookRequest => ({ method: 'POST', path: DRIVE_WEBHOOK_PATH, query: new URLSearchParams(), headers: h, body: Buffer.alloc(0) });
  const good = { 'x-goog-channel-id': 'c1', 'x-goog-channel-token': channelToken(new Secret('s'), 'c1'), 'x-goog-resource-id': 'r1', 'x-goog-resource-state': 'change' };
  const numbered = (n: number | string) => req({ ...good, 'x-goog-message-number': String(n) });

  it('answers 401 for an unknown channel and an expired one, 400 without a message number', async () => {
    let now = 1_000_000;
    const channels = new DriveChannels({ address: 'https://x', token: new Secret('s'), ttlMs: 1000, renewBeforeMs: 100, logger: silentLogger, now: () => now });
    channels.restore({ id: 'c1', resourceId: 'r1', expiration: now + 500 });
    expect((await channels.handle(req({ ...good }))).status).toBe(400);
    expect((await channels.handle(numbered('1e3'))).status).toBe(400);
    expect((await channels.handle(numbered(2))).status).toBe(200);
    expect(channels.takePending()).toBe(true);
    expect(channels.takePending()).toBe(false);
    expect((await channels.handle(req({ ...good, 'x-goog-channel-id': 'c2', 'x-goog-message-number': '3' }))).status).toBe(401);
    now += 600;
    expect((await channels.handle(numbered(3))).status).toBe(401);
    expect(channels.takePending()).toBe(false);
  });

  it('refuses a number that jumps past max_message_jump (2^53-1 too) without moving the mark, so genuine pushes go on', async () => {
    const channels = new DriveChannels({ address: 'https://x', token: new Secret('s'), ttlMs: 1000, renewBeforeMs: 100, logger: silentLogger, now: () => T0, maxMessageJump: 1_000 });
    channels.restore({ id: 'c1', resourceId: 'r1', expiration: T0 + 500 });
    expect((await channels.handle(numbered(5))).status).toBe(200);
    // The forged number an attacker with a captured notification would send: refused, the mark stays at 5.
    expect(await channels.handle(numbered(Number.MAX_SAFE_INTEGER))).toEqual({ status: 401, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'message number out of range\n' });
    expect((await channels.handle(numbered(5 + 1_001))).status).toBe(401);
    // Past 2^53-1 the number is not exact: refused as invalid.
    expect((await channels.handle(numbered('9007199254740993'))).status).toBe(400);
    expect((await channels.handle(numbered(6))).status).toBe(200);
    expect((await channels.handle(numbered(6 + 1_000))).status).toBe(200);
    expect((await channels.handle(numbered(1_006))).status).toBe(401);
    expect(channels.stats).toEqual({ accepted: 3, ignoredSync: 0, rejected: 4 });
  });

  const pgUrl = process.env.SAASWATCH_TEST_PG_URL;
  // A plain checkout may not have PostgreSQL; in CI a missing one is a failure, not a skip.
  for (const dialect of ['sqlite', 'postgres'] as const) it.skipIf(dialect === 'postgres' && !pgUrl && process.env.CI !== 'true')(`keeps the last accepted number in the store: after a restart (${dialect} store reopened) old numbers stay refused`, async () => {
    if (dialect === 'postgres' && !pgUrl) throw new Error('SAASWATCH_TEST_PG_URL is not set: CI must start PostgreSQL first: export "$(bash .ci/start-postgres.sh)"');
    const schema = `sw_drive_numbers_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const open = () =>
      dialect === 'sqlite'
        ? openStore({ dialect, path: join(tmp, `numbers-${schema}.db`), now: atT0 })
        : openStore({ dialect, url: pgUrl!, schema, now: atT0 });
    const channelsOn = (state: Store) => {
      const c = new DriveChannels({ address: 'https://x', token: new Secret('s'), ttlMs: 1000, renewBeforeMs: 100, logger: silentLogger, now: () => T0, state, stateKey: 'source:gw:drive-message-numbers' });
      c.restore({ id: 'c1', resourceId: 'r1', expiration: T0 + 500 });
      return c;
    };
    try {
      store = await open();
      let channels = channelsOn(store);
      // Out of order, and concurrent: only the highest counts, and the store ends on it.
      const answers = await Promise.all([7, 3, 9, 8].map(async (n) => (await channels.handle(numbered(n))).status));
      expect(answers).toEqual([200, 401, 200, 401]);
      expect(await store.getState('source:gw:drive-message-numbers')).toEqual({ c1: 9 });
      await store.close();
      store = undefined;

      store = await open();
      channels = channelsOn(store);
      expect((await channels.handle(numbered(9))).status).toBe(401);
      expect((await channels.handle(numbered(4))).status).toBe(401);
      expect((await channels.handle(numbered(10))).status).toBe(200);
      expect(await store.getState('source:gw:drive-message-numbers')).toEqual({ c1: 10 });
      // The bound counts from the saved number too.
      expect((await channels.handle(numbered(10 + 1_000_001))).status).toBe(401);
      expect(channels.stats).toEqual({ accepted: 1, ignoredSync: 0, rejected: 3 });
    } finally {
      await store?.close();
      store = undefined;
      if (dialect === 'postgres') {
        const client = new pg.Client({ connectionString: pgUrl });
        await client.connect();
        await client.query(`drop schema if exists "${schema}" cascade`);
        await client.end();
      }
    }
  });

  it('answers an unknown channel, a bad token, an expired channel and another resource byte for byte alike', async () => {
    let now = T0;
    const logged: string[] = [];
    const logger = pino(loggerOptions('info'), new Writable({ write: (c, _e, done) => (logged.push(String(c)), done()) }));
    const channels = new DriveChannels({ address: 'https://x', token: new Secret('s'), ttlMs: 1000, renewBeforeMs: 100, logger, now: () => now });
    channels.restore({ id: 'c1', resourceId: 'r1', expiration: T0 + 500 });
    channels.restore({ id: 'c0', resourceId: 'r0', expiration: T0 + 100 });
    const server = await startApiServer({ host: '127.0.0.1', port: 0, routes: [channels.route()], logger: silentLogger });
    try {
      const post = async (h: Record<string, string>) => {
        const res = await fetch(`${server.url}${DRIVE_WEBHOOK_PATH}`, { method: 'POST', headers: { ...h, 'x-goog-message-number': '7' } });
        const headers = Object.fromEntries([...res.headers].filter(([k]) => k !== 'date'));
        return { status: res.status, headers, body: await res.text() };
      };
      const unknown = await post({ ...good, 'x-goog-channel-id': 'c9', 'x-goog-channel-token': channelToken(new Secret('other'), 'c9') });
      const unknownOwnToken = await post({ ...good, 'x-goog-channel-id': 'c9' });
      const badToken = await post({ ...good, 'x-goog-channel-token': channelToken(new Secret('s'), 'c2') });
      const noToken = await post({ 'x-goog-channel-id': 'c1', 'x-goog-resource-id': 'r1' });
      const otherResource = await post({ ...good, 'x-goog-resource-id': 'r2' });
      now = T0 + 200;
      const expired = await post({ ...good, 'x-goog-channel-id': 'c0', 'x-goog-channel-token': channelToken(new Secret('s'), 'c0'), 'x-goog-resource-id': 'r0' });
      expect(unknown).toEqual({ status: 401, headers: expect.objectContaining({ 'content-type': 'text/plain; charset=utf-8' }), body: 'notification refused\n' });
      for (const other of [unknownOwnToken, badToken, noToken, otherResource, expired]) expect(other).toEqual(unknown);
      expect(channels.stats).toEqual({ accepted: 0, ignoredSync: 0, rejected: 6 });
      // The operator's log says which it was.
      const reasons = logged.map((l) => JSON.parse(l) as { reason?: string }).filter((l) => l.reason).map((l) => l.reason);
      expect(reasons).toEqual(['unknown or expired channel', 'unknown or expired channel', 'bad channel token', 'bad channel token', 'resource id does not match the channel', 'unknown or expired channel']);
      // And the channel still works.
      now = T0;
      expect((await post({ ...good })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
