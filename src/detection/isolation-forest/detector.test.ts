import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dedupKey, type Alert, type Finding, type SecurityEvent, type Source, type Store } from '../../core/index.js';
import { silentLogger } from '../../log.js';
import { batchesOf, lifetime, TempStores } from '../restart-testing.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { openStore } from '../../storage/index.js';
import { testEvent } from '../testing.js';
import { isolationForestConfigSchema } from './config.js';
import { IsolationForestDetector } from './detector.js';
import { ATTACKER, H, stream, T0 } from './fixtures/contract.js';
import { isolationForestPlugin } from './plugin.js';

function detector(overrides: Record<string, unknown> = {}): IsolationForestDetector {
  return new IsolationForestDetector(isolationForestConfigSchema.parse({ min_samples: 60, min_events: 4, ...overrides }));
}

/** Feeds time-ordered events as the pipeline does, each flush at the newest time so far (the watermark a time-ordered source promises). */
function run(d: IsolationForestDetector, events: SecurityEvent[], batch = 100): Finding[] {
  const out: Finding[] = [];
  events.forEach((e, i) => {
    out.push(...d.observe(e));
    if ((i + 1) % batch === 0) out.push(...d.flush({ final: false, watermark: Date.parse(e['@timestamp']) + 1 }));
  });
  out.push(...d.flush({ final: true }));
  return out;
}

describe('isolation-forest config', () => {
  it('has the documented defaults and validates', () => {
    expect(isolationForestConfigSchema.parse({})).toEqual({
      entity: 'source.ip',
      window: 3_600_000,
      grace: 300_000,
      n_trees: 100,
      sample_size: 256,
      min_samples: 200,
      reservoir_size: 4096,
      threshold: 0.75,
      prescreen: 0.6,
      min_events: 10,
      min_count: 10,
      severity: 'medium',
      seed: 1,
      max_entities: 100_000,
      max_pending: 10_000,
      max_evidence: 20,
    });
    expect(isolationForestConfigSchema.safeParse({ thresold: 0.7 }).success).toBe(false);
    expect(isolationForestConfigSchema.safeParse({ threshold: 0.4 }).success).toBe(false);
    expect(isolationForestConfigSchema.safeParse({ threshold: 0.7, prescreen: 0.7 }).success).toBe(false);
    expect(isolationForestConfigSchema.safeParse({ min_samples: 500, reservoir_size: 100 }).success).toBe(false);
    expect(isolationForestConfigSchema.parse({ window: '15m', grace: 30 })).toMatchObject({ window: 900_000, grace: 30_000 });
    expect(isolationForestPlugin.type).toBe('isolation-forest');
  });
});

