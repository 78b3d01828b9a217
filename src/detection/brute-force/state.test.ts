// Fast checks of the brute-force detector's saved state (encode, restore, expiry, bad records) on an
// in-memory SQLite store; persist.test.ts holds the slower whole-night restart-equivalence runs.
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding, SecurityEvent, Store } from '../../core/index.js';
import { closeMemoryStores, memoryStore } from '../../storage/testing.js';
import { savedWindows } from '../restart-testing.js';
import { testEvent } from '../testing.js';
import { bruteForceConfigSchema } from './config.js';
import { BruteForceDetector } from './detector.js';
import { bruteForcePlugin } from './plugin.js';

const T0 = Date.parse('2026-11-03T02:00:00.000Z');
const SEC = 1000;
const MIN = 60 * SEC;
const KEY = 'brute-force#windows';

afterEach(closeMemoryStores);

function detector(store: Store | undefined, overrides: Record<string, unknown> = {}, logger?: Logger): BruteForceDetector {
  return new BruteForceDetector(bruteForceConfigSchema.parse({ threshold: 5, window: '10m', ...overrides }), { state: store, logger });
}

interface Attempt {
  t: number;
  ip?: string;
  user?: string;
  count?: number;
  nonce?: number;
}

const fail = (a: Attempt): SecurityEvent => testEvent({ time: a.t, ip: a.ip, user: a.user, outcome: 'failure', count: a.count, nonce: a.nonce });
const success = (a: Attempt): SecurityEvent => testEvent({ time: a.t, ip: a.ip, user: a.user, outcome: 'success', nonce: a.nonce });

/** One pipeline batch: observe, then flush to the watermark. */
function step(d: BruteForceDetector, events: SecurityEvent[], watermark: number, final = false): Finding[] {
  for (const e of events) d.observe(e);
  return d.flush({ final, watermark });
}

/** Collects the info logs a restore writes when it discards saved windows. */
function capture(): { logger: Logger; logs: Array<{ reason: string; parts?: string[] }> } {
  const logs: Array<{ reason: string; parts?: string[] }> = [];
  const logger = { info: (o: { reason: string; parts?: string[] }) => logs.push(o), debug: () => undefined } as unknown as Logger;
  return { logger, logs };
}

interface SavedSegment {
  v: number;
  s: string[];
  parts: Record<string, { h: string; r: Array<Record<string, unknown>> }>;
}

interface SavedManifest {
  segs: Array<[number, number]>;
  meta?: Record<string, unknown>;
  parts: Record<string, { h: string; m: { q: number; s: number } }>;
}

async function manifestOf(store: Store): Promise<SavedManifest> {
  return (await store.getState(KEY)) as SavedManifest;
}

async function segmentsOf(store: Store): Promise<Array<[number, SavedSegment]>> {
  return [...(await savedWindows(store, 'brute-force')).segments] as Array<[number, SavedSegment]>;
}

async function onlySegment(store: Store): Promise<[number, SavedSegment]> {
  const segs = await segmentsOf(store);
  expect(segs).toHaveLength(1);
  return segs[0]!;
}

/** A record with its string-table references read back, so expectations name ids, users and IPs. */
function readable(seg: SavedSegment, rec: Record<string, unknown>): Record<string, unknown> {
  const s = (n: unknown) => (n === null ? null : seg.s[n as number]);
  const out: Record<string, unknown> = { ...rec, i: (rec.i as number[]).map(s) };
  if (rec.u) out.u = (rec.u as Array<number | null>).map(s);
  if (rec.p) out.p = (rec.p as Array<number | null>).map(s);
  if (rec.b) {
    const b = rec.b as unknown[];
    out.b = [...b.slice(0, 5), ...[b[5], b[6], b[7]].map((xs) => (xs as number[]).map(s))];
  }
  return out;
}

