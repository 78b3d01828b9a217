/**
 * Who a relay request comes from: Cisco XDR's RS256 token, verified against the keys of a JWKS host on
 * the configured allow-list (never a host the token alone names), with its audience, expiry and the
 * Graph credentials and entity limit the module's configuration put in its payload.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as jose, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { Secret } from '../../core/secret.js';
import { TOKEN_KEY_CLAIM } from './config.js';
import { AUTH_MESSAGES as M, authError, RelayFailure } from './errors.js';
import type { GraphCredentials } from './types.js';

/** A verified relay token. */
export interface RelayPrincipal {
  payload: JWTPayload;
  /** The (allowed) host whose keys verified it. */
  jwksHost: string;
  /** Graph credentials from the payload, when the module sends them. */
  credentials?: GraphCredentials;
  /** The payload's CTR_ENTITIES_LIMIT, when a positive integer. */
  limit?: number;
  /**
   * Whether the token carries this deployment's relay.token_key: Cisco signs tokens for any XDR
   * organisation that names our audience, so only this says the token comes from our own module.
   */
  bound: boolean;
}

export interface RelayAuthOptions {
  audience: string;
  jwksHosts: readonly string[];
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
  /** Leeway for exp/nbf/iat, seconds. Default 60. */
  clockToleranceSec?: number;
  /** A host's keys are read again after this long. Default 10 minutes. */
  maxAgeMs?: number;
  /** An unknown kid reads the keys again only when they are at least this old, so random kids cannot make us hammer the host. Default 30 s. */
  cooldownMs?: number;
  /** Time allowed for one JWKS request. Default 5 s. */
  timeoutMs?: number;
  /** While a host cannot be read, its last keys keep verifying tokens for this long after they were read. Default 6 hours. */
  staleMaxMs?: number;
  /** relay.token_key: a token whose `saaswatch_key` claim equals it is bound to this deployment. */
  tokenKey?: Secret;
}

interface HostKeys {
  fetchedAt: number;
  jwks: JWK[];
  imported: Map<string, CryptoKey>;
}

const MAX_JWKS_BYTES = 256 * 1024;

