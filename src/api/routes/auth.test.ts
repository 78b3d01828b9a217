import { afterEach, describe, expect, it } from 'vitest';
import { issueToken } from '../auth/accounts.js';
import { authHarness, MIN, sessionCookie, type AuthHarness } from '../auth/testing.js';

const PW = 'correct horse battery staple';
let h: AuthHarness;
afterEach(async () => h?.close());

async function login(email: string, password = PW, headers: Record<string, string> = {}) {
  const res = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, headers });
  return { res, cookie: sessionCookie(res.headers['set-cookie']), csrf: res.statusCode === 200 ? (res.json().csrf_token as string) : '' };
}

describe('password logins', () => {
  it('logs in: a session cookie HttpOnly, SameSite=Strict, Path=/, no Secure without TLS, and the CSRF token', async () => {
    h = await authHarness();
    await h.addAccount('ana@x.io', 'analyst', PW);
    const { res, cookie, csrf } = await login('Ana@X.io');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ csrf_token: csrf, user: { email: 'ana@x.io', role: 'analyst' } });
    expect(res.headers['cache-control']).toBe('no-store');
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/^saaswatch_session=[\w-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);
    const me = await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.json()).toEqual({ email: 'ana@x.io', role: 'analyst', via: 'session' });
    const again = await h.app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie } });
    expect(again.json()).toEqual({ csrf_token: csrf, user: { email: 'ana@x.io', role: 'analyst' } });
    expect((await h.store.getAccount('ana@x.io'))?.lastLoginAt).toBe('2026-03-02T09:00:00.000Z');
    expect((await h.store.listAudit({ action: 'login' }))[0]).toMatchObject({ actor: 'web:ana@x.io', details: { email: 'ana@x.io', via: 'password' } });
  });

  it('marks the cookie Secure under TLS, and with secure_cookies behind a proxy', async () => {
    for (const o of [{ tls: true }, { auth: { secure_cookies: true } }]) {
      h = await authHarness(o);
      await h.addAccount('ana@x.io', 'viewer', PW);
      expect(String((await login('ana@x.io')).res.headers['set-cookie'])).toMatch(/; Secure; SameSite=Strict$/);
      await h.close();
    }
  });

  it('marks the cookie Secure behind a trusted TLS-terminating proxy (X-Forwarded-Proto: https), and ignores the header from anyone untrusted', async () => {
    for (const [trustProxy, secure] of [[true, true], [false, false]] as const) {
      h = await authHarness({ trustProxy });
      await h.addAccount('ana@x.io', 'viewer', PW);
      const { res, cookie, csrf } = await login('ana@x.io', PW, { 'x-forwarded-proto': 'https' });
      expect(String(res.headers['set-cookie']).endsWith('; Secure; SameSite=Strict')).toBe(secure);
      const out = await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': csrf, 'x-forwarded-proto': 'https' } });
      expect(String(out.headers['set-cookie']).includes('; Secure;')).toBe(secure);
      await h.close();
    }
  });

  it('answers a wrong password, an unknown email, a disabled account and one without a password alike: 401, the same body', async () => {
    h = await authHarness();
    await h.addAccount('ana@x.io', 'analyst', PW);
    await h.addAccount('dis@x.io', 'analyst', PW);
    await h.store.updateAccount('dis@x.io', { disabled: true });
    await h.store.addAccount({ email: 'sso@x.io', role: 'viewer' });
    const answers = await Promise.all([login('ana@x.io', 'wrong password!'), login('nobody@x.io'), login('dis@x.io'), login('sso@x.io', '')]);
    const bodies = answers.map((a) => [a.res.statusCode, a.res.body, a.res.headers['set-cookie']]);
    expect(bodies[0]).toEqual([401, expect.stringContaining('wrong email or password'), undefined]);
    // sso@ sent an empty password: refused by the schema (400) before any look-up.
    expect(bodies.slice(1, 3)).toEqual([bodies[0], bodies[0]]);
    expect(bodies[3]![0]).toBe(400);
    expect((await login('sso@x.io', 'anything at all')).res.body).toBe(bodies[0]![1]);
    const reasons = (await h.store.listAudit({ action: 'login-failure' })).map((e) => e.details.reason);
    // An account without a password (OIDC only) counts as a wrong password like any other.
    expect(reasons.sort()).toEqual(['disabled', 'unknown account', 'wrong password', 'wrong password']);
  });

  it('locks an account after max_failures wrong passwords: 429 with Retry-After, right password or not, until lock_for has passed', async () => {
    h = await authHarness();
    await h.addAccount('ana@x.io', 'analyst', PW);
    expect((await login('ana@x.io', 'guess number 1')).res.statusCode).toBe(401);
    expect((await login('ana@x.io', 'guess number 2')).res.statusCode).toBe(401);
    const third = (await login('ana@x.io', 'guess number 3')).res;
    expect([third.statusCode, third.headers['retry-after'], third.json().error.code]).toEqual([429, '900', 'RATE_LIMITED']);
    h.advance(5 * MIN);
    const wrong = (await login('ana@x.io', 'guess number 4')).res;
    const right = (await login('ana@x.io', PW)).res;
    expect([right.statusCode, right.headers['retry-after'], right.headers['set-cookie']]).toEqual([429, '600', undefined]);
    expect(right.body).toBe(wrong.body);
    h.advance(10 * MIN);
    // The lock has run out: a wrong password counts anew (401), it does not lock again at once.
    expect((await login('ana@x.io', 'guess number 5')).res.statusCode).toBe(401);
    expect((await login('ana@x.io', PW)).res.statusCode).toBe(200);
    expect((await h.store.getAccount('ana@x.io'))?.failedLogins).toBe(0);
    const log = (await h.store.listAudit()).reverse().map((e) => [e.actor, e.action, e.details.reason ?? null]);
    expect(log).toEqual([
      ['web:ana@x.io', 'login-failure', 'wrong password'],
      ['web:ana@x.io', 'login-failure', 'wrong password'],
      ['web:ana@x.io', 'login-failure', 'wrong password'],
      ['saaswatch:lockout', 'account-lockout', null],
      ['web:ana@x.io', 'login-failure', 'locked'],
      ['web:ana@x.io', 'login-failure', 'locked'],
      ['web:ana@x.io', 'login-failure', 'wrong password'],
      ['web:ana@x.io', 'login', null],
    ]);
  });

  it('checks no more than max_failures of many wrong passwords sent at once, and then refuses the right one while locked', async () => {
    h = await authHarness({ auth: { login_rate_limit: { max: 1000, window: '1m' } } });
    await h.addAccount('ana@x.io', 'analyst', PW);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login('ana@x.io', `parallel guess ${i}`)));
    const statuses = answers.map((a) => a.res.statusCode).sort();
    expect(statuses.filter((s) => s === 401).length).toBe(2);
    expect(statuses.filter((s) => s === 429).length).toBe(28);
    expect((await h.store.listAudit({ action: 'login-failure' })).filter((e) => e.details.reason === 'wrong password').length).toBe(3);
    expect((await h.store.listAudit({ action: 'account-lockout' })).length).toBe(1);
    expect((await login('ana@x.io', PW)).res.statusCode).toBe(429);
  });

  it('locks unknown and disabled addresses after as many tries as a real account, so the lockout does not tell which addresses have accounts', async () => {
    h = await authHarness({ auth: { login_rate_limit: { max: 1000, window: '1m' } } });
    await h.addAccount('ana@x.io', 'analyst', PW);
    await h.addAccount('dis@x.io', 'analyst', PW);
    await h.store.updateAccount('dis@x.io', { disabled: true });
    const tries = async (email: string) => {
      const out: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        const { res } = await login(email, `wrong guess ${i}`);
        out.push([res.statusCode, res.headers['retry-after'] ?? null, res.body]);
      }
      return out;
    };
    const known = await tries('ana@x.io');
    expect(known.map((a) => (a as unknown[])[0])).toEqual([401, 401, 429, 429, 429]);
    expect(await tries('Nobody@x.io')).toEqual(known);
    expect(await tries('dis@x.io')).toEqual(known);
    h.advance(15 * MIN);
    expect((await login('nobody@x.io', 'wrong again')).res.statusCode).toBe(401);
  });

  it('rate-limits logins per client address (login_rate_limit)', async () => {
    h = await authHarness({ auth: { login_rate_limit: { max: 2, window: '1m' } } });
    await h.addAccount('ana@x.io', 'analyst', PW);
    await login('ana@x.io', 'wrong password 1');
    await login('nobody@x.io', 'wrong password 2');
    const third = (await login('ana@x.io', PW)).res;
    expect([third.statusCode, third.json().error.code, Number(third.headers['retry-after'])]).toEqual([429, 'RATE_LIMITED', expect.any(Number)]);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is counted on its own.
    const other = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'ana@x.io', password: PW }, remoteAddress: '10.9.9.9' });
    expect(other.statusCode).toBe(200);
  });

  it('says how one may log in, without credentials', async () => {
    h = await authHarness();
    expect((await h.app.inject({ method: 'GET', url: '/api/auth/methods' })).json()).toEqual({ password: true, oidc: null });
  });
});

