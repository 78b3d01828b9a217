/**
 * The detection invariant, property-tested: the alerts raised for a set of events are the alerts an
 * offline oracle finds over the same events sorted by time, however the events arrive within their
 * sources' lateness (pages newest first, late and shuffled records, random batch sizes, several
 * sources interleaved, restarts between batches).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Detector, SecurityEvent, Store } from '../core/index.js';
import { alertKeys, anOrder, arrivals, deliver, drive, exhausted, ORDER_CORRELATIONS, ORDER_DEFS, orderDetectors, orderExpected, orderScenario, watermarksOf, type Delivery, type Order } from './order-testing.js';
import { isolationForestConfigSchema } from './isolation-forest/config.js';
import { IsolationForestDetector } from './isolation-forest/detector.js';
import { Rng } from './random.js';
import { BruteForceDetector } from './brute-force/detector.js';
import { bruteForceConfigSchema } from './brute-force/config.js';
import { SigmaEngine } from './sigma/engine.js';
import { testEvent } from './testing.js';
import { generateSampleAuthLog } from './sample-data.js';
import { TempStores } from './restart-testing.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-02T09:00:00Z');

/**
 * The oracle's alerts. `deliveries` only say how far event time got in the end (a poller's last
 * promise may lie past the newest event), which decides whether a "fewer than" window has closed.
 */
function expected(events: SecurityEvent[], deliveries: Delivery[] = []): string[] {
  return orderExpected(events, Math.max(exhausted(events), ...watermarksOf(deliveries)));
}

const stores = new TempStores();
afterAll(() => stores.cleanup());


async function live(deliveries: Delivery[], restarts: Set<number>): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < 2; i++) {
    // A store per detector: each run stores the events as it goes, and a restart replays from it.
    const store = restarts.size ? await stores.open() : undefined;
    keys.push(...alertKeys(await drive((s) => orderDetectors(s)[i]!, deliveries, { restarts, ...(store ? { store } : {}) })));
  }
  return keys.sort();
}