/** The body of a response, refused past `max` bytes without reading the rest. */
async function cappedText(res: Response, max: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const fail = (message: string): never => {
  throw new RelayFailure(authError(message));
};

/** Loopback hosts are read over http (a local test issuer); every other host over https. */
export function jwksUrl(host: string): string {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  const loopback = name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
  return `${loopback ? 'http' : 'https'}://${host}/.well-known/jwks`;
}

export class RelayAuth {
  readonly #o: RelayAuthOptions;
  readonly #allowed: ReadonlySet<string>;
  readonly #fetch: typeof fetch;
  /** Per allowed host: its keys as last read, and the read in flight. */
  readonly #hosts = new Map<string, HostKeys>();
  readonly #loading = new Map<string, Promise<HostKeys>>();
  /** Per allowed host: its last failed read, answered again (without asking the host) until the cooldown passes. */
  readonly #failed = new Map<string, { at: number; failure: RelayFailure }>();

  constructor(o: RelayAuthOptions) {
    this.#o = o;
    this.#allowed = new Set(o.jwksHosts.map((h) => h.toLowerCase()));
    this.#fetch = o.fetch ?? fetch;
  }

  /** The principal of an Authorization header, or a RelayFailure naming what is wrong with it. */
  async verify(authorization: string | undefined): Promise<RelayPrincipal> {
    if (authorization === undefined || authorization.trim() === '') return fail(M.noHeader);
    const parts = authorization.trim().split(/\s+/);
    if (parts.length !== 2 || parts[0]!.toLowerCase() !== 'bearer') return fail(M.wrongType);
    const token = parts[1]!;

    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      return fail(M.wrongStructure);
    }
    // Decided before any key is looked up: `none` and HS256 (signed with our copy of the public key) never get that far.
    if (header.alg !== 'RS256') return fail(`${M.wrongStructure}: algorithm ${JSON.stringify(String(header.alg).slice(0, 20))} is not allowed (RS256 only)`);
    const claimed = unverified.jwks_host;
    if (typeof claimed !== 'string' || claimed === '') return fail(M.jwksHostMissing);
    const host = claimed.toLowerCase();
    // The allow-list is checked on the unverified claim before anything is fetched: a token naming its
    // own issuer never makes us contact that host.
    if (!this.#allowed.has(host)) return fail(`${M.wrongJwksHost} (${JSON.stringify(claimed.slice(0, 100))} is not one of relay.jwks_hosts)`);
    if (typeof header.kid !== 'string' || header.kid === '') return fail(`${M.kidNotFound} (the JWT header has no kid)`);

    const key = await this.#key(host, header.kid);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['RS256'],
        audience: this.#o.audience,
        currentDate: new Date(this.#o.clock()),
        clockTolerance: this.#o.clockToleranceSec ?? 60,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      return fail(verifyMessage(err));
    }
    return { payload, jwksHost: host, ...credentialsOf(payload), ...limitOf(payload), bound: keyMatches(payload[TOKEN_KEY_CLAIM], this.#o.tokenKey) };
  }

  async #key(host: string, kid: string): Promise<CryptoKey> {
    const now = this.#o.clock();
    let keys = this.#hosts.get(host);
    if (!keys || now - keys.fetchedAt >= (this.#o.maxAgeMs ?? 600_000)) keys = await this.#refresh(host, keys);
    let jwk = keys.jwks.find((k) => k.kid === kid);
    if (!jwk && now - keys.fetchedAt >= (this.#o.cooldownMs ?? 30_000)) {
      // A kid we have not seen: the issuer may have rotated its keys since we read them.
      keys = await this.#refresh(host, keys);
      jwk = keys.jwks.find((k) => k.kid === kid);
    }
    if (!jwk) return fail(M.kidNotFound);
    if (jwk.kty !== 'RSA' || (jwk.alg !== undefined && jwk.alg !== 'RS256') || (jwk.use !== undefined && jwk.use !== 'sig')) return fail(`${M.kidNotFound} (the key with that kid is not an RS256 signing key)`);
    let imported = keys.imported.get(kid);
    if (!imported) {
      try {
        imported = (await importJWK({ kty: jwk.kty, n: jwk.n, e: jwk.e }, 'RS256')) as CryptoKey;
      } catch {
        return fail(`${M.kidNotFound} (the key with that kid cannot be read)`);
      }
      keys.imported.set(kid, imported);
    }
    return imported;
  }

  /**
   * The host's keys read again; when that fails, its last keys while they are younger than
   * staleMaxMs (Cisco's JWKS being down must not lock XDR out), else the failure. A failure is
   * remembered for the cooldown, so requests meanwhile do not each try the host again.
   */
  async #refresh(host: string, last: HostKeys | undefined): Promise<HostKeys> {
    const now = this.#o.clock();
    const usable = last !== undefined && now - last.fetchedAt < (this.#o.staleMaxMs ?? 6 * 3_600_000);
    const failed = this.#failed.get(host);
    if (failed && now - failed.at < (this.#o.cooldownMs ?? 30_000)) {
      if (usable) return last;
      throw failed.failure;
    }
    try {
      const keys = await this.#load(host);
      this.#failed.delete(host);
      return keys;
    } catch (err) {
      if (!(err instanceof RelayFailure)) throw err;
      this.#failed.set(host, { at: now, failure: err });
      if (usable) {
        this.#o.logger.warn({ host, keysAgeMs: now - last.fetchedAt }, 'Relay JWKS host could not be read; its last keys are used meanwhile.');
        return last;
      }
      throw err;
    }
  }

  #load(host: string): Promise<HostKeys> {
    let loading = this.#loading.get(host);
    if (!loading) {
      loading = this.#read(host).finally(() => this.#loading.delete(host));
      this.#loading.set(host, loading);
    }
    return loading;
  }

  async #read(host: string): Promise<HostKeys> {
    const url = jwksUrl(host);
    let jwks: JWK[];
    try {
      // No redirects: an allowed host must not be able to hand the key lookup to another.
      const res = await this.#fetch(url, { redirect: 'error', signal: AbortSignal.timeout(this.#o.timeoutMs ?? 5_000), headers: { accept: 'application/json' } });
      if (res.status !== 200) {
        await res.body?.cancel();
        this.#o.logger.warn({ host, status: res.status }, 'Relay JWKS host answered an error.');
        return fail(`${M.wrongJwksHost} (${host} answered HTTP ${res.status} for its keys)`);
      }
      const text = await cappedText(res, MAX_JWKS_BYTES);
      if (text === undefined) return fail(`${M.wrongJwksHost} (the keys of ${host} are over ${MAX_JWKS_BYTES} bytes)`);
      const doc = JSON.parse(text) as { keys?: unknown };
      if (!Array.isArray(doc.keys)) return fail(`${M.wrongJwksHost} (${host} answered no key set)`);
      jwks = doc.keys.filter((k): k is JWK => typeof k === 'object' && k !== null && typeof (k as JWK).kid === 'string');
    } catch (err) {
      if (err instanceof RelayFailure) throw err;
      this.#o.logger.warn({ err, host }, 'Relay JWKS host could not be read.');
      return fail(`${M.wrongJwksHost} (the keys of ${host} could not be read)`);
    }
    const keys: HostKeys = { fetchedAt: this.#o.clock(), jwks, imported: new Map() };
    this.#hosts.set(host, keys);
    return keys;
  }
}

/** Constant-time: both sides are hashed first, so neither the value nor its length leaks through timing. */
export function keyMatches(claim: unknown, key: Secret | undefined): boolean {
  if (key === undefined || typeof claim !== 'string' || claim === '') return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(claim), digest(key.reveal()));
}

function verifyMessage(err: unknown): string {
  if (err instanceof jose.JWTExpired) return M.expired;
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return M.wrongAudience;
    if (err.reason === 'missing') return `${M.wrongPayload}: the ${err.claim} claim is missing`;
    if (err.claim === 'nbf' || err.claim === 'iat') return `${M.wrongPayload}: the JWT is not valid yet (${err.claim})`;
    return `${M.wrongPayload}: ${err.claim} is ${err.reason}`;
  }
  if (err instanceof jose.JWSSignatureVerificationFailed) return M.wrongKey;
  if (err instanceof jose.JOSEAlgNotAllowed) return `${M.wrongStructure}: only RS256 is allowed`;
  return M.wrongStructure;
}

const FIELDS = ['tenant_id', 'application_id', 'client_secret'] as const;

/** All three of Cisco's Graph fields, or none of them; some without the others is a malformed payload. */
function credentialsOf(p: JWTPayload): { credentials?: GraphCredentials } {
  const present = FIELDS.filter((f) => typeof p[f] === 'string' && p[f] !== '');
  if (present.length === 0) return {};
  if (present.length < FIELDS.length) return fail(`${M.wrongPayload}: ${FIELDS.filter((f) => !present.includes(f)).join(', ')} missing beside ${present.join(', ')}`);
  return { credentials: { tenant_id: p.tenant_id as string, application_id: p.application_id as string, client_secret: p.client_secret as string } };
}

function limitOf(p: JWTPayload): { limit?: number } {
  const v = Number(p.CTR_ENTITIES_LIMIT);
  return Number.isInteger(v) && v > 0 ? { limit: v } : {};
}
