/** The relay's errors in Cisco's convention (`{"errors":[{"type","code","message"}]}`, HTTP 200), and saaswatch's errors mapped onto them. */
import { SaaswatchError } from '../../core/errors.js';
import type { RelayError } from './types.js';

/** Cisco's codes, as their relay modules spell them. */
export const RELAY_CODES = {
  auth: 'authorization error',
  invalid: 'invalid argument',
  tooMany: 'too many requests',
  unavailable: 'service unavailable',
  health: 'health check failed',
  notFound: 'not found',
  method: 'method not allowed',
  unknown: 'unknown',
} as const;

/** Cisco's wording of what is wrong with a relay token (their modules' api/utils.py), each prefixed "Authorization failed: ". */
export const AUTH_MESSAGES = {
  noHeader: 'Authorization header is missing',
  wrongType: 'Wrong authorization type',
  wrongStructure: 'Wrong JWT structure',
  wrongPayload: 'Wrong JWT payload structure',
  wrongAudience: 'Wrong configuration-token-audience',
  kidNotFound: 'kid from JWT header not found in API response',
  wrongKey: 'Failed to decode JWT with provided key. Make sure domain in custom_jwks_host corresponds to your SecureX instance region.',
  jwksHostMissing: 'jwks_host is missing in JWT payload. Make sure custom_jwks_host field is present in module_type',
  wrongJwksHost: 'Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure',
  expired: 'Expired JWT: its exp is in the past',
} as const;

export const relayError = (code: string, message: string, type: RelayError['type'] = 'fatal'): RelayError => ({ type, code, message });

export const authError = (message: string): RelayError => relayError(RELAY_CODES.auth, `Authorization failed: ${message}`);

/** A relay error thrown to the route, which answers it in Cisco's shape. */
export class RelayFailure extends Error {
  constructor(readonly error: RelayError) {
    super(error.message);
    this.name = 'RelayFailure';
  }
}

/** Any error as a relay error: ours as they are, saaswatch's by what they mean; anything else is `unknown` without internals. */
export function toRelayError(err: unknown): RelayError {
  if (err instanceof RelayFailure) return err.error;
  if (err instanceof SaaswatchError) {
    const status = typeof err.details?.status === 'number' ? err.details.status : undefined;
    if (err.code === 'RATE_LIMITED' || status === 429) return relayError(RELAY_CODES.tooMany, err.message);
    if (err.code === 'STORAGE_UNAVAILABLE' || status === 503) return relayError(RELAY_CODES.unavailable, err.message);
    if (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN' || status === 401 || status === 403) return relayError(RELAY_CODES.auth, err.message);
    if (err.code === 'INPUT_MALFORMED' || err.code === 'ACTION_REFUSED' || err.code === 'NOT_FOUND') return relayError(RELAY_CODES.invalid, err.message);
    return relayError(RELAY_CODES.unknown, err.message);
  }
  return relayError(RELAY_CODES.unknown, 'Something went wrong (the saaswatch log has the details).');
}
