import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Responder } from '../../actions/responder.js';
import { responseSchema } from '../../actions/config.js';
import { afterEach, describe, expect, it } from 'vitest';
import { dedupKey, type Finding, type SecurityEvent, type Source, type Store } from '../../core/index.js';
import { silentLogger } from '../../log.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { openStore } from '../../storage/index.js';
import { Rng } from '../random.js';
import { testEvent } from '../testing.js';
import { baselineConfigSchema } from './config.js';
import { BaselineDetector } from './detector.js';
import { baselinePlugin } from './plugin.js';
import { DAY, HOUR, merge, userActivity } from './testing.js';

/** Monday 2026-10-05 00:00 UTC. */
const T0 = Date.parse('2026-10-05T00:00:00.000Z');

function detector(overrides: Record<string, unknown> = {}, state?: Store): BaselineDetector {
  return new BaselineDetector(baselineConfigSchema.parse(overrides), { state });
}

/** Feeds time-ordered events in batches as the pipeline does (observe, settle and flush to the batch's newest time, persist); returns every finding. */
async function run(d: BaselineDetector, events: SecurityEvent[], batch = 500): Promise<Finding[]> {
  const out: Finding[] = [];
  let watermark = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < events.length; i += batch) {
    for (const e of events.slice(i, i + batch)) {
      out.push(...d.observe(e));
      watermark = Math.max(watermark, Date.parse(e['@timestamp']) + 1);
    }
    await d.settle({ watermark });
    out.push(...d.flush({ final: false, watermark }));
    await d.persist();
  }
  out.push(...d.flush({ final: true, watermark }));
  return out;
}

/** Observes events and lets the watermark pass them. */
function apply(d: BaselineDetector, events: SecurityEvent[]): Finding[] {
  const out = events.flatMap((e) => d.observe(e));
  return [...out, ...d.flush({ final: false, watermark: Math.max(...events.map((e) => Date.parse(e['@timestamp']))) + 1 })];
}

/** The last finding per dedup key, which is what the store keeps. */
function latest(findings: Finding[]): Finding[] {
  const m = new Map<string, Finding>();
  for (const f of findings) m.set(dedupKey(f), f);
  return [...m.values()];
}

function office(days: number, seed = 1): SecurityEvent[] {
  const rng = new Rng(seed);
  const streams = Array.from({ length: 12 }, (_, u) =>
    userActivity(rng, { user: `user${u}@example.com`, start: T0, days, perHour: { view_file: 2 + (u % 4), download_file: 0.5 + (u % 3) * 0.5 }, nonce: u }),
  );
  return merge(...streams);
}

function spike(user: string, start: number, n: number, action = 'download_file', spacing = 10_000): SecurityEvent[] {
  return Array.from({ length: n }, (_, i) => testEvent({ time: start + i * spacing, user, action, nonce: 9e9 + start / 1000 + i }));
}

describe('baseline config', () => {
  it('has the documented defaults and rejects bad values', () => {
    const c = baselineConfigSchema.parse({});
    expect(c).toMatchObject({
      learning_period: 7 * DAY,
      min_buckets: 3,
      threshold: 4,
      min_count: 20,
      min_sd: 1,
      block_score: 10,
      block_min_count: 100,
      actions: [],
      max_actions: 6,
      max_users: 100_000,
      max_evidence: 20,
      recent_evidence: 10,
    });
    expect(c.horizons.map((h) => h.bucket)).toEqual([HOUR, DAY, 7 * DAY]);
    expect(baselineConfigSchema.parse({ learning_period: '14d', horizons: [{ bucket: '30m', span: 48 }] })).toMatchObject({
      learning_period: 14 * DAY,
      horizons: [{ bucket: 30 * 60_000, span: 48 }],
    });
    expect(baselineConfigSchema.safeParse({ treshold: 3 }).success).toBe(false);
    expect(baselineConfigSchema.safeParse({ horizons: [] }).success).toBe(false);
    expect(baselineConfigSchema.safeParse({ horizons: [{ bucket: '10s', span: 5 }] }).success).toBe(false);
    expect(baselineConfigSchema.safeParse({ max_actions: 9 }).success).toBe(false);
  });

  it('plugin creates a detector from parsed config', () => {
    expect(baselinePlugin.type).toBe('baseline');
    const d = baselinePlugin.create(baselinePlugin.configSchema.parse({}), {} as never);
    expect(d.id).toBe('baseline');
    expect(d.observe(testEvent({ time: T0, user: 'a@example.com' }))).toEqual([]);
  });
});

