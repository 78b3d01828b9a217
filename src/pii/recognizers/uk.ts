/** UK identifiers: NHS numbers (NHS Data Dictionary mod 11) and National Insurance numbers (HMRC NIM39110 prefix rules). */
import type { Recognizer, RecognizerResult } from '../types.js';
import { isDigit, isLetter, isLower, isWordChar, numericRuns, uniformSep, windowDigits, windowStandsAlone } from '../scan.js';

/** NHS mod 11: weights 10..2 on the first nine digits; 11 - (sum mod 11) is the check digit (11 → 0, 10 → never issued). */
export function nhsValid(d: string): boolean {
  if (d.length !== 10) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (d.charCodeAt(i) - 48) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10) return false;
  return check === d.charCodeAt(9) - 48 && !/^(\d)\1{9}$/.test(d);
}

export const ukNhsRecognizer: Recognizer = {
  id: 'uk-nhs',
  examples: ['NHS number 943 476 5919'],
  entities: ['UK_NHS'],
  context: {
    en: ['nhs', 'nhs number', 'national health service', 'health service', 'patient', 'chi number', 'hospital number'],
    de: ['patientennummer', 'gesundheitsdienst'],
    fr: ['numéro nhs', 'patient'],
    es: ['paciente', 'número nhs'],
    it: ['paziente', 'numero nhs'],
    nl: ['patiënt', 'patientnummer'],
    pt: ['paciente', 'número nhs'],
  },
  recognize(text) {
    const r = numericRuns(text);
    const out: RecognizerResult[] = [];
    for (let run = 0; run < r.count; run++) {
      const b = r.runEnd[run]!;
      for (let g = r.runFirst[run]!; g < b; g++) {
        const len = r.gEnd[g]! - r.gStart[g]!;
        let last = -1;
        if (len === 10) last = g;
        else if (len === 3 && g + 2 < b && r.gEnd[g + 1]! - r.gStart[g + 1]! === 3 && r.gEnd[g + 2]! - r.gStart[g + 2]! === 4) {
          const sep = uniformSep(r, g, g + 2);
          if (sep === 32 || sep === 45) last = g + 2;
        }
        if (last < 0 || !windowStandsAlone(r, run, g, last)) continue;
        const d = windowDigits(text, r, g, last);
        if (!nhsValid(d)) continue;
        // The 3-3-4 layout is also a US phone number's, and one in eleven of those passes mod 11: "NHS" nearby decides.
        const baseScore = last > g ? 0.5 : 0.3;
        out.push({ type: 'UK_NHS', start: r.gStart[g]!, end: r.gEnd[last]!, score: baseScore, explanation: { recognizer: 'uk-nhs', pattern: last > g ? 'grouped' : 'bare', validator: 'mod11', baseScore } });
      }
    }
    return out;
  },
};

/** First letters never used: D, F, I, Q, U, V; second: those and O; prefixes never allocated: BG, GB, KN, NK, NT, TN, ZZ. */
const BAD_FIRST = new Set('DFIQUV');
const BAD_SECOND = new Set('DFIQUVO');
const BAD_PREFIX = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

export function ninoPrefixValid(p: string): boolean {
  const a = p[0]!.toUpperCase();
  const b = p[1]!.toUpperCase();
  return /^[A-Z]{2}$/.test(a + b) && !BAD_FIRST.has(a) && !BAD_SECOND.has(b) && !BAD_PREFIX.has(a + b);
}

const NINO = 0.7;
const NINO_LOWER = 0.3;

export const ukNinoRecognizer: Recognizer = {
  id: 'uk-nino',
  examples: ['National Insurance number AB 12 34 56 C'],
  entities: ['UK_NINO'],
  context: {
    en: ['national insurance', 'ni number', 'nino', 'nin', 'insurance number', 'ni no', 'hmrc'],
    de: ['sozialversicherungsnummer', 'versicherungsnummer'],
    fr: ['numéro d’assurance', 'assurance nationale'],
    es: ['seguro nacional', 'número de seguro'],
    it: ['assicurazione nazionale'],
    nl: ['verzekeringsnummer'],
    pt: ['seguro nacional'],
  },
  recognize(text) {
    const r = numericRuns(text);
    const out: RecognizerResult[] = [];
    for (let run = 0; run < r.count; run++) {
      const a = r.runFirst[run]!;
      const b = r.runEnd[run]!;
      // Six digits: `123456` or `12 34 56`, the whole run.
      const n = b - a;
      const sixBare = n === 1 && r.gEnd[a]! - r.gStart[a]! === 6;
      const sixSpaced = n === 3 && uniformSep(r, a, b - 1) === 32 && r.gEnd[a]! - r.gStart[a]! === 2 && r.gEnd[a + 1]! - r.gStart[a + 1]! === 2 && r.gEnd[a + 2]! - r.gStart[a + 2]! === 2;
      if (!sixBare && !sixSpaced) continue;
      let s = r.gStart[a]!;
      if (s >= 1 && text.charCodeAt(s - 1) === 32) s--;
      if (s < 2 || !isLetter(text.charCodeAt(s - 1)) || !isLetter(text.charCodeAt(s - 2))) continue;
      s -= 2;
      if (s > 0 && isWordChar(text.charCodeAt(s - 1))) continue;
      let e = r.gEnd[b - 1]!;
      if (e < text.length && text.charCodeAt(e) === 32) e++;
      const suffix = text.charCodeAt(e) | 32;
      if (!(suffix >= 97 && suffix <= 100)) continue;
      e++;
      if (e < text.length && (isWordChar(text.charCodeAt(e)) || isDigit(text.charCodeAt(e)))) continue;
      if (!ninoPrefixValid(text.slice(s, s + 2))) continue;
      // HMRC prints NINOs in capitals. Lower case is also a file name, a CSS class or a hash (`ab123456c.png`), and a
      // spaced lower-case prefix is often just a word (`we 123456a`): a hint that its label (`nino`) makes a finding.
      const lower = isLower(text.charCodeAt(s)) || isLower(text.charCodeAt(s + 1)) || isLower(text.charCodeAt(e - 1));
      const score = lower ? NINO_LOWER : NINO;
      out.push({ type: 'UK_NINO', start: s, end: e, score, explanation: { recognizer: 'uk-nino', pattern: sixSpaced ? 'spaced' : 'compact', validator: 'hmrc-prefix', baseScore: score } });
    }
    return out;
  },
};
