/** Authentication for the HTTP app: `createAuth` gives createHttpApp its `authenticate` and the auth and account route modules. */
import type { FastifyRequest } from 'fastify';
import type { ApiContext, Principal, RouteModule } from '../context.js';
import { accountRoutes } from '../routes/accounts.js';
import { authRoutes } from '../routes/auth.js';
import type { AuthConfig } from './config.js';
import { createOidcLogin } from './oidc.js';
import { createAuthService, type AuthServiceOptions } from './service.js';

export type { AuthConfig } from './config.js';
export { SESSION_COOKIE, CSRF_HEADER } from './service.js';

export interface Auth {
  authenticate(req: FastifyRequest): Promise<Principal | undefined>;
  /** /api/auth/* and the admin's /api/accounts and /api/tokens: add them to createHttpApp's routes. */
  routes: RouteModule[];
}

/** `opts.tls`: the server itself runs TLS, so the session cookie is Secure. */
export function createAuth(ctx: ApiContext, authConfig: AuthConfig, opts: AuthServiceOptions = {}): Auth {
  const service = createAuthService(ctx, authConfig, opts);
  const oidc = authConfig.oidc ? createOidcLogin(authConfig.oidc, ctx.store, ctx.clock) : undefined;
  return { authenticate: service.authenticate, routes: [authRoutes(service, oidc), accountRoutes] };
}
