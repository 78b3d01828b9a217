/** Password hashes with node's scrypt: per-hash salt, parameters inside the hash string, constant-time comparison. */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { errors } from '../../core/errors.js';

export interface ScryptParams {
  /** log2 of scrypt's N (CPU and memory cost). */
  logN: number;
  r: number;
  p: number;
}

/** N=2^15, r=8, p=1: OWASP's scrypt floor, ~32 MiB and tens of milliseconds per hash. */
export const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
// Above 128*N*r so N=2^15..2^16 fit; node's default (32 MiB) is exactly 2^15's need and refuses it.
const MAX_MEM = 256 * 1024 * 1024;

function derive(password: string, salt: Buffer, prm: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: 2 ** prm.logN, r: prm.r, p: prm.p, maxmem: MAX_MEM };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$<logN>$<r>$<p>$<salt b64url>$<key b64url>`: a later change of parameters still verifies older hashes. */
export async function hashPassword(password: string, prm: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, prm);
  return ['scrypt', prm.logN, prm.r, prm.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parse(hash: string): { prm: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![logN, r, p].every((n) => Number.isInteger(n) && n > 0) || logN > 20) return undefined;
  return { prm: { logN, r, p }, salt: Buffer.from(parts[4]!, 'base64url'), key: Buffer.from(parts[5]!, 'base64url') };
}

// Verified against when the account is unknown or has no password, so the answer takes as long as for a
// real account and its timing does not tell which addresses have one. Made once, lazily.
let dummy: Promise<string> | undefined;
const dummyHash = (): Promise<string> => (dummy ??= hashPassword(randomBytes(16).toString('hex')));

/** Makes the stand-in hash now, so not even the first unknown email's answer takes longer than a real account's. */
export const prepareDummyHash = (): Promise<void> => dummyHash().then(() => undefined);

/** Whether `password` matches `hash`; without a hash, spends the same time and answers false. */
export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  const parsed = parse(hash ?? (await dummyHash()));
  if (!parsed) {
    await derive(password, randomBytes(SALT_BYTES), DEFAULT_SCRYPT);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.prm);
  return hash !== undefined && key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** 18 random bytes as 24 URL-safe characters: what `user add` prints when no password is given. */
export const generatePassword = (): string => randomBytes(18).toString('base64url');

export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 1024;

/** Refuses passwords too short to resist guessing, or so long that hashing them is a denial of service. */
export function checkPassword(password: string, where = 'password'): void {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw errors.inputMalformed({ where, problem: `expected ${MIN_PASSWORD} to ${MAX_PASSWORD} characters, got ${password.length}`, fix: 'choose a longer passphrase, or leave it out to get a generated one' });
  }
}
