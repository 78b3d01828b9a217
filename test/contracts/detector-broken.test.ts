/**
 * The detector contract checks reject broken detectors, each naming the clause it breaks: so a
 * green contract suite means the clauses hold, not that the checks cannot fail.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventTime, type Detector, type DetectorPlugin, type Finding, type PluginDeps, type SecurityEvent } from '../../src/core/index.js';
import { TempStores, type DetectorContractFixture } from '../../src/detection/restart-testing.js';
import { testEvent } from '../../src/detection/testing.js';
import {
  checkArrivalOrder,
  checkBatchBoundaries,
  checkBoundedState,
  checkClock,
  checkFinalFlush,
  checkRestarts,
  detectorSubject,
  DETECTOR_CLAUSES,
  type DetectorClause,
  type DetectorSubject,
} from './detector-checks.js';

const T0 = Date.parse('2026-11-03T02:00:00.000Z');
const MIN = 60_000;

/** Failed logins from six addresses, each failing every few minutes over four hours. */
const events: SecurityEvent[] = Array.from({ length: 240 }, (_, i) =>
  testEvent({ time: T0 + i * MIN, ip: `203.0.113.${i % 6}`, user: `u${i % 11}@example.com`, outcome: 'failure', nonce: i }),
);
const fixture: DetectorContractFixture = { config: {}, events, batchSize: 20 };

const finding = (type: string, ip: string, windowStart: number, evidence: string[] = []): Finding => ({
  rule: type,
  title: `broken ${type}`,
  severity: 'low',
  entity: { type: 'ip', value: ip },
  windowStart,
  windowEnd: windowStart,
  evidence,
  description: 'a deliberately broken detector',
});

/** A detector skeleton: `onFlush` decides what each flush reports. */
function plugin(type: string, make: (deps: PluginDeps) => Detector): DetectorPlugin<Record<string, never>> {
  return { type, description: 'broken on purpose', configSchema: z.strictObject({}), create: (_c, deps) => make(deps) };
}

/** Counts failures per address and reports the 10th at the watermark of the flush that sees it: a batch boundary moves it. */
const batchBound = plugin('batch-bound', () => {
  const counts = new Map<string, number>();
  let due: string[] = [];
  return {
    id: 'batch-bound',
    observe(e) {
      const ip = e.source!.ip!;
      const n = (counts.get(ip) ?? 0) + 1;
      counts.set(ip, n);
      if (n % 10 === 0) due.push(ip);
      return [];
    },
    flush(o) {
      const out = due.map((ip) => finding('batch-bound', ip, o.watermark ?? 0));
      due = [];
      return out;
    },
  };
});

/** Reports each address the first time it arrives, dated by that event: arrival order decides. */
const firstSeen = plugin('first-seen', () => {
  const seen = new Set<string>();
  return {
    id: 'first-seen',
    observe(e) {
      const ip = e.source!.ip!;
      if (seen.has(ip)) return [];
      seen.add(ip);
      return [finding('first-seen', ip, eventTime(e))];
    },
    flush: () => [],
  };
});

/** Counts failures per address in memory only: a restart forgets the count, so every restart changes what it finds. */
const forgetful = plugin('forgetful', () => {
  const counts = new Map<string, number>();
  return {
    id: 'forgetful',
    observe(e) {
      const ip = e.source!.ip!;
      const n = (counts.get(ip) ?? 0) + 1;
      counts.set(ip, n);
      return n % 7 === 0 ? [finding('forgetful', ip, eventTime(e))] : [];
    },
    flush: () => [],
    async persist() {},
    async restore() {},
  };
});

/** Saves every event id it has seen: its state grows with the events, not with the addresses. */
const hoarder = plugin('hoarder', (deps) => {
  const ids: string[] = [];
  return {
    id: 'hoarder',
    observe(e) {
      ids.push(e.event.id);
      return ids.length === 50 ? [finding('hoarder', e.source!.ip!, eventTime(e))] : [];
    },
    flush: () => [],
    async restore() {
      const saved = await deps.state?.getState('hoarder');
      if (Array.isArray(saved)) ids.push(...(saved as string[]));
    },
    async persist() {
      await deps.state?.putState('hoarder', ids);
    },
  };
});

/** Dates its findings by the wall clock instead of the events. */
const wallClock = plugin('wall-clock', () => ({
  id: 'wall-clock',
  observe: (e) => (e.event.id.endsWith('0') ? [finding('wall-clock', e.source!.ip!, Math.floor(Date.now() / 3_600_000) * 3_600_000)] : []),
  flush: () => [],
}));

/** Reports a fresh alert at every final flush, however often it is called. */
const repeatsFinal = plugin('repeats-final', () => {
  let n = 0;
  return {
    id: 'repeats-final',
    observe: () => [],
    flush: (o) => (o.final ? [finding('repeats-final', '203.0.113.1', T0 + n++ * MIN)] : []),
  };
});

const stores = new TempStores();
afterAll(() => stores.cleanup());

const cases: Array<[DetectorPlugin<any>, DetectorClause, (s: DetectorSubject) => Promise<string[]>]> = [
  [batchBound, 'D3', checkBatchBoundaries],
  [firstSeen, 'D4', checkArrivalOrder],
  [forgetful, 'D5', (s) => checkRestarts(s, stores, 'one stream')],
  [hoarder, 'D6', checkBoundedState],
  [wallClock, 'D8', checkClock],
  [repeatsFinal, 'D7', checkFinalFlush],
];

describe('the detector contract checks reject a broken detector, naming the clause', () => {
  it.each(cases.map(([p, clause, run]) => [p.type, clause, run] as const))('%s breaks %s', async (type, clause, run) => {
    const p = cases.find(([c]) => c.type === type)![0];
    const violations = await run(detectorSubject(p, fixture));
    expect(violations.length).toBeGreaterThan(0);
    for (const v of violations) expect(v).toMatch(new RegExp(`^${clause} \\(${DETECTOR_CLAUSES[clause].replace(/[()]/g, '\\$&')}\\): ${type}: `));
  });

  it('a detector that keeps to the contract passes the same checks on the same input', async () => {
    // The forgetful counter with its counts saved: what the broken one lacks, and all it lacks.
    const keeper = plugin('keeper', (deps) => {
      let counts: Record<string, number> = {};
      return {
        id: 'keeper',
        observe(e) {
          const ip = e.source!.ip!;
          counts[ip] = (counts[ip] ?? 0) + 1;
          return counts[ip] % 7 === 0 ? [finding('keeper', ip, eventTime(e))] : [];
        },
        flush: () => [],
        async restore() {
          counts = ((await deps.state?.getState('keeper')) as Record<string, number> | undefined) ?? {};
        },
        async persist() {
          await deps.state?.putState('keeper', counts);
        },
      };
    });
    const s = detectorSubject(keeper, fixture);
    expect(await checkRestarts(s, stores, 'one stream')).toEqual([]);
    expect(await checkBoundedState(s)).toEqual([]);
    expect(await checkClock(s)).toEqual([]);
    expect(await checkBatchBoundaries(s)).toEqual([]);
  });
});
