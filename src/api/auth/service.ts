/**
 * Who a request comes from: API tokens (Bearer) and browser sessions (an opaque cookie), logins with
 * lockout, and CSRF for state changes made with the cookie.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../core/errors.js';
import type { Account, Session } from '../../core/store.js';
import type { ApiContext, Principal } from '../context.js';
import type { AuthConfig } from './config.js';
import { cookieLine, readCookie } from './cookies.js';
import { prepareDummyHash, verifyPassword } from './password.js';
import { randomSecret, sameSecret, secretHash, TOKEN_PREFIX } from './secrets.js';

export const SESSION_COOKIE = 'saaswatch_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Last-use stamps of tokens and sessions are written at most this often: a busy script must not write on every call. */
export const TOUCH_EVERY_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The same answer for an unknown email, a wrong password, a disabled account and one without a password: it never says which. */
export const badLogin = () => errors.unauthenticated({ problem: 'wrong email or password', fix: 'check both; after repeated failures the account is locked for a while' });

/** How many addresses without a usable account the lockout remembers; beyond it the least recently tried is forgotten. */
export const MAX_REMEMBERED_STRANGERS = 10_000;

/**
 * reserveLogin's counting for addresses with no account (or a disabled one), kept in memory: they
 * lock after as many tries as a real account would, so the lockout does not tell which addresses
 * have accounts. Least recently tried first in the map, bounded.
 */
export function strangerLockout(maxFailures: number, lockFor: number, limit = MAX_REMEMBERED_STRANGERS) {
  const seen = new Map<string, { failures: number; lockedUntil: number }>();
  return (key: string, now: number): { reserved: boolean; locks: boolean; lockedUntil: number } => {
    const e = seen.get(key) ?? { failures: 0, lockedUntil: 0 };
    seen.delete(key);
    seen.set(key, e);
    if (seen.size > limit) seen.delete(seen.keys().next().value!);
    if (e.lockedUntil > now) return { reserved: false, locks: false, lockedUntil: e.lockedUntil };
    e.failures += 1;
    const locks = e.failures >= maxFailures;
    if (locks) Object.assign(e, { failures: 0, lockedUntil: now + lockFor });
    return { reserved: true, locks, lockedUntil: e.lockedUntil };
  };
}

