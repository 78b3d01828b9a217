/**
 * The pipeline's one check of every event from every source before anything else touches it:
 * bounded nesting, values JSON can hold, a bounded size, and text every store dialect can hold.
 */
import type { ErrorCode, SecurityEvent } from '../core/index.js';

/**
 * Deepest nesting an event may have (the event is depth 1, its `raw` record 2). Above json-logs'
 * own highest `max_record_depth` (1000, plus the event's level), so that check always runs first;
 * low enough that everything recursive downstream (JSON.stringify, detectors) stays far from the
 * stack limit, which a 5,000-deep record reached.
 */
export const MAX_EVENT_DEPTH = 1024;

/**
 * Largest event, as characters of its strings and keys plus a few per value: far above any real
 * record, and low enough that JSON.stringify stays under V8's string limit (~512M characters) even
 * when every character needs a 6-character escape.
 */
export const MAX_EVENT_CHARS = 80_000_000;

/** Replaces what PostgreSQL text cannot hold (NUL) and what is not text at all (a lone surrogate). */
const REPLACEMENT = '\ufffd';

export interface Refusal {
  code: ErrorCode;
  reason: string;
}

// Node 20 has both (ES2024); the project's lib is ES2023.
type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };

/** 1: holds NUL, 2: holds a lone surrogate (bit flags). */
function flaws(s: string): number {
  return (s.indexOf('\0') === -1 ? 0 : 1) | ((s as unknown as WellFormed).isWellFormed() ? 0 : 2);
}

function clean(s: string): string {
  const t = s.indexOf('\0') === -1 ? s : s.replaceAll('\0', REPLACEMENT);
  return (t as unknown as WellFormed).toWellFormed();
}

/** The store refuses a whole batch for one event time it cannot parse: refused here, alone. */
export function admitTime(event: SecurityEvent): Refusal | undefined {
  const ts = event['@timestamp'];
  if (typeof ts !== 'string' || Number.isNaN(Date.parse(ts))) {
    return { code: 'TIMESTAMP_INVALID', reason: `has an invalid @timestamp: ${typeof ts === 'string' ? JSON.stringify(ts.slice(0, 64)) : typeof ts}` };
  }
  return undefined;
}

/**
 * Checks `event` and makes its text storable: returns why it must be refused, or undefined once
 * it is fit to enrich, detect and store. NUL and lone surrogates in any string or key, `raw`
 * included, become U+FFFD and `labels.sanitized` says which (`nul`, `surrogate`, `nul,surrogate`),
 * so every store holds the same thing. One iterative walk; strings cost two native scans each.
 */
export function admitEvent(event: SecurityEvent): Refusal | undefined {
  const badTime = admitTime(event);
  if (badTime !== undefined) return badTime;
  let found = 0;
  let size = 0;
  const values: unknown[] = [event];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v === 'string') {
      size += v.length + 2;
      found |= flaws(v);
    } else if (typeof v === 'bigint') {
      return { code: 'INPUT_MALFORMED', reason: 'holds a BigInt, which JSON cannot store' };
    } else if (v !== null && typeof v === 'object') {
      if (depth > MAX_EVENT_DEPTH) {
        return { code: 'INPUT_TOO_LARGE', reason: `nests deeper than ${MAX_EVENT_DEPTH} levels (or refers to itself), more than can be stored` };
      }
      if (Array.isArray(v)) {
        for (const x of v) {
          values.push(x);
          depths.push(depth + 1);
        }
      } else {
        for (const k in v) {
          if (!Object.hasOwn(v, k)) continue;
          size += k.length + 3;
          found |= flaws(k);
          values.push((v as Record<string, unknown>)[k]);
          depths.push(depth + 1);
        }
      }
    } else size += 8;
    if (size > MAX_EVENT_CHARS) return { code: 'INPUT_TOO_LARGE', reason: `is over ${MAX_EVENT_CHARS} characters, more than can be stored` };
  }
  if (found !== 0) {
    sanitize(event);
    event.labels = { ...event.labels, sanitized: found === 1 ? 'nul' : found === 2 ? 'surrogate' : 'nul,surrogate' };
  }
  return undefined;
}

/** Rewrites every string and key of an admitted (so bounded, acyclic) event in place. */
function sanitize(root: object): void {
  const stack: object[] = [root];
  while (stack.length > 0) {
    const o = stack.pop()!;
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const x: unknown = o[i];
        if (typeof x === 'string') o[i] = clean(x);
        else if (x !== null && typeof x === 'object') stack.push(x);
      }
      continue;
    }
    const rec = o as Record<string, unknown>;
    const keys = Object.keys(rec);
    const renamed = keys.some((k) => flaws(k) !== 0);
    const entries = keys.map((k) => [renamed ? clean(k) : k, rec[k]] as const);
    // Renaming keeps the key order: every key is removed and put back in turn.
    if (renamed) for (const k of keys) delete rec[k];
    for (const [k, x] of entries) {
      const value = typeof x === 'string' ? clean(x) : x;
      if (renamed || value !== x) Object.defineProperty(rec, k, { value, enumerable: true, writable: true, configurable: true });
      if (x !== null && typeof x === 'object') stack.push(x);
    }
  }
}

/**
 * A bounded JSON preview of a value that may be too deep, cyclic or hold BigInts, for a dead letter's
 * payload: never more than `max` characters, nesting cut at 16 levels.
 */
export function preview(value: unknown, max = 4096): string {
  let out = '';
  const write = (v: unknown, depth: number): void => {
    if (out.length > max) return;
    if (typeof v === 'bigint') out += `${v}n`;
    else if (v === null || typeof v !== 'object') out += typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? JSON.stringify(v) : 'null';
    else if (depth >= 16) out += '…';
    else if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length && out.length <= max; i++) {
        if (i > 0) out += ',';
        write(v[i], depth + 1);
      }
      out += ']';
    } else {
      out += '{';
      let first = true;
      for (const k of Object.keys(v)) {
        if (out.length > max) break;
        out += `${first ? '' : ','}${JSON.stringify(k)}:`;
        first = false;
        write((v as Record<string, unknown>)[k], depth + 1);
      }
      out += '}';
    }
  };
  try {
    write(value, 0);
  } catch {
    // A getter that throws: the dead letter keeps what was written before it.
    return `${out.slice(0, max)}… [unreadable]`;
  }
  return out.length > max ? `${out.slice(0, max)}… [truncated]` : out;
}
