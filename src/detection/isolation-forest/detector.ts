/** Isolation-forest detector: scores each entity's tumbling-window behaviour against the population of closed windows. */
import { eventTime, type Detector, type Finding, type FlushOptions, type PluginDeps, type SecurityEvent, type Severity } from '../../core/index.js';
import type { StateStore } from '../state.js';
import { entityField, eventWeight, isAuthentication, isLoginAttempt, userOf, type EntityField } from '../fields.js';
import { hashSeed } from '../random.js';
import type { IsolationForestConfig } from './config.js';
import { columnMedians, FEATURE_NAMES, FEATURES, modelFeatures, rawFeatures } from './features.js';
import { IsolationForest } from './forest.js';

export const ISOLATION_FOREST_RULE = 'isolation-forest';

/** Where the windows the detector still needs at the last save began, and how far it had judged (see restore). */
const ORDER_KEY = `${ISOLATION_FOREST_RULE}#order`;

/**
 * Windows scored per fit. Each fit puts the scored windows into every tree (see alwaysInclude), so
 * they share the subsample: a small chunk keeps a group of similar windows (a botnet hour) from
 * masking each other, at the price of more fits.
 */
const CHUNK = 16;
/** Distinct users/actions remembered per window; beyond it the counts saturate (features are log-scaled anyway). */
const MAX_DISTINCT = 10_000;

interface OpenWindow {
  failed: number;
  succeeded: number;
  total: number;
  users: Set<string>;
  actions: Set<string>;
  /** The window's earliest events in (time, id) order, whatever order they arrived in: a replay reads them in that order. */
  evidence: Array<{ t: number; id: string }>;
}

interface ClosedWindow {
  entity: string;
  windowStart: number;
  raw: Float64Array;
  model: Float64Array;
  evidence: string[];
}

export interface IsolationForestStats {
  openWindows: number;
  closedWindows: number;
  reservoir: number;
  pending: number;
  fits: number;
  /** Of those, fits of the prescreen's forest (one per snapshot of the population that was needed). */
  prescreenFits: number;
  /** Window start at which the prescreen's population was taken (null before the model is trainable). */
  prescreenFrom: number | null;
  /** Windows the prescreen found ordinary enough to skip the exact rescoring. */
  prescreened: number;
  lateEvents: number;
  droppedEntities: number;
  droppedPending: number;
  trainable: boolean;
}

/**
 * observe() only counts; windows close in flush() once the sources' watermark has passed their end
 * plus grace, in (window, entity) order; the population and the fit seeds follow from the closed
 * windows alone. Since counting is order-free and closing waits for every event of the window,
 * neither arrival order nor batch boundaries change the result, and a replay of the same events
 * gives the same findings with the same windowStart (the window's own start).
 */
export class IsolationForestDetector implements Detector {
  readonly id: string = ISOLATION_FOREST_RULE;
  readonly #c: IsolationForestConfig;
  readonly #field: EntityField;
  /** windowStart → entity → counts. */
  readonly #open = new Map<number, Map<string, OpenWindow>>();
  /**
   * The population: the latest reservoir_size closed windows, oldest first. Being a function of
   * the recent windows alone, a restart rebuilds it by replaying their stored events.
   */
  #reservoir: ClosedWindow[] = [];
  #pending: ClosedWindow[] = [];
  /**
   * The prescreen's forest is fitted on the population as it stood at window start #baseAt, and
   * refitted once a quarter of the population could have turned over. That start is saved, and
   * the replay after a restart reaches back to the oldest window of the population then, so a
   * restarted run takes the same snapshot at the same window and fits the same forest.
   */
  #baseAt = Number.NEGATIVE_INFINITY;
  #baseRows: ClosedWindow[] | undefined;
  #base: IsolationForest | undefined;
  /** Windows closed since the snapshot. */
  #sinceBase = 0;
  #prescreened = 0;
  #out: Finding[] = [];
  /** Windows whose end plus grace is at or before this have been closed: the largest watermark so far. */
  #closedUntil = Number.NEGATIVE_INFINITY;
  #newest = Number.NEGATIVE_INFINITY;
  /** The window most events fall in, to skip one map lookup per event. */
  #lastWs = Number.NaN;
  #lastMap: Map<string, OpenWindow> | undefined;
  /** Earliest open window end + grace: the common case of "nothing to close" is one comparison. */
  #nextClose = Number.POSITIVE_INFINITY;
  #closed = 0;
  #fits = 0;
  #prescreenFits = 0;
  #late = 0;
  #droppedEntities = 0;
  #droppedPending = 0;

