/** Brute-force rule: weighted failed logins per source IP and per user in a sliding window, one finding per burst. */
import { eventTime, type Detector, type Finding, type SecurityEvent, type Severity } from '../../core/index.js';
import { entityField, eventWeight, ipOf, isLoginAttempt, userOf, type EntityField } from '../fields.js';
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

  constructor(value: string) {
    this.value = value;
  }

  get size(): number {
    return this.times.length - this.head;
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

  /** Drops failures at or before `cutoff`. */
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
    // Float weights never arise (counts are integers), but an empty window must read exactly zero.
    if (this.size === 0) this.sum = 0;
  }
}

function decrement(m: Map<string, number>, key: string | undefined, w: number): void {
  if (key === undefined) return;
  const n = (m.get(key) ?? 0) - w;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}

interface Group {
  field: EntityField;
  entities: Map<string, EntityState>;
}

export interface BruteForceStats {
  entities: number;
  activeBursts: number;
  evicted: number;
}

/**
 * Why windowStart is the oldest failure in the window at the crossing: it is a pure function of the
 * event sequence (so a replay of the same events yields the same dedup key), it names the real start
 * of the attack in the alert, and unlike a fixed bucket it never splits one burst into two alerts at
 * a bucket edge. A burst lasts until the entity has had no failure for a whole window; while it lasts
 * no new finding is made, only the same one refreshed (same windowStart) at flush.
 */
export class BruteForceDetector implements Detector {
  readonly id: string = BRUTE_FORCE_RULE;
  readonly #window: number;
  readonly #threshold: number;
  readonly #severity: Severity;
  readonly #maxEvidence: number;
  readonly #maxEntities: number;
  readonly #groups: Group[];
  /** Bursts with news since they were last reported; a Set keeps flush O(changed), not O(entities). */
  readonly #dirty = new Set<EntityState>();
  /** Entity → its group's field, for building findings of dirty states. */
  readonly #fieldOf = new WeakMap<EntityState, EntityField>();
  /** Final reports of bursts that ended or were evicted between flushes. */
  #ended: Finding[] = [];
  #watermark = Number.NEGATIVE_INFINITY;
  #nextSweep = Number.NEGATIVE_INFINITY;
  #evicted = 0;

  constructor(config: BruteForceConfig) {
    this.#window = config.window;
    this.#threshold = config.threshold;
    this.#severity = config.severity;
    this.#maxEvidence = config.max_evidence;
    this.#maxEntities = config.max_entities;
    this.#groups = [...new Set(config.group_by)].map((p) => ({ field: entityField(p), entities: new Map() }));
  }

  observe(e: SecurityEvent): Finding[] {
    if (!isLoginAttempt(e)) return [];
    const outcome = e.event.outcome;
    if (outcome !== 'failure' && outcome !== 'success') return [];
    const t = eventTime(e);
    if (!Number.isFinite(t)) return [];
    if (t > this.#watermark) {
      this.#watermark = t;
      if (t >= this.#nextSweep) this.#sweep();
    }
    const w = eventWeight(e);
    let out: Finding[] | undefined;
    for (const g of this.#groups) {
      const value = g.field.read(e);
      if (value === undefined) continue;
      if (outcome === 'success') {
        // Successes matter only as "and then it worked" inside a burst; they never create state.
        const s = g.entities.get(value);
        if (s?.burst && t >= s.burst.windowStart && t - s.burst.lastFailure <= this.#window) {
          s.burst.successes += w;
          this.#dirty.add(s);
        }
        continue;
      }
      const f = this.#failure(g, value, t, w, e);
      if (f) (out ??= []).push(f);
    }
    return out ?? [];
  }

  #failure(g: Group, value: string, t: number, w: number, e: SecurityEvent): Finding | undefined {
    let s = g.entities.get(value);
    if (!s) {
      if (g.entities.size >= this.#maxEntities) this.#evictOldest(g);
      s = new EntityState(value);
      g.entities.set(value, s);
      this.#fieldOf.set(s, g.field);
    }
    const user = userOf(e);
    const ip = ipOf(e);
    const b = s.burst;
    if (b && t - b.lastFailure > this.#window) this.#endBurst(s);
    // Too late for the sliding window (it expired already); it still belongs to a running burst.
    const tooLate = t <= s.maxT - this.#window;
    if (!tooLate) {
      s.insert(t, w, e.event.id, user, ip);
      s.expire(s.maxT - this.#window);
    }
    const burst = s.burst;
    if (burst) {
      burst.failures += w;
      if (t > burst.lastFailure) burst.lastFailure = t;
      if (s.sum > burst.peak) burst.peak = s.sum;
      if (burst.evidence.length < this.#maxEvidence) burst.evidence.push(e.event.id);
      if (user !== undefined && burst.users.size < MAX_DISTINCT) burst.users.add(user);
      if (ip !== undefined && burst.ips.size < MAX_DISTINCT) burst.ips.add(ip);
      this.#dirty.add(s);
      return undefined;
    }
    if (tooLate || s.sum < this.#threshold) return undefined;
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
    return this.#finding(g.field, s, s.burst);
  }

  flush(_opts: { final: boolean }): Finding[] {
    const out = this.#ended;
    this.#ended = [];
    // Insertion order of the dirty set follows the event order, so the output order replays too.
    for (const s of this.#dirty) {
      const field = this.#fieldOf.get(s);
      if (s.burst && field) out.push(this.#finding(field, s, s.burst));
    }
    this.#dirty.clear();
    return out;
  }

  stats(): BruteForceStats {
    let entities = 0;
    let activeBursts = 0;
    for (const g of this.#groups) {
      entities += g.entities.size;
      for (const s of g.entities.values()) if (s.burst) activeBursts++;
    }
    return { entities, activeBursts, evicted: this.#evicted };
  }

  #endBurst(s: EntityState): void {
    const field = this.#fieldOf.get(s);
    if (s.burst && field && this.#dirty.has(s)) this.#ended.push(this.#finding(field, s, s.burst));
    this.#dirty.delete(s);
    s.burst = undefined;
  }

  /**
   * Drops entities idle for two windows (one to let their burst end, one of slack for late events),
   * run once per window of event time: every entity it visits had a failure within the last two
   * windows, so the sweep costs O(1) amortized per event.
   */
  #sweep(): void {
    const cutoff = this.#watermark - 2 * this.#window;
    for (const g of this.#groups) {
      for (const [key, s] of g.entities) {
        if (s.maxT > cutoff) continue;
        this.#endBurst(s);
        g.entities.delete(key);
        this.#evicted++;
      }
    }
    this.#nextSweep = this.#watermark + this.#window;
  }

  /** Over the cap: drop the entity created first (Map order), which under a flood is the stalest. */
  #evictOldest(g: Group): void {
    const first = g.entities.entries().next();
    if (first.done) return;
    const [key, s] = first.value;
    this.#endBurst(s);
    g.entities.delete(key);
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
