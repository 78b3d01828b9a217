/**
 * The offline oracle for windowed detection, and the arrival orders it is checked against: what a
 * correlation or threshold rule must find in a set of events, computed the slow, obvious way over
 * the events sorted by time; and deliveries of the same events as sources really make them.
 */
import type { Detector, Finding, SecurityEvent, Store } from '../core/index.js';
import { eventTime } from '../core/index.js';
import { eventWeight, ipOf, isLoginAttempt, userOf } from './fields.js';
import { compareTimed } from './event-order.js';
import { replayStored } from '../pipeline/pipeline.js';
import { Rng } from './random.js';
import { BruteForceDetector } from './brute-force/detector.js';
import { bruteForceConfigSchema } from './brute-force/config.js';
import type { StateStore } from './state.js';
import { testEvent } from './testing.js';
import { compileDetection } from './sigma/compile.js';
import { testCondition } from './sigma/correlation.js';
import { fieldFor } from './sigma/fields.js';
import { parseRuleText, type CorrelationRuleDef, type DetectionRuleDef, type RuleDef } from './sigma/loader.js';
import { SigmaEngine } from './sigma/engine.js';
import { scalarString } from './sigma/match.js';

/** What an alert is, for the invariant: its dedup key. */
export type AlertKey = string;

export const keyOf = (f: Pick<Finding, 'rule' | 'entity' | 'windowStart'>): AlertKey => `${f.rule}|${f.entity.value}|${new Date(f.windowStart).toISOString()}`;

interface Item {
  t: number;
  id: string;
  w: number;
  val?: string | undefined;
  /** Referenced rules matched (positions in the correlation's `rules`). */
  inputs: number[];
}

function groupValue(v: unknown): string | undefined {
  const s = scalarString(Array.isArray(v) ? v[0] : v);
  return s === undefined || s === '' ? undefined : s;
}

function sortItems(xs: Item[]): Item[] {
  return xs.sort(compareTimed);
}

/**
 * One burst at a time, as the detectors report: a burst starts at the first event whose window
 * satisfies the condition and lasts while events keep coming less than `span` apart; it is reported
 * once, with the window start found at its first event.
 */
function bursts(items: Item[], span: number, test: (i: number) => number | undefined): number[] {
  const starts: number[] = [];
  let last: number | undefined;
  for (let i = 0; i < items.length; i++) {
    const t = items[i]!.t;
    if (last !== undefined && t - last > span) last = undefined;
    if (last !== undefined) {
      last = Math.max(last, t);
      continue;
    }
    const ws = test(i);
    if (ws !== undefined) {
      starts.push(ws);
      last = t;
    }
  }
  return starts;
}

