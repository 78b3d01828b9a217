/** Baseline detector: per-user, per-action EWMA of event counts per time bucket, alerting on counts far above the user's normal. */
import { eventTime, type Finding, type FlushOptions, type PluginDeps, type SecurityEvent, type Severity } from '../../core/index.js';
import { eventWeight, userOf } from '../fields.js';
import { hashSeed } from '../random.js';
import { PerUserDetector, type PerUserStats } from '../state.js';
import type { BaselineConfig } from './config.js';

export const BASELINE_RULE = 'baseline';

/** Longer action names are cut: they are vendor identifiers, and the cut keeps the state bounded. */
const MAX_ACTION_LENGTH = 64;

/**
 * One horizon of one action. Only b, c, m, s and alerted are stored: the EWMA's total weight
 * 1 − (1 − α)^n follows from the number n of buckets closed since the user's first bucket (every
 * bucket, empty ones included, is one update), so it need not be.
 */
interface HorizonState {
  /** Index of the open bucket: floor(t / bucket). */
  b: number;
  /** Weighted events in the open bucket. */
  c: number;
  /** EWMA of closed-bucket counts, not yet divided by the total weight (bias correction). */
  m: number;
  /** EWMA of squared counts, likewise: variance = s/W − (m/W)². */
  s: number;
  /** The open bucket has been reported. */
  alerted: boolean;
  /** Newest event time in the open bucket. */
  last: number;
}

interface ActionState {
  h: HorizonState[];
}

/** One of the user's latest events, kept as evidence. */
interface RecentEvent {
  id: string;
  action: string;
  /** Bit i: the event lies in the open bucket of horizon i of its action; cleared when that bucket closes. */
  in: number;
}

export interface BaselineUserState {
  /** Time of the user's first event: the learning period and every horizon's history start here. */
  first: number;
  /** Recency order, oldest first; when full, the least active action is dropped (see #leastActive). */
  actions: Map<string, ActionState>;
  /**
   * The user's latest recent_evidence events that still lie in an open bucket, in the order they
   * were applied. A finding's evidence is drawn from it, so the first alert of a spike carries the
   * events that led up to it; being saved with the state, a restarted run reports the same ids, and
   * being per user, not per action or horizon, it keeps the state small.
   */
  recent: RecentEvent[];
}

/** A reported spike whose bucket is still open: later events in it refresh the finding at flush. */
interface Active {
  user: string;
  action: string;
  horizon: number;
  bucketStart: number;
  /**
   * Evidence as of the bucket's latest event, taken then: the user's later events of other actions
   * may push the bucket's out of the recent ones before the report. Taken from the saved recent
   * events at an event, so a restarted run takes the same.
   */
  evidence: string[];
}

interface Expectation {
  mean: number;
  sd: number;
  /** Buckets of history behind the mean. */
  n: number;
}

export interface BaselineStats extends PerUserStats {
  lateEvents: number;
  activeFindings: number;
}

/**
 * Buckets close on event time, per user and action, when that user's next event falls in a later
 * bucket; empty buckets in between are folded in at once with the closed form of repeated zero
 * updates ((1 − α)^k), so an update is O(horizons) whatever the gap. A bucket is scored live on every
 * event, against the EWMA of the buckets before it, so a spike is reported while it happens (the
 * later block action needs that) and windowStart is the bucket start, a pure function of the events.
 */
export class BaselineDetector extends PerUserDetector<BaselineUserState> {
  readonly id: string = BASELINE_RULE;
  readonly #c: BaselineConfig;
  readonly #alpha: number[];
  /** The horizon with the longest bucket: what says how much a user does an action. */
  readonly #longest: number;
  readonly #actions: ReadonlySet<string> | undefined;
  /** Stored with each state: a state saved under other horizons is not reused. */
  readonly #signature: number;
  readonly #active = new Map<string, Active>();
  readonly #dirty = new Set<string>();
  /** Final reports of spikes whose bucket closed between flushes. */
  #ended: Finding[] = [];
  #late = 0;

  readonly #logger: PluginDeps['logger'] | undefined;
  /** A saved state of the format before evidence was saved was read (logged once). */
  #upgraded = false;

