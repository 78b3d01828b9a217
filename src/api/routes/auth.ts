/** Logging in and out: password logins (rate-limited per address, locked per account), the session for a page reload, OIDC, and what the login page offers. */
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../core/errors.js';
import { cookieLine, readCookie } from '../auth/cookies.js';
import type { AuthService } from '../auth/service.js';
import type { OidcLogin } from '../auth/oidc.js';
import { OIDC_PENDING_MS } from '../auth/oidc.js';
import { actorOfPrincipal, ROLES, type RouteModule } from '../context.js';

const OIDC_COOKIE = 'saaswatch_oidc';
const OIDC_PATH = '/api/auth/oidc';

export const userSchema = z.object({ email: z.string(), role: z.enum(ROLES) });
export const sessionSchema = z.object({ csrf_token: z.string(), user: userSchema });

export function authRoutes(auth: AuthService, oidc: OidcLogin | undefined): RouteModule {
  return async (app) => {
    // Its own scope, so the rate limiter (global: false) counts only the routes that ask for it.
    await app.register(async (plain) => {
      const scope = plain.withTypeProvider<ZodTypeProvider>();
      await scope.register(rateLimit, { global: false });
      scope.post('/api/auth/login', {
        config: { role: 'public', rateLimit: { max: auth.config.login_rate_limit.max, timeWindow: auth.config.login_rate_limit.window } },
        schema: {
          tags: ['auth'],
          summary: 'Log in with a password: sets the session cookie, answers the CSRF token for state changes',
          security: [],
          body: z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) }),
          response: { 200: sessionSchema },
        },
        handler: async (req, reply) => {
          reply.header('cache-control', 'no-store');
          const account = await auth.checkLogin(req.body.email, req.body.password, req.ip);
          const csrf = await auth.startSession(account, req, reply);
          await auth.recorded(account.email, 'password', req.ip);
          return { csrf_token: csrf, user: { email: account.email, role: account.role } };
        },
      });
    });

    app.get('/api/auth/session', {
      config: { role: 'viewer' },
      schema: { tags: ['auth'], summary: 'The logged-in session: who, and its CSRF token (after a page reload)', response: { 200: sessionSchema } },
      handler: async (req, reply) => {
        reply.header('cache-control', 'no-store');
        const session = auth.sessionOf(req);
        if (!session) throw errors.unauthenticated({ problem: 'no session: this request used an API token', fix: 'log in with POST /api/auth/login' });
        return { csrf_token: session.csrfToken, user: { email: req.principal!.email, role: req.principal!.role } };
      },
    });

    app.post('/api/auth/logout', {
      config: { role: 'viewer' },
      schema: { tags: ['auth'], summary: 'End this session and clear its cookie' },
      handler: async (req, reply) => {
        await auth.logout(req, reply, actorOfPrincipal(req.principal!));
        return reply.status(204).send();
      },
    });

    app.get('/api/auth/methods', {
      config: { role: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'How one may log in here (for the login page)',
        security: [],
        response: { 200: z.object({ password: z.boolean(), oidc: z.object({ name: z.string() }).nullable() }) },
      },
      handler: async () => ({ password: true, oidc: oidc ? { name: oidc.name } : null }),
    });

    if (!oidc) return;
    const oidcCookie = (req: FastifyRequest, value: string, maxAgeMs: number) =>
      // Lax, not Strict: the browser comes back from the issuer by a cross-site redirect, which a Strict cookie would not follow.
      cookieLine(OIDC_COOKIE, value, { path: OIDC_PATH, sameSite: 'Lax', secure: auth.secureFor(req), maxAgeMs });

    app.get(OIDC_PATH, {
      config: { role: 'public' },
      schema: { tags: ['auth'], summary: 'Start an OIDC login: redirects to the issuer', security: [] },
      handler: async (req, reply) => {
        const { url, key } = await oidc.begin();
        return reply.header('set-cookie', oidcCookie(req, key, OIDC_PENDING_MS)).redirect(url, 302);
      },
    });

    app.get(`${OIDC_PATH}/callback`, {
      config: { role: 'public' },
      schema: { tags: ['auth'], summary: 'Where the issuer sends the browser back: sets the session, redirects to /', security: [] },
      handler: async (req, reply) => {
        const key = readCookie(req.headers.cookie, OIDC_COOKIE);
        const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
        const { account } = await oidc.finish(key, query).catch((err: unknown) => {
          // The browser gets the short answer; why the issuer's answer was refused is for the operator.
          req.log.warn({ err }, 'OIDC login refused.');
          throw err;
        });
        await auth.startSession(account, req, reply);
        await auth.recorded(account.email, 'oidc', req.ip);
        // Fastify adds Set-Cookie lines rather than replacing them: the session's stays, the spent attempt's is cleared.
        reply.header('set-cookie', oidcCookie(req, '', 0));
        return reply.redirect('/', 302);
      },
    });
  };
}
