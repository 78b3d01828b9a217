/** Streaming evaluation of Sigma v2 correlation rules (event_count, value_count, temporal, temporal_ordered) in event-time order, with bounded per-group state and replay-stable window starts. */
import type { Entity, Finding, SecurityEvent, Severity } from '../../core/index.js';
import { eventWeight } from '../fields.js';
import { decodeTimes, decodeWeights, derefs, encodeTimes, encodeWeights, isFinding, num, optDerefs, optRefs, refs, type Intern, type LogPart, type Resolve, type WindowLog } from '../window-log.js';
import { dueIndices, EventClock, keepNotDue } from '../event-order.js';
import { fieldFor, type FieldGetter } from './fields.js';
import { scalarString } from './match.js';
import type { CorrelationCondition, CorrelationRuleDef } from './loader.js';

/** Distinct values remembered per burst for value_count reports; the live window count is exact regardless. */
const MAX_DISTINCT = 10_000;
const COMPACT_AT = 512;

export interface CorrelationOptions {
  severity: Severity;
  maxEvidence: number;
  maxGroups: number;
  /** Name of the rule's saved state: its key, made unique by the engine. */
  stateName?: string;
  /** Hash of what the saved windows depend on (see SigmaEngine); state saved under another is discarded. */
  stateHash?: string;
}

/** A referenced rule as the correlation sees it: its providers decide how group-by names resolve. */
export interface CorrelationInput {
  /** The referenced rule's key, id or name as written in `rules:`. */
  ref: string;
  /** The referenced rule's own id or name, for alias lookups. */
  names: string[];
  providers: string[] | undefined;
}

const USER_FIELDS = new Set(['user', 'user.email', 'user.name', 'user.id', 'actor.email', 'email', 'principalemail', 'target.user.email']);
const IP_FIELDS = new Set(['source.ip', 'ip', 'ipaddress', 'ip_address', 'callerip', 'src_ip', 'client_ip', 'origin.geo_location.ip_address']);

/** Entity type of a group-by field as findings name it: `user`, `ip`, or the field itself. */
export function entityTypeOf(field: string): string {
  const f = field.toLowerCase();
  if (USER_FIELDS.has(f) || f.startsWith('user.')) return 'user';
  if (IP_FIELDS.has(f)) return 'ip';
  return field;
}

export function testCondition(c: CorrelationCondition | undefined, n: number, dflt: number): boolean {
  // Runs for every event a sliding window takes, so it must not allocate (no array of bounds to scan).
  if (!c || (c.gt === undefined && c.gte === undefined && c.lt === undefined && c.lte === undefined && c.eq === undefined && c.neq === undefined)) return n >= dflt;
  return (
    (c.gt === undefined || n > c.gt) &&
    (c.gte === undefined || n >= c.gte) &&
    (c.lt === undefined || n < c.lt) &&
    (c.lte === undefined || n <= c.lte) &&
    (c.eq === undefined || n === c.eq) &&
    (c.neq === undefined || n !== c.neq)
  );
}

export function describeCondition(c: CorrelationCondition | undefined): string {
  if (!c) return 'all rules';
  const sym: Record<string, string> = { gt: '>', gte: '≥', lt: '<', lte: '≤', eq: '=', neq: '≠' };
  return Object.entries(c)
    .filter(([k, v]) => k in sym && v !== undefined)
    .map(([k, v]) => `${sym[k]} ${v}`)
    .join(' and ');
}

/** Only lower bounds (gt/gte): more events never undo a match, so it can fire the moment it holds. */
function isMonotone(c: CorrelationCondition | undefined): boolean {
  return !c || (c.lt === undefined && c.lte === undefined && c.eq === undefined && c.neq === undefined);
}

/** A run of matching activity for one group that satisfied the condition; refreshed, not re-reported, while it lasts. */
interface Burst {
  windowStart: number;
  last: number;
  events: number;
  /** Largest measure (count, distinct values, rules) seen in one window during the burst. */
  peak: number;
  evidence: string[];
  distinct: Set<string>;
}

/**
 * Per-group state. Most groups in a real stream (and in the bench: one per random source address)
 * see one or two events and are then swept, so everything beyond the key is allocated on first use:
 * a class keeps one hidden class for all groups, and the window arrays, distinct-value map and
 * temporal slots exist only for groups and rule types that need them. This is what keeps the
 * garbage collector, not the rules, from dominating throughput.
 */
class Group {
  lastT = Number.NEGATIVE_INFINITY;
  burst: Burst | undefined = undefined;
  // Sliding window (event_count, value_count). A group that has only ever held one event at a time
  // keeps it inline (one = true); the second concurrent event moves the window into time-sorted
  // parallel arrays with a head index, which the group then keeps.
  one = false;
  t0 = 0;
  id0 = '';
  w0 = 0;
  v0: string | undefined = undefined;
  times: number[] | undefined = undefined;
  ids: string[] | undefined = undefined;
  weights: number[] | undefined = undefined;
  vals: Array<string | undefined> | undefined = undefined;
  head = 0;
  sum = 0;
  maxT = Number.NEGATIVE_INFINITY;
  // value_count: live count per distinct value. A single value is kept inline (dv, dc); the second
  // distinct value moves the counts into a Map, which the group then keeps.
  dv: string | undefined = undefined;
  dc = 0;
  valCounts: Map<string, number> | undefined = undefined;
  // Tumbling window (upper-bound conditions): opens at its first event.
  tumble: { start: number; last: number; events: number; evidence: string[]; distinct: Set<string> } | undefined = undefined;
  // temporal: latest match per referenced rule; temporal_ordered: best chain per step. Created on first use, one slot per rule.
  seen: Array<{ t: number; id: string } | undefined> | undefined = undefined;
  chain: Array<{ start: number; t: number; ids: string[] } | undefined> | undefined = undefined;
  // Saved-state bookkeeping (see WindowLog): creation order, which the group Map's order is and a
  // restore must rebuild, and where the latest saved copy is.
  seq = 0;
  seg = 0;
  changed = false;
  readonly key: string;
  constructor(key: string) {
    this.key = key;
  }
}

