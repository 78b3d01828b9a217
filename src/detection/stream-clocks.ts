/** Event-time watermarks kept per stream (an event's dataset), so a windowed detector idles each group against the clock of the stream that feeds it. */

// Sources, and a source's applications, are polled side by side: one stream's backfill can run days
// behind another's live edge. Judging a lagging stream's groups by the furthest-ahead clock would
// drop them on every event, and a mass download replayed from yesterday would never add up.

/** The stream of an event, as these clocks key it. */
export const streamOf = (e: { event: { dataset: string } }): string => e.event.dataset;

export class StreamClocks {
  readonly #clocks = new Map<string, number>();
  #max = Number.NEGATIVE_INFINITY;

  /** Newest event time of any stream: what sweep schedules follow. */
  get max(): number {
    return this.#max;
  }

  get empty(): boolean {
    return this.#clocks.size === 0;
  }

  /** Moves the stream's clock forward to `t` (never back). */
  advance(stream: string, t: number): void {
    const c = this.#clocks.get(stream);
    if (c !== undefined && c >= t) return;
    this.#clocks.set(stream, t);
    if (t > this.#max) this.#max = t;
  }

  /** The stream's clock; minus infinity for a stream not seen, so nothing of it counts as idle. */
  of(stream: string): number {
    return this.#clocks.get(stream) ?? Number.NEGATIVE_INFINITY;
  }

  /** A copy that stays as it is while this one moves on. */
  snapshot(): StreamClocks {
    const c = new StreamClocks();
    for (const [s, t] of this.#clocks) c.advance(s, t);
    return c;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#clocks);
  }

  /** Restores saved clocks; false (changing nothing) when the value is not what toJSON() wrote. */
  load(saved: unknown): boolean {
    if (!saved || typeof saved !== 'object' || Array.isArray(saved)) return false;
    const entries = Object.entries(saved as Record<string, unknown>);
    if (!entries.every(([, t]) => typeof t === 'number' && Number.isFinite(t))) return false;
    this.#clocks.clear();
    this.#max = Number.NEGATIVE_INFINITY;
    for (const [s, t] of entries) this.advance(s, t as number);
    return true;
  }
}
