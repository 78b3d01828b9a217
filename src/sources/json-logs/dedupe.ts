/** Folds records identical but for their timestamp, within a window of the first one, into one event with a count. */
import type { SecurityEvent } from '../../core/index.js';
import { canonicalJson, sha256Hex } from '../../core/index.js';

/** A copy of `raw` without the field at `path` (a literal dotted key first, then the nested path, as getField reads it). */
export function withoutField(raw: Record<string, unknown>, path: string): Record<string, unknown> {
  if (Object.hasOwn(raw, path)) {
    const copy = { ...raw };
    delete copy[path];
    return copy;
  }
  const dot = path.indexOf('.');
  if (dot === -1) return raw;
  const head = path.slice(0, dot);
  const child = raw[head];
  if (child === null || typeof child !== 'object' || Array.isArray(child)) return raw;
  return { ...raw, [head]: withoutField(child as Record<string, unknown>, path.slice(dot + 1)) };
}

/** Identity of a record for duplicate compression: its content minus the timestamp field. */
export function dedupeKey(raw: Record<string, unknown>, timestampField: string): string {
  return sha256Hex(canonicalJson(withoutField(raw, timestampField)));
}

interface Group {
  key: string;
  event: SecurityEvent;
  firstMs: number;
  count: number;
}

/**
 * Groups are keyed by content and emitted once the newest event time seen has moved past their
 * window, when a later duplicate falls outside it, when too many are open (oldest first), or at
 * the end of input. Everything depends on input order and event times only, never on the clock,
 * so re-ingesting a file yields the same events with the same ids and counts.
 */
export class DuplicateCompressor {
  /** Insertion-ordered, so the first entry is the oldest open group. */
  readonly #groups = new Map<string, Group>();
  #watermark = -Infinity;

  /** `onGroupStart` runs once per group, on its first event: where the caller fills the event id. */
  constructor(
    private readonly windowMs: number,
    private readonly maxGroups: number,
    private readonly onGroupStart: (first: SecurityEvent) => void = () => {},
  ) {}

  get openGroups(): number {
    return this.#groups.size;
  }

  /** Adds one event; events whose group closed are appended to `out`. */
  add(event: SecurityEvent, key: string, ms: number, out: SecurityEvent[]): void {
    const open = this.#groups.get(key);
    // Either side of the first occurrence, so slightly unordered logs still fold.
    if (open !== undefined && Math.abs(ms - open.firstMs) <= this.windowMs) {
      open.count++;
    } else {
      if (open !== undefined) this.#emit(open, out);
      if (this.#groups.size >= this.maxGroups) this.#emit(this.#groups.values().next().value!, out);
      this.onGroupStart(event);
      this.#groups.set(key, { key, event, firstMs: ms, count: 1 });
    }
    if (ms > this.#watermark) this.#watermark = ms;
    for (const g of this.#groups.values()) {
      if (g.firstMs + this.windowMs >= this.#watermark) break;
      this.#emit(g, out);
    }
  }

  /** Emits every open group, in order of first occurrence. */
  flush(out: SecurityEvent[]): void {
    for (const g of this.#groups.values()) this.#emit(g, out);
  }

  #emit(g: Group, out: SecurityEvent[]): void {
    this.#groups.delete(g.key);
    if (g.count > 1) g.event.event.count = g.count;
    out.push(g.event);
  }
}