/** Alert keys a Sigma correlation rule must raise over these events, computed from the events sorted by time. */
export function oracleCorrelation(def: CorrelationRuleDef, all: readonly RuleDef[], events: readonly SecurityEvent[], clock: number): AlertKey[] {
  const refs = def.rules.map((ref) => all.find((r) => r.kind === 'detection' && (r.key === ref || r.id === ref || r.name === ref)) as DetectionRuleDef);
  const engines = refs.map((r) => new SigmaEngine([r]));
  const providers = refs.map((r) => compileDetection(r).logsource.providers);
  const fieldOf = (name: string, i: number) => {
    const alias = def.aliases[name];
    if (!alias) return name;
    for (const n of [def.rules[i]!, refs[i]!.key, refs[i]!.id, refs[i]!.name]) if (n !== undefined && alias[n] !== undefined) return alias[n]!;
    return name;
  };
  const groups = new Map<string, Item[]>();
  for (const e of events) {
    const t = eventTime(e);
    if (!Number.isFinite(t)) continue;
    const inputs = engines.map((en, i) => (en.matchingRules(e).length ? i : -1)).filter((i) => i >= 0);
    if (!inputs.length) continue;
    const first = inputs[0]!;
    const parts = def.groupBy.map((g) => groupValue(fieldFor(providers[first], fieldOf(g, first)).get(e)));
    if (parts.some((p) => p === undefined)) continue;
    const vf = def.condition?.field;
    const val = vf ? groupValue(fieldFor(providers[first], fieldOf(vf, first)).get(e)) : undefined;
    if (def.type === 'value_count' && val === undefined) continue;
    const key = parts.join('|') || def.key;
    const list = groups.get(key) ?? groups.set(key, []).get(key)!;
    list.push({ t, id: e.event.id, w: eventWeight(e), val, inputs });
  }
  const span = def.timespanMs;
  const c = def.condition;
  const monotone = def.type === 'temporal' || def.type === 'temporal_ordered' || !c || (c.lt === undefined && c.lte === undefined && c.eq === undefined && c.neq === undefined);
  const out: AlertKey[] = [];
  const emit = (key: string, ws: number) => out.push(`${def.key}|${key}|${new Date(ws).toISOString()}`);
  for (const [key, raw] of groups) {
    const items = sortItems(raw);
    if (def.type === 'event_count' || def.type === 'value_count') {
      const measure = (ws: Item[]) => (def.type === 'value_count' ? new Set(ws.map((x) => x.val)).size : ws.reduce((n, x) => n + x.w, 0));
      if (monotone) {
        for (const ws of bursts(items, span, (i) => {
          const win = items.slice(0, i + 1).filter((x) => x.t > items[i]!.t - span);
          return testCondition(c, measure(win), 1) ? win[0]!.t : undefined;
        })) emit(key, ws);
      } else {
        // Tumbling windows from each window's first event, judged once closed: by a later event, or by the clock.
        let i = 0;
        while (i < items.length) {
          const start = items[i]!.t;
          let j = i;
          while (j < items.length && items[j]!.t < start + span) j++;
          const closed = j < items.length || start + span <= clock;
          if (closed && testCondition(c, measure(items.slice(i, j)), 1)) emit(key, start);
          i = j;
        }
      }
    } else if (def.type === 'temporal') {
      const n = def.rules.length;
      for (const ws of bursts(items, span, (i) => {
        const t = items[i]!.t;
        // The latest match of each referenced rule up to this event, within the timespan.
        const latest: number[] = [];
        for (let r = 0; r < n; r++) {
          let best: number | undefined;
          for (let j = 0; j <= i; j++) if (items[j]!.inputs.includes(r) && items[j]!.t >= t - span) best = items[j]!.t;
          if (best !== undefined) latest.push(best);
        }
        return testCondition(c, latest.length, n) ? Math.min(...latest) : undefined;
      })) emit(key, ws);
    } else {
      // temporal_ordered: a chain of the rules in order, each at or after the one before, all within
      // the timespan of its start; of the chains ending at an event, the one that started latest.
      const n = def.rules.length;
      for (const ws of bursts(items, span, (i) => {
        if (!items[i]!.inputs.includes(n - 1)) return undefined;
        let best: number | undefined;
        const chain = (step: number, upTo: number, next: number, start: number | undefined): void => {
          if (step < 0) {
            if (start !== undefined && items[i]!.t - start <= span && (best === undefined || start > best)) best = start;
            return;
          }
          for (let j = upTo; j >= 0; j--) {
            if (!items[j]!.inputs.includes(step) || items[j]!.t > next) continue;
            chain(step - 1, j - 1, items[j]!.t, items[j]!.t);
          }
        };
        if (n === 1) best = items[i]!.t;
        else chain(n - 2, i - 1, items[i]!.t, undefined);
        return best;
      })) emit(key, ws);
    }
  }
  return out;
}

/** Alert keys the brute-force detector must raise: weighted failures per entity in a sliding window, from the events sorted by time. */
export function oracleBruteForce(opts: { threshold: number; window: number; groupBy: ReadonlyArray<'source.ip' | 'user'> }, events: readonly SecurityEvent[]): AlertKey[] {
  const out: AlertKey[] = [];
  for (const field of opts.groupBy) {
    const groups = new Map<string, Item[]>();
    for (const e of events) {
      if (!isLoginAttempt(e) || e.event.outcome !== 'failure') continue;
      const t = eventTime(e);
      const v = field === 'source.ip' ? ipOf(e) : userOf(e);
      if (!Number.isFinite(t) || v === undefined) continue;
      (groups.get(v) ?? groups.set(v, []).get(v)!).push({ t, id: e.event.id, w: eventWeight(e), inputs: [] });
    }
    for (const [value, raw] of groups) {
      const items = sortItems(raw);
      for (const ws of bursts(items, opts.window, (i) => {
        const win = items.slice(0, i + 1).filter((x) => x.t > items[i]!.t - opts.window);
        return win.reduce((n, x) => n + x.w, 0) >= opts.threshold ? win[0]!.t : undefined;
      })) out.push(`brute-force|${value}|${new Date(ws).toISOString()}`);
    }
  }
  return out;
}

/** One batch as a source delivers it, with the promise it makes once committed. */
export interface Delivery {
  source: string;
  events: SecurityEvent[];
  watermark?: number;
}

