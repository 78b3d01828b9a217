/**
 * The detector contract (docs/contracts/detector.md) as checks that run against any detector plugin
 * and its fixture: each returns the violations it found, every one opening with the clause it breaks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { vi } from 'vitest';
import { dedupKey, eventTime, type Detector, type DetectorPlugin, type Finding, type PluginDeps, type SecurityEvent, type Store } from '../../src/core/index.js';
import { Rng } from '../../src/detection/random.js';
import {
  asBatches,
  batchesOf,
  lifetime,
  restartInputs,
  splitRun,
  type Batch,
  type DetectorContractFixture,
  type TempStores,
} from '../../src/detection/restart-testing.js';
import type { StateStore } from '../../src/detection/state.js';
import { silentLogger } from '../../src/log.js';

/** The clauses of docs/contracts/detector.md, by the id each violation message opens with. */
export const DETECTOR_CLAUSES = {
  D1: 'fires on its fixture',
  D2: 'same input, same output',
  D3: 'findings independent of batch boundaries',
  D4: 'findings independent of arrival order within the watermark',
  D5: 'identical findings across a restart at every batch boundary',
  D6: 'saved state bounded for a fixed set of entities',
  D7: 'final flush reports what is pending, once',
  D8: 'reads the clock only from its deps',
} as const;
export type DetectorClause = keyof typeof DETECTOR_CLAUSES;

const violation = (clause: DetectorClause, text: string) => `${clause} (${DETECTOR_CLAUSES[clause]}): ${text}`;

/** The run's pinned clock: a detector may read it, never the system clock. */
export const CONTRACT_NOW = Date.parse('2026-12-01T00:00:00.000Z');

export interface DetectorSubject {
  type: string;
  fixture: DetectorContractFixture;
  /** A fresh detector on the fixture's config, with `state` as its saved state (none: no state survives it). */
  make(state?: StateStore): Detector;
}

export function detectorSubject(plugin: DetectorPlugin<any>, fixture: DetectorContractFixture): DetectorSubject {
  const config = plugin.configSchema.parse(fixture.config);
  const dataDir = mkdtempSync(join(tmpdir(), `saaswatch-contract-${plugin.type}-`));
  return {
    type: plugin.type,
    fixture,
    make(state) {
      const deps: PluginDeps = { logger: silentLogger, dataDir, now: () => CONTRACT_NOW };
      if (fixture.baseDir !== undefined) deps.baseDir = fixture.baseDir;
      if (state !== undefined) deps.state = state;
      return plugin.create(config, deps);
    },
  };
}

export const fixtureBatches = (s: DetectorSubject): Batch[] => batchesOf(s.fixture.events, s.fixture.batchSize);

async function runAll(s: DetectorSubject, batches: Batch[], state?: StateStore): Promise<Finding[]> {
  const out: Finding[] = [];
  await lifetime(s.make(state), batches, out);
  return out;
}

/** What the invariant promises (rule, entity, window start): the sorted dedup keys raised. */
const alertKeys = (fs: readonly Finding[]) => [...new Set(fs.map(dedupKey))].sort();

function describeDiff(want: string[], got: string[]): string {
  const missing = want.filter((k) => !got.includes(k));
  const extra = got.filter((k) => !want.includes(k));
  return `${missing.length} missing (${missing.slice(0, 3).join(', ') || '-'}), ${extra.length} extra (${extra.slice(0, 3).join(', ') || '-'})`;
}

export async function checkFires(s: DetectorSubject): Promise<string[]> {
  const found = await runAll(s, fixtureBatches(s));
  if (found.length === 0) return [violation('D1', `${s.type}: its fixture raised no finding; give it events that make the detector fire`)];
  return Object.entries(s.fixture.covers ?? {})
    .filter(([, test]) => !found.some(test))
    .map(([label]) => violation('D1', `${s.type}: its fixture raised no finding of "${label}"`));
}

export async function checkDeterministic(s: DetectorSubject): Promise<string[]> {
  const a = await runAll(s, fixtureBatches(s));
  const b = await runAll(s, fixtureBatches(s));
  return isDeepStrictEqual(a, b) ? [] : [violation('D2', `${s.type}: two runs over the same batches reported different findings (${a.length} vs ${b.length})`)];
}