// Before the restart: 203.0.113.10 has four weighted failures (below 5) against three users;
// alice@example.com is in a burst from three addresses, with one success in it.
const IP = '203.0.113.10';
const ALICE = 'alice@example.com';
const before: SecurityEvent[] = [
  fail({ t: T0, ip: IP, user: 'u1@example.com' }),
  fail({ t: T0 + MIN, ip: IP, user: 'u2@example.com', count: 2 }),
  fail({ t: T0 + 2 * MIN, ip: IP, user: 'u3@example.com' }),
  fail({ t: T0 + 30 * SEC, ip: '198.51.100.1', user: ALICE }),
  fail({ t: T0 + 40 * SEC, ip: '198.51.100.2', user: ALICE, count: 3 }),
  fail({ t: T0 + 50 * SEC, ip: '198.51.100.3', user: ALICE }),
  success({ t: T0 + 3 * MIN, ip: '198.51.100.3', user: ALICE }),
];
// After it: the address crosses the threshold with its saved failures, alice's burst grows.
const after: SecurityEvent[] = [
  fail({ t: T0 + 4 * MIN, ip: IP, user: 'u4@example.com' }),
  fail({ t: T0 + 5 * MIN, ip: '198.51.100.4', user: ALICE }),
  success({ t: T0 + 6 * MIN, ip: '198.51.100.4', user: ALICE }),
];
const W1 = T0 + 3 * MIN + 1;
const W2 = T0 + 6 * MIN + 1;


/** A store holding the detector's saved state after the `before` failures, with its one segment. */
async function saved(): Promise<{ store: Store; d: BruteForceDetector; id: number; seg: SavedSegment }> {
  const store = await memoryStore();
  const d = detector(store);
  await d.restore();
  step(d, before, W1);
  await d.persist();
  const [id, seg] = await onlySegment(store);
  return { store, d, id, seg };
}