/** How a source hands over its events (see `deliver`). */
export type Order =
  | { kind: 'sorted' }
  /** Slices of event time read oldest first, each slice's pages newest first (Google Reports, Graph). */
  | { kind: 'newest-first-pages'; sliceMs: number }
  /** Every event up to `latenessMs` late, in no order within that (Dropbox, a log shipper). */
  | { kind: 'late'; latenessMs: number }
  /** Everything in any order, with no promise until the end (a file read whole). */
  | { kind: 'shuffled' };

const sortByTime = (xs: SecurityEvent[]) => xs.sort((a, b) => compareTimed({ t: eventTime(a), id: a.event.id }, { t: eventTime(b), id: b.event.id }));

/** Splits a list into batches of random sizes between 1 and `max`. */
function randomBatches<T>(xs: T[], rng: Rng, max: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; ) {
    const n = 1 + rng.int(max);
    out.push(xs.slice(i, i + n));
    i += n;
  }
  return out;
}

/**
 * The batches one source yields for `events` in the given order, each with the watermark a source
 * of that kind would promise. Ends with the source exhausted (no promise holds anything back).
 */
export function deliver(source: string, events: readonly SecurityEvent[], order: Order, rng: Rng, maxBatch: number): Delivery[] {
  const sorted = sortByTime([...events]);
  const out: Delivery[] = [];
  switch (order.kind) {
    case 'sorted': {
      for (const b of randomBatches(sorted, rng, maxBatch)) out.push({ source, events: b, watermark: eventTime(b.at(-1)!) });
      break;
    }
    case 'newest-first-pages': {
      if (!sorted.length) break;
      const first = eventTime(sorted[0]!);
      const slices = new Map<number, SecurityEvent[]>();
      for (const e of sorted) {
        const s = Math.floor((eventTime(e) - first) / order.sliceMs);
        (slices.get(s) ?? slices.set(s, []).get(s)!).push(e);
      }
      for (const [s, xs] of [...slices].sort((a, b) => a[0] - b[0])) {
        const pages = randomBatches(xs.reverse(), rng, maxBatch);
        pages.forEach((p, i) => out.push({ source, events: p, ...(i === pages.length - 1 ? { watermark: first + (s + 1) * order.sliceMs } : {}) }));
      }
      break;
    }
    case 'late': {
      // Each event is read some time after it happened, up to the lateness; the source promises
      // what can no longer arrive: everything older than its reading time less the lateness.
      const arrivals = sorted.map((e) => ({ e, at: eventTime(e) + rng.uniform(0, order.latenessMs) })).sort((a, b) => a.at - b.at);
      let i = 0;
      while (i < arrivals.length) {
        const n = 1 + rng.int(maxBatch);
        const b = arrivals.slice(i, i + n);
        i += n;
        out.push({ source, events: b.map((x) => x.e), watermark: b.at(-1)!.at - order.latenessMs });
      }
      break;
    }
    case 'shuffled': {
      const xs = [...sorted];
      rng.shuffle(xs);
      for (const b of randomBatches(xs, rng, maxBatch)) out.push({ source, events: b });
      break;
    }
  }
  return out;
}

/** Interleaves several sources' deliveries at random, each keeping its own order, as sources polled side by side do. */
export function interleave(streams: Delivery[][], rng: Rng): Delivery[] {
  const queues = streams.map((s) => [...s]);
  const out: Delivery[] = [];
  for (;;) {
    const live = queues.filter((q) => q.length);
    if (!live.length) return out;
    out.push(rng.pick(live).shift()!);
  }
}

/** Where time stands once every input is exhausted: just past the newest event (see pipeline/watermarks.ts). */
export function exhausted(events: readonly SecurityEvent[]): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const e of events) newest = Math.max(newest, eventTime(e));
  return newest + 1;
}

/** The pipeline's watermark over deliveries: the oldest promise among sources not yet exhausted (see pipeline/watermarks.ts). */
export function watermarksOf(deliveries: Delivery[]): number[] {
  const sources = [...new Set(deliveries.map((d) => d.source))];
  const promised = new Map<string, number>(sources.map((s) => [s, Number.NEGATIVE_INFINITY]));
  const declares = new Set(deliveries.filter((d) => d.watermark !== undefined).map((d) => d.source));
  const remaining = new Map<string, number>();
  for (const d of deliveries) remaining.set(d.source, (remaining.get(d.source) ?? 0) + 1);
  return deliveries.map((d) => {
    if (d.watermark !== undefined) promised.set(d.source, Math.max(promised.get(d.source)!, d.watermark));
    remaining.set(d.source, remaining.get(d.source)! - 1);
    // A source that never promises is exhausted after its last batch; one that does keeps its promise.
    if (remaining.get(d.source) === 0 && !declares.has(d.source)) promised.delete(d.source);
    let min = Number.POSITIVE_INFINITY;
    for (const w of promised.values()) min = Math.min(min, w);
    return min === Number.POSITIVE_INFINITY ? exhausted(deliveries.flatMap((x) => x.events)) : min;
  });
}

