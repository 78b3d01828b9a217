/** Brute-force rule: weighted failed logins per source IP and per user in a sliding window, in event-time order, one finding per burst. */
import { eventTime, type Detector, type Finding, type FlushOptions, type PluginDeps, type SecurityEvent, type Severity } from '../../core/index.js';
import { entityField, eventWeight, ipOf, isLoginAttempt, userOf, type EntityField } from '../fields.js';
import { decodeTimes, decodeWeights, derefs, encodeTimes, encodeWeights, isFinding, num, optDerefs, optRefs, refs, stateHash, WindowLog, type Intern, type LogPart, type Resolve, type WindowLogStats } from '../window-log.js';
import { dueIndices, EventClock, keepNotDue, watermarkOf } from '../event-order.js';
import { inReportOrder } from '../sigma/correlation.js';
import type { BruteForceConfig } from './config.js';

export const BRUTE_FORCE_RULE = 'brute-force';

/** Distinct counterparts (users per IP, IPs per user) remembered per burst; enough to tell a spray. */
const MAX_DISTINCT = 10_000;
/** Compact a deque's backing arrays once this many slots at the head are dead. */
const COMPACT_AT = 512;

/** A run of failures for one entity with no gap longer than the window, that crossed the threshold. */
interface Burst {
  /** Time of the oldest failure in the sliding window at the moment the threshold was crossed. */
  windowStart: number;
  lastFailure: number;
  failures: number;
  /** Largest weighted count seen in one sliding window during the burst. */
  peak: number;
  successes: number;
  evidence: string[];
  users: Set<string>;
  ips: Set<string>;
}

/**
 * Per-entity sliding window as a time-sorted deque over parallel arrays (head index + periodic
 * compaction), so pushing and expiring are O(1) amortized and nothing is allocated per event.
 */
class EntityState {
  readonly value: string;
  times: number[] = [];
  weights: number[] = [];
  ids: string[] = [];
  users: Array<string | undefined> = [];
  ips: Array<string | undefined> = [];
  head = 0;
  sum = 0;
  /** Newest failure time seen: the window is (maxT - window, maxT]. */
  maxT = Number.NEGATIVE_INFINITY;
  /** Weighted failures per user / per IP inside the window, for distinct counts at the crossing. */
  userCounts = new Map<string, number>();
  ipCounts = new Map<string, number>();
  burst: Burst | undefined;
  // Saved-state bookkeeping (see WindowLog): creation order, which the entity Map's order is and a
  // restore must rebuild, and where the latest saved copy is.
  seq = 0;
  seg = 0;
  changed = false;

  constructor(value: string) {
    this.value = value;
  }

  get key(): string {
    return this.value;
  }

  /** Inserts keeping time order; late events walk back from the tail, so slight disorder stays cheap. */
  insert(t: number, w: number, id: string, user: string | undefined, ip: string | undefined): void {
    let i = this.times.length;
    this.times.push(t);
    this.weights.push(w);
    this.ids.push(id);
    this.users.push(user);
    this.ips.push(ip);
    while (i > this.head && this.times[i - 1]! > t) {
      this.times[i] = this.times[i - 1]!;
      this.weights[i] = this.weights[i - 1]!;
      this.ids[i] = this.ids[i - 1]!;
      this.users[i] = this.users[i - 1];
      this.ips[i] = this.ips[i - 1];
      i--;
    }
    this.times[i] = t;
    this.weights[i] = w;
    this.ids[i] = id;
    this.users[i] = user;
    this.ips[i] = ip;
    this.sum += w;
    if (user !== undefined) this.userCounts.set(user, (this.userCounts.get(user) ?? 0) + w);
    if (ip !== undefined) this.ipCounts.set(ip, (this.ipCounts.get(ip) ?? 0) + w);
    if (t > this.maxT) this.maxT = t;
  }