describe('isolation-forest detector', () => {
  const events = stream(12, 9);

  it('flags the attacker window only, with an explanation', () => {
    const findings = run(detector(), events);
    expect(findings.map((f) => f.entity)).toEqual([{ type: 'ip', value: ATTACKER }]);
    const f = findings[0]!;
    expect(f.windowStart).toBe(T0 + 9 * H);
    expect(f.windowEnd).toBe(T0 + 10 * H);
    expect(f.score).toBeGreaterThanOrEqual(0.75);
    expect(f.observed).toMatchObject({ failed_logins: 300, distinct_users: 60, failure_ratio: 1 });
    expect(f.expected!.failed_logins).toBe(0);
    expect(f.evidence).toHaveLength(20);
    expect(f.features!.map((x) => x.contribution)).toEqual([...f.features!.map((x) => x.contribution)].sort((a, b) => b - a));
    expect(f.description).toContain(ATTACKER);
  });

  it('isolates a rare but tiny burst without reporting it unless min_count allows', () => {
    // One IP whose user fumbles the password eight times in an hour: unusual, and not an attack.
    const fumble = Array.from({ length: 9 }, (_, k) => {
      const t = T0 + 10 * H + 60_000 + k * 30_000;
      return testEvent({ time: t, ip: '198.51.100.9', user: 'clumsy@example.com', outcome: k < 8 ? 'failure' : 'success', nonce: 90_000 + k });
    });
    const all = [...events, ...fumble].sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']));
    const values = (fs: Finding[]) => fs.map((f) => f.entity.value).sort();
    expect(values(run(detector(), all))).toEqual([ATTACKER]);
    expect(values(run(detector({ min_count: 1 }), all))).toEqual(['198.51.100.9', ATTACKER]);
  });

  it('does not count failed token refreshes as failed logins', () => {
    // Entra's non-interactive refreshes fail by the dozen when a laptop wakes with an expired token:
    // not a password guess, so not a failure the attacker feature may see.
    const refresh = (e: SecurityEvent): SecurityEvent =>
      e.source?.ip === ATTACKER ? { ...e, event: { ...e.event, action: 'token_refresh', category: ['authentication'] } } : e;
    // Sixty accounts' tokens refreshed from one address is still unusual, and still reported.
    const findings = run(detector({ min_count: 1 }), events.map(refresh));
    expect(findings.map((f) => f.entity.value)).toEqual([ATTACKER]);
    expect(findings[0]!.observed).toMatchObject({ failed_logins: 0, failure_ratio: 0, distinct_users: 60 });
  });

  it('keeps windows that closed before the model was trainable and scores them once it is', () => {
    // The attack is in hour 0; 60 samples need several hours of windows first.
    const early = stream(12, 0);
    const d = detector();
    const seen: Finding[] = [];
    let firstTrainableAt = -1;
    early.forEach((e, i) => {
      seen.push(...d.observe(e), ...d.flush({ final: false, watermark: Date.parse(e['@timestamp']) + 1 }));
      if (firstTrainableAt < 0 && d.stats().trainable) firstTrainableAt = i;
      if (firstTrainableAt < 0) expect(seen).toEqual([]);
    });
    seen.push(...d.flush({ final: true }));
    expect(firstTrainableAt).toBeGreaterThan(0);
    expect(seen.map((f) => [f.entity.value, f.windowStart])).toEqual([[ATTACKER, T0]]);
    expect(d.stats().pending).toBe(0);
  });

  it('closes a window only once the watermark passes its end plus grace, and all windows at the final flush', () => {
    const d = detector({ min_samples: 2, min_events: 1 });
    const ev = (t: number, ip: string, i: number) => testEvent({ time: t, ip, user: 'a@example.com', nonce: i });
    // Arrival order does not matter: the next hour's event first.
    d.observe(ev(T0 + H + 4 * 60_000, '192.0.2.1', 3));
    d.observe(ev(T0 + 20 * 60_000, '192.0.2.2', 2));
    d.observe(ev(T0 + 10 * 60_000, '192.0.2.1', 1));
    d.flush({ final: false, watermark: T0 + H + 4 * 60_000 + 1 });
    expect(d.stats()).toMatchObject({ openWindows: 3, closedWindows: 0 });
    // A late event still lands in the first window during the grace period.
    d.observe(ev(T0 + 50 * 60_000, '192.0.2.3', 4));
    d.flush({ final: false, watermark: T0 + H + 4 * 60_000 + 1 });
    expect(d.stats()).toMatchObject({ openWindows: 4, lateEvents: 0 });
    d.flush({ final: false, watermark: T0 + H + 5 * 60_000 });
    expect(d.stats()).toMatchObject({ openWindows: 1, closedWindows: 3 });
    // Now the first window is closed: a late event for it is counted and dropped.
    d.observe(ev(T0 + 30 * 60_000, '192.0.2.9', 6));
    expect(d.stats()).toMatchObject({ openWindows: 1, lateEvents: 1 });
    d.flush({ final: true });
    expect(d.stats()).toMatchObject({ openWindows: 0, closedWindows: 4 });
  });

  it('neither learns from nor scores windows under min_events', () => {
    const d = detector({ min_events: 1000 });
    expect(run(d, events)).toEqual([]);
    expect(d.stats()).toMatchObject({ closedWindows: 0, reservoir: 0, trainable: false });
  });

  it('groups by the configured entity field', () => {
    const findings = run(detector({ entity: 'user' }), events);
    // Per user the attack is 5 failures spread over 60 accounts: no user stands out enough.
    for (const f of findings) expect(f.entity.type).toBe('user');
    const byIp = run(detector({ entity: 'source.ip' }), events);
    expect(byIp.map((f) => f.entity.value)).toEqual([ATTACKER]);
  });

  it('is deterministic under replay and independent of batch size and prescreen timing', () => {
    const a = run(detector(), events, 100);
    const b = run(detector(), events, 7);
    expect(b).toEqual(a);
    expect(a.map(dedupKey)).toEqual([`isolation-forest|ip:${ATTACKER}|${new Date(T0 + 9 * H).toISOString()}`]);
    const other = run(detector({ seed: 99 }), events);
    expect(other.map(dedupKey)).toEqual(a.map(dedupKey));
  });

  it('stopped with a store, holds the open attack hour and judges it whole after the restart', async () => {
    const state = new Map<string, unknown>();
    const store = { getState: async (k: string) => state.get(k), putState: async (k: string, v: unknown) => void state.set(k, v) };
    const make = () => new IsolationForestDetector(isolationForestConfigSchema.parse({ min_samples: 60, min_events: 4 }), { state: store });
    const whole = run(make(), events);
    state.clear();
    // Stop ten minutes into the attack: the window is cut short, so the stopped run reports nothing of it.
    const stop = events.findIndex((e) => Date.parse(e['@timestamp']) >= T0 + 9 * H + 10 * 60_000);
    const first = make();
    for (const e of events.slice(0, stop)) first.observe(e);
    const watermark = Date.parse(events[stop - 1]!['@timestamp']) + 1;
    const before = [...first.flush({ final: false, watermark }), ...first.flush({ final: true, watermark })];
    await first.persist();
    expect(before).toEqual([]);
    // The next run rebuilds the population and the open windows from the stored events, then reads on.
    const second = make();
    await second.restore();
    const from = second.resumeFrom();
    expect(from).toBe(T0);
    for (const e of events.slice(0, stop)) second.replay(e);
    expect(run(second, events.slice(stop))).toEqual(whole);
  });

  it('after a final flush that judged everything, a restart rebuilds the population without judging those windows again', async () => {
    const state = new Map<string, unknown>();
    const store = { getState: async (k: string) => state.get(k), putState: async (k: string, v: unknown) => void state.set(k, v) };
    const make = () => new IsolationForestDetector(isolationForestConfigSchema.parse({ min_samples: 60, min_events: 4 }), { state: store });
    const first = make();
    // No watermark at the end: everything observed is complete, so every window is judged.
    expect(run(first, events).map((f) => f.entity.value)).toEqual([ATTACKER]);
    await first.persist();
    const second = make();
    await second.restore();
    expect(second.resumeFrom()).toBe(T0);
    for (const e of events) second.replay(e);
    expect(second.flush({ final: true })).toEqual([]);
    expect(second.stats()).toMatchObject({ reservoir: first.stats().reservoir, openWindows: 0 });
  });

  it('refits the prescreen as the population turns over, and a restart at any hour fits the same forests', async () => {
    const stores = new TempStores();
    try {
      // A population of 150 windows (about six hours) whose prescreen is refitted every 37 windows:
      // a restart falls between refits, and its replay must take the next one at the same window.
      const config = isolationForestConfigSchema.parse({ min_samples: 60, min_events: 4, reservoir_size: 150, sample_size: 30 });
      const make = (state: Store) => new IsolationForestDetector(config, { state });
      const batches = batchesOf(stream(24, 20), 150);
      const expected: Finding[] = [];
      const wholeStore = await stores.open();
      const whole = make(wholeStore);
      await lifetime(whole, batches, expected, wholeStore);
      expect(expected.map((f) => f.entity.value)).toContain(ATTACKER);
      expect(whole.stats().prescreenFits).toBeGreaterThanOrEqual(3);
      for (const split of [10, 20, 25, 30]) {
        const store = await stores.open();
        const got: Finding[] = [];
        const [first, second] = [make(store), make(store)];
        await lifetime(first, batches.slice(0, split), got, store);
        await lifetime(second, batches.slice(split), got, store);
        expect(got).toEqual(expected);
        // The same prescreen forests: the same windows ruled out, before and after the restart together.
        expect(first.stats().prescreened + second.stats().prescreened).toBe(whole.stats().prescreened);
        expect(second.stats().prescreenFrom).toBe(whole.stats().prescreenFrom);
      }
    } finally {
      await stores.cleanup();
    }
  });

  it('bounds memory: entities per window, pending windows and the reservoir', () => {
    const d = detector({ max_entities: 10, max_pending: 5, reservoir_size: 60, min_samples: 60, min_events: 1 });
    run(d, events);
    const s = d.stats();
    expect(s.droppedEntities).toBeGreaterThan(0);
    expect(s.reservoir).toBeLessThanOrEqual(60);
    expect(s.pending).toBeLessThanOrEqual(5);
  });
});