/**
 * Drives a detector the way the pipeline does (observe each event, settle, flush to the watermark,
 * save, store the events) over the deliveries, restarting it before each batch index in `restarts`
 * (a stopped run: the final flush at the watermark so far, then a new instance restoring from the
 * store and taking back the stored events it held). Returns every finding made.
 */
export async function drive(make: (store: Store | undefined) => Detector, deliveries: Delivery[], opts: { restarts?: ReadonlySet<number>; store?: Store } = {}): Promise<Finding[]> {
  const marks = watermarksOf(deliveries);
  const out: Finding[] = [];
  let d = make(opts.store);
  await d.restore?.();
  let watermark = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < deliveries.length; i++) {
    if (opts.restarts?.has(i)) {
      await d.settle?.({ watermark });
      out.push(...d.flush({ final: true, watermark }));
      await d.persist?.();
      d = make(opts.store);
      await d.restore?.();
      if (opts.store) await replayStored(opts.store, [d]);
    }
    for (const e of deliveries[i]!.events) out.push(...d.observe(e));
    watermark = marks[i]!;
    await d.settle?.({ watermark });
    out.push(...d.flush({ final: false, watermark }));
    await d.persist?.();
    await opts.store?.commitBatch({ source: 'test', events: deliveries[i]!.events });
  }
  // The run ends with every source exhausted, as a file ingest does.
  const end = exhausted(deliveries.flatMap((x) => x.events));
  await d.settle?.({ watermark: end });
  out.push(...d.flush({ final: true, watermark: end }));
  await d.persist?.();
  return out;
}

/** The distinct alert keys of some findings, sorted. */
export function alertKeys(findings: readonly Pick<Finding, 'rule' | 'entity' | 'windowStart'>[]): AlertKey[] {
  return [...new Set(findings.map(keyOf))].sort();
}

const MIN = 60_000;

// The scenario both property tests (detectors alone, and the whole pipeline) draw from.

/** Base rules and one correlation of every kind, with thresholds low enough that random bursts cross them. */
export const ORDER_RULES = `
title: Failed login
name: failed
logsource: { category: authentication }
detection:
  sel: { event.action: login, event.outcome: failure }
  condition: sel
level: low
---
title: Successful login
name: succeeded
logsource: { category: authentication }
detection:
  sel: { event.action: login, event.outcome: success }
  condition: sel
level: low
---
title: Download
name: download
logsource: { product: test }
detection:
  sel: { event.action: download }
  condition: sel
level: low
---
title: Failures from one address
name: brute_ip
correlation: { type: event_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { gte: 5 } }
level: high
---
title: Failures for many accounts from one address
name: spray_ip
correlation: { type: value_count, rules: [failed], group-by: [source.ip], timespan: 15m, condition: { field: user.email, gte: 3 } }
level: high
---
title: Mass download
name: mass_download
correlation: { type: event_count, rules: [download], group-by: [user.email], timespan: 20m, condition: { gte: 6 } }
level: high
---
title: Failed then succeeded
name: failed_then_ok
correlation: { type: temporal, rules: [failed, succeeded], group-by: [user.email], timespan: 5m }
level: medium
---
title: Failed, succeeded, downloaded
name: takeover_chain
correlation: { type: temporal_ordered, rules: [failed, succeeded, download], group-by: [user.email], timespan: 30m }
level: high
---
title: Quiet address
name: quiet_ip
correlation: { type: event_count, rules: [succeeded], group-by: [source.ip], timespan: 30m, condition: { lt: 2 } }
level: low
`;
export const ORDER_DEFS: RuleDef[] = parseRuleText(ORDER_RULES, 'order.yml', 'rules/order');
export const ORDER_CORRELATIONS = ORDER_DEFS.filter((d): d is CorrelationRuleDef => d.kind === 'correlation');
export const ORDER_BRUTE_FORCE = { threshold: 5, window: 10 * MIN, groupBy: ['source.ip', 'user'] as const };

/**
 * Background activity plus bursts near every threshold: clusters of failures, downloads and
 * failed-then-successful logins whose size and spread straddle the rules, so the window a burst is
 * judged in depends on exactly which events it holds.
 */
