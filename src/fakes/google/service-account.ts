/** Service-account keys for tests and the fake's verification of the JWT-bearer assertions signed with them. */
import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';

/** The audience Google requires in a service-account assertion, and the one google-auth-library signs. */
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';

/** The `credentials.json` Google's console hands out for a service account. */
export interface ServiceAccountJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

export interface ServiceAccountKey {
  json: ServiceAccountJson;
  clientEmail: string;
  publicKeyPem: string;
}

/** A fresh RSA-2048 service account key, the JSON form and the public half the fake verifies with. */
export function createServiceAccountKey(opts: { clientEmail?: string; projectId?: string } = {}): ServiceAccountKey {
  const projectId = opts.projectId ?? 'saaswatch-test';
  const clientEmail = opts.clientEmail ?? `saaswatch@${projectId}.iam.gserviceaccount.com`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    clientEmail,
    publicKeyPem: publicKey,
    json: {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey,
      client_email: clientEmail,
      client_id: String(100000000000000000000n + BigInt(randomBytes(6).readUIntBE(0, 6))),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: GOOGLE_TOKEN_AUDIENCE,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
      universe_domain: 'googleapis.com',
    },
  };
}

export interface AssertionClaims {
  iss: string;
  scope: string;
  aud: string;
  exp: number;
  iat: number;
  sub?: string;
}

export type AssertionResult = { ok: true; claims: AssertionClaims } | { ok: false; error: string; description: string };

function b64urlJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Verifies a JWT-bearer assertion the way Google's token endpoint does: RS256 only (the algorithm
 * is pinned, never taken from the header), a known issuer's key, the token audience, and a
 * lifetime of at most one hour that has not ended.
 */
export function verifyAssertion(
  assertion: string,
  keys: ReadonlyMap<string, string>,
  opts: { now: number; audiences: readonly string[] },
): AssertionResult {
  const bad = (description: string): AssertionResult => ({ ok: false, error: 'invalid_grant', description });
  const parts = assertion.split('.');
  if (parts.length !== 3) return bad('Invalid JWT: expected three segments.');
  const [h, p, s] = parts as [string, string, string];
  const header = b64urlJson(h) as { alg?: unknown } | undefined;
  const claims = b64urlJson(p) as Partial<AssertionClaims> | undefined;
  if (!header || !claims || typeof claims !== 'object') return bad('Invalid JWT: segments are not JSON.');
  if (header.alg !== 'RS256') return bad('Invalid JWT: only RS256 is accepted.');
  if (typeof claims.iss !== 'string') return bad('Invalid JWT: no iss.');
  const pem = keys.get(claims.iss);
  if (pem === undefined) return { ok: false, error: 'invalid_client', description: `Unknown service account ${claims.iss}.` };
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return { ok: false, error: 'invalid_client', description: 'Service account key unusable.' };
  }
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) {
    return bad('Invalid JWT Signature.');
  }
  if (typeof claims.aud !== 'string' || !opts.audiences.includes(claims.aud)) return bad('Invalid JWT: audience mismatch.');
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return bad('Invalid JWT: exp and iat are required.');
  const nowSec = Math.floor(opts.now / 1000);
  if (claims.exp <= nowSec) return bad('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
  if (claims.exp - claims.iat > 3600 || claims.iat > nowSec + 60) {
    return bad('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
  }
  if (typeof claims.scope !== 'string' || claims.scope.trim() === '') return { ok: false, error: 'invalid_scope', description: 'No scope requested.' };
  return { ok: true, claims: claims as AssertionClaims };
}