describe('baseline detector', () => {
  it('raises nothing over four weeks of ordinary office activity for twelve users', async () => {
    const findings = await run(detector(), office(28));
    expect(findings).toEqual([]);
  });

  it('does not flag a brand-new user, however busy their first day and week', async () => {
    const events = merge(
      office(21),
      // Joins in week 3 and spends the first day importing files: 400 downloads in one hour.
      spike('newcomer@example.com', T0 + 15 * DAY + 10 * HOUR, 400, 'download_file', 5_000),
      spike('newcomer@example.com', T0 + 18 * DAY + 10 * HOUR, 300, 'download_file', 5_000),
    );
    const d = detector();
    expect(await run(d, events)).toEqual([]);
    expect(d.expectation('newcomer@example.com', 'download_file')[0]).toBeDefined();
  });

  it('flags a spike after learning with the score measured against the EWMA, once per bucket', async () => {
    const user = 'user1@example.com';
    const history = office(21);
    const d = detector();
    expect(await run(d, history)).toEqual([]);
    const at = T0 + 21 * DAY + 14 * HOUR; // Monday of week 4, 14:00
    const burst = spike(user, at, 150);
    // The first event of the burst closes the previous hours; from then on the expectation is fixed.
    const findings: Finding[] = apply(d, [burst[0]!]);
    const [hourly, daily] = d.expectation(user, 'download_file');
    for (const e of burst.slice(1)) findings.push(...apply(d, [e]));
    findings.push(...d.flush({ final: true }));

    const hourlyKey = `baseline|user:${user}|${new Date(at).toISOString()}`;
    const live = findings.filter((f) => dedupKey(f) === hourlyKey);
    expect(live.length).toBeGreaterThanOrEqual(2); // raised at the crossing, refreshed at flush
    const first = live[0]!;
    const minCount = Math.max(20, Math.ceil(hourly!.mean + 4 * hourly!.sd));
    expect(first.observed!.count).toBe(minCount);
    // The evidence is the events that led up to the crossing, the latest recent_evidence (10) of them.
    expect(first.evidence).toEqual(burst.slice(minCount - 10, minCount).map((e) => e.event.id));
    const final = live.at(-1)!;
    expect(final.observed!.count).toBe(150);
    expect(final.score).toBeCloseTo((150 - hourly!.mean) / hourly!.sd, 3);
    expect(final.score!).toBeGreaterThan(20);
    expect(final).toMatchObject({ rule: 'baseline', entity: { type: 'user', value: user }, windowStart: at, windowEnd: Date.parse(burst.at(-1)!['@timestamp']) });
    expect(final.observed!.would_block).toBe(1);
    expect(final.severity).toBe('high');
    expect(final.description).toMatch(/did 150 × download_file in the hour from .*standard deviations above normal/);
    expect(final.description).toMatch(/Would block user1@example.com/);
    expect(final.expected).toMatchObject({ block_score: 10, block_min_count: 100, bucket_minutes: 60 });
    expect(final.evidence).toEqual(burst.slice(-10).map((e) => e.event.id));
    // The daily horizon: 150 extra downloads against a mean of a few a day is a spike too.
    expect(daily!.mean).toBeLessThan(30);
    // All three horizons see it: the hour, the day and the (epoch-aligned, Thursday) week.
    const week = Math.floor(at / (7 * DAY)) * 7 * DAY;
    expect(latest(findings).map((f) => f.windowStart).sort((x, y) => x - y)).toEqual([week, T0 + 21 * DAY, at]);
    // Other users never alert.
    expect(findings.every((f) => f.entity.value === user)).toBe(true);
  });

  it("draws the evidence from the user's latest recent_evidence events, those in the spike's action and bucket", async () => {
    const user = 'user0@example.com';
    const at = T0 + 21 * DAY + 11 * HOUR;
    const downloads = spike(user, at, 40);
    // A view between every two downloads: not evidence of a download spike, but it takes a place among the latest.
    const views = spike(user, at + 5_000, 40, 'view_file');
    for (const k of [0, 6]) {
      const d = detector({ recent_evidence: k, horizons: [{ bucket: '1h', span: 168 }] });
      await run(d, office(21));
      const out = (await run(d, merge(downloads, views))).filter((f) => f.title.includes('download_file'));
      const first = out[0]!;
      // The hour holds only the spike's downloads, so the count says which one crossed.
      const crossed = first.observed!.count! - 1;
      expect(crossed).toBeGreaterThanOrEqual(19);
      expect(first.evidence).toEqual(k ? downloads.slice(crossed - 2, crossed + 1).map((e) => e.event.id) : []);
      expect(out.at(-1)!.evidence).toEqual(k ? downloads.slice(-3).map((e) => e.event.id) : []);
      const saved = d.encoded(user) as { r?: [string, string] };
      expect(saved.r?.[1].length ?? 0).toBe(2 * k);
    }
    // Other actions after the spike, in the same batch, push its events out of the latest ten: the
    // report at the flush still names the spike's events as of its last one.
    const d = detector({ horizons: [{ bucket: '1h', span: 168 }] });
    await run(d, office(21));
    const after = spike(user, at + 40 * 10_000, 15, 'view_file');
    const out = (await run(d, merge(downloads, after), 10_000)).filter((f) => f.title.includes('download_file'));
    expect(out.at(-1)!.evidence).toEqual(downloads.slice(-10).map((e) => e.event.id));
  });

  it('a moderate spike alerts without the block recommendation', async () => {
    const d = detector({ horizons: [{ bucket: '1h', span: 168 }] });
    await run(d, office(21));
    const at = T0 + 21 * DAY + 11 * HOUR;
    const out = await run(d, spike('user0@example.com', at, 40));
    const f = latest(out);
    expect(f).toHaveLength(1);
    expect(f[0]!.observed).toMatchObject({ would_block: 0 });
    expect(f[0]!.severity).toBe('medium');
    expect(f[0]!.description).not.toMatch(/Would block/);
  });

  it('keeps quiet while the learning period runs, and below the minimum count', async () => {
    // Learning of 30 days: the same spike in week 4 is not reported.
    const d = detector({ learning_period: '30d' });
    await run(d, office(21));
    expect(await run(d, spike('user1@example.com', T0 + 21 * DAY + 14 * HOUR, 150))).toEqual([]);
    // A rare action going from 0 to 15 is many deviations, but below min_count.
    const e = detector();
    await run(e, office(21));
    expect(await run(e, spike('user2@example.com', T0 + 22 * DAY + 9 * HOUR, 15, 'delete_file'))).toEqual([]);
    const rare = latest(await run(e, spike('user2@example.com', T0 + 23 * DAY + 9 * HOUR, 25, 'delete_file')));
    // The week also holds the 15 of the day before.
    expect(rare.map((f) => f.observed!.count).sort((x, y) => x! - y!)).toEqual([25, 25, 40]);
  });

  it('matches a naive EWMA over every bucket (closed-form folding of empty buckets)', async () => {
    const user = 'user3@example.com';
    const events = office(24, 5).filter((e) => e.user?.email === user && e.event.action === 'view_file');
    const d = detector({ actions: ['view_file'] });
    await run(d, events);
    const [got] = d.expectation(user, 'view_file');
    const first = Math.floor(Date.parse(events[0]!['@timestamp']) / HOUR);
    const lastBucket = Math.floor(Date.parse(events.at(-1)!['@timestamp']) / HOUR);
    const counts = new Array<number>(lastBucket - first).fill(0);
    for (const e of events) {
      const b = Math.floor(Date.parse(e['@timestamp']) / HOUR);
      if (b < lastBucket) counts[b - first]!++;
    }
    const alpha = 2 / 169;
    let m = 0, s = 0, w = 0;
    for (const x of counts) {
      m = (1 - alpha) * m + alpha * x;
      s = (1 - alpha) * s + alpha * x * x;
      w = (1 - alpha) * w + alpha;
    }
    const mean = m / w;
    const sd = Math.max(1, Math.sqrt(Math.max(s / w - mean * mean, mean)));
    expect(got!.n).toBe(counts.length);
    // The state keeps seven significant digits (see #close): agreement to about one part in a million.
    expect(Math.abs(got!.mean - mean)).toBeLessThanOrEqual(1e-6 * Math.max(1, mean));
    expect(Math.abs(got!.sd - sd)).toBeLessThanOrEqual(1e-5 * Math.max(1, sd));
  });

  it('is deterministic on replay and independent of batch boundaries', async () => {
    const events = merge(office(25, 3), spike('user5@example.com', T0 + 22 * DAY + 10 * HOUR, 120));
    const a = await run(detector(), events, 97);
    const b = await run(detector(), events, 5000);
    expect(a.length).toBeGreaterThan(0);
    expect(latest(a)).toEqual(latest(b));
  });

  it('counts late events only in buckets still open', () => {
    const d = detector({ horizons: [{ bucket: '1h', span: 24 }] });
    apply(d, [testEvent({ time: T0 + 2 * HOUR, user: 'x@example.com', action: 'a', nonce: 1 }), testEvent({ time: T0 + 3 * HOUR, user: 'x@example.com', action: 'a', nonce: 2 })]);
    // Later than its source promised: the watermark had passed it, and its hour is closed.
    d.observe(testEvent({ time: T0 + 2 * HOUR + 5, user: 'x@example.com', action: 'a', nonce: 3 }));
    d.flush({ final: false, watermark: T0 + 3 * HOUR + 1 });
    expect(d.stats().lateEvents).toBe(1);
  });

  it('forgets the action a person does least when full, not their daily work that rare actions came after', async () => {
    // Two work days a week of 20 views each, then, after the last view of the day, three actions
    // seen once each (a token grant, a settings change, an export): recency alone forgot "view"
    // every evening, and the next day's ordinary 20 views scored against zero history.
    const events: SecurityEvent[] = [];
    let nonce = 0;
    for (let day = 0; day < 42; day++) {
      const d0 = T0 + day * DAY;
      if (day % 7 >= 5) continue;
      for (let k = 0; k < 20; k++) events.push(testEvent({ time: d0 + 9 * HOUR + k * 10 * 60_000, user: 'ana@example.com', action: 'view', nonce: nonce++ }));
      for (let k = 0; k < 3; k++) events.push(testEvent({ time: d0 + 18 * HOUR + k * 60_000, user: 'ana@example.com', action: `rare_${(day * 3 + k) % 11}`, nonce: nonce++ }));
    }
    const d = detector({ max_actions: 3, min_count: 15, threshold: 4 });
    const findings = await run(d, events);
    expect(findings.map((f) => f.description)).toEqual([]);
    // Its week-long history is all there: about 100 views a week.
    const weekly = d.expectation('ana@example.com', 'view').at(-1)!;
    expect(weekly.mean).toBeGreaterThan(60);
    // A burst of a forgotten rare action still counts against zero, as a first-ever burst does.
    const burst = spike('ana@example.com', T0 + 43 * DAY + 10 * HOUR, 40, 'rare_5', 30_000);
    expect(latest(await run(d, burst)).map((f) => f.details?.['event.action'] ?? f.description)).not.toEqual([]);
  });

  it('still sees a burst of two new actions done in turns when the user\'s actions are full', async () => {
    // Six ordinary actions for five weeks, then 200 downloads and 200 ACL changes in turns: each is
    // new, so each has the lowest rate; forgetting by rate alone would drop one for the other at
    // every step and neither would ever count up to min_count.
    const events: SecurityEvent[] = [];
    let nonce = 0;
    const ordinary = ['view', 'edit', 'login', 'comment', 'upload', 'share'];
    for (let day = 0; day < 35; day++) {
      for (let k = 0; k < 30; k++) events.push(testEvent({ time: T0 + day * DAY + 9 * HOUR + k * 10 * 60_000, user: 'bo@example.com', action: ordinary[k % 6]!, nonce: nonce++ }));
    }
    const t1 = T0 + 35 * DAY + 14 * HOUR;
    for (let k = 0; k < 400; k++) events.push(testEvent({ time: t1 + k * 6_000, user: 'bo@example.com', action: k % 2 ? 'change_acl' : 'download', nonce: nonce++ }));
    const d = detector({});
    const found = latest(await run(d, events)).filter((f) => f.windowEnd >= t1);
    expect(found.length).toBeGreaterThan(0);
  });

  it('keeps the serialized state of a user under 2 KB even with the most and longest actions', () => {
    const d = detector({ max_actions: 8 });
    const rng = new Rng(9);
    for (let i = 0; i < 5000; i++) {
      const action = `change_document_access_scope_to_people_with_link_${String(rng.int(12)).padStart(2, '0')}_and_then_some_more`;
      d.observe(testEvent({ time: T0 + i * 7 * 60_000 + rng.int(1000), user: 'verbose.user.name@subsidiary.example.com', action, count: 1 + rng.int(50), nonce: i }));
    }
    d.flush({ final: true });
    const bytes = Buffer.byteLength(JSON.stringify(d.encoded('verbose.user.name@subsidiary.example.com')));
    expect(bytes).toBeLessThanOrEqual(2048);
    expect(bytes).toBeGreaterThan(1000);
  });
});

