import { describe, expect, it } from 'vitest';
import { dedupKey, type Finding, type SecurityEvent } from '../../core/index.js';
import { Rng } from '../random.js';
import { feed, run, testEvent } from '../testing.js';
import { bruteForceConfigSchema } from './config.js';
import { BruteForceDetector } from './detector.js';
import { bruteForcePlugin } from './plugin.js';

const T0 = Date.parse('2026-11-03T02:00:00.000Z');
const SEC = 1000;
const MIN = 60 * SEC;

function detector(overrides: Record<string, unknown> = {}): BruteForceDetector {
  return new BruteForceDetector(bruteForceConfigSchema.parse(overrides));
}

function fail(t: number, ip: string, user: string, extra: { count?: number; nonce?: number } = {}): SecurityEvent {
  return testEvent({ time: t, ip, user, action: 'login', outcome: 'failure', ...extra });
}

describe('brute-force config', () => {
  it('has the documented defaults and rejects unknown keys and bad durations', () => {
    expect(bruteForceConfigSchema.parse({})).toEqual({
      window: 600_000,
      threshold: 20,
      group_by: ['source.ip', 'user'],
      severity: 'high',
      max_evidence: 100,
      max_entities: 100_000,
    });
    expect(bruteForceConfigSchema.parse({ window: '90s', threshold: 5 }).window).toBe(90_000);
    expect(bruteForceConfigSchema.safeParse({ treshold: 5 }).success).toBe(false);
    expect(bruteForceConfigSchema.safeParse({ window: 'soon' }).success).toBe(false);
    expect(bruteForceConfigSchema.safeParse({ window: 0 }).success).toBe(false);
    expect(bruteForceConfigSchema.safeParse({ max_evidence: 101 }).success).toBe(false);
  });

  it('plugin creates a detector from parsed config', () => {
    expect(bruteForcePlugin.type).toBe('brute-force');
    const d = bruteForcePlugin.create(bruteForcePlugin.configSchema.parse({ threshold: 2 }), {} as never);
    feed(d, [fail(T0, '192.0.2.1', 'a@example.com')]);
    expect(feed(d, [fail(T0 + SEC, '192.0.2.1', 'b@example.com')])).toHaveLength(1);
  });
});