  constructor(config: BaselineConfig, deps: { state?: PluginDeps['state'] | undefined; logger?: PluginDeps['logger'] | undefined } = {}) {
    super(
      {
        create: () => ({ first: Number.POSITIVE_INFINITY, actions: new Map(), recent: [] }),
        encode: (s) => this.#encode(s),
        decode: (v) => this.#decode(v),
      },
      { prefix: BASELINE_RULE, maxUsers: config.max_users, store: deps.state },
    );
    this.#c = config;
    this.#logger = deps.logger;
    this.#alpha = config.horizons.map((h) => 2 / (h.span + 1));
    this.#longest = config.horizons.reduce((best, h, i, all) => (h.bucket > all[best]!.bucket ? i : best), 0);
    this.#actions = config.actions.length ? new Set(config.actions) : undefined;
    this.#signature = hashSeed(config.horizons.map((h) => `${h.bucket}/${h.span}`).join(','));
  }

  protected accept(e: SecurityEvent): string | undefined {
    if (this.#actions && !this.#actions.has(e.event.action)) return undefined;
    const user = userOf(e);
    return user === undefined || !Number.isFinite(eventTime(e)) ? undefined : user;
  }

  protected applyEvent(user: string, s: BaselineUserState, e: SecurityEvent): Finding[] {
    return this.#apply(user, s, e);
  }

  protected override onEvict(user: string, s: BaselineUserState): void {
    for (const [action, act] of s.actions) act.h.forEach((h, i) => this.#end(activeKey(user, action, i), s, h));
  }

  /** What the events the watermark passed found (see PerUserDetector), then the spikes whose bucket ended, then refreshes of open ones. */
  override flush(opts: FlushOptions): Finding[] {
    const out = super.flush(opts);
    out.push(...this.#ended);
    this.#ended = [];
    for (const key of this.#dirty) {
      const a = this.#active.get(key);
      const s = a && this.users.get(a.user);
      const act = s?.actions.get(a!.action);
      const h = act?.h[a!.horizon];
      if (!a || !s || !h || h.b * this.#c.horizons[a.horizon]!.bucket !== a.bucketStart) continue;
      out.push(this.#finding(a, s, h));
    }
    this.#dirty.clear();
    return out;
  }

  /** The user's expected count per bucket on each horizon, for tests and the dashboard. */
  expectation(user: string, action: string): Array<Expectation | undefined> {
    const s = this.users.get(user);
    const act = s?.actions.get(action.slice(0, MAX_ACTION_LENGTH));
    if (!s || !act) return [];
    return act.h.map((h, i) => this.#expect(s, h, i));
  }

  override stats(): BaselineStats {
    return { ...super.stats(), lateEvents: this.#late, activeFindings: this.#active.size };
  }

  /** Serialized state of one user as it would be saved (for the size checks in tests and the bench). */
  encoded(user: string): unknown {
    const s = this.users.get(user);
    return s === undefined ? undefined : this.#encode(s);
  }

  /**
   * The action to forget when a new one needs its place: of all but the most recently seen, the
   * one the user does least, by its rate on the longest horizon at time `t` (the least recently
   * seen among equals). Forgetting by recency alone dropped a person's daily work whenever a few
   * rare actions came in between, and the forgotten action, back the next day with no history, then
   * looked like a first-ever burst. The most recent one is kept whatever its rate: a new action has
   * the lowest, and two new actions done in turns (a download, an ACL change, a download...) would
   * otherwise forget each other at every step and never reach min_count.
   */
  #leastActive(s: BaselineUserState, t: number): string {
    const i = this.#longest;
    const bucket = this.#c.horizons[i]!.bucket;
    const alpha = this.#alpha[i]!;
    const now = Math.floor(t / bucket);
    let gone: string | undefined;
    let lowest = Infinity;
    let left = s.actions.size - 1;
    // Map order is recency order, oldest first: a strict comparison keeps the oldest of equals.
    for (const [name, a] of s.actions) {
      if (left-- === 0) break;
      const h = a.h[i]!;
      // The EWMA as it stands once the open bucket closes, decayed to t's bucket.
      const rate = ((1 - alpha) * h.m + alpha * h.c) * (1 - alpha) ** Math.max(0, now - h.b - 1);
      if (rate < lowest) {
        lowest = rate;
        gone = name;
      }
    }
    return gone!;
  }

  #apply(user: string, s: BaselineUserState, e: SecurityEvent): Finding[] {
    const t = eventTime(e);
    const w = eventWeight(e);
    const action = e.event.action.slice(0, MAX_ACTION_LENGTH);
    if (t < s.first) s.first = t;
    let act = s.actions.get(action);
    if (act) {
      s.actions.delete(action);
    } else {
      // A new action starts with zero history since the user's first event: the user did not do it
      // before, so a first-ever burst of it is measured against zero, not ignored.
      act = { h: this.#c.horizons.map((hz) => ({ b: Math.floor(t / hz.bucket), c: 0, m: 0, s: 0, alerted: false, last: t })) };
      if (s.actions.size >= this.#c.max_actions) {
        const gone = this.#leastActive(s, t);
        const old = s.actions.get(gone)!;
        for (let i = 0; i < this.#c.horizons.length; i++) this.#end(activeKey(user, gone, i), s, old.h[i]!);
        s.actions.delete(gone);
        s.recent = s.recent.filter((r) => r.action !== gone);
      }
    }
    s.actions.set(action, act);

    // The open buckets the event falls in; a later bucket closes the open one first.
    let into = 0;
    this.#c.horizons.forEach((hz, i) => {
      const h = act.h[i]!;
      const idx = Math.floor(t / hz.bucket);
      if (idx < h.b) {
        // Its bucket was closed into the EWMA already; reopening it would rewrite history.
        this.#late++;
        return;
      }
      if (idx > h.b) {
        // The last report of the closing bucket takes its evidence before the bucket lets go of it.
        this.#end(activeKey(user, action, i), s, h);
        leave(s, action, i);
        this.#close(h, idx, this.#alpha[i]!);
      }
      into |= 1 << i;
    });
    if (into === 0) return [];
    this.#remember(s, { id: e.event.id, action, in: into });

    let out: Finding[] | undefined;
    this.#c.horizons.forEach((hz, i) => {
      if ((into & (1 << i)) === 0) return;
      const h = act.h[i]!;
      h.c += w;
      if (t > h.last) h.last = t;
      const key = activeKey(user, action, i);
      const bucketStart = h.b * hz.bucket;
      if (h.alerted) {
        // Reported before this state was saved and reloaded (restart, eviction): keep refreshing
        // the same alert.
        const evidence = evidenceOf(s, action, i, this.#c.max_evidence);
        const active = this.#active.get(key);
        if (active) active.evidence = evidence;
        else this.#active.set(key, { user, action, horizon: i, bucketStart, evidence });
        this.#dirty.add(key);
        return;
      }
      if (h.c < this.#c.min_count || t - s.first < this.#c.learning_period) return;
      const ex = this.#expect(s, h, i);
      if (!ex || ex.n < this.#c.min_buckets) return;
      const score = (h.c - ex.mean) / ex.sd;
      if (score < this.#c.threshold) return;
      h.alerted = true;
      const a: Active = { user, action, horizon: i, bucketStart, evidence: evidenceOf(s, action, i, this.#c.max_evidence) };
      this.#active.set(key, a);
      this.#dirty.delete(key);
      (out ??= []).push(this.#finding(a, s, h));
    });
    return out ?? [];
  }

  /** Keeps the event among the user's latest, dropping the oldest beyond recent_evidence. */
  #remember(s: BaselineUserState, r: RecentEvent): void {
    const max = this.#c.recent_evidence;
    if (max === 0) return;
    s.recent.push(r);
    if (s.recent.length > max) s.recent.splice(0, s.recent.length - max);
  }

  /** A reported bucket is closing: its last counts go out with the next flush if they changed since the last report. */
  #end(key: string, s: BaselineUserState, h: HorizonState): void {
    const a = this.#active.get(key);
    if (!a) return;
    if (this.#dirty.delete(key)) this.#ended.push(this.#finding(a, s, h));
    this.#active.delete(key);
  }

  /** Folds the open bucket's count into the EWMA, then the k empty buckets before `idx` in closed form. */
  #close(h: HorizonState, idx: number, alpha: number): void {
    const x = h.c;
    h.m = (1 - alpha) * h.m + alpha * x;
    h.s = (1 - alpha) * h.s + alpha * x * x;
    const k = idx - h.b - 1;
    if (k > 0) {
      const f = (1 - alpha) ** k;
      h.m *= f;
      h.s *= f;
    }
    // Seven significant digits, here rather than when saving: the saved state stays within its
    // 2 KB however long every action's history, and a restored run computes with exactly the
    // numbers an uninterrupted one does.
    h.m = Number(h.m.toPrecision(7));
    h.s = Number(h.s.toPrecision(7));
    h.b = idx;
    h.c = 0;
    h.alerted = false;
  }

  #expect(s: BaselineUserState, h: HorizonState, i: number): Expectation | undefined {
    const n = h.b - Math.floor(s.first / this.#c.horizons[i]!.bucket);
    if (n <= 0) return undefined;
    const W = 1 - (1 - this.#alpha[i]!) ** n;
    const mean = h.m / W;
    const variance = Math.max(0, h.s / W - mean * mean);
    // Counts are roughly Poisson, whose variance is the mean: a user with a perfectly regular count
    // (variance near 0) must not score a handful of extra events as dozens of deviations.
    const sd = Math.max(this.#c.min_sd, Math.sqrt(Math.max(variance, mean)));
    return { mean, sd, n };
  }

  #finding(a: Active, s: BaselineUserState, h: HorizonState): Finding {
    const c = this.#c;
    const hz = c.horizons[a.horizon]!;
    const ex = this.#expect(s, h, a.horizon) ?? { mean: 0, sd: c.min_sd, n: 0 };
    const score = (h.c - ex.mean) / ex.sd;
    const wouldBlock = score >= c.block_score && h.c >= c.block_min_count;
    const per = bucketLabel(hz.bucket);
    const history = formatSpan(ex.n * hz.bucket);
    const from = new Date(a.bucketStart).toISOString();
    let description =
      `${a.user} did ${h.c} × ${a.action} in the ${per} from ${from}; expected ${fmt(ex.mean)} ± ${fmt(ex.sd)} per ${per} ` +
      `from ${history} of history: ${score.toFixed(1)} standard deviations above normal (threshold ${c.threshold}, minimum count ${c.min_count}).`;
    const blockReason = `score ${score.toFixed(1)} ≥ block_score ${c.block_score} and count ${h.c} ≥ block_min_count ${c.block_min_count}`;
    if (wouldBlock) {
      description += c.auto_block
        ? ` Blocked ${a.user}: ${blockReason}; the evidence is recorded in this alert.`
        : ` Would block ${a.user}: ${blockReason} (auto_block is off; the evidence is recorded in this alert).`;
    }
    return {
      rule: BASELINE_RULE,
      title: `Unusual volume of ${a.action} for ${a.user}: ${h.c} in one ${per} (normally ${fmt(ex.mean)})`,
      severity: (wouldBlock ? c.block_severity : c.severity) as Severity,
      entity: { type: 'user', value: a.user },
      windowStart: a.bucketStart,
      windowEnd: Math.max(h.last, a.bucketStart),
      evidence: a.evidence.slice(),
      description,
      observed: { count: h.c, score: round(score), would_block: wouldBlock ? 1 : 0 },
      expected: {
        mean: round(ex.mean),
        sd: round(ex.sd),
        history_buckets: ex.n,
        bucket_minutes: hz.bucket / 60_000,
        threshold: c.threshold,
        min_count: c.min_count,
        block_score: c.block_score,
        block_min_count: c.block_min_count,
      },
      score: round(score),
      ...(wouldBlock && c.auto_block
        ? { actions: [{ type: 'block-user' as const, user: a.user, reason: `${h.c} × ${a.action} in one ${per}: ${blockReason}` }] }
        : {}),
    };
  }

  /**
   * `{v, e: 1, f, a: [[action, [[b, c, m, s, alerted, last − bucket start] per horizon]], ...], r?: [ids, tags]}`,
   * least recent action first. `r` holds the recent events: their ids packed (packIds), and per
   * event two base-36 digits, the index of its action in `a` and its open-bucket bits. Doubles are
   * kept whole so a restored run continues bit for bit like an uninterrupted one.
   */
  #encode(s: BaselineUserState): unknown {
    const a: unknown[] = [];
    const index = new Map<string, number>();
    for (const [action, act] of s.actions) {
      index.set(action, a.length);
      a.push([action, act.h.map((h, i) => [h.b, h.c, h.m, h.s, h.alerted ? 1 : 0, h.last - h.b * this.#c.horizons[i]!.bucket])]);
    }
    const out: Record<string, unknown> = { v: this.#signature, e: 1, f: s.first, a };
    if (s.recent.length) out.r = [packIds(s.recent.map((r) => r.id)), s.recent.map((r) => index.get(r.action)!.toString(36) + r.in.toString(36)).join('')];
    return out;
  }

  /** Accepts the format before evidence was saved (no `e`, no `r`): its users go on with no recent events. */
  #decode(v: unknown): BaselineUserState | undefined {
    if (!isRecord(v) || v.v !== this.#signature || typeof v.f !== 'number' || !Array.isArray(v.a)) return undefined;
    if (v.e !== undefined && v.e !== 1) return undefined;
    const actions = new Map<string, ActionState>();
    const names: string[] = [];
    for (const item of v.a) {
      if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) return undefined;
      const hs = item[1] as unknown[];
      if (hs.length !== this.#c.horizons.length) return undefined;
      const h: HorizonState[] = [];
      for (const [i, x] of hs.entries()) {
        if (!Array.isArray(x) || x.length !== 6 || !x.every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
        const [b, c, m, s, alerted, last] = x as number[];
        h.push({ b: b!, c: c!, m: m!, s: s!, alerted: alerted === 1, last: last! + b! * this.#c.horizons[i]!.bucket });
      }
      actions.set(item[0], { h });
      names.push(item[0]);
    }
    const recent = this.#decodeRecent(v.r, names);
    if (!recent) return undefined;
    if (v.e === undefined && !this.#upgraded) {
      this.#upgraded = true;
      this.#logger?.info('Saved baseline state of an older version upgraded; spikes open at the restart go on without their earlier evidence.');
    }
    return { first: v.f, actions, recent };
  }

  #decodeRecent(r: unknown, names: readonly string[]): RecentEvent[] | undefined {
    if (r === undefined) return [];
    if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== 'string') return undefined;
    const ids = unpackIds(r[0]);
    const tags = r[1];
    if (!ids || tags.length !== 2 * ids.length) return undefined;
    const all = (1 << this.#c.horizons.length) - 1;
    const out: RecentEvent[] = [];
    for (const [j, id] of ids.entries()) {
      const action = names[Number.parseInt(tags[2 * j]!, 36)];
      const into = Number.parseInt(tags[2 * j + 1]!, 36);
      if (action === undefined || !(into >= 1 && into <= all)) return undefined;
      out.push({ id, action, in: into });
    }
    // Saved under a larger recent_evidence: the latest are the ones this run would have kept.
    return out.slice(Math.max(0, out.length - this.#c.recent_evidence));
  }
}

const HEX_ID = /^[0-9a-f]{32}$/;
const PACKED_ID = 22;

/** saaswatch event ids are 32 hex digits (core/hash.ts eventId): stored as 22 base64url characters each, in one string, when all are. */
function packIds(ids: readonly string[]): string | readonly string[] {
  return ids.every((id) => HEX_ID.test(id)) ? ids.map((id) => Buffer.from(id, 'hex').toString('base64url')).join('') : ids;
}

function unpackIds(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.every((id) => typeof id === 'string') ? (v as string[]) : undefined;
  if (typeof v !== 'string' || v.length % PACKED_ID !== 0 || !/^[A-Za-z0-9_-]*$/.test(v)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < v.length; i += PACKED_ID) out.push(Buffer.from(v.slice(i, i + PACKED_ID), 'base64url').toString('hex'));
  return out;
}

/** A finding's evidence: the user's recent events in its action's open bucket on its horizon, the latest max of them. */
function evidenceOf(s: BaselineUserState, action: string, horizon: number, max: number): string[] {
  const bit = 1 << horizon;
  const ids: string[] = [];
  for (const r of s.recent) if (r.action === action && (r.in & bit) !== 0) ids.push(r.id);
  return ids.length > max ? ids.slice(-max) : ids;
}

/** The action's bucket on horizon i closed: its events no longer lie in an open one there. */
function leave(s: BaselineUserState, action: string, i: number): void {
  const bit = 1 << i;
  let emptied = false;
  for (const r of s.recent) {
    if (r.action !== action || (r.in & bit) === 0) continue;
    r.in &= ~bit;
    if (r.in === 0) emptied = true;
  }
  if (emptied) s.recent = s.recent.filter((r) => r.in !== 0);
}

function activeKey(user: string, action: string, horizon: number): string {
  return `${user}\u0000${action}\u0000${horizon}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bucketLabel(ms: number): string {
  if (ms === 3_600_000) return 'hour';
  if (ms === 86_400_000) return 'day';
  if (ms === 604_800_000) return 'week';
  return formatSpan(ms);
}

function formatSpan(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.round(ms / 60_000)} min`;
}

function fmt(x: number): string {
  return x >= 10 ? x.toFixed(0) : x.toFixed(1);
}

/** Four decimals: enough to read, and stable text in alerts. */
function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
