/** Deterministic generators of valid sensitive values (checksums computed from the standards) and of their near misses, for the labelled corpus. */
import { createHash, createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { bech32, bech32m, createBase58check } from '@scure/base';
import { keccak256Hex } from '../recognizers/crypto.js';

/** A seeded PRNG (mulberry32): the same seed gives the same corpus on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  chars(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)]!;
    return s;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = '0123456789abcdef';

// ---------------------------------------------------------------------------------------------------------------
// Cards

const luhnCheckDigit = (partial: string): number => {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
};

const CARD_PREFIXES: Array<[string, number]> = [
  ['4', 16],
  ['51', 16],
  ['53', 16],
  ['55', 16],
  ['2221', 16],
  ['2720', 16],
  ['34', 15],
  ['37', 15],
  ['6011', 16],
  ['65', 16],
];

function groupCard(n: string, rng: Rng): string {
  const style = rng.int(0, 2);
  if (style === 0) return n;
  const sep = style === 1 ? ' ' : '-';
  if (n.length === 15) return [n.slice(0, 4), n.slice(4, 10), n.slice(10)].join(sep);
  return n.match(/.{4}/g)!.join(sep);
}

/** A card number with a valid issuer prefix, length and Luhn digit, grouped as people write it. */
export function cardNumber(rng: Rng): string {
  const [prefix, len] = rng.pick(CARD_PREFIXES);
  const partial = prefix + rng.digits(len - prefix.length - 1);
  return groupCard(partial + String(luhnCheckDigit(partial)), rng);
}

/** The same shape with the Luhn digit off by one or more: a reference number, not a card. */
export function cardNumberBadLuhn(rng: Rng): string {
  const [prefix, len] = rng.pick(CARD_PREFIXES);
  const partial = prefix + rng.digits(len - prefix.length - 1);
  return groupCard(partial + String((luhnCheckDigit(partial) + rng.int(1, 9)) % 10), rng);
}

// ---------------------------------------------------------------------------------------------------------------
// IBAN, BIC, ABA

/** BBAN layouts per country (a = letter, n = digit, c = alphanumeric), from the SWIFT IBAN registry. */
const IBAN_FORMATS: Record<string, string> = {
  DE: 'n8n10',
  GB: 'a4n6n8',
  FR: 'n5n5c11n2',
  NL: 'a4n10',
  ES: 'n4n4n2n10',
  IT: 'a1n5n5c12',
  BE: 'n3n7n2',
  CH: 'n5c12',
  AT: 'n5n11',
  IE: 'a4n6n8',
};

function bban(country: string, rng: Rng): string {
  let out = '';
  for (const [, kind, count] of IBAN_FORMATS[country]!.matchAll(/([anc])(\d+)/g)) {
    const n = Number(count);
    out += kind === 'n' ? rng.digits(n) : kind === 'a' ? rng.chars(n, UPPER) : rng.chars(n, UPPER + DIGITS);
  }
  return out;
}

const mod97 = (s: string): number => {
  let r = 0;
  for (const ch of s) {
    const v = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) r = (r * 10 + Number(d)) % 97;
  }
  return r;
};

const ibanCheck = (country: string, b: string): string => String(98 - mod97(`${b}${country}00`)).padStart(2, '0');

const printIban = (iban: string, rng: Rng): string => (rng.chance(0.5) ? iban : iban.match(/.{1,4}/g)!.join(' '));

/** An IBAN whose ISO 13616 mod-97 check digits are right. */
export function iban(rng: Rng): string {
  const country = rng.pick(Object.keys(IBAN_FORMATS));
  const b = bban(country, rng);
  return printIban(`${country}${ibanCheck(country, b)}${b}`, rng);
}

/** An IBAN-shaped string whose check digits are wrong (a typo caught at the bank). */
export function ibanBadCheck(rng: Rng): string {
  const country = rng.pick(Object.keys(IBAN_FORMATS));
  const b = bban(country, rng);
  const good = Number(ibanCheck(country, b));
  // Check digits run 02–98 and exactly one of them satisfies mod 97 for a given BBAN.
  let bad = good;
  while (bad === good) bad = rng.int(2, 98);
  return printIban(`${country}${String(bad).padStart(2, '0')}${b}`, rng);
}

/** Real, public BICs of large banks (a bank's BIC identifies the bank, as printed on invoices). */
const BICS = ['DEUTDEFF', 'COBADEFFXXX', 'NWBKGB2L', 'BARCGB22', 'BNPAFRPP', 'INGBNL2A', 'ABNANL2A', 'BBVAESMM', 'UNCRITMM', 'GEBABEBB', 'UBSWCHZH80A', 'BKAUATWW', 'AIBKIE2D'];
export const bic = (rng: Rng): string => rng.pick(BICS);

