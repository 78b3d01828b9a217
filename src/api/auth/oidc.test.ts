import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startOidcFake, type FakeOidc } from '../../fakes/oidc/server.js';
import { authHarness, sessionCookie, type AuthHarness } from './testing.js';

const CLIENT = { clientId: 'saaswatch', clientSecret: 'fake-client-secret' };
const REDIRECT = 'http://127.0.0.1:9/api/auth/oidc/callback';
let issuer: FakeOidc;
let h: AuthHarness;
beforeAll(async () => {
  issuer = await startOidcFake(CLIENT);
});
afterAll(async () => issuer?.close());
afterEach(async () => h?.close());

async function harness(extra: Record<string, unknown> = {}) {
  h = await authHarness({
    auth: { oidc: { name: 'Fake SSO', issuer: issuer.issuer, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, redirect_uri: REDIRECT, ...extra } },
  });
  return h;
}

/** Start at the app, pass the issuer (which logs in issuer.nextLogin), come back: the callback's answer. */
async function oidcLogin(o: { keepCookie?: boolean } = {}) {
  const start = await h.app.inject({ method: 'GET', url: '/api/auth/oidc' });
  expect(start.statusCode).toBe(302);
  const attempt = String(start.headers['set-cookie']);
  expect(attempt).toMatch(/^saaswatch_oidc=[\w-]+; Max-Age=600; Path=\/api\/auth\/oidc; HttpOnly; SameSite=Lax$/);
  const authorize = new URL(String(start.headers.location));
  expect(authorize.origin).toBe(issuer.issuer);
  expect(Object.fromEntries(['response_type', 'code_challenge_method', 'scope', 'redirect_uri'].map((k) => [k, authorize.searchParams.get(k)]))).toEqual({
    response_type: 'code', code_challenge_method: 'S256', scope: 'openid email profile', redirect_uri: REDIRECT,
  });
  expect(authorize.searchParams.get('state')).toBeTruthy();
  expect(authorize.searchParams.get('nonce')).toBeTruthy();
  const atIssuer = await fetch(authorize, { redirect: 'manual' });
  const back = new URL(atIssuer.headers.get('location')!);
  expect(back.pathname).toBe('/api/auth/oidc/callback');
  const cookie = o.keepCookie === false ? {} : { cookie: attempt.split(';')[0]! };
  const callback = () => h.app.inject({ method: 'GET', url: `${back.pathname}${back.search}`, headers: cookie });
  return { res: await callback(), again: callback };
}

const me = (cookie: string) => h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });

describe('OIDC login against a local issuer', () => {
  it('logs an existing account in: code with PKCE, state and nonce, a session, a redirect to /, audited', async () => {
    await harness();
    await h.store.addAccount({ email: 'ana@example.com', role: 'analyst' });
    expect((await h.app.inject({ method: 'GET', url: '/api/auth/methods' })).json()).toEqual({ password: true, oidc: { name: 'Fake SSO' } });
    issuer.nextLogin = { email: 'Ana@Example.com', email_verified: true };
    const { res, again } = await oidcLogin();
    expect([res.statusCode, res.headers.location]).toEqual([302, '/']);
    const cookies = [res.headers['set-cookie'] ?? []].flat();
    expect(cookies).toHaveLength(2);
    expect(cookies[1]).toMatch(/^saaswatch_oidc=; Max-Age=0;/);
    expect((await me(sessionCookie(cookies))).json()).toEqual({ email: 'ana@example.com', role: 'analyst', via: 'session' });
    expect((await h.store.listAudit({ action: 'login' }))[0]).toMatchObject({ actor: 'web:ana@example.com', details: { via: 'oidc' } });
    // The attempt is spent: the same code and cookie do not log in twice.
    expect((await again()).statusCode).toBe(401);
  });

  it('creates the account on a first login from an allowed domain, with the default role or the role claim', async () => {
    await harness({ allowed_domains: ['Example.com'], default_role: 'viewer', role_claim: 'saaswatch_role' });
    issuer.nextLogin = { email: 'new@example.com', email_verified: true };
    const first = await oidcLogin();
    expect((await me(sessionCookie(first.res.headers['set-cookie']))).json()).toMatchObject({ email: 'new@example.com', role: 'viewer' });
    expect((await h.store.listAudit({ action: 'account-add' }))[0]).toMatchObject({ actor: 'web:new@example.com', details: { role: 'viewer', via: 'oidc' } });
    issuer.nextLogin = { email: 'new@example.com', email_verified: true, saaswatch_role: 'analyst' };
    const second = await oidcLogin();
    expect((await me(sessionCookie(second.res.headers['set-cookie']))).json()).toMatchObject({ role: 'analyst' });
    // The role change ended the first session.
    expect((await me(sessionCookie(first.res.headers['set-cookie']))).statusCode).toBe(401);
    issuer.nextLogin = { email: 'boss@example.com', email_verified: true, saaswatch_role: 'admin' };
    expect((await me(sessionCookie((await oidcLogin()).res.headers['set-cookie']))).json()).toMatchObject({ role: 'admin' });
  });

  it('refuses an email of another domain, an unverified one, a disabled account, and a callback without the attempt\'s cookie', async () => {
    await harness({ allowed_domains: ['example.com'] });
    issuer.nextLogin = { email: 'eve@elsewhere.io', email_verified: true };
    expect((await oidcLogin()).res.statusCode).toBe(403);
    expect(await h.store.getAccount('eve@elsewhere.io')).toBeUndefined();
    issuer.nextLogin = { email: 'ana@example.com', email_verified: false };
    expect((await oidcLogin()).res.statusCode).toBe(403);
    await h.store.addAccount({ email: 'dis@example.com', role: 'viewer' });
    await h.store.updateAccount('dis@example.com', { disabled: true });
    issuer.nextLogin = { email: 'dis@example.com', email_verified: true };
    expect((await oidcLogin()).res.statusCode).toBe(403);
    issuer.nextLogin = { email: 'ana@example.com', email_verified: true };
    const stray = (await oidcLogin({ keepCookie: false })).res;
    expect([stray.statusCode, stray.headers['set-cookie']]).toEqual([401, undefined]);
    const logs = h.logs.join('');
    expect(logs.match(/OIDC login refused\./g)).toHaveLength(4);
    expect(logs).not.toContain(CLIENT.clientSecret);
  });

  it('refuses an ID token without email_verified (the admin\'s address asserted by an issuer that does not vouch for it), unless trust_unverified_email', async () => {
    await harness();
    await h.store.addAccount({ email: 'root@example.com', role: 'admin' });
    issuer.nextLogin = { email: 'root@example.com' };
    const res = (await oidcLogin()).res;
    expect([res.statusCode, res.headers['set-cookie']]).toEqual([403, undefined]);
    await h.close();
    await harness({ trust_unverified_email: true });
    await h.store.addAccount({ email: 'root@example.com', role: 'admin' });
    issuer.nextLogin = { email: 'root@example.com' };
    expect((await oidcLogin()).res.statusCode).toBe(302);
  });

  it('marks the attempt cookie Secure behind a trusted proxy that spoke https to the browser', async () => {
    h = await authHarness({
      trustProxy: true,
      auth: { oidc: { issuer: issuer.issuer, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, redirect_uri: REDIRECT } },
    });
    const start = await h.app.inject({ method: 'GET', url: '/api/auth/oidc', headers: { 'x-forwarded-proto': 'https' } });
    expect(String(start.headers['set-cookie'])).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('keeps a login under way through a flood of 10,001 other attempts (one more than the in-memory table it replaced held), and refuses a tampered, foreign or stale attempt cookie', async () => {
    await harness();
    await h.store.addAccount({ email: 'ana@example.com', role: 'analyst' });
    issuer.nextLogin = { email: 'ana@example.com', email_verified: true };
    const start = await h.app.inject({ method: 'GET', url: '/api/auth/oidc' });
    const attempt = String(start.headers['set-cookie']).split(';')[0]!;
    for (let i = 0; i < 10_001; i++) expect((await h.app.inject({ method: 'GET', url: '/api/auth/oidc' })).statusCode).toBe(302);
    const back = new URL((await fetch(String(start.headers.location), { redirect: 'manual' })).headers.get('location')!);
    const callback = (cookie: string) => h.app.inject({ method: 'GET', url: `${back.pathname}${back.search}`, headers: { cookie } });
    const value = attempt.slice(attempt.indexOf('=') + 1);
    const flipped = `${value.slice(0, 20)}${value[20] === 'A' ? 'B' : 'A'}${value.slice(21)}`;
    const other = String((await h.app.inject({ method: 'GET', url: '/api/auth/oidc' })).headers['set-cookie']).split(';')[0]!;
    for (const cookie of [`saaswatch_oidc=${flipped}`, other, 'saaswatch_oidc=bm90IGEgc2VhbGVkIGF0dGVtcHQ']) expect((await callback(cookie)).statusCode).toBe(401);
    // The attempt is not readable in the cookie: its state and PKCE verifier stay secret.
    expect(Buffer.from(value, 'base64url').toString('latin1')).not.toContain(back.searchParams.get('state')!);
    const res = await callback(attempt);
    expect([res.statusCode, res.headers.location]).toEqual([302, '/']);
    expect((await me(sessionCookie(res.headers['set-cookie']))).json()).toMatchObject({ email: 'ana@example.com' });
  }, 120_000);

  it('refuses an attempt cookie older than ten minutes', async () => {
    await harness();
    await h.store.addAccount({ email: 'ana@example.com', role: 'analyst' });
    issuer.nextLogin = { email: 'ana@example.com', email_verified: true };
    const start = await h.app.inject({ method: 'GET', url: '/api/auth/oidc' });
    const back = new URL((await fetch(String(start.headers.location), { redirect: 'manual' })).headers.get('location')!);
    h.advance(10 * 60_000);
    const res = await h.app.inject({ method: 'GET', url: `${back.pathname}${back.search}`, headers: { cookie: String(start.headers['set-cookie']).split(';')[0]! } });
    expect(res.statusCode).toBe(401);
  });

  it('lets no role claim demote the last enabled admin', async () => {
    await harness({ role_claim: 'saaswatch_role' });
    await h.store.addAccount({ email: 'root@example.com', role: 'admin' });
    issuer.nextLogin = { email: 'root@example.com', email_verified: true, saaswatch_role: 'viewer' };
    const res = (await oidcLogin()).res;
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'CONFLICT']);
    expect(await h.store.getAccount('root@example.com')).toMatchObject({ role: 'admin' });
  });

  it('takes no account without allowed_domains: only those added before may log in', async () => {
    await harness();
    issuer.nextLogin = { email: 'new@example.com', email_verified: true };
    expect((await oidcLogin()).res.statusCode).toBe(403);
  });
});
