/** Bank identifiers: IBAN (ISO 13616 mod-97 and the SWIFT registry's length per country), BIC/SWIFT codes (ISO 9362, context-led), US ABA routing numbers (3-7-1 checksum). */
import { compileContext, findContext, type ContextMatcher } from '../context.js';
import type { RecognizeContext, Recognizer, RecognizerResult } from '../types.js';
import { isDigit, isUpper, isWordChar, numericRuns, RUN_LEFT_WORD, windowDigits, windowStandsAlone, type NumericRuns } from '../scan.js';
import { nineDigitList } from './us.js';

/** IBAN length per country, from the SWIFT IBAN registry: every SEPA country and the other common ones. */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
  GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28,
  LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24,
  SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** ISO 13616: move the first four characters to the end, letters to 10..35, and the number mod 97 must be 1. */
export function ibanValid(iban: string): boolean {
  const len = IBAN_LENGTHS[iban.slice(0, 2)];
  if (len === undefined || iban.length !== len) return false;
  let rem = 0;
  for (let k = 0; k < iban.length; k++) {
    const c = iban.charCodeAt((k + 4) % iban.length);
    if (isDigit(c)) rem = (rem * 10 + (c - 48)) % 97;
    else if (isUpper(c)) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

const isAlnumUpper = (c: number) => isDigit(c) || isUpper(c);

/**
 * Reads an IBAN starting at `start` (country letters): characters run on, or come in groups of four
 * separated by one space or one dash, the same throughout, until the country's length; the IBAN must end at a word's end.
 */
function readIban(text: string, start: number): { end: number; value: string } | undefined {
  const len = IBAN_LENGTHS[text.slice(start, start + 2)];
  if (len === undefined) return undefined;
  let value = '';
  let i = start;
  // The separator between groups: undefined until the first group ends, then 0 (compact), 32 (space) or 45 (dash).
  let sep: number | undefined;
  let afterSep = false;
  while (value.length < len && i < text.length) {
    const c = text.charCodeAt(i);
    if (isAlnumUpper(c)) {
      if (value.length > 0 && value.length % 4 === 0 && !afterSep) {
        if (sep !== undefined && sep !== 0) break;
        sep = 0;
      }
      afterSep = false;
      value += text[i];
      i++;
      continue;
    }
    // A separator is allowed only between groups of four, and then between every group.
    if ((c === 32 || c === 45) && value.length % 4 === 0 && value.length > 0 && (sep === undefined || sep === c) && i + 1 < text.length && isAlnumUpper(text.charCodeAt(i + 1))) {
      sep = c;
      afterSep = true;
      i++;
      continue;
    }
    break;
  }
  if (value.length !== len) return undefined;
  if (i < text.length && isWordChar(text.charCodeAt(i))) return undefined;
  // Dash-joined groups that go on past the length are a longer id (`GB82-WEST-…-32-0001`), as a dashed routing number's are.
  if (sep === 45 && i + 1 < text.length && text.charCodeAt(i) === 45 && isAlnumUpper(text.charCodeAt(i + 1))) return undefined;
  return { end: i, value };
}

export const ibanRecognizer: Recognizer = {
  id: 'iban',
  examples: ['Please pay the invoice to IBAN DE89 3704 0044 0532 0130 00 (Commerzbank).', 'Bankverbindung: GB82WEST12345698765432'],
  entities: ['IBAN_CODE'],
  context: {
    en: ['iban', 'bank account', 'account number', 'account', 'international bank account number'],
    de: ['iban', 'kontonummer', 'bankverbindung', 'konto'],
    fr: ['iban', 'rib', 'compte bancaire', 'numéro de compte'],
    es: ['iban', 'cuenta bancaria', 'número de cuenta', 'cuenta'],
    it: ['iban', 'conto corrente', 'numero di conto', 'conto'],
    nl: ['iban', 'rekeningnummer', 'bankrekening', 'rekening'],
    pt: ['iban', 'nib', 'conta bancária', 'número de conta', 'conta'],
  },
  recognize(text) {
    const r = numericRuns(text);
    const out: RecognizerResult[] = [];
    // An IBAN's check digits are a numeric run glued to two capital letters that begin a word.
    let lastEnd = -1;
    for (let run = 0; run < r.count; run++) {
      if (!(r.runFlags[run]! & RUN_LEFT_WORD)) continue;
      const g = r.runFirst[run]!;
      const s = r.gStart[g]! - 2;
      if (s < 0 || s < lastEnd || r.gEnd[g]! - r.gStart[g]! < 2) continue;
      if (!isUpper(text.charCodeAt(s)) || !isUpper(text.charCodeAt(s + 1)) || (s > 0 && isWordChar(text.charCodeAt(s - 1)))) continue;
      const iban = readIban(text, s);
      if (!iban || !ibanValid(iban.value)) continue;
      lastEnd = iban.end;
      out.push({ type: 'IBAN_CODE', start: s, end: iban.end, score: 0.9, explanation: { recognizer: 'iban', pattern: `iban-${iban.value.slice(0, 2).toLowerCase()}`, validator: 'mod97', baseScore: 0.9 } });
    }
    return out;
  },
};

/** ISO 3166-1 alpha-2 codes (with XK, which SWIFT uses for Kosovo). */
export const COUNTRY_CODES = new Set(
  ('AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ ' +
    'DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT ' +
    'JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI ' +
    'NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK ' +
    'TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW').split(' '),
);

/** Bank codes (BIC's first four letters) of large banks, so their BICs count without a nearby "BIC". */
const KNOWN_BANKS = new Set(
  'DEUT COBA DRES BNPA SOGE AGRI CRLY CEPA INGB INGD ABNA RABO BBVA CAIX BSCH SABA UNCR BCIT BPMO HSBC BARC NWBK LOYD MIDL RBOS CHAS BOFA CITI WFBI UBSW CRES ZKBK NDEA DABA ESSE HAND SWED OKOY KRED GEBA BBRU BKAU RZBA GIBA BPOT CGDI BCOM MGRM BPKO PKOP BREX'.split(' '),
);

const BIC_SHAPE = /\b[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b/g;
const VOWELS = /[AEIOUY]/g;

const swiftContext: Readonly<Record<string, readonly string[]>> = {
  en: ['swift', 'bic', 'swift code', 'bic code', 'bank identifier code', 'bank code', 'beneficiary bank', 'wire', 'correspondent'],
  de: ['bic', 'swift', 'swift-code', 'bankleitzahl', 'bankverbindung', 'empfängerbank'],
  fr: ['bic', 'swift', 'code bic', 'code swift', 'banque'],
  es: ['bic', 'swift', 'código swift', 'código bic', 'banco'],
  it: ['bic', 'swift', 'codice swift', 'codice bic', 'banca'],
  nl: ['bic', 'swift', 'bic-code', 'bank'],
  pt: ['bic', 'swift', 'código swift', 'banco'],
};
const swiftMatchers = new Map<string, ContextMatcher>();

/**
 * Reported only when it can hardly be a word: a BIC-shaped token beside a context word (BIC, SWIFT,
 * bank...), or a known bank's code, or one with a digit or few vowels (`NWBKGB2L`, `BNPAFRPP`).
 * Capitalised words of eight letters (`ABSOLUTE`, `BUSINESS`) have country codes in the right place
 * by chance and three or more vowels, so without context they are dropped.
 */
export const swiftRecognizer: Recognizer = {
  id: 'swift',
  examples: ['Wire to BIC DEUTDEFF, account holder Acme GmbH.'],
  entities: ['SWIFT_CODE'],
  context: swiftContext,
  recognize(text, ctx: RecognizeContext) {
    const out: RecognizerResult[] = [];
    const key = ctx.languages.join(',');
    let m = swiftMatchers.get(key);
    if (!m) swiftMatchers.set(key, (m = compileContext(swiftContext, ctx.languages)));
    BIC_SHAPE.lastIndex = 0;
    for (let hit = BIC_SHAPE.exec(text); hit; hit = BIC_SHAPE.exec(text)) {
      const bic = hit[0];
      if (!COUNTRY_CODES.has(bic.slice(4, 6))) continue;
      // The location code's second character is never the letter O (ISO 9362); a branch code starting with X is only XXX.
      if (bic[7] === 'O' || (bic.length === 11 && bic[8] === 'X' && bic.slice(8) !== 'XXX')) continue;
      const known = KNOWN_BANKS.has(bic.slice(0, 4));
      const wordLike = !/\d/.test(bic) && (bic.slice(0, 8).match(VOWELS)?.length ?? 0) >= 3;
      // A word needs the label right before it ("BIC: ..."), not merely somewhere in the sentence.
      if (wordLike && !known && findContext(text, hit.index, hit.index + bic.length, m, 2).length === 0) continue;
      const baseScore = known ? 0.5 : 0.3;
      out.push({ type: 'SWIFT_CODE', start: hit.index, end: hit.index + bic.length, score: baseScore, explanation: { recognizer: 'swift', pattern: `bic-${bic.length}`, validator: 'iso-country', baseScore } });
    }
    return out;
  },
};

const ABA_WEIGHTS = [3, 7, 1];

/**
 * ABA routing number checksum: 3·d1 + 7·d2 + d3 + 3·d4 + … ≡ 0 (mod 10), and the first two digits in
 * a Federal Reserve range: 00-12 (banks), 21-32 (thrifts), 61-72 (electronic), 80 (traveller's cheques).
 */
export function abaValid(d: string): boolean {
  if (d.length !== 9) return false;
  const p = Number(d.slice(0, 2));
  if (!((p >= 0 && p <= 12) || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p === 80)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (d.charCodeAt(i) - 48) * ABA_WEIGHTS[i % 3]!;
  return sum % 10 === 0 && d !== '000000000';
}

/** The routing number as banks print it, `XXXX-YYYY-C` (Fed routing symbol, institution, check digit): groups [first, first + 2] of a run. */
function dashedRouting(r: NumericRuns, run: number, first: number): boolean {
  if (first + 2 >= r.runEnd[run]!) return false;
  // Plain reads, no helper closure: this runs for every group of the text.
  const s = r.gStart;
  const e = r.gEnd;
  return e[first]! - s[first]! === 4 && e[first + 1]! - s[first + 1]! === 4 && e[first + 2]! - s[first + 2]! === 1 && r.gSep[first + 1] === 45 && r.gSep[first + 2] === 45 && windowStandsAlone(r, run, first, first + 2);
}

const ABA_BARE = 0.3;
/** Banks print routing numbers this way, but so are some order ids written (1 in 10 passes the checksum): a hint, a finding beside "routing". */
const ABA_DASHED = 0.4;

export const abaRoutingRecognizer: Recognizer = {
  id: 'aba-routing',
  examples: ['Direct deposit: routing number 021000021, account 000123456789.', 'Chase routing 3222-7162-7'],
  entities: ['ABA_ROUTING_NUMBER'],
  context: {
    en: ['aba', 'routing', 'routing number', 'routing no', 'abartn', 'rtn', 'transit number', 'bank routing', 'ach', 'wire'],
    de: ['bankleitzahl', 'blz', 'routingnummer'],
    fr: ['numéro de routage', 'code banque'],
    es: ['número de ruta', 'código bancario', 'aba'],
    it: ['codice aba', 'numero di routing'],
    nl: ['routingnummer'],
    pt: ['número de roteamento', 'código do banco'],
  },
  recognize(text) {
    const out: RecognizerResult[] = [];
    // Nine bare digits standing alone: the SSN recognizer's windows without a separator (shared within an analysis).
    for (const w of nineDigitList(text)) {
      if (w.sep !== 0 || !abaValid(w.digits)) continue;
      // One in ten nine-digit numbers passes the checksum: alone it is a hint, beside "routing" a finding.
      out.push({ type: 'ABA_ROUTING_NUMBER', start: w.start, end: w.end, score: ABA_BARE, explanation: { recognizer: 'aba-routing', pattern: 'nine-digits', validator: 'aba-checksum', baseScore: ABA_BARE } });
    }
    // The 4-4-1 dashed form is the routing number's own print layout: more telling than nine bare digits, still not a finding alone.
    const r = numericRuns(text);
    for (let run = 0; run < r.count; run++) {
      const b = r.runEnd[run]! - 2;
      for (let g = r.runFirst[run]!; g < b; g++) {
        if (!dashedRouting(r, run, g)) continue;
        const d = windowDigits(text, r, g, g + 2);
        if (!abaValid(d)) continue;
        out.push({ type: 'ABA_ROUTING_NUMBER', start: r.gStart[g]!, end: r.gEnd[g + 2]!, score: ABA_DASHED, explanation: { recognizer: 'aba-routing', pattern: 'dashed-4-4-1', validator: 'aba-checksum', baseScore: ABA_DASHED } });
      }
    }
    return out;
  },
};
