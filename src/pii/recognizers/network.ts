/** Network identifiers: IPv4 (from the shared numeric scan, octets checked), IPv6 (candidates around colons, checked by node:net), with a zone and CIDR prefix length kept in the span, and http(s)/www URLs. */
import { isIP } from 'node:net';
import type { Recognizer, RecognizerResult } from '../types.js';
import { isLetter, isWordChar, numericRuns, RUN_LEFT_WORD, RUN_RIGHT_WORD } from '../scan.js';

const ipContext = {
  en: ['ip', 'ips', 'ip address', 'ipv4', 'ipv6', 'address', 'host', 'client', 'source ip', 'remote'],
  de: ['ip-adresse', 'ip', 'adresse'],
  fr: ['adresse ip', 'ip', 'adresse'],
  es: ['dirección ip', 'ip', 'dirección'],
  it: ['indirizzo ip', 'ip', 'indirizzo'],
  nl: ['ip-adres', 'ip', 'adres'],
  pt: ['endereço ip', 'ip', 'endereço'],
};

/** An octet: 0-255 without a leading zero (`01.02.03.04` is a version or a date, not an address). */
function octet(text: string, s: number, e: number): boolean {
  const len = e - s;
  if (len < 1 || len > 3 || (len > 1 && text.charCodeAt(s) === 48)) return false;
  // A group holds digits only: its value from the char codes, with no string made for it.
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + text.charCodeAt(i) - 48;
  return v <= 255;
}

/** A CIDR prefix length in [s, e): 0..max, no leading zero. */
function prefixLength(text: string, s: number, e: number, max: number): boolean {
  const len = e - s;
  if (len < 1 || len > 3 || (len > 1 && text.charCodeAt(s) === 48)) return false;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    v = v * 10 + c;
  }
  return v <= max;
}

/** Interface names and numbers after `%` (RFC 4007 zone ids: `%eth0`, `%12`, `%en0.100`). */
const isZoneChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46;
const MAX_ZONE = 32;

/**
 * Whether a CIDR prefix length ending at `d` ends the notation: not when a word, a `/` or a `.` and a word follows,
 * which make it a path or file name (`/var/log/10.0.0.1/24/app.log`, `10.1.2.3/24.txt`, `2001:db8::/32/48`).
 */
function prefixEnds(text: string, d: number): boolean {
  if (d >= text.length) return true;
  const c = text.charCodeAt(d);
  return !(isWordChar(c) || c === 47 || (c === 46 && d + 1 < text.length && isWordChar(text.charCodeAt(d + 1))));
}

const isHexDigit = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** Whether an IPv6 address is scoped (link-local fe80::/10, or multicast ff00::/8), the only kind a zone id names a link for. */
function scoped(addr: string): boolean {
  const h = parseInt(addr.slice(0, addr.indexOf(':')) || '0', 16);
  return (h & 0xffc0) === 0xfe80 || (h & 0xff00) === 0xff00;
}

/**
 * The end of an IPv6 address's `%zone` and `/prefix` suffixes starting at `e` (e itself when there are none): the
 * span a reader masks is the whole notation, and a zone or a prefix length left beside a masked address says
 * where it was. A suffix that is not well formed is left out, the address is still reported. A zone follows only a
 * scoped address; in a URI it is written `%25zone` (RFC 6874), so another `%` and two hex digits are percent-encoding
 * (`?ip=2001:db8::1%20and`) unless the zone is a number (`fe80::1%12`); a dot and a letter end it (`%eth0.example.com`).
 */
