import type { Logger } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { dedupKey, type Finding, type SecurityEvent, type Store } from '../../core/index.js';
import { batchesOf, lifetime, savedWindows, splitRun, TempStores } from '../restart-testing.js';
import { testEvent } from '../testing.js';
import { SigmaEngine } from './engine.js';
import { stream, T0 } from './fixtures/contract.js';
import { replayStored } from '../../pipeline/pipeline.js';
import { parseRuleText } from './loader.js';
import { BASE_RULES } from './fixtures/base-rules.js';

const SEC = 1000;
const MIN = 60 * SEC;


/** One rule of each correlation type (and an upper-bound event_count, which uses tumbling windows), each in its own file as a pack would have them. */
const RULES: Record<string, string> = {
  'per-ip': `title: many failures\ncorrelation: { type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 15 } }\n`,
  spray: `title: spray\ncorrelation: { type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user, gte: 6 } }\n`,
  few: `title: a few failures\ncorrelation: { type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: { gte: 2, lte: 4 } }\n`,
  'grant-download': `title: grant and download\ncorrelation: { type: temporal, rules: [grant, download], group-by: [user], timespan: 10m }\n`,
  'fail-then-ok': `title: failures then success\ncorrelation: { type: temporal_ordered, rules: [failed, ok], group-by: [source.ip], timespan: 5m }\n`,
};

function defs(rules: Record<string, string> = RULES) {
  return [...parseRuleText(BASE_RULES, 'bases.yml', 'rules/bases'), ...Object.entries(rules).flatMap(([k, y]) => parseRuleText(y, `${k}.yml`, `rules/${k}`))];
}

function engine(store: Store | undefined, rules?: Record<string, string>, logger?: Logger, maxGroups?: number): SigmaEngine {
  return new SigmaEngine(defs(rules), maxGroups ? { maxGroups } : {}, { state: store, logger });
}

const stores = new TempStores();
afterAll(() => stores.cleanup());