describe('brute-force saved state', () => {
  it('continues every window and burst after a restart exactly as an uninterrupted run does', async () => {
    const whole = detector(undefined);
    const expected = [...step(whole, before, W1), ...step(whole, after, W2, true)];

    const store = await memoryStore();
    const first = detector(store);
    await first.restore();
    const got = step(first, before, W1);
    await first.persist();
    const held = first.stats();
    const second = detector(store);
    await second.restore();
    expect(second.stats()).toMatchObject({ entities: held.entities, activeBursts: held.activeBursts, windowLog: { restored: held.entities } });
    // Everything was applied before the save: nothing to hand back from the event store.
    expect(second.resumeFrom()).toBeUndefined();
    got.push(...step(second, after, W2, true));
    // Copies saved after the restart are as compact as before it: no users of a user, no IPs of an address.
    await second.persist();
    const latest = (await segmentsOf(store)).at(-1)![1];
    expect(latest.parts.user!.r.find((r) => r.k === ALICE)).not.toHaveProperty('u');
    expect(latest.parts['source.ip']!.r.find((r) => r.k === IP)).not.toHaveProperty('p');
    expect(got).toEqual(expected);

    const ip = got.find((f) => f.entity.value === IP)!;
    expect(ip).toMatchObject({ windowStart: T0, windowEnd: T0 + 4 * MIN, observed: { failed_logins: 5, distinct_users: 4 } });
    expect(ip.evidence).toEqual([...before.slice(0, 3), after[0]!].map((e) => e.event.id));
    const alice = got.filter((f) => f.entity.value === ALICE).at(-1)!;
    expect(alice).toMatchObject({ windowStart: T0 + 30 * SEC, windowEnd: T0 + 5 * MIN });
    expect(alice.observed).toEqual({ failed_logins: 6, peak_window_failed_logins: 6, successful_logins: 2, distinct_ips: 4 });

    // Without the saved state the address never reaches the threshold and alice's burst starts over.
    const cold = detector(undefined);
    const coldOut = step(cold, after, W2, true);
    expect(coldOut).toEqual([]);
  });

  it('saves a window compactly: ages against the newest failure, weights, users and IPs only where they say something', async () => {
    const { store, d, id, seg } = await saved();
    expect(id).toBe(1);
    const ids = before.map((e) => e.event.id);
    const ipRecords = seg.parts['source.ip']!.r.map((r) => readable(seg, r));
    expect(ipRecords).toEqual([
      { k: IP, q: 1, m: T0 + 2 * MIN, t: [2 * MIN, MIN, MIN], i: ids.slice(0, 3), w: [1, 2, 1], u: ['u1@example.com', 'u2@example.com', 'u3@example.com'] },
      { k: '198.51.100.1', q: 2, m: T0 + 30 * SEC, t: [0], i: [ids[3]], u: [ALICE] },
      { k: '198.51.100.2', q: 3, m: T0 + 40 * SEC, t: [0], i: [ids[4]], w: [3], u: [ALICE] },
      { k: '198.51.100.3', q: 4, m: T0 + 50 * SEC, t: [0], i: [ids[5]], u: [ALICE] },
    ]);
    const userRecords = seg.parts.user!.r.map((r) => readable(seg, r));
    expect(userRecords.find((r) => r.k === ALICE)).toEqual({
      k: ALICE,
      q: 2,
      m: T0 + 50 * SEC,
      t: [20 * SEC, 10 * SEC, 10 * SEC],
      i: ids.slice(3, 6),
      w: [1, 3, 1],
      p: ['198.51.100.1', '198.51.100.2', '198.51.100.3'],
      b: [T0 + 30 * SEC, T0 + 50 * SEC, 5, 5, 1, ids.slice(3, 6), [ALICE], ['198.51.100.1', '198.51.100.2', '198.51.100.3']],
    });
    expect(userRecords.find((r) => r.k === 'u2@example.com')).toEqual({ k: 'u2@example.com', q: 3, m: T0 + MIN, t: [0], i: [ids[1]], w: [2], p: [IP] });

    const m = await manifestOf(store);
    expect(m.parts).toEqual({ 'source.ip': { h: expect.any(String), m: { q: 4, s: 0 } }, user: { h: expect.any(String), m: { q: 4, s: 0 } } });
    // One sweep so far, at the first failure applied; the next is one window later.
    expect(m.meta).toEqual({ h: expect.any(String), k: [W1, W1, T0 + 3 * MIN], n: T0 + 10 * MIN, c: T0 });
    // Nothing changed: a second save writes no new segment.
    await d.persist();
    expect((await segmentsOf(store)).map(([n]) => n)).toEqual([1]);
    expect(d.stats().windowLog).toMatchObject({ segments: 1, liveCopies: 8, saves: 1 });
  });

  it('saves only the failures still in the window, and restores them', async () => {
    const store = await memoryStore();
    const d = detector(store, { group_by: ['source.ip'], threshold: 3 });
    await d.restore();
    const ip = '192.0.2.20';
    const e = [0, 11, 12].map((m, i) => fail({ t: T0 + m * MIN, ip, user: `w${i}@example.com` }));
    step(d, e, T0 + 12 * MIN + 1);
    await d.persist();
    const [, seg] = await onlySegment(store);
    expect(seg.parts['source.ip']!.r.map((r) => readable(seg, r))).toEqual([
      { k: ip, q: 1, m: T0 + 12 * MIN, t: [MIN, MIN], i: [e[1]!.event.id, e[2]!.event.id], u: ['w1@example.com', 'w2@example.com'] },
    ]);
    const r = detector(store, { group_by: ['source.ip'], threshold: 3 });
    await r.restore();
    const [f] = step(r, [fail({ t: T0 + 13 * MIN, ip, user: 'w3@example.com' })], T0 + 13 * MIN + 1);
    expect(f).toMatchObject({ windowStart: T0 + 11 * MIN, observed: { failed_logins: 3, distinct_users: 3 } });
  });

  it('drops idle entities a sweep went by, keeps those created after it, and deletes copies nobody holds', async () => {
    const store = await memoryStore();
    const d = detector(store, { window: '1m', threshold: 50 });
    await d.restore();
    // Within one window, so no sweep runs in between: both copies land in one segment.
    step(d, [fail({ t: T0, ip: '192.0.2.1' }), fail({ t: T0 + 50 * SEC, user: 'late@example.com' })], T0 + 55 * SEC);
    await d.persist();
    // Two and a half windows on: the sweep drops the address (idle for two windows), not the user.
    step(d, [], T0 + 150 * SEC);
    expect(d.stats()).toMatchObject({ entities: 1, evicted: 1 });
    // An attempt later than its source promised, older than the sweep's horizon: created after the sweep, kept.
    expect(step(d, [fail({ t: T0 + 10 * SEC, ip: '192.0.2.2' })], T0 + 150 * SEC)).toEqual([]);
    expect(d.stats()).toMatchObject({ entities: 2, late: 1 });
    await d.persist();
    // The sweep wrote nothing: the old segment stays as it was, the new one holds only the new address.
    expect((await segmentsOf(store)).map(([n, seg]) => [n, Object.values(seg.parts).flatMap((p) => p.r.map((r) => r.k))])).toEqual([
      [1, ['192.0.2.1', 'late@example.com']],
      [2, ['192.0.2.2']],
    ]);
    expect((await manifestOf(store)).parts['source.ip']!.m).toEqual({ q: 2, s: 1 });

    const again = detector(store, { window: '1m', threshold: 50 });
    await again.restore();
    expect(again.stats()).toMatchObject({ entities: 2, windowLog: { restored: 2 } });
    // The dropped address starts from nothing: one failure after the restart leaves it with one.
    step(again, [fail({ t: T0 + 151 * SEC, ip: '192.0.2.1', nonce: 1 })], T0 + 152 * SEC);
    await again.persist();
    const recs = (await segmentsOf(store)).flatMap(([, seg]) => seg.parts['source.ip']?.r.map((r) => readable(seg, r)) ?? []);
    expect(recs.filter((r) => r.k === '192.0.2.1').at(-1)).toMatchObject({ q: 3, t: [0] });

    // Long after, every entity is idle: the sweep drops them all and the next save deletes every segment.
    step(again, [], T0 + 60 * MIN);
    expect(again.stats().entities).toBe(0);
    await again.persist();
    expect([...(await savedWindows(store, 'brute-force')).segments.keys()]).toEqual([]);
    const third = detector(store, { window: '1m', threshold: 50 });
    await third.restore();
    expect(third.stats().entities).toBe(0);
  });

  it('keeps the newest entities when restored under a lower cap, and never brings back one the cap evicted', async () => {
    const store = await memoryStore();
    const d = detector(store, { group_by: ['source.ip'], threshold: 3, max_entities: 3 });
    await d.restore();
    const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    step(d, ips.slice(0, 3).map((ip, i) => fail({ t: T0 + i * SEC, ip })), T0 + 3 * SEC);
    await d.persist();
    step(d, [fail({ t: T0 + 3 * SEC, ip: ips[3] })], T0 + 4 * SEC);
    expect(d.stats()).toMatchObject({ entities: 3, evicted: 1 });
    await d.persist();
    const all = JSON.stringify(await segmentsOf(store));
    expect(all).not.toContain('"k":"10.0.0.1"');
    expect(all).toContain('"k":"10.0.0.2"');
    // Created and evicted between two saves: never written at all.
    const s2 = await memoryStore();
    const once = detector(s2, { group_by: ['source.ip'], threshold: 3, max_entities: 3 });
    await once.restore();
    step(once, ips.map((ip, i) => fail({ t: T0 + i * SEC, ip })), T0 + 4 * SEC);
    await once.persist();
    expect((await onlySegment(s2))[1].parts['source.ip']!.r.map((r) => r.k)).toEqual(ips.slice(1));

    const smaller = detector(store, { group_by: ['source.ip'], threshold: 3, max_entities: 2 });
    await smaller.restore();
    expect(smaller.stats().entities).toBe(2);
    // 10.0.0.2 was the oldest and is gone: two more failures make no burst there, but do at 10.0.0.4.
    const out = step(smaller, [fail({ t: T0 + 5 * SEC, ip: ips[1], nonce: 1 }), fail({ t: T0 + 6 * SEC, ip: ips[1], nonce: 2 }), fail({ t: T0 + 7 * SEC, ip: ips[3], nonce: 1 }), fail({ t: T0 + 8 * SEC, ip: ips[3], nonce: 2 })], T0 + 9 * SEC);
    expect(out.map((f) => [f.entity.value, f.observed?.failed_logins])).toEqual([[ips[3], 3]]);
  });

  it('hands the attempts queued at a save back through replay, from the oldest, and judges none twice', async () => {
    const store = await memoryStore();
    const d = detector(store, { group_by: ['source.ip'], threshold: 3 });
    await d.restore();
    const e = [0, 1, 2, 3].map((i) => fail({ t: T0 + i * MIN, ip: '192.0.2.9', user: `v${i}@example.com` }));
    // Observed, not flushed: no watermark, no sweep, so the saved clock and sweep schedule are empty.
    d.observe(e[0]!);
    d.observe(e[1]!);
    await d.persist();
    expect((await manifestOf(store)).meta).toEqual({ h: expect.any(String), k: [null, null, null], n: null, c: null, o: T0 });
    const r1 = detector(store, { group_by: ['source.ip'], threshold: 3 });
    await r1.restore();
    expect(r1.resumeFrom()).toBe(T0);
    // The first two come back from the event store; nothing before them does.
    r1.replay(fail({ t: T0 - SEC, ip: '192.0.2.9', user: 'old@example.com' }));
    r1.replay(e[0]!);
    r1.replay(e[1]!);
    expect(r1.stats().queued).toBe(2);
    // e[0] is applied now; e[1] stays queued.
    step(r1, [], T0 + MIN);
    await r1.persist();
    const r2 = detector(store, { group_by: ['source.ip'], threshold: 3 });
    await r2.restore();
    expect(r2.resumeFrom()).toBe(T0 + MIN);
    for (const x of e.slice(0, 2)) r2.replay(x);
    expect(r2.stats().queued).toBe(1);
    const out = step(r2, e.slice(2), T0 + 4 * MIN, true);
    expect(out.map((f) => [f.windowStart, f.observed?.failed_logins])).toEqual([[T0, 3], [T0, 4]]);

    // A late attempt queued at the save lies before the frontier: the resume point is the frontier.
    const s2 = await memoryStore();
    const late = detector(s2, { group_by: ['source.ip'], threshold: 3 });
    await late.restore();
    step(late, [e[2]!], T0 + 3 * MIN);
    late.observe(e[0]!);
    await late.persist();
    const r3 = detector(s2, { group_by: ['source.ip'], threshold: 3 });
    await r3.restore();
    expect(r3.resumeFrom()).toBe(T0 + 3 * MIN);

    // Nothing saved: nothing to replay.
    const fresh = detector(await memoryStore(), { group_by: ['source.ip'], threshold: 3 });
    await fresh.restore();
    expect(fresh.resumeFrom()).toBeUndefined();
    fresh.replay(e[0]!);
    expect(fresh.stats().queued).toBe(0);
  });

  it('keeps the state when only severity or the entity cap change, and starts afresh when window, threshold or evidence cap do', async () => {
    const store = await memoryStore();
    const d = detector(store);
    await d.restore();
    step(d, before, W1);
    d.observe(after[0]!);
    await d.persist();
    for (const [overrides, entities] of [
      [{ severity: 'critical', max_entities: 50 }, 8],
      [{ window: '15m' }, 0],
      [{ threshold: 6 }, 0],
      [{ max_evidence: 50 }, 0],
    ] as const) {
      const { logger, logs } = capture();
      const r = detector(store, overrides, logger);
      await r.restore();
      expect(r.stats().entities).toBe(entities);
      expect(logs.map((l) => l.parts)).toEqual(entities ? [] : [['source.ip', 'user']]);
      // Attempts queued under another config are not handed back either, and the clock starts over.
      expect(r.resumeFrom()).toBe(entities ? T0 + 4 * MIN : undefined);
      r.observe(fail({ t: T0, ip: '192.0.2.77' }));
      expect(r.stats().late).toBe(entities ? 1 : 0);
    }
  });

  it('hands over, at the first flush after a restart, the reports the saved state still owed, in their order', async () => {
    const store = await memoryStore();
    const d = detector(store);
    await d.restore();
    const found = step(d, before, W1);
    await d.persist();
    // A save made between applying attempts and the flush reporting them records what is owed (d)
    // and reports ended but not yet handed over (p); write such a state.
    const pending = found.find((f) => f.entity.type === 'ip') ?? { ...found[0]!, title: 'ended burst', entity: { type: 'ip', value: '203.0.113.99' } };
    const [id, seg] = await onlySegment(store);
    const aliceIp = seg.parts['source.ip']!.r.find((r) => r.k === '198.51.100.2')!;
    aliceIp.b = [T0 + 40 * SEC, T0 + 40 * SEC, 3, 3, 0, aliceIp.i, [seg.s.indexOf(ALICE)], [seg.s.indexOf('198.51.100.2')]];
    aliceIp.d = 2;
    seg.parts.user!.r.find((r) => r.k === ALICE)!.d = 1;
    // Owing a report without a burst to report: nothing to hand over for it.
    seg.parts.user!.r.find((r) => r.k === 'u2@example.com')!.d = 3;
    await store.putState(`${KEY}:${id}`, seg);
    const m = await manifestOf(store);
    m.meta!.p = [pending];
    // As if most copies in the segment were stale: the next save rewrites the live ones.
    m.segs = [[id, 100]];
    await store.putState(KEY, m);

    // Restarted twice before a flush: the save in between keeps what is owed, and its order.
    const between = detector(store);
    await between.restore();
    await between.persist();
    const rewritten = (await segmentsOf(store)).map(([, sg]) => sg);
    expect(rewritten).toHaveLength(1);
    expect(rewritten[0]!.parts.user!.r.find((r) => r.k === ALICE)).toMatchObject({ d: 1 });
    expect((await manifestOf(store)).meta).toMatchObject({ p: [pending] });
    const r = detector(store);
    await r.restore();
    const owed = r.flush({ final: false, watermark: W1 });
    expect(owed.map((f) => [f.entity.value, f.title])).toEqual([
      [pending.entity.value, pending.title],
      [ALICE, 'Brute force against alice@example.com: 5 failed logins'],
      ['198.51.100.2', 'Brute force from 198.51.100.2: 3 failed logins'],
    ]);
    expect(r.flush({ final: false, watermark: W1 })).toEqual([]);
    // Handed over: a save records that, and the next restart owes nothing.
    await r.persist();
    const r2 = detector(store);
    await r2.restore();
    expect(r2.flush({ final: false, watermark: W1 })).toEqual([]);
  });

  it('saves a success that is the only news of a burst', async () => {
    const store = await memoryStore();
    const d = detector(store, { group_by: ['source.ip'], threshold: 2 });
    await d.restore();
    const ip = '192.0.2.30';
    step(d, [fail({ t: T0, ip, user: 'a@example.com' }), fail({ t: T0 + SEC, ip, user: 'a@example.com' })], T0 + 2 * SEC);
    await d.persist();
    step(d, [success({ t: T0 + 2 * SEC, ip, user: 'a@example.com' })], T0 + 3 * SEC);
    await d.persist();
    const r = detector(store, { group_by: ['source.ip'], threshold: 2 });
    await r.restore();
    const [f] = step(r, [fail({ t: T0 + 3 * SEC, ip, user: 'a@example.com' })], T0 + 4 * SEC);
    expect(f!.observed).toMatchObject({ failed_logins: 3, successful_logins: 1 });
  });

  it('saves no detector state before it has seen anything, and its clock once it has seen a watermark', async () => {
    const store = await memoryStore();
    const { logger, logs } = capture();
    const fresh = detector(store, {}, logger);
    await fresh.restore();
    await fresh.persist();
    expect(await manifestOf(store)).not.toHaveProperty('meta');
    const r = detector(store, {}, logger);
    await r.restore();
    expect(logs).toEqual([]);
    // Only a watermark, no attempt: the clock is saved, and comes back.
    step(r, [], T0);
    await r.persist();
    expect((await manifestOf(store)).meta).toEqual({ h: expect.any(String), k: [T0, T0, null], n: T0 + 10 * MIN, c: T0 });
    const again = detector(store, {}, logger);
    await again.restore();
    expect(logs).toEqual([]);
    // The restored clock judges an attempt before it late.
    again.observe(fail({ t: T0 - SEC, ip: '192.0.2.5' }));
    expect(again.stats().late).toBe(1);
  });

  it('without a store, restore and save do nothing', async () => {
    const d = detector(undefined);
    await d.restore();
    step(d, before, W1);
    await d.persist();
    expect(d.stats().windowLog).toBeUndefined();
    expect(d.resumeFrom()).toBeUndefined();
  });

  it('the plugin hands the store and the logger to the detector', async () => {
    const store = await memoryStore();
    const config = bruteForcePlugin.configSchema.parse({ threshold: 3 });
    const { logger, logs } = capture();
    const d = bruteForcePlugin.create(config, { state: store, logger } as never);
    await d.restore?.();
    for (const e of before) d.observe(e);
    d.flush({ final: false, watermark: W1 });
    await d.persist?.();
    expect((await manifestOf(store)).parts).toHaveProperty('user');
    await store.putState(KEY, 'garbage');
    const again = bruteForcePlugin.create(config, { state: store, logger } as never);
    await again.restore?.();
    expect(logs.map((l) => l.reason)).toEqual(['saved state is not format v1']);
  });

  describe('discards unusable saved records with one info log, keeping the parts it can read', () => {
    it('restores the untouched state without a log', async () => {
      const { store } = await saved();
      const { logger, logs } = capture();
      const r = detector(store, {}, logger);
      await r.restore();
      expect(logs).toEqual([]);
      expect(r.stats()).toMatchObject({ entities: 8, activeBursts: 1 });
    });

    // Each edit breaks the record of 203.0.113.10 (the address part's first record, in alice's burst below).
    const edits: Array<[string, (r: Record<string, unknown>, seg: SavedSegment) => void]> = [
      ['creation counter missing', (r) => delete r.q],
      ['newest failure not a number', (r) => (r.m = 'late')],
      ['newest failure missing', (r) => delete r.m],
      ['newest failure before the window it closes', (r) => (r.t = [MIN, 0, 2 * MIN])],
      ['times not a list', (r) => (r.t = 'x')],
      ['one id short', (r) => (r.i = (r.i as number[]).slice(1))],
      ['an id outside the string table', (r) => (r.i = [0, 1, 999])],
      ['weights of another length', (r) => (r.w = [1, 2])],
      ['a zero weight', (r) => (r.w = [1, 0, 1])],
      ['users of another length', (r) => (r.u = [null])],
      ['a user outside the string table', (r) => (r.u = [999, null, null])],
      ['IPs of another length', (r) => (r.p = [null, null])],
      ['burst not a list', (r) => (r.b = 'x')],
      ['burst of seven fields', (r) => (r.b = [T0, T0, 3, 3, 0, [0], [1]])],
      ['burst of nine fields', (r) => (r.b = [T0, T0, 3, 3, 0, [0], [1], [2], 0])],
      ['burst count not a number', (r) => (r.b = [T0, T0, 'x', 3, 0, [0], [1], [2]])],
      ['burst start not a number', (r) => (r.b = [null, T0, 3, 3, 0, [0], [1], [2]])],
      ['burst successes not a number', (r) => (r.b = [T0, T0, 3, 3, 'x', [0], [1], [2]])],
      ['burst evidence outside the string table', (r) => (r.b = [T0, T0, 3, 3, 0, [999], [1], [2]])],
      ['burst users not a list', (r) => (r.b = [T0, T0, 3, 3, 0, [0], 1, [2]])],
      ['burst IPs outside the string table', (r) => (r.b = [T0, T0, 3, 3, 0, [0], [1], [999]])],
      ['owed-report position not a number', (r) => (r.d = 'first')],
    ];
    it.each(edits)('%s', async (_name, edit) => {
      const { store, id, seg } = await saved();
      edit(seg.parts['source.ip']!.r[0]!, seg);
      await store.putState(`${KEY}:${id}`, seg);
      const { logger, logs } = capture();
      const r = detector(store, {}, logger);
      await r.restore();
      expect(logs.map((l) => l.parts)).toEqual([['source.ip']]);
      // The user part (four users, alice in a burst) is intact.
      expect(r.stats()).toMatchObject({ entities: 4, activeBursts: 1 });
    });

    const metaEdits: Array<[string, (m: SavedManifest) => void]> = [
      ['null', (m) => (m.meta = null as never)],
      ['sweep schedule not a number', (m) => (m.meta!.n = 'soon')],
      ['last sweep not a number', (m) => (m.meta!.c = 'then')],
      ['clock not a triple', (m) => (m.meta!.k = [T0])],
      ['pending reports not a list', (m) => (m.meta!.p = 'none')],
      ['a pending report that is not a finding', (m) => (m.meta!.p = [{ rule: 'brute-force' }])],
      ['oldest queued attempt not a number', (m) => (m.meta!.o = 'x')],
    ];
    it.each(metaEdits)('detector meta: %s', async (_name, edit) => {
      const { store } = await saved();
      const m = await manifestOf(store);
      edit(m);
      await store.putState(KEY, m);
      const { logger, logs } = capture();
      const r = detector(store, {}, logger);
      await r.restore();
      expect(logs.map((l) => l.reason)).toEqual(['saved detector state is unreadable']);
      expect(r.stats().entities).toBe(0);
      expect(r.resumeFrom()).toBeUndefined();
    });

    const partEdits: Array<[string, (p: { m: Record<string, unknown> | null }) => void]> = [
      ['null', (p) => (p.m = null)],
      ['creation counter not a number', (p) => (p.m!.q = 'x')],
      ['sweep counter missing', (p) => delete p.m!.s],
      ['a record newer than the creation counter', (p) => (p.m!.q = 3)],
    ];
    it.each(partEdits)('address part meta: %s', async (_name, edit) => {
      const { store } = await saved();
      const m = await manifestOf(store);
      edit(m.parts['source.ip'] as unknown as { m: Record<string, unknown> | null });
      await store.putState(KEY, m);
      const { logger, logs } = capture();
      const r = detector(store, {}, logger);
      await r.restore();
      expect(logs.map((l) => l.parts)).toEqual([['source.ip']]);
      expect(r.stats().entities).toBe(4);
    });
  });
});
