/** The pipeline's watermark: the oldest promise among the sources that can still deliver events (see SourceBatch.watermark). */

interface SourceMark {
  /** Its latest promise: nothing older will come from it (within its lateness). */
  w: number;
  /** Whether it has ever promised anything. */
  declares: boolean;
  /** Exhausted: it ended without ever promising, so it holds nothing back any more. */
  done: boolean;
}

/**
 * Why the minimum over sources: a windowed detector may only judge a stretch of event time once
 * every source that could still add to it has moved past it. A source that has said nothing yet
 * holds everything back (a file read in any order), which costs memory, never correctness.
 */
export class Watermarks {
  readonly #sources = new Map<string, SourceMark>();
  /** Newest event time delivered by any source. */
  #newest = Number.NEGATIVE_INFINITY;

  /** A source starts delivering (again): until it promises something it holds everything back. */
  start(name: string): void {
    const m = this.#sources.get(name);
    if (m) m.done = false;
    else this.#sources.set(name, { w: Number.NEGATIVE_INFINITY, declares: false, done: false });
  }

  /**
   * The source that holds the watermark back the most, among those that promise (a file holding
   * back until it ends is expected), and how far behind the newest event seen it stands.
   */
  laggard(): { source: string; behindMs: number } | undefined {
    let worst: { source: string; w: number } | undefined;
    for (const [source, m] of this.#sources) if (!m.done && m.declares && (!worst || m.w < worst.w)) worst = { source, w: m.w };
    if (!worst || !Number.isFinite(this.#newest) || !Number.isFinite(worst.w)) return undefined;
    return { source: worst.source, behindMs: this.#newest - worst.w };
  }

  /** An event time seen (by this run or, restored, an earlier one). */
  seen(t: number): void {
    if (t > this.#newest) this.#newest = t;
  }

  /** Takes a batch's promise, if it makes one (promises never move back), and its newest event time. */
  batch(name: string, watermark: number | undefined, newest: number): void {
    this.seen(newest);
    let m = this.#sources.get(name);
    if (!m) this.#sources.set(name, (m = { w: Number.NEGATIVE_INFINITY, declares: false, done: false }));
    if (watermark === undefined || Number.isNaN(watermark)) return;
    m.declares = true;
    if (watermark > m.w) m.w = watermark;
  }

  /**
   * The source ran out of input (it was not stopped). One that never promised anything (a file) is
   * exhausted and stops holding the others back; one that did (a poller after one pass) keeps its
   * last promise, because it will be polled again from there (a finite source done for good
   * promises +∞ with its last batch).
   */
  end(name: string): void {
    const m = this.#sources.get(name);
    if (m && !m.declares) m.done = true;
  }

  /**
   * Event time before which every source has delivered everything it will. When none holds anything
   * back, just past the newest event delivered: everything seen is complete, and time has reached
   * it (a later input may continue from there, so nothing is judged beyond it). With no event seen
   * at all there is nothing to judge: -∞, never +∞, which would leave every later event late.
   */
  current(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const m of this.#sources.values()) if (!m.done && m.w < min) min = m.w;
    if (min !== Number.POSITIVE_INFINITY) return min;
    return Number.isFinite(this.#newest) ? this.#newest + 1 : Number.NEGATIVE_INFINITY;
  }
}
