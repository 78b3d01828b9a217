/** Payment card numbers: issuer prefix and length (ISO/IEC 7812 ranges as the networks publish them), consistent grouping, Luhn. */
import type { Recognizer, RecognizerResult } from '../types.js';
import { followsIbanHead, numericRuns, uniformSep, windowDigits, windowLength, windowStandsAlone } from '../scan.js';

/** The issuer a number's prefix and length belong to, e.g. `visa`, or undefined. Ordered most specific first. */
export function cardIssuer(d: string): string | undefined {
  const len = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  if (p2 === 34 || p2 === 37) return len === 15 ? 'amex' : undefined;
  if ((p6 >= 622126 && p6 <= 622925) || p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65) return len >= 16 && len <= 19 ? 'discover' : undefined;
  if (p4 >= 3528 && p4 <= 3589) return len >= 16 && len <= 19 ? 'jcb' : undefined;
  if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 38 || p2 === 39) return len >= 16 && len <= 19 ? 'diners' : len === 14 ? 'diners' : undefined;
  if (p2 === 36) return len >= 14 && len <= 19 ? 'diners' : undefined;
  if ([5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].includes(p4)) return len >= 12 && len <= 19 ? 'maestro' : undefined;
  // Denmark's domestic debit card (Nets): 5019, sixteen digits.
  if (p4 === 5019) return len === 16 ? 'dankort' : undefined;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return len === 16 ? 'mastercard' : undefined;
  if (p2 === 62) return len >= 16 && len <= 19 ? 'unionpay' : undefined;
  if (d.charCodeAt(0) === 52) return len === 13 || len === 16 || len === 19 ? 'visa' : undefined;
  // UATP airline cards (AirPlus and others, ISO/IEC 7812 major industry identifier 1): fifteen digits.
  if (d.charCodeAt(0) === 49) return len === 15 ? 'uatp' : undefined;
  return undefined;
}

/** The Luhn (mod 10) check every card number carries in its last digit. */
export function luhnValid(d: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = d.length - 1; i >= 0; i--) {
    let v = d.charCodeAt(i) - 48;
    if (double) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    double = !double;
  }
  return sum % 10 === 0;
}

/** One digit repeated passes Luhn for some lengths (`0000 0000 0000 0000`) but no network issues it: a form's placeholder. */
function allSameDigit(d: string): boolean {
  for (let i = 1; i < d.length; i++) if (d.charCodeAt(i) !== d.charCodeAt(0)) return false;
  return true;
}

/** Group shapes cards are printed in: 4-4-4-4(-3), 4-6-5 (Amex), 4-6-4 (Diners): first 4, inner 4 or 6, last 1-5. */
function groupedLikeACard(gLen: (g: number) => number, first: number, last: number): boolean {
  if (gLen(first) !== 4) return false;
  for (let g = first + 1; g < last; g++) if (gLen(g) !== 4 && gLen(g) !== 6) return false;
  const l = gLen(last);
  return l >= 1 && l <= 5;
}

const SCORE_GROUPED = 0.9;
const SCORE_BARE = 0.8;
/**
 * Issuers whose numbers share their shape with common non-card ids: fifteen digits starting with 1 are also
 * IMEIs (which all pass Luhn) and social network user ids. Below the default floor until a card word is near.
 */
const WEAK_ISSUERS = new Set(['uatp']);
const SCORE_WEAK = 0.3;

export const creditCardRecognizer: Recognizer = {
  id: 'credit-card',
  examples: ['Paid with card 4111 1111 1111 1111, exp 12/29.', 'Stripe test card 4242424242424242 declined.'],
  entities: ['CREDIT_CARD'],
  context: {
    en: ['credit', 'card', 'cards', 'visa', 'mastercard', 'amex', 'american express', 'discover', 'jcb', 'diners', 'maestro', 'unionpay', 'cc', 'ccn', 'pan', 'debit', 'cardholder', 'card number', 'expiry', 'cvv'],
    de: ['kreditkarte', 'karte', 'kartennummer', 'kreditkartennummer', 'zahlungskarte', 'girocard', 'ablaufdatum'],
    fr: ['carte', 'carte bancaire', 'carte de crédit', 'numéro de carte', 'cb'],
    es: ['tarjeta', 'tarjeta de crédito', 'número de tarjeta', 'crédito', 'débito'],
    it: ['carta', 'carta di credito', 'numero della carta', 'credito'],
    nl: ['kaart', 'creditcard', 'kaartnummer', 'betaalkaart'],
    pt: ['cartão', 'cartão de crédito', 'número do cartão', 'crédito'],
  },
  recognize(text) {
    const r = numericRuns(text);
    const out: RecognizerResult[] = [];
    const gLen = (g: number) => r.gEnd[g]! - r.gStart[g]!;
    for (let run = 0; run < r.count; run++) {
      const a = r.runFirst[run]!;
      const b = r.runEnd[run]!;
      // Fast path: most runs are one short group.
      if (b - a === 1 && gLen(a) < 12) continue;
      for (let first = a; first < b; first++) {
        // Grouped numbers start with four digits; any other start can only be a bare number on its own.
        const l0 = gLen(first);
        const lastCandidate = l0 === 4 ? b - 1 : l0 >= 12 && l0 <= 19 ? first : -1;
        let total = 0;
        for (let last = first; last <= lastCandidate; last++) {
          total += gLen(last);
          if (total > 19) break;
          if (total < 12) continue;
          if (last > first) {
            const sep = uniformSep(r, first, last);
            if (sep !== 32 && sep !== 45) break;
            if (!groupedLikeACard(gLen, first, last)) continue;
          }
          if (!windowStandsAlone(r, run, first, last)) continue;
          if (followsIbanHead(text, r.gStart[first]!)) continue;
          const d = windowDigits(text, r, first, last);
          const issuer = cardIssuer(d);
          if (!issuer || !luhnValid(d) || allSameDigit(d)) continue;
          const baseScore = WEAK_ISSUERS.has(issuer) ? SCORE_WEAK : last > first ? SCORE_GROUPED : SCORE_BARE;
          out.push({
            type: 'CREDIT_CARD',
            start: r.gStart[first]!,
            end: r.gEnd[last]!,
            score: baseScore,
            explanation: { recognizer: 'credit-card', pattern: `${issuer}-${windowLength(r, first, last)}`, validator: 'luhn', baseScore },
          });
        }
      }
    }
    return out;
  },
};
