/** The one HTTP application: the JSON API under /api, its OpenAPI document, and the routes every request passes (auth, errors). */
import fastify, { LogController, type FastifyBaseLogger, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import helmet from '@fastify/helmet';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { errors } from '../core/errors.js';
import { VERSION } from '../version.js';
import { roleAllows, type ApiApp, type ApiContext, type Principal, type RouteModule } from './context.js';
import { errorBody, sendError } from './errors.js';
import { ROUTES } from './routes/index.js';

export const OPENAPI_PATH = '/api/openapi.json';
export const API_DOCS_PATH = '/api/docs';

/** What the bare app needs: no store, no accounts (a `run` serving only webhooks and the health check uses it alone). */
export interface BaseAppOptions {
  logger: Logger;
  /** Behind a reverse proxy: trust its X-Forwarded-For / -Proto (true, or the proxy's addresses / CIDRs). */
  trustProxy?: boolean | string | string[];
  /** How the node server is made (timeouts, TLS) and answers malformed requests: server.ts sets them; tests using inject() need none. */
  server?: Pick<FastifyServerOptions, 'serverFactory' | 'clientErrorHandler'>;
  /** With it, an unknown path under /api answers 401 rather than 404 to a request without credentials. */
  authenticate?: (req: FastifyRequest) => Promise<Principal | undefined>;
}

export interface HttpAppOptions {
  ctx: ApiContext;
  /** Who a request comes from, or undefined when it carries no valid credentials. Throws to refuse outright (expired session: 401 with why). */
  authenticate: (req: FastifyRequest) => Promise<Principal | undefined>;
  /** Route modules; default: every module in routes/index.ts. */
  routes?: readonly RouteModule[];
  /** Behind a reverse proxy: trust its X-Forwarded-For / -Proto (true, or the proxy's addresses / CIDRs). */
  trustProxy?: boolean | string | string[];
  server?: BaseAppOptions['server'];
}

/** Fastify with the zod compilers, the one error body, the fail-closed role check on every route, and helmet's headers. */
export async function createBaseApp(o: BaseAppOptions): Promise<ApiApp> {
  const app = fastify({
    loggerInstance: o.logger.child({ component: 'api' }) as FastifyBaseLogger,
    // server.ts logs each request once, with what is safe to log (no query, no headers).
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: o.trustProxy ?? false,
    ...o.server,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(sendError);
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0]!;
    // Under /api a stranger learns nothing, not even which routes exist.
    if (o.authenticate && (path === '/api' || path.startsWith('/api/')) && !(await o.authenticate(req))) {
      throw errors.unauthenticated({ problem: 'no valid credentials', fix: 'log in, or send Authorization: Bearer <token>' });
    }
    return reply.status(404).send(errorBody('NOT_FOUND', `route ${req.method} ${path} not found`));
  });

  // Fail closed: a route that forgot to say who may call it is a startup error, never an open door.
  app.addHook('onRoute', (route) => {
    if (route.config?.role === undefined && !route.url.startsWith(API_DOCS_PATH)) {
      throw errors.internal({ problem: `route ${String(route.method)} ${route.url} declares no role (config.role)` });
    }
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"], scriptSrc: ["'self'"], connectSrc: ["'self'"], frameAncestors: ["'none'"] },
    },
  });
  return app;
}

export async function createHttpApp(o: HttpAppOptions): Promise<ApiApp> {
  const app = await createBaseApp({ logger: o.ctx.logger, authenticate: o.authenticate, ...(o.trustProxy !== undefined ? { trustProxy: o.trustProxy } : {}), ...(o.server ? { server: o.server } : {}) });
  await app.register(swagger, {
    openapi: {
      info: { title: 'saaswatch API', version: VERSION, description: 'Events, alerts, users, files, blocks and the audit log of a saaswatch store.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token from `saaswatch user token EMAIL`.' },
          session: { type: 'apiKey', in: 'cookie', name: 'saaswatch_session', description: 'From POST /api/auth/login; state changes also send X-CSRF-Token.' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.addHook('onRequest', async (req) => {
    const role = req.routeOptions.config?.role;
    if (role === 'public' || req.routeOptions.url === undefined) return;
    if (role === undefined && !req.url.startsWith(API_DOCS_PATH)) throw errors.internal({ problem: `route ${req.routeOptions.url} declares no role` });
    const principal = await o.authenticate(req);
    if (!principal) throw errors.unauthenticated({ problem: 'no valid credentials', fix: 'log in, or send Authorization: Bearer <token>' });
    req.principal = principal;
    const needs = role ?? 'viewer';
    if (!roleAllows(principal.role, needs)) {
      throw errors.forbidden({ what: `${req.method} ${req.routeOptions.url}`, problem: `needs role ${needs}; you are ${principal.role}` });
    }
  });

  for (const mod of o.routes ?? ROUTES) await mod(app, o.ctx);
  app.get(OPENAPI_PATH, { config: { role: 'viewer' }, schema: { hide: true } }, async () => app.swagger());
  // The reference page needs an account too: the API's shape is not secret, but nothing here answers strangers.
  await app.register(swaggerUi, { routePrefix: API_DOCS_PATH, uiConfig: { docExpansion: 'list' }, staticCSP: true });
  return app;
}