/** Saved form of a group (see encode): short keys, because a pack with many rules keeps many groups. */
interface GroupRecord {
  k: string;
  /** Creation order. */
  q: number;
  /** Newest event time of the group, when it differs from m. */
  l?: number;
  /** Newest time in the sliding window so far (it outlives the events themselves). */
  m?: number;
  /** Sliding window, oldest first (see encodeTimes); event ids, weights when not all 1, counted values. Strings are string-table indexes. */
  t?: number[];
  i?: number[];
  w?: number[];
  v?: Array<number | null>;
  /** Burst and tumbling window: start, last, events, peak (burst only), evidence, distinct values. */
  b?: unknown[];
  u?: unknown[];
  /** temporal: latest [time, id] per rule; temporal_ordered: [start, time, ids] per step. */
  s?: Array<[number, number] | null>;
  c?: Array<[number, number, number[]] | null>;
  /** Position among the groups owing a report, when the group does. */
  d?: number;
}

interface CorrelationMeta {
  /** The event clock (see EventClock). */
  k: ReturnType<EventClock['toJSON']>;
  /** What the last sweep went by: the creation counter and the clock then. */
  s: number;
  c: number | null;
  n: number | null;
  q: number;
  /** Final reports of ended bursts not yet handed over by flush. */
  p?: Finding[];
  /** Oldest event still queued: the stored events from there on are handed back after a restart (see resumeFrom). */
  o?: number;
}

function decodeSpan(x: unknown, nums: number, resolve: Resolve): { nums: number[]; evidence: string[]; distinct: Set<string> } | undefined {
  if (!Array.isArray(x) || (x.length !== nums + 1 && x.length !== nums + 2)) return undefined;
  const out: number[] = [];
  for (let i = 0; i < nums; i++) {
    const v = num(x[i]);
    if (v === undefined) return undefined;
    out.push(v);
  }
  const evidence = derefs(x[nums], resolve);
  const distinct = x.length === nums + 2 ? derefs(x[nums + 1], resolve) : [];
  if (!evidence || !distinct) return undefined;
  return { nums: out, evidence, distinct: new Set(distinct) };
}

export interface CorrelationStats {
  groups: number;
  activeBursts: number;
  evicted: number;
  /** Events queued for the watermark. */
  queued: number;
  /** Events that arrived after the watermark had passed their time (later than their source promised). */
  late: number;
}

/**
 * Why windowStart is the first event of the window that satisfied the condition: it is a pure
 * function of the event sequence (so a replay or a re-run after a crash reproduces the dedup key
 * rule + entity + windowStart), and a burst keeps that start until its group has been quiet for a
 * whole timespan, so one attack is one alert however long it lasts.
 *
 * Why events queue before they count: that sequence must be the events in time order, whatever
 * order they arrive in (see event-order.ts). observe() only files an event under its group;
 * advance() applies every queued event before the watermark, group by group in (time, id) order.
 */
export class CorrelationState implements LogPart<Group> {
  readonly def: CorrelationRuleDef;
  readonly name: string;
  readonly hash: string;
  readonly #opts: CorrelationOptions;
  readonly #span: number;
  readonly #monotone: boolean;
  readonly #temporalType: boolean;
  /** Per input: group-by getters (aliases applied) and, for value_count, the counted field. */
  readonly #groupGetters: FieldGetter[][];
  readonly #valueGetters: Array<FieldGetter | undefined>;
  readonly #entityType: string;
  #groups = new Map<string, Group>();
  // Events waiting for the watermark, in arrival order, as parallel arrays: an object per event
  // per rule is what the garbage collector would spend its time on. advance() applies the due ones
  // sorted by (time, id), so their order, and the order reports come out in, depends on the events alone.
  #qt: number[] = [];
  #qid: string[] = [];
  #qk: string[] = [];
  #qw: number[] = [];
  #qval: Array<string | undefined> = [];
  #qin: Array<number[] | undefined> = [];
  /** Restored: the oldest event queued at the last save, from which stored events are handed back. */
  #resumeFrom: number | undefined;
  /** Groups with an open tumbling window: each closes as soon as the clock passes its end. */
  readonly #tumbling = new Set<Group>();
  readonly #dirty = new Set<Group>();
  /** Findings made while applying events (new bursts, closed tumbling windows), handed over by flush. */
  #found: Finding[] = [];
  /** Final refreshes of bursts that ended since the last flush. */
  #refreshes: Finding[] = [];
  readonly #time = new EventClock();
  /** The last sweep's creation counter and clock: what a restore needs to leave out exactly the groups it dropped. */
  #sweptSeq = 0;
  #sweptAt = Number.NEGATIVE_INFINITY;
  #nextSweep = Number.NEGATIVE_INFINITY;
  #evicted = 0;
  #late = 0;
  /** Set once state is saved: only then are changed groups queued, so a run without a store keeps no list. */
  #log: WindowLog | undefined;
  #changed: Group[] = [];
  #seq = 0;
  /** Groups decoded as owing a report, with their order, until restore() adopts them. */
  #restoredDirty = new Map<Group, number>();
  /** Position of each reportable group in #dirty, computed when a save starts (see takeChanged). */
  #dirtyPos: Map<Group, number> | undefined;