describe('brute-force detector', () => {
  it('counts a backfill a day behind a live source, up to the watermark the slower one promises', () => {
    const d = detector({ group_by: ['source.ip'], threshold: 10 });
    const live = Array.from({ length: 20 }, (_, i) => testEvent({ time: T0 + 24 * 3600 * SEC + i * MIN, ip: `192.0.2.${i}`, user: 'x@example.com', outcome: 'failure', dataset: 'test.live' }));
    const backfill = Array.from({ length: 20 }, (_, i) => testEvent({ time: T0 + i * 10 * SEC, ip: '203.0.113.9', user: `u${i}@example.com`, outcome: 'failure', dataset: 'test.backfill' }));
    const found: Finding[] = [];
    for (let i = 0; i < 20; i++) {
      d.observe(live[i]!);
      d.observe(backfill[i]!);
      found.push(...d.flush({ final: false, watermark: Date.parse(backfill[i]!['@timestamp']) + 1 }));
    }
    expect([...new Set(found.map((f) => f.entity.value))]).toEqual(['203.0.113.9']);
    expect(found[0]).toMatchObject({ windowStart: T0 });
  });

  it('fires exactly at the threshold, with windowStart at the oldest failure in the window', () => {
    const d = detector({ group_by: ['source.ip'] });
    const events = Array.from({ length: 20 }, (_, i) => fail(T0 + i * 10 * SEC, '203.0.113.9', `u${i % 3}@example.com`));
    for (const e of events.slice(0, 19)) expect(feed(d, [e])).toEqual([]);
    const [f, ...rest] = feed(d, [events[19]!]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      rule: 'brute-force',
      severity: 'high',
      entity: { type: 'ip', value: '203.0.113.9' },
      windowStart: T0,
      windowEnd: T0 + 190 * SEC,
    });
    expect(f!.evidence).toEqual(events.map((e) => e.event.id));
    expect(f!.observed).toMatchObject({ failed_logins: 20, distinct_users: 3, successful_logins: 0 });
  });

  it('counts the window as (t - window, t]: a failure exactly one window old has expired', () => {
    const expired = detector({ group_by: ['source.ip'], threshold: 3, window: '10m' });
    expect(feed(expired, [fail(T0, '203.0.113.20', 'a@example.com'), fail(T0 + 5 * MIN, '203.0.113.20', 'b@example.com')])).toEqual([]);
    expect(feed(expired, [fail(T0 + 10 * MIN, '203.0.113.20', 'c@example.com')])).toEqual([]);

    const inside = detector({ group_by: ['source.ip'], threshold: 3, window: '10m' });
    feed(inside, [fail(T0 + 1, '203.0.113.20', 'a@example.com'), fail(T0 + 5 * MIN, '203.0.113.20', 'b@example.com')]);
    const found = feed(inside, [fail(T0 + 10 * MIN, '203.0.113.20', 'c@example.com')]);
    expect(found.map((f) => [f.windowStart, f.windowEnd, f.observed?.failed_logins])).toEqual([[T0 + 1, T0 + 10 * MIN, 3]]);
  });

  it('keeps a burst going while failures are at most one window apart, and starts a new one after', () => {
    const d = detector({ group_by: ['source.ip'], threshold: 2, window: '10m' });
    const ip = '203.0.113.21';
    const [first] = feed(d, [fail(T0, ip, 'a@example.com'), fail(T0 + MIN, ip, 'a@example.com')]);
    expect(first?.windowStart).toBe(T0);
    // Exactly one window after the last failure: still the same burst, so two more raise no new alert.
    expect(feed(d, [fail(T0 + 11 * MIN, ip, 'a@example.com'), fail(T0 + 11 * MIN, ip, 'b@example.com')])).toEqual([]);
    // One window and a millisecond after, with a partner: a new burst with its own window start.
    const later = feed(d, [fail(T0 + 21 * MIN + 1, ip, 'a@example.com'), fail(T0 + 22 * MIN, ip, 'a@example.com')]);
    expect(later.map((f) => f.windowStart)).toEqual([T0 + 21 * MIN + 1]);
  });

  it('describes a brute force against one user, with its source IPs and the success that followed', () => {
    const d = detector({ group_by: ['source.ip', 'user'], threshold: 3, window: '10m', severity: 'critical' });
    const events = [
      fail(T0, '198.51.100.1', 'alice@example.com'),
      fail(T0 + MIN, '198.51.100.2', 'alice@example.com'),
      fail(T0 + 2 * MIN, '198.51.100.1', 'alice@example.com'),
      testEvent({ time: T0 + 3 * MIN, ip: '198.51.100.1', user: 'alice@example.com', outcome: 'success' }),
    ];
    const { live, flushed } = run(d, events);
    expect(live).toHaveLength(1);
    expect(flushed.at(-1)).toEqual({
      rule: 'brute-force',
      title: 'Brute force against alice@example.com: 3 failed logins',
      severity: 'critical',
      entity: { type: 'user', value: 'alice@example.com' },
      windowStart: T0,
      windowEnd: T0 + 2 * MIN,
      evidence: events.slice(0, 3).map((e) => e.event.id),
      description:
        '3 failed logins against alice@example.com between 2026-11-03T02:00:00.000Z and 2026-11-03T02:02:00.000Z ' +
        '(peak 3 in 10 min; expected fewer than 3 per 10 min). 2 distinct source IPs. ' +
        '1 successful login during the burst: the account may be compromised.',
      observed: { failed_logins: 3, peak_window_failed_logins: 3, successful_logins: 1, distinct_ips: 2 },
      expected: { failed_logins_per_window_below: 3, window_minutes: 10 },
    });
  });

  it('calls five or more users from one address a password spray, and fewer a brute force', () => {
    const spray = detector({ group_by: ['source.ip'], threshold: 5, window: '5m' });
    const users = (n: number) => Array.from({ length: 5 }, (_, i) => fail(T0 + i * SEC, '203.0.113.30', `u${i % n}@example.com`));
    const sprayEvents = [
      ...users(5),
      testEvent({ time: T0 + 10 * SEC, ip: '203.0.113.30', user: 'u1@example.com', outcome: 'success' }),
      testEvent({ time: T0 + 11 * SEC, ip: '203.0.113.30', user: 'u2@example.com', outcome: 'success' }),
    ];
    const found = run(spray, sprayEvents).flushed.at(-1)!;
    expect(found.title).toBe('Password spray from 203.0.113.30: 5 failed logins against 5 users');
    expect(found.description).toBe(
      '5 failed logins from 203.0.113.30 between 2026-11-03T02:00:00.000Z and 2026-11-03T02:00:04.000Z ' +
        '(peak 5 in 5 min; expected fewer than 5 per 5 min). 5 distinct users targeted, a password-spray pattern. ' +
        '2 successful logins during the burst: the account may be compromised.',
    );
    expect(found.observed).toEqual({ failed_logins: 5, peak_window_failed_logins: 5, successful_logins: 2, distinct_users: 5 });

    const brute = detector({ group_by: ['source.ip'], threshold: 5, window: '5m' });
    const [f] = run(brute, users(4)).live;
    expect(f!.title).toBe('Brute force from 203.0.113.30: 5 failed logins');
    expect(f!.description).toBe(
      '5 failed logins from 203.0.113.30 between 2026-11-03T02:00:00.000Z and 2026-11-03T02:00:04.000Z ' +
        '(peak 5 in 5 min; expected fewer than 5 per 5 min). 4 distinct users targeted.',
    );
  });

  it('grows a running burst: count, peak, last failure, capped evidence, users, IPs, and successes up to one window after', () => {
    const d = detector({ group_by: ['user'], threshold: 3, window: '10m', max_evidence: 4 });
    const user = 'bob@example.com';
    const events = [
      fail(T0, '198.51.100.1', user),
      fail(T0 + MIN, '198.51.100.2', user),
      fail(T0 + 2 * MIN, '198.51.100.3', user),
      // The burst is running now: these extend it.
      fail(T0 + 4 * MIN, '198.51.100.4', user),
      fail(T0 + 9 * MIN, '198.51.100.4', user),
      fail(T0 + 15 * MIN, '198.51.100.5', user),
      // A success exactly one window after the last failure still counts; one a millisecond later does not.
      testEvent({ time: T0 + 25 * MIN, ip: '198.51.100.5', user, outcome: 'success' }),
      testEvent({ time: T0 + 25 * MIN + 1, ip: '198.51.100.5', user, outcome: 'success', nonce: 1 }),
    ];
    const { live, flushed } = run(d, events);
    expect(live).toHaveLength(1);
    const last = flushed.at(-1)!;
    expect([last.windowStart, last.windowEnd]).toEqual([T0, T0 + 15 * MIN]);
    expect(last.evidence).toEqual(events.slice(0, 4).map((e) => e.event.id));
    // Peak: T0+4m..T0+9m hold five failures in one 10-minute window (T0 has expired by T0+15m, not before).
    expect(last.observed).toEqual({ failed_logins: 6, peak_window_failed_logins: 5, successful_logins: 1, distinct_ips: 5 });
  });

  it('does not fire when the failures are spread wider than the window', () => {
    const d = detector({ group_by: ['source.ip'] });
    // One failure a minute: never more than 10 in any 10-minute window.
    const events = Array.from({ length: 120 }, (_, i) => fail(T0 + i * MIN, '192.0.2.50', 'slow@example.com'));
    const { live, flushed } = run(d, events);
    expect(live).toEqual([]);
    expect(flushed).toEqual([]);
  });

  it('makes one finding per burst and refreshes it at flush with the final count and capped evidence', () => {
    const d = detector({ group_by: ['source.ip'] });
    const events = Array.from({ length: 300 }, (_, i) => fail(T0 + i * 2 * SEC, '203.0.113.77', `user${i % 60}@example.com`));
    events.push(testEvent({ time: T0 + 601 * SEC, ip: '203.0.113.77', user: 'user7@example.com', outcome: 'success' }));
    const { live, flushed } = run(d, events, 100);
    expect(live).toHaveLength(1);
    expect(flushed.length).toBeGreaterThanOrEqual(1);
    const keys = new Set([...live, ...flushed].map(dedupKey));
    expect(keys.size).toBe(1);
    const last = flushed.at(-1)!;
    expect(last.windowStart).toBe(T0);
    expect(last.windowEnd).toBe(T0 + 598 * SEC);
    expect(last.evidence).toHaveLength(100);
    expect(last.evidence).toEqual(events.slice(0, 100).map((e) => e.event.id));
    expect(last.observed).toMatchObject({ failed_logins: 300, distinct_users: 60, successful_logins: 1 });
    expect(last.title).toMatch(/^Password spray from 203\.0\.113\.77/);
    expect(last.description).toMatch(/1 successful login/);
    // Nothing changed since: a further flush reports nothing.
    expect(d.flush({ final: true, watermark: T0 + 700 * SEC })).toEqual([]);
  });

  it('weights failures by event.count (duplicate compression)', () => {
    const d = detector({ group_by: ['source.ip'] });
    const out = [0, 1, 2, 3].flatMap((i) => feed(d, [fail(T0 + i * SEC, '192.0.2.7', 'x@example.com', { count: 5 })]));
    expect(out).toHaveLength(1);
    expect(out[0]!.observed?.failed_logins).toBe(20);
  });

  it('groups by user too: a distributed attack on one account', () => {
    const d = detector();
    const events = Array.from({ length: 25 }, (_, i) => fail(T0 + i * 5 * SEC, `198.51.100.${i + 1}`, 'ceo@example.com'));
    const { live } = run(d, events);
    expect(live.map((f) => f.entity)).toEqual([{ type: 'user', value: 'ceo@example.com' }]);
    expect(live[0]!.observed).toMatchObject({ failed_logins: 20, distinct_ips: 20 });
  });

  it('ignores successes, non-authentication failures and events without the entity field', () => {
    const d = detector({ threshold: 3 });
    const events = [
      ...Array.from({ length: 10 }, (_, i) => testEvent({ time: T0 + i * SEC, ip: '192.0.2.1', user: 'a@example.com', outcome: 'success' })),
      ...Array.from({ length: 10 }, (_, i) =>
        testEvent({ time: T0 + i * SEC, ip: '192.0.2.1', user: 'a@example.com', action: 'download_file', outcome: 'failure' }),
      ),
      ...Array.from({ length: 10 }, (_, i) => testEvent({ time: T0 + i * SEC, action: 'login', outcome: 'failure', nonce: i })),
    ];
    const { live, flushed } = run(d, events);
    expect([...live, ...flushed]).toEqual([]);
    expect(d.stats().entities).toBe(0);
  });

  it('gives the same windowStart when events arrive slightly out of order', () => {
    const ordered = Array.from({ length: 40 }, (_, i) => fail(T0 + i * 7 * SEC, '203.0.113.5', `v${i % 9}@example.com`));
    const rng = new Rng(7);
    const jittered = ordered.slice();
    // Swap random neighbours: a few seconds of disorder, as batching sources produce.
    for (let k = 0; k < 30; k++) {
      const i = rng.int(jittered.length - 1);
      [jittered[i], jittered[i + 1]] = [jittered[i + 1]!, jittered[i]!];
    }
    const a = run(detector({ group_by: ['source.ip'] }), ordered);
    const b = run(detector({ group_by: ['source.ip'] }), jittered);
    expect(a.live.map(dedupKey)).toEqual(b.live.map(dedupKey));
    expect(b.flushed.at(-1)!.observed?.failed_logins).toBe(40);
    expect(new Set(b.flushed.at(-1)!.evidence).size).toBe(40);
  });

  it('starts a new burst (new dedup key) after a quiet window, and evicts idle entities', () => {
    const d = detector({ group_by: ['source.ip'] });
    const burst = (start: number, n: number) => Array.from({ length: n }, (_, i) => fail(start + i * SEC, '203.0.113.8', `w${i}@example.com`));
    const first = run(d, burst(T0, 25));
    const second = run(d, burst(T0 + 30 * MIN, 25));
    expect(first.live).toHaveLength(1);
    expect(second.live).toHaveLength(1);
    expect(dedupKey(first.live[0]!)).not.toBe(dedupKey(second.live[0]!));
    expect(second.live[0]!.windowStart).toBe(T0 + 30 * MIN);
    // A later event elsewhere advances time past two windows: the attacker's state goes away.
    feed(d, [fail(T0 + 3 * 60 * MIN, '192.0.2.200', 'z@example.com')]);
    feed(d, [fail(T0 + 3 * 60 * MIN + 11 * MIN, '192.0.2.200', 'z@example.com')]);
    expect(d.stats()).toMatchObject({ entities: 1, activeBursts: 0 });
    expect(d.stats().evicted).toBeGreaterThanOrEqual(1);
  });

  it('reports the final count of a burst that ended between flushes', () => {
    const d = detector({ group_by: ['source.ip'] });
    for (let i = 0; i < 30; i++) d.observe(fail(T0 + i * SEC, '203.0.113.66', `q${i}@example.com`));
    // Next failure a long time later ends the first burst before any flush happened.
    d.observe(fail(T0 + 60 * MIN, '203.0.113.66', 'q0@example.com'));
    const [first, last, ...rest] = d.flush({ final: true, watermark: T0 + 60 * MIN + 1 });
    expect(rest).toEqual([]);
    // Found at the twentieth failure, then reported once more when the burst ended, with its final count.
    expect(first!.observed?.failed_logins).toBe(20);
    expect(dedupKey(last!)).toBe(dedupKey(first!));
    expect(last!.observed?.failed_logins).toBe(30);
  });

  it('caps tracked entities', () => {
    const d = detector({ group_by: ['source.ip'], max_entities: 50 });
    for (let i = 0; i < 500; i++) d.observe(fail(T0 + i, `10.0.${i >> 8}.${i & 255}`, 'x@example.com'));
    d.flush({ final: false, watermark: T0 + 500 });
    expect(d.stats().entities).toBe(50);
  });

  it('is deterministic under replay regardless of batch boundaries', () => {
    const rng = new Rng(42);
    const events: SecurityEvent[] = [];
    let t = T0;
    for (let i = 0; i < 3000; i++) {
      t += rng.int(4 * SEC);
      const attacker = rng.chance(0.3);
      const ip = attacker ? `203.0.113.${rng.int(3)}` : `192.0.2.${rng.int(200)}`;
      events.push(fail(t, ip, `u${rng.int(100)}@example.com`, { nonce: i }));
    }
    const final = (fs: Finding[]) => {
      const m = new Map<string, Finding>();
      for (const f of fs) m.set(dedupKey(f), f);
      return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
    };
    const a = run(detector(), events, 64);
    const b = run(detector(), events, 1000);
    // Which flush reports a burst depends on the batch; what is reported does not.
    const byKey = (fs: Finding[]) => [...fs].sort((x, y) => dedupKey(x).localeCompare(dedupKey(y)));
    expect(byKey(a.live)).toEqual(byKey(b.live));
    expect(a.live.length).toBeGreaterThan(0);
    expect(final([...a.live, ...a.flushed])).toEqual(final([...b.live, ...b.flushed]));
  });
});

