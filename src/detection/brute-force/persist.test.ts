import type { Logger } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { dedupKey, type Finding, type SecurityEvent, type Store } from '../../core/index.js';
import { asBatches, batchesOf, lifetime, savedWindows, splitRun, TempStores } from '../restart-testing.js';
import { contractFixture } from './fixtures/contract.js';
import { testEvent } from '../testing.js';
import { bruteForceConfigSchema } from './config.js';
import { BruteForceDetector } from './detector.js';
import { bruteForcePlugin } from './plugin.js';
import { replayStored } from '../../pipeline/pipeline.js';

const T0 = Date.parse('2026-11-03T02:00:00.000Z');
const SEC = 1000;
const MIN = 60 * SEC;

function detector(store: Store | undefined, overrides: Record<string, unknown> = {}, logger?: Logger): BruteForceDetector {
  return new BruteForceDetector(bruteForceConfigSchema.parse({ threshold: 10, ...overrides }), { state: store, logger });
}

const fail = (t: number, ip: string, user: string, nonce: number, count?: number): SecurityEvent =>
  testEvent({ time: t, ip, user, action: 'login', outcome: 'failure', nonce, ...(count ? { count } : {}) });

const stores = new TempStores();
afterAll(() => stores.cleanup());

describe('brute-force windows across a restart', () => {
  // The contract fixture's night, whose restarts at every boundary the contract suite checks.
  const batches = batchesOf(contractFixture.events, contractFixture.batchSize);

  it('6 failures before a restart and 6 after make the finding a threshold of 10 asks for', async () => {
    const events = Array.from({ length: 12 }, (_, i) => fail(T0 + i * 20 * SEC, '203.0.113.66', `v${i}@example.com`, i));
    const whole: Finding[] = [];
    await lifetime(detector(await stores.open(), { group_by: ['source.ip'] }), asBatches([events.slice(0, 6), events.slice(6)]), whole);
    expect(whole.map(dedupKey)).toEqual(['brute-force|ip:203.0.113.66|2026-11-03T02:00:00.000Z', 'brute-force|ip:203.0.113.66|2026-11-03T02:00:00.000Z']);

    const store = await stores.open();
    const split = await splitRun((s) => detector(s, { group_by: ['source.ip'] }), store, asBatches([events.slice(0, 6), events.slice(6)]), 1);
    expect(split).toEqual(whole);
    expect(split.at(-1)!.observed).toMatchObject({ failed_logins: 12, distinct_users: 12 });
    // Without saved state the burst is split in two halves that never reach the threshold.
    const cold: Finding[] = [];
    await lifetime(detector(undefined, { group_by: ['source.ip'] }), asBatches([events.slice(0, 6)]), cold);
    await lifetime(detector(undefined, { group_by: ['source.ip'] }), asBatches([events.slice(6)]), cold);
    expect(cold).toEqual([]);
  });

  it('keeps owed reports and their order when saved between observe and flush, and across many restarts', async () => {
    const expected: Finding[] = [];
    await lifetime(detector(await stores.open()), batches, expected);
    const store = await stores.open();
    const got: Finding[] = [];
    for (let i = 0; i < batches.length; i += 3) await lifetime(detector(store), batches.slice(i, i + 3), got, store);
    expect(got).toEqual(expected);

    const s2 = await stores.open();
    const first = detector(s2);
    await first.restore();
    for (const b of batches.slice(0, 9)) {
      for (const e of b.events) first.observe(e);
      await first.persist();
      await s2.commitBatch({ source: 'test', events: b.events });
      first.flush({ final: false, watermark: b.watermark });
    }
    // Saved with its batch before the flush that judges it; the next process must report the same.
    for (const e of batches[9]!.events) first.observe(e);
    await first.persist();
    await s2.commitBatch({ source: 'test', events: batches[9]!.events });
    const owed = first.flush({ final: false, watermark: batches[9]!.watermark });
    expect(owed.length).toBeGreaterThan(1);
    const second = detector(s2);
    await second.restore();
    await replayStored(s2, [second]);
    expect(second.flush({ final: false, watermark: batches[9]!.watermark })).toEqual(owed);
  });

  it('saves only live entities, and discards other formats, configs and corrupt records with one info log', async () => {
    const store = await stores.open();
    const d = detector(store);
    await lifetime(d, batches.slice(0, 5), []);
    const has = async (k: string) => [...(await savedWindows(store, 'brute-force')).segments.values()].some((seg) => JSON.stringify(seg).includes(`"k":"${k}"`));
    const ip = batches[4]!.events.filter((e) => e.event.outcome === 'failure').at(-1)!.source!.ip!;
    expect(await has(ip)).toBe(true);
    // An hour later only new addresses are active: the old entities expire and their records go.
    const later = Array.from({ length: 400 }, (_, i) => fail(T0 + 90 * MIN + i * 5 * SEC, `10.9.${i % 7}.1`, `late${i % 5}@example.com`, 50_000 + i));
    const d2 = detector(store);
    await lifetime(d2, batchesOf(later, 50), []);
    expect(await has(ip)).toBe(false);
    const { bytes } = await savedWindows(store, 'brute-force');
    expect(bytes).toBeLessThan(60_000);

    const logs: unknown[][] = [];
    const logger = { info: (...a: unknown[]) => logs.push(a), debug: () => undefined } as unknown as Logger;
    const reference: Finding[] = [];
    await lifetime(detector(undefined), batches.slice(5, 12), reference);

    // Another window length: the saved windows mean something else and are discarded.
    const changed = await stores.open();
    await lifetime(detector(changed), batches.slice(0, 5), []);
    const got: Finding[] = [];
    await lifetime(detector(changed, { window: '15m' }, logger), batches.slice(5, 12), got);
    expect(logs).toHaveLength(1);
    expect((logs[0]![0] as { parts: string[] }).parts).toEqual(['source.ip', 'user']);
    const fresh15: Finding[] = [];
    await lifetime(detector(undefined, { window: '15m' }), batches.slice(5, 12), fresh15);
    expect(got).toEqual(fresh15);
    // Severity and the entity cap do not change a window: the state is kept.
    logs.length = 0;
    const kept = await stores.open();
    await lifetime(detector(kept), batches.slice(0, 5), []);
    const k = detector(kept, { severity: 'critical', max_entities: 50_000 }, logger);
    await k.restore();
    expect(logs).toEqual([]);
    expect(k.stats().entities).toBeGreaterThan(0);

    // Old format and corrupt records: never a crash, one info log, detection as from scratch.
    for (const [manifest, segment] of [
      [{ v: 0, segs: [[1, 1]] }, { v: 0 }],
      [{ v: 1, next: 2, segs: [[1, 1]], garbage: [], parts: { 'source.ip': { h: 'bogus', m: { q: 1 } } }, meta: { w: 'yesterday' } }, { v: 1, parts: {} }],
      [{ v: 1, next: 2, segs: [[1, 1]], garbage: [] }, 'not an object'],
      ['garbage', undefined],
    ] as const) {
      const s = await stores.open();
      await s.putState('brute-force#windows', manifest);
      if (segment !== undefined) await s.putState('brute-force#windows:1', segment);
      logs.length = 0;
      const out: Finding[] = [];
      await lifetime(detector(s, {}, logger), batches.slice(5, 12), out);
      expect(out).toEqual(reference);
      expect(logs).toHaveLength(1);
    }

    // A corrupt entity record: that field starts afresh, the other keeps its windows.
    const bad = await stores.open();
    await lifetime(detector(bad), batches.slice(0, 5), []);
    for (const [id, seg] of (await savedWindows(bad, 'brute-force')).segments) {
      const parts = (seg as { parts: Record<string, { r: Array<Record<string, unknown>> }> }).parts;
      if (parts.user) parts.user.r[0]!.b = [1, 2, 3];
      await bad.putState(`brute-force#windows:${id}`, seg);
    }
    logs.length = 0;
    const b = detector(bad, {}, logger);
    await b.restore();
    expect(logs).toHaveLength(1);
    expect((logs[0]![0] as { parts: string[] }).parts).toEqual(['user']);
    expect(b.stats().entities).toBeGreaterThan(0);
  });

  it('entities evicted by the cap do not come back after a restart', async () => {
    const store = await stores.open();
    const d = detector(store, { group_by: ['source.ip'], max_entities: 3 });
    await d.restore();
    const ev = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip, i) => fail(T0 + i * SEC, ip, 'x@example.com', i));
    for (const e of ev.slice(0, 3)) d.observe(e);
    d.flush({ final: false, watermark: T0 + 3 * SEC });
    await d.persist();
    d.observe(ev[3]!);
    d.flush({ final: false, watermark: T0 + 4 * SEC });
    await d.persist();
    const again = detector(store, { group_by: ['source.ip'], max_entities: 3 });
    await again.restore();
    expect(again.stats().entities).toBe(3);
    const all = JSON.stringify([...(await savedWindows(store, 'brute-force')).segments.values()]);
    expect(all).not.toContain('"k":"10.0.0.1"');
  });

  it('the plugin passes the store, so the pipeline saves and restores', async () => {
    const store = await stores.open();
    const make = () => bruteForcePlugin.create(bruteForcePlugin.configSchema.parse({ threshold: 4, group_by: ['source.ip'] }), { state: store } as never);
    const events = Array.from({ length: 4 }, (_, i) => fail(T0 + i * SEC, '192.0.2.9', `w${i}@example.com`, i));
    const out: Finding[] = [];
    await lifetime(make(), asBatches([events.slice(0, 2)]), out, store);
    await lifetime(make(), asBatches([events.slice(2)]), out, store);
    expect(out.map((f) => f.observed?.failed_logins)).toEqual([4]);
  });
});
