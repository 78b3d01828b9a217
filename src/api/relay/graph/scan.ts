/** One read of alerts_v2 shared by the observables asked at about the same time: Graph cannot filter alerts_v2 on evidence, so every observable walks the same records instead of each downloading them. */
import type { RelayError } from '../types.js';

export interface Page {
  value: unknown[];
  nextLink: string | undefined;
}

export interface SharedScanOptions {
  /** Reads the first page (no link) or the page a nextLink names. */
  load: (link: string | undefined) => Promise<Page>;
  /** A failure as the relay reports it; undefined when it only means the listing ended (Graph's 404). */
  toError: (err: unknown) => RelayError | undefined;
  /** Records read at most. */
  maxRecords: number;
  /** Pages read at most (a server handing out nextLinks forever). */
  maxPages: number;
  createdAt: number;
}

/**
 * A listing read lazily, page by page, as far as its furthest reader needs: a reader that has its
 * limit of sightings stops asking, and the next page is fetched only for one that has not. Readers
 * never wait on each other's signals: the fetch belongs to the scan, each reader may stop waiting.
 */
export class SharedScan {
  readonly records: unknown[] = [];
  readonly createdAt: number;
  /** Set when the listing failed; the records read before stay. */
  error: RelayError | undefined;
  #done = false;
  #next: string | undefined;
  #pages = 0;
  #pending: Promise<void> | undefined;
  readonly #o: SharedScanOptions;

  constructor(o: SharedScanOptions) {
    this.#o = o;
    this.createdAt = o.createdAt;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Whether a page is being read for a reader now. */
  get reading(): boolean {
    return this.#pending !== undefined;
  }

  /** Resolves once record `i` is read, or the listing has ended (its end, the record or page bound, or a failure). */
  async need(i: number): Promise<void> {
    while (this.records.length <= i && !this.#done) {
      this.#pending ??= this.#load().finally(() => (this.#pending = undefined));
      await this.#pending;
    }
  }

  async #load(): Promise<void> {
    try {
      const page = await this.#o.load(this.#pages === 0 ? undefined : this.#next);
      this.#pages++;
      this.records.push(...page.value.slice(0, this.#o.maxRecords - this.records.length));
      this.#next = page.nextLink;
      if (!page.nextLink || this.records.length >= this.#o.maxRecords || this.#pages >= this.#o.maxPages) this.#done = true;
    } catch (err) {
      this.error = this.#o.toError(err);
      this.#done = true;
    }
  }
}