/** An ABA routing number: a Federal Reserve prefix and the 3-7-1 weighted checksum. */
export function abaRouting(rng: Rng): string {
  const prefixes = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '21', '22', '23', '24', '25', '26', '27', '28', '29', '30', '31', '32'];
  const eight = rng.pick(prefixes) + rng.digits(6);
  const w = [3, 7, 1, 3, 7, 1, 3, 7];
  const sum = [...eight].reduce((s, d, i) => s + Number(d) * w[i]!, 0);
  return eight + String((10 - (sum % 10)) % 10);
}

/** Nine digits after "Routing" whose ABA checksum fails. */
export function abaRoutingBad(rng: Rng): string {
  const good = abaRouting(rng);
  return good.slice(0, 8) + String((Number(good[8]) + rng.int(1, 9)) % 10);
}

// ---------------------------------------------------------------------------------------------------------------
// US and UK identifiers

/** A US SSN the SSA could issue: area 001–899 but not 666, group 01–99, serial 0001–9999. */
export function ssn(rng: Rng): string {
  let area = rng.int(1, 899);
  if (area === 666) area = 665;
  return `${String(area).padStart(3, '0')}-${String(rng.int(1, 99)).padStart(2, '0')}-${String(rng.int(1, 9999)).padStart(4, '0')}`;
}

/** SSN-shaped numbers the SSA never issues (area 000, 666 or 900–999, group 00 or serial 0000) and that are not ITINs either. */
export function ssnInvalid(rng: Rng): string {
  const kind = rng.int(0, 4);
  const area = kind === 0 ? '000' : kind === 1 ? '666' : kind === 2 ? String(rng.int(900, 999)) : String(rng.int(100, 599));
  // A 9xx area with group 50–65, 70–88, 90–92 or 94–99 is a valid ITIN, not a near miss: groups 01–49 only.
  const group = kind === 3 ? '00' : String(rng.int(1, 49)).padStart(2, '0');
  const serial = kind === 4 ? '0000' : String(rng.int(1, 9999)).padStart(4, '0');
  return `${area}-${group}-${serial}`;
}

