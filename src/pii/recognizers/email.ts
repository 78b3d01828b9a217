/** Email addresses, found from each `@` outward with bounded reach (linear time whatever the input) and a top-level domain that exists. */
import type { Recognizer, RecognizerResult } from '../types.js';
import { isWordChar } from '../scan.js';
import { COUNTRY_CODES } from './bank.js';

/**
 * Generic TLDs seen in real addresses (IANA's root zone: the legacy ones, the common new gTLDs, cities and
 * regions); two-letter country TLDs are taken from ISO 3166 (plus uk, eu, ac). Presidio accepts any public
 * suffix; a name that is none (`host.invalidtld`, `obj.method`) is not an address.
 */
const GENERIC_TLDS = new Set(
  [
    'com net org edu gov mil int info biz name pro mobi asia tel jobs travel aero coop museum cat post',
    'io co ai app dev me tv xyz online site tech store cloud email blog shop page live news work agency digital solutions company services team group',
    'global world today life space fun top club vip one ltd inc llc law bank insurance health care media studio design network systems consulting',
    'finance capital partners academy school university art bar best bet bid bike bio black blue boutique build business buzz cab cafe cam camera camp',
    'cards careers cars casa cash center ceo charity chat church city claims cleaning click clinic clothing codes coffee college community computer',
    'construction contact contractors cool coupons courses credit dance date dating deals degree delivery dental dentist diet direct directory discount',
    'doctor dog domains download earth eco education energy engineer engineering enterprises equipment estate events exchange expert exposed express',
    'fail faith family fans farm fashion film financial fish fit fitness flights florist football forsale foundation fund furniture futbol fyi gallery',
    'game games garden gift gifts gives glass gmbh gold golf graphics gratis green gripe guide guitars guru hair haus healthcare help hiphop hockey',
    'holdings holiday homes horse hospital host hosting house how icu immo immobilien industries ink institute insure international investments',
    'irish jetzt jewelry kaufen kids kitchen kiwi land lat lawyer lease legal lgbt lighting limited limo link loan loans lol love luxury maison',
    'management market marketing markets mba memorial men menu moda moe mom money monster mortgage movie navy new ngo ninja now observer ong onl',
    'organic partners parts party pet phd photo photography photos pics pictures pink pizza place plumbing plus poker press productions prof promo',
    'properties property protection pub quest racing radio realestate realty recipes red rehab reise reisen rent rentals repair report rest restaurant',
    'review reviews rich rip rocks rodeo rsvp run sale salon sarl sbs science sex sexy shoes shopping show singles ski soccer social software solar soy',
    'spa sport study style sucks supplies supply support surf surgery swiss tax taxi technology tennis theater tickets tienda tips tires tools tours',
    'town toys trade trading training tube uno vacations ventures vet viajes video villas vin vision vodka vote voting voto voyage wang watch webcam',
    'website wedding wiki win wine works wtf yoga you zone',
    'africa amsterdam arab barcelona bayern berlin boston brussels bzh cologne koeln cymru eus gal hamburg istanbul kyoto london madrid melbourne',
    'miami moscow nagoya nrw nyc okinawa osaka paris quebec rio ruhr saarland scot stockholm sydney tirol tokyo vegas vlaanderen wales wien yokohama zuerich',
  ]
    .join(' ')
    .split(' '),
);

/** An internationalised TLD in its ASCII form (`xn--p1ai`, Russia's .рф). */
const PUNYCODE_TLD = /^xn--[a-z0-9-]{2,59}$/;

export function knownTld(tld: string): boolean {
  const t = tld.toLowerCase();
  if (t.length === 2) return COUNTRY_CODES.has(t.toUpperCase()) || t === 'uk' || t === 'eu' || t === 'ac';
  return GENERIC_TLDS.has(t);
}

/**
 * A letter or mark outside ASCII (Latin, Greek, Cyrillic, Arabic, CJK…): internationalised addresses (RFC 6531:
 * `josé@correo.es`, `info@müller.de`, `田中.taro@example.jp`) hold them. Tested here, not by the shared character
 * classes, which count every code unit from U+00C0 as a word's, punctuation (`،`) and digits of other scripts included.
 */
const LETTER = /^[\p{L}\p{M}]$/u;
const isIntlLetter = (c: number) => c >= 0xc0 && (c < 0xd800 || c > 0xdfff) && LETTER.test(String.fromCharCode(c));
/** A character that would join a word to an address's edge: ASCII word characters and letters of any script. */
const isAddressWordChar = (c: number) => (c < 128 ? isWordChar(c) : isIntlLetter(c));
const isLocalChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || (c >= 0xc0 && isIntlLetter(c));
const isDomainChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45 || (c >= 0xc0 && isIntlLetter(c));

/** Whether a domain's last label is a TLD: a known ASCII one, one in punycode, or one spelt in its own script (`рф`, `ελ`). */
function tldExists(tld: string): boolean {
  if (/^[A-Za-z]{2,24}$/.test(tld)) return knownTld(tld);
  if (PUNYCODE_TLD.test(tld.toLowerCase())) return true;
  if (tld.length < 2 || tld.length > 24) return false;
  for (let i = 0; i < tld.length; i++) if (!isIntlLetter(tld.charCodeAt(i))) return false;
  return true;
}

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

/** The domain part starting at `from`, validated label by label, or undefined; its end excludes a trailing dot. */
function readDomain(text: string, from: number): number | undefined {
  let j = from;
  while (j < text.length && j - from <= MAX_DOMAIN && isDomainChar(text.charCodeAt(j))) j++;
  if (j - from > MAX_DOMAIN) return undefined;
  while (j > from && (text.charCodeAt(j - 1) === 46 || text.charCodeAt(j - 1) === 45)) j--;
  if (j < text.length && isAddressWordChar(text.charCodeAt(j))) return undefined;
  const domain = text.slice(from, j);
  const labels = domain.split('.');
  if (labels.length < 2) return undefined;
  for (const l of labels) if (l.length === 0 || l.length > 63 || l.startsWith('-') || l.endsWith('-')) return undefined;
  const tld = labels[labels.length - 1]!;
  if (!tldExists(tld)) return undefined;
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
      // A local part ends in neither `.` nor `-` (RFC 5321's dot-atom; `btn-@Model.Style` is a template).
      if (s === at || text.charCodeAt(at - 1) === 46 || text.charCodeAt(at - 1) === 45) continue;
      if (s > 0 && isAddressWordChar(text.charCodeAt(s - 1))) continue;
      const end = readDomain(text, at + 1);
      if (end === undefined) continue;
      out.push({ type: 'EMAIL_ADDRESS', start: s, end, score: 0.85, explanation: { recognizer: 'email', pattern: 'address', validator: 'tld', baseScore: 0.85 } });
      from = end;
    }
    return out;
  },
};
