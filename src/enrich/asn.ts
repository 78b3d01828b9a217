/** Autonomous system (number + organisation) of an IP from the @ip-location-db/asn CSVs, held as sorted typed arrays and binary-searched. */
import { open } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { errors, type SecurityEvent } from '../core/index.js';
import type { Enricher } from '../pipeline/pipeline.js';
import { CidrTable, cmp6, isSpecialIp, parseIp, RecentCache, type ParsedIp } from './ip.js';

export interface AsnInfo {
  number: number;
  name: string;
}

/** Folder of the installed @ip-location-db/asn package, resolved like an import so hoisting does not matter. */
export function asnDataDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'));
}

/** Growable Uint32Array: the row count is only known after parsing, and a JS array of numbers would cost 2-4x. */
class U32 {
  a: Uint32Array<ArrayBuffer>;
  n = 0;
  constructor(capacity: number) {
    this.a = new Uint32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(Math.ceil(this.a.length * 1.5));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  /** A right-sized copy, so the slack from growing is returned to the allocator. */
  done(): Uint32Array<ArrayBuffer> {
    return this.a.slice(0, this.n);
  }
}

/**
 * Interns (asn, organisation) pairs: rows store one pair index instead of a number and a string,
 * and 400k rows share ~85k organisation names.
 */
class PairTable {
  readonly asn = new U32(1 << 17);
  readonly org = new U32(1 << 17);
  readonly names: string[] = [];
  readonly #nameIndex = new Map<string, number>();
  /** First pair of each AS number, then a chain through #next: most ASes carry one name, so a row costs one Map read and one string compare. */
  readonly #firstByAsn = new Map<number, number>();
  readonly #next = new U32(1 << 17);

  intern(asn: number, name: string): number {
    const first = this.#firstByAsn.get(asn);
    // Chains store index + 1 so that 0 ends them.
    for (let p = first === undefined ? -1 : first; p >= 0; p = this.#next.a[p]! - 1) {
      if (this.names[this.org.a[p]!] === name) return p;
    }
    let o = this.#nameIndex.get(name);
    if (o === undefined) {
      o = this.names.length;
      this.names.push(name);
      this.#nameIndex.set(name, o);
    }
    const p = this.asn.n;
    this.asn.push(asn);
    this.org.push(o);
    this.#next.push(first === undefined ? 0 : first + 1);
    this.#firstByAsn.set(asn, p);
    return p;
  }
}

/** Reads a file in fixed 1 MiB chunks and hands over whole lines as byte ranges: no per-line strings, flat memory. */
async function forEachLine(path: string, onLine: (buf: Buffer, start: number, end: number) => void): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, null);
      const eof = bytesRead === 0;
      filled += bytesRead;
      let start = 0;
      for (let i = buf.indexOf(10, 0); i >= 0 && i < filled; i = buf.indexOf(10, start)) {
        onLine(buf, start, i);
        start = i + 1;
      }
      if (eof) {
        if (start < filled) onLine(buf, start, filled);
        return;
      }
      if (start === 0 && filled === buf.length) throw errors.inputMalformed({ where: path, problem: `a line is longer than ${buf.length} bytes` });
      buf.copy(buf, 0, start, filled);
      filled -= start;
    }
  } finally {
    await fh.close();
  }
}

/** Decodes the organisation field, which is quoted with doubled quotes when it holds a comma or quote. */
function orgField(buf: Buffer, start: number, end: number): string {
  if (end > start && buf[end - 1] === 13) end--;
  if (buf[start] === 34 && end - start >= 2 && buf[end - 1] === 34) {
    const s = buf.toString('utf8', start + 1, end - 1);
    return s.includes('""') ? s.replaceAll('""', '"') : s;
  }
  return buf.toString('utf8', start, end);
}

export interface AsnTableStats {
  ipv4Ranges: number;
  ipv6Ranges: number;
  organisations: number;
  /** Bytes held in typed arrays (the organisation strings come on top; see the bench for heap figures). */
  typedArrayBytes: number;
  ipv4LoadMs: number;
  ipv6LoadMs: number;
}