function ipv6SuffixEnd(text: string, e: number, addr: string): number {
  let end = e;
  if (text.charCodeAt(end) === 37 && scoped(addr)) {
    let zs = end + 1;
    if (text.charCodeAt(zs) === 50 && text.charCodeAt(zs + 1) === 53 && isZoneChar(text.charCodeAt(zs + 2))) zs += 2;
    let z = zs;
    let digits = true;
    while (z < text.length && z - zs < MAX_ZONE && isZoneChar(text.charCodeAt(z))) {
      const c = text.charCodeAt(z);
      if (c === 46 && isLetter(text.charCodeAt(z + 1))) break;
      if (c < 48 || c > 57) digits = false;
      z++;
    }
    // A dot or dash ending the zone is the sentence's.
    while (z > zs && (text.charCodeAt(z - 1) === 46 || text.charCodeAt(z - 1) === 45)) z--;
    const encoded = zs === end + 1 && !digits && isHexDigit(text.charCodeAt(zs)) && isHexDigit(text.charCodeAt(zs + 1));
    if (z - zs >= MAX_ZONE || z === zs || encoded) return e;
    end = z;
  }
  if (text.charCodeAt(end) === 47) {
    let d = end + 1;
    while (d < text.length && d - end <= 4 && text.charCodeAt(d) >= 48 && text.charCodeAt(d) <= 57) d++;
    if (prefixLength(text, end + 1, d, 128) && prefixEnds(text, d)) end = d;
  }
  return end;
}

