/** Email addresses, found from each `@` outward with bounded reach (linear time whatever the input) and a known top-level domain. */
import type { Recognizer, RecognizerResult } from '../types.js';
import { isWordChar } from '../scan.js';
import { COUNTRY_CODES } from './bank.js';

/** Generic TLDs seen in real addresses; two-letter country TLDs are taken from ISO 3166 (plus uk, eu, ac). */
const GENERIC_TLDS = new Set(
  ('com net org edu gov mil int info biz name pro mobi asia tel jobs travel aero coop museum io co ai app dev me tv xyz online site tech store cloud email ' +
    'blog shop page live news work agency digital solutions company services team group global world today life space fun top club vip one ltd inc llc ' +
    'law bank insurance health care media studio design network systems consulting finance capital partners academy school university').split(' '),
);

export function knownTld(tld: string): boolean {
  const t = tld.toLowerCase();
  if (t.length === 2) return COUNTRY_CODES.has(t.toUpperCase()) || t === 'uk' || t === 'eu' || t === 'ac';
  return GENERIC_TLDS.has(t);
}

const isLocalChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const isDomainChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

/** The domain part starting at `from`, validated label by label, or undefined; its end excludes a trailing dot. */
function readDomain(text: string, from: number): number | undefined {
  let j = from;
  while (j < text.length && j - from <= MAX_DOMAIN && isDomainChar(text.charCodeAt(j))) j++;
  if (j - from > MAX_DOMAIN) return undefined;
  while (j > from && (text.charCodeAt(j - 1) === 46 || text.charCodeAt(j - 1) === 45)) j--;
  if (j < text.length && isWordChar(text.charCodeAt(j))) return undefined;
  const domain = text.slice(from, j);
  const labels = domain.split('.');
  if (labels.length < 2) return undefined;
  for (const l of labels) if (l.length === 0 || l.length > 63 || l.startsWith('-') || l.endsWith('-')) return undefined;
  const tld = labels[labels.length - 1]!;
  if (!/^[A-Za-z]{2,24}$/.test(tld) || !knownTld(tld)) return undefined;
  return j;
}

export const emailRecognizer: Recognizer = {
  id: 'email',
  examples: ['Write to jane.roe+billing@example.co.uk for invoices.'],
  entities: ['EMAIL_ADDRESS'],
  context: {
    en: ['email', 'e-mail', 'mail', 'contact', 'address'],
    de: ['e-mail', 'email', 'mail', 'kontakt', 'adresse'],
    fr: ['courriel', 'e-mail', 'mail', 'adresse', 'contact'],
    es: ['correo', 'correo electrónico', 'email', 'contacto'],
    it: ['posta', 'posta elettronica', 'email', 'contatto'],
    nl: ['e-mail', 'email', 'mailadres', 'contact'],
    pt: ['correio', 'e-mail', 'email', 'contato', 'contacto'],
  },
  recognize(text) {
    const out: RecognizerResult[] = [];
    let from = 0;
    for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', from)) {
      from = at + 1;
      let s = at;
      while (s > 0 && at - s < MAX_LOCAL && isLocalChar(text.charCodeAt(s - 1))) s--;
      // Longer than a local part may be: not an address (and no reason to look further back).
      if (s > 0 && isLocalChar(text.charCodeAt(s - 1))) continue;
      while (s < at && text.charCodeAt(s) === 46) s++;
      if (s === at || text.charCodeAt(at - 1) === 46) continue;
      if (s > 0 && isWordChar(text.charCodeAt(s - 1))) continue;
      const end = readDomain(text, at + 1);
      if (end === undefined) continue;
      out.push({ type: 'EMAIL_ADDRESS', start: s, end, score: 0.85, explanation: { recognizer: 'email', pattern: 'address', validator: 'tld', baseScore: 0.85 } });
      from = end;
    }
    return out;
  },
};