  /** Drops failures at or before `cutoff`; never the newest, which the window ends at, so it is never empty. */
  expire(cutoff: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) {
      const w = this.weights[this.head]!;
      this.sum -= w;
      decrement(this.userCounts, this.users[this.head], w);
      decrement(this.ipCounts, this.ips[this.head], w);
      this.head++;
    }
    if (this.head >= COMPACT_AT && this.head * 2 >= this.times.length) {
      this.times = this.times.slice(this.head);
      this.weights = this.weights.slice(this.head);
      this.ids = this.ids.slice(this.head);
      this.users = this.users.slice(this.head);
      this.ips = this.ips.slice(this.head);
      this.head = 0;
    }
  }
}

function decrement(m: Map<string, number>, key: string | undefined, w: number): void {
  if (key === undefined) return;
  const n = (m.get(key) ?? 0) - w;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}

/** What the entity fields' saved state needs from the detector. */
interface PartHost {
  /** Whether the last sweep dropped (or would have dropped) the entity, judged by its saved copy. */
  sweptAway(s: EntityState, sweptSeq: number): boolean;
  /** Position among entities owing a report, during a save. */
  dirtyPos(s: EntityState): number | undefined;
  /** Decoded entities owing a report, with their order, until the detector adopts them. */
  readonly restoredDirty: Map<EntityState, number>;
  readonly maxEntities: number;
}

/** Saved form of an entity: short keys, since an address-spraying attack makes many of them. Strings other than k are string-table indexes. */
interface EntityRecord {
  k: string;
  q: number;
  /** Newest failure so far, when there was one; the window, oldest first, is encoded against it (see encodeTimes). */
  m?: number;
  t: number[];
  i: number[];
  w?: number[];
  /** Users and IPs per failure, left out when every one is the entity itself (users of a user entity, IPs of an IP entity). */
  u?: Array<number | null>;
  p?: Array<number | null>;
  /** Burst: windowStart, lastFailure, failures, peak, successes, evidence, users, ips. */
  b?: [number, number, number, number, number, number[], number[], number[]];
  d?: number;
}

/** The entities of one group_by field: what the detector counts in, and one part of its saved state. */
class FieldPart implements LogPart<EntityState> {
  readonly name: string;
  readonly hash: string;
  readonly field: EntityField;
  readonly entities = new Map<string, EntityState>();
  seq = 0;
  /** The creation counter at the last sweep: entities created since were never judged by it. */
  sweptSeq = 0;
  #changed: EntityState[] = [];
  readonly #host: PartHost;

  constructor(field: EntityField, hash: string, host: PartHost) {
    this.field = field;
    this.name = field.path;
    this.hash = hash;
    this.#host = host;
  }

  markChanged(s: EntityState): void {
    s.changed = true;
    this.#changed.push(s);
  }

  takeChanged(): EntityState[] {
    const out = this.#changed;
    this.#changed = [];
    return out;
  }

  holds(s: EntityState): boolean {
    return this.entities.get(s.value) === s;
  }

  groups(): IterableIterator<EntityState> {
    return this.entities.values();
  }

  meta(): { q: number; s: number } | undefined {
    return this.seq ? { q: this.seq, s: this.sweptSeq } : undefined;
  }

  encode(s: EntityState, intern: Intern): EntityRecord {
    const from = s.head;
    const r: EntityRecord = { k: s.value, q: s.seq, t: encodeTimes(s.times, from, s.maxT), i: refs(s.ids.slice(from), intern) };
    if (Number.isFinite(s.maxT)) r.m = s.maxT;
    const w = encodeWeights(s.weights, from);
    if (w) r.w = w;
    if (!allEqual(s.users, from, s.value)) r.u = optRefs(s.users, from, intern);
    if (!allEqual(s.ips, from, s.value)) r.p = optRefs(s.ips, from, intern);
    const b = s.burst;
    // Copies, not the live arrays: the store serialises after an await, when more events may have come.
    if (b) r.b = [b.windowStart, b.lastFailure, b.failures, b.peak, b.successes, refs(b.evidence, intern), refs(b.users, intern), refs(b.ips, intern)];
    const d = this.#host.dirtyPos(s);
    if (d) r.d = d;
    return r;
  }

