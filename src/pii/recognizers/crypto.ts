/** Recognizer for cryptocurrency wallet addresses whose checksums verify: Bitcoin/Litecoin Base58Check and bech32/bech32m, Ethereum (EIP-55). */
import { createHash } from 'node:crypto';
import { createBase58check } from '@scure/base';
import { LONG_WORD, sharedRuns } from '../scan.js';
import type { Recognizer, RecognizerResult } from '../types.js';

const sha256 = (data: Uint8Array): Uint8Array => createHash('sha256').update(data).digest();
const base58check = createBase58check(sha256);

/** Base58Check version bytes of pay-to-pubkey-hash and pay-to-script-hash addresses, per coin. */
const BASE58_VERSIONS: ReadonlyMap<number, string> = new Map([
  [0x00, 'btc-p2pkh'],
  [0x05, 'btc-p2sh'],
  [0x30, 'ltc-p2pkh'],
  [0x32, 'ltc-p2sh'],
]);

const BASE58 = /(?<![A-Za-z0-9])[13LM][1-9A-HJ-NP-Za-km-z]{25,34}(?![A-Za-z0-9])/g;

/** The coin and kind of a Base58Check address, or undefined when the checksum or the version is wrong. */
export function base58Address(s: string): string | undefined {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(s);
  } catch {
    return undefined;
  }
  // One version byte and a 20-byte hash160.
  if (payload.length !== 21) return undefined;
  return BASE58_VERSIONS.get(payload[0]!);
}

// ---------------------------------------------------------------------------------------------------------------
// bech32 / bech32m (BIP-173, BIP-350)

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_CONST = 1;
const BECH32M_CONST = 0x2bc830a3;
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const b = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((b >>> i) & 1) chk ^= GEN[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (const c of hrp) out.push(c.charCodeAt(0) >> 5);
  out.push(0);
  for (const c of hrp) out.push(c.charCodeAt(0) & 31);
  return out;
}

/** Regroups 5-bit words into bytes; undefined when the padding is not zero (BIP-173's rule). */
function fromWords(words: readonly number[]): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  for (const w of words) {
    acc = (acc << 5) | w;
    bits += 5;
    while (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits >= 5 || ((acc << (8 - bits)) & 0xff) !== 0) return undefined;
  return out;
}

/**
 * The kind of a segwit address (`segwit-v0` under bech32, `segwit-v1`… under bech32m), or undefined when its
 * checksum, witness version or program length is wrong (BIP-173 and BIP-350's decoding rules).
 */
export function segwitAddress(s: string, hrps: readonly string[] = ['bc', 'ltc']): string | undefined {
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) return undefined;
  const a = s.toLowerCase();
  const sep = a.lastIndexOf('1');
  const hrp = a.slice(0, sep);
  if (sep < 1 || !hrps.includes(hrp) || a.length > 90 || a.length - sep - 1 < 6) return undefined;
  const data: number[] = [];
  for (const c of a.slice(sep + 1)) {
    const v = BECH32_CHARSET.indexOf(c);
    if (v < 0) return undefined;
    data.push(v);
  }
  const version = data[0]!;
  if (version > 16) return undefined;
  const check = polymod([...hrpExpand(hrp), ...data]);
  if (check !== (version === 0 ? BECH32_CONST : BECH32M_CONST)) return undefined;
  const program = fromWords(data.slice(1, -6));
  if (!program || program.length < 2 || program.length > 40) return undefined;
  if (version === 0 && program.length !== 20 && program.length !== 32) return undefined;
  return `${hrp === 'bc' ? 'btc' : hrp}-segwit-v${version}`;
}

const BECH32 = /(?<![A-Za-z0-9])(?:bc1|BC1|ltc1|LTC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87}(?![A-Za-z0-9])/g;

// ---------------------------------------------------------------------------------------------------------------
// Ethereum: EIP-55 needs Keccak-256 (the pre-standard padding, not node's SHA3-256), so here is a small one.

const ROUND_CONSTANTS: bigint[] = (() => {
  // The round constants from the LFSR of FIPS 202 §3.2.5 (rc(t)), computed once.
  const rc: bigint[] = [];
  let r = 1;
  const bit = (): number => {
    const out = r & 1;
    r = r & 0x80 ? ((r << 1) ^ 0x171) & 0xff : (r << 1) & 0xff;
    return out;
  };
  for (let round = 0; round < 24; round++) {
    let c = 0n;
    for (let j = 0; j < 7; j++) if (bit()) c |= 1n << BigInt((1 << j) - 1);
    rc.push(c);
  }
  return rc;
})();
const ROTATIONS = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

