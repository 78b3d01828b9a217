import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../core/index.js';
import { SaaswatchError, eventId } from '../../core/index.js';
import { createServiceAccountKey, generateActivities, type Activity } from '../../fakes/google/index.js';
import { silentLogger } from '../../log.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { DEFAULT_APPLICATIONS, type GoogleWorkspaceConfigInput } from './config.js';
import { narrowActivity } from './normalize.js';
import { decodeCursor } from './poller.js';
import { createGoogleWorkspaceSource, googleWorkspacePlugin } from './source.js';
import { googleTestBed } from './testing.js';

const HOUR = 3_600_000;

/** The source's present in every test: a Monday morning. */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const bed = googleTestBed('gw', { subject: 'admin@example.com', now: () => T0 });
/**
 * Where a test is about the present itself (the initial look-back), a few presents: a Monday
 * morning, a Saturday night just before midnight, and the last millisecond of a month.
 */
const PRESENTS = ['2026-03-02T09:00:00.000Z', '2026-03-07T23:30:00.000Z', '2026-02-28T23:59:59.999Z'];

function config(over: Partial<GoogleWorkspaceConfigInput> = {}) {
  return bed.config({
    page_size: 25,
    window: '6h',
    settle: '1h',
    backfill: '1d',
    ...over,
  });
}

/** Every nested event of every activity, by the id the source must give it. */
function expectedIds(activities: Activity[]): Set<string> {
  const ids = new Set<string>();
  for (const a of activities) a.events.forEach((_, i) => ids.add(eventId('google-workspace', narrowActivity(a, i))));
  return ids;
}

const newStore = (now?: () => number): Promise<Store> => bed.store(now);

async function storedIds(s: Store): Promise<string[]> {
  return (await s.queryEvents({ provider: 'google-workspace' })).map((e) => e.event.id);
}

