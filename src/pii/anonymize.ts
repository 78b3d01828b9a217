/** Anonymizers: the only shapes in which a finding's value may leave the analyzer (redacted, masked, or keyed-hashed). */
import { createHmac } from 'node:crypto';
import { Secret } from '../core/secret.js';
import type { EntityType, RecognizerResult } from './types.js';

/** Presidio's "replace" operator: the value becomes its type, `<CREDIT_CARD>`. */
export function redact(_value: string, type: EntityType): string {
  return `<${type}>`;
}

const MAX_MASK = 12;

export interface MaskOptions {
  /** Trailing letters and digits left visible (default 4); never more than half of them, so a short value is never shown whole. */
  keep?: number;
  /** Mask character (default `*`). */
  char?: string;
}

/**
 * Masks a value, keeping its last `keep` letters and digits: `4111 1111 1111 1111` → `************1111`.
 * Separators and punctuation are dropped, not kept in place: the output shows nothing of the value's
 * layout (an email's `@` position, a name's spaces), and at most 12 mask characters (a private key
 * block would otherwise mask into kilobytes).
 */
export function mask(value: string, opts: MaskOptions = {}): string {
  const alnum = value.replace(/[^\p{L}\p{N}]/gu, '');
  const keep = Math.max(0, Math.min(opts.keep ?? 4, Math.floor(alnum.length / 2)));
  const ch = opts.char ?? '*';
  return ch.repeat(Math.min(alnum.length - keep, MAX_MASK)) + alnum.slice(alnum.length - keep);
}

/** Types whose tail identifies a person or place rather than an account (a name's last letters, a birth year): masked whole. */
const MASK_WHOLE = new Set<EntityType>(['PERSON', 'LOCATION', 'DATE_TIME', 'EMAIL_ADDRESS', 'URL']);

/** How many trailing characters `maskFinding` keeps for a type: 4 for account-like numbers and keys, 0 for names, places, dates, emails and URLs. */
export const keepFor = (type: EntityType): number => (MASK_WHOLE.has(type) ? 0 : 4);

/** The masked value of one finding: what every report, log line, stored summary and alert shows. */
export function maskFinding(text: string, finding: Pick<RecognizerResult, 'start' | 'end' | 'type'>): string {
  return mask(text.slice(finding.start, finding.end), { keep: keepFor(finding.type) });
}

/**
 * Keyed hash of a value, `<TYPE>:<hex HMAC-SHA256>`: the same card or SSN hashes the same across
 * files (so repeats can be counted) yet cannot be reversed or brute-forced without the key. Values
 * are normalized first (letters and digits only, upper case), so `4111-1111-…` and `4111 1111 …` agree.
 */
export function keyedHash(value: string, key: Secret | Buffer, type: EntityType = 'PII'): string {
  const k = key instanceof Secret ? key.reveal() : key;
  const normalized = value.replace(/[^\p{L}\p{N}]/gu, '').toUpperCase();
  return `${type}:${createHmac('sha256', k).update(normalized, 'utf8').digest('hex')}`;
}