describe('sessions', () => {
  it('keeps a session in steady use alive under a short session_idle: its last use is stamped at least every half of it', async () => {
    h = await authHarness({ auth: { session_idle: '1m' } });
    await h.addAccount('ana@x.io', 'viewer', PW);
    const { cookie } = await login('ana@x.io');
    for (let i = 0; i < 8; i++) {
      h.advance(40_000);
      expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode).toBe(200);
    }
    h.advance(60_000);
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('refuses a state change with the cookie but without the CSRF token, or a wrong one, and takes it with the right one', async () => {
    h = await authHarness();
    await h.addAccount('ana@x.io', 'analyst', PW);
    const { cookie, csrf } = await login('ana@x.io');
    const post = (headers: Record<string, string>) => h.app.inject({ method: 'POST', url: '/api/probe', headers: { cookie, ...headers } });
    const none = await post({});
    expect([none.statusCode, none.json().error.code, none.json().error.message]).toEqual([403, 'FORBIDDEN', expect.stringContaining('X-CSRF-Token')]);
    expect((await post({ 'x-csrf-token': `${csrf.slice(0, -1)}x` })).statusCode).toBe(403);
    expect((await post({ 'x-csrf-token': '' })).statusCode).toBe(403);
    const ok = await post({ 'x-csrf-token': csrf });
    expect([ok.statusCode, ok.json()]).toEqual([200, { by: 'web:ana@x.io' }]);
    // Reads need no token.
    expect((await h.app.inject({ method: 'GET', url: '/api/probe', headers: { cookie } })).statusCode).toBe(200);
    // Another session's token is not this one's.
    const other = await login('ana@x.io');
    expect((await post({ 'x-csrf-token': other.csrf })).statusCode).toBe(403);
  });

  it('ends a session idle for session_idle, and any session at session_max, however active', async () => {
    h = await authHarness({ auth: { session_idle: '30m', session_max: '2h' } });
    await h.addAccount('ana@x.io', 'viewer', PW);
    const me = (cookie: string) => h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    const idle = (await login('ana@x.io')).cookie;
    h.advance(29 * MIN);
    expect((await me(idle)).statusCode).toBe(200);
    h.advance(29 * MIN); // 29 minutes since the last use, not since login
    expect((await me(idle)).statusCode).toBe(200);
    h.advance(30 * MIN);
    const expired = await me(idle);
    expect([expired.statusCode, expired.json().error.message]).toEqual([401, expect.stringContaining('expired')]);
    expect((await me(idle)).json().error.message).not.toContain('expired'); // it was ended, not kept

    const busy = (await login('ana@x.io')).cookie;
    for (let i = 0; i < 7; i++) {
      h.advance(15 * MIN);
      expect((await me(busy)).statusCode, `after ${(i + 1) * 15} min`).toBe(200);
    }
    h.advance(15 * MIN);
    expect((await me(busy)).statusCode).toBe(401);
  });

  it('logs out: 204, the cookie cleared and the session ended', async () => {
    h = await authHarness();
    await h.addAccount('ana@x.io', 'viewer', PW);
    const { cookie, csrf } = await login('ana@x.io');
    expect((await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } })).statusCode).toBe(403);
    const out = await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^saaswatch_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict$/);
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await h.store.listAudit({ action: 'logout' }))[0]).toMatchObject({ actor: 'web:ana@x.io' });
  });

  it('answers nothing to a forged cookie', async () => {
    h = await authHarness();
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: 'saaswatch_session=forged' } })).statusCode).toBe(401);
  });
});