export function orderScenario(seed: number): SecurityEvent[] {
  const rng = new Rng(`order:${seed}`);
  const t0 = Date.parse('2026-03-02T00:00:00Z') + rng.int(7) * 86_400_000 + rng.int(24) * 3_600_000;
  const users = Array.from({ length: 6 }, (_, i) => `u${i}@example.com`);
  const ips = Array.from({ length: 6 }, (_, i) => `198.51.100.${i + 1}`);
  const span = 6 * 60 * MIN;
  const out: SecurityEvent[] = [];
  let nonce = 0;
  const add = (time: number, user: string, ip: string, action: string, outcome: 'success' | 'failure' = 'success', count?: number) =>
    out.push(testEvent({ time, user, ip, action, outcome, nonce: nonce++, ...(count ? { count } : {}), ...(action === 'download' ? { category: ['file'] } : {}) }));
  for (let i = 0; i < 120; i++) {
    const r = rng.next();
    add(t0 + rng.int(span), rng.pick(users), rng.pick(ips), r < 0.6 ? 'login' : 'download', r < 0.15 ? 'failure' : 'success');
  }
  for (let b = 0; b < 2 + rng.int(5); b++) {
    const at = t0 + rng.int(span);
    const ip = rng.pick(ips);
    const kind = rng.int(3);
    const n = 3 + rng.int(6);
    const spread = rng.uniform(2, 25) * MIN;
    for (let i = 0; i < n; i++) {
      const t = at + Math.floor(rng.uniform(0, spread));
      const user = kind === 0 ? rng.pick(users.slice(0, 2)) : rng.pick(users);
      if (kind === 2) add(t, user, ip, 'download');
      else add(t, user, ip, 'login', 'failure', rng.chance(0.1) ? 2 : undefined);
    }
    if (kind !== 2 && rng.chance(0.6)) {
      const user = rng.pick(users);
      add(at + spread + rng.int(3 * MIN), user, ip, 'login', 'success');
      for (let i = 0; i < rng.int(4); i++) add(at + spread + (i + 1) * 2 * MIN, user, ip, 'download');
    }
  }
  // Ties on time: two events in the same millisecond must count the same whichever arrives first.
  const twin = out[rng.int(out.length)]!;
  add(Date.parse(twin['@timestamp']), twin.user!.email!, twin.source!.ip!, twin.event.action, twin.event.outcome === 'failure' ? 'failure' : 'success');
  return out;
}

/** Sigma over ORDER_RULES and brute-force as ORDER_BRUTE_FORCE says, each saving to `state` when given. */
export function orderDetectors(state: StateStore | undefined): Detector[] {
  return [
    new SigmaEngine(ORDER_DEFS, {}, state ? { state } : {}),
    new BruteForceDetector(bruteForceConfigSchema.parse({ threshold: ORDER_BRUTE_FORCE.threshold, window: '10m' }), state ? { state } : {}),
  ];
}

/**
 * The oracle's alert keys for ORDER_RULES and ORDER_BRUTE_FORCE. `clock` is how far event time got
 * in the end (a poller's last promise may lie past the newest event), which decides whether a
 * "fewer than" window has closed.
 */
export function orderExpected(events: readonly SecurityEvent[], clock = exhausted(events)): AlertKey[] {
  return [...ORDER_CORRELATIONS.flatMap((c) => oracleCorrelation(c, ORDER_DEFS, events, clock)), ...oracleBruteForce(ORDER_BRUTE_FORCE, events)].sort();
}

/** The same events split among three sources (logins, downloads, and a share of both), each delivering in its own way. */
export function arrivals(events: SecurityEvent[], rng: Rng, orders: [Order, Order, Order], maxBatch: number): Delivery[] {
  const parts: SecurityEvent[][] = [[], [], []];
  for (const e of events) parts[rng.chance(0.25) ? 2 : e.event.action === 'download' ? 1 : 0]!.push(e);
  return interleave(parts.map((p, i) => deliver(`s${i}`, p, orders[i]!, rng, maxBatch)), rng);
}

export const anOrder = (rng: Rng): Order => {
  switch (rng.int(4)) {
    case 0:
      return { kind: 'sorted' };
    case 1:
      return { kind: 'newest-first-pages', sliceMs: rng.pick([15, 60, 240]) * MIN };
    case 2:
      return { kind: 'late', latenessMs: rng.pick([5, 30, 90]) * MIN };
    default:
      return { kind: 'shuffled' };
  }
};