/** A UK NHS number: nine digits and the mod-11 check digit (never 10), printed 3-3-4. */
export function nhsNumber(rng: Rng): string {
  for (;;) {
    const nine = String(rng.int(4, 6)) + rng.digits(8);
    const sum = [...nine].reduce((s, d, i) => s + Number(d) * (10 - i), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    const n = nine + String(check === 11 ? 0 : check);
    return `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
  }
}

/** An NHS-shaped number whose mod-11 check digit is wrong. */
export function nhsNumberBad(rng: Rng): string {
  const good = nhsNumber(rng).replace(/ /g, '');
  const bad = good.slice(0, 9) + String((Number(good[9]) + rng.int(1, 9)) % 10);
  return `${bad.slice(0, 3)} ${bad.slice(3, 6)} ${bad.slice(6)}`;
}

/** A National Insurance number HMRC could issue (prefix letters and pairs it never uses excluded). */
export function nino(rng: Rng): string {
  const first = 'ABCEGHJKLMNOPRSTWXYZ';
  const second = 'ABCEGHJKLMNPRSTWXYZ';
  let prefix: string;
  do prefix = rng.pick([...first]) + rng.pick([...second]);
  while (['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(prefix));
  const d = rng.digits(6);
  const suffix = rng.pick(['A', 'B', 'C', 'D']);
  return rng.chance(0.5) ? `${prefix}${d}${suffix}` : `${prefix} ${d.slice(0, 2)} ${d.slice(2, 4)} ${d.slice(4)} ${suffix}`;
}

// ---------------------------------------------------------------------------------------------------------------
// People, places, contact

export const FIRST_NAMES = ['James', 'Mary', 'Robert', 'Patricia', 'Michael', 'Jennifer', 'David', 'Linda', 'William', 'Elizabeth', 'Richard', 'Barbara', 'Thomas', 'Susan', 'Daniel', 'Jessica', 'Matthew', 'Sarah', 'Anthony', 'Karen', 'Emily', 'Oliver', 'Sophie', 'George', 'Charlotte', 'Harry', 'Amelia', 'Jack', 'Olivia', 'Priya', 'Ahmed', 'Wei', 'Maria', 'Lucas'];
export const LAST_NAMES = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Martin', 'Jackson', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Walker', 'Hall', 'Young', 'Evans', 'Hughes', 'Patel', 'Khan', 'Chen', 'Garcia', 'Murphy', 'Kelly'];
export const CITIES = ['London', 'Manchester', 'Birmingham', 'Leeds', 'Bristol', 'Chicago', 'Boston', 'Seattle', 'Denver', 'Austin', 'Atlanta', 'Dublin', 'Paris', 'Berlin', 'Madrid', 'Toronto'];

export const personName = (rng: Rng): string => `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;

export function email(rng: Rng, name?: string): string {
  const n = (name ?? personName(rng)).toLowerCase().split(' ');
  const domain = rng.pick(['example.com', 'acme-corp.com', 'northwind.co.uk', 'contoso.org', 'fabrikam.io']);
  return rng.chance(0.5) ? `${n[0]}.${n[1]}@${domain}` : `${n[0]![0]}${n[1]}${rng.int(1, 99)}@${domain}`;
}

/** Phone numbers in national and international forms; US area codes and UK numbers from real, valid ranges. */
export function phone(rng: Rng, country: 'US' | 'GB' = rng.pick(['US', 'GB'] as const)): string {
  if (country === 'US') {
    const area = rng.pick(['212', '415', '617', '312', '206', '303', '512', '404', '646', '718']);
    const exch = String(rng.int(201, 989)).replace(/^(\d)11$/, '$122');
    const line = rng.digits(4);
    return rng.pick([`(${area}) ${exch}-${line}`, `+1 ${area} ${exch} ${line}`, `${area}-${exch}-${line}`]);
  }
  // Ofcom's London and Manchester geographic ranges.
  return rng.chance(0.5) ? `020 7${rng.int(100, 999)} ${rng.digits(4)}` : `+44 161 ${rng.int(200, 999)} ${rng.digits(4)}`;
}

/** A date of birth, printed as HR systems and letters do. */
export function dateOfBirth(rng: Rng): string {
  const y = rng.int(1950, 2003);
  const m = rng.int(1, 12);
  const d = rng.int(1, 28);
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return rng.pick([`${y}-${pad(m)}-${pad(d)}`, `${pad(m)}/${pad(d)}/${y}`, `${d} ${months[m - 1]} ${y}`]);
}

/** Documentation address ranges (RFC 5737), so a corpus never names a real host. */
export const ipAddress = (rng: Rng): string => `${rng.pick(['192.0.2', '198.51.100', '203.0.113'])}.${rng.int(1, 254)}`;

// ---------------------------------------------------------------------------------------------------------------
// Near misses of the ordinary kind

export const uuid = (rng: Rng): string => `${rng.chars(8, HEX)}-${rng.chars(4, HEX)}-4${rng.chars(3, HEX)}-${rng.pick(['8', '9', 'a', 'b'])}${rng.chars(3, HEX)}-${rng.chars(12, HEX)}`;
export const gitSha1 = (rng: Rng): string => rng.chars(40, HEX);
export const sha256Hex = (rng: Rng): string => rng.chars(64, HEX);
export const timestamp = (rng: Rng): string => `2026-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}T${String(rng.int(0, 23)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}Z`;
export const orderNumber = (rng: Rng): string => `${rng.digits(3)}-${rng.digits(7)}-${rng.digits(7)}`;
export const invoiceNumber = (rng: Rng): string => `INV-2026-${rng.digits(6)}`;
export const productCode = (rng: Rng): string => `SKU ${rng.digits(3)}-${rng.digits(4)}-${rng.digits(2)}`;

/** A UPS tracking number: 1Z, shipper account, service code, package number and its check digit. */
export function upsTracking(rng: Rng): string {
  const body = rng.chars(6, UPPER + DIGITS) + rng.pick(['01', '02', '03', '12', '13']) + rng.digits(7);
  // UPS's check digit: letters mapped to digits, odd/even weighted sum.
  let sum = 0;
  [...body].forEach((ch, i) => {
    const v = /\d/.test(ch) ? Number(ch) : (ch.charCodeAt(0) - 63) % 10;
    sum += i % 2 === 1 ? v * 2 : v;
  });
  return `1Z${body}${(10 - (sum % 10)) % 10}`;
}
export const fedexTracking = (rng: Rng): string => String(rng.int(1, 9)) + rng.digits(11);

// ---------------------------------------------------------------------------------------------------------------
// Secrets

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const awsAccessKeyId = (rng: Rng): string => `${rng.pick(['AKIA', 'AKIA', 'ASIA'])}${rng.chars(16, B32)}`;

export function awsSecretKey(rng: Rng): string {
  for (;;) {
    const s = rng.chars(40, `${ALNUM}/+`);
    if (/[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s)) return s;
  }
}

export const googleApiKey = (rng: Rng): string => `AIza${rng.chars(35, `${ALNUM}_-`)}`;

const GH_B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function base62Of(n: number): string {
  let v = n >>> 0;
  let s = '';
  do {
    s = GH_B62[v % 62]! + s;
    v = Math.floor(v / 62);
  } while (v > 0);
  return s.padStart(6, '0');
}

/** A GitHub token with its CRC32/base62 checksum (the format GitHub published in 2021). */
export function githubToken(rng: Rng): string {
  const random = rng.chars(30, ALNUM);
  return `${rng.pick(['ghp', 'ghp', 'gho', 'ghs', 'ghu'])}_${random}${base62Of(crc32(random))}`;
}

/** A GitHub-token-shaped string whose checksum fails, as in docs and placeholder examples. */
export function githubTokenBad(rng: Rng): string {
  const random = rng.chars(30, ALNUM);
  const sum = base62Of((crc32(random) + rng.int(1, 1000)) >>> 0);
  return `ghp_${random}${sum}`;
}

export const githubPat = (rng: Rng): string => `github_pat_11${rng.chars(20, UPPER + DIGITS)}_${rng.chars(59, ALNUM)}`;

export const slackBotToken = (rng: Rng): string => `xoxb-${rng.digits(11)}-${rng.digits(13)}-${rng.chars(24, ALNUM)}`;
export const slackWebhook = (rng: Rng): string => `https://hooks.slack.com/services/T${rng.chars(8, UPPER + DIGITS)}/B${rng.chars(10, UPPER + DIGITS)}/${rng.chars(24, ALNUM)}`;

export const stripeSecretKey = (rng: Rng): string => `sk_live_51${rng.chars(22, ALNUM)}${rng.chars(74, ALNUM)}`;
export const stripePublishableKey = (rng: Rng): string => `pk_live_51${rng.chars(22, ALNUM)}${rng.chars(74, ALNUM)}`;

/** An HS256 JWT signed with a corpus key (RFC 7519 claims). */
export function jwt(rng: Rng): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ sub: String(rng.int(10_000, 99_999)), name: personName(rng), iat: 1_780_000_000 + rng.int(0, 9_999_999), scope: 'files.read' })).toString('base64url');
  const sig = createHmac('sha256', rng.bytes(32)).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

