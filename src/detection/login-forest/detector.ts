/** Login-forest detector: a per-user isolation forest over login context (location, ASN, agent family, hour) that reports logins unlike the user's history and why. */
import { eventTime, type Finding, type PluginDeps, type SecurityEvent, type Severity } from '../../core/index.js';
import { isLoginAttempt, userOf } from '../fields.js';
import { IsolationForest } from '../isolation-forest/forest.js';
import { hashSeed } from '../random.js';
import { PerUserDetector, type PerUserStats } from '../state.js';
import type { LoginForestConfig } from './config.js';
import {
  countValues,
  DIM_GROUP,
  DIMS,
  distanceKm,
  FORGOTTEN,
  GROUPS,
  groupContributions,
  MAX_VALUES,
  packLogins,
  percentages,
  quantizeLat,
  quantizeLon,
  SLOTS_PER_DAY,
  unpackLogins,
  vectorOf,
  weekSlot,
  type Group,
  type LoginPoint,
} from './features.js';

export const LOGIN_FOREST_RULE = 'login-forest';

/** Agent family names are short; a longer one is cut so one odd header cannot bloat the state. */
const MAX_AGENT_LENGTH = 32;
const FAMILIARITY_DIMS: ReadonlySet<number> = new Set(DIM_GROUP.flatMap((g, j) => (g === 'asn' || g === 'agent' ? [j] : [])));
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export interface LoginForestUserState {
  /** First successful login: the learning period runs from here. */
  first: number;
  /** Logins learned so far: seeds the forests, so a replay fits the very same trees. */
  seq: number;
  /** Logins learned since the last refit boundary: the newest `since` logins are not in the cached forest. */
  since: number;
  /** Dictionaries of ASNs (as text, '' for unknown) and agent families that the logins index into. */
  asns: string[];
  agents: string[];
  /** Oldest first; at most max_history + refit_every − 1 (trimmed to max_history at each refit boundary). */
  logins: LoginPoint[];
}

/** A forest fitted on the logins before the last refit boundary, with the range of its training vectors. */
interface CachedForest {
  /** The user's seq at the boundary: the cache is valid while the state's seq − since equals it. */
  at: number;
  forest: IsolationForest;
  lo: Float64Array;
  hi: Float64Array;
}

export interface LoginForestStats extends PerUserStats {
  cachedForests: number;
  /** Forests fitted: cached ones (first pass) and exact ones (scored login in every tree). */
  cacheFits: number;
  exactFits: number;
  /** Scored logins the first pass ruled out. */
  prescreened: number;
  /** Successful logins without coordinates: neither learned nor scored. */
  unlocated: number;
}

/**
 * Every login is scored (once the user is past learning) before it is learned, against the user's
 * logins so far, then joins the history, a flagged one too: a user who really moved stops being
 * reported once the new place is part of the history, as with the novelty detector.
 *
 * Scoring is in two steps. The cached forest, fitted on the history as of the last refit boundary,
 * gives a cheap first pass: a login inside the range of that forest's training logins on every
 * feature, scoring below `prescreen`, is ordinary. Only the range check makes the pass safe: out of
 * sample, a login beyond the training range follows the most extreme training login down every tree
 * and scores no higher than it, however far away it is. Any other login is scored exactly by a
 * forest fitted on the whole history with the login in every tree's subsample (alwaysInclude), as
 * the isolation-forest detector does, so the splits are drawn with it present.
 *
 * Both forests are pure functions of the saved state (training logins, seeds from user and seq), so
 * the cache is a memo: evicting it, a restart, or a replay gives the same findings.
 */
export class LoginForestDetector extends PerUserDetector<LoginForestUserState> {
  readonly id: string = LOGIN_FOREST_RULE;
  readonly #c: LoginForestConfig;
  /** Recency order, the first entry the LRU victim. */
  readonly #cache = new Map<string, CachedForest>();
  #cacheFits = 0;
  #exactFits = 0;
  #prescreened = 0;
  #unlocated = 0;

