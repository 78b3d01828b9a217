/** The organisation's memory of where its people sign in from: each country's last successful login, and the organisation's own learning period. */

const DAY = 86_400_000;

/**
 * ISO 3166 has 249 codes and GeoIP databases add a few (EU, AP); a source that writes free text in
 * the country field must not grow the state without end, so past this the least recently seen goes.
 */
export const MAX_ORG_COUNTRIES = 512;

/** What a login from a country new to the organisation is judged against. */
export interface OrgNovelty {
  /** Countries someone signed in from within the memory period before this login, sorted. */
  known: string[];
  /** When the organisation's learning period began. */
  learningFrom: number;
}

/**
 * Fed every successful login with a country, in event-time order (the per-user detector releases
 * them in (time, id) order across all users, so the verdict does not depend on arrival order).
 * The learning period runs from the first login seen, and starts over when nobody has signed in
 * from anywhere for the whole memory period (everything was forgotten: a deployment that was off
 * for months must not report its own offices).
 */
export class OrgCountries {
  readonly #learning: number;
  readonly #memory: number;
  /** Start of the current learning period; +∞ before the first login. */
  #first = Number.POSITIVE_INFINITY;
  /** Newest login applied. */
  #newest = Number.NEGATIVE_INFINITY;
  /** Time of the next sweep of forgotten countries (once a day of event time keeps it cheap). */
  #sweepAt = Number.NEGATIVE_INFINITY;
  readonly #seen = new Map<string, number>();

  constructor(learningMs: number, memoryMs: number) {
    this.#learning = learningMs;
    this.#memory = memoryMs;
  }

  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records a successful login from `country` at `t`. Returns what it was judged against when the
   * country is new to the organisation and the learning period is over; undefined otherwise.
   */
  observe(country: string, t: number): OrgNovelty | undefined {
    // Learning (re)starts at the first login, or the first after a silence longer than the memory;
    // never earlier: a late or backfilled old login is learned, and must not end the learning early.
    // Countries are not cleared then: they expire by their own time.
    if (t - this.#newest > this.#memory) this.#first = t;
    const last = this.#seen.get(country);
    const known = last !== undefined && t - last <= this.#memory;
    const verdict = !known && t - this.#first >= this.#learning ? { known: this.#known(t), learningFrom: this.#first } : undefined;
    this.#seen.set(country, last === undefined ? t : Math.max(last, t));
    if (t > this.#newest) this.#newest = t;
    if (t >= this.#sweepAt) this.#sweep(t);
    if (this.#seen.size > MAX_ORG_COUNTRIES) this.#dropOldest();
    return verdict;
  }

  #known(t: number): string[] {
    const out: string[] = [];
    for (const [c, last] of this.#seen) if (t - last <= this.#memory) out.push(c);
    return out.sort();
  }

  #sweep(t: number): void {
    for (const [c, last] of this.#seen) if (t - last > this.#memory) this.#seen.delete(c);
    this.#sweepAt = t + DAY;
  }

  #dropOldest(): void {
    let victim: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [c, last] of this.#seen) {
      if (last < oldest) {
        oldest = last;
        victim = c;
      }
    }
    if (victim !== undefined) this.#seen.delete(victim);
  }

  /** Compact JSON form (JSON has no infinities: they save as null). */
  encode(): unknown {
    return { f: finiteOrNull(this.#first), n: finiteOrNull(this.#newest), w: finiteOrNull(this.#sweepAt), c: [...this.#seen] };
  }

  /** Loads what encode() wrote; false (changing nothing) when it is not that. */
  load(v: unknown): boolean {
    if (typeof v !== 'object' || v === null) return false;
    const { f, n, w, c } = v as Record<string, unknown>;
    const first = read(f, Number.POSITIVE_INFINITY);
    const newest = read(n, Number.NEGATIVE_INFINITY);
    const sweepAt = read(w, Number.NEGATIVE_INFINITY);
    if (first === undefined || newest === undefined || sweepAt === undefined || !Array.isArray(c)) return false;
    const seen: Array<[string, number]> = [];
    for (const x of c) {
      if (Array.isArray(x) && typeof x[0] === 'string' && typeof x[1] === 'number' && Number.isFinite(x[1])) seen.push([x[0], x[1]]);
    }
    this.#first = first;
    this.#newest = newest;
    this.#sweepAt = sweepAt;
    this.#seen.clear();
    for (const [k, t] of seen.slice(-MAX_ORG_COUNTRIES)) this.#seen.set(k, t);
    return true;
  }
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function read(x: unknown, inf: number): number | undefined {
  return x === null ? inf : typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}
