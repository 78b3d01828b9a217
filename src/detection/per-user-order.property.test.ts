/**
 * The detection invariant for per-user detectors (novelty, impossible travel, baseline, login
 * forest): however the events arrive within their sources' lateness, and across restarts, they
 * raise what they raise over the same events read in time order.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Detector, SecurityEvent, Source, Store } from '../core/index.js';
import { silentLogger } from '../log.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { StagedState } from '../pipeline/staged-state.js';
import { BaselineDetector } from './baseline/detector.js';
import { baselineConfigSchema } from './baseline/config.js';
import { ImpossibleTravelDetector } from './impossible-travel/detector.js';
import { impossibleTravelConfigSchema } from './impossible-travel/config.js';
import { LoginForestDetector } from './login-forest/detector.js';
import { loginForestConfigSchema } from './login-forest/config.js';
import { NoveltyDetector } from './novelty/detector.js';
import { noveltyConfigSchema } from './novelty/config.js';
import { alertKeys, anOrder, deliver, drive, interleave, type Delivery } from './order-testing.js';
import { Rng } from './random.js';
import { TempStores } from './restart-testing.js';
import { testEvent } from './testing.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const PLACES = [
  { city: 'Lyon', country: 'FR', lat: 45.76, lon: 4.84, asn: 3215, ua: 'Firefox' },
  { city: 'Paris', country: 'FR', lat: 48.86, lon: 2.35, asn: 5410, ua: 'Chrome' },
  { city: 'Lagos', country: 'NG', lat: 6.52, lon: 3.38, asn: 37148, ua: 'Chrome' },
  { city: 'Sydney', country: 'AU', lat: -33.87, lon: 151.21, asn: 1221, ua: 'Safari' },
];

function login(time: number, user: string, place: (typeof PLACES)[number], nonce: number): SecurityEvent {
  const e = testEvent({ time, user, ip: `198.51.100.${PLACES.indexOf(place) + 1}`, action: 'login', outcome: 'success', nonce });
  e.source = { ...e.source, geo: { country_iso_code: place.country, city_name: place.city, location: { lat: place.lat, lon: place.lon }, accuracy_radius_km: 10 }, as: { number: place.asn } };
  e.user_agent = { name: place.ua };
  return e;
}

/**
 * Three weeks of six people working from Lyon and Paris, then, at a random hour of week three:
 * one logs in from Lagos, one from Sydney half an hour after Paris, and one downloads two hundred
 * files in an hour; logins and downloads from each day mixed in.
 */
function scenario(seed: number): SecurityEvent[] {
  const rng = new Rng(`per-user:${seed}`);
  const t0 = Date.parse('2026-02-02T00:00:00Z') + rng.int(7) * DAY;
  const users = Array.from({ length: 6 }, (_, i) => `p${i}@example.com`);
  const out: SecurityEvent[] = [];
  let nonce = 0;
  for (let d = 0; d < 21; d++) {
    for (const user of users) {
      if (rng.chance(0.15)) continue;
      const home = PLACES[users.indexOf(user) % 2]!;
      for (let k = 0; k < 2 + rng.int(4); k++) out.push(login(t0 + d * DAY + (8 + rng.int(10)) * HOUR + rng.int(HOUR), user, rng.chance(0.8) ? home : PLACES[1 - (users.indexOf(user) % 2)]!, nonce++));
      for (let k = 0; k < rng.int(6); k++) out.push(testEvent({ time: t0 + d * DAY + (8 + rng.int(10)) * HOUR + rng.int(HOUR), user, action: 'download', category: ['file'], nonce: nonce++ }));
    }
  }
  const at = t0 + (15 + rng.int(5)) * DAY + (9 + rng.int(8)) * HOUR;
  out.push(login(at, users[0]!, PLACES[2]!, nonce++));
  out.push(login(at + 2 * HOUR, users[1]!, PLACES[1]!, nonce++), login(at + 2 * HOUR + 30 * 60_000, users[1]!, PLACES[3]!, nonce++));
  for (let k = 0; k < 200; k++) out.push(testEvent({ time: at + k * 15_000, user: users[2]!, action: 'download', category: ['file'], nonce: nonce++ }));
  return out;
}