describe('brute-force windows in detail', () => {
  /** Observe, then flush to the watermark: one pipeline batch. */
  const step = (d: BruteForceDetector, events: SecurityEvent[], watermark: number): Finding[] => {
    for (const e of events) d.observe(e);
    return d.flush({ final: false, watermark });
  };
  const ids = (es: SecurityEvent[]) => es.map((e) => e.event.id);

  it('puts late failures in time order in the window, after earlier ones of the same instant, and keeps the window end', () => {
    const d = detector({ group_by: ['source.ip'], threshold: 5, window: '10m' });
    const ip = '203.0.113.40';
    const a = fail(T0 + 5 * MIN, ip, 'a@example.com');
    const b = fail(T0 + 6 * MIN, ip, 'b@example.com');
    expect(step(d, [a, b], T0 + 6 * MIN + 1)).toEqual([]);
    // Later than the watermark promised, all inside the window; f shares a's instant.
    const c = fail(T0 + MIN, ip, 'c@example.com');
    const e = fail(T0 + 2 * MIN, ip, 'e@example.com');
    const f = fail(T0 + 5 * MIN, ip, 'f@example.com');
    const [found, ...rest] = step(d, [c, f, e], T0 + 6 * MIN + 1);
    expect(rest).toEqual([]);
    expect(d.stats().late).toBe(3);
    expect(found).toMatchObject({ windowStart: T0 + MIN, windowEnd: T0 + 6 * MIN, observed: { failed_logins: 5 } });
    expect(found!.evidence).toEqual(ids([c, e, a, f, b]));
  });

  it('expires the oldest failures first after a late one was put in the window', () => {
    const d = detector({ group_by: ['source.ip'], threshold: 4, window: '10m' });
    const ip = '203.0.113.41';
    step(d, [fail(T0 + 5 * MIN, ip, 'a@example.com'), fail(T0 + 6 * MIN, ip, 'b@example.com')], T0 + 6 * MIN + 1);
    step(d, [fail(T0 + MIN, ip, 'c@example.com')], T0 + 6 * MIN + 1);
    // At 12 min the window is (2 min, 12 min]: the late failure at 1 min has gone, three are left.
    expect(step(d, [fail(T0 + 12 * MIN, ip, 'd@example.com')], T0 + 12 * MIN + 1)).toEqual([]);
    const found = step(d, [fail(T0 + 13 * MIN, ip, 'g@example.com')], T0 + 13 * MIN + 1);
    expect(found.map((x) => [x.windowStart, x.observed?.failed_logins])).toEqual([[T0 + 5 * MIN, 4]]);
  });

  // Counterparts of an address are users, of a user addresses: the same window bookkeeping for both.
  for (const [field, entity, other] of [
    ['source.ip', (x: string | undefined, t: number, n: number) => testEvent({ time: t, ip: '203.0.113.42', user: x, outcome: 'failure', nonce: n }), 'distinct_users'],
    ['user', (x: string | undefined, t: number, n: number) => testEvent({ time: t, ip: x, user: 'carol@example.com', outcome: 'failure', nonce: n }), 'distinct_ips'],
  ] as const) {
    it(`counts as ${other} only the counterparts still in the window at the crossing and during the burst (${field})`, () => {
      const d = detector({ group_by: [field], threshold: 5, window: '10m' });
      // x0 fails once and expires; x1 fails twice and keeps one failure in the window; two failures name nobody.
      const events = [
        entity('x0', T0, 0),
        entity('x1', T0, 1),
        entity('x2', T0 + MIN, 2),
        entity('x1', T0 + 5 * MIN, 3),
        entity('x3', T0 + 10 * MIN, 4),
        entity(undefined, T0 + 10 * MIN + 30 * SEC, 5),
        entity(undefined, T0 + 10 * MIN + 40 * SEC, 6),
      ];
      const [found] = step(d, events, T0 + 11 * MIN);
      expect(found).toMatchObject({ windowStart: T0 + MIN, observed: { failed_logins: 5, [other]: 3 } });
      const [more] = step(d, [entity(undefined, T0 + 11 * MIN, 7), entity('x0', T0 + 11 * MIN + 1, 8)], T0 + 12 * MIN);
      expect(more!.observed).toMatchObject({ failed_logins: 7, [other]: 4 });
    });
  }

  it('remembers at most 10,000 distinct users of an address and addresses of a user per burst', () => {
    const n = 10_003;
    const byIp = detector({ group_by: ['source.ip'], threshold: n - 1, window: '1h' });
    const byUser = detector({ group_by: ['user'], threshold: n - 1, window: '1h' });
    // Copies of one event with their own id and counterpart: hashing ten thousand raw records would dominate the test.
    const base = fail(T0, '203.0.113.43', 'dave@example.com');
    for (let i = 0; i < n; i++) {
      const event = { ...base.event, id: `e${i}` };
      byIp.observe({ ...base, event, user: { email: `u${i}@example.com` } });
      byUser.observe({ ...base, event, source: { ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` } });
    }
    const ip = byIp.flush({ final: false, watermark: T0 + 1 }).at(-1);
    const user = byUser.flush({ final: false, watermark: T0 + 1 }).at(-1);
    expect(ip!.observed).toMatchObject({ failed_logins: n, distinct_users: 10_000 });
    expect(user!.observed).toMatchObject({ failed_logins: n, distinct_ips: 10_000 });
  });

  it('counts late successes from the burst start on, and a late failure never moves the burst end back', () => {
    const d = detector({ group_by: ['source.ip'], threshold: 2, window: '10m' });
    const ip = '203.0.113.44';
    const [first] = step(d, [fail(T0 + MIN, ip, 'a@example.com'), fail(T0 + 3 * MIN, ip, 'a@example.com')], T0 + 3 * MIN + 1);
    expect(first).toMatchObject({ windowStart: T0 + MIN, windowEnd: T0 + 3 * MIN });
    const late = [
      testEvent({ time: T0 + 30 * SEC, ip, user: 'a@example.com', outcome: 'success' }),
      testEvent({ time: T0 + MIN, ip, user: 'a@example.com', outcome: 'success', nonce: 1 }),
      fail(T0 + 2 * MIN, ip, 'a@example.com'),
    ];
    const [refreshed] = step(d, late, T0 + 3 * MIN + 1);
    expect(refreshed).toMatchObject({ windowStart: T0 + MIN, windowEnd: T0 + 3 * MIN, observed: { failed_logins: 3, successful_logins: 1 } });
  });

  it('caps the evidence of a new finding, and a finding handed out does not change with the burst', () => {
    const d = detector({ group_by: ['source.ip'], threshold: 3, window: '10m', max_evidence: 2 });
    const events = [0, 1, 2, 3].map((i) => fail(T0 + i * SEC, '203.0.113.45', `u${i}@example.com`));
    const [found] = step(d, events.slice(0, 3), T0 + 3 * SEC);
    expect(found!.evidence).toEqual(ids(events.slice(0, 2)));
    const wide = detector({ group_by: ['source.ip'], threshold: 2, window: '10m', max_evidence: 3 });
    const [f1] = step(wide, events.slice(0, 2), T0 + 2 * SEC);
    const [f2] = step(wide, events.slice(2), T0 + 4 * SEC);
    expect(f1!.evidence).toEqual(ids(events.slice(0, 2)));
    expect(f2!.evidence).toEqual(ids(events.slice(0, 3)));
  });

  it('says nothing more when a burst already reported ends', () => {
    const d = detector({ group_by: ['source.ip'], threshold: 2, window: '10m' });
    const ip = '203.0.113.46';
    expect(step(d, [fail(T0, ip, 'a@example.com'), fail(T0 + SEC, ip, 'b@example.com')], T0 + 2 * SEC)).toHaveLength(1);
    expect(d.stats().activeBursts).toBe(1);
    // A failure more than a window later ends the burst, which had no news since it was reported.
    expect(step(d, [fail(T0 + 20 * MIN, ip, 'c@example.com')], T0 + 20 * MIN + 1)).toEqual([]);
    expect(d.stats()).toMatchObject({ entities: 1, activeBursts: 0 });
  });

  it('drops an entity exactly two windows after its last failure, at the flush that reaches it', () => {
    const d = detector({ group_by: ['source.ip'], threshold: 50, window: '1m' });
    step(d, [fail(T0 - MIN, '192.0.2.60', 'a@example.com'), fail(T0, '192.0.2.61', 'b@example.com')], T0 + 1);
    expect(d.stats()).toMatchObject({ entities: 2, evicted: 0 });
    step(d, [], T0 + MIN);
    expect(d.stats()).toMatchObject({ entities: 1, evicted: 1 });
  });

  it('drops idle entities while applying a long batch, before the cap would evict an active one', () => {
    const d = detector({ group_by: ['source.ip'], threshold: 3, window: '1m', max_entities: 2 });
    const a = '192.0.2.70';
    const at = (s: number, ip: string, n: number) => fail(T0 + s * SEC, ip, 'x@example.com', { nonce: n });
    // a fails every 50 s (never idle); b once at 10 s (idle by 3 min 20 s); c arrives at 3 min 30 s.
    const events = [at(0, a, 0), at(10, '192.0.2.71', 1), at(50, a, 2), at(100, a, 3), at(150, a, 4), at(200, a, 5), at(210, '192.0.2.72', 6), at(215, a, 7), at(220, a, 8)];
    const found = step(d, events, T0 + 221 * SEC);
    expect(found.map((f) => [f.entity.value, f.windowStart, f.observed?.failed_logins])).toEqual([[a, T0 + 200 * SEC, 3]]);
    expect(d.stats()).toMatchObject({ entities: 2, evicted: 1 });
  });

  it('queues only login attempts with an outcome and a readable time', () => {
    const d = detector({ group_by: ['source.ip'] });
    expect(d.observe(testEvent({ time: T0, ip: '192.0.2.80', user: 'a@example.com', outcome: 'unknown' }))).toEqual([]);
    expect(d.observe({ ...fail(T0, '192.0.2.80', 'a@example.com'), '@timestamp': 'not a time' })).toEqual([]);
    expect(d.stats().queued).toBe(0);
    d.flush({ final: false, watermark: T0 });
    // At the watermark is not late (the watermark promises nothing before it); a millisecond before is.
    d.observe(fail(T0, '192.0.2.80', 'a@example.com'));
    expect(d.stats()).toMatchObject({ queued: 1, late: 0 });
    d.observe(fail(T0 - 1, '192.0.2.80', 'a@example.com'));
    expect(d.stats()).toMatchObject({ queued: 2, late: 1 });
  });

  for (const [field, mk, other] of [
    ['source.ip', (x: string, t: number, count?: number) => testEvent({ time: t, ip: '203.0.113.47', user: x, outcome: 'failure', count }), 'distinct_users'],
    ['user', (x: string, t: number, count?: number) => testEvent({ time: t, ip: x, user: 'erin@example.com', outcome: 'failure', count }), 'distinct_ips'],
  ] as const) {
    it(`keeps each late failure's weight and counterpart with it as the window moves (${field})`, () => {
      const d = detector({ group_by: [field], threshold: 6, window: '10m' });
      step(d, [mk('xa', T0 + 5 * MIN), mk('xb', T0 + 6 * MIN)], T0 + 6 * MIN + 1);
      // Late and weighted: it goes to the front of the window with its weight and counterpart.
      expect(step(d, [mk('xc', T0 + MIN, 3)], T0 + 6 * MIN + 1)).toEqual([]);
      // xc (weight 3) leaves at 12 min, xa (weight 1) at 15 min: 1 + 1 + 1 + 3 = 6 in the window at the last.
      expect(step(d, [mk('xd', T0 + 12 * MIN), mk('xg', T0 + 15 * MIN + 1)], T0 + 15 * MIN + 2)).toEqual([]);
      const [f] = step(d, [mk('xh', T0 + 15 * MIN + 2, 3)], T0 + 15 * MIN + 3);
      expect(f).toMatchObject({ windowStart: T0 + 6 * MIN, observed: { failed_logins: 6, [other]: 4 } });
    });
  }

  for (const [field, other] of [['source.ip', 'distinct_users'], ['user', 'distinct_ips']] as const) {
    it(`keeps counting right over a long run of failures of one entity (${field})`, () => {
      const d = detector({ group_by: [field], threshold: 801, window: '10m' });
      const base = fail(T0, '203.0.113.49', 'f@example.com');
      const at = (i: number, t: number, x: string, count: number) => ({
        ...base,
        '@timestamp': new Date(t).toISOString(),
        event: { ...base.event, id: `r${i}`, count },
        ...(field === 'user' ? { source: { ip: x } } : { user: { email: x } }),
      });
      // One a second for 25 minutes, every third counting twice, counterparts cycling through 700: any
      // 10-minute window holds 600 failures weighing 800, from 600 counterparts.
      for (let i = 0; i < 1500; i++) d.observe(at(i, T0 + i * SEC, `x${i % 700}`, i % 3 === 0 ? 2 : 1));
      expect(d.flush({ final: false, watermark: T0 + 1500 * SEC })).toEqual([]);
      // One more at the newest instant makes 801.
      d.observe(at(1500, T0 + 1499 * SEC, 'last', 1));
      const [f] = d.flush({ final: false, watermark: T0 + 1500 * SEC });
      expect(f).toMatchObject({ windowStart: T0 + 900 * SEC, windowEnd: T0 + 1499 * SEC, observed: { failed_logins: 801, [other]: 601 } });
      expect(f!.evidence[0]).toBe('r900');
    });
  }

  it('names other entity fields by their path and counts both users and addresses for them', () => {
    const d = detector({ group_by: ['source.geo.country_iso_code'], threshold: 5, window: '10m' });
    const events = Array.from({ length: 5 }, (_, i) => {
      const e = fail(T0 + i * SEC, `198.51.100.${i}`, `u${i}@example.com`);
      return { ...e, source: { ...e.source, geo: { country_iso_code: 'NL' } } };
    });
    const [f] = step(d, events, T0 + 5 * SEC);
    expect(f).toMatchObject({
      title: 'Brute force for source.geo.country_iso_code NL: 5 failed logins',
      entity: { type: 'source.geo.country_iso_code', value: 'NL' },
      observed: { failed_logins: 5, distinct_users: 5, distinct_ips: 5 },
    });
    expect(f!.description).toBe(
      '5 failed logins for source.geo.country_iso_code NL between 2026-11-03T02:00:00.000Z and 2026-11-03T02:00:04.000Z (peak 5 in 10 min; expected fewer than 5 per 10 min).',
    );
  });
});
