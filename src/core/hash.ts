/** Stable hashing for event ids and dedup keys: canonical JSON so key order never changes an id. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted recursively, so equal records serialize equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Event id from the whole raw record, not a vendor id: vendors reuse ids across nested events and
 * re-deliver records, and only the full content tells a true duplicate from a new event.
 */
export function eventId(provider: string, raw: unknown): string {
  return sha256Hex(`${provider}\n${canonicalJson(raw)}`).slice(0, 32);
}
