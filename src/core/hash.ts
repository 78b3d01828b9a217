/** Stable hashing for event ids and dedup keys: canonical JSON so key order never changes an id. */
import { hash } from 'node:crypto';

/** Quoted keys with their colon: log records repeat the same few dozen keys millions of times. */
const quotedKeys = new Map<string, string>();

function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = `${JSON.stringify(k)}:`;
    // Bounded: a log with unbounded distinct keys (ids as keys) must not grow this forever.
    if (quotedKeys.size >= 50_000) quotedKeys.clear();
    quotedKeys.set(k, q);
  }
  return q;
}

/**
 * JSON with object keys sorted recursively, so equal records serialize equally. Hand-rolled
 * rather than JSON.stringify with a replacer: hashing every record is the largest cost of a bulk
 * ingest. Edge cases follow JSON.stringify (undefined and functions in arrays as null,
 * undefined-valued keys dropped).
 */
export function canonicalJson(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      if (i in v) s += canonicalJson(v[i]);
    }
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = o[k];
    if (x === undefined) continue;
    s += (first ? '' : ',') + quoteKey(k) + canonicalJson(x);
    first = false;
  }
  return `${s}}`;
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * Event id from the whole raw record, not a vendor id: vendors reuse ids across nested events and
 * re-deliver records, and only the full content tells a true duplicate from a new event.
 */
export function eventId(provider: string, raw: unknown): string {
  return sha256Hex(`${provider}\n${canonicalJson(raw)}`).slice(0, 32);
}