// Lanes as 32-bit halves (lo, hi) in a Uint32Array: BigInt lanes cost ~400 µs an address, these a few µs.
const RC_LO = Uint32Array.from(ROUND_CONSTANTS, (c) => Number(c & 0xffffffffn));
const RC_HI = Uint32Array.from(ROUND_CONSTANTS, (c) => Number(c >> 32n));

function keccakF(s: Uint32Array): void {
  const c = new Uint32Array(10);
  const b = new Uint32Array(50);
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 10; x++) c[x] = s[x]! ^ s[x + 10]! ^ s[x + 20]! ^ s[x + 30]! ^ s[x + 40]!;
    for (let x = 0; x < 5; x++) {
      const x1 = ((x + 1) % 5) * 2;
      const x4 = ((x + 4) % 5) * 2;
      const lo1 = c[x1]!;
      const hi1 = c[x1 + 1]!;
      const dlo = c[x4]! ^ ((lo1 << 1) | (hi1 >>> 31));
      const dhi = c[x4 + 1]! ^ ((hi1 << 1) | (lo1 >>> 31));
      for (let y = 0; y < 25; y += 5) {
        s[2 * (x + y)] = s[2 * (x + y)]! ^ dlo;
        s[2 * (x + y) + 1] = s[2 * (x + y) + 1]! ^ dhi;
      }
    }
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        const i = x + 5 * y;
        const r = ROTATIONS[i]!;
        const lo = s[2 * i]!;
        const hi = s[2 * i + 1]!;
        const dst = 2 * (y + 5 * ((2 * x + 3 * y) % 5));
        if (r === 0) {
          b[dst] = lo;
          b[dst + 1] = hi;
        } else if (r < 32) {
          b[dst] = (lo << r) | (hi >>> (32 - r));
          b[dst + 1] = (hi << r) | (lo >>> (32 - r));
        } else {
          const q = r - 32;
          b[dst] = (hi << q) | (q === 0 ? 0 : lo >>> (32 - q));
          b[dst + 1] = (lo << q) | (q === 0 ? 0 : hi >>> (32 - q));
        }
      }
    }
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) {
        const i = 2 * (x + y);
        const i1 = 2 * (((x + 1) % 5) + y);
        const i2 = 2 * (((x + 2) % 5) + y);
        s[i] = b[i]! ^ (~b[i1]! & b[i2]!);
        s[i + 1] = b[i + 1]! ^ (~b[i1 + 1]! & b[i2 + 1]!);
      }
    }
    s[0] = s[0]! ^ RC_LO[round]!;
    s[1] = s[1]! ^ RC_HI[round]!;
  }
}

/** Keccak-256 (Ethereum's hash: rate 136 bytes, pad 0x01…0x80) of a byte string, hex. */
export function keccak256Hex(data: Uint8Array): string {
  const rate = 136;
  const padded = new Uint8Array(Math.ceil((data.length + 1) / rate) * rate);
  padded.set(data);
  padded[data.length] = 0x01;
  padded[padded.length - 1] = padded[padded.length - 1]! | 0x80;
  const s = new Uint32Array(50);
  const le32 = (o: number): number => (padded[o]! | (padded[o + 1]! << 8) | (padded[o + 2]! << 16) | (padded[o + 3]! << 24)) >>> 0;
  for (let off = 0; off < padded.length; off += rate) {
    for (let i = 0; i < rate / 4; i++) s[i] = s[i]! ^ le32(off + 4 * i);
    keccakF(s);
  }
  let hex = '';
  for (let i = 0; i < 8; i++) for (let k = 0; k < 4; k++) hex += ((s[i]! >>> (8 * k)) & 0xff).toString(16).padStart(2, '0');
  return hex;
}

/** Whether a mixed-case 40-hex address carries a valid EIP-55 checksum (a letter is upper iff its hash nibble ≥ 8). */
export function eip55Valid(hex40: string): boolean {
  const hash = keccak256Hex(new TextEncoder().encode(hex40.toLowerCase()));
  for (let i = 0; i < 40; i++) {
    const c = hex40[i]!;
    if (c >= '0' && c <= '9') continue;
    const upper = parseInt(hash[i]!, 16) >= 8;
    if (upper !== (c >= 'A' && c <= 'F')) return false;
  }
  return true;
}

const ETH = /(?<![A-Za-z0-9])0x([0-9a-fA-F]{40})(?![A-Za-z0-9])/g;

/**
 * The matches of `re` (global; its match and lookarounds read only word characters) in `text`, in order. Within
 * an analysis they are sought only in the long words of the shared scan that can hold `minLength` characters: a
 * word's edges are non-word characters, so the lookarounds decide there as they would in the whole text.
 */