  readonly #store: StateStore | undefined;
  /** Restored: where the windows needed at the last save began, from which stored events are handed back. */
  #resumeFrom: number | undefined;
  /** Restored: windows closing at or before this were judged before the restart; replayed, they only rebuild the population. */
  #judgedUntil = Number.NEGATIVE_INFINITY;
  /** Latest end + grace of a window closed (or restored as judged): saved when the watermark was +∞. */
  #closedThrough = Number.NEGATIVE_INFINITY;
  #saved = '';
  readonly #logger: PluginDeps['logger'] | undefined;

  constructor(config: IsolationForestConfig, deps: { state?: PluginDeps['state'] | undefined; logger?: PluginDeps['logger'] | undefined } = {}) {
    this.#c = config;
    this.#field = entityField(config.entity);
    this.#store = deps.state;
    this.#logger = deps.logger;
  }

  /**
   * Nothing learnt is saved, only times: the population and the open windows are the windows from
   * `o` on, whose events are in the store and come back by replay(); those closing by `c` were
   * judged already, so closing them again only rebuilds the population (and the windows still
   * waiting for a trainable model), which keeps the saved state a constant size.
   */
  async restore(): Promise<void> {
    const saved = (await this.#store?.getState(ORDER_KEY)) as { c?: unknown; o?: unknown; b?: unknown } | undefined;
    if (!saved) return;
    if (typeof saved.b === 'number' && Number.isFinite(saved.b)) this.#baseAt = saved.b;
    if (typeof saved.c === 'number' && Number.isFinite(saved.c)) this.#closedUntil = this.#judgedUntil = this.#closedThrough = saved.c;
    if (typeof saved.o === 'number' && Number.isFinite(saved.o)) this.#resumeFrom = saved.o;
  }

  async persist(): Promise<void> {
    if (!this.#store) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const ws of this.#open.keys()) if (ws < oldest) oldest = ws;
    // The population and the windows waiting for it are rebuilt from their stored events too.
    for (const held of [this.#reservoir[0], this.#pending[0], this.#baseRows?.[0]]) if (held && held.windowStart < oldest) oldest = held.windowStart;
    // After a watermark of +∞ (everything observed complete) every window was closed: what was
    // judged ends with the last of them, and a restart must not judge those again.
    const judged = Number.isFinite(this.#closedUntil) ? this.#closedUntil : this.#closedThrough;
    const value = {
      ...(Number.isFinite(judged) ? { c: judged } : {}),
      ...(Number.isFinite(oldest) ? { o: oldest } : {}),
      ...(Number.isFinite(this.#baseAt) ? { b: this.#baseAt } : {}),
    };
    const json = JSON.stringify(value);
    if (json === this.#saved) return;
    await this.#store.putState(ORDER_KEY, value);
    this.#saved = json;
  }

  resumeFrom(): number | undefined {
    return this.#resumeFrom;
  }

  replay(e: SecurityEvent): void {
    const t = eventTime(e);
    if (this.#resumeFrom === undefined || !(t >= this.#resumeFrom)) return;
    const entity = this.#field.read(e);
    // Windows judged before the restart are counted again too: they rebuild the population.
    if (entity !== undefined) this.#count(e, entity, t, true);
    if (t > this.#newest) this.#newest = t;
  }

  observe(e: SecurityEvent): Finding[] {
    const t = eventTime(e);
    if (!Number.isFinite(t)) return [];
    const entity = this.#field.read(e);
    if (entity !== undefined) this.#count(e, entity, t, false);
    if (t > this.#newest) this.#newest = t;
    return [];
  }

  /**
   * Closes and scores the windows the sources' watermark has passed (by grace), so a window holds
   * every event of its hour however they arrive. A run that ends with a store keeps its open
   * windows for the next run (see persist), which judges them whole once its watermark passes
   * them: a later input may still add to them (the last hour of a file read to its end is
   * continued by the next file). Without a store nothing survives, so the final flush judges what
   * is open.
   */
  flush(opts: FlushOptions): Finding[] {
    // Driven by hand without a watermark, time is the newest event seen, as before watermarks.
    const until = opts.watermark === undefined ? (opts.final ? Number.POSITIVE_INFINITY : this.#newest) : opts.watermark;
    if (until > this.#closedUntil) this.#closedUntil = until;
    if (this.#closedUntil >= this.#nextClose) this.#closeUntil(this.#closedUntil);
    if (opts.final && this.#open.size) {
      if (!this.#store) this.#closeUntil(Number.POSITIVE_INFINITY);
      else this.#sayHeld();
    }
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** One line at the end of a run, so an ingest that leaves its last windows to the next run does not pass over them in silence. */
  #sayHeld(): void {
    let entities = 0;
    for (const m of this.#open.values()) entities += m.size;
    const from = Math.min(...this.#open.keys());
    this.#logger?.info(
      { windows: entities, from: new Date(from).toISOString(), closesAt: new Date(from + this.#c.window + this.#c.grace).toISOString() },
      'Open windows kept for the next run: they are judged once later events pass their end.',
    );
  }

  stats(): IsolationForestStats {
    let open = 0;
    for (const m of this.#open.values()) open += m.size;
    return {
      openWindows: open,
      closedWindows: this.#closed,
      reservoir: this.#reservoir.length,
      pending: this.#pending.length,
      fits: this.#fits,
      prescreenFits: this.#prescreenFits,
      prescreenFrom: this.#baseRows ? this.#baseAt : null,
      prescreened: this.#prescreened,
      lateEvents: this.#late,
      droppedEntities: this.#droppedEntities,
      droppedPending: this.#droppedPending,
      trainable: this.#trainable(),
    };
  }

  #count(e: SecurityEvent, entity: string, t: number, replayed: boolean): void {
    const W = this.#c.window;
    const ws = Math.floor(t / W) * W;
    const closesAt = ws + W + this.#c.grace;
    if (!replayed && closesAt <= this.#closedUntil) {
      // Its window was closed and scored already; reopening it would change a reported result.
      this.#late++;
      return;
    }
    let byEntity = (ws === this.#lastWs ? this.#lastMap : undefined) ?? this.#open.get(ws);
    if (!byEntity) {
      byEntity = new Map();
      this.#open.set(ws, byEntity);
      if (closesAt < this.#nextClose) this.#nextClose = closesAt;
    }
    this.#lastWs = ws;
    this.#lastMap = byEntity;
    let w = byEntity.get(entity);
    if (!w) {
      if (byEntity.size >= this.#c.max_entities) {
        this.#droppedEntities++;
        return;
      }
      w = { failed: 0, succeeded: 0, total: 0, users: new Set(), actions: new Set(), evidence: [] };
      byEntity.set(entity, w);
    }
    const n = eventWeight(e);
    w.total += n;
    // Token refreshes and workload sign-ins are authentication but not guesses: their failures are
    // expired tokens and rotated secrets, which would make every laptop waking up look like a spray.
    if (isLoginAttempt(e)) {
      if (e.event.outcome === 'failure') w.failed += n;
      else if (e.event.outcome === 'success') w.succeeded += n;
    }
    const user = userOf(e);
    if (user !== undefined && w.users.size < MAX_DISTINCT) w.users.add(user);
    if (w.actions.size < MAX_DISTINCT) w.actions.add(e.event.action);
    keepEarliest(w.evidence, t, e.event.id, this.#c.max_evidence);
  }

  /** Closes every window whose end + grace is at or before `until`, oldest first. */
  #closeUntil(until: number): void {
    const W = this.#c.window;
    const grace = this.#c.grace;
    const due = [...this.#open.keys()].filter((ws) => ws + W + grace <= until).sort((a, b) => a - b);
    // One window start at a time, in time order: the reservoir a window is scored against, and the
    // seeds, must follow from the sequence of windows alone, not from how many closed together.
    for (const ws of due) this.#closeStart(ws);
    this.#nextClose = Number.POSITIVE_INFINITY;
    for (const ws of this.#open.keys()) this.#nextClose = Math.min(this.#nextClose, ws + W + grace);
  }

  #closeStart(ws: number): void {
    const closesAt = ws + this.#c.window + this.#c.grace;
    if (closesAt > this.#closedThrough) this.#closedThrough = closesAt;
    const closed: ClosedWindow[] = [];
    // By entity: the order windows enter the reservoir and the forests must not depend on arrival order.
    const byEntity = this.#open.get(ws)!;
    for (const entity of [...byEntity.keys()].sort()) {
      const w = byEntity.get(entity)!;
      if (w.total < this.#c.min_events) continue;
      const raw = rawFeatures({
        failedLogins: w.failed,
        successfulLogins: w.succeeded,
        totalEvents: w.total,
        distinctUsers: w.users.size,
        distinctActions: w.actions.size,
      });
      closed.push({ entity, windowStart: ws, raw, model: modelFeatures(raw), evidence: w.evidence.map((x) => x.id) });
      this.#closed++;
    }
    this.#open.delete(ws);
    if (ws === this.#lastWs) this.#lastMap = undefined;
    if (closed.length === 0) return;
    this.#remember(closed);
    this.#pending.push(...closed);
    if (this.#pending.length > this.#c.max_pending) {
      const drop = this.#pending.length - this.#c.max_pending;
      this.#pending.splice(0, drop);
      this.#droppedPending += drop;
    }
    if (!this.#trainable()) return;
    this.#snapshot(ws, closed.length);
    if (closesAt <= this.#judgedUntil) {
      // Replayed after a restart: judged before it, so it only rebuilds the population.
      this.#pending = [];
      return;
    }
    const pending = this.#prescreen(this.#pending);
    this.#pending = [];
    let medians: number[] | undefined;
    for (let i = 0; i < pending.length; i += CHUNK) {
      const found = this.#score(pending.slice(i, i + CHUNK));
      for (const [c, score, contributions] of found) {
        medians ??= columnMedians(this.#reservoir.map((r) => r.raw), FEATURES.length);
        this.#out.push(this.#finding(c, score, contributions, medians));
      }
    }
  }

  /**
   * Exact scoring fits a forest per chunk (milliseconds); most windows are plainly ordinary, and a
   * forest fitted on the reservoir alone says so in microseconds. Out of sample a window scores at
   * most about as high as it would in sample (a point beyond the training range follows the most
   * extreme training point), so a low prescore rules a window out without hiding a true outlier.
   */
  #prescreen(windows: ClosedWindow[]): ClosedWindow[] {
    if (this.#c.prescreen <= 0) return windows;
    if (!this.#base) {
      // Fitted when first needed: windows replayed after a restart that were judged before it need none.
      this.#base = IsolationForest.fit(
        this.#baseRows!.map((r) => r.model),
        { nTrees: this.#c.n_trees, sampleSize: this.#c.sample_size, seed: hashSeed(`base:${this.#c.seed}:${this.#baseAt}`) },
      );
      this.#fits++;
      this.#prescreenFits++;
    }
    const base = this.#base;
    const keep = windows.filter((w) => base.score(w.model) >= this.#c.prescreen);
    this.#prescreened += windows.length - keep.length;
    return keep;
  }

  /**
   * Takes the population at window start `ws` for the prescreen when due: first when the model is
   * trainable, then once a quarter of the reservoir (at least sample_size windows) closed since.
   * A restarted run replaying windows before the saved snapshot start takes none of them.
   */
  #snapshot(ws: number, closed: number): void {
    if (this.#baseRows) {
      this.#sinceBase += closed;
      if (this.#sinceBase < Math.max(this.#c.sample_size, Math.floor(this.#c.reservoir_size / 4))) return;
    } else if (ws < this.#baseAt) {
      return;
    }
    this.#baseAt = ws;
    this.#baseRows = this.#reservoir.slice();
    this.#base = undefined;
    this.#sinceBase = 0;
  }

  /** The latest reservoir_size windows: a restart rebuilds them from the stored events of their hours. */
  #remember(closed: ClosedWindow[]): void {
    this.#reservoir.push(...closed);
    const over = this.#reservoir.length - this.#c.reservoir_size;
    if (over > 0) this.#reservoir = this.#reservoir.slice(over);
  }

  #trainable(): boolean {
    return this.#reservoir.length >= this.#c.min_samples;
  }

  /** Fits a forest with the chunk in every tree and the reservoir as the rest; returns the windows over threshold. */
  #score(chunk: ClosedWindow[]): Array<[ClosedWindow, number, number[]]> {
    const inChunk = new Set(chunk);
    const rows: Float64Array[] = chunk.map((c) => c.model);
    for (const r of this.#reservoir) if (!inChunk.has(r)) rows.push(r.model);
    const first = chunk[0]!;
    const forest = IsolationForest.fit(rows, {
      nTrees: this.#c.n_trees,
      sampleSize: this.#c.sample_size,
      // Seeded by the chunk's first window, so a replay fits the very same trees for the same windows.
      seed: hashSeed(`forest:${this.#c.seed}:${first.windowStart}:${first.entity}`),
      alwaysInclude: chunk.length,
    });
    this.#fits++;
    const out: Array<[ClosedWindow, number, number[]]> = [];
    for (const c of chunk) {
      const ex = forest.explain(c.model);
      if (ex.score >= this.#c.threshold && this.#material(c, ex.contributions)) out.push([c, ex.score, ex.contributions]);
    }
    return out;
  }

  /**
   * Rare is not the same as worth an analyst's time: where most windows have no failed login, two
   * failures isolate quickly. A window is reported only when a count among its top three drivers
   * reaches min_count.
   */
  #material(c: ClosedWindow, contributions: number[]): boolean {
    const top = contributions.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 3);
    return top.some(([v, i]) => v > 0 && FEATURES[i]!.count === true && c.raw[i]! >= this.#c.min_count);
  }

  #finding(c: ClosedWindow, score: number, contributions: number[], medians: number[]): Finding {
    const W = this.#c.window;
    const observed: Record<string, number> = {};
    const expected: Record<string, number> = {};
    FEATURE_NAMES.forEach((name, i) => {
      observed[name] = round(c.raw[i]!);
      expected[name] = round(medians[i]!);
    });
    const features = FEATURE_NAMES.map((name, i) => ({ name, value: round(c.raw[i]!), contribution: round(contributions[i]!) }))
      .sort((a, b) => b.contribution - a.contribution || a.name.localeCompare(b.name));
    const top = features.slice(0, 3).filter((f) => f.contribution > 0);
    const who = `${this.#field.type} ${c.entity}`;
    const from = new Date(c.windowStart).toISOString();
    const to = new Date(c.windowStart + W).toISOString();
    const drivers = top.map((f) => `${f.name} ${f.value} (median ${expected[f.name]}, ${Math.round(f.contribution * 100)}% of the isolation)`);
    return {
      rule: ISOLATION_FOREST_RULE,
      title: `Anomalous activity for ${who}: ${top.map((f) => f.name).join(', ')}`,
      severity: this.#c.severity as Severity,
      entity: { type: this.#field.type, value: c.entity },
      windowStart: c.windowStart,
      windowEnd: c.windowStart + W,
      evidence: c.evidence.slice(),
      description:
        `Between ${from} and ${to}, ${who} behaved unlike the population of entity windows ` +
        `(isolation-forest score ${score.toFixed(3)}, threshold ${this.#c.threshold}): ${drivers.join('; ')}.`,
      observed,
      expected,
      score: round(score),
      features,
    };
  }
}

/** Inserts (t, id) into `list`, kept sorted and at most `max` long; an event in time order costs one comparison. */
function keepEarliest(list: Array<{ t: number; id: string }>, t: number, id: string, max: number): void {
  let i = list.length;
  const last = list[i - 1];
  if (last === undefined || t > last.t || (t === last.t && id > last.id)) {
    if (i < max) list.push({ t, id });
    return;
  }
  while (i > 0 && (t < list[i - 1]!.t || (t === list[i - 1]!.t && id < list[i - 1]!.id))) i--;
  list.splice(i, 0, { t, id });
  if (list.length > max) list.pop();
}

/** Four decimals: enough to read, and stable text in alerts. */
function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