  decode(rec: unknown, resolve: Resolve): EntityState | undefined {
    const r = rec as Partial<Record<keyof EntityRecord, unknown>>;
    const q = num(r.q);
    const m = r.m === undefined ? Number.NEGATIVE_INFINITY : num(r.m);
    const times = m === undefined ? undefined : decodeTimes(r.t, m);
    const ids = derefs(r.i, resolve);
    if (typeof r.k !== 'string' || q === undefined || m === undefined || !times || !ids || ids.length !== times.length) return undefined;
    if (times.length && (times.at(-1)! > m || !Number.isFinite(m))) return undefined;
    const n = times.length;
    const weights = decodeWeights(r.w, n);
    const users = r.u === undefined ? new Array<string | undefined>(n).fill(r.k) : optDerefs(r.u, n, resolve);
    const ips = r.p === undefined ? new Array<string | undefined>(n).fill(r.k) : optDerefs(r.p, n, resolve);
    if (!weights || !users || !ips) return undefined;
    const s = new EntityState(r.k);
    s.seq = q;
    // Through the same insert path, so sums and per-user/per-IP counts are exactly what they were.
    for (let i = 0; i < n; i++) s.insert(times[i]!, weights[i]!, ids[i]!, users[i], ips[i]);
    s.maxT = m;
    if (r.b !== undefined) {
      const b = r.b as unknown[];
      if (!Array.isArray(b) || b.length !== 8) return undefined;
      const nums = b.slice(0, 5).map(num);
      const evidence = derefs(b[5], resolve);
      const bu = derefs(b[6], resolve);
      const bi = derefs(b[7], resolve);
      if (nums.some((x) => x === undefined) || !evidence || !bu || !bi) return undefined;
      const [windowStart, lastFailure, failures, peak, successes] = nums as number[];
      s.burst = { windowStart: windowStart!, lastFailure: lastFailure!, failures: failures!, peak: peak!, successes: successes!, evidence, users: new Set(bu), ips: new Set(bi) };
    }
    if (r.d !== undefined) {
      const d = num(r.d);
      if (d === undefined) return undefined;
      this.#host.restoredDirty.set(s, d);
    }
    return s;
  }