/**
 * The whole ASN database in memory. IPv4 ranges are parallel Uint32Arrays (start, end, pair) read
 * from the `-num` CSV, whose decimal integers parse with arithmetic alone; IPv6 ranges keep four
 * Uint32 words per bound so a lookup compares integers, never BigInts. Adjacent ranges of the same
 * AS are merged, which shrinks the tables and is invisible to lookups.
 */
export class AsnTable {
  readonly #pairs = new PairTable();
  #pairAsn = new Uint32Array(0);
  #pairOrg = new Uint32Array(0);
  #v4Start = new Uint32Array(0);
  #v4End = new Uint32Array(0);
  #v4Pair = new Uint32Array(0);
  #v6Start = new Uint32Array(0);
  #v6End = new Uint32Array(0);
  #v6Pair = new Uint32Array(0);
  /** One shared result object per pair, made on first use: lookups allocate nothing. */
  #infos: Array<AsnInfo | undefined> = [];
  #v6Loaded = false;
  readonly #dir: string;
  readonly stats: AsnTableStats = { ipv4Ranges: 0, ipv6Ranges: 0, organisations: 0, typedArrayBytes: 0, ipv4LoadMs: 0, ipv6LoadMs: 0 };

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * Loads the IPv4 table, and the IPv6 table too unless `ipv6: 'lazy'`, in which case the first
   * IPv6 lookup reads it synchronously (about a tenth of a second, once) — worth it where IPv6
   * clients are rare and start-up time matters.
   */
  static async load(opts: { dir?: string; ipv6?: 'eager' | 'lazy' } = {}): Promise<AsnTable> {
    const t = new AsnTable(opts.dir ?? asnDataDir());
    await t.#loadV4();
    if (opts.ipv6 !== 'lazy') await t.#loadV6Async();
    return t;
  }

  async #loadV4(): Promise<void> {
    const t0 = performance.now();
    const path = join(this.#dir, 'asn-ipv4-num.csv');
    const starts = new U32(1 << 19);
    const ends = new U32(1 << 19);
    const pairs = new U32(1 << 19);
    let line = 0;
    const f = [0, 0, 0];
    await forEachLine(path, (buf, s, e) => {
      line++;
      if (e - s < 5) return;
      // Three decimal fields, each ended by a comma; written out inline because this runs 400k times.
      let i = s;
      for (let k = 0; k < 3; k++) {
        let v = 0;
        const from = i;
        for (let c = buf[i]!; c >= 48 && c <= 57; c = buf[++i]!) v = v * 10 + (c - 48);
        if (i === from || buf[i] !== 44) throw errors.inputMalformed({ where: `${path}:${line}`, problem: 'expected a number and a comma' });
        i++;
        f[k] = v;
      }
      const [lo, hi, asn] = f as [number, number, number];
      const pair = this.#pairs.intern(asn, orgField(buf, i, e));
      this.#appendV4(starts, ends, pairs, lo, hi, pair, path, line);
    });
    this.#v4Start = starts.done();
    this.#v4End = ends.done();
    this.#v4Pair = pairs.done();
    this.#sealPairs();
    this.stats.ipv4Ranges = this.#v4Start.length;
    this.stats.ipv4LoadMs = performance.now() - t0;
  }