  constructor(config: LoginForestConfig, deps: Pick<PluginDeps, 'state'> = {}) {
    super(
      {
        create: () => ({ first: Number.POSITIVE_INFINITY, seq: 0, since: 0, asns: [], agents: [], logins: [] }),
        encode: (s) => encode(s),
        decode: (v) => decode(v),
      },
      { prefix: LOGIN_FOREST_RULE, maxUsers: config.max_users, store: deps.state },
    );
    this.#c = config;
  }

  protected accept(e: SecurityEvent): string | undefined {
    if (e.event.outcome !== 'success' || !isLoginAttempt(e)) return undefined;
    const user = userOf(e);
    if (user === undefined || !Number.isFinite(eventTime(e))) return undefined;
    const loc = e.source?.geo?.location;
    if (!loc || !Number.isFinite(loc.lat) || !Number.isFinite(loc.lon)) {
      // Without coordinates a login cannot be placed; guessing one would teach the model a place.
      this.#unlocated++;
      return undefined;
    }
    return user;
  }

  protected override onEvict(user: string): void {
    this.#cache.delete(user);
  }

  override stats(): LoginForestStats {
    return {
      ...super.stats(),
      cachedForests: this.#cache.size,
      cacheFits: this.#cacheFits,
      exactFits: this.#exactFits,
      prescreened: this.#prescreened,
      unlocated: this.#unlocated,
    };
  }

  /** Serialized state of one user as it would be saved (size checks in tests). */
  encoded(user: string): unknown {
    const s = this.users.get(user);
    return s === undefined ? undefined : encode(s);
  }

