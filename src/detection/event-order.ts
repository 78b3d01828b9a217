/** Event-time order for windowed detectors: what they count waits until the watermark passes it, then runs in (time, id) order. */

// Why: a sliding window fed in arrival order finds different bursts for the same events when a
// source pages newest first, shuffles a page, or runs beside a source hours behind it. Holding each
// counted event until no earlier one can still arrive (the watermark, from the sources' declared
// lateness) and then applying the due ones sorted makes the result a function of the events alone:
// the invariant the property tests (src/detection/*order.property.test.ts) check against an offline oracle.

/** What a windowed detector queues: the event's time and id, plus whatever it counts. */
export interface Timed {
  t: number;
  id: string;
}

/** Total order on queued entries: time, then event id, so ties break the same way in every run. */
export function compareTimed(a: Timed, b: Timed): number {
  return a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * How far a detector has judged event time. `frontier`: every queued entry before it has been
 * applied (the largest watermark seen; +∞ once the sources are exhausted). `clock`: the time groups
 * idle and windows close against, which is the frontier while the sources promise it, and the
 * newest applied event once they promise everything (an exhausted file says nothing about the
 * next one, so nothing is closed beyond what it held).
 */
export class EventClock {
  frontier = Number.NEGATIVE_INFINITY;
  clock = Number.NEGATIVE_INFINITY;
  /** Newest event time applied so far. */
  newest = Number.NEGATIVE_INFINITY;

  /** Takes a watermark; the frontier never moves back (a restarted run's sources start behind). */
  advance(watermark: number): void {
    if (watermark > this.frontier) this.frontier = watermark;
  }

  /** Records an applied event time. */
  applied(t: number): void {
    if (t > this.newest) this.newest = t;
  }

  /**
   * Whether an event at `t`, read back from the store after a restart, is one the detector held
   * unjudged at its last save: at or after where its held events began (`resumeFrom`, undefined
   * when it held none) and not behind the frontier it had judged up to.
   */
  heldAtSave(t: number, resumeFrom: number | undefined): boolean {
    return resumeFrom !== undefined && t >= resumeFrom && t >= this.frontier;
  }

  /** Moves the clock after a release; returns it. */
  tick(): number {
    const c = this.frontier === Number.POSITIVE_INFINITY ? this.newest : this.frontier;
    if (c > this.clock) this.clock = c;
    return this.clock;
  }

  /**
   * JSON has no infinities: -∞ saves as null. A frontier of +∞ (everything observed was complete)
   * saves as just past the newest event applied: a later run continues from there, rather than
   * finding every event it reads already judged.
   */
  toJSON(): [number | null, number | null, number | null] {
    const frontier = this.frontier === Number.POSITIVE_INFINITY ? this.newest + 1 : this.frontier;
    return [finiteOrNull(frontier), finiteOrNull(this.clock), finiteOrNull(this.newest)];
  }

  /** Restores what toJSON() wrote; false (changing nothing) when it is not that. */
  load(saved: unknown): boolean {
    if (!Array.isArray(saved) || saved.length !== 3) return false;
    const [f, c, n] = saved as unknown[];
    const read = (x: unknown, inf: number): number | undefined => (x === null ? inf : typeof x === 'number' && Number.isFinite(x) ? x : undefined);
    const frontier = read(f, Number.NEGATIVE_INFINITY);
    const clock = read(c, Number.NEGATIVE_INFINITY);
    const newest = read(n, Number.NEGATIVE_INFINITY);
    if (frontier === undefined || clock === undefined || newest === undefined) return false;
    this.frontier = frontier;
    this.clock = clock;
    this.newest = newest;
    return true;
  }
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * The watermark a detector works to: the pipeline's; for callers that give none (a tool or test
 * driving a detector by hand), everything observed so far is complete.
 */
export function watermarkOf(opts: { final: boolean; watermark?: number | undefined }): number {
  return opts.watermark ?? Number.POSITIVE_INFINITY;
}

/** Positions of the queued entries before the frontier, in (time, id) order; `ts` and `ids` are parallel columns. */
export function dueIndices(ts: readonly number[], ids: readonly string[], frontier: number): number[] {
  const due: number[] = [];
  for (let i = 0; i < ts.length; i++) if (ts[i]! < frontier) due.push(i);
  if (due.length > 1) due.sort((a, b) => ts[a]! - ts[b]! || (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
  return due;
}

/** Keeps the entries at or after the frontier in every parallel column (`ts` among them), in place and in arrival order. */
export function keepNotDue(ts: readonly number[], frontier: number, columns: ReadonlyArray<unknown[]>): void {
  let k = 0;
  for (let i = 0; i < ts.length; i++) {
    if (ts[i]! < frontier) continue;
    if (k !== i) for (const c of columns) c[k] = c[i];
    k++;
  }
  for (const c of columns) c.length = k;
}

/**
 * Items queued until the watermark passes them, in arrival order as parallel arrays (an object per
 * queued event is what the garbage collector would spend its time on); takeDue() hands back the due
 * ones sorted by (time, id).
 */
export class EventQueue<K, V> {
  readonly #t: number[] = [];
  readonly #id: string[] = [];
  readonly #key: K[] = [];
  readonly #val: V[] = [];

  get size(): number {
    return this.#t.length;
  }

  add(t: number, id: string, key: K, val: V): void {
    this.#t.push(t);
    this.#id.push(id);
    this.#key.push(key);
    this.#val.push(val);
  }

  /** Time of the oldest queued item; undefined when empty. */
  oldest(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    for (const t of this.#t) if (t < min) min = t;
    return this.#t.length ? min : undefined;
  }

  /** Removes the items before the frontier and calls `apply` on each in (time, id) order. */
  takeDue(frontier: number, apply: (t: number, id: string, key: K, val: V) => void): void {
    const ts = this.#t;
    const ids = this.#id;
    const due = dueIndices(ts, ids, frontier);
    const n = due.length;
    if (n === 0) return;
    // Copied out and the queue compacted before applying, since apply may queue more.
    const dt = new Array<number>(n);
    const did = new Array<string>(n);
    const dk = new Array<K>(n);
    const dv = new Array<V>(n);
    for (let j = 0; j < n; j++) {
      const i = due[j]!;
      dt[j] = ts[i]!;
      did[j] = ids[i]!;
      dk[j] = this.#key[i]!;
      dv[j] = this.#val[i]!;
    }
    keepNotDue(ts, frontier, [ids, this.#key, this.#val, ts]);
    for (let j = 0; j < n; j++) apply(dt[j]!, did[j]!, dk[j]!, dv[j]!);
  }
}
