/** Phone numbers: candidates from the shared numeric scan, cheap per-region shape checks, then libphonenumber's full validation (max metadata). */
import { getCountryCallingCode, Metadata, parsePhoneNumberFromString, isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import type { Recognizer, RecognizerResult } from '../types.js';
import { compileContext, findContext, type ContextMatcher } from '../context.js';
import { followsIbanHead, isWordChar, numericRuns, SEP_MIXED, type NumericRuns } from '../scan.js';

export const DEFAULT_PHONE_REGIONS = ['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'IN', 'BR', 'AU'] as const;

/**
 * Whether a national number (no `+`) could belong to a region, from its digit count and leading
 * digits alone: libphonenumber costs microseconds a call, this nanoseconds, and most digit runs in
 * logs and tables fail it. Regions not listed here go straight to libphonenumber.
 */
function plausible(region: string, d: string): boolean {
  return plausibleShape(region, d.length, d.charCodeAt(0), d.charCodeAt(1), d.charCodeAt(3), d.charCodeAt(4));
}

/** plausible() from the digit count and the char codes of digits 0, 1, 3 and 4 (NaN past the end), so no digit string is built for a candidate that fails. */
function plausibleShape(region: string, n: number, d0: number, d1: number, d3: number, d4: number): boolean {
  const c0 = d0 - 48;
  switch (region) {
    case 'US':
    case 'CA':
      if (n === 11 && c0 === 1) return d1 >= 50 && d4 >= 50;
      return n === 10 && c0 >= 2 && d3 >= 50;
    case 'GB':
      return c0 === 0 && (n === 10 || n === 11);
    case 'DE':
      return c0 === 0 && n >= 7 && n <= 13;
    case 'FR':
    case 'NL':
    case 'AU':
      return c0 === 0 && n === 10;
    case 'ES':
      return n === 9 && c0 >= 6;
    case 'IT':
      return (c0 === 0 && n >= 6 && n <= 11) || (c0 === 3 && (n === 9 || n === 10));
    case 'IN':
      return (n === 10 && c0 >= 6) || (c0 === 0 && n === 11);
    case 'BR':
      return (c0 !== 0 && (n === 10 || n === 11)) || (c0 === 0 && (n === 11 || n === 12));
    default:
      return n >= 6 && n <= 15;
  }
}

/** `YYYY-MM-DD`, `DD.MM.YYYY`, `MM/DD/YYYY` at the start of a window: a date (or a timestamp), never dialled. */
function startsWithDate(r: NumericRuns, g: number, last: number): boolean {
  if (last - g < 2) return false;
  const s1 = r.gSep[g + 1]!;
  if (s1 !== r.gSep[g + 2] || !(s1 === 45 || s1 === 46 || s1 === 47)) return false;
  const l0 = r.gEnd[g]! - r.gStart[g]!;
  const l1 = r.gEnd[g + 1]! - r.gStart[g + 1]!;
  const l2 = r.gEnd[g + 2]! - r.gStart[g + 2]!;
  return (l0 === 4 && l1 <= 2 && l2 <= 2) || (l0 <= 2 && l1 <= 2 && (l2 === 4 || l2 === 2));
}

/** Four dot-joined groups of at most three digits: an IPv4 address, which libphonenumber would otherwise be asked about. */
function looksLikeIpv4(r: NumericRuns, first: number, last: number): boolean {
  if (last - first !== 3) return false;
  for (let g = first; g <= last; g++) if ((g > first && r.gSep[g] !== 46) || r.gEnd[g]! - r.gStart[g]! > 3) return false;
  return true;
}

/** Group layouts of other numbers, never a dialling plan's: decimals, SSN 3-2-4, and 3-4-2 product codes (dashed only). */
function otherIdGrouping(text: string, r: NumericRuns, first: number, last: number): boolean {
  // Two dot-joined groups are a decimal (`5.995607`, `1712345.678`), never a dotted phone number's layout.
  if (last - first === 1 && r.gSep[last] === 46) return true;
  if (last - first !== 2) return false;
  const l0 = r.gEnd[first]! - r.gStart[first]!;
  const l1 = r.gEnd[first + 1]! - r.gStart[first + 1]!;
  const l2 = r.gEnd[last]! - r.gStart[last]!;
  if (l0 === 3 && l1 === 2 && l2 === 4) return true;
  return l0 === 3 && l1 === 4 && l2 === 2 && r.gSep[first + 1] === 45 && r.gSep[last] === 45;
}

/** `INV-2026-356930`, `order_2026 1234`, `A1/555 1234`: digits glued by a joiner to a preceding word are the rest of an id. */
function gluedToId(text: string, start: number): boolean {
  if (start < 2) return false;
  const c = text.charCodeAt(start - 1);
  return (c === 45 || c === 95 || c === 47) && isWordChar(text.charCodeAt(start - 2));
}

/**
 * Labels of other identifiers: a number right after "NHS number", "SKU" or "invoice" is that identifier (a
 * failed check digit makes it a typo, not a phone number), unless a phone word is nearer.
 */
const OTHER_ID_WORDS: Readonly<Record<string, readonly string[]>> = {
  any: ['nhs', 'ssn', 'sku', 'iban', 'invoice', 'order', 'account', 'acct', 'routing', 'passport', 'ref', 'reference', 'ticket', 'tracking', 'itin', 'nino', 'nhs number', 'ean', 'isbn', 'upc', 'serial'],
};
const OTHER_ID_WINDOW = 5;

/** A run laid out like a card number (four digits, then groups of 3-6, 13-19 digits, one separator): a card that failed Luhn, not a phone number followed by more digits. */
function cardShapedRun(r: NumericRuns, a: number, b: number): boolean {
  if (b - a < 3 || r.gEnd[a]! - r.gStart[a]! !== 4) return false;
  const sep = r.gSep[a + 1]!;
  if (sep !== 32 && sep !== 45) return false;
  let digits = 4;
  for (let g = a + 1; g < b; g++) {
    const l = r.gEnd[g]! - r.gStart[g]!;
    if (r.gSep[g] !== sep || l < 3 || l > 6) return false;
    digits += l;
  }
  return digits >= 13 && digits <= 19;
}

const MIN_DIGITS = 7;
const MAX_GROUPS = 6;
const MAX_DIGITS = 15;

/** A space, or a separator holding one, may begin or end a phone number inside a longer run; `-` and `.` join its parts. */
function spaceSep(text: string, r: NumericRuns, g: number): boolean {
  const s = r.gSep[g]!;
  if (s === 32) return true;
  if (s !== SEP_MIXED) return false;
  for (let k = r.gEnd[g - 1]!; k < r.gStart[g]!; k++) if (text.charCodeAt(k) === 32) return true;
  return false;
}

const CONTEXT_WINDOW = 5;

/** `\w` of a char code: what may not follow a phone number directly. */
const isAsciiWord = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** Whether a window of groups [first, last] holding `n` digits could be a national number of any of `codes`. */
function plausibleWindow(text: string, r: NumericRuns, first: number, last: number, n: number, codes: readonly string[]): boolean {
  // The char codes of digits 0, 1, 3 and 4 of the window, read across its groups.
  let d0 = NaN;
  let d1 = NaN;
  let d3 = NaN;
  let d4 = NaN;
  let k = 0;
  for (let g = first; g <= last && k < 5; g++) {
    for (let i = r.gStart[g]!; i < r.gEnd[g]! && k < 5; i++, k++) {
      const c = text.charCodeAt(i);
      if (k === 0) d0 = c;
      else if (k === 1) d1 = c;
      else if (k === 3) d3 = c;
      else if (k === 4) d4 = c;
    }
  }
  for (const c of codes) if (plausibleShape(c, n, d0, d1, d3, d4)) return true;
  return false;
}

export function createPhoneRecognizer(regions: readonly string[] = DEFAULT_PHONE_REGIONS): Recognizer {
  const codes = regions.filter((r): r is CountryCode => isSupportedCountry(r));
  const otherIds = compileContext(OTHER_ID_WORDS, ['any']);
  const matchers = new Map<string, ContextMatcher>();
  const matcher = (languages: readonly string[]) => {
    const key = languages.join(',');
    let m = matchers.get(key);
    if (!m) matchers.set(key, (m = compileContext(context, languages)));
    return m;
  };
  const context = {
    // Not "number": order and invoice numbers sit beside it as often as phone numbers.
    en: ['phone', 'telephone', 'tel', 'mobile', 'cell', 'call', 'fax', 'contact', 'whatsapp', 'phone number'],
    de: ['telefon', 'tel', 'handy', 'mobil', 'rufnummer', 'telefonnummer', 'fax', 'mobilnummer'],
    fr: ['téléphone', 'tél', 'portable', 'mobile', 'fax'],
    es: ['teléfono', 'tel', 'móvil', 'celular', 'fax'],
    it: ['telefono', 'tel', 'cellulare', 'fax'],
    nl: ['telefoon', 'tel', 'mobiel', 'telefoonnummer', 'fax'],
    pt: ['telefone', 'tel', 'celular', 'telemóvel', 'fax'],
  };
  return {
    id: 'phone',
    examples: ['Call +1 (415) 555-2671 or +44 20 7946 0958.', 'office (415) 555-2671'],
    entities: ['PHONE_NUMBER'],
    context,
    recognize(text, ctx) {
      const r = numericRuns(text);
      const phoneWords = matcher(ctx.languages);
      const out: RecognizerResult[] = [];
      // One verdict per distinct candidate within this call: tables repeat the same numbers.
      const seen = new Map<string, { score: number; region: string } | null>();
      for (let run = 0; run < r.count; run++) {
        const a = r.runFirst[run]!;
        const b = r.runEnd[run]!;
        if (b - a === 1) {
          const len = r.gEnd[a]! - r.gStart[a]!;
          if (len < MIN_DIGITS || len > MAX_DIGITS) continue;
        }
        // Too short to hold MIN_DIGITS digits however it is grouped (times, versions, dotted octets).
        if (r.gEnd[b - 1]! - r.gStart[a]! < MIN_DIGITS) continue;
        if (cardShapedRun(r, a, b)) continue;
        let lastEnd = -1;
        // After a `+`, the digits are one international number: its tail is not a national one.
        const plus = r.gStart[a]! > 0 && text.charCodeAt(r.gStart[a]! - 1) === 43;
        for (let first = a; first < b; first++) {
          if (first > a && (plus || !spaceSep(text, r, first))) continue;
          if (r.gStart[first]! < lastEnd) continue;
          if (startsWithDate(r, first, b - 1)) continue;
          let digits = 0;
          let best: RecognizerResult | undefined;
          for (let last = first; last < b; last++) {
            const gl = r.gEnd[last]! - r.gStart[last]!;
            // Dialled numbers come in a few groups of two or more digits; a lone digit only as or after a country code
            // (`+1 415`, `+33 6 12`). This also keeps `1 1 1 1 …` from costing a window per group pair.
            if ((gl < 2 && !(plus && last <= a + 1)) || last - first >= MAX_GROUPS) break;
            digits += gl;
            if (digits > MAX_DIGITS) break;
            if (digits < MIN_DIGITS) continue;
            if (last + 1 < b && !spaceSep(text, r, last + 1)) continue;
            let start = r.gStart[first]!;
            const end = r.gEnd[last]!;
            // A leading `+` belongs to the number, a `(` only when it brackets an area code: `(415) 555-2671`, not `(418 312 1641)`.
            const prev = start > 0 ? text.charCodeAt(start - 1) : 0;
            if (prev === 43 || (prev === 40 && text.charCodeAt(r.gEnd[first]!) === 41)) start--;
            if (start === r.gStart[first]! && first === a && r.runFlags[run]! & 1) continue;
            if (end < text.length && isAsciiWord(text.charCodeAt(end))) continue;
            const intl = text.charCodeAt(start) === 43;
            const formatted = last > first || text.charCodeAt(start) === 40;
            if (!intl && (looksLikeIpv4(r, first, last) || otherIdGrouping(text, r, first, last) || gluedToId(text, start) || followsIbanHead(text, start))) continue;
            if (!intl && !plausibleWindow(text, r, first, last, digits, codes)) continue;
            // A bare digit string is an id as often as a phone number: validated only beside a phone word,
            // which also spares libphonenumber the thousands of ids in a CSV.
            if (!intl && !formatted && findContext(text, start, end, phoneWords, CONTEXT_WINDOW).length === 0) continue;
            const candidate = text.slice(start, end);
            let verdict = seen.get(candidate);
            if (verdict === undefined) {
              verdict = judge(candidate, intl, codes, formatted);
              seen.set(candidate, verdict);
            }
            if (verdict && !intl && isOtherId(text, r.gStart[a]!, end, otherIds, phoneWords)) verdict = null;
            if (verdict) best = { type: 'PHONE_NUMBER', start, end, score: verdict.score, explanation: { recognizer: 'phone', pattern: intl ? 'international' : `national-${verdict.region.toLowerCase()}`, validator: 'libphonenumber', baseScore: verdict.score } };
          }
          if (best) {
            out.push(best);
            lastEnd = best.end;
          }
        }
      }
      return out;
    },
  };
}

/** Whether another identifier's label is among the few words before the digit run (from its start, so no tail of it escapes) and no phone word is. */
function isOtherId(text: string, start: number, end: number, otherIds: ContextMatcher, phoneWords: ContextMatcher): boolean {
  return findContext(text, start, end, otherIds, OTHER_ID_WINDOW).length > 0 && findContext(text, start, end, phoneWords, OTHER_ID_WINDOW).length === 0;
}

/** One numbering plan's validation patterns, compiled once (libphonenumber builds a RegExp from the metadata on every test). */
interface Plan {
  general: RegExp;
  types: { re: RegExp; lengths: readonly number[] | undefined }[];
  /** Sticky: libphonenumber's `search(leadingDigits) === 0`. */
  leading: RegExp | undefined;
  /** The national prefix for parsing, anchored at the start (undefined: none). */
  prefix: RegExp | undefined;
}

/** The metadata accessors libphonenumber's own parser and getNumberType read (its typings expose none of them). */
interface PlanMetadata {
  selectNumberingPlan(country: string): void;
  hasCallingCode(code: string): boolean;
  getCountryCodesForCallingCode(code: string): string[] | undefined;
  nationalNumberPattern(): string;
  nationalPrefixForParsing(): string | undefined;
  IDDPrefix(): string | undefined;
  leadingDigits(): string | undefined;
  type(t: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}

/** getNumberType's types: fixed line first, then the others in its order (only whether one matches is read here). */
const NUMBER_TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'];

let metadata: PlanMetadata | undefined;
const plans = new Map<string, Plan>();

function planOf(country: string): Plan {
  let p = plans.get(country);
  if (p) return p;
  const m = (metadata ??= new Metadata() as unknown as PlanMetadata);
  m.selectNumberingPlan(country);
  const types: Plan['types'] = [];
  for (const t of NUMBER_TYPES) {
    const def = m.type(t);
    if (!def || !def.pattern()) continue;
    types.push({ re: new RegExp('^(?:' + def.pattern() + ')$'), lengths: def.possibleLengths() });
  }
  const ld = m.leadingDigits();
  const npfp = m.nationalPrefixForParsing();
  p = { general: new RegExp('^(?:' + m.nationalNumberPattern() + ')$'), types, leading: ld ? new RegExp(ld, 'y') : undefined, prefix: npfp ? new RegExp('^(?:' + npfp + ')') : undefined };
  plans.set(country, p);
  return p;
}

/** libphonenumber's getNumberType(nn, plan) !== undefined, with the plan's patterns compiled once. */
function hasType(p: Plan, nn: string): boolean {
  if (!p.general.test(nn)) return false;
  for (const t of p.types) if ((!t.lengths || t.lengths.includes(nn.length)) && t.re.test(nn)) return true;
  return false;
}

/**
 * isValid() of a national number under a calling code shared by `countries` (the code's main country first), as
 * libphonenumber decides it: the country is the first whose leading digits start the number (or, having none, whose
 * patterns match it), and the number is valid when that country's patterns match; with no country, the main one's.
 */
function validForCountries(countries: readonly string[], nn: string): boolean {
  if (countries.length > 1) {
    for (const c of countries) {
      const p = planOf(c);
      if (p.leading) {
        p.leading.lastIndex = 0;
        if (p.leading.test(nn)) return hasType(p, nn);
      } else if (hasType(p, nn)) return true;
    }
  }
  return hasType(planOf(countries[0]!), nn);
}

let nanpa: readonly string[] | undefined;

/**
 * `parsePhoneNumberFromString(text, 'US').isValid()` for a text of ten digits, the first 2-9, joined by punctuation
 * only (and `parsePhoneNumberFromString('+1' + text).isValid()`), as libphonenumber decides it: no national prefix
 * or IDD to strip, so the national number is the digits, judged among the +1 countries (validForCountries). A
 * differential test holds it to the library.
 */
export function validUsNational(digits: string): boolean {
  nanpa ??= (metadata ??= new Metadata() as unknown as PlanMetadata).getCountryCodesForCallingCode('1') ?? [];
  return validForCountries(nanpa, digits);
}

const MAX_NSN = 17;

/** Per region: its calling code's countries and its IDD prefix (sticky), for validNational. */
const regionPlans = new Map<string, { countries: readonly string[]; code: string; idd: RegExp | undefined }>();

/**
 * `parsePhoneNumberFromString(text, region).isValid()` for a national text (digits and punctuation, `digits` its
 * digits) when it can be decided from compiled patterns, else undefined (ask the library): when no IDD prefix, calling
 * code or national prefix starts the digits, the library takes them whole as the national number and judges them
 * among the calling code's countries (validForCountries), provided the region is that code's main country.
 */
export function validNational(region: string, digits: string): boolean | undefined {
  let r = regionPlans.get(region);
  if (!r) {
    const m = (metadata ??= new Metadata() as unknown as PlanMetadata);
    const code = getCountryCallingCode(region as CountryCode);
    m.selectNumberingPlan(region);
    const idd = m.IDDPrefix();
    regionPlans.set(region, (r = { countries: m.getCountryCodesForCallingCode(code) ?? [], code, idd: idd ? new RegExp(idd, 'y') : undefined }));
  }
  if (r.countries[0] !== region || digits.length < 2 || digits.length > MAX_NSN || digits.startsWith(r.code)) return undefined;
  if (r.idd) {
    r.idd.lastIndex = 0;
    if (r.idd.test(digits)) return undefined;
  }
  const p = planOf(region);
  if (p.prefix && p.prefix.test(digits)) return undefined;
  return validForCountries(r.countries, digits);
}

/**
 * `parsePhoneNumberFromString('+' + digits).isValid()` when it can be decided from compiled patterns, else undefined
 * (ask the library): the calling code is the shortest known prefix, the rest the national number unless the main
 * country's national prefix for parsing starts it (then the library's stripping rules apply, so it is asked).
 */
export function validInternational(digits: string): boolean | undefined {
  if (digits.charCodeAt(0) === 48) return undefined;
  const m = (metadata ??= new Metadata() as unknown as PlanMetadata);
  for (let i = 1; i <= 3 && i < digits.length; i++) {
    const code = digits.slice(0, i);
    if (!m.hasCallingCode(code)) continue;
    const countries = m.getCountryCodesForCallingCode(code);
    const nn = digits.slice(i);
    // Non-geographic codes (800, 882…) and numbers out of the library's length bounds take its own path.
    if (!countries || countries.length === 0 || nn.length < 2 || nn.length > MAX_NSN) return undefined;
    const main = planOf(countries[0]!);
    if (main.prefix && main.prefix.test(nn)) return undefined;
    return validForCountries(countries, nn);
  }
  return undefined;
}

/** International numbers carry their country, so they score higher; grouped national ones next; bare digit strings need a nearby "phone". */
function judge(candidate: string, intl: boolean, regions: readonly CountryCode[], formatted: boolean): { score: number; region: string } | null {
  let d = '';
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    if (c >= 48 && c <= 57) d += candidate[i];
  }
  if (intl) {
    // Only validity is read from an international verdict (its pattern is `international`), so the country is not sought.
    const fast = validInternational(d);
    if (fast !== undefined) return fast ? { score: 0.75, region: 'intl' } : null;
    const p = parsePhoneNumberFromString(candidate);
    return p?.isValid() ? { score: 0.75, region: p.country ?? 'intl' } : null;
  }
  for (const region of regions) {
    if (!plausible(region, d)) continue;
    // Most candidates have nothing for the parser to strip: decided from compiled patterns (see validNational).
    const valid = validNational(region, d) ?? parsePhoneNumberFromString(candidate, region)?.isValid();
    if (valid) return { score: formatted ? 0.6 : 0.4, region };
  }
  return null;
}

export const phoneRecognizer = createPhoneRecognizer();
