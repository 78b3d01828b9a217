/** IP address parsing into integers, special-purpose (non-geolocatable) ranges, CIDR tables and a bounded cache for the IP enrichers. */
import { isIPv6 } from 'node:net';
import { errors } from '../core/errors.js';

/** An address as the enrichers compare it: IPv4 as one uint32, IPv6 as four big-endian uint32 words. */
export type ParsedIp = { v: 4; n: number } | { v: 6; w: [number, number, number, number] };

/** Parses dotted-quad IPv4 to a uint32 without allocating; NaN when it is not exactly four 0-255 parts. */
export function ipv4ToInt(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // Leading zeros ("010") are ambiguous (octal in some parsers), so they are refused as net.isIP does.
      if (digits > 0 && part === 0) return NaN;
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return NaN;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return NaN;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else return NaN;
  }
  if (dots !== 3 || digits === 0) return NaN;
  return n * 256 + part;
}

/** Parses an IPv6 address (with `::`, embedded IPv4, zone id) to four uint32 words; undefined if invalid. */
export function ipv6ToWords(s: string): [number, number, number, number] | undefined {
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!isIPv6(s)) return undefined;
  const groups = new Array<number>(8).fill(0);
  const dbl = s.indexOf('::');
  const parseSide = (side: string): number[] => {
    if (side === '') return [];
    const out: number[] = [];
    for (const g of side.split(':')) {
      if (g.includes('.')) {
        const v4 = ipv4ToInt(g);
        out.push(v4 >>> 16, v4 & 0xffff);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseSide(s.slice(0, dbl));
    const tail = parseSide(s.slice(dbl + 2));
    head.forEach((g, i) => (groups[i] = g));
    tail.forEach((g, i) => (groups[8 - tail.length + i] = g));
  } else parseSide(s).forEach((g, i) => (groups[i] = g));
  return [
    ((groups[0]! << 16) | groups[1]!) >>> 0,
    ((groups[2]! << 16) | groups[3]!) >>> 0,
    ((groups[4]! << 16) | groups[5]!) >>> 0,
    ((groups[6]! << 16) | groups[7]!) >>> 0,
  ];
}

/**
 * Parses either family. IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what dual-stack servers log) becomes
 * IPv4, so the same client gets the same answer whichever way the log wrote it.
 */
export function parseIp(s: string): ParsedIp | undefined {
  const n = ipv4ToInt(s);
  if (n === n) return { v: 4, n };
  if (!s.includes(':')) return undefined;
  const w = ipv6ToWords(s);
  if (!w) return undefined;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { v: 4, n: w[3] };
  return { v: 6, w };
}

/** Compares two IPv6 word tuples: negative, zero or positive. */
export function cmp6(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

interface Range4 { v: 4; lo: number; hi: number; bits: number }
interface Range6 { v: 6; lo: number[]; hi: number[]; bits: number }
type Range = Range4 | Range6;

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128); throws with the offending text. */
export function parseCidr(text: string): Range {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const ip = parseIp(addr.trim());
  if (!ip) throw errors.inputMalformed({ where: JSON.stringify(text), problem: 'not an IP address or CIDR range' });
  const max = ip.v === 4 ? 32 : 128;
  const bits = slash >= 0 ? Number(text.slice(slash + 1)) : max;
  if (!Number.isInteger(bits) || bits < 0 || bits > max) throw errors.inputMalformed({ where: JSON.stringify(text), problem: `invalid prefix length (0-${max})` });
  if (ip.v === 4) {
    // A mapped IPv6 prefix (::ffff:0:0/104) counts its bits over 128; bring it back to IPv4's 32.
    const b = addr.includes(':') ? Math.max(0, bits - 96) : bits;
    const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    const lo = (ip.n & mask) >>> 0;
    return { v: 4, lo, hi: (lo | (~mask >>> 0)) >>> 0, bits: b };
  }
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < 4; i++) {
    const b = Math.min(32, Math.max(0, bits - 32 * i));
    const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    lo.push((ip.w[i]! & mask) >>> 0);
    hi.push((ip.w[i]! | (~mask >>> 0)) >>> 0);
  }
  return { v: 6, lo, hi, bits };
}

/**
 * Maps CIDR ranges to values; the most specific range containing an address wins. Meant for tens
 * of entries (overrides, special ranges): a linear scan is faster than any index at that size.
 */
export class CidrTable<T> {
  readonly #ranges: Array<Range & { value: T }> = [];

  constructor(entries: Iterable<readonly [string, T]> = []) {
    for (const [cidr, value] of entries) this.#ranges.push({ ...parseCidr(cidr), value });
    this.#ranges.sort((a, b) => b.bits - a.bits);
  }

  get size(): number {
    return this.#ranges.length;
  }

  find(ip: ParsedIp): T | undefined {
    for (const r of this.#ranges) {
      if (r.v !== ip.v) continue;
      if (r.v === 4) {
        if (ip.v === 4 && ip.n >= r.lo && ip.n <= r.hi) return r.value;
      } else if (ip.v === 6 && cmp6(ip.w, r.lo) >= 0 && cmp6(ip.w, r.hi) <= 0) return r.value;
    }
    return undefined;
  }
}

/**
 * Ranges that say nothing about where a client is: private, loopback, link-local, shared (CGNAT),
 * documentation, benchmarking, multicast, reserved, and IPv6 transition prefixes whose location is
 * the relay's (IANA IPv4/IPv6 special-purpose address registries).
 */
export const SPECIAL_RANGES: readonly string[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15',
  '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/127', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/32', '2001:2::/48', '2001:10::/28',
  '2001:20::/28', '2001:db8::/32', '2002::/16', '3fff::/20', '5f00::/16', 'fc00::/7', 'fe80::/10', 'ff00::/8',
];

const special = new CidrTable(SPECIAL_RANGES.map((c) => [c, true] as const));

/** True when the address is in a special-purpose range, where no database can place it. */
export function isSpecialIp(ip: ParsedIp): boolean {
  return special.find(ip) === true;
}

/**
 * Bounded cache of recent lookups: two generations swapped at capacity, so a hit costs one or two
 * Map reads with no reordering, and hot keys survive because a hit in the old generation promotes.
 */
export class RecentCache<V> {
  #young = new Map<string, V>();
  #old = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.#young.get(key);
    if (v !== undefined) return v;
    const o = this.#old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, value: V): void {
    if (this.#young.size >= this.capacity) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }
}
