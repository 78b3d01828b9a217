/** US identifiers: Social Security numbers (SSA's never-issued ranges excluded), ITINs (IRS ranges) and passport numbers (weak, context-led). */
import type { Recognizer, RecognizerResult } from '../types.js';
import { numericRuns, RUN_LEFT_ONE_LETTER, sharedAnalysis, sharedRuns, windowDigits, windowStandsAlone, type NumericRuns } from '../scan.js';

/** A 9-digit window of a run: `123-45-6789` (3-2-4, one separator) or `123456789`. */
export interface NineDigits {
  start: number;
  end: number;
  digits: string;
  /** The separator's char code, 0 when bare. */
  sep: number;
}

/** Every 3-2-4 or bare 9-digit window of `text` that stands alone. */
export function nineDigitWindows(text: string, r: NumericRuns, visit: (w: NineDigits) => void): void {
  for (let run = 0; run < r.count; run++) {
    const a = r.runFirst[run]!;
    const b = r.runEnd[run]!;
    for (let g = a; g < b; g++) {
      const len = r.gEnd[g]! - r.gStart[g]!;
      if (len === 9) {
        if (windowStandsAlone(r, run, g, g)) visit({ start: r.gStart[g]!, end: r.gEnd[g]!, digits: windowDigits(text, r, g, g), sep: 0 });
      } else if (len === 3 && g + 2 < b && r.gEnd[g + 1]! - r.gStart[g + 1]! === 2 && r.gEnd[g + 2]! - r.gStart[g + 2]! === 4) {
        const sep = r.gSep[g + 1]!;
        if ((sep === 45 || sep === 32 || sep === 46) && r.gSep[g + 2] === sep && windowStandsAlone(r, run, g, g + 2)) {
          visit({ start: r.gStart[g]!, end: r.gEnd[g + 2]!, digits: windowDigits(text, r, g, g + 2), sep });
        }
      }
    }
  }
}

/** Per analysis (not per runs object, which the next analysis reuses), its nine-digit windows: SSN, ITIN and ABA routing numbers all start from them, so the runs are walked once. */
const sharedWindows = new WeakMap<object, readonly NineDigits[]>();

/** nineDigitWindows of `text` as a list, in text order: computed once per analysis (shared scan), else afresh. */
export function nineDigitList(text: string): readonly NineDigits[] {
  const analysis = sharedAnalysis(text);
  const known = analysis && sharedWindows.get(analysis);
  if (known) return known;
  const list: NineDigits[] = [];
  nineDigitWindows(text, sharedRuns(text) ?? numericRuns(text), (w) => list.push(w));
  if (analysis) sharedWindows.set(analysis, list);
  return list;
}

/** Numbers published as examples or misused so widely that they identify no one (SSA: 078-05-1120 from a wallet insert; 219-09-9999 from a pamphlet). */
const KNOWN_FAKE_SSNS = new Set(['078051120', '219099999', '123456789', '987654321', '111111111', '222222222', '333333333', '444444444', '555555555', '777777777', '888888888']);

/** SSA rules: area 000, 666 and 900-999 are never issued, nor group 00 or serial 0000. */
export function ssnValid(d: string): boolean {
  const area = Number(d.slice(0, 3));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (d.slice(3, 5) === '00' || d.slice(5) === '0000') return false;
  return !KNOWN_FAKE_SSNS.has(d);
}

/** IRS: an ITIN starts with 9 and its group (digits 4-5) is 50-65, 70-88, 90-92 or 94-99. */
export function itinValid(d: string): boolean {
  if (d.charCodeAt(0) !== 57) return false;
  const g = Number(d.slice(3, 5));
  return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || (g >= 94 && g <= 99);
}

/** Dashed is how these numbers are written on forms; spaces and dots less so; nine bare digits are anything until context says otherwise. */
function scoreFor(sep: number): number {
  return sep === 45 ? 0.85 : sep === 32 ? 0.6 : sep === 46 ? 0.5 : 0.3;
}

const patternFor = (sep: number) => (sep === 45 ? 'dashed' : sep === 32 ? 'spaced' : sep === 46 ? 'dotted' : 'bare');