export interface AuthServiceOptions {
  /** The server runs TLS itself: the cookie is Secure whatever the config says. */
  tls?: boolean;
}

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(ctx: ApiContext, config: AuthConfig, opts: AuthServiceOptions = {}) {
  const { store, clock } = ctx;
  const secure = Boolean(opts.tls) || config.secure_cookies;
  // Who and from where, never what was typed: passwords, tokens and cookies stay out of every line.
  const log = ctx.logger.child({ component: 'auth' });
  // In the background: a failure here only means the first unknown email makes it instead.
  prepareDummyHash().catch((err: unknown) => log.warn({ err }, 'Could not prepare the stand-in password hash.'));
  // The session each request authenticated with, for the routes that answer about it (session, logout).
  const sessions = new WeakMap<FastifyRequest, { idHash: string; session: Session }>();
  const reserveStranger = strangerLockout(config.lockout.max_failures, config.lockout.lock_for);

  const cookieOf = (req: FastifyRequest): string | undefined => readCookie(req.headers.cookie, SESSION_COOKIE);

  async function byToken(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const record = await store.findToken(secretHash(token));
    const now = clock();
    if (!record || record.revokedAt !== undefined || (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now)) return undefined;
    const account = await store.getAccount(record.email);
    if (!account || account.disabled) return undefined;
    if (record.lastUsedAt === undefined || now - Date.parse(record.lastUsedAt) >= TOUCH_EVERY_MS) await store.touchToken(record.id, now);
    return { email: account.email, role: account.role, via: 'token', tokenId: record.id };
  }

  async function bySession(req: FastifyRequest, cookie: string): Promise<Principal | undefined> {
    const idHash = secretHash(cookie);
    const session = await store.findSession(idHash);
    if (!session) return undefined;
    const now = clock();
    const lastSeen = Date.parse(session.lastSeenAt);
    if (now >= Date.parse(session.expiresAt) || now - lastSeen >= config.session_idle) {
      await store.endSession(idHash);
      throw errors.unauthenticated({ problem: 'the session has expired', fix: 'log in again' });
    }
    const account = await store.getAccount(session.email);
    if (!account || account.disabled) return undefined;
    // Synchronizer token, one per session, kept in the session's row and compared in constant time.
    // Chosen over @fastify/csrf-protection: the row is read on every request anyway, so there is no
    // second cookie or HMAC secret to manage, and ending the session ends its token with it.
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) {
        throw errors.forbidden({ what: `${req.method} ${req.url.split('?')[0]}`, problem: 'missing or wrong X-CSRF-Token', fix: 'send the csrf_token from POST /api/auth/login or GET /api/auth/session as X-CSRF-Token' });
      }
    }
    // Within half the idle limit at the latest: a session in steady use must be stamped before it could count as idle.
    if (now - lastSeen >= Math.min(TOUCH_EVERY_MS, config.session_idle / 2)) await store.touchSession(idHash, now);
    sessions.set(req, { idHash, session });
    return { email: account.email, role: account.role, via: 'session' };
  }

  /** The principal of a request: a Bearer token wins over the cookie, and an invalid one is not retried as the cookie. */
  async function authenticate(req: FastifyRequest): Promise<Principal | undefined> {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      return m ? byToken(m[1]!) : undefined;
    }
    const cookie = cookieOf(req);
    return cookie ? bySession(req, cookie) : undefined;
  }

  /**
   * Whether this request's cookies are Secure: by config or TLS here, or because the browser spoke
   * https to a proxy (req.protocol believes X-Forwarded-Proto only from a trusted proxy).
   */
  const secureFor = (req: FastifyRequest): boolean => secure || req.protocol === 'https';

  function setCookie(reply: FastifyReply, value: string, maxAgeMs: number): void {
    reply.header('set-cookie', cookieLine(SESSION_COOKIE, value, { path: '/', sameSite: 'Strict', secure: secureFor(reply.request), maxAgeMs }));
  }

  /** A new session for the account: its cookie on the reply, its CSRF token returned. */
  async function startSession(account: Account, req: FastifyRequest, reply: FastifyReply): Promise<string> {
    const id = randomSecret();
    const csrfToken = randomSecret();
    const ua = req.headers['user-agent'];
    await store.addSession({
      idHash: secretHash(id), email: account.email, csrfToken, expiresAt: clock() + config.session_max,
      ip: req.ip, ...(typeof ua === 'string' ? { userAgent: ua.slice(0, 512) } : {}),
    });
    setCookie(reply, id, config.session_max);
    return csrfToken;
  }

  /** Checks a password login, with lockout; answers the account or throws (401 alike for every refusal, 429 while locked). */
  async function checkLogin(email: string, password: string, ip: string): Promise<Account> {
    const key = email.trim().toLowerCase();
    const actor = `web:${key}`;
    const now = clock();
    const lockedFor = (until: string | undefined) => (until === undefined ? 0 : Date.parse(until) - now);
    const refuse = async (reason: string): Promise<never> => {
      log.warn({ email: key, ip, reason }, 'Login refused.');
      await store.audit(actor, 'login-failure', { email: key, reason, ip });
      throw badLogin();
    };
    const locked = async (until: string | undefined): Promise<never> => {
      // Locked: the same answer whether the password is right or not, so guessing on is pointless.
      await store.audit(actor, 'login-failure', { email: key, reason: 'locked', ip });
      log.warn({ email: key, ip, reason: 'locked' }, 'Login refused.');
      throw errors.rateLimited({ what: 'login', of: 'failed logins for this account', retryAfterMs: Math.max(lockedFor(until), 1000) });
    };
    const lockedNow = (): never => {
      throw errors.rateLimited({ what: 'login', of: 'failed logins for this account', retryAfterMs: config.lockout.lock_for });
    };
    const found = await store.getAccount(key);
    // The attempt is counted before the (slow) check, in one write: guesses sent at once cannot all be
    // checked while the count is still low.
    const r = found && !found.disabled ? await store.reserveLogin(key, { maxFailures: config.lockout.max_failures, until: now + config.lockout.lock_for }) : undefined;
    if (!r || r.account.disabled) {
      // No usable account: counted and locked alike, in memory, and hashed all the same, so neither the
      // answers nor their timing say which addresses have accounts.
      const reason = found ? 'disabled' : 'unknown account';
      const m = reserveStranger(key, now);
      if (!m.reserved) return locked(new Date(m.lockedUntil).toISOString());
      await verifyPassword(password, found?.passwordHash);
      if (!m.locks) return refuse(reason);
      await store.audit(actor, 'login-failure', { email: key, reason, ip });
      log.warn({ email: key, ip, reason }, 'Login refused.');
      return lockedNow();
    }
    if (!r.reserved) return locked(r.account.lockedUntil);
    if (await verifyPassword(password, r.account.passwordHash)) return r.account;
    if (!r.locks) return refuse('wrong password');
    await store.audit(actor, 'login-failure', { email: key, reason: 'wrong password', ip });
    await store.audit('saaswatch:lockout', 'account-lockout', { email: key, until: r.account.lockedUntil, failures: config.lockout.max_failures, ip });
    log.warn({ email: key, ip, until: r.account.lockedUntil }, 'Account locked after repeated wrong passwords.');
    return lockedNow();
  }

  /** A successful login: stamped on the account (failures and lockout cleared) and audited. */
  async function recorded(email: string, via: 'password' | 'oidc', ip: string): Promise<void> {
    await store.recordLogin(email, { actor: `web:${email}`, action: 'login', details: { email, via, ip } });
    log.info({ email, ip, via }, 'Logged in.');
  }

  async function logout(req: FastifyRequest, reply: FastifyReply, actor: string): Promise<void> {
    const s = sessions.get(req);
    if (s) {
      await store.endSession(s.idHash);
      await store.audit(actor, 'logout', { email: s.session.email });
    }
    setCookie(reply, '', 0);
  }

  return { config, secureFor, authenticate, startSession, checkLogin, recorded, logout, sessionOf: (req: FastifyRequest) => sessions.get(req)?.session };
}