describe('baseline state in the store', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  async function sqlite(): Promise<Store> {
    const dir = mkdtempSync(join(tmpdir(), 'saaswatch-baseline-'));
    dirs.push(dir);
    return openStore({ dialect: 'sqlite', path: join(dir, 'state.db') });
  }

  it('survives a restart through SQLite: the restored run finds exactly what an uninterrupted one does', async () => {
    const history = office(21, 4);
    const after = merge(office(28, 4).filter((e) => Date.parse(e['@timestamp']) >= T0 + 21 * DAY), spike('user7@example.com', T0 + 23 * DAY + 15 * HOUR, 200));
    const uninterrupted = detector();
    await run(uninterrupted, history);
    const expected = await run(uninterrupted, after);
    expect(latest(expected).length).toBeGreaterThan(0);

    const store = await sqlite();
    const first = detector({}, store);
    await first.restore();
    await run(first, history);
    await first.persist();
    const raw = await store.getState('baseline:user7@example.com');
    expect(Buffer.byteLength(JSON.stringify(raw))).toBeLessThanOrEqual(2048);
    expect(await store.getState('baseline#index')).toHaveLength(12);

    const second = detector({}, store);
    await second.restore();
    expect(second.stats()).toMatchObject({ users: 12, loaded: 12 });
    const got = await run(second, after);
    expect(latest(got)).toEqual(latest(expected));
    await store.close();
  });

  it('bounds users in memory: evicted users are saved, reloaded on return and replayed in order', async () => {
    const events = merge(office(25, 6), spike('user4@example.com', T0 + 22 * DAY + 10 * HOUR, 150));
    const unbounded = latest(await run(detector(), events));
    const store = await sqlite();
    const d = detector({ max_users: 3 }, store);
    await d.restore();
    const got = latest(await run(d, events, 200));
    expect(d.stats().users).toBeLessThanOrEqual(3);
    expect(d.stats().evicted).toBeGreaterThan(100);
    expect(d.stats().loaded).toBeGreaterThan(100);
    expect(got.map(dedupKey)).toEqual(unbounded.map(dedupKey));
    expect(got.map((f) => f.observed)).toEqual(unbounded.map((f) => f.observed));
    await store.close();
  });

  it('starts afresh from a stored state of another horizon setup or a corrupt one', async () => {
    const store = await sqlite();
    await store.putState('baseline:a@example.com', { v: 1, f: 0, a: [] });
    await store.putState('baseline:b@example.com', 'garbage');
    await store.putState('baseline#index', ['a@example.com', 'b@example.com', 42]);
    const d = detector({}, store);
    await d.restore();
    expect(d.stats()).toMatchObject({ users: 0, loaded: 0 });
    await store.close();
  });

  it('restarted mid-spike reports the same evidence; a state saved before evidence was saved is upgraded with one info line', async () => {
    const user = 'user2@example.com';
    const head = spike(user, T0 + 21 * DAY + 14 * HOUR, 60);
    const history = merge(office(21, 3), head);
    const rest = spike(user, T0 + 21 * DAY + 14 * HOUR + 60 * 10_000, 90);
    const uninterrupted = detector();
    await run(uninterrupted, history);
    const expected = latest(await run(uninterrupted, rest));
    expect(expected.length).toBeGreaterThan(0);

    const store = await sqlite();
    const first = detector({}, store);
    await first.restore();
    const raised = await run(first, history);
    await first.persist();
    // The first alert carries the ten events that led up to the crossing, which was the 20th (min_count).
    const crossing = raised.find((f) => f.windowStart === T0 + 21 * DAY + 14 * HOUR)!;
    expect(crossing.observed!.count).toBe(20);
    expect(crossing.evidence).toEqual(head.slice(10, 20).map((e) => e.event.id));
    // Saved with the state: ten ids packed, two base-36 digits each (action, open buckets).
    const saved = (await store.getState(`baseline:${user}`)) as { e?: number; a: unknown[][]; r?: [string, string] };
    expect(saved.e).toBe(1);
    expect(saved.r![0]).toHaveLength(10 * 22);
    expect(saved.r![1]).toMatch(/^([0-5][1-7]){10}$/);
    const second = detector({}, store);
    await second.restore();
    const again = latest(await run(second, rest));
    expect(again).toEqual(expected);
    expect(again.every((f) => f.evidence.length === 10)).toBe(true);

    // The format before evidence was saved: no `e`, no recent events.
    const old = { ...saved, e: undefined, r: undefined };
    await store.putState(`baseline:${user}`, JSON.parse(JSON.stringify(old)));
    const logs: unknown[][] = [];
    const logger = { info: (...a: unknown[]) => logs.push(a) } as unknown as NonNullable<ConstructorParameters<typeof BaselineDetector>[1]>['logger'];
    const upgraded = new BaselineDetector(baselineConfigSchema.parse({}), { state: store, logger });
    await upgraded.restore();
    expect(upgraded.stats().loaded).toBe(12);
    expect(logs).toHaveLength(1);
    const got = latest(await run(upgraded, rest));
    expect(got.map((f) => [dedupKey(f), f.observed])).toEqual(expected.map((f) => [dedupKey(f), f.observed]));
    await store.close();
  });
});