  #appendV4(starts: U32, ends: U32, pairs: U32, lo: number, hi: number, pair: number, path: string, line: number): void {
    const n = starts.n;
    if (n > 0) {
      const prevStart = starts.a[n - 1]!;
      const prevEnd = ends.a[n - 1]!;
      if (lo < prevStart || hi < lo) throw errors.inputMalformed({ where: `${path}:${line}`, problem: 'ranges must be sorted and well-formed' });
      if (lo <= prevEnd) {
        // The source merges several registries and a few ranges overlap; the later, more specific
        // one wins where they do, which keeps starts strictly increasing for the binary search.
        ends.a[n - 1] = lo - 1;
      } else if (lo === prevEnd + 1 && pairs.a[n - 1] === pair) {
        ends.a[n - 1] = hi;
        return;
      }
    }
    starts.push(lo);
    ends.push(hi);
    pairs.push(pair);
  }

  async #loadV6Async(): Promise<void> {
    const t0 = performance.now();
    const path = join(this.#dir, 'asn-ipv6-num.csv');
    const rows = this.#v6Builder(path);
    await forEachLine(path, rows.line);
    rows.finish();
    this.stats.ipv6LoadMs = performance.now() - t0;
  }

  #loadV6Sync(): void {
    const t0 = performance.now();
    const path = join(this.#dir, 'asn-ipv6-num.csv');
    const rows = this.#v6Builder(path);
    const buf = readFileSync(path);
    let start = 0;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, start)) {
      rows.line(buf, start, i);
      start = i + 1;
    }
    if (start < buf.length) rows.line(buf, start, buf.length);
    rows.finish();
    this.stats.ipv6LoadMs = performance.now() - t0;
  }

  /** Row parser for the IPv6 `-num` CSV: 128-bit decimals are split into four words with 32-bit limb arithmetic. */
  #v6Builder(path: string): { line: (buf: Buffer, s: number, e: number) => void; finish: () => void } {
    const starts = new U32(1 << 19);
    const ends = new U32(1 << 19);
    const pairs = new U32(1 << 17);
    const lo = new Uint32Array(4);
    const hi = new Uint32Array(4);
    const prevEnd = new Uint32Array(4);
    let lineNo = 0;
    return {
      line: (buf, s, e) => {
        lineNo++;
        if (e - s < 5) return;
        let i = dec128(buf, s, lo);
        if (i >= 0) i = dec128(buf, i, hi);
        if (i < 0) throw errors.inputMalformed({ where: `${path}:${lineNo}`, problem: 'expected two numbers and commas' });
        let asn = 0;
        for (let c = buf[i]!; c >= 48 && c <= 57; c = buf[++i]!) asn = asn * 10 + (c - 48);
        if (buf[i] !== 44) throw errors.inputMalformed({ where: `${path}:${lineNo}`, problem: 'expected an AS number and a comma' });
        const pair = this.#pairs.intern(asn, orgField(buf, i + 1, e));
        const n = pairs.n;
        if (n > 0) {
          const prevStart = starts.a.subarray(4 * (n - 1), 4 * n);
          if (cmp6(lo, prevStart) < 0 || cmp6(hi, lo) < 0) throw errors.inputMalformed({ where: `${path}:${lineNo}`, problem: 'ranges must be sorted and well-formed' });
          if (cmp6(lo, prevEnd) <= 0) {
            // Overlap: the later range wins from its start on (see the IPv4 loader).
            decrement(lo, prevEnd);
            ends.a.set(prevEnd, 4 * (n - 1));
          } else if (pairs.a[n - 1] === pair && isSuccessor(prevEnd, lo)) {
            ends.a.set(hi, 4 * (n - 1));
            prevEnd.set(hi);
            return;
          }
        }
        for (let k = 0; k < 4; k++) {
          starts.push(lo[k]!);
          ends.push(hi[k]!);
        }
        pairs.push(pair);
        prevEnd.set(hi);
      },
      finish: () => {
        this.#v6Start = starts.done();
        this.#v6End = ends.done();
        this.#v6Pair = pairs.done();
        this.#v6Loaded = true;
        this.#sealPairs();
        this.stats.ipv6Ranges = this.#v6Pair.length;
      },
    };
  }

  #sealPairs(): void {
    this.#pairAsn = this.#pairs.asn.done();
    this.#pairOrg = this.#pairs.org.done();
    this.stats.organisations = this.#pairs.names.length;
    this.stats.typedArrayBytes = [this.#pairAsn, this.#pairOrg, this.#v4Start, this.#v4End, this.#v4Pair, this.#v6Start, this.#v6End, this.#v6Pair].reduce(
      (sum, a) => sum + a.byteLength,
      0,
    );
  }

  #info(pair: number): AsnInfo {
    let info = this.#infos[pair];
    if (!info) {
      info = { number: this.#pairAsn[pair]!, name: this.#pairs.names[this.#pairOrg[pair]!]! };
      this.#infos[pair] = info;
    }
    return info;
  }

  /** The AS announcing this address, or undefined (unparsable, unannounced). The result is shared: copy before changing it. */
  lookup(ip: string | ParsedIp): AsnInfo | undefined {
    const p = typeof ip === 'string' ? parseIp(ip) : ip;
    if (!p) return undefined;
    if (p.v === 4) {
      const starts = this.#v4Start;
      // Last range starting at or below the address, then check it also ends at or above it.
      let a = 0;
      let b = starts.length - 1;
      if (b < 0 || p.n < starts[0]!) return undefined;
      while (a < b) {
        const m = (a + b + 1) >>> 1;
        if (starts[m]! <= p.n) a = m;
        else b = m - 1;
      }
      return p.n <= this.#v4End[a]! ? this.#info(this.#v4Pair[a]!) : undefined;
    }
    if (!this.#v6Loaded) this.#loadV6Sync();
    const starts = this.#v6Start;
    const n = this.#v6Pair.length;
    if (n === 0 || cmp6(p.w, starts.subarray(0, 4)) < 0) return undefined;
    let a = 0;
    let b = n - 1;
    while (a < b) {
      const m = (a + b + 1) >>> 1;
      if (cmpAt(starts, m, p.w) <= 0) a = m;
      else b = m - 1;
    }
    return cmpAt(this.#v6End, a, p.w) >= 0 ? this.#info(this.#v6Pair[a]!) : undefined;
  }
}

/**
 * Parses a decimal up to 2^128 - 1 at buf[i] into four words (most significant first) with 32-bit
 * limb arithmetic, cheaper than a BigInt per bound; returns the index after the comma, or -1.
 */
function dec128(buf: Buffer, i: number, out: Uint32Array): number {
  out.fill(0);
  const from = i;
  for (let c = buf[i]!; c >= 48 && c <= 57; c = buf[++i]!) {
    let carry = c - 48;
    for (let k = 3; k >= 0; k--) {
      // Below 2^32 * 10 + 9: exact in a double.
      const x = out[k]! * 10 + carry;
      out[k] = x >>> 0;
      carry = Math.floor(x / 4294967296);
    }
  }
  return i === from || buf[i] !== 44 ? -1 : i + 1;
}

/** Compares row `row` of a 4-words-per-row array with an address. */
function cmpAt(arr: Uint32Array, row: number, w: ArrayLike<number>): number {
  const o = row * 4;
  for (let i = 0; i < 4; i++) {
    const x = arr[o + i]!;
    const y = w[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** out = x - 1 over four words (x > 0 here: it is a range start above another range's start). */
function decrement(x: Uint32Array, out: Uint32Array): void {
  out.set(x);
  for (let k = 3; k >= 0; k--) {
    if (out[k] !== 0) {
      out[k] = out[k]! - 1;
      return;
    }
    out[k] = 0xffffffff;
  }
}

/** True when b = a + 1 over four words. */
function isSuccessor(a: Uint32Array, b: Uint32Array): boolean {
  const next = new Uint32Array(a);
  for (let k = 3; k >= 0; k--) {
    if (next[k] === 0xffffffff) next[k] = 0;
    else {
      next[k] = next[k]! + 1;
      break;
    }
  }
  return cmp6(next, b) === 0;
}

export interface AsnEnricherOptions {
  table?: AsnTable;
  /** CIDR (or single address) → AS, consulted first and also for special ranges (demo and tests). */
  overrides?: Record<string, AsnInfo>;
  /** Distinct IPs remembered; events repeat addresses, so most lookups are one Map read. */
  cacheSize?: number;
}

/** Fills source.as.number and source.as.organization.name for public (or overridden) source IPs. */
export function createAsnEnricher(table: AsnTable | undefined, opts: Omit<AsnEnricherOptions, 'table'> = {}): Enricher {
  const overrides = new CidrTable(Object.entries(opts.overrides ?? {}));
  const cache = new RecentCache<AsnInfo | null>(opts.cacheSize ?? 100_000);
  const resolve = (ip: string): AsnInfo | null => {
    const p = parseIp(ip);
    if (!p) return null;
    const o = overrides.size ? overrides.find(p) : undefined;
    if (o) return o;
    if (!table || isSpecialIp(p)) return null;
    return table.lookup(p) ?? null;
  };
  return (event: SecurityEvent) => {
    const ip = event.source?.ip;
    if (!ip) return;
    let info = cache.get(ip);
    if (info === undefined) {
      info = resolve(ip);
      cache.set(ip, info);
    }
    if (info) event.source!.as = { number: info.number, organization: { name: info.name } };
  };
}
