/**
 * A STAND-IN for the auth helper's work (session login, CSRF, accounts and tokens), so the dashboard's
 * browser test runs before it is merged. TEMPORARY: at merge the lead swaps in the real `authenticate`
 * and auth routes in test/dashboard.e2e.test.ts and deletes this file. It keeps API.md's shapes: the
 * login answers `{csrf_token, user}` and sets an HttpOnly SameSite=Strict cookie; a state change with
 * the cookie must send X-CSRF-Token.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal, Role, RouteModule } from '../src/api/context.js';
import { errors } from '../src/core/errors.js';

export interface TestAccount {
  email: string;
  password: string;
  role: Role;
}

export function testAuth(accounts: TestAccount[], now: () => number) {
  const sessions = new Map<string, { email: string; role: Role; csrf: string }>();
  const tokens: Array<{ id: string; name: string; email: string; created_at: string; last_used_at: null; expires_at: string | null }> = [];
  const sessionOf = (req: FastifyRequest) => {
    const m = /(?:^|;\s*)saaswatch_session=([^;]+)/.exec(req.headers.cookie ?? '');
    return m ? sessions.get(m[1]!) : undefined;
  };

  const authenticate = async (req: FastifyRequest): Promise<Principal | undefined> => {
    const s = sessionOf(req);
    if (!s) return undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers['x-csrf-token'] !== s.csrf) {
      throw errors.forbidden({ what: `${req.method} ${req.url}`, problem: 'missing or wrong X-CSRF-Token' });
    }
    return { email: s.email, role: s.role, via: 'session' };
  };

  const any = z.record(z.string(), z.any());
  const routes: RouteModule = (app) => {
    app.get('/api/auth/methods', { config: { role: 'public' }, schema: { response: { 200: any } } }, async () => ({ password: true, oidc: null }));
    app.post('/api/auth/login', { config: { role: 'public' }, schema: { body: z.object({ email: z.string(), password: z.string() }), response: { 200: any } } }, async (req, reply) => {
      const a = accounts.find((x) => x.email === req.body.email.toLowerCase() && x.password === req.body.password);
      if (!a) throw errors.unauthenticated({ problem: 'wrong email or password' });
      const sid = randomBytes(24).toString('base64url');
      const csrf = randomBytes(24).toString('base64url');
      sessions.set(sid, { email: a.email, role: a.role, csrf });
      reply.header('set-cookie', `saaswatch_session=${sid}; HttpOnly; SameSite=Strict; Path=/`);
      return { csrf_token: csrf, user: { email: a.email, role: a.role } };
    });
    app.get('/api/auth/session', { config: { role: 'viewer' }, schema: { response: { 200: any } } }, async (req) => {
      const s = sessionOf(req)!;
      return { csrf_token: s.csrf, user: { email: s.email, role: s.role } };
    });
    app.post('/api/auth/logout', { config: { role: 'viewer' } }, async (req, reply) => {
      const m = /(?:^|;\s*)saaswatch_session=([^;]+)/.exec(req.headers.cookie ?? '');
      if (m) sessions.delete(m[1]!);
      return reply.status(204).send();
    });
    app.get('/api/accounts', { config: { role: 'admin' }, schema: { response: { 200: any } } }, async () => ({
      items: accounts.map((a) => ({ email: a.email, role: a.role, disabled: false, created_at: new Date(now()).toISOString(), last_login_at: null })),
    }));
    app.get('/api/tokens', { config: { role: 'admin' }, schema: { response: { 200: any } } }, async () => ({ items: tokens }));
    app.post('/api/tokens', { config: { role: 'admin' }, schema: { body: z.object({ name: z.string(), email: z.string().optional(), expires_days: z.number().optional() }), response: { 200: any } } }, async (req) => {
      const id = String(tokens.length + 1);
      tokens.push({ id, name: req.body.name, email: req.body.email ?? req.principal!.email, created_at: new Date(now()).toISOString(), last_used_at: null, expires_at: null });
      return { id, token: `swt_${randomBytes(18).toString('base64url')}` };
    });
  };
  return { authenticate, routes };
}
