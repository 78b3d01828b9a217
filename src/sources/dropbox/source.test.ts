import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, eventId, type SourceBatch, type Store } from '../../core/index.js';
import { startFakeDropbox, generateTeamEvents, type FakeDropbox, type FakeDropboxFaults, type TeamEvent } from '../../fakes/dropbox/server.js';
import { silentLogger } from '../../log.js';
import { Pipeline, type IngestStats } from '../../pipeline/pipeline.js';
import { openStore } from '../../storage/index.js';
import { dropboxConfigSchema, type DropboxConfigInput } from './config.js';
import { parsePollState } from './poller.js';
import { createDropboxSource, dropboxPlugin, type DropboxSourceOptions } from './source.js';

const TOKEN = 'sl.u.AFakeTeamAuditToken-0123456789';
const SECRET = 'fake-app-secret-9f8e7d';
const NOW = Date.parse('2024-05-07T00:00:00Z');
const START = NOW - 20 * 3_600_000;
const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-dropbox-'));
let dbNo = 0;

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Rig {
  fake: FakeDropbox;
  store: Store;
  pipeline: Pipeline;
  /** Retry waits the source asked for (recorded instead of slept). */
  sleeps: number[];
  source(config?: Partial<DropboxConfigInput>, opts?: DropboxSourceOptions): ReturnType<typeof createDropboxSource>;
}

async function rig(events: TeamEvent[], faults: Partial<FakeDropboxFaults> = {}): Promise<Rig> {
  const fake = await startFakeDropbox({ events, accessToken: TOKEN, appSecret: SECRET, faults });
  open.push(fake);
  const store = await openStore({ dialect: 'sqlite', path: join(tmp, `db-${++dbNo}.sqlite`) });
  open.push(store);
  const pipeline = new Pipeline({ store, detectors: [], sinkNames: [], logger: silentLogger });
  const sleeps: number[] = [];
  return {
    fake,
    store,
    pipeline,
    sleeps,
    source: (config = {}, opts = {}) =>
      createDropboxSource(
        'dbx',
        dropboxConfigSchema.parse({ access_token: TOKEN, app_secret: SECRET, base_url: fake.url, page_size: 25, ...config }),
        {
          now: () => NOW,
          once: true,
          logger: silentLogger,
          sleep: async (ms) => void sleeps.push(ms),
          random: () => 0.5,
          ...opts,
        },
      ),
  };
}

/** Every generated event is in the store exactly once: same id set, no more rows than distinct events. */
async function expectStoredExactlyOnce(store: Store, events: TeamEvent[]): Promise<void> {
  const expected = [...new Set(events.map((e) => eventId('dropbox', e)))].sort();
  const stored = (await store.queryEvents({ limit: expected.length + 100 })).map((e) => e.event.id).sort();
  expect(stored).toEqual(expected);
  expect(await store.countEvents()).toBe(expected.length);
}

async function ingest(r: Rig, src = r.source(), onBatch?: (b: SourceBatch, s: IngestStats) => void, signal?: AbortSignal) {
  const batches: SourceBatch[] = [];
  const stats = await r.pipeline.ingest(src, {
    ...(signal ? { signal } : {}),
    onBatch: (b, s) => {
      batches.push(b);
      onBatch?.(b, s);
    },
  });
  return { stats, batches };
}

const generate = (count: number, seed = 1) => generateTeamEvents({ count, start: START, spanMs: 6 * 3_600_000, seed });
const maxTimestamp = (events: TeamEvent[]) => new Date(Math.max(...events.map((e) => Date.parse(e.timestamp)))).toISOString();