/** A PEM private key block of the right shape (random DER-sized base64 body; generated keys are not reproducible). */
export function privateKeyPem(rng: Rng): string {
  const kind = rng.pick(['RSA ', '', 'EC ', 'OPENSSH ']);
  const body = Buffer.from(rng.bytes(kind === 'EC ' ? 121 : 1190)).toString('base64');
  return `-----BEGIN ${kind}PRIVATE KEY-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END ${kind}PRIVATE KEY-----`;
}

/** A generated database password: 24 characters of mixed classes. */
export function password(rng: Rng): string {
  for (;;) {
    const s = rng.chars(24, `${ALNUM}!#%*+-_`);
    if (/[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s)) return s;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Crypto

const sha256 = (d: Uint8Array): Uint8Array => createHash('sha256').update(d).digest();
const b58c = createBase58check(sha256);

export function bitcoinBase58(rng: Rng): string {
  const payload = new Uint8Array(21);
  payload[0] = rng.pick([0x00, 0x05, 0x30]);
  payload.set(rng.bytes(20), 1);
  return b58c.encode(payload);
}

/** A Base58 address with one character changed, so its checksum fails. */
export function bitcoinBase58Bad(rng: Rng): string {
  const good = bitcoinBase58(rng);
  const i = rng.int(5, good.length - 2);
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  const swap = alphabet[(alphabet.indexOf(good[i]!) + rng.int(1, 50)) % alphabet.length]!;
  return good.slice(0, i) + swap + good.slice(i + 1);
}

export function bitcoinSegwit(rng: Rng): string {
  if (rng.chance(0.5)) return bech32.encode('bc', [0, ...bech32.toWords(rng.bytes(20))]);
  return bech32m.encode('bc', [1, ...bech32m.toWords(rng.bytes(32))], 90);
}

/** An Ethereum address: EIP-55 mixed case most of the time, all lower case (no checksum) otherwise. */
export function ethereumAddress(rng: Rng): string {
  const hex = rng.chars(40, HEX);
  if (rng.chance(0.25)) return `0x${hex}`;
  const hash = keccak256Hex(new TextEncoder().encode(hex));
  return `0x${[...hex].map((c, i) => (/[a-f]/.test(c) && parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c)).join('')}`;
}

/** A transaction hash (0x + 64 hex): as long as an address's hex is not. */
export const txHash = (rng: Rng): string => `0x${rng.chars(64, HEX)}`;
