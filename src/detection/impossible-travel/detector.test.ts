import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding, SecurityEvent } from '../../core/index.js';
import { openStore } from '../../storage/index.js';
import { BERLIN, LAGOS, LONDON, login, PARIS } from '../novelty/testing.js';
import { Rng } from '../random.js';
import { impossibleTravelConfigSchema } from './config.js';
import { haversineKm, ImpossibleTravelDetector } from './detector.js';
import { impossibleTravelPlugin } from './plugin.js';

const T0 = Date.parse('2026-10-05T08:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const U = 'dana@example.com';

function detector(overrides: Record<string, unknown> = {}): ImpossibleTravelDetector {
  return new ImpossibleTravelDetector(impossibleTravelConfigSchema.parse(overrides));
}

function feed(d: ImpossibleTravelDetector, events: SecurityEvent[]): Finding[] {
  return [...events.flatMap((e) => d.observe(e)), ...d.flush({ final: true })];
}

/** Three weeks of a commuter between Paris and, some weeks, London by train (several hours apart). */
function commute(seed = 3): SecurityEvent[] {
  const rng = new Rng(seed);
  const out: SecurityEvent[] = [];
  for (let d = 0; d < 21; d++) {
    const city = Math.floor(d / 7) === 1 && d % 7 >= 2 ? LONDON : PARIS;
    for (let k = 0; k < 3; k++) out.push(login(T0 + d * DAY + k * 3 * HOUR + rng.int(HOUR), U, city));
  }
  return out;
}

describe('impossible-travel detector', () => {
  it('has the documented defaults', () => {
    expect(impossibleTravelConfigSchema.parse({})).toEqual({ max_speed_kmh: 900, min_distance_km: 500, ignore_asns: [], max_users: 100_000, severity: 'high' });
    expect(impossibleTravelConfigSchema.safeParse({ max_speed: 5 }).success).toBe(false);
    expect(impossibleTravelPlugin.create(impossibleTravelPlugin.configSchema.parse({}), {} as never).id).toBe('impossible-travel');
  });

  it('computes great-circle distances', () => {
    expect(haversineKm(PARIS.lat, PARIS.lon, LONDON.lat, LONDON.lon)).toBeCloseTo(343.5, 0);
    expect(haversineKm(PARIS.lat, PARIS.lon, LAGOS.lat, LAGOS.lon)).toBeCloseTo(4707, -1);
    expect(haversineKm(0, 0, 0, 180)).toBeCloseTo(Math.PI * 6371.0088, 3);
  });

  it('fires for Paris → Lagos in 2 h, with the speed explained', () => {
    const d = detector();
    expect(feed(d, commute())).toEqual([]);
    const paris = login(T0 + 22 * DAY, U, PARIS);
    const lagos = login(T0 + 22 * DAY + 2 * HOUR, U, LAGOS);
    const [f, ...rest] = feed(d, [paris, lagos]);
    expect(rest).toEqual([]);
    const km = haversineKm(PARIS.lat, PARIS.lon, LAGOS.lat, LAGOS.lon) - 20 - 50;
    expect(f).toMatchObject({
      rule: 'impossible-travel',
      severity: 'high',
      entity: { type: 'user', value: U },
      windowStart: T0 + 22 * DAY,
      windowEnd: T0 + 22 * DAY + 2 * HOUR,
      evidence: [paris.event.id, lagos.event.id],
      observed: { distance_km: Math.round(km), minutes: 120, speed_kmh: Math.round(km / 2) },
      expected: { max_speed_kmh: 900, min_distance_km: 500 },
    });
    expect(f!.description).toMatch(/^dana@example\.com logged in from Lagos, NG 2 h after Paris, FR: 4,6\d\d km .* at 2,3\d\d km\/h > 900 km\/h\.$/);
  });

  it('does not fire for Paris → London in 3 h, nor for a brand-new user', () => {
    const d = detector();
    expect(feed(d, [login(T0, U, PARIS), login(T0 + 3 * HOUR, U, LONDON)])).toEqual([]);
    // Even a 1 h hop to London is under the distance floor (343 km < 500 km).
    expect(feed(d, [login(T0 + 4 * HOUR, U, PARIS, { nonce: 1 })])).toEqual([]);
    expect(feed(detector(), [login(T0, 'first@example.com', LAGOS)])).toEqual([]);
  });

  it('does not fire when the accuracy radii explain the distance', () => {
    // Paris → Berlin is 878 km; two 300 km circles leave 278 km, under the floor, in 30 min.
    expect(feed(detector(), [login(T0, U, PARIS, { radius: 300 }), login(T0 + HOUR / 2, U, BERLIN, { radius: 300 })])).toEqual([]);
    // The same with precise locations is 1,700 km/h: reported.
    expect(feed(detector(), [login(T0, U, PARIS, { radius: 5 }), login(T0 + HOUR / 2, U, BERLIN, { radius: 5 })])).toHaveLength(1);
    // Radii larger than the distance: the distance is 0, never negative.
    const d = detector({ min_distance_km: 0 });
    expect(feed(d, [login(T0, U, PARIS, { radius: 1000 }), login(T0 + 1, U, BERLIN, { radius: 1000 })])).toEqual([]);
  });

  it('ignores logins from suppressed ASNs, which do not move the user either', () => {
    const vpnLagos = { ...LAGOS, asn: 9009 };
    const d = detector({ ignore_asns: [9009] });
    expect(feed(d, [login(T0, U, PARIS), login(T0 + HOUR, U, vpnLagos), login(T0 + 2 * HOUR, U, PARIS, { nonce: 2 })])).toEqual([]);
    expect(feed(detector(), [login(T0, U, PARIS), login(T0 + HOUR, U, vpnLagos)])).toHaveLength(1);
  });

  it('ignores failures and logins without a location', () => {
    const noGeo = login(T0 + HOUR, U, LAGOS);
    delete noGeo.source!.geo;
    expect(feed(detector(), [login(T0, U, PARIS), login(T0 + HOUR, U, LAGOS, { outcome: 'failure' }), noGeo])).toEqual([]);
  });

  it('keeps the last login through SQLite within 2 KB, and replays identically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saaswatch-travel-'));
    try {
      const store = await openStore({ dialect: 'sqlite', path: join(dir, 's.db') });
      const cfg = impossibleTravelConfigSchema.parse({});
      const a = new ImpossibleTravelDetector(cfg, { state: store });
      await a.restore();
      feed(a, commute());
      await a.persist();
      expect(Buffer.byteLength(JSON.stringify(await store.getState(`impossible-travel:${U}`)))).toBeLessThanOrEqual(2048);
      const b = new ImpossibleTravelDetector(cfg, { state: store });
      await b.restore();
      // Last login was in Paris (week 3): Lagos one hour after the last one is impossible.
      const last = commute().at(-1)!;
      const restored = feed(b, [login(Date.parse(last['@timestamp']) + HOUR, U, LAGOS)]);
      const c = detector();
      feed(c, commute());
      expect(restored).toHaveLength(1);
      expect(restored).toEqual(feed(c, [login(Date.parse(last['@timestamp']) + HOUR, U, LAGOS)]));
      expect(restored[0]!.evidence[0]).toBe(last.event.id);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