describe('API tokens', () => {
  it('authenticate with Bearer and need no CSRF token; last use is stamped at most once a minute', async () => {
    h = await authHarness();
    await h.addAccount('ana@x.io', 'analyst', PW);
    const { token, record } = await issueToken(h.store, { email: 'ana@x.io', name: 'ci', now: h.now() }, 'cli:root');
    expect(token).toMatch(/^sw_[\w-]{43}$/);
    const post = () => h.app.inject({ method: 'POST', url: '/api/probe', headers: { authorization: `Bearer ${token}` } });
    expect((await post()).json()).toEqual({ by: 'api:ana@x.io' });
    const used = async () => (await h.store.listTokens())[0]!.lastUsedAt;
    expect(await used()).toBe('2026-03-02T09:00:00.000Z');
    h.advance(59_000);
    await post();
    expect(await used()).toBe('2026-03-02T09:00:00.000Z');
    h.advance(1_000);
    await post();
    expect(await used()).toBe('2026-03-02T09:01:00.000Z');
    expect(record.id).toMatch(/^tok_/);
    // A token is not a session: there is no CSRF token to hand out.
    expect((await h.app.inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });

  it('refuses a revoked token, an expired one, an unknown one, and one of a disabled account: 401', async () => {
    h = await authHarness();
    await h.addAccount('ana@x.io', 'analyst', PW);
    await h.addAccount('bob@x.io', 'analyst', PW);
    const get = (token: string) => h.app.inject({ method: 'GET', url: '/api/probe', headers: { authorization: `Bearer ${token}` } });
    const revoked = await issueToken(h.store, { email: 'ana@x.io', name: 'a', now: h.now() }, 'cli:root');
    const expiring = await issueToken(h.store, { email: 'ana@x.io', name: 'b', now: h.now(), expiresDays: 1 }, 'cli:root');
    const bobs = await issueToken(h.store, { email: 'bob@x.io', name: 'c', now: h.now() }, 'cli:root');
    expect((await Promise.all([revoked, expiring, bobs].map((t) => get(t.token)))).map((r) => r.statusCode)).toEqual([200, 200, 200]);
    await h.store.revokeToken(revoked.record.id);
    await h.store.updateAccount('bob@x.io', { disabled: true });
    h.advance(86_400_000);
    expect((await Promise.all([revoked, expiring, bobs].map((t) => get(t.token)))).map((r) => r.statusCode)).toEqual([401, 401, 401]);
    expect((await get('sw_unknown')).statusCode).toBe(401);
    expect((await get('not-even-ours')).statusCode).toBe(401);
  });

  it('lets a wrong Bearer token fail even beside a valid session cookie', async () => {
    h = await authHarness();
    await h.addAccount('ana@x.io', 'analyst', PW);
    const { cookie } = await login('ana@x.io');
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie, authorization: 'Bearer sw_nope' } })).statusCode).toBe(401);
  });
});