export async function checkBatchBoundaries(s: DetectorSubject): Promise<string[]> {
  const events = s.fixture.events;
  const want = alertKeys(await runAll(s, fixtureBatches(s)));
  const out: string[] = [];
  for (const size of [events.length, Math.max(1, Math.floor(s.fixture.batchSize / 3)) + 1]) {
    const got = alertKeys(await runAll(s, batchesOf(events, size)));
    if (!isDeepStrictEqual(got, want)) out.push(violation('D3', `${s.type}: batches of ${size} instead of ${s.fixture.batchSize}: ${describeDiff(want, got)}`));
  }
  return out;
}

function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export async function checkArrivalOrder(s: DetectorSubject): Promise<string[]> {
  const batches = fixtureBatches(s);
  const want = alertKeys(await runAll(s, batches));
  const rng = new Rng(`order:${s.type}`);
  const out: string[] = [];
  const orders: Array<[string, SecurityEvent[][]]> = [
    ['each batch newest first', batches.map((b) => [...b.events].reverse())],
    ['each batch shuffled', batches.map((b) => shuffled(b.events, rng))],
  ];
  for (const [label, chunks] of orders) {
    // Same batches, so the same watermarks: only the order within what each watermark covers changes.
    const got = alertKeys(await runAll(s, asBatches(chunks)));
    if (!isDeepStrictEqual(got, want)) out.push(violation('D4', `${s.type}: ${label}: ${describeDiff(want, got)}`));
  }
  return out;
}

/**
 * Restarts before every batch in turn, in each of the orders of restartInputs: a split run must
 * report exactly what the uninterrupted run reports. Most splits without the saved state must not,
 * or the fixture cannot tell a detector that keeps its state from one that does not.
 */
export async function checkRestarts(s: DetectorSubject, stores: TempStores, only?: RestartInput): Promise<string[]> {
  const out: string[] = [];
  for (const [label, batches] of restartInputs(fixtureBatches(s))) {
    if (only !== undefined && label !== only) continue;
    const expected: Finding[] = [];
    const first = await stores.open();
    await lifetime(s.make(first), batches, expected, first);
    let differsWithoutState = 0;
    for (let split = 0; split <= batches.length; split++) {
      const got = await splitRun((st: Store) => s.make(st), await stores.open(), batches, split);
      if (!isDeepStrictEqual(got, expected)) {
        out.push(violation('D5', `${s.type}: ${label}: restarted before batch ${split} of ${batches.length}: ${got.length} findings instead of ${expected.length}; keys ${describeDiff(alertKeys(expected), alertKeys(got))}`));
        break;
      }
      // Once most splits are known to need the state, the rest cannot change the verdict: skip their cold runs.
      if (differsWithoutState > batches.length / 2) continue;
      const cold: Finding[] = [];
      await lifetime(s.make(), batches.slice(0, split), cold);
      await lifetime(s.make(), batches.slice(split), cold);
      if (!isDeepStrictEqual(cold, expected)) differsWithoutState++;
    }
    if (differsWithoutState <= batches.length / 2) {
      out.push(violation('D5', `${s.type}: ${label}: without saved state ${batches.length + 1 - differsWithoutState} of ${batches.length + 1} restarts find the same, so the fixture cannot show that state survives; make its findings depend on history`));
    }
  }
  return out;
}

/** Saved state in memory, measured: what the store would hold for the detector. */
export class MeasuredState implements StateStore {
  readonly values = new Map<string, string>();
  async getState(key: string): Promise<unknown> {
    const v = this.values.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }
  async putState(key: string, value: unknown): Promise<void> {
    if (value === undefined || value === null) this.values.delete(key);
    else this.values.set(key, JSON.stringify(value));
  }
  bytes(): number {
    let n = 0;
    for (const [k, v] of this.values) n += k.length + v.length;
    return n;
  }
}

const WEEK = 7 * 86_400_000;

/** The fixture `copies` times over, each copy a whole number of weeks after the last (same entities, same weekdays), with ids of its own. */
export function repeated(events: readonly SecurityEvent[], copies: number): SecurityEvent[] {
  const times = events.map(eventTime);
  const span = Math.ceil((Math.max(...times) - Math.min(...times) + 86_400_000) / WEEK) * WEEK;
  const out: SecurityEvent[] = [];
  for (let c = 0; c < copies; c++) {
    for (const e of events) {
      out.push(c === 0 ? e : { ...e, '@timestamp': new Date(eventTime(e) + c * span).toISOString(), event: { ...e.event, id: `${e.event.id}~${c}` } });
    }
  }
  return out;
}

