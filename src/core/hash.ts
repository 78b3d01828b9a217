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

/** Printable ASCII without `"` and `\\`: such a string is its own JSON body, no escaping to look for. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function jsonString(s: string): string {
  // The test costs less than JSON.stringify's own scan and call for the short strings logs are made of.
  return s.length <= 256 && PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/**
 * JSON with object keys sorted recursively, so equal records serialize equally. Hand-rolled
 * rather than JSON.stringify with a replacer: hashing every record is the largest cost of a bulk
 * ingest. Edge cases follow JSON.stringify (undefined and functions in arrays as null,
 * undefined-valued keys dropped).
 */
export function canonicalJson(v: unknown): string {
  if (typeof v === 'string') return jsonString(v);
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
  const keys = Object.keys(o);
  // Records of one log mostly arrive with their keys in one order, often sorted already: check before sorting.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
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

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const idCodes: number[] = new Array<number>(32).fill(0);

/**
 * Event id from the whole raw record, not a vendor id: vendors reuse ids across nested events and
 * re-deliver records, and only the full content tells a true duplicate from a new event. The first
 * 128 bits of the hash in hex, written out as a string of its own: a slice of the full hex string
 * would keep all 64 characters alive for as long as the id (dedup sets, evidence, queued events).
 */
export function eventId(provider: string, raw: unknown): string {
  const digest = hash('sha256', `${provider}\n${canonicalJson(raw)}`, 'binary');
  for (let i = 0; i < 16; i++) {
    const c = digest.charCodeAt(i);
    idCodes[2 * i] = HEX_CODES[c >> 4]!;
    idCodes[2 * i + 1] = HEX_CODES[c & 15]!;
  }
  return String.fromCharCode.apply(null, idCodes);
}