  protected applyEvent(user: string, s: LoginForestUserState, e: SecurityEvent): Finding[] {
    const t = eventTime(e);
    if (t < s.first) s.first = t;
    const loc = e.source!.geo!.location!;
    const asnKey = e.source?.as?.number !== undefined ? String(e.source.as.number) : '';
    const agentKey = (e.user_agent?.name ?? '').slice(0, MAX_AGENT_LENGTH);
    const p: LoginPoint = {
      lat: quantizeLat(loc.lat),
      lon: quantizeLon(loc.lon),
      asn: indexOr(s.asns, asnKey),
      agent: indexOr(s.agents, agentKey),
      slot: weekSlot(t),
    };
    let out: Finding[] = [];
    if (t - s.first >= this.#c.learning_period && s.logins.length >= this.#c.min_logins) out = this.#score(user, s, p, e, t);

    p.asn = intern(s.asns, asnKey, s.logins, 'asn');
    p.agent = intern(s.agents, agentKey, s.logins, 'agent');
    s.logins.push(p);
    s.seq++;
    s.since++;
    if (s.since >= this.#c.refit_every) {
      s.since = 0;
      if (s.logins.length > this.#c.max_history) s.logins.splice(0, s.logins.length - this.#c.max_history);
    }
    return out;
  }

  #score(user: string, s: LoginForestUserState, p: LoginPoint, e: SecurityEvent, t: number): Finding[] {
    if (this.#c.prescreen > 0) {
      const base = this.#cached(user, s);
      if (base) {
        const v = vectorOf(p, countValues(s.logins.slice(0, s.logins.length - s.since)), false);
        // Familiarity above the training range means more usual than any training login, which is
        // no reason to look closer; every other dimension must be inside the range on both sides.
        let inside = true;
        for (let j = 0; j < DIMS && inside; j++) inside = v[j]! >= base.lo[j]! && (FAMILIARITY_DIMS.has(j) || v[j]! <= base.hi[j]!);
        if (inside && base.forest.score(v) < this.#c.prescreen) {
          this.#prescreened++;
          return [];
        }
      }
    }
    // Familiarity is leave-one-out over the fitted set, the login included, so the login and a
    // history login with the same value get the same number.
    const ref = countValues([...s.logins, p]);
    const x = vectorOf(p, ref, true);
    const rows = [x, ...s.logins.map((q) => vectorOf(q, ref, true))];
    const forest = IsolationForest.fit(rows, {
      nTrees: this.#c.n_trees,
      sampleSize: this.#c.sample_size,
      seed: hashSeed(`${LOGIN_FOREST_RULE}:${this.#c.seed}:${user}:${s.seq}`),
      alwaysInclude: 1,
    });
    this.#exactFits++;
    const ex = forest.explain(x);
    if (ex.score < this.#c.threshold) return [];
    return [this.#finding(user, s, p, e, t, ex.score, groupContributions(ex.contributions))];
  }

  /** The forest on the logins before the last refit boundary, fitted on first use after the boundary. */
  #cached(user: string, s: LoginForestUserState): CachedForest | undefined {
    if (this.#c.max_cached_forests === 0) return undefined;
    const at = s.seq - s.since;
    const hit = this.#cache.get(user);
    this.#cache.delete(user);
    if (hit && hit.at === at) {
      this.#cache.set(user, hit);
      return hit;
    }
    const training = s.logins.slice(0, s.logins.length - s.since);
    if (training.length < 2) return undefined;
    const ref = countValues(training);
    const rows = training.map((q) => vectorOf(q, ref, true));
    const lo = new Float64Array(DIMS).fill(Number.POSITIVE_INFINITY);
    const hi = new Float64Array(DIMS).fill(Number.NEGATIVE_INFINITY);
    for (const r of rows) {
      for (let j = 0; j < DIMS; j++) {
        if (r[j]! < lo[j]!) lo[j] = r[j]!;
        if (r[j]! > hi[j]!) hi[j] = r[j]!;
      }
    }
    const forest = IsolationForest.fit(rows, {
      nTrees: this.#c.n_trees,
      sampleSize: this.#c.sample_size,
      seed: hashSeed(`${LOGIN_FOREST_RULE}-base:${this.#c.seed}:${user}:${at}`),
    });
    this.#cacheFits++;
    const entry: CachedForest = { at, forest, lo, hi };
    this.#cache.set(user, entry);
    while (this.#cache.size > this.#c.max_cached_forests) this.#cache.delete(this.#cache.keys().next().value as string);
    return entry;
  }

  #finding(user: string, s: LoginForestUserState, p: LoginPoint, e: SecurityEvent, t: number, score: number, shares: Record<Group, number>): Finding {
    const n = s.logins.length;
    const ref = countValues(s.logins);
    let nearest = Number.POSITIVE_INFINITY;
    for (const q of s.logins) nearest = Math.min(nearest, distanceKm(p, q));
    const asnSeen = p.asn === FORGOTTEN ? 0 : ref.asn[p.asn]!;
    const agentSeen = p.agent === FORGOTTEN ? 0 : ref.agent[p.agent]!;
    const d = new Date(t);
    const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
    // What each feature's value means in a finding: distance to the nearest previous login, how many
    // previous logins shared the ASN or agent family, and the UTC hour of day.
    const values: Record<Group, number> = { location: Math.round(nearest), asn: asnSeen, agent: agentSeen, hour: round(hour) };
    const features = GROUPS.map((name) => ({ name, value: values[name], contribution: round(shares[name]) }))
      .sort((a, b) => b.contribution - a.contribution || GROUPS.indexOf(a.name) - GROUPS.indexOf(b.name));
    const pct = percentages(features.map((f) => f.contribution));
    const drivers = features.map((f, i) => [f.name, pct[i]!] as const).filter(([, v]) => v > 0);

    const geo = e.source?.geo;
    const where = geo?.city_name ? `${geo.city_name}, ${geo.country_iso_code ?? '?'}` : (geo?.country_iso_code ?? e.source?.ip ?? 'an unknown place');
    const asn = e.source?.as?.number;
    const agent = e.user_agent?.name;
    const hhmm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const observed: Record<string, number> = { score: round(score), distance_km: values.location, asn_seen: asnSeen, agent_seen: agentSeen, hour_utc: values.hour };
    if (asn !== undefined) observed.asn = asn;
    const distinctPlaces = new Set(s.logins.map((q) => q.lat * 4000 + q.lon)).size;
    return {
      rule: LOGIN_FOREST_RULE,
      title: `Unusual login for ${user}: ${drivers.slice(0, 3).map(([g]) => g).join(', ')}`,
      severity: this.#c.severity as Severity,
      entity: { type: 'user', value: user },
      windowStart: t,
      windowEnd: t,
      evidence: [e.event.id],
      description:
        `${user}: login from ${where} at ${hhmm} UTC on ${WEEKDAYS[Math.floor(p.slot / SLOTS_PER_DAY)]} via ${asn !== undefined ? `AS${asn}` : 'an unknown network'} ` +
        `with ${agent || 'an unknown agent'} is unlike this user's ${n} previous logins ` +
        `(${drivers.map(([g, v]) => `${g} ${v}%`).join(', ')}; score ${score.toFixed(3)}, threshold ${this.#c.threshold}).`,
      observed,
      expected: {
        previous_logins: n,
        distinct_locations: distinctPlaces,
        distinct_asns: countDistinct(ref.asn),
        distinct_agents: countDistinct(ref.agent),
        threshold: this.#c.threshold,
      },
      score: round(score),
      features,
    };
  }
}

/** Dictionary index of a value, or FORGOTTEN (counted as never seen) when it is not there. */
function indexOr(dict: readonly string[], value: string): number {
  const i = dict.indexOf(value);
  return i >= 0 ? i : FORGOTTEN;
}

/**
 * Dictionary index for a value being learned. A full dictionary reuses a slot no login refers to any
 * more, else the slot whose last use is oldest; the logins that used it are marked FORGOTTEN (they
 * then count as one-offs), which only happens to users with more than 15 ASNs or agents in history.
 */
function intern(dict: string[], value: string, logins: LoginPoint[], key: 'asn' | 'agent'): number {
  const i = dict.indexOf(value);
  if (i >= 0) return i;
  if (dict.length < MAX_VALUES) return dict.push(value) - 1;
  const lastUse = new Array<number>(MAX_VALUES).fill(-1);
  logins.forEach((q, k) => {
    if (q[key] !== FORGOTTEN) lastUse[q[key]] = k;
  });
  let victim = 0;
  for (let j = 1; j < MAX_VALUES; j++) if (lastUse[j]! < lastUse[victim]!) victim = j;
  for (const q of logins) if (q[key] === victim) q[key] = FORGOTTEN;
  dict[victim] = value;
  return victim;
}

function countDistinct(counts: Int32Array): number {
  let k = 0;
  for (let j = 0; j < MAX_VALUES; j++) if (counts[j]! > 0) k++;
  return k + counts[FORGOTTEN]!;
}

/** Four decimals: enough to read, and stable text in alerts. */
function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function encode(s: LoginForestUserState): unknown {
  return { f: s.first, q: s.seq, k: s.since, a: s.asns, u: s.agents, h: packLogins(s.logins) };
}

function decode(v: unknown): LoginForestUserState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { f, q, k, a, u, h } = v as Record<string, unknown>;
  if (typeof f !== 'number' || typeof q !== 'number' || typeof k !== 'number' || typeof h !== 'string') return undefined;
  const strings = (x: unknown) => (Array.isArray(x) && x.length <= MAX_VALUES && x.every((y) => typeof y === 'string') ? (x as string[]) : undefined);
  const asns = strings(a);
  const agents = strings(u);
  const logins = unpackLogins(h);
  if (!asns || !agents || !logins || k < 0 || k > logins.length) return undefined;
  // An index past the dictionary would read another user's meaning into a login: the state is unusable.
  if (logins.some((p) => (p.asn !== FORGOTTEN && p.asn >= asns.length) || (p.agent !== FORGOTTEN && p.agent >= agents.length))) return undefined;
  return { first: f, seq: q, since: k, asns: asns.slice(), agents: agents.slice(), logins };
}