  constructor(def: CorrelationRuleDef, inputs: CorrelationInput[], opts: CorrelationOptions) {
    this.def = def;
    this.name = opts.stateName ?? def.key;
    this.hash = opts.stateHash ?? '';
    this.#opts = opts;
    this.#span = def.timespanMs;
    this.#temporalType = def.type === 'temporal' || def.type === 'temporal_ordered';
    this.#monotone = this.#temporalType || isMonotone(def.condition);
    const fieldOf = (name: string, input: CorrelationInput) => {
      const alias = def.aliases[name];
      if (!alias) return name;
      for (const n of [input.ref, ...input.names]) if (alias[n] !== undefined) return alias[n]!;
      return name;
    };
    this.#groupGetters = inputs.map((input) => def.groupBy.map((g) => fieldFor(input.providers, fieldOf(g, input)).get));
    const vf = def.condition?.field;
    this.#valueGetters = inputs.map((input) => (vf ? fieldFor(input.providers, fieldOf(vf, input)).get : undefined));
    const types = def.groupBy.map(entityTypeOf);
    this.#entityType = types.length === 0 ? 'rule' : types.length === 1 ? types[0]! : types.join('+');
  }

  /** Queues one event that matched the referenced rules at the given input positions; it counts once the watermark passes it. */
  observe(e: SecurityEvent, t: number, inputs: number[]): void {
    const first = inputs[0]!;
    const getters = this.#groupGetters[first]!;
    // One group-by field (the usual case) keys by its value directly: no array or join per event.
    let key = '';
    for (let i = 0; i < getters.length; i++) {
      const v = groupValue(getters[i]!(e));
      // Sigma leaves events without the group-by field out of the correlation.
      if (v === undefined) return;
      key = i === 0 ? v : `${key}\u0000${v}`;
    }
    const vget = this.#valueGetters[first];
    const val = vget ? groupValue(vget(e)) : undefined;
    if (this.def.type === 'value_count' && val === undefined) return;
    if (t < this.#time.frontier) this.#late++;
    // Queued under its key: its group is looked up, or made, when it is applied, so which groups
    // exist (and which a cap evicts) follows event time, not arrival. Not saved either: a queued
    // event is in the store, and comes back by replay() after a restart.
    this.#qt.push(t);
    this.#qid.push(e.event.id);
    this.#qk.push(key);
    this.#qw.push(eventWeight(e));
    this.#qval.push(val);
    this.#qin.push(this.#temporalType ? inputs : undefined);
  }

  /** Where the stored events it held at the last save begin; undefined when it held none (see Detector.resumeFrom). */
  resumeFrom(): number | undefined {
    return this.#resumeFrom;
  }

  /** Queues a stored event again after a restart, unless it was judged before the save (it is older than the frontier). */
  replay(e: SecurityEvent, t: number, inputs: number[]): void {
    if (this.#resumeFrom === undefined || t < this.#resumeFrom || t < this.#time.frontier) return;
    this.observe(e, t, inputs);
  }

  /**
   * Applies every queued event before the watermark, each group's in (time, id) order, then closes
   * the tumbling windows and drops the idle groups the new clock allows. An event that arrived after
   * the watermark had passed it (later than its source promised) is applied with the next ones: it
   * still counts, but a window already judged is not judged again.
   */
  advance(watermark: number): void {
    const time = this.#time;
    time.advance(watermark);
    const frontier = time.frontier;
    const qt = this.#qt;
    const due = dueIndices(qt, this.#qid, frontier);
    if (due.length) {
      const qk = this.#qk;
      for (const i of due) {
        const t = qt[i]!;
        // Everything before t is applied now: idle groups can go as the applied events reach them,
        // which keeps a long release (a whole file at its end) within the group cap as it goes.
        if (t >= this.#nextSweep) this.#sweep(t);
        const key = qk[i]!;
        let g = this.#groups.get(key);
        if (!g) {
          if (this.#groups.size >= this.#opts.maxGroups) this.#evictOldest();
          g = new Group(key);
          g.seq = ++this.#seq;
          this.#groups.set(key, g);
        }
        this.#apply(g, t, this.#qid[i]!, this.#qw[i]!, this.#qval[i], this.#qin[i]);
        if (this.#log !== undefined && !g.changed) this.markChanged(g);
      }
      keepNotDue(qt, frontier, [this.#qid, qk, this.#qw, this.#qval, this.#qin, qt]);
    }
    const clock = time.tick();
    if (this.#tumbling.size && Number.isFinite(clock)) {
      // By window start, then key: an order that does not depend on when groups were made.
      for (const g of [...this.#tumbling].sort((a, b) => a.tumble!.start - b.tumble!.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
        if (g.tumble!.start + this.#span > clock) continue;
        const f = this.#closeTumble(g);
        if (f) this.#found.push(f);
        if (this.#log !== undefined && !g.changed) this.markChanged(g);
      }
    }
    if (clock >= this.#nextSweep) this.#sweep(clock);
  }

  #apply(g: Group, t: number, id: string, w: number, val: string | undefined, inputs: number[] | undefined): void {
    this.#time.applied(t);
    if (t > g.lastT) g.lastT = t;
    let found: Finding | undefined;
    switch (this.def.type) {
      case 'event_count':
      case 'value_count':
        found = this.#monotone ? this.#slide(g, t, id, w, val) : this.#tumble(g, t, id, w, val);
        break;
      case 'temporal':
        found = this.#temporal(g, t, id, inputs!);
        break;
      case 'temporal_ordered':
        found = this.#ordered(g, t, id, inputs!);
        break;
    }
    if (found) this.#found.push(found);
  }

  flush(): Finding[] {
    const out = this.#found.length || this.#refreshes.length ? [...this.#found, ...this.#refreshes] : [];
    this.#found = [];
    this.#refreshes = [];
    for (const g of this.#dirty) {
      if (g.burst) out.push(this.#finding(g, g.burst));
      // Whether a group still owes a report is part of its saved copy.
      if (this.#log !== undefined && !g.changed) this.markChanged(g);
    }
    this.#dirty.clear();
    return inReportOrder(out);
  }

  stats(): CorrelationStats {
    let active = 0;
    for (const g of this.#groups.values()) if (g.burst) active++;
    return { groups: this.#groups.size, activeBursts: active, evicted: this.#evicted, queued: this.#qt.length, late: this.#late };
  }

  /** Starts queueing changed groups for the log; before this nothing is tracked. */
  attach(log: WindowLog): void {
    this.#log = log;
  }

  markChanged(g: Group): void {
    g.changed = true;
    this.#changed.push(g);
  }

  /** The log calls this first in a save, so it is also where the order of pending reports is taken. */
  takeChanged(): Group[] {
    const out = this.#changed;
    this.#changed = [];
    this.#dirtyPos = undefined;
    if (this.#dirty.size) {
      let i = 0;
      this.#dirtyPos = new Map();
      for (const g of this.#dirty) this.#dirtyPos.set(g, ++i);
    }
    return out;
  }

  holds(g: Group): boolean {
    return this.#groups.get(g.key) === g;
  }

  groups(): IterableIterator<Group> {
    return this.#groups.values();
  }

  /**
   * What a sweep at `clock` drops: no open tumbling window, and quiet for two timespans (one for
   * the burst to end, one of slack). Nothing before the clock is still to be applied (within the
   * sources' lateness), so a group made afresh for a later event counts exactly as this one would,
   * queued events of its key included.
   */
  #idle(g: Group, clock: number): boolean {
    return (g.tumble === undefined || g.tumble.start + this.#span <= clock) && g.lastT <= clock - 2 * this.#span;
  }

  meta(): CorrelationMeta | undefined {
    if (this.#seq === 0 && this.#time.frontier === Number.NEGATIVE_INFINITY && this.#qt.length === 0) return undefined;
    const fin = (x: number) => (Number.isFinite(x) ? x : null);
    const m: CorrelationMeta = { k: this.#time.toJSON(), n: fin(this.#nextSweep), q: this.#seq, s: this.#sweptSeq, c: fin(this.#sweptAt) };
    if (this.#refreshes.length) m.p = this.#refreshes.slice();
    if (this.#qt.length) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const t of this.#qt) if (t < oldest) oldest = t;
      m.o = oldest;
    }
    return m;
  }

  encode(g: Group, intern: Intern): GroupRecord {
    const r: GroupRecord = { k: g.key, q: g.seq };
    // lastT is the window's newest time unless the group also saw a late or unwindowed event.
    if (g.maxT !== Number.NEGATIVE_INFINITY) {
      r.m = g.maxT;
      if (g.lastT !== g.maxT) r.l = g.lastT;
    } else if (Number.isFinite(g.lastT)) r.l = g.lastT;
    const times = g.times;
    if (times !== undefined) {
      if (g.head < times.length) {
        r.t = encodeTimes(times, g.head, g.maxT);
        r.i = refs(g.ids!.slice(g.head), intern);
        const w = encodeWeights(g.weights!, g.head);
        if (w) r.w = w;
        if (g.vals!.some((v, i) => i >= g.head && v !== undefined)) r.v = optRefs(g.vals!, g.head, intern);
      }
    } else if (g.one) {
      r.t = [g.maxT - g.t0];
      r.i = [intern(g.id0)];
      if (g.w0 !== 1) r.w = [g.w0];
      if (g.v0 !== undefined) r.v = [intern(g.v0)];
    }
    // Everything is copied into the record: the store serialises it after an await, when observe()
    // may have appended to the live arrays (sources side by side).
    const b = g.burst;
    if (b) r.b = [b.windowStart, b.last, b.events, b.peak, refs(b.evidence, intern), ...(b.distinct.size ? [refs(b.distinct, intern)] : [])];
    const tw = g.tumble;
    if (tw) r.u = [tw.start, tw.last, tw.events, refs(tw.evidence, intern), ...(tw.distinct.size ? [refs(tw.distinct, intern)] : [])];
    if (g.seen) r.s = g.seen.map((x) => (x ? [x.t, intern(x.id)] : null));
    if (g.chain) r.c = g.chain.map((x) => (x ? [x.start, x.t, refs(x.ids, intern)] : null));
    const d = this.#dirtyPos?.get(g);
    if (d) r.d = d;
    return r;
  }

  decode(rec: unknown, resolve: Resolve): Group | undefined {
    const r = rec as Partial<Record<keyof GroupRecord, unknown>>;
    const q = num(r.q);
    const m = r.m === undefined ? undefined : num(r.m);
    const l = r.l === undefined ? m : num(r.l);
    if (typeof r.k !== 'string' || q === undefined || (r.l !== undefined && l === undefined) || (r.m !== undefined && m === undefined)) return undefined;
    const g = new Group(r.k);
    g.seq = q;
    g.lastT = l ?? Number.NEGATIVE_INFINITY;
    if (r.t !== undefined) {
      if (m === undefined) return undefined;
      const times = decodeTimes(r.t, m);
      const ids = derefs(r.i, resolve);
      if (!times || !ids || ids.length !== times.length || times.length === 0 || times.at(-1)! > m) return undefined;
      const weights = decodeWeights(r.w, times.length);
      const vals = r.v === undefined ? new Array<string | undefined>(times.length).fill(undefined) : optDerefs(r.v, times.length, resolve);
      if (!weights || !vals) return undefined;
      // Replayed through the same insert path, so the restored group has exactly the live counts it had.
      for (let i = 0; i < times.length; i++) insertSorted(g, times[i]!, ids[i]!, weights[i]!, vals[i]);
    }
    if (m !== undefined) g.maxT = m;
    if (r.b !== undefined) {
      const b = decodeSpan(r.b, 4, resolve);
      if (!b) return undefined;
      g.burst = { windowStart: b.nums[0]!, last: b.nums[1]!, events: b.nums[2]!, peak: b.nums[3]!, evidence: b.evidence, distinct: b.distinct };
    }
    if (r.u !== undefined) {
      const u = decodeSpan(r.u, 3, resolve);
      if (!u) return undefined;
      g.tumble = { start: u.nums[0]!, last: u.nums[1]!, events: u.nums[2]!, evidence: u.evidence, distinct: u.distinct };
    }
    const n = this.def.rules.length;
    if (r.s !== undefined) {
      if (!Array.isArray(r.s) || r.s.length !== n) return undefined;
      const seen: Array<{ t: number; id: string } | undefined> = [];
      for (const x of r.s as unknown[]) {
        if (x === null) {
          seen.push(undefined);
          continue;
        }
        const t = Array.isArray(x) && x.length === 2 ? num(x[0]) : undefined;
        const id = Array.isArray(x) ? resolve(x[1]) : undefined;
        if (t === undefined || id === undefined) return undefined;
        seen.push({ t, id });
      }
      g.seen = seen;
    }
    if (r.c !== undefined) {
      if (!Array.isArray(r.c) || r.c.length !== n) return undefined;
      const chain: Array<{ start: number; t: number; ids: string[] } | undefined> = [];
      for (const x of r.c as unknown[]) {
        if (x === null) {
          chain.push(undefined);
          continue;
        }
        const ok = Array.isArray(x) && x.length === 3;
        const start = ok ? num(x[0]) : undefined;
        const t = ok ? num(x[1]) : undefined;
        const ids = ok ? derefs(x[2], resolve) : undefined;
        if (start === undefined || t === undefined || !ids) return undefined;
        chain.push({ start, t, ids });
      }
      g.chain = chain;
    }
    if (r.d !== undefined) {
      const d = num(r.d);
      if (d === undefined) return undefined;
      this.#restoredDirty.set(g, d);
    }
    return g;
  }

  restore(meta: unknown, groups: Group[]): Group[] | undefined {
    const m = meta as Partial<Record<keyof CorrelationMeta, unknown>> | null;
    const restoredDirty = this.#restoredDirty;
    this.#restoredDirty = new Map();
    const n = m?.n === null ? Number.NEGATIVE_INFINITY : num(m?.n);
    const sweptAt = m?.c === null ? Number.NEGATIVE_INFINITY : num(m?.c);
    const q = num(m?.q);
    const sq = num(m?.s);
    if (n === undefined || sweptAt === undefined || q === undefined || sq === undefined) return undefined;
    const pending = m?.p === undefined ? [] : m.p;
    if (!Array.isArray(pending) || !pending.every(isFinding)) return undefined;
    // A group newer than the counter would share its creation number with a future group.
    if (groups.some((g) => g.seq > q)) return undefined;
    const oldest = m?.o === undefined ? undefined : num(m.o);
    if (m?.o !== undefined && oldest === undefined) return undefined;
    if (!this.#time.load(m?.k)) return undefined;
    // Every stored event the correlation held unjudged is from here on: none older than the frontier.
    this.#resumeFrom = oldest === undefined ? undefined : Math.max(oldest, this.#time.frontier);
    this.#sweptSeq = sq;
    this.#sweptAt = sweptAt;
    this.#nextSweep = n;
    this.#seq = q;
    this.#refreshes = pending;
    // Exactly the groups in memory at the save: created since the last sweep, or kept by it.
    const live = groups.filter((g) => g.seq > sq || !this.#idle(g, sweptAt)).sort((a, b) => a.seq - b.seq);
    // A lowered cap keeps the newest, as eviction (oldest first) would have.
    const kept = live.slice(Math.max(0, live.length - this.#opts.maxGroups));
    for (const g of kept) {
      this.#groups.set(g.key, g);
      if (g.tumble) this.#tumbling.add(g);
    }
    for (const g of kept.filter((x) => restoredDirty.has(x)).sort((a, b) => restoredDirty.get(a)! - restoredDirty.get(b)!)) this.#dirty.add(g);
    return kept;
  }

  /** Ends a burst once its group has been quiet for longer than the timespan; reports its final state if it changed. */
  #maybeEndBurst(g: Group, t: number): void {
    if (g.burst && t - g.burst.last > this.#span) this.#endBurst(g);
  }

  #endBurst(g: Group): void {
    if (g.burst && this.#dirty.has(g)) this.#refreshes.push(this.#finding(g, g.burst));
    this.#dirty.delete(g);
    g.burst = undefined;
  }

  /** Extends a running burst with one more event; true when the event belonged to it. */
  #extend(g: Group, t: number, id: string, w: number, val: string | undefined, measure: number): boolean {
    const b = g.burst;
    if (!b) return false;
    b.events += w;
    if (t > b.last) b.last = t;
    if (measure > b.peak) b.peak = measure;
    if (b.evidence.length < this.#opts.maxEvidence && !b.evidence.includes(id)) b.evidence.push(id);
    if (val !== undefined && b.distinct.size < MAX_DISTINCT) b.distinct.add(val);
    this.#dirty.add(g);
    return true;
  }

  #slide(g: Group, t: number, id: string, w: number, val: string | undefined): Finding | undefined {
    this.#maybeEndBurst(g, t);
    const tooLate = t <= g.maxT - this.#span;
    if (!tooLate) {
      insertSorted(g, t, id, w, val);
      expire(g, g.maxT - this.#span);
    }
    const measure = this.def.type === 'value_count' ? distinctCount(g) : g.sum;
    if (this.#extend(g, t, id, w, val, measure)) return undefined;
    if (tooLate || !testCondition(this.def.condition, measure, 1)) return undefined;
    const max = this.#opts.maxEvidence;
    const evidence: string[] = [];
    let windowStart: number;
    const times = g.times;
    if (times === undefined) {
      // Not too late, so the event just inserted is in the window: inline, as the only one.
      windowStart = g.t0;
      if (max > 0) evidence.push(g.id0);
    } else {
      const ids = g.ids!;
      for (let i = g.head; i < times.length && evidence.length < max; i++) evidence.push(ids[i]!);
      windowStart = times[g.head]!;
    }
    g.burst = {
      windowStart,
      last: g.maxT,
      events: g.sum,
      peak: measure,
      evidence,
      distinct: new Set(g.valCounts ? [...g.valCounts.keys()].slice(0, MAX_DISTINCT) : g.dv !== undefined ? [g.dv] : []),
    };
    return this.#finding(g, g.burst);
  }

  /** Upper-bound conditions ("fewer than"): judged once per window, when the window closes. */
  #tumble(g: Group, t: number, id: string, w: number, val: string | undefined): Finding | undefined {
    let out: Finding | undefined;
    if (g.tumble && t >= g.tumble.start + this.#span) out = this.#closeTumble(g);
    if (!g.tumble) this.#tumbling.add(g);
    const tw = (g.tumble ??= { start: t, last: t, events: 0, evidence: [], distinct: new Set() });
    tw.events += w;
    if (t > tw.last) tw.last = t;
    if (tw.evidence.length < this.#opts.maxEvidence) tw.evidence.push(id);
    if (val !== undefined && tw.distinct.size < MAX_DISTINCT) tw.distinct.add(val);
    return out;
  }

  #closeTumble(g: Group): Finding | undefined {
    const tw = g.tumble;
    g.tumble = undefined;
    this.#tumbling.delete(g);
    if (!tw) return undefined;
    const measure = this.def.type === 'value_count' ? tw.distinct.size : tw.events;
    if (!testCondition(this.def.condition, measure, 1)) return undefined;
    return this.#finding(g, { windowStart: tw.start, last: tw.last, events: tw.events, peak: measure, evidence: tw.evidence, distinct: tw.distinct });
  }

  #temporal(g: Group, t: number, id: string, inputs: number[]): Finding | undefined {
    this.#maybeEndBurst(g, t);
    const seen = (g.seen ??= new Array<{ t: number; id: string } | undefined>(this.def.rules.length).fill(undefined));
    for (const i of inputs) {
      const s = seen[i];
      if (!s || t >= s.t) seen[i] = { t, id };
    }
    const cutoff = t - this.#span;
    let n = 0;
    let start = Number.POSITIVE_INFINITY;
    for (const s of seen) {
      if (s && s.t >= cutoff) {
        n++;
        if (s.t < start) start = s.t;
      }
    }
    if (this.#extend(g, t, id, 1, undefined, n)) return undefined;
    if (!testCondition(this.def.condition, n, this.def.rules.length)) return undefined;
    const evidence = [...new Set(seen.filter((s) => s && s.t >= cutoff).map((s) => s!.id))].slice(0, this.#opts.maxEvidence);
    g.burst = { windowStart: start, last: t, events: evidence.length, peak: n, evidence, distinct: new Set() };
    return this.#finding(g, g.burst);
  }

  /**
   * Keeps, for each step k, the chain r1..rk with the latest start (the one with most time left).
   * Steps are visited last to first so one event cannot complete two consecutive steps by itself.
   */
  #ordered(g: Group, t: number, id: string, inputs: number[]): Finding | undefined {
    this.#maybeEndBurst(g, t);
    const steps = this.def.rules.length;
    const chain = (g.chain ??= new Array<{ start: number; t: number; ids: string[] } | undefined>(steps).fill(undefined));
    let completed: { start: number; ids: string[] } | undefined;
    for (const k of [...inputs].sort((a, b) => b - a)) {
      if (k === 0) {
        const c = chain[0];
        if (!c || t >= c.start) chain[0] = { start: t, t, ids: [id] };
        continue;
      }
      const prev = chain[k - 1];
      if (!prev || t < prev.t || t - prev.start > this.#span) continue;
      const cur = chain[k];
      if (!cur || prev.start >= cur.start) chain[k] = { start: prev.start, t, ids: [...prev.ids, id].slice(0, this.#opts.maxEvidence) };
      if (k === steps - 1) completed = chain[k];
    }
    if (this.#extend(g, t, id, 1, undefined, steps)) return undefined;
    if (!completed) return undefined;
    g.burst = { windowStart: completed.start, last: t, events: completed.ids.length, peak: steps, evidence: completed.ids.slice(), distinct: new Set() };
    return this.#finding(g, g.burst);
  }

  /** Runs once per timespan of event time (a quarter of one for tumbling windows): closes due tumbling windows and drops idle groups. */
  #sweep(clock: number): void {
    // With no promise from the sources yet there is nothing to close or drop.
    if (!Number.isFinite(clock)) return;
    const closes = (g: Group) => g.tumble !== undefined && g.tumble.start + this.#span <= clock;
    // Deleting most of a large Map entry by entry costs a lookup each plus repeated shrinking
    // rehashes; when most groups go (one-off keys such as random source addresses), copying the
    // survivors into a new Map in the same order is cheaper and keeps the oldest-first eviction order.
    let dropping = 0;
    for (const g of this.#groups.values()) if (this.#idle(g, clock)) dropping++;
    const rebuild = dropping * 2 > this.#groups.size;
    const kept = rebuild ? new Map<string, Group>() : undefined;
    for (const g of this.#groups.values()) {
      if (closes(g)) {
        const f = this.#closeTumble(g);
        if (f) this.#found.push(f);
        if (this.#log !== undefined && !g.changed) this.markChanged(g);
      }
      if (!this.#idle(g, clock)) {
        kept?.set(g.key, g);
        continue;
      }
      this.#endBurst(g);
      if (!kept) this.#groups.delete(g.key);
      this.#log?.release(g, true);
      this.#evicted++;
    }
    if (kept) this.#groups = kept;
    this.#sweptSeq = this.#seq;
    this.#sweptAt = clock;
    this.#nextSweep = clock + (this.#monotone ? this.#span : Math.max(1, this.#span / 4));
  }

  #evictOldest(): void {
    const first = this.#groups.entries().next();
    if (first.done) return;
    const [key, g] = first.value;
    this.#endBurst(g);
    if (g.tumble) {
      const f = this.#closeTumble(g);
      if (f) this.#found.push(f);
    }
    // Its queued events stay in the queue, to be skipped when due (see advance).
    this.#groups.delete(key);
    this.#log?.release(g, false);
    this.#evicted++;
  }

  /** Group-by values of a group, rebuilt from its key: only findings need them, so groups do not carry a copy. */
  #valuesOf(g: Group): string[] {
    const n = this.def.groupBy.length;
    return n === 0 ? [] : n === 1 ? [g.key] : g.key.split('\u0000');
  }

  #finding(g: Group, b: Burst): Finding {
    const def = this.def;
    const values = this.#valuesOf(g);
    const minutes = Math.round((this.#span / 60_000) * 100) / 100;
    const entity: Entity = { type: this.#entityType, value: values.length ? values.join('|') : def.key };
    const observed: Record<string, number> = { events: b.events };
    let what: string;
    switch (def.type) {
      case 'event_count':
        observed.peak_window_events = b.peak;
        what = `${b.events} matching events (peak ${b.peak} within ${minutes} min)`;
        break;
      case 'value_count': {
        const f = def.condition?.field ?? 'value';
        observed[`distinct_${f}`] = b.distinct.size;
        observed[`peak_window_distinct_${f}`] = b.peak;
        what = `${b.distinct.size} distinct ${f} over ${b.events} events (peak ${b.peak} within ${minutes} min)`;
        break;
      }
      case 'temporal':
        observed.rules_matched = b.peak;
        what = `${b.peak} of ${def.rules.length} related rules (${def.rules.join(', ')}) within ${minutes} min`;
        break;
      case 'temporal_ordered':
        observed.rules_matched = b.peak;
        what = `the sequence ${def.rules.join(' → ')} within ${minutes} min`;
        break;
    }
    const who = values.length ? ` for ${def.groupBy.map((f, i) => `${f}=${values[i]}`).join(', ')}` : '';
    const parts = [
      `${def.title}: ${what}${who} between ${new Date(b.windowStart).toISOString()} and ${new Date(b.last).toISOString()}`,
      `(condition ${describeCondition(def.condition)} in ${minutes} min).`,
    ];
    if (def.description) parts.push(def.description.trim());
    if (def.falsepositives.length) parts.push(`False positives: ${def.falsepositives.join('; ')}.`);
    const expected: Record<string, number> = { timespan_minutes: minutes };
    for (const [k, v] of Object.entries(def.condition ?? {})) if (typeof v === 'number') expected[k] = v;
    return {
      rule: def.key,
      title: `${def.title}${who ? ` (${values.join(', ')})` : ''}`,
      severity: this.#opts.severity,
      entity,
      windowStart: b.windowStart,
      windowEnd: Math.max(b.last, b.windowStart),
      evidence: b.evidence.slice(0, this.#opts.maxEvidence),
      description: parts.join(' '),
      observed,
      expected,
      ...(def.tags.length ? { tags: [...def.tags] } : {}),
    };
  }
}


/**
 * A flush's reports by window start and entity, each alert's own reports staying in the order made
 * (the sort is stable): which groups a restart had to remake, and so the order it visits them in,
 * must not show in the output.
 */
export function inReportOrder(fs: Finding[]): Finding[] {
  if (fs.length < 2) return fs;
  return fs.sort((a, b) => a.windowStart - b.windowStart || (a.entity.value < b.entity.value ? -1 : a.entity.value > b.entity.value ? 1 : 0) || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

function groupValue(v: unknown): string | undefined {
  // A multi-valued field groups by its first value: one event belongs to one group.
  const x = Array.isArray(v) ? v[0] : v;
  const s = scalarString(x);
  return s === undefined || s === '' ? undefined : s;
}

/** Inserts keeping time order; late events walk back from the tail, so slight disorder stays cheap. */
function insertSorted(g: Group, t: number, id: string, w: number, val: string | undefined): void {
  const times = g.times;
  if (times !== undefined) pushSorted(g, times, t, id, w, val);
  else if (!g.one) {
    g.one = true;
    g.t0 = t;
    g.id0 = id;
    g.w0 = w;
    g.v0 = val;
  } else {
    // A second event while the first is still in the window: from now on the window lives in arrays.
    g.one = false;
    const spilled = [g.t0];
    g.times = spilled;
    g.ids = [g.id0];
    g.weights = [g.w0];
    g.vals = [g.v0];
    g.v0 = undefined;
    pushSorted(g, spilled, t, id, w, val);
  }
  g.sum += w;
  if (val !== undefined) countValue(g, val);
  if (t > g.maxT) g.maxT = t;
}

function pushSorted(g: Group, times: number[], t: number, id: string, w: number, val: string | undefined): void {
  const ids = g.ids!;
  const weights = g.weights!;
  const vals = g.vals!;
  let i = times.length;
  times.push(t);
  ids.push(id);
  weights.push(w);
  vals.push(val);
  while (i > g.head && times[i - 1]! > t) {
    times[i] = times[i - 1]!;
    ids[i] = ids[i - 1]!;
    weights[i] = weights[i - 1]!;
    vals[i] = vals[i - 1];
    i--;
  }
  times[i] = t;
  ids[i] = id;
  weights[i] = w;
  vals[i] = val;
}

function countValue(g: Group, val: string): void {
  const counts = g.valCounts;
  if (counts) counts.set(val, (counts.get(val) ?? 0) + 1);
  else if (g.dv === undefined) {
    g.dv = val;
    g.dc = 1;
  } else if (g.dv === val) g.dc++;
  else {
    // Same insertion order as counting in a Map from the start: the inline value is the only key so far.
    g.valCounts = new Map<string, number>().set(g.dv, g.dc).set(val, 1);
    g.dv = undefined;
    g.dc = 0;
  }
}

function uncountValue(g: Group, val: string): void {
  const counts = g.valCounts;
  if (counts) {
    const n = (counts.get(val) ?? 0) - 1;
    if (n <= 0) counts.delete(val);
    else counts.set(val, n);
  } else if (g.dv === val && --g.dc <= 0) {
    g.dv = undefined;
    g.dc = 0;
  }
}

function distinctCount(g: Group): number {
  return g.valCounts ? g.valCounts.size : g.dv !== undefined ? 1 : 0;
}

function expire(g: Group, cutoff: number): void {
  const times = g.times;
  if (times === undefined) {
    if (g.one && g.t0 <= cutoff) {
      g.one = false;
      g.sum -= g.w0;
      if (g.v0 !== undefined) uncountValue(g, g.v0);
      g.v0 = undefined;
    }
    return;
  }
  const weights = g.weights!;
  const vals = g.vals!;
  let head = g.head;
  while (head < times.length && times[head]! <= cutoff) {
    g.sum -= weights[head]!;
    const v = vals[head];
    if (v !== undefined) uncountValue(g, v);
    head++;
  }
  g.head = head;
  if (head >= COMPACT_AT && head * 2 >= times.length) {
    g.times = times.slice(head);
    g.ids = g.ids!.slice(head);
    g.weights = weights.slice(head);
    g.vals = vals.slice(head);
    g.head = 0;
  }
}
