/** The random secrets of auth (API tokens, session ids, CSRF tokens) and the one hash they are stored under. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API tokens start with this, so a leaked one is recognisable (secret scanners, logs) and told apart from other credentials. */
export const TOKEN_PREFIX = 'sw_';

/** 32 random bytes, URL-safe. */
export const randomSecret = (): string => randomBytes(32).toString('base64url');

export const newApiToken = (): string => `${TOKEN_PREFIX}${randomSecret()}`;

export const newTokenId = (): string => `tok_${randomBytes(8).toString('hex')}`;

/**
 * SHA-256, hex. Enough for 256-bit random secrets: nothing to guess, so no slow hash is needed, and a
 * lookup by hash is one index probe.
 */
export const secretHash = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Constant-time equality of two strings of any lengths (compared as hashes, so lengths do not leak either). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