describe('sigma correlation windows across a restart', () => {
  const events = stream(3, 3000);
  const batches = batchesOf(events, 100);

  it('survives several restarts in one run, and a save before the final flush', async () => {
    const expected: Finding[] = [];
    await lifetime(engine(await stores.open()), batches, expected);
    const store = await stores.open();
    const got: Finding[] = [];
    for (const [from, to] of [[0, 4], [4, 5], [5, 17], [17, 18], [18, batches.length]] as const) await lifetime(engine(store), batches.slice(from, to), got, store);
    expect(got).toEqual(expected);

    // Saved between observe and flush (sources side by side): owed reports come out after the restart.
    const s2 = await stores.open();
    const first = engine(s2);
    await first.restore();
    const out: Finding[] = [];
    for (const b of batches.slice(0, 7)) {
      for (const e of b.events) out.push(...first.observe(e));
      await first.persist();
      await s2.commitBatch({ source: 'test', events: b.events });
      out.push(...first.flush({ final: false, watermark: b.watermark }));
    }
    const owed: Finding[] = [];
    for (const e of batches[7]!.events) out.push(...first.observe(e));
    await first.persist();
    await s2.commitBatch({ source: 'test', events: batches[7]!.events });
    // Crash: the flush below is what the next process must reproduce.
    owed.push(...first.flush({ final: false, watermark: batches[7]!.watermark }));
    expect(owed.length).toBeGreaterThan(0);
    const second = engine(s2);
    await second.restore();
    await replayStored(s2, [second]);
    const after = second.flush({ final: false, watermark: batches[7]!.watermark });
    expect(after.map(dedupKey)).toEqual(owed.map(dedupKey));
    expect(after).toEqual(owed);
  });

  it('saves only live groups: expired ones leave the store, and the stored state stays bounded', async () => {
    const store = await stores.open();
    const e = engine(store);
    await e.restore();
    const burst = Array.from({ length: 20 }, (_, i) => testEvent({ time: T0 + i * SEC, ip: '203.0.113.250', user: `v${i}@example.com`, outcome: 'failure', nonce: i }));
    for (const ev of burst) e.observe(ev);
    e.flush({ final: false, watermark: T0 + 20 * SEC });
    await e.persist();
    const hasGroup = async (k: string) => {
      const { segments } = await savedWindows(store, 'sigma');
      return [...segments.values()].some((seg) => JSON.stringify(seg).includes(`"k":"${k}"`));
    };
    expect(await hasGroup('203.0.113.250')).toBe(true);

    // Two hours of other traffic: the attacker's groups expire in every rule and their records go.
    const later = stream(5, 1500).map((ev, i) => testEvent({ time: Date.parse(ev['@timestamp']) + 30 * MIN, ip: ev.source?.ip ?? '192.0.2.1', user: ev.user?.email ?? 'x@example.com', outcome: ev.event.outcome === 'failure' ? 'failure' : 'success', nonce: 10_000 + i }));
    for (const b of batchesOf(later, 100)) {
      for (const ev of b.events) e.observe(ev);
      e.flush({ final: false, watermark: b.watermark });
      await e.persist();
    }
    expect(await hasGroup('203.0.113.250')).toBe(false);
    const s = e.stats().windowLog!;
    let liveGroups = 0;
    for (const c of Object.values(e.stats().correlationState)) liveGroups += c.groups;
    expect(s.liveCopies).toBeLessThanOrEqual(liveGroups);
    expect(s.storedRecords).toBeLessThanOrEqual(4 * s.liveCopies + 16 * s.segments);

    // A restart brings back the groups that were still live (expired ones not yet swept stay behind).
    const again = engine(store);
    await again.restore();
    expect(again.stats().windowLog!.restored).toBeGreaterThan(0);
    expect(again.stats().windowLog!.restored).toBeLessThanOrEqual(s.liveCopies);
  });

  it('discards state of another format, a corrupt segment or a changed rule with one info log, and keeps working', async () => {
    const logs: unknown[][] = [];
    const logger = { info: (...a: unknown[]) => logs.push(a), debug: () => undefined } as unknown as Logger;
    const fresh: Finding[] = [];
    await lifetime(engine(undefined), batches.slice(10, 20), fresh);

    const oldFormat = await stores.open();
    await oldFormat.putState('sigma#windows', { v: 0, segs: [[1, 3]], groups: 'whatever' });
    await oldFormat.putState('sigma#windows:1', { anything: true });
    const got: Finding[] = [];
    await lifetime(engine(oldFormat, RULES, logger), batches.slice(10, 20), got);
    expect(got).toEqual(fresh);
    expect(logs).toHaveLength(1);
    expect(await oldFormat.getState('sigma#windows:1')).toBeUndefined();

    // A segment that is not what the manifest promises: everything is discarded, nothing throws.
    const corrupt = await stores.open();
    await lifetime(engine(corrupt), batches.slice(0, 10), []);
    const { manifest } = await savedWindows(corrupt, 'sigma');
    const [firstSeg] = (manifest as { segs: Array<[number, number]> }).segs[0]!;
    await corrupt.putState(`sigma#windows:${firstSeg}`, { v: 1, parts: { 'rules/per-ip': { h: 'x', r: [{ k: 1 }] } } });
    logs.length = 0;
    const afterCorrupt: Finding[] = [];
    await lifetime(engine(corrupt, RULES, logger), batches.slice(10, 20), afterCorrupt);
    expect(afterCorrupt).toEqual(fresh);
    expect(logs).toHaveLength(1);

    // Broken records inside a valid segment: that rule starts afresh, the others continue.
    const badRecord = await stores.open();
    await lifetime(engine(badRecord), batches.slice(0, 10), []);
    const saved = await savedWindows(badRecord, 'sigma');
    for (const [id, seg] of saved.segments) {
      const parts = (seg as { parts: Record<string, { r: Array<Record<string, unknown>> }> }).parts;
      if (parts['rules/spray']) parts['rules/spray'].r[0]!.t = ['not', 'times'];
      await badRecord.putState(`sigma#windows:${id}`, seg);
    }
    logs.length = 0;
    const e = engine(badRecord, RULES, logger);
    await e.restore();
    expect(logs).toHaveLength(1);
    expect((logs[0]![0] as { parts: string[] }).parts).toEqual(['rules/spray']);
    expect(e.stats().correlationState['rules/spray']!.groups).toBe(0);
    expect(e.stats().correlationState['rules/per-ip']!.groups).toBeGreaterThan(0);

    // A changed threshold discards that rule's windows only; a reworded title keeps them.
    const changed = await stores.open();
    await lifetime(engine(changed), batches.slice(0, 10), []);
    logs.length = 0;
    const edited = { ...RULES, 'per-ip': RULES['per-ip']!.replace('gte: 15', 'gte: 12'), spray: RULES.spray!.replace('title: spray', 'title: password spray') };
    const e2 = engine(changed, edited, logger);
    await e2.restore();
    expect(logs).toHaveLength(1);
    expect((logs[0]![0] as { parts: string[] }).parts).toEqual(['rules/per-ip']);
    expect(e2.stats().correlationState['rules/per-ip']!.groups).toBe(0);
    expect(e2.stats().correlationState['rules/spray']!.groups).toBeGreaterThan(0);
    // Its discarded records are cleaned up as the run goes on.
    const rest: Finding[] = [];
    await lifetime(e2, batches.slice(10), rest);
    const after = await savedWindows(changed, 'sigma');
    const hashes = new Set<string>();
    for (const seg of after.segments.values()) {
      const p = (seg as { parts: Record<string, { h: string }> }).parts['rules/per-ip'];
      if (p) hashes.add(p.h);
    }
    expect(hashes.size).toBeLessThanOrEqual(1);
  });

  it('a lowered group cap restores the newest groups, and evicted groups do not come back', async () => {
    const store = await stores.open();
    const expected: Finding[] = [];
    await lifetime(engine(await stores.open(), RULES, undefined, 40), batches, expected);
    for (const split of [3, 11, 22]) {
      const s = await stores.open();
      expect(await splitRun((st) => engine(st, RULES, undefined, 40), s, batches, split), `split ${split}`).toEqual(expected);
    }
    await lifetime(engine(store), batches.slice(0, 10), []);
    const capped = engine(store, RULES, undefined, 5);
    await capped.restore();
    for (const c of Object.values(capped.stats().correlationState)) expect(c.groups).toBeLessThanOrEqual(5);
  });
});