describe('dropbox source against the fake, through the SDK, into SQLite', () => {
  it('pages with has_more, empty pages included, and commits a cursor per page', async () => {
    const events = generate(230);
    const r = await rig(events, { emptyPages: 3 });
    const { stats, batches } = await ingest(r);
    await expectStoredExactlyOnce(r.store, events);
    // 230 / 25 = 10 pages with events, plus the 3 empty ones, each committed with its own cursor.
    expect(batches.length).toBe(13);
    expect(batches.filter((b) => b.events.length === 0)).toHaveLength(3);
    expect(new Set(batches.map((b) => parsePollState(b.cursor)!.cursor)).size).toBe(13);
    expect(stats).toMatchObject({ inserted: 230, duplicates: 0 });
    const paths = r.fake.requests.map((q) => q.path);
    expect(paths[0]).toBe('/2/team_log/get_events');
    expect(paths.slice(1).every((p) => p === '/2/team_log/get_events/continue')).toBe(true);
    // The first poll reaches back backfill (1d) in Dropbox's whole-second format.
    expect(r.fake.requests[0]!.body).toEqual({ limit: 25, time: { start_time: '2024-05-06T00:00:00Z' } });
    expect(await r.store.getCursor('dbx')).toBe(batches.at(-1)!.cursor);
  });

  it('rides out a 429 storm honouring Retry-After, and 5xx with backoff', async () => {
    const events = generate(120, 2);
    const r = await rig(events, { rateLimited: 5, retryAfterSeconds: 3 });
    let turned = false;
    await ingest(r, r.source(), (_b, s) => {
      // Mid-backfill, the API starts failing with 500s and 503s.
      if (s.batches === 2 && !turned) {
        turned = true;
        r.fake.faults.serverErrors = 2;
      }
    });
    await expectStoredExactlyOnce(r.store, events);
    expect(r.sleeps.slice(0, 5)).toEqual([3000, 3000, 3000, 3000, 3000]);
    // No Retry-After on the 500s: full-jitter backoff from 1s (random pinned at 0.5).
    expect(r.sleeps.slice(5)).toEqual([500, 1000]);
    expect(r.fake.requests.filter((q) => q.status === 429)).toHaveLength(5);
    expect(r.fake.requests.filter((q) => q.status === 500)).toHaveLength(2);
  });

  it('really waits for Retry-After when not told otherwise', async () => {
    const events = generate(10, 3);
    const r = await rig(events, { rateLimited: 1, retryAfterSeconds: 1 });
    const t0 = performance.now();
    await ingest(r, r.source({}, { sleep: undefined }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    await expectStoredExactlyOnce(r.store, events);
  });

  it('gives up a cycle after maxAttempts without losing its place, and resumes from the committed cursor', async () => {
    const events = generate(100, 4);
    const r = await rig(events);
    let failed = false;
    const err = await ingest(r, r.source({}, { maxAttempts: 3 }), (_b, s) => {
      if (s.batches === 2 && !failed) {
        failed = true;
        r.fake.faults.serverErrors = 1_000;
        r.fake.faults.serverErrorStatus = 503;
      }
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true });
    expect(await r.store.countEvents()).toBe(50);
    r.fake.faults.serverErrors = 0;
    const { stats } = await ingest(r);
    expect(stats).toMatchObject({ inserted: 50, duplicates: 0 });
    await expectStoredExactlyOnce(r.store, events);
  });

  it('handles unsorted pages: the watermark is the newest event seen, not the last', async () => {
    const events = generate(90, 5);
    const r = await rig(events, { unsorted: true });
    const { batches } = await ingest(r);
    await expectStoredExactlyOnce(r.store, events);
    // After every page the committed watermark is the newest event time seen so far.
    let newest = '';
    for (const b of batches) {
      for (const e of b.events) if (e['@timestamp'] > newest) newest = e['@timestamp'];
      expect(parsePollState(b.cursor)!.watermark).toBe(newest);
    }
    expect(newest).toBe(maxTimestamp(events));
    // Within some page the last event is older than an earlier one.
    expect(batches.some((b) => b.events.some((e, i) => i > 0 && e['@timestamp'] < b.events[i - 1]!['@timestamp']))).toBe(true);
  });

  it('resumes a reset cursor from watermark minus overlap, and dedupe absorbs the overlap', async () => {
    const events = generate(200, 6);
    const r = await rig(events);
    let watermarkAtReset: string | undefined;
    const { stats } = await ingest(r, r.source({ settle: '30m' }), (b, s) => {
      if (s.batches === 4) {
        r.fake.faults.resets = 1;
        watermarkAtReset = parsePollState(b.cursor)!.watermark;
      }
    });
    await expectStoredExactlyOnce(r.store, events);
    const gets = r.fake.requests.filter((q) => q.path === '/2/team_log/get_events');
    expect(gets).toHaveLength(2);
    expect(r.fake.requests.filter((q) => q.status === 409)).toHaveLength(1);
    const expectedStart = new Date(Date.parse(watermarkAtReset!) - 30 * 60_000).toISOString().replace('.000Z', 'Z');
    expect((gets[1]!.body as { time: { start_time: string } }).time.start_time).toBe(expectedStart);
    // The overlap re-read events already stored; they were recognised, not stored twice.
    expect(stats.duplicates).toBeGreaterThan(0);
    expect(stats.inserted).toBe(200);
  });

  it('gives a cycle up when every cursor is reset, instead of re-reading the overlap forever', async () => {
    const events = generate(100, 14);
    const r = await rig(events, { resets: 1_000 });
    const err = await ingest(r).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', message: expect.stringMatching(/reset the team_log cursor 4 times/) });
    expect(r.fake.requests.filter((q) => q.status === 409)).toHaveLength(4);
    r.fake.faults.resets = 0;
    await ingest(r);
    await expectStoredExactlyOnce(r.store, events);
  });

  it('stores re-delivered and repeated events once', async () => {
    const events = generate(80, 7);
    const r = await rig(events, { duplicates: true });
    r.fake.addEvents(events.slice(10, 20).map((e) => structuredClone(e)));
    const { stats } = await ingest(r);
    await expectStoredExactlyOnce(r.store, events);
    expect(stats.duplicates).toBeGreaterThanOrEqual(10 + 3);
  });

  it('restarts from a committed cursor after a crash, and from an older cursor, storing each event once', async () => {
    const events = generate(150, 8);
    const r = await rig(events);
    const crash = new AbortController();
    const first = await ingest(r, r.source(), (_b, s) => s.batches === 3 && crash.abort(), crash.signal);
    expect(first.stats.inserted).toBe(75);
    expect(await r.store.countEvents()).toBe(75);
    // A new source (a new process) resumes from the cursor the store committed.
    const second = await ingest(r);
    expect(second.stats).toMatchObject({ inserted: 75, duplicates: 0 });
    await expectStoredExactlyOnce(r.store, events);
    expect(r.fake.requests.filter((q) => q.path === '/2/team_log/get_events')).toHaveLength(1);

    // Re-created with the first batch's cursor (e.g. restored from a backup): it re-reads, stores nothing new.
    const src = r.source();
    const stats = { inserted: 0, duplicates: 0 };
    for await (const b of src.batches({ cursor: first.batches[0]!.cursor, signal: new AbortController().signal })) {
      const s = await r.pipeline.processBatch('dbx', b);
      stats.inserted += s.inserted;
      stats.duplicates += s.duplicates;
    }
    expect(stats).toEqual({ inserted: 0, duplicates: 125 });
    await expectStoredExactlyOnce(r.store, events);
  });

  it('fails with a non-retryable error on a bad token, without the token in the message', async () => {
    const r = await rig(generate(5, 9));
    const src = createDropboxSource(
      'dbx',
      dropboxConfigSchema.parse({ access_token: 'sl.wrong-token', app_secret: SECRET, base_url: r.fake.url }),
      { once: false, logger: silentLogger, now: () => NOW },
    );
    const err = await ingest(r, src).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false, details: { status: 401, dropbox_error: 'invalid_access_token' } });
    expect((err as Error).message).toMatch(/401/);
    expect((err as Error).message).not.toMatch(/wrong-token/);
    expect(r.fake.requests).toHaveLength(1);
  });

  it('asks Dropbox for one category when configured', async () => {
    const events = generate(120, 10);
    const r = await rig(events);
    await ingest(r, r.source({ category: 'logins' }));
    await expectStoredExactlyOnce(r.store, events.filter((e) => e.event_category['.tag'] === 'logins'));
    expect(r.fake.requests[0]!.body).toMatchObject({ category: { '.tag': 'logins' } });
  });

  it('polls again at once when woken during a poll, instead of waiting poll_interval', async () => {
    const events = generate(60, 11);
    const r = await rig(events);
    // min_poll_interval 0s: polls at once after the woken one (coalescing is webhook.test.ts's).
    const src = r.source({ poll_interval: '1h', min_poll_interval: '0s' }, { once: false });
    const ac = new AbortController();
    const later = generateTeamEvents({ count: 20, start: NOW - 3_600_000, spanMs: 1_200_000, seed: 12 });
    let woken = false;
    const run = ingest(r, src, (_b, s) => {
      if (s.batches === 1 && !woken) {
        // A notification lands while the first poll is still paging...
        woken = true;
        src.wake();
      }
      // ...about events that reach the log only after that poll's last page.
      if (s.inserted === 60 && s.batches === 3) r.fake.addEvents(later);
      if (s.inserted === 80) ac.abort();
    }, ac.signal);
    await expect(run).resolves.toMatchObject({ stats: { inserted: 80 } });
    await expectStoredExactlyOnce(r.store, [...events, ...later]);
  });

  it('stops promptly when aborted in the middle of a Retry-After wait', async () => {
    const r = await rig(generate(10, 13), { rateLimited: 1_000, retryAfterSeconds: 60 });
    const ac = new AbortController();
    const src = r.source({}, { once: false, sleep: undefined });
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 200);
    const { stats } = await ingest(r, src, undefined, ac.signal);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(stats.inserted).toBe(0);
    expect(r.fake.requests.length).toBe(1);
  });

  it('is registered as a plugin that builds a webhook source from validated config', () => {
    expect(dropboxPlugin.type).toBe('dropbox');
    const config = dropboxPlugin.configSchema.parse({ access_token: TOKEN, app_secret: SECRET });
    const src = dropboxPlugin.create('team', config, { logger: silentLogger, dataDir: tmp });
    expect(src).toMatchObject({ name: 'team', type: 'dropbox' });
    expect((src as ReturnType<typeof createDropboxSource>).webhookRoutes().map((x) => `${x.method} ${x.path}`)).toEqual([
      'GET /webhooks/dropbox',
      'POST /webhooks/dropbox',
    ]);
  });
});