describe('isolation-forest through the pipeline, one file after another', () => {
  /** A file read to its end: it promises no watermark, so its last hour may still be continued by the next file. */
  const file = (events: SecurityEvent[]): Source => ({
    name: 'file',
    type: 'test',
    async *batches() {
      for (let i = 0; i < events.length; i += 500) yield { events: events.slice(i, i + 500), deadLetters: [] };
    },
  });
  const judged = (alerts: Alert[]) =>
    alerts.map((a) => ({ entity: a.entity, windowStart: a.windowStart, score: a.score, observed: a.observed, evidence: a.evidence })).sort((x, y) => x.windowStart - y.windowStart || x.entity.value.localeCompare(y.entity.value));

  it('keeps the last hour of an ingest for the next run, says so, and the next ingest judges it as one ingest of both files would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-iforest-'));
    const now = () => Date.parse('2026-11-03T12:00:00Z');
    const config = isolationForestConfigSchema.parse({ min_samples: 60, min_events: 4 });
    const events = stream(12, 9);
    // The first file ends in the attack hour.
    const cut = events.findIndex((e) => Date.parse(e['@timestamp']) >= T0 + 10 * H);
    const ingest = async (path: string, input: SecurityEvent[], logged: unknown[][] = []) => {
      const store = await openStore({ dialect: 'sqlite', path: join(dir, path) });
      try {
        const logger = { info: (...a: unknown[]) => logged.push(a) } as unknown as typeof silentLogger;
        const detector = new IsolationForestDetector(config, { state: store, logger });
        await new Pipeline({ store, detectors: [detector], sinkNames: [], logger: silentLogger, now }).ingest(file(input));
        return await store.listAlerts();
      } finally {
        await store.close();
      }
    };
    try {
      const whole = judged(await ingest('whole.db', events));
      expect(whole.map((a) => a.entity.value)).toContain(ATTACKER);

      const logged: unknown[][] = [];
      const first = await ingest('split.db', events.slice(0, cut), logged);
      expect(first.map((a) => a.entity.value)).not.toContain(ATTACKER);
      expect(logged).toEqual([[expect.objectContaining({ from: new Date(T0 + 9 * H).toISOString() }), expect.stringMatching(/kept for the next run/)]]);
      // A run that brings nothing later keeps them still.
      expect(judged(await ingest('split.db', []))).toEqual(judged(first));
      expect(judged(await ingest('split.db', events.slice(cut)))).toEqual(whole);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
