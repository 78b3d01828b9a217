/** OIDC login (authorization code with PKCE, state and nonce) through openid-client, mapping the ID token's email to an account. */
import * as client from 'openid-client';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { errors } from '../../core/errors.js';
import type { Account, AccountRole, Store } from '../../core/store.js';
import { ROLES } from '../context.js';
import type { OidcConfig } from './config.js';

/** How long a browser may take at the issuer between leaving and coming back. */
export const OIDC_PENDING_MS = 10 * 60_000;

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  until: number;
}

const SEAL_AAD = Buffer.from('saaswatch_oidc v1');

/** An attempt sealed for its cookie (AES-256-GCM: neither readable nor forgeable without the key), base64url of iv, ciphertext and tag. */
function seal(key: Buffer, p: Pending): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(SEAL_AAD);
  const body = Buffer.concat([cipher.update(JSON.stringify(p), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The attempt in a cookie, or undefined for one that was tampered with, sealed under another key or is not ours. */
function unseal(key: Buffer, value: string): Pending | undefined {
  try {
    const raw = Buffer.from(value, 'base64url');
    if (raw.length < 12 + 16 + 1) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(SEAL_AAD);
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const p = JSON.parse(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8')) as Partial<Pending>;
    const ok = typeof p.state === 'string' && typeof p.nonce === 'string' && typeof p.verifier === 'string' && typeof p.until === 'number';
    return ok ? (p as Pending) : undefined;
  } catch {
    return undefined;
  }
}

/** Plain http is allowed for an issuer on the loopback address only: the local fake in tests. */
const isLoopback = (url: URL): boolean => url.protocol === 'http:' && url.hostname === '127.0.0.1';

export type OidcLogin = ReturnType<typeof createOidcLogin>;

export function createOidcLogin(cfg: OidcConfig, store: Store, now: () => number) {
  const issuer = new URL(cfg.issuer);
  let discovered: Promise<client.Configuration> | undefined;
  // Read on first use, not at start: an issuer that is down must not keep the server (and password logins) from starting.
  const configuration = (): Promise<client.Configuration> => {
    discovered ??= client
      .discovery(issuer, cfg.client_id, cfg.client_secret.reveal(), undefined, isLoopback(issuer) ? { execute: [client.allowInsecureRequests] } : undefined)
      .catch((err: unknown) => {
        discovered = undefined;
        throw errors.network({ target: `OIDC issuer ${issuer.href}`, problem: 'its discovery document could not be read', cause: err });
      });
    return discovered;
  };
  // Keyed by a random value in a cookie of the browser that started: the callback must come back to it,
  // so another person's code cannot be completed in this browser (login CSRF).
  // The attempt lives in the browser's own cookie, sealed, not in server memory: a flood of started
  // logins then has nothing to evict, so it cannot cancel anyone else's. Made at start: a restart
  // only means logins under way start again.
  const sealKey = randomBytes(32);

  /** The issuer's authorization URL and this attempt sealed for its cookie. */
  async function begin(): Promise<{ url: string; key: string }> {
    const config = await configuration();
    const p: Pending = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), until: now() + OIDC_PENDING_MS };
    const key = seal(sealKey, p);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: cfg.redirect_uri,
      scope: cfg.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(p.verifier),
      code_challenge_method: 'S256',
      state: p.state,
      nonce: p.nonce,
    });
    return { url: url.href, key };
  }

  /** Exchanges the code the callback got; returns the account to log in (created on a first login from an allowed domain). */
  async function finish(key: string | undefined, query: string): Promise<{ account: Account; created: boolean; roleChanged?: { from: AccountRole; to: AccountRole } }> {
    // Replaying a spent cookie gets no further: the issuer takes each code once, and the state ties the code to this cookie.
    const p = key === undefined ? undefined : unseal(sealKey, key);
    if (!p || p.until <= now()) throw errors.unauthenticated({ problem: 'no OIDC login in progress in this browser, or it took too long', fix: 'start again from the login page' });
    const config = await configuration();
    const callback = new URL(cfg.redirect_uri);
    callback.search = query;
    let claims: client.IDToken | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce, idTokenExpected: true });
      claims = tokens.claims();
    } catch (err) {
      throw errors.unauthenticated({ problem: 'the OIDC issuer\'s answer was refused', fix: 'start again from the login page; the server log has the details', cause: err });
    }
    const email = typeof claims?.email === 'string' ? claims.email.trim().toLowerCase() : '';
    // A missing claim is not a yes: an issuer where anyone may type any address would otherwise hand over the account with it.
    const verified = claims?.email_verified === true || cfg.trust_unverified_email;
    if (!email || !verified) {
      throw errors.forbidden({ what: 'OIDC login', problem: 'the ID token has no verified email', fix: 'ask for the email scope and verify the address at the issuer; for an issuer that never sends email_verified, see server.auth.oidc.trust_unverified_email' });
    }
    const claimed = cfg.role_claim === undefined ? undefined : claims?.[cfg.role_claim];
    const role = typeof claimed === 'string' && (ROLES as readonly string[]).includes(claimed) ? (claimed as AccountRole) : undefined;
    const actor = `web:${email}`;
    const existing = await store.getAccount(email);
    if (existing) {
      if (existing.disabled) throw errors.forbidden({ what: 'OIDC login', problem: `account ${email} is disabled` });
      if (role === undefined || role === existing.role) return { account: existing, created: false };
      // Held to the same rule as an admin's change: the issuer's claim may not demote the last enabled admin (409).
      const account = await store.updateAccount(email, { role }, { actor, action: 'account-change', details: { email, role, was: existing.role, via: 'oidc role claim' } }, { keepAnAdmin: true });
      return { account: account!, created: false, roleChanged: { from: existing.role, to: role } };
    }
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (!cfg.allowed_domains?.includes(domain)) throw errors.forbidden({ what: 'OIDC login', problem: `no account for ${email}, and its domain may not create one`, fix: 'an admin adds it (saaswatch user add), or lists the domain in server.auth.oidc.allowed_domains' });
    const account = await store.addAccount({ email, role: role ?? cfg.default_role }, { actor, action: 'account-add', details: { email, role: role ?? cfg.default_role, via: 'oidc' } });
    return { account: account ?? (await store.getAccount(email))!, created: account !== undefined };
  }

  return { name: cfg.name, begin, finish };
}
