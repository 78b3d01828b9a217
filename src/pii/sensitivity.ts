/** From findings to what may be stored about a file: an entity summary (counts and masked samples) and a sensitivity level by a documented policy. */
import type { EntitySummary, Sensitivity } from '../core/pii.js';
import { maskFinding } from './anonymize.js';
import type { EntityType, RecognizerResult } from './types.js';

export interface SummarizeOptions {
  /** Masked samples kept per type (default 3, at most 3: the stored shape's promise). */
  samples?: number;
  /** Findings scored below this are not counted (default 0: all given). */
  minScore?: number;
}

/** Counts per type and up to `samples` distinct masked values per type; the text is read only to mask. */
export function summarize(text: string, findings: readonly RecognizerResult[], opts: SummarizeOptions = {}): EntitySummary {
  const limit = Math.max(0, Math.min(opts.samples ?? 3, 3));
  const minScore = opts.minScore ?? 0;
  const counts: Record<string, number> = {};
  const samples: Record<string, string[]> = {};
  for (const f of findings) {
    if (f.score < minScore) continue;
    counts[f.type] = (counts[f.type] ?? 0) + 1;
    const list = (samples[f.type] ??= []);
    if (list.length < limit) {
      const m = maskFinding(text, f);
      if (!list.includes(m)) list.push(m);
    }
  }
  return { counts, samples };
}

/**
 * The policy, by what a leak of the file would mean:
 * - **identifiers** (one leaked value is fraud or identity theft on its own): CREDIT_CARD, IBAN_CODE,
 *   US_SSN, US_ITIN, US_PASSPORT, UK_NHS, UK_NINO;
 * - **credentials** (a leaked value is access): every SECRET_* except SECRET_HIGH_ENTROPY, which is a
 *   guess, and SECRET_JWT, which usually expires;
 * - **contact details** (personal, not damaging alone): EMAIL_ADDRESS, PHONE_NUMBER, PERSON, LOCATION,
 *   DATE_TIME (dates of birth only);
 * - everything else (IP_ADDRESS, URL, SWIFT_CODE, ABA_ROUTING_NUMBER, CRYPTO, guessed secrets, JWTs,
 *   custom types) is **other**.
 *
 * | level    | when |
 * |----------|------|
 * | critical | any credential, or 100+ identifiers (a dataset) |
 * | high     | 10+ identifiers, or an identifier beside contact details (a person's record), or a JWT / high-entropy secret |
 * | medium   | any identifier, or 10+ contact details (a contact list) |
 * | low      | anything else found |
 * | none     | nothing found |
 */
export const IDENTIFIER_TYPES: readonly EntityType[] = ['CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'US_ITIN', 'US_PASSPORT', 'UK_NHS', 'UK_NINO'];
export const CONTACT_TYPES: readonly EntityType[] = ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'PERSON', 'LOCATION', 'DATE_TIME'];
const WEAK_SECRETS: readonly EntityType[] = ['SECRET_HIGH_ENTROPY', 'SECRET_JWT'];

export function classify(summary: EntitySummary): Sensitivity {
  let identifiers = 0;
  let contacts = 0;
  let credentials = 0;
  let weakSecrets = 0;
  let any = 0;
  for (const [type, n] of Object.entries(summary.counts)) {
    if (!(n > 0)) continue;
    any += n;
    if (IDENTIFIER_TYPES.includes(type)) identifiers += n;
    else if (CONTACT_TYPES.includes(type)) contacts += n;
    else if (WEAK_SECRETS.includes(type)) weakSecrets += n;
    else if (type.startsWith('SECRET_')) credentials += n;
  }
  if (credentials > 0 || identifiers >= 100) return 'critical';
  if (identifiers >= 10 || (identifiers > 0 && contacts > 0) || weakSecrets > 0) return 'high';
  if (identifiers > 0 || contacts >= 10) return 'medium';
  if (any > 0) return 'low';
  return 'none';
}