function tokenMatches(text: string, re: RegExp, minLength: number): { 0: string; 1?: string; index: number }[] {
  const r = sharedRuns(text);
  if (!r || minLength < LONG_WORD) return [...text.matchAll(re)];
  const out: { 0: string; 1?: string; index: number }[] = [];
  for (let w = 0; w < r.longCount; w++) {
    const s = r.longStart[w]!;
    const e = r.longEnd[w]!;
    if (e - s < minLength) continue;
    // exec, not matchAll: matchAll copies the regex for every word.
    const word = text.slice(s, e);
    re.lastIndex = 0;
    for (let m = re.exec(word); m; m = re.exec(word)) out.push({ 0: m[0], 1: m[1], index: s + m.index });
  }
  return out;
}

const BECH32_AT = new RegExp(BECH32.source, 'y');

/**
 * BECH32's matches, found from each `c1`/`C1` (every prefix ends so) and tried where a prefix would start: a match
 * is a whole alphanumeric run (its class excludes no run's end), so at most one starts at each place and none overlap.
 */
function bech32Matches(text: string): { 0: string; index: number }[] {
  const starts: number[] = [];
  for (const needle of ['c1', 'C1']) {
    for (let p = text.indexOf(needle); p !== -1; p = text.indexOf(needle, p + 2)) {
      if (p >= 1) starts.push(p - 1);
      if (p >= 2) starts.push(p - 2);
    }
  }
  starts.sort((a, b) => a - b);
  const out: { 0: string; index: number }[] = [];
  for (let k = 0; k < starts.length; k++) {
    const s = starts[k]!;
    if (k > 0 && starts[k - 1] === s) continue;
    BECH32_AT.lastIndex = s;
    const m = BECH32_AT.exec(text);
    if (m) out.push({ 0: m[0], index: s });
  }
  return out;
}

/**
 * Wallet addresses: Base58Check (Bitcoin P2PKH/P2SH, Litecoin), bech32/bech32m (Bitcoin and Litecoin segwit,
 * taproot) and Ethereum. Checksum-validated forms score 0.9. An all-lower or all-upper Ethereum address has
 * no checksum to verify, so it scores 0.5 (context words such as "wallet" or "ETH" raise it); a mixed-case
 * one whose EIP-55 checksum fails is a typo or not an address and is not reported.
 */
export const cryptoRecognizer: Recognizer = {
  id: 'crypto',
  examples: ['Please send 0.05 BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.', 'ETH: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'],
  entities: ['CRYPTO'],
  context: {
    en: ['wallet', 'bitcoin', 'btc', 'ethereum', 'eth', 'litecoin', 'crypto', 'address', 'send', 'payment'],
    de: ['wallet', 'geldbörse', 'adresse', 'zahlung'],
    fr: ['portefeuille', 'adresse', 'paiement'],
    es: ['billetera', 'cartera', 'dirección', 'pago'],
    it: ['portafoglio', 'indirizzo', 'pagamento'],
    nl: ['portemonnee', 'adres', 'betaling'],
    pt: ['carteira', 'endereço', 'pagamento'],
  },
  recognize(text) {
    const out: RecognizerResult[] = [];
    for (const m of tokenMatches(text, BASE58, 26)) {
      const kind = base58Address(m[0]);
      if (kind) out.push({ type: 'CRYPTO', start: m.index, end: m.index + m[0].length, score: 0.9, explanation: { recognizer: 'crypto', pattern: kind, validator: 'base58check', baseScore: 0.9 } });
    }
    for (const m of bech32Matches(text)) {
      const kind = segwitAddress(m[0]);
      if (kind) out.push({ type: 'CRYPTO', start: m.index, end: m.index + m[0].length, score: 0.9, explanation: { recognizer: 'crypto', pattern: kind, validator: kind.endsWith('v0') ? 'bech32' : 'bech32m', baseScore: 0.9 } });
    }
    for (const m of tokenMatches(text, ETH, 42)) {
      const hex = m[1]!;
      const mixed = hex !== hex.toLowerCase() && hex !== hex.toUpperCase();
      if (mixed && !eip55Valid(hex)) continue;
      const score = mixed ? 0.9 : 0.5;
      out.push({ type: 'CRYPTO', start: m.index, end: m.index + 42, score, explanation: mixed ? { recognizer: 'crypto', pattern: 'eth', validator: 'eip55', baseScore: score } : { recognizer: 'crypto', pattern: 'eth', baseScore: score } });
    }
    return out;
  },
};