describe('roles in practice', () => {
  it('a viewer cannot POST an analyst route; an analyst cannot manage accounts; an admin can', async () => {
    h = await authHarness();
    await h.addAccount('vera@x.io', 'viewer', PW);
    await h.addAccount('ana@x.io', 'analyst', PW);
    await h.addAccount('root@x.io', 'admin', PW);
    const as = async (email: string) => {
      const { cookie, csrf } = await login(email);
      return (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
        h.app.inject({ method, url, headers: { cookie, 'x-csrf-token': csrf }, ...(payload ? { payload } : {}) });
    };
    const vera = await as('vera@x.io');
    const ana = await as('ana@x.io');
    const root = await as('root@x.io');
    expect((await vera('POST', '/api/probe')).statusCode).toBe(403);
    expect((await vera('GET', '/api/probe')).statusCode).toBe(200);
    expect((await ana('POST', '/api/probe')).statusCode).toBe(200);
    expect((await ana('GET', '/api/accounts')).statusCode).toBe(403);
    expect((await ana('POST', '/api/accounts', { email: 'x@x.io', role: 'admin' })).statusCode).toBe(403);
    expect((await ana('POST', '/api/tokens', { name: 'mine' })).statusCode).toBe(403);

    const list = await root('GET', '/api/accounts');
    expect(list.json().items.map((a: { email: string }) => a.email)).toEqual(['ana@x.io', 'root@x.io', 'vera@x.io']);
    expect(list.json().items[0]).toEqual({ email: 'ana@x.io', role: 'analyst', disabled: false, created_at: '2026-03-02T09:00:00.000Z', last_login_at: '2026-03-02T09:00:00.000Z' });
  });

  it('keeps an enabled admin when the only two demote each other at once: one change passes, the other is 409', async () => {
    h = await authHarness();
    await h.addAccount('a@x.io', 'admin', PW);
    await h.addAccount('b@x.io', 'admin', PW);
    const tokenOf = async (email: string) => (await issueToken(h.store, { email, name: 'cli', now: h.now() }, 'cli:root')).token;
    const [ta, tb] = [await tokenOf('a@x.io'), await tokenOf('b@x.io')];
    const patch = (token: string, email: string, payload: object) =>
      h.app.inject({ method: 'PATCH', url: `/api/accounts/${email}`, headers: { authorization: `Bearer ${token}` }, payload });
    // Each token used once first, so neither request stops to stamp its last use.
    for (const t of [ta, tb]) expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${t}` } })).statusCode).toBe(200);
    const answers = await Promise.all([patch(ta, 'b@x.io', { role: 'viewer' }), patch(tb, 'a@x.io', { disabled: true })]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect((await h.store.listAccounts()).filter((x) => x.role === 'admin' && !x.disabled)).toHaveLength(1);
  });

  it('an admin adds, changes, disables and removes accounts, each change ending the account\'s sessions and audited', async () => {
    h = await authHarness();
    await h.addAccount('root@x.io', 'admin', PW);
    const { cookie, csrf } = await login('root@x.io');
    const root = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      h.app.inject({ method, url, headers: { cookie, 'x-csrf-token': csrf }, ...(payload ? { payload } : {}) });

    const added = await root('POST', '/api/accounts', { email: 'New@x.io', role: 'viewer' });
    expect(added.statusCode).toBe(201);
    const generated = added.json().password as string;
    expect(generated).toMatch(/^[\w-]{24}$/);
    expect(added.json().account).toMatchObject({ email: 'new@x.io', role: 'viewer', last_login_at: null });
    expect((await root('POST', '/api/accounts', { email: 'new@x.io', role: 'admin', password: 'long enough passphrase' })).statusCode).toBe(409);
    const short = await root('POST', '/api/accounts', { email: 'b@x.io', role: 'admin', password: 'short' });
    expect([short.statusCode, short.json().error.field]).toEqual([400, 'body.password']);
    expect((await root('POST', '/api/accounts', { email: 'b@x.io', role: 'boss' })).json().error.field).toBe('body.role');

    const theirs = await login('new@x.io', generated);
    expect(theirs.res.statusCode).toBe(200);
    expect((await root('PATCH', '/api/accounts/new@x.io', {})).json().error).toMatchObject({ code: 'INPUT_MALFORMED', message: 'body: expected role, disabled or both' });
    const promoted = await root('PATCH', '/api/accounts/new@x.io', { role: 'analyst' });
    expect(promoted.json()).toMatchObject({ email: 'new@x.io', role: 'analyst' });
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: theirs.cookie } })).statusCode).toBe(401);

    const token = await root('POST', '/api/tokens', { name: 'siem', email: 'new@x.io', expires_days: 30 });
    expect(token.statusCode).toBe(201);
    const { token: secret, id } = token.json() as { token: string; id: string };
    const bearer = () => h.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${secret}` } });
    expect((await bearer()).json()).toMatchObject({ email: 'new@x.io', role: 'analyst', via: 'token' });
    const tokens = (await root('GET', '/api/tokens')).json();
    expect(tokens).toEqual({ items: [{ id, name: 'siem', email: 'new@x.io', created_at: '2026-03-02T09:00:00.000Z', last_used_at: '2026-03-02T09:00:00.000Z', expires_at: '2026-04-01T09:00:00.000Z' }] });
    expect(JSON.stringify(tokens)).not.toContain(secret);

    expect((await root('PATCH', '/api/accounts/new@x.io', { disabled: true })).json()).toMatchObject({ disabled: true });
    expect((await bearer()).statusCode).toBe(401);
    expect((await login('new@x.io', generated)).res.statusCode).toBe(401);
    expect((await root('PATCH', '/api/accounts/new@x.io', { disabled: false })).statusCode).toBe(200);
    expect((await bearer()).statusCode).toBe(200);
    expect((await root('DELETE', `/api/tokens/${id}`)).statusCode).toBe(204);
    expect((await root('DELETE', `/api/tokens/${id}`)).statusCode).toBe(404);
    expect((await bearer()).statusCode).toBe(401);

    // The last enabled admin stays one.
    expect((await root('PATCH', '/api/accounts/root@x.io', { role: 'viewer' })).statusCode).toBe(409);
    expect((await root('DELETE', '/api/accounts/root@x.io')).statusCode).toBe(409);
    expect((await root('DELETE', '/api/accounts/new@x.io')).statusCode).toBe(204);
    expect((await root('DELETE', '/api/accounts/new@x.io')).statusCode).toBe(404);
    expect((await root('PATCH', '/api/accounts/new@x.io', { role: 'admin' })).statusCode).toBe(404);

    const audit = (await h.store.listAudit()).reverse().filter((e) => e.actor === 'web:root@x.io').map((e) => e.action);
    expect(audit).toEqual(['login', 'account-add', 'account-change', 'token-create', 'account-change', 'account-change', 'token-revoke', 'account-remove']);
    const everything = JSON.stringify(await h.store.listAudit());
    expect(everything).not.toContain(generated);
    expect(everything).not.toContain(secret);
  });
});