const MAKERS: Array<[string, (s: Store | undefined) => Detector]> = [
  ['novelty', (s) => new NoveltyDetector(noveltyConfigSchema.parse({}), s ? { state: s } : {})],
  ['impossible-travel', (s) => new ImpossibleTravelDetector(impossibleTravelConfigSchema.parse({}), s ? { state: s } : {})],
  ['baseline', (s) => new BaselineDetector(baselineConfigSchema.parse({ min_count: 50 }), s ? { state: s } : {})],
  ['login-forest', (s) => new LoginForestDetector(loginForestConfigSchema.parse({ min_logins: 10 }), s ? { state: s } : {})],
];

const stores = new TempStores();
afterAll(() => stores.cleanup());

describe('per-user detection does not depend on arrival order', () => {
  it('raises what a time-ordered read raises, for any delivery within the lateness, with restarts', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), fc.boolean(), async (seed, restart) => {
        const events = scenario(seed);
        const rng = new Rng(`per-user-arrival:${seed}`);
        const logins = events.filter((e) => e.event.action === 'login');
        const downloads = events.filter((e) => e.event.action !== 'login');
        const deliveries: Delivery[] = interleave([deliver('logins', logins, anOrder(rng), rng, 1 + rng.int(60)), deliver('files', downloads, anOrder(rng), rng, 1 + rng.int(60))], rng);
        const reference = deliver('all', events, { kind: 'sorted' }, rng, 1_000);
        const restarts = new Set<number>();
        if (restart) for (let i = 0; i < 3; i++) restarts.add(rng.int(deliveries.length));
        for (const [name, make] of MAKERS) {
          const want = alertKeys(await drive(make, reference));
          for (const k of want) seen.add(k.split('|')[0]!);
          const store = restarts.size ? await stores.open() : undefined;
          const got = alertKeys(await drive(make, deliveries, { restarts, ...(store ? { store } : {}) }));
          expect(got, name).toEqual(want);
        }
      }),
      { numRuns: 12, seed: 20261206 },
    );
    // Each detector found something in the scenarios, so agreement means something.
    expect([...seen].sort()).toEqual(['baseline', 'impossible-travel', 'login-forest', 'novelty']);
  });

  it("loses nothing when a file ends and releases more of one user's events than a loading queue holds", async () => {
    // A file promises nothing until it ends, then every held event goes at once; the user's state
    // is in the store (not in memory) when that happens, and ten thousand events wait for it.
    const store = await stores.open();
    const user = 'svc@example.com';
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const events = Array.from({ length: 10_050 }, (_, i) => login(t0 + i * 250_000, user, PLACES[0]!, i));
    events.push(login(t0 + 10_050 * 250_000, user, PLACES[2]!, 99_999));
    const source: Source = {
      name: 'file',
      type: 'test',
      async *batches() {
        for (let i = 0; i < events.length; i += 2_000) yield { events: events.slice(i, i + 2_000), deadLetters: [] };
      },
    };
    const state = new StagedState(store);
    // Never in memory before the release: with a store, a user's state is loaded before their first event.
    const novelty = new NoveltyDetector(noveltyConfigSchema.parse({ max_users: 1 }), { state });
    const pipeline = new Pipeline({ store, detectors: [novelty], sinkNames: [], logger: silentLogger, state });
    await pipeline.ingest(source);
    expect(alertKeys(await store.listAlerts())).toEqual([`novelty|${user}|${new Date(t0 + 10_050 * 250_000).toISOString()}`]);
    expect(novelty.stats().droppedQueued).toBe(0);
  });
});