const isHexOrColon = (c: number) => (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46;
const MAX_IPV6 = 45;

export const ipRecognizer: Recognizer = {
  id: 'ip-address',
  examples: ['Failed login from 192.0.2.44 at 02:14.', 'client 2001:db8::1 connected'],
  entities: ['IP_ADDRESS'],
  context: ipContext,
  recognize(text) {
    const out: RecognizerResult[] = [];
    const r = numericRuns(text);
    for (let run = 0; run < r.count; run++) {
      const a = r.runFirst[run]!;
      const b = r.runEnd[run]!;
      for (let g = a; g + 3 < b; g++) {
        if (r.gSep[g + 1] !== 46 || r.gSep[g + 2] !== 46 || r.gSep[g + 3] !== 46) continue;
        // Four dotted octets, not part of a longer dotted number; a CIDR suffix (`/24`) may follow.
        if (g > a && r.gSep[g] === 46) continue;
        if (g + 4 < b && r.gSep[g + 4] !== 47 && r.gSep[g + 4] !== 32) continue;
        if (g === a && r.runFlags[run]! & RUN_LEFT_WORD) continue;
        if (g + 4 === b && r.runFlags[run]! & RUN_RIGHT_WORD) continue;
        if (g > a && r.gSep[g] !== 32) continue;
        let ok = true;
        for (let k = g; k < g + 4 && ok; k++) ok = octet(text, r.gStart[k]!, r.gEnd[k]!);
        if (!ok) continue;
        let end = r.gEnd[g + 3]!;
        // A CIDR prefix length (`/24`) is part of the notation, so it is masked with the address.
        if (g + 4 < b && r.gSep[g + 4] === 47 && prefixLength(text, r.gStart[g + 4]!, r.gEnd[g + 4]!, 32) && (g + 5 < b ? r.gSep[g + 5] === 32 : !(r.runFlags[run]! & RUN_RIGHT_WORD)) && prefixEnds(text, r.gEnd[g + 4]!)) end = r.gEnd[g + 4]!;
        out.push({ type: 'IP_ADDRESS', start: r.gStart[g]!, end, score: 0.6, explanation: { recognizer: 'ip-address', pattern: 'ipv4', validator: 'octets', baseScore: 0.6 } });
        g += 3;
      }
    }
    // IPv6: from each colon, the surrounding hex/colon/dot characters (bounded), at least two colons, node's parser decides.
    let from = 0;
    for (let c = text.indexOf(':'); c !== -1; c = text.indexOf(':', from)) {
      from = c + 1;
      let s = c;
      while (s > 0 && c - s <= MAX_IPV6 && isHexOrColon(text.charCodeAt(s - 1))) s--;
      let e = c + 1;
      while (e < text.length && e - s <= MAX_IPV6 && isHexOrColon(text.charCodeAt(e))) e++;
      from = Math.max(from, e);
      if (e - s > MAX_IPV6 || e - s < 3) continue;
      while (e > s && text.charCodeAt(e - 1) === 46) e--;
      if ((s > 0 && isWordChar(text.charCodeAt(s - 1))) || (e < text.length && isWordChar(text.charCodeAt(e)))) continue;
      let colons = 0;
      let hex = false;
      for (let k = s; k < e; k++) {
        const ch = text.charCodeAt(k);
        if (ch === 58) colons++;
        else hex = true;
      }
      if (colons < 2 || !hex) continue;
      let cand = text.slice(s, e);
      // After a percent-encoded byte (`%2C2001:db8::2`, a list in a query string) the address starts past its two digits.
      if (isIP(cand) !== 6 && s > 0 && text.charCodeAt(s - 1) === 37 && isIP(text.slice(s + 2, e)) === 6) cand = text.slice((s += 2), e);
      if (isIP(cand) !== 6) continue;
      e = ipv6SuffixEnd(text, e, cand);
      from = Math.max(from, e);
      out.push({ type: 'IP_ADDRESS', start: s, end: e, score: 0.6, explanation: { recognizer: 'ip-address', pattern: 'ipv6', validator: 'node-net', baseScore: 0.6 } });
    }
    return out;
  },
};

/** Characters a URL runs over once started: printable ASCII except space, quotes, angle brackets and backtick. */
const isUrlChar = (c: number) => c > 32 && c < 127 && c !== 34 && c !== 39 && c !== 60 && c !== 62 && c !== 96;
const MAX_URL = 2048;
const TRAILING = new Set([46, 44, 59, 58, 33, 63, 41, 93, 125]);

function urlEnd(text: string, from: number): number | undefined {
  let e = from;
  while (e < text.length && e - from < MAX_URL && isUrlChar(text.charCodeAt(e))) e++;
  // Sentence punctuation after a URL is not part of it; a closing bracket only when it closes nothing inside.
  while (e > from && TRAILING.has(text.charCodeAt(e - 1))) {
    const ch = text.charCodeAt(e - 1);
    if (ch === 41 && text.slice(from, e).includes('(')) break;
    e--;
  }
  return e;
}

export const urlRecognizer: Recognizer = {
  id: 'url',
  examples: ['See https://example.com/a?b=1 for the report.'],
  entities: ['URL'],
  context: { en: ['url', 'urls', 'link', 'links', 'website', 'web site', 'site'], de: ['link', 'webseite', 'url'], fr: ['lien', 'site', 'url'], es: ['enlace', 'sitio', 'url'], it: ['collegamento', 'sito', 'url'], nl: ['link', 'website', 'url'], pt: ['link', 'site', 'url'] },
  recognize(text) {
    const out: RecognizerResult[] = [];
    let lastEnd = 0;
    for (let p = text.indexOf('://'); p !== -1; p = text.indexOf('://', Math.max(p + 3, lastEnd))) {
      let s = p;
      while (s > 0 && p - s < 10 && /[A-Za-z]/.test(text[s - 1]!)) s--;
      const scheme = text.slice(s, p).toLowerCase();
      if ((scheme !== 'http' && scheme !== 'https' && scheme !== 'ftp') || s < lastEnd || (s > 0 && isWordChar(text.charCodeAt(s - 1)))) continue;
      const e = urlEnd(text, p + 3)!;
      if (e - p - 3 < 3 || !/[A-Za-z0-9]/.test(text[p + 3]!)) continue;
      out.push({ type: 'URL', start: s, end: e, score: 0.6, explanation: { recognizer: 'url', pattern: scheme, baseScore: 0.6 } });
      lastEnd = e;
    }
    const withScheme = out.length;
    let k = 0;
    for (let p = text.indexOf('www.'); p !== -1; p = text.indexOf('www.', p + 4)) {
      // Scheme URLs are in order: skip a `www.` inside one with a pointer, not a search.
      while (k < withScheme && out[k]!.end <= p) k++;
      if (k < withScheme && out[k]!.start <= p) continue;
      if (p > 0 && (isWordChar(text.charCodeAt(p - 1)) || text.charCodeAt(p - 1) === 47 || text.charCodeAt(p - 1) === 46)) continue;
      const e = urlEnd(text, p)!;
      if (e - p < 8 || text.slice(p + 4, e).indexOf('.') < 1) continue;
      out.push({ type: 'URL', start: p, end: e, score: 0.5, explanation: { recognizer: 'url', pattern: 'www', baseScore: 0.5 } });
    }
    return out;
  },
};