describe('what is logged', () => {
  it('never a password, a token, a cookie or a CSRF token', async () => {
    h = await authHarness({ auth: { login_rate_limit: { max: 3, window: '1m' } } });
    await h.addAccount('ana@x.io', 'admin', PW);
    const { cookie, csrf } = await login('ana@x.io');
    const made = await h.app.inject({ method: 'POST', url: '/api/tokens', headers: { cookie, 'x-csrf-token': csrf }, payload: { name: 'x' } });
    const token = made.json().token as string;
    await h.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    await h.app.inject({ method: 'POST', url: '/api/probe', headers: { cookie, 'x-csrf-token': 'wrong-csrf-value' } });
    await login('ana@x.io', 'a wrong password');
    await login('ana@x.io', 'another wrong one');
    const text = h.logs.join('');
    expect(text).toContain('Logged in.');
    expect(text).toContain('"reason":"wrong password"');
    for (const secret of [PW, 'a wrong password', 'another wrong one', token, cookie.split('=')[1]!, csrf, 'wrong-csrf-value']) expect(text).not.toContain(secret);
  });
});

describe('the OpenAPI document', () => {
  it('lists the auth and admin routes, login and methods without security', async () => {
    h = await authHarness();
    await h.addAccount('ana@x.io', 'viewer', PW);
    const { token } = await issueToken(h.store, { email: 'ana@x.io', name: 'doc', now: h.now() }, 'cli:root');
    const doc = (await h.app.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: `Bearer ${token}` } })).json();
    expect(Object.keys(doc.paths).filter((p: string) => /auth|accounts|tokens/.test(p)).sort()).toEqual([
      '/api/accounts', '/api/accounts/{email}', '/api/auth/login', '/api/auth/logout', '/api/auth/methods', '/api/auth/session', '/api/tokens', '/api/tokens/{id}',
    ]);
    expect(doc.paths['/api/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/api/accounts/{email}'].patch.requestBody.content['application/json'].schema.properties.role.enum).toEqual(['viewer', 'analyst', 'admin']);
  });
});