describe('windowed detection does not depend on arrival order', () => {
  it('finds what the oracle finds over the sorted events, for any delivery within the lateness, with restarts', async () => {
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), fc.boolean(), async (seed, restart) => {
        const events = orderScenario(seed);
        const rng = new Rng(`arrival:${seed}`);
        const deliveries = arrivals(events, rng, [anOrder(rng), anOrder(rng), anOrder(rng)], 1 + rng.int(40));
        const want = expected(events, deliveries);
        if (want.length) nonEmpty++;
        const restarts = new Set<number>();
        if (restart) for (let i = 0; i < 3; i++) restarts.add(rng.int(deliveries.length));
        expect(await live(deliveries, restarts)).toEqual(want);
      }),
      { numRuns: 60, seed: 20261206 },
    );
    // The scenarios must exercise the rules, or agreement proves nothing.
    expect(nonEmpty).toBeGreaterThan(50);
  });

  it('covers every kind of rule in the scenarios it draws', () => {
    const hit = new Set<string>();
    for (let seed = 0; seed < 40; seed++) for (const k of expected(orderScenario(seed))) hit.add(k.split('|')[0]!);
    expect([...hit].sort()).toEqual(['brute-force', ...ORDER_CORRELATIONS.map((c) => c.key)].sort());
  });

  it('gives the same alerts for each arrival order of one scenario', async () => {
    const events = orderScenario(7);
    const want = expected(events);
    expect(want.length).toBeGreaterThan(3);
    // Without "fewer than" windows, whose closing depends on how far each source says time got.
    const counted = (keys: string[]) => keys.filter((k) => !k.startsWith('rules/order/quiet-ip|'));
    const orders: Order[] = [{ kind: 'sorted' }, { kind: 'newest-first-pages', sliceMs: 60 * MIN }, { kind: 'late', latenessMs: 30 * MIN }, { kind: 'shuffled' }];
    for (const o of orders) {
      const rng = new Rng(`one:${o.kind}`);
      expect(counted(await live(deliver('s', events, o, rng, 25), new Set())), o.kind).toEqual(counted(want));
    }
  });

  it('closes isolation-forest windows on the watermark: any delivery scores what a time-ordered read scores', async () => {
    // Its windows are not kept across runs (a stopped run scores what it has), so no restarts here.
    const make = () => new IsolationForestDetector(isolationForestConfigSchema.parse({}));
    let found = 0;
    for (const seed of [1, 2]) {
      // The shipped sample's generator: logins of an organisation with one password-spraying address.
      const events = generateSampleAuthLog({ seed, users: 250, days: 3 }).map((r, i): SecurityEvent => ({
        '@timestamp': r.time,
        event: { id: `s${seed}-${i}`, kind: 'event', category: r.action === 'login' || r.action === 'logout' ? ['authentication'] : [], action: r.action, outcome: r.result, provider: 'test', dataset: 'test', ingested: r.time },
        user: { email: r.user },
        source: { ip: r.src_ip },
        raw: null,
      }));
      const rng = new Rng(`iforest:${seed}`);
      const want = alertKeys(await drive(make, deliver('all', events, { kind: 'sorted' }, rng, 1_000)));
      found += want.length;
      const deliveries = arrivals(events, rng, [anOrder(rng), anOrder(rng), anOrder(rng)], 1 + rng.int(200));
      expect(alertKeys(await drive(make, deliveries)), `seed ${seed}`).toEqual(want);
    }
    expect(found).toBeGreaterThan(0);
  });

  it('scores isolation-forest windows the same however far each flush moves the watermark', async () => {
    // A lower threshold, so many windows are reported and the reservoir each is scored against matters.
    const make = () => new IsolationForestDetector(isolationForestConfigSchema.parse({ threshold: 0.6, prescreen: 0.5 }));
    const records = generateSampleAuthLog({ seed: 5, users: 600, days: 3 });
    const events = records.map((r, i): SecurityEvent => ({
      '@timestamp': r.time,
      event: { id: `g-${i}`, kind: 'event', category: r.action === 'login' || r.action === 'logout' ? ['authentication'] : [], action: r.action, outcome: r.result, provider: 'test', dataset: 'test', ingested: r.time },
      user: { email: r.user },
      source: { ip: r.src_ip },
      raw: null,
    }));
    const rng = new Rng('iforest-granularity');
    const small = alertKeys(await drive(make, deliver('a', events, { kind: 'sorted' }, rng, 100)));
    expect(small.length).toBeGreaterThan(5);
    expect(alertKeys(await drive(make, deliver('a', events, { kind: 'sorted' }, rng, 5_000)))).toEqual(small);
    // A file read whole: nothing closes until it ends, then every window at once.
    expect(alertKeys(await drive(make, deliver('a', events, { kind: 'shuffled' }, rng, 2_000)))).toEqual(small);
  });

  it('keeps within its caps as it applies a file released at its end, evicting in event-time order', async () => {
    // More keys than the caps hold, but never more at once in event time. Released all at once, as
    // a file at its end is, the burst must still be found, as it is when the watermark moves batch by batch.
    const H = 3_600_000;
    let nonce = 0;
    const fail = (t: number, ip: string) => testEvent({ time: t, ip, user: `v${nonce}@example.com`, outcome: 'failure', nonce: nonce++ });
    // Sigma: the burst first, then a hundred other addresses an hour apart.
    const first = [...Array.from({ length: 6 }, (_, i) => fail(T0 + i * MIN, '203.0.113.66')), ...Array.from({ length: 100 }, (_, i) => fail(T0 + (i + 1) * H, `192.0.2.${i + 1}`))];
    // brute-force: one failure of the attacker long before, thirty addresses, then its burst with ten new addresses inside it.
    const T = T0 + 31 * H;
    const second = [
      fail(T0, '203.0.113.66'),
      ...Array.from({ length: 30 }, (_, i) => fail(T0 + (i + 1) * H, `198.51.100.${i + 1}`)),
      ...Array.from({ length: 3 }, (_, i) => fail(T + i * MIN, '203.0.113.66')),
      ...Array.from({ length: 10 }, (_, i) => fail(T + 2 * MIN + (i + 1) * 1000, `198.51.100.${i + 31}`)),
      fail(T + 4 * MIN, '203.0.113.66'),
      fail(T + 5 * MIN, '203.0.113.66'),
    ];
    const cases: Array<[() => Detector, SecurityEvent[]]> = [
      [() => new SigmaEngine(ORDER_DEFS, { maxGroups: 20 }), first],
      [() => new BruteForceDetector(bruteForceConfigSchema.parse({ threshold: 5, window: '10m', group_by: ['source.ip'], max_entities: 40 })), second],
    ];
    for (const [make, events] of cases) {
      const rng = new Rng('caps');
      const progressive = alertKeys(await drive(make, deliver('s', events, { kind: 'sorted' }, rng, 5)));
      expect(progressive.some((k) => k.includes('|203.0.113.66|'))).toBe(true);
      expect(alertKeys(await drive(make, deliver('s', events, { kind: 'shuffled' }, rng, 500)))).toEqual(progressive);
    }
  });
});