  restore(meta: unknown, entities: EntityState[]): EntityState[] | undefined {
    const m = meta as { q?: unknown; s?: unknown } | null;
    const q = num(m?.q);
    const sq = num(m?.s);
    if (q === undefined || sq === undefined || entities.some((s) => s.seq > q)) return undefined;
    this.seq = q;
    this.sweptSeq = sq;
    // Exactly the entities in memory at the save: created since the last sweep, or kept by it.
    const live = entities.filter((s) => !this.#host.sweptAway(s, sq)).sort((a, b) => a.seq - b.seq);
    // A lowered cap keeps the newest, as eviction (oldest first) would have.
    const kept = live.slice(Math.max(0, live.length - this.#host.maxEntities));
    for (const s of kept) this.entities.set(s.value, s);
    return kept;
  }
}

function allEqual(xs: ReadonlyArray<string | undefined>, from: number, v: string): boolean {
  for (let i = from; i < xs.length; i++) if (xs[i] !== v) return false;
  return true;
}

interface DetectorMeta {
  /** What the clock and sweep schedule mean (window and threshold): saved under another, they are not restored. */
  h: string;
  /** The event clock (see EventClock). */
  k: ReturnType<EventClock['toJSON']>;
  n: number | null;
  /** The clock at the last sweep (each field's part saves its creation counter then). */
  c: number | null;
  /** Final reports of ended bursts not yet handed over by flush. */
  p?: Finding[];
  /** Oldest attempt still queued: the stored events from there on are handed back after a restart (see resumeFrom). */
  o?: number;
}

export interface BruteForceStats {
  entities: number;
  activeBursts: number;
  evicted: number;
  /** Attempts queued for the watermark. */
  queued: number;
  /** Attempts that arrived after the watermark had passed their time (later than their source promised). */
  late: number;
  /** Saved windows, when a store is given. */
  windowLog?: WindowLogStats;
}

/**
 * Why windowStart is the oldest failure in the window at the crossing: it is a pure function of the
 * event sequence (so a replay of the same events yields the same dedup key), it names the real start
 * of the attack in the alert, and unlike a fixed bucket it never splits one burst into two alerts at
 * a bucket edge. A burst lasts until the entity has had no failure for a whole window; while it lasts
 * no new finding is made, only the same one refreshed (same windowStart) at flush.
 *
 * That sequence is the attempts in time order, whatever order they arrive in: observe() queues each
 * attempt under its entities, and flush() applies those the watermark has passed (see event-order.ts).
 */
export class BruteForceDetector implements Detector {
  readonly id: string = BRUTE_FORCE_RULE;
  readonly #window: number;
  readonly #threshold: number;
  readonly #severity: Severity;
  readonly #maxEvidence: number;
  readonly #maxEntities: number;
  readonly #groups: FieldPart[];
  /** Bursts with news since they were last reported; a Set keeps flush O(changed), not O(entities). */
  readonly #dirty = new Set<EntityState>();
  /** Entity → its group's field, for building findings of dirty states. */
  readonly #fieldOf = new WeakMap<EntityState, EntityField>();
  // Login attempts waiting for the watermark, in arrival order, as parallel arrays (no object per
  // attempt); flush() applies the due ones sorted by (time, id). #qv holds each group_by field's value.
  #qt: number[] = [];
  #qid: string[] = [];
  #qw: number[] = [];
  #qfail: boolean[] = [];
  #quser: Array<string | undefined> = [];
  #qip: Array<string | undefined> = [];
  #qv: Array<Array<string | undefined>>;
  /** New bursts found while applying attempts, handed over by flush. */
  #found: Finding[] = [];
  /** Final reports of bursts that ended or were evicted between flushes. */
  #ended: Finding[] = [];
  readonly #time = new EventClock();
  #sweptAt = Number.NEGATIVE_INFINITY;
  #nextSweep = Number.NEGATIVE_INFINITY;
  #evicted = 0;
  #late = 0;
  readonly #log: WindowLog | undefined;
  readonly #hash: string;
  /** Restored: the oldest attempt queued at the last save, from which stored events are handed back. */
  #resumeFrom: number | undefined;
  #dirtyPos: Map<EntityState, number> | undefined;
  readonly #restoredDirty = new Map<EntityState, number>();

  constructor(config: BruteForceConfig, deps: { state?: PluginDeps['state'] | undefined; logger?: PluginDeps['logger'] | undefined } = {}) {
    this.#window = config.window;
    this.#threshold = config.threshold;
    this.#severity = config.severity;
    this.#maxEvidence = config.max_evidence;
    this.#maxEntities = config.max_entities;
    const host: PartHost = {
      sweptAway: (s, sweptSeq) => s.seq <= sweptSeq && this.#idle(s, this.#sweptAt),
      dirtyPos: (s) => this.#dirtyPos?.get(s),
      restoredDirty: this.#restoredDirty,
      maxEntities: this.#maxEntities,
    };
    // Severity and the entity cap change no window, so editing them keeps the saved state.
    const hashOf = (path: string) => stateHash({ window: config.window, threshold: config.threshold, maxEvidence: config.max_evidence, path });
    this.#hash = hashOf('');
    this.#groups = [...new Set(config.group_by)].map((p) => new FieldPart(entityField(p), hashOf(p), host));
    this.#qv = this.#groups.map(() => []);
    if (deps.state) {
      this.#log = new WindowLog({
        store: deps.state,
        prefix: BRUTE_FORCE_RULE,
        parts: this.#groups,
        logger: deps.logger,
        meta: () => this.#meta(),
        restoreMeta: (m) => this.#restoreMeta(m),
        afterRestore: () => this.#afterRestore(),
        beforeSave: () => this.#beforeSave(),
      });
    }
  }

  /** Loads the open windows saved by the previous run (see WindowLog). */
  async restore(): Promise<void> {
    await this.#log?.restore();
  }

  /** Saves the entities changed since the last save. */
  async persist(): Promise<void> {
    await this.#log?.persist();
  }

  /** encode() records each owed report's position from this, so a restart keeps their order. */
  #beforeSave(): void {
    this.#dirtyPos = undefined;
    if (this.#dirty.size === 0) return;
    let i = 0;
    this.#dirtyPos = new Map();
    for (const s of this.#dirty) this.#dirtyPos.set(s, ++i);
  }

  /** Where the stored events it held at the last save begin; undefined when it held none (see Detector.resumeFrom). */
  resumeFrom(): number | undefined {
    return this.#resumeFrom;
  }

  /** Queues a stored attempt again after a restart, unless it was judged before the save. */
  replay(e: SecurityEvent): void {
    const t = eventTime(e);
    if (!this.#time.heldAtSave(t, this.#resumeFrom)) return;
    this.observe(e);
  }

  observe(e: SecurityEvent): Finding[] {
    if (!isLoginAttempt(e)) return [];
    const outcome = e.event.outcome;
    if (outcome !== 'failure' && outcome !== 'success') return [];
    const t = eventTime(e);
    if (!Number.isFinite(t)) return [];
    if (t < this.#time.frontier) this.#late++;
    // Queued, not applied: a success may come before the failures it follows (a page read newest
    // first). Not saved either: a queued attempt is in the store, and comes back by replay() after a restart.
    this.#qt.push(t);
    this.#qid.push(e.event.id);
    this.#qw.push(eventWeight(e));
    this.#qfail.push(outcome === 'failure');
    this.#quser.push(userOf(e));
    this.#qip.push(ipOf(e));
    for (let k = 0; k < this.#groups.length; k++) this.#qv[k]!.push(this.#groups[k]!.field.read(e));
    return [];
  }

  /** Applies the attempts the watermark has passed, each entity's in (time, id) order, and reports what that found. */
  flush(opts: FlushOptions): Finding[] {
    const time = this.#time;
    time.advance(watermarkOf(opts));
    this.#release(time.frontier);
    const clock = time.tick();
    if (clock >= this.#nextSweep) this.#sweep(clock);
    const out = this.#found.length || this.#ended.length ? [...this.#found, ...this.#ended] : [];
    this.#found = [];
    this.#ended = [];
    for (const s of this.#dirty) {
      const field = this.#fieldOf.get(s);
      if (s.burst && field) out.push(this.#finding(field, s, s.burst));
      // Whether an entity still owes a report is part of its saved copy.
      if (this.#log !== undefined && !s.changed) this.#partOf(s)?.markChanged(s);
    }
    this.#dirty.clear();
    return inReportOrder(out);
  }

  /** Applies every queued attempt before the frontier in (time, id) order, then keeps the rest. */
  #release(frontier: number): void {
    const qt = this.#qt;
    const qid = this.#qid;
    const due = dueIndices(qt, qid, frontier);
    if (due.length === 0) return;
    for (const i of due) {
      const t = qt[i]!;
      // Everything before t is applied now: idle entities can go as the applied attempts reach
      // them, which keeps a long release (a whole file at its end) within the entity cap as it goes.
      if (t >= this.#nextSweep) this.#sweep(t);
      this.#time.applied(t);
      for (let k = 0; k < this.#groups.length; k++) {
        const value = this.#qv[k]![i];
        if (value !== undefined) this.#attempt(this.#groups[k]!, value, t, qid[i]!, this.#qw[i]!, this.#qfail[i]!, this.#quser[i], this.#qip[i]);
      }
    }
    keepNotDue(qt, frontier, [qid, this.#qw, this.#qfail, this.#quser, this.#qip, ...this.#qv, qt]);
  }

  #attempt(g: FieldPart, value: string, t: number, id: string, w: number, failed: boolean, user: string | undefined, ip: string | undefined): void {
    let s = g.entities.get(value);
    if (!failed) {
      // Successes matter only as "and then it worked" inside a burst; they never create state.
      if (s?.burst && t >= s.burst.windowStart && t - s.burst.lastFailure <= this.#window) {
        s.burst.successes += w;
        this.#dirty.add(s);
        if (this.#log !== undefined && !s.changed) g.markChanged(s);
      }
      return;
    }
    if (!s) {
      if (g.entities.size >= this.#maxEntities) this.#evictOldest(g);
      s = new EntityState(value);
      s.seq = ++g.seq;
      g.entities.set(value, s);
      this.#fieldOf.set(s, g.field);
    }
    if (this.#log !== undefined && !s.changed) g.markChanged(s);
    this.#failure(g.field, s, t, id, w, user, ip);
  }

  #failure(field: EntityField, s: EntityState, t: number, id: string, w: number, user: string | undefined, ip: string | undefined): void {
    const b = s.burst;
    if (b && t - b.lastFailure > this.#window) this.#endBurst(s);
    // Too late for the sliding window (it expired already): only an attempt that came later than
    // its source promised can be; it still belongs to a running burst.
    const tooLate = t <= s.maxT - this.#window;
    if (!tooLate) {
      s.insert(t, w, id, user, ip);
      s.expire(s.maxT - this.#window);
    }
    const burst = s.burst;
    if (burst) {
      burst.failures += w;
      if (t > burst.lastFailure) burst.lastFailure = t;
      if (s.sum > burst.peak) burst.peak = s.sum;
      if (burst.evidence.length < this.#maxEvidence) burst.evidence.push(id);
      if (user !== undefined && burst.users.size < MAX_DISTINCT) burst.users.add(user);
      if (ip !== undefined && burst.ips.size < MAX_DISTINCT) burst.ips.add(ip);
      this.#dirty.add(s);
      return;
    }
    if (tooLate || s.sum < this.#threshold) return;
    const evidence: string[] = [];
    for (let i = s.head; i < s.times.length && evidence.length < this.#maxEvidence; i++) evidence.push(s.ids[i]!);
    s.burst = {
      windowStart: s.times[s.head]!,
      lastFailure: s.maxT,
      failures: s.sum,
      peak: s.sum,
      successes: 0,
      evidence,
      users: new Set([...s.userCounts.keys()].slice(0, MAX_DISTINCT)),
      ips: new Set([...s.ipCounts.keys()].slice(0, MAX_DISTINCT)),
    };
    this.#found.push(this.#finding(field, s, s.burst));
  }

  stats(): BruteForceStats {
    let entities = 0;
    let activeBursts = 0;
    for (const g of this.#groups) {
      entities += g.entities.size;
      for (const s of g.entities.values()) if (s.burst) activeBursts++;
    }
    return { entities, activeBursts, evicted: this.#evicted, queued: this.#qt.length, late: this.#late, ...(this.#log ? { windowLog: this.#log.stats() } : {}) };
  }

  /**
   * What a sweep at `clock` drops: nothing queued and no failure for two windows (one for the burst
   * to end, one of slack); nothing before the clock can still arrive within the sources' lateness.
   */
  #idle(s: EntityState, clock: number): boolean {
    return s.maxT <= clock - 2 * this.#window;
  }

  #partOf(s: EntityState): FieldPart | undefined {
    const field = this.#fieldOf.get(s);
    return this.#groups.find((g) => g.field === field);
  }

  #meta(): DetectorMeta | undefined {
    if (this.#groups.every((g) => g.seq === 0) && this.#time.frontier === Number.NEGATIVE_INFINITY && this.#qt.length === 0) return undefined;
    const fin = (x: number) => (Number.isFinite(x) ? x : null);
    const m: DetectorMeta = { h: this.#hash, k: this.#time.toJSON(), n: fin(this.#nextSweep), c: fin(this.#sweptAt) };
    if (this.#ended.length) m.p = this.#ended.slice();
    let oldest = Number.POSITIVE_INFINITY;
    for (const t of this.#qt) if (t < oldest) oldest = t;
    if (Number.isFinite(oldest)) m.o = oldest;
    return m;
  }

  #restoreMeta(meta: unknown): boolean {
    if (meta === undefined) return true;
    const m = meta as Partial<Record<keyof DetectorMeta, unknown>> | null;
    // Saved under another window or threshold: every field's windows are discarded too, so start as new.
    if (typeof m?.h === 'string' && m.h !== this.#hash) return true;
    const n = m?.n === null ? Number.NEGATIVE_INFINITY : num(m?.n);
    const sweptAt = m?.c === null ? Number.NEGATIVE_INFINITY : num(m?.c);
    const pending = m?.p ?? [];
    const oldest = m?.o === undefined ? undefined : num(m.o);
    if (n === undefined || sweptAt === undefined || !Array.isArray(pending) || !pending.every(isFinding) || (m?.o !== undefined && oldest === undefined) || !this.#time.load(m?.k)) return false;
    this.#resumeFrom = oldest === undefined ? undefined : Math.max(oldest, this.#time.frontier);
    this.#sweptAt = sweptAt;
    this.#nextSweep = n;
    this.#ended = pending;
    return true;
  }

  #afterRestore(): void {
    const d = this.#restoredDirty;
    const adopted: EntityState[] = [];
    for (const g of this.#groups) {
      for (const s of g.entities.values()) {
        this.#fieldOf.set(s, g.field);
        if (d.has(s)) adopted.push(s);
      }
    }
    for (const s of adopted.sort((a, b) => d.get(a)! - d.get(b)!)) this.#dirty.add(s);
    d.clear();
  }

  #endBurst(s: EntityState): void {
    const field = this.#fieldOf.get(s);
    if (s.burst && field && this.#dirty.has(s)) this.#ended.push(this.#finding(field, s, s.burst));
    this.#dirty.delete(s);
    s.burst = undefined;
  }

  /**
   * Drops idle entities (see #idle), run once per window of event time: an entity it keeps had a
   * failure within the last two windows or still has attempts queued, so the sweep costs O(1)
   * amortized per event.
   */
  #sweep(clock: number): void {
    // With no promise from the sources yet there is nothing to drop.
    if (!Number.isFinite(clock)) return;
    for (const g of this.#groups) {
      for (const [key, s] of g.entities) {
        if (!this.#idle(s, clock)) continue;
        this.#endBurst(s);
        g.entities.delete(key);
        this.#log?.release(s, true);
        this.#evicted++;
      }
      g.sweptSeq = g.seq;
    }
    this.#sweptAt = clock;
    this.#nextSweep = clock + this.#window;
  }

  /** Over the cap: drop the entity created first (Map order), which under a flood is the stalest. */
  #evictOldest(g: FieldPart): void {
    const first = g.entities.entries().next();
    if (first.done) return;
    const [key, s] = first.value;
    this.#endBurst(s);
    g.entities.delete(key);
    this.#log?.release(s, false);
    this.#evicted++;
  }

  #finding(field: EntityField, s: EntityState, b: Burst): Finding {
    const minutes = this.#window / 60_000;
    const observed: Record<string, number> = {
      failed_logins: b.failures,
      peak_window_failed_logins: b.peak,
      successful_logins: b.successes,
    };
    if (field.type !== 'user') observed.distinct_users = b.users.size;
    if (field.type !== 'ip') observed.distinct_ips = b.ips.size;
    const spray = field.type === 'ip' && b.users.size >= 5;
    const who = field.type === 'ip' ? `from ${s.value}` : field.type === 'user' ? `against ${s.value}` : `for ${field.type} ${s.value}`;
    const title = spray
      ? `Password spray ${who}: ${b.failures} failed logins against ${b.users.size} users`
      : `Brute force ${who}: ${b.failures} failed logins`;
    const parts = [
      `${b.failures} failed logins ${who} between ${new Date(b.windowStart).toISOString()} and ${new Date(b.lastFailure).toISOString()}`,
      `(peak ${b.peak} in ${minutes} min; expected fewer than ${this.#threshold} per ${minutes} min).`,
    ];
    if (field.type === 'ip') parts.push(`${b.users.size} distinct users targeted${spray ? ', a password-spray pattern' : ''}.`);
    if (field.type === 'user') parts.push(`${b.ips.size} distinct source IPs.`);
    if (b.successes > 0) parts.push(`${b.successes} successful login${b.successes === 1 ? '' : 's'} during the burst: the account may be compromised.`);
    return {
      rule: BRUTE_FORCE_RULE,
      title,
      severity: this.#severity,
      entity: { type: field.type, value: s.value },
      windowStart: b.windowStart,
      windowEnd: Math.max(b.lastFailure, b.windowStart),
      evidence: b.evidence.slice(),
      description: parts.join(' '),
      observed,
      expected: { failed_logins_per_window_below: this.#threshold, window_minutes: minutes },
    };
  }
}
