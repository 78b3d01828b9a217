/** What a source yields: raw records in batches, with the cursor that resumes after them. */
import type { SecurityEvent } from './event.js';

export interface RawRecord {
  /** The record as read (parsed JSON object, CSV row as object, ...). */
  data: unknown;
  /**
   * Where it came from, for dead letters: file path, line number, byte offset of the record's start
   * in the (decompressed) input, API page.
   */
  position?: { file?: string; line?: number; offset?: number; page?: string };
}

/** events[i] of a batch was read at line[i], starting at byte offset[i], of `file`; the columns may be shorter than `events` (an event past their end has no position). */
export interface BatchPositions {
  file: string;
  line: number[];
  offset: number[];
}

/** The position of events[i] in `positions`, if it has one. */
export function positionAt(positions: BatchPositions | undefined, i: number): RawRecord['position'] {
  const line = positions?.line[i];
  if (positions === undefined || line === undefined) return undefined;
  const offset = positions.offset[i];
  return offset === undefined ? { file: positions.file, line } : { file: positions.file, line, offset };
}

export interface DeadLetterInput {
  source: string;
  reason: string;
  code: string;
  /** The offending input, truncated by the store if huge. */
  payload: string;
  position?: RawRecord['position'];
}

export interface SourceBatch {
  events: SecurityEvent[];
  deadLetters: DeadLetterInput[];
  /**
   * Where each event was read, when the source knows (json-logs): the pipeline's dead letter for an
   * event it refuses names it. Columns parallel to `events`, not an object per event, which on the
   * hot path cost a tenth of json-logs' throughput in garbage.
   */
  positions?: BatchPositions;
  /**
   * The source vouches that every event is plain data parsed from a bounded text (acyclic, no
   * BigInt, nesting under the pipeline's limit, size within its bound) and holds no NUL or lone
   * surrogate: the pipeline then checks only its time, not every string (see pipeline/admit.ts).
   * A source that is not sure leaves it unset.
   */
  vetted?: boolean;
  /** Opaque resume point, committed in the same transaction as the batch's events. */
  cursor?: string;
  /** Progress hint for the CLI progress bar: bytes or records done / total. */
  progress?: { done: number; total?: number; unit: 'bytes' | 'records' };
  /**
   * The source's promise, once this batch is committed: no event older than this (epoch ms) will
   * come from it any more, beyond its declared lateness (a poller: what it has read, less its
   * `settle`). Never moves back. A source that never says keeps every windowed detector waiting until
   * it ends, and ending then means it is exhausted; a source that does say keeps its last promise
   * when it ends (it will be polled again from where it stopped), unless that promise is +∞ (done
   * for good).
   */
  watermark?: number;
}

export interface SourceContext {
  /** Last committed cursor for this source instance, if any. */
  cursor: string | undefined;
  signal: AbortSignal;
}

/**
 * A running source instance. `batches` ends when the input is exhausted (file) or runs until the
 * signal aborts (poller). The pipeline awaits each batch's commit before pulling the next: that is
 * the backpressure.
 */
export interface Source {
  /** Instance name from config (unique), used as cursor key and in logs. */
  readonly name: string;
  /** Integration id (kebab-case), same as its folder and config `type`. */
  readonly type: string;
  batches(ctx: SourceContext): AsyncIterable<SourceBatch>;
}