/**
 * Saved state after 2 and after 8 copies of the fixture (the same users, addresses and rules over
 * four times the events) may differ by what the detector learns, not by the number of events:
 * at most 25% more, plus 1 KiB.
 */
export async function checkBoundedState(s: DetectorSubject): Promise<string[]> {
  const measure = async (copies: number) => {
    const state = new MeasuredState();
    await runAll(s, batchesOf(repeated(s.fixture.events, copies), s.fixture.batchSize), state);
    return state.bytes();
  };
  const two = await measure(2);
  const eight = await measure(8);
  if (two === 0) return [violation('D6', `${s.type}: saved no state at all over its fixture, so nothing survives a restart`)];
  return eight > two * 1.25 + 1024 ? [violation('D6', `${s.type}: saved state grew from ${two} bytes after 2 copies of its fixture to ${eight} after 8, for the same entities`)] : [];
}

export async function checkFinalFlush(s: DetectorSubject): Promise<string[]> {
  const out: string[] = [];
  const batches = fixtureBatches(s);
  const want = alertKeys(await runAll(s, batches));
  // Everything observed, then one final flush with no watermark: the sources are exhausted, so all is judged.
  const d = s.make();
  const found: Finding[] = [];
  for (const e of s.fixture.events) found.push(...d.observe(e));
  await d.settle?.({});
  found.push(...d.flush({ final: true }));
  const got = alertKeys(found);
  if (!isDeepStrictEqual(got, want)) out.push(violation('D7', `${s.type}: one batch and a final flush without watermark: ${describeDiff(want, got)}`));
  const again = d.flush({ final: true }).filter((f) => !got.includes(dedupKey(f)));
  if (again.length) out.push(violation('D7', `${s.type}: a second final flush with nothing new observed raised ${again.length} new alert(s), e.g. ${dedupKey(again[0]!)}`));
  return out;
}

/** The same run with the system clock at two instants decades apart must report the same. */
export async function checkClock(s: DetectorSubject): Promise<string[]> {
  const at = async (iso: string) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date(iso));
      return await runAll(s, fixtureBatches(s));
    } finally {
      vi.useRealTimers();
    }
  };
  const a = await at('2001-02-03T04:05:06.000Z');
  const b = await at('2044-05-06T07:08:09.000Z');
  return isDeepStrictEqual(a, b) ? [] : [violation('D8', `${s.type}: findings changed with the system clock (${alertKeys(a).length} vs ${alertKeys(b).length} alerts); read time from events or PluginDeps.now`)];
}

/** The arrival orders restarts are tried in (see restartInputs). */
export const RESTART_INPUTS = ['one stream', 'beside a lagging stream', 'each batch newest first'] as const;
export type RestartInput = (typeof RESTART_INPUTS)[number];

export interface DetectorCheck {
  clause: DetectorClause;
  /** Test title: the clause, and the input where one clause is checked in parts. */
  title: string;
  run(s: DetectorSubject, stores: TempStores): Promise<string[]>;
  /** Restarts at every boundary run the fixture dozens of times over. */
  slow?: boolean;
}

const check = (clause: DetectorClause, run: DetectorCheck['run'], part?: string): DetectorCheck => ({
  clause,
  title: `${clause} ${DETECTOR_CLAUSES[clause]}${part ? ` (${part})` : ''}`,
  run,
  ...(clause === 'D5' ? { slow: true } : {}),
});

/** Every check, in clause order; the suite runs each as its own test. */
export const DETECTOR_CHECKS: DetectorCheck[] = [
  check('D1', checkFires),
  check('D2', checkDeterministic),
  check('D3', checkBatchBoundaries),
  check('D4', checkArrivalOrder),
  ...RESTART_INPUTS.map((input) => check('D5', (s, stores) => checkRestarts(s, stores, input), input)),
  check('D6', checkBoundedState),
  check('D7', checkFinalFlush),
  check('D8', checkClock),
];