export const usSsnRecognizer: Recognizer = {
  id: 'us-ssn',
  examples: ['SSN 536-22-8726'],
  entities: ['US_SSN'],
  context: {
    // Not "security" alone: security logs and reports would lend it to every nine-digit id.
    en: ['ssn', 'ssns', 'social', 'social security', 'social security number', 'ss#', 'ssid'],
    de: ['sozialversicherungsnummer'],
    fr: ['sécurité sociale', 'numéro de sécurité sociale'],
    es: ['seguro social', 'número de seguro social'],
    it: ['previdenza sociale'],
    nl: ['sofinummer', 'burgerservicenummer'],
    pt: ['segurança social', 'seguro social'],
  },
  recognize(text) {
    const out: RecognizerResult[] = [];
    for (const w of nineDigitList(text)) {
      if (!ssnValid(w.digits)) continue;
      const baseScore = scoreFor(w.sep);
      out.push({ type: 'US_SSN', start: w.start, end: w.end, score: baseScore, explanation: { recognizer: 'us-ssn', pattern: patternFor(w.sep), validator: 'ssa-ranges', baseScore } });
    }
    return out;
  },
};

export const usItinRecognizer: Recognizer = {
  id: 'us-itin',
  examples: ['ITIN 912-70-1234'],
  entities: ['US_ITIN'],
  context: {
    en: ['itin', 'taxpayer', 'individual taxpayer', 'tax id', 'tin', 'irs'],
    de: ['steuernummer', 'steuer-id'],
    fr: ['numéro fiscal', 'identifiant fiscal'],
    es: ['número de identificación fiscal', 'contribuyente'],
    it: ['codice fiscale', 'contribuente'],
    nl: ['fiscaal nummer', 'belastingnummer'],
    pt: ['contribuinte', 'número fiscal'],
  },
  recognize(text) {
    const out: RecognizerResult[] = [];
    for (const w of nineDigitList(text)) {
      if (!itinValid(w.digits)) continue;
      const baseScore = scoreFor(w.sep);
      out.push({ type: 'US_ITIN', start: w.start, end: w.end, score: baseScore, explanation: { recognizer: 'us-itin', pattern: patternFor(w.sep), validator: 'irs-ranges', baseScore } });
    }
    return out;
  },
};

/**
 * No checksum exists: nine digits (or a letter and eight, the next-generation book) mean a passport only beside the word.
 * Above Presidio's 0.05 and 0.1 so that the word lifts them to the default floor (0.5): "passport: 912803456" is what a
 * data-loss check is for, and without the word they stay far below it.
 */
const PASSPORT_BARE = 0.15;
const PASSPORT_NEXT_GEN = 0.2;

export const usPassportRecognizer: Recognizer = {
  id: 'us-passport',
  examples: ['passport number A12345678'],
  entities: ['US_PASSPORT'],
  context: {
    en: ['passport', 'passports', 'passport number', 'passport no', 'travel document'],
    // Not the bare German `pass`: beside English text it is a boarding pass, a passed test or a password.
    de: ['reisepass', 'passnummer', 'reisepassnummer', 'pass-nr'],
    fr: ['passeport', 'numéro de passeport'],
    es: ['pasaporte', 'número de pasaporte'],
    it: ['passaporto', 'numero di passaporto'],
    nl: ['paspoort', 'paspoortnummer'],
    pt: ['passaporte', 'número do passaporte'],
  },
  recognize(text) {
    const r = numericRuns(text);
    const out: RecognizerResult[] = [];
    for (let run = 0; run < r.count; run++) {
      const a = r.runFirst[run]!;
      const b = r.runEnd[run]!;
      const len = r.gEnd[a]! - r.gStart[a]!;
      // Next generation: one capital letter glued to eight digits, alone as a word.
      if (r.runFlags[run]! & RUN_LEFT_ONE_LETTER && len === 8 && (b - a === 1 || r.gSep[a + 1] === 32)) {
        const c = text.charCodeAt(r.gStart[a]! - 1);
        const after = r.gEnd[a]!;
        const glued = b - a === 1 && after < text.length && /\w/.test(text[after]!);
        if (c >= 65 && c <= 90 && !glued) {
          out.push({ type: 'US_PASSPORT', start: r.gStart[a]! - 1, end: after, score: PASSPORT_NEXT_GEN, explanation: { recognizer: 'us-passport', pattern: 'next-generation', baseScore: PASSPORT_NEXT_GEN } });
        }
      }
      for (let g = a; g < b; g++) {
        if (r.gEnd[g]! - r.gStart[g]! !== 9 || !windowStandsAlone(r, run, g, g)) continue;
        out.push({ type: 'US_PASSPORT', start: r.gStart[g]!, end: r.gEnd[g]!, score: PASSPORT_BARE, explanation: { recognizer: 'us-passport', pattern: 'nine-digits', baseScore: PASSPORT_BARE } });
      }
    }
    return out;
  },
};
