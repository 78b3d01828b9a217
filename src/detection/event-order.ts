/** Event-time order for windowed detectors: what they count waits until the watermark passes it, then runs in (time, id) order. */

// Why: a sliding window fed in arrival order finds different bursts for the same events when a
// source pages newest first, shuffles a page, or runs beside a source hours behind it. Holding each
// counted event until no earlier one can still arrive (the watermark, from the sources' declared
// lateness) and then applying the due ones sorted makes the result a function of the events alone:
// the invariant `test/detection-order.property.test.ts` checks against an offline oracle.

/** What a windowed detector queues: the event's time and id, plus whatever it counts. */
export interface Timed {
  t: number;
  id: string;
}

/** Total order on queued entries: time, then event id, so ties break the same way in every run. */
export function compareTimed(a: Timed, b: Timed): number {
  return a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Inserts keeping (t, id) order; arrivals are mostly in order, so the walk back from the tail is short. */
export function insertTimed<T extends Timed>(xs: T[], x: T): void {
  let i = xs.length;
  xs.push(x);
  while (i > 0 && compareTimed(xs[i - 1]!, x) > 0) {
    xs[i] = xs[i - 1]!;
    i--;
  }
  xs[i] = x;
}

/** How many leading entries of a sorted queue are due: time before the frontier. */
export function dueCount(xs: readonly Timed[], frontier: number): number {
  if (frontier === Number.POSITIVE_INFINITY) return xs.length;
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]!.t < frontier) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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

  /** Moves the clock after a release; returns it. */
  tick(): number {
    const c = this.frontier === Number.POSITIVE_INFINITY ? this.newest : this.frontier;
    if (c > this.clock) this.clock = c;
    return this.clock;
  }

  /** JSON has no infinities: -∞ saves as null, and a frontier of +∞ as "inf". */
  toJSON(): [number | 'inf' | null, number | null, number | null] {
    return [this.frontier === Number.POSITIVE_INFINITY ? 'inf' : finiteOrNull(this.frontier), finiteOrNull(this.clock), finiteOrNull(this.newest)];
  }

  /** Restores what toJSON() wrote; false (changing nothing) when it is not that. */
  load(saved: unknown): boolean {
    if (!Array.isArray(saved) || saved.length !== 3) return false;
    const [f, c, n] = saved as unknown[];
    const read = (x: unknown, inf: number): number | undefined => (x === null ? inf : typeof x === 'number' && Number.isFinite(x) ? x : undefined);
    const frontier = f === 'inf' ? Number.POSITIVE_INFINITY : read(f, Number.NEGATIVE_INFINITY);
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

/** The watermark a detector works to: the pipeline's, or for callers that give none, nothing until the final flush. */
export function watermarkOf(opts: { final: boolean; watermark?: number | undefined }): number {
  return opts.watermark ?? (opts.final ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
}

/**
 * A min-heap of timed entries: which group holds the oldest queued event. Entries are not updated
 * in place; a group's newer, earlier head is pushed again, and stale entries (the group's head has
 * since changed) are skipped when they surface.
 */
export class TimedHeap<T> {
  readonly #t: number[] = [];
  readonly #id: string[] = [];
  readonly #item: T[] = [];

  get size(): number {
    return this.#t.length;
  }

  push(t: number, id: string, item: T): void {
    const ts = this.#t;
    const ids = this.#id;
    const items = this.#item;
    let i = ts.length;
    ts.push(t);
    ids.push(id);
    items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (ts[p]! < t || (ts[p] === t && ids[p]! <= id)) break;
      ts[i] = ts[p]!;
      ids[i] = ids[p]!;
      items[i] = items[p]!;
      i = p;
    }
    ts[i] = t;
    ids[i] = id;
    items[i] = item;
  }

  /** Time of the oldest entry; +∞ when empty. */
  peekTime(): number {
    return this.#t.length ? this.#t[0]! : Number.POSITIVE_INFINITY;
  }

  peekId(): string | undefined {
    return this.#id[0];
  }

  pop(): T | undefined {
    const ts = this.#t;
    const ids = this.#id;
    const items = this.#item;
    const n = ts.length;
    if (n === 0) return undefined;
    const top = items[0];
    const t = ts.pop()!;
    const id = ids.pop()!;
    const item = items.pop()!;
    if (n > 1) {
      let i = 0;
      const len = n - 1;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= len) break;
        const r = l + 1;
        const c = r < len && (ts[r]! < ts[l]! || (ts[r] === ts[l] && ids[r]! < ids[l]!)) ? r : l;
        if (t < ts[c]! || (t === ts[c] && id <= ids[c]!)) break;
        ts[i] = ts[c]!;
        ids[i] = ids[c]!;
        items[i] = items[c]!;
        i = c;
      }
      ts[i] = t;
      ids[i] = id;
      items[i] = item;
    }
    return top;
  }

  clear(): void {
    this.#t.length = 0;
    this.#id.length = 0;
    this.#item.length = 0;
  }
}