describe('baseline auto_block through the pipeline', () => {
  it('blocks the user once, with reason, evidence and an audit entry; a replay blocks nobody again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-autoblock-'));
    const store = await openStore({ dialect: 'sqlite', path: join(dir, 'db.sqlite') });
    try {
      const user = 'user1@example.com';
      const events = [...office(21), ...spike(user, T0 + 21 * DAY + 14 * HOUR, 150)];
      const source = (): Source => ({
        name: 'office',
        type: 'test',
        async *batches() {
          for (let i = 0; i < events.length; i += 1000) yield { events: events.slice(i, i + 1000), deadLetters: [] };
        },
      });
      // auto_block is a policy its config switched on: the responder carries out what the alert proposes.
      const responder = new Responder({ store, connectors: new Map(), config: responseSchema.parse({}), logger: silentLogger, now: () => T0 + 30 * DAY });
      const run = async () => {
        await new Pipeline({ store, detectors: [detector({ auto_block: true }, store)], sinkNames: [], logger: silentLogger, now: () => T0 + 30 * DAY, onAlerts: (a) => void responder.onAlerts(a) }).ingest(source());
        await responder.drain();
      };
      await run();

      const blocked = await store.listBlockedUsers();
      expect(blocked.map((b) => b.user)).toEqual([user]);
      expect(blocked[0]!.blockedBy).toBe('rule:baseline');
      expect(blocked[0]!.reason).toMatch(/^\d+ × download_file in one (hour|day|week): score [\d.]+ ≥ block_score 10 and count \d+ ≥ block_min_count 100/);
      const alert = (await store.listAlerts()).find((a) => a.id === blocked[0]!.alertId);
      expect(alert?.description).toMatch(/Blocked user1@example.com/);
      expect(alert?.evidence.length).toBeGreaterThan(0);
      const audit = await store.listAudit({ action: 'block' });
      expect(audit).toHaveLength(1);
      expect(audit[0]!.details).toMatchObject({ user, alert: alert!.id });
      expect(await store.listActions({ alertId: alert!.id })).toMatchObject([{ action: 'block-user', status: 'done', policy: 'detector:baseline' }]);

      // Unblocked by an analyst, then the same data replayed: the alerts exist, so nothing acts again.
      await store.unblockUser(user, { actor: 'ana', reason: 'checked' });
      await run();
      expect(await store.listBlockedUsers()).toEqual([]);
      expect(await store.listAudit({ action: 'block' })).toHaveLength(1);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('only says it would block when auto_block is off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-autoblock-'));
    const store = await openStore({ dialect: 'sqlite', path: join(dir, 'db.sqlite') });
    try {
      const events = [...office(21), ...spike('user1@example.com', T0 + 21 * DAY + 14 * HOUR, 150)];
      const source: Source = { name: 'office', type: 'test', async *batches() { yield { events, deadLetters: [] }; } };
      await new Pipeline({ store, detectors: [detector({}, store)], sinkNames: [], logger: silentLogger }).ingest(source);
      expect((await store.listAlerts()).some((a) => /Would block user1@example.com/.test(a.description))).toBe(true);
      expect(await store.listBlockedUsers()).toEqual([]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

