import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding, SecurityEvent } from '../../core/index.js';
import { openStore } from '../../storage/index.js';
import { loginForestConfigSchema } from './config.js';
import { LoginForestDetector } from './detector.js';
import { loginForestPlugin } from './plugin.js';
import { commuter, HOME, LAGOS, loginAt, MONDAY, OFFICE, type Fix } from './testing.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const cfg = loginForestConfigSchema.parse({});

function feed(d: LoginForestDetector, events: SecurityEvent[]): Finding[] {
  const out = events.flatMap((e) => d.observe(e));
  return [...out, ...d.flush({ final: true })];
}

/** Tuesday 03:10 UTC, `week` weeks after MONDAY. */
const nightOf = (week: number) => MONDAY + week * 7 * DAY + DAY + 3 * HOUR + 10 * 60_000;

describe('login-forest detector', () => {
  it('has the documented defaults and checks its bounds', () => {
    expect(cfg).toEqual({
      learning_period: 7 * DAY, min_logins: 20, max_history: 64, refit_every: 8, n_trees: 100, sample_size: 64,
      threshold: 0.77, prescreen: 0.6, seed: 1, max_users: 100_000, max_cached_forests: 128, severity: 'medium',
    });
    expect(loginForestConfigSchema.parse({ learning_period: '14d' }).learning_period).toBe(14 * DAY);
    expect(loginForestConfigSchema.safeParse({ min_logins: 80, max_history: 64 }).success).toBe(false);
    expect(loginForestConfigSchema.safeParse({ prescreen: 0.8 }).success).toBe(false);
    expect(loginForestConfigSchema.safeParse({ max_history: 200 }).success).toBe(false);
    expect(loginForestPlugin.create(cfg, {} as never).id).toBe('login-forest');
  });

  it('flags a login from another continent, network and browser at 3 am, naming what made it unusual, and nothing of the routine', () => {
    const d = new LoginForestDetector(cfg);
    const user = 'alice@example.com';
    // Six weeks to learn, four more of the same routine that must pass, then the attack.
    expect(feed(d, commuter(user, 42, 1))).toEqual([]);
    expect(feed(d, commuter(user, 28, 2, 42))).toEqual([]);
    const attack = loginAt(nightOf(10), user, LAGOS, 'Firefox');
    const [f, ...rest] = feed(d, [attack]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule: 'login-forest', entity: { type: 'user', value: user }, windowStart: nightOf(10), windowEnd: nightOf(10), evidence: [attack.event.id] });
    expect(f!.score).toBeGreaterThanOrEqual(0.77);
    expect(f!.features!.map((x) => x.name).sort()).toEqual(['agent', 'asn', 'hour', 'location']);
    expect(f!.features![0]!.name).toBe('location');
    expect(f!.features!.reduce((a, x) => a + x.contribution, 0)).toBeCloseTo(1, 3);
    expect(f!.features!.find((x) => x.name === 'location')!.value).toBeGreaterThan(4500);
    expect(f!.features!.find((x) => x.name === 'asn')!.value).toBe(0);
    expect(f!.observed).toMatchObject({ asn: 29465, asn_seen: 0, agent_seen: 0, hour_utc: 3.1667 });
    expect(f!.expected).toMatchObject({ distinct_asns: 2, distinct_agents: 2 });
    expect(f!.description).toMatch(
      /^alice@example\.com: login from Lagos, NG at 03:10 UTC on Tuesday via AS29465 with Firefox is unlike this user's \d+ previous logins \(location \d+%, (asn|hour|agent) \d+%, (asn|hour|agent) \d+%, (asn|hour|agent) \d+%; score 0\.\d{3}, threshold 0\.77\)\.$/,
    );
    const pct = [...f!.description.matchAll(/(\d+)%/g)].map((m) => Number(m[1]));
    expect(pct.reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('flags the other continent even with the usual browser at a usual hour, and not a night login from home', () => {
    const user = 'bob@example.com';
    const history = [...commuter(user, 42, 3), ...commuter(user, 14, 4, 42)];
    const at = MONDAY + 57 * DAY;
    const one = (e: SecurityEvent) => feed(new LoginForestDetector(cfg), [...history, e]);
    expect(one(loginAt(at + 10 * HOUR, user, LAGOS, 'Chrome'))).toHaveLength(1);
    expect(one(loginAt(at + 3 * HOUR, user, HOME[0]!, 'Safari'))).toEqual([]);
    expect(one(loginAt(at + 10 * HOUR, user, OFFICE[0]!, 'Firefox'))).toEqual([]);
  });

  it('raises no finding on five weeks of routine logins of 30 commuters, young histories included', () => {
    const d = new LoginForestDetector(cfg);
    let logins = 0;
    const found: Finding[] = [];
    for (let u = 0; u < 30; u++) {
      const events = commuter(`user${u}@example.com`, 35, 100 + u);
      logins += events.length;
      found.push(...feed(d, events));
    }
    expect(logins).toBeGreaterThan(2000);
    expect(found).toEqual([]);
    // The first pass ruled most logins out without an exact fit, and a fit happened for the rest.
    const s = d.stats();
    expect(s.prescreened).toBeGreaterThan(s.exactFits);
    expect(s.exactFits).toBeGreaterThan(0);
  });

  it('judges nobody during the learning period or before min_logins', () => {
    const d = new LoginForestDetector(cfg);
    const places: Fix[] = [HOME[0]!, LAGOS, OFFICE[0]!, { ...LAGOS, city: 'Lima', country: 'PE', lat: -12.05, lon: -77.04, asn: 6147 }];
    // 40 logins in the first 6 days, from four continents' worth of places at any hour: all learning.
    const early = Array.from({ length: 40 }, (_, i) => loginAt(MONDAY + i * 3.5 * HOUR, 'new@example.com', places[i % 4]!, ['Chrome', 'Firefox', 'Safari'][i % 3]!));
    expect(feed(d, early)).toEqual([]);
    // Past the learning period but with only 12 logins: still not judged.
    const sparse = new LoginForestDetector(cfg);
    const few = commuter('sparse@example.com', 60, 5).filter((_, i) => i % 12 === 0);
    expect(few.length).toBeLessThan(20);
    expect(feed(sparse, [...few, loginAt(nightOf(9), 'sparse@example.com', LAGOS, 'Firefox')])).toEqual([]);
  });

  it('ignores failures and logins without coordinates, neither learning nor scoring them', () => {
    const d = new LoginForestDetector(cfg);
    const user = 'carol@example.com';
    feed(d, commuter(user, 42, 6));
    const failed = loginAt(nightOf(6), user, LAGOS, 'Firefox');
    failed.event.outcome = 'failure';
    const unplaced = loginAt(nightOf(6) + HOUR, user, undefined, 'Firefox');
    const before = JSON.stringify(d.encoded(user));
    expect(feed(d, [failed, unplaced])).toEqual([]);
    expect(JSON.stringify(d.encoded(user))).toBe(before);
    expect(d.stats().unlocated).toBe(1);
  });

  it('finds the same with the cached first pass as with exact scoring of every login', () => {
    const exact = new LoginForestDetector(loginForestConfigSchema.parse({ prescreen: 0 }));
    const cached = new LoginForestDetector(cfg);
    const events: SecurityEvent[] = [];
    for (let u = 0; u < 4; u++) {
      const user = `dave${u}@example.com`;
      events.push(...commuter(user, 49, 20 + u), loginAt(nightOf(7) + u * DAY, user, LAGOS, 'Firefox'), ...commuter(user, 14, 30 + u, 50));
    }
    events.sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']));
    const a = feed(exact, events);
    expect(a).toHaveLength(4);
    expect(feed(cached, events)).toEqual(a);
    expect(cached.stats().prescreened).toBeGreaterThan(0);
    expect(exact.stats().prescreened).toBe(0);
  });

  it('keeps its state in SQLite within 2 KB per user, and a restart finds exactly what an uninterrupted run does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saaswatch-login-forest-'));
    try {
      const store = await openStore({ dialect: 'sqlite', path: join(dir, 's.db') });
      const user = 'erin@example.com';
      const history = commuter(user, 45, 7);
      const later = [...commuter(user, 10, 8, 45), loginAt(nightOf(8), user, LAGOS, 'Firefox'), ...commuter(user, 7, 9, 57)];

      const a = new LoginForestDetector(cfg, { state: store });
      await a.restore();
      feed(a, history);
      await a.persist();
      expect(Buffer.byteLength(JSON.stringify(await store.getState(`login-forest:${user}`)))).toBeLessThanOrEqual(2048);

      const b = new LoginForestDetector(cfg, { state: store });
      await b.restore();
      const restored = feed(b, later);
      const c = new LoginForestDetector(cfg);
      feed(c, history);
      const uninterrupted = feed(c, later);
      expect(uninterrupted).toHaveLength(1);
      expect(restored).toEqual(uninterrupted);
      expect(b.encoded(user)).toEqual(c.encoded(user));

      // A user who is not in memory: events the watermark has passed queue until persist() loads the saved state, then replay.
      const d = new LoginForestDetector(cfg, { state: store });
      expect(d.observe(later[0]!)).toEqual([]);
      expect(d.flush({ final: false, watermark: Number.POSITIVE_INFINITY })).toEqual([]);
      await d.persist();
      expect(d.encoded(user)).toEqual((() => { const e = new LoginForestDetector(cfg); feed(e, [...history, later[0]!]); return e.encoded(user); })());
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stays under 2 KB for a user with a new long agent name and ASN on every login', () => {
    const d = new LoginForestDetector(loginForestConfigSchema.parse({ max_history: 96, refit_every: 32, min_logins: 96 }));
    const user = 'wanderer@example.com';
    const events = Array.from({ length: 500 }, (_, i) =>
      loginAt(MONDAY + i * HOUR, user, { city: 'X', country: 'XX', lat: -89.9 + (i % 180), lon: -179.9 + i, asn: 4_200_000_000 - i }, `Agent-${i}-${'x'.repeat(60)}`),
    );
    feed(d, events);
    const state = d.encoded(user) as { a: string[]; u: string[] };
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThanOrEqual(2048);
    expect(state.a).toHaveLength(15);
    expect(state.u.every((x) => x.length <= 32)).toBe(true);
  });
});