/** One pass of the source through the real pipeline at `now` (default T0); `delays` records every wait it asked for. */
async function runOnce(s: Store, cfg = config(), opts: { signal?: AbortSignal; stopAfterBatches?: number; now?: () => number } = {}) {
  const delays: number[] = [];
  const now = opts.now ?? (() => T0);
  const source = createGoogleWorkspaceSource('gw', cfg, {
    once: true,
    now,
    backoff: { initialMs: 10, maxMs: 50 },
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
  const pipeline = new Pipeline({ store: s, detectors: [], sinkNames: [], logger: silentLogger, now });
  const ac = new AbortController();
  let batches = 0;
  const stats = await pipeline.ingest(source, {
    signal: ac.signal,
    onBatch: () => {
      if (opts.stopAfterBatches !== undefined && ++batches >= opts.stopAfterBatches) ac.abort();
    },
  });
  return { stats, delays };
}

describe('google-workspace source against the fake Google', () => {
  it.each(PRESENTS)('reads every page of every application through the SDK and stores each nested event once (now %s)', async (present) => {
    const now = Date.parse(present);
    const activities = generateActivities({ count: 400, from: now - 20 * HOUR, to: now - 60_000, seed: 7 });
    const fake = await bed.start({ activities });
    const s = await newStore(() => now);
    const { stats } = await runOnce(s, config(), { now: () => now });
    const expected = expectedIds(activities);
    expect(expected.size).toBeGreaterThan(400);
    const ids = await storedIds(s);
    expect(ids.length).toBe(expected.size);
    expect(new Set(ids)).toEqual(expected);
    expect(stats.inserted).toBe(expected.size);

    const reportCalls = fake.requests.filter((r) => r.path.startsWith('/admin/reports/'));
    expect(reportCalls.some((r) => r.query.pageToken)).toBe(true);
    // Every default application is polled, the four the scenario fills among them.
    expect(new Set(reportCalls.map((r) => r.path.split('/').pop()))).toEqual(new Set(DEFAULT_APPLICATIONS));
    // Domain-wide delegation: every call runs as the configured admin.
    expect(new Set(reportCalls.map((r) => r.subject))).toEqual(new Set(['admin@example.com']));
    expect(fake.requests.filter((r) => r.path === '/token')).toHaveLength(1);

    const cursor = decodeCursor(await s.getCursor('gw'));
    // Each application was read up to the present, and no further.
    for (const app of DEFAULT_APPLICATIONS) expect(cursor.apps[app]).toBe(present);
  });

  it('rides out a 429 storm honouring Retry-After, 5xx errors and duplicates across pages', async () => {
    const activities = generateActivities({ count: 300, from: T0 - 10 * HOUR, to: T0 - 60_000, seed: 11, applications: ['login', 'drive'] });
    const fake = await bed.start({ activities });
    fake.faults.rateLimitNext(4, 7);
    fake.faults.duplicatesAcrossPages(true);
    const s = await newStore();
    const cfg = config({ applications: ['login', 'drive'] });
    const first = runOnce(s, cfg);
    const { stats, delays } = await first;
    // Retry-After: 7 wins over the 10..50 ms backoff.
    expect(delays.filter((d) => d === 7000)).toHaveLength(4);
    expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(4);
    expect(stats.duplicates).toBeGreaterThan(0);
    const expected = expectedIds(activities);
    expect(new Set(await storedIds(s))).toEqual(expected);
    expect(await s.countEvents({ provider: 'google-workspace' })).toBe(expected.size);

    // 5xx mid-run: retried with backoff (no Retry-After), still exactly once.
    fake.faults.failNext(3, 503);
    const more = generateActivities({ count: 50, from: T0 - 30 * 60_000, to: T0 - 1000, seed: 12, applications: ['login'] });
    fake.addActivities(more);
    const second = await runOnce(s, cfg);
    expect(fake.requests.filter((r) => r.status === 503)).toHaveLength(3);
    expect(second.delays).toHaveLength(3);
    for (const d of second.delays) expect(d).toBeLessThanOrEqual(50);
    const all = expectedIds([...activities, ...more]);
    expect(await s.countEvents({ provider: 'google-workspace' })).toBe(all.size);
  });

  it('fails without retrying when Google rejects the request, and after the attempts run out', async () => {
    const fake = await bed.start();
    const s = await newStore();
    const stranger = createServiceAccountKey({ clientEmail: 'intruder@evil.iam.gserviceaccount.com' });
    const err = await runOnce(s, config({ credentials: JSON.stringify(stranger.json) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
    expect(fake.requests.filter((r) => r.path === '/token')).toHaveLength(1);

    fake.faults.failNext(100, 500);
    // One application: each stream spends its own attempts before the pass fails (alert-center.test.ts).
    const exhausted = await runOnce(s, config({ applications: ['login'], retry: { max_attempts: 3 } })).catch((e: unknown) => e);
    expect(exhausted).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true });
    expect(fake.requests.filter((r) => r.status === 500)).toHaveLength(3);
    expect(await s.getCursor('gw')).toBeUndefined();
  });

  it('picks up late events within the settle window on the next poll, once', async () => {
    const onTime = generateActivities({ count: 60, from: T0 - 5 * HOUR, to: T0 - 60_000, seed: 21, applications: ['login'] });
    // Happened 20 minutes ago, but Google shows them only later.
    const late = generateActivities({ count: 15, from: T0 - 25 * 60_000, to: T0 - 20 * 60_000, seed: 22, applications: ['login'] });
    const fake = await bed.start({ activities: onTime });
    const s = await newStore();
    const cfg = config({ applications: ['login'] });
    await runOnce(s, cfg);
    expect(await s.countEvents({ provider: 'google-workspace' })).toBe(expectedIds(onTime).size);
    const watermark = Date.parse(decodeCursor(await s.getCursor('gw')).apps.login!);

    // They surface only after the first poll (added now rather than on a timer, which a slow
    // machine could outrun).
    fake.addActivities(late);
    await runOnce(s, cfg);
    // The second poll starts one settle window before the watermark.
    const last = fake.requests.filter((r) => r.path.endsWith('/login')).at(-1)!;
    expect(Date.parse(last.query.startTime!)).toBe(watermark - HOUR);
    expect(new Set(await storedIds(s))).toEqual(expectedIds([...onTime, ...late]));
    expect(await s.countEvents({ provider: 'google-workspace' })).toBe(expectedIds([...onTime, ...late]).size);
  });

  it('resumes from the cursor of an earlier batch after a crash: nothing lost, nothing twice', async () => {
    const activities = generateActivities({ count: 300, from: T0 - 23 * HOUR, to: T0 - 60_000, seed: 31, applications: ['login', 'drive'] });
    const fake = await bed.start({ activities });
    // Small pages so slices span several pages, and a short settle so a watermark moved too
    // early (before a slice's older pages are read) shows up as lost events.
    const cfg = config({ window: '2h', page_size: 4, settle: '1m', applications: ['login', 'drive'] });
    const expected = expectedIds(activities);
    let midSlice = 0;
    // Crash after each of the first batches in turn: at slice ends, mid-slice and mid-application.
    for (let k = 1; k <= 14; k++) {
      const s = await bed.store();
      try {
        const before = fake.requests.length;
        await runOnce(s, cfg, { stopAfterBatches: k });
        // The last page served had a next page: the crash interrupted a slice.
        const served = fake.requests.slice(before).filter((r) => r.path.startsWith('/admin/reports/'));
        if (served.length && served.at(-1)!.query.pageToken !== undefined) midSlice++;
        const partial = await s.countEvents({ provider: 'google-workspace' });
        expect(partial).toBeLessThan(expected.size);
        const { stats } = await runOnce(s, cfg);
        expect(new Set(await storedIds(s))).toEqual(expected);
        expect(await s.countEvents({ provider: 'google-workspace' })).toBe(expected.size);
        expect(stats.inserted).toBe(expected.size - partial);
      } finally {
        await s.close();
      }
    }
    expect(midSlice).toBeGreaterThan(0);
  });

  it('keeps polling after a pass that ran out of attempts, resuming where the cursor says', async () => {
    const activities = generateActivities({ count: 40, from: T0 - 2 * HOUR, to: T0 - 60_000, seed: 41, applications: ['login'] });
    const fake = await bed.start({ activities });
    // The source's clock moves only by the waits it asks for.
    let clock = T0;
    const now = () => clock;
    const s = await newStore(now);
    // Two attempts per request: three failures exhaust the first pass and hit the second once.
    fake.faults.failNext(3, 500);
    const delays: number[] = [];
    const ac = new AbortController();
    const source = createGoogleWorkspaceSource('gw', config({ applications: ['login'], retry: { max_attempts: 2 }, poll_interval: '1s' }), {
      now,
      backoff: { initialMs: 1, maxMs: 1 },
      sleep: async (ms) => {
        delays.push(ms);
        clock += ms;
        await new Promise((r) => setTimeout(r, 1));
      },
    });
    const pipeline = new Pipeline({ store: s, detectors: [], sinkNames: [], logger: silentLogger, now });
    const expected = expectedIds(activities);
    const running = pipeline.ingest(source, {
      signal: ac.signal,
      onBatch: () => {
        void s.countEvents({ provider: 'google-workspace' }).then((n) => n === expected.size && ac.abort());
      },
    });
    await running;
    expect(fake.requests.filter((r) => r.status === 500)).toHaveLength(3);
    // The failed pass waited (bounded by poll_interval) instead of spinning.
    expect(delays).toContain(1000);
    expect(new Set(await storedIds(s))).toEqual(expected);
  });

  it('promises Drive changes only up to the start of the last drain that read the feed to its end', async () => {
    // A pass at 09:00, a change at 09:30, the next pass at 11:00 (a cron gap longer than settle):
    // the 09:30 change arrives in the second pass, so nothing promised before it may be past it.
    const fake = await bed.start({ activities: [] });
    const file = { id: 'f1', name: 'plan.xlsx', mimeType: 'application/vnd.ms-excel', owners: [{ emailAddress: 'ann@example.com' }] };
    const cfg = config({ drive: { changes: true } });
    let promised = Number.NEGATIVE_INFINITY;
    let cursor: string | undefined;
    const seen: number[] = [];
    const pass = async (now: number) => {
      const source = createGoogleWorkspaceSource('gw', cfg, { once: true, now: () => now, sleep: async () => undefined });
      for await (const b of source.batches({ cursor, signal: new AbortController().signal })) {
        // A promise covers what comes after its batch: every later event is at or after it.
        for (const e of b.events) {
          seen.push(Date.parse(e['@timestamp']));
          expect(Date.parse(e['@timestamp'])).toBeGreaterThanOrEqual(promised);
        }
        if (b.watermark !== undefined) promised = Math.max(promised, b.watermark);
        if (b.cursor !== undefined) cursor = b.cursor;
      }
    };
    await pass(T0);
    expect(promised).toBe(T0 - HOUR);
    await fake.addChange({ fileId: 'f1', file, time: new Date(T0 + 30 * 60_000).toISOString() });
    await pass(T0 + 2 * HOUR);
    expect(seen).toEqual([T0 + 30 * 60_000]);
    expect(promised).toBe(T0 + HOUR);
  });

  it('resumes from backfill, warning with the error, when the stored cursor is not its own', async () => {
    const activities = generateActivities({ count: 12, from: T0 - 3 * HOUR, to: T0 - 60_000, seed: 43, applications: ['login'] });
    const fake = await bed.start({ activities });
    const lines: Array<{ level: number; msg: string; err?: { type?: string } }> = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const source = createGoogleWorkspaceSource('gw', config({ applications: ['login'] }), { once: true, now: () => T0, logger });
    let events = 0;
    let cursor: string | undefined;
    for await (const b of source.batches({ cursor: '{"offset":12}', signal: new AbortController().signal })) {
      events += b.events.length;
      cursor = b.cursor ?? cursor;
    }
    expect(lines.find((l) => /cursor is unreadable/.test(l.msg))).toMatchObject({ level: 40, err: { type: 'SaaswatchError' } });
    expect(events).toBe(expectedIds(activities).size);
    expect(decodeCursor(cursor).apps.login).toBe(new Date(T0).toISOString());
  });

  it('is a plugin whose config errors name the key', () => {
    expect(googleWorkspacePlugin.type).toBe('google-workspace');
    const r = googleWorkspacePlugin.configSchema.safeParse({ subject: 'admin@example.com' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('credentials');
  });
});
