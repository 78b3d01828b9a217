/**
 * The one HTTP server of a saaswatch process (Fastify): the sources' webhook routes, `/healthz`, and,
 * when a store is given, the JSON API and whatever the caller mounts beside it (auth routes, the dashboard).
 */
import { createServer as createHttpServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { WebhookRequest, WebhookResponse, WebhookRoute } from '../core/webhook.js';
import type { Logger } from '../log.js';
import { errors } from '../core/errors.js';
import type { ApiApp, ApiContext, RouteModule } from './context.js';
import { errorBody } from './errors.js';
import { createBaseApp, createHttpApp, type HttpAppOptions } from './http.js';
import { ROUTES } from './routes/index.js';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const HEALTH_PATH = '/healthz';

/** The JSON API's part of the server: it needs a store (ctx) and a way to tell who is asking. */
export interface ApiMount {
  ctx: ApiContext;
  authenticate: HttpAppOptions['authenticate'];
  /** The API's route modules; default: every module in routes/index.ts. */
  routes?: readonly RouteModule[];
  /** More modules beside them (the auth routes), under the same role check. */
  extraRoutes?: readonly RouteModule[];
}

/** Mounts something on the app once every route is in (the dashboard's static files). */
export type ServerPlugin = (app: ApiApp) => Promise<void>;

export interface ApiServerOptions {
  host: string;
  port: number;
  /** The sources' webhook routes: public, each verifying its own signature over the raw body. */
  routes: WebhookRoute[];
  logger: Logger;
  /** Serve the JSON API too; without it only the webhooks and the health check answer. */
  api?: ApiMount;
  plugins?: readonly ServerPlugin[];
  /** PEM certificate (chain) and key: serve HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Behind a reverse proxy: trust its X-Forwarded-For / -Proto (true, or the proxy's addresses / CIDRs). */
  trustProxy?: boolean | string | string[];
  /** Time allowed to receive the request headers (slowloris protection). Default 10 s. */
  headersTimeoutMs?: number;
  /** Time allowed to receive the whole request. Default 30 s. */
  requestTimeoutMs?: number;
  /** How long close() waits for in-flight requests before cutting connections. Default 5 s. */
  closeGraceMs?: number;
}

export interface ApiServer {
  url: string;
  port: number;
  app: ApiApp;
  close(): Promise<void>;
}

/** Statuses that mean "we refused this request": worth a warning, since they may be probing or forgery. */
const REJECTED = new Set([400, 401, 403, 404, 405, 408, 413, 415, 429]);

/** Methods a webhook path answers 405 to when no route takes them (Fastify alone would say 404). */
const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const table = buildRouteTable(opts.routes);
  const log = opts.logger;
  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const nodeOptions: ServerOptions = {
    headersTimeout,
    requestTimeout,
    // Node only enforces the two timeouts on this tick; the default (30 s) would let short
    // timeouts overrun by far.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
    keepAliveTimeout: 5_000,
  };
  const tls = opts.tls;
  const server: NonNullable<HttpAppOptions['server']> = {
    // Our own node server: Fastify's factory sets neither the headers timeout nor the check interval.
    // An https.Server is typed apart from http.Server but Fastify drives both alike.
    serverFactory: ((handler: RequestListener) =>
      tls ? (createHttpsServer({ ...nodeOptions, cert: tls.cert, key: tls.key }, handler) as unknown as Server) : createHttpServer(nodeOptions, handler)) as FastifyServerOptions['serverFactory'],
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => {
      // Malformed requests and timeouts end here; answer what can still be answered, never echo input.
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      log.warn({ status, code: err.code, remoteAddress: socket.remoteAddress }, 'http client error');
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      else socket.destroy();
    },
  };
  const trust = opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {};
  const api = opts.api;
  const app = api
    ? await createHttpApp({ ctx: api.ctx, authenticate: api.authenticate, routes: [...(api.routes ?? ROUTES), ...(api.extraRoutes ?? [])], server, ...trust })
    : await createBaseApp({ logger: log, server, ...trust });

  /** Each webhook request's Content-Type as sent (see the webhook scope's onRequest hook). */
  const sentContentType = new WeakMap<FastifyRequest, string>();
  let shuttingDown = false;
  app.addHook('onSend', async (_req, reply) => {
    // A refused upload is left unread: closing the connection is what stops it, rather than reading it to the end.
    // While closing, the last answers on a keep-alive connection end it, rather than leaving close() waiting out its idle timeout.
    if (reply.statusCode === 413 || shuttingDown) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    // Path only: a query may carry a token. 5xx are logged where they happen, with the error.
    const entry = { method: req.method, path: pathOf(req.url), remoteAddress: req.ip, status: reply.statusCode };
    if (REJECTED.has(reply.statusCode)) log.warn(entry, 'http request rejected');
    else if (reply.statusCode < 500) log.debug(entry, 'http request');
  });

  app.get(HEALTH_PATH, { config: { role: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.header('content-type', 'application/json').header('cache-control', 'no-store').send('{"status":"ok"}'),
  );
  await app.register(async (scope) => {
    // Signatures are computed over the bytes as sent, so webhooks get the body raw, whatever its type;
    // the JSON API outside this scope keeps Fastify's JSON parser.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    // Fastify refuses a Content-Type it cannot parse (415) before any parser runs; a webhook never
    // reads it to parse the body, so the sender's header is set aside and handed back to the handler.
    scope.addHook('onRequest', async (req) => {
      const sent = req.headers['content-type'];
      if (sent === undefined) return;
      sentContentType.set(req, sent);
      req.headers['content-type'] = 'application/octet-stream';
    });
    for (const [path, byMethod] of table) {
      for (const route of byMethod.values()) {
        const limit = route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
        scope.route({
          method: route.method,
          url: path,
          exposeHeadRoute: false,
          // Fastify refuses a limit of 0; the handler enforces the exact one.
          bodyLimit: Math.max(1, limit),
          config: { role: 'public' },
          schema: { hide: true },
          handler: (req, reply) => handleWebhook(route, limit, req, reply),
        });
      }
      const others = METHODS.filter((m) => !byMethod.has(m as WebhookRoute['method']));
      const allow = [...byMethod.keys()].sort().join(', ');
      scope.route({
        method: others,
        url: path,
        config: { role: 'public' },
        schema: { hide: true },
        handler: async (req, reply) => reply.status(405).header('allow', allow).send(errorBody('INPUT_MALFORMED', `method ${req.method} is not allowed on ${path} (allowed: ${allow})`)),
      });
    }
  });
  for (const plugin of opts.plugins ?? []) await plugin(app);

  async function handleWebhook(route: WebhookRoute, limit: number, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const meta = { method: req.method, path: route.path, remoteAddress: req.ip };
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (body.length > limit) return reply.status(413).send(errorBody('INPUT_TOO_LARGE', 'request body is over the limit'));
    const request: WebhookRequest = {
      method: req.method,
      path: route.path,
      query: new URLSearchParams(queryOf(req.url)),
      headers: flattenHeaders(sentContentType.has(req) ? { ...req.headers, 'content-type': sentContentType.get(req) } : req.headers),
      body,
      remoteAddress: req.ip,
    };
    let response: WebhookResponse;
    try {
      response = await route.handle(request);
      if (!Number.isInteger(response.status) || response.status < 100 || response.status > 599) {
        throw errors.internal({ problem: `webhook handler returned invalid status ${String(response.status)}` });
      }
    } catch (err) {
      // The error text may carry internals (paths, SQL, secrets in URLs): it goes to the log only.
      log.error({ err, ...meta }, 'webhook handler failed');
      return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
    }
    const text = response.body ?? '';
    reply.status(response.status).header('cache-control', 'no-store');
    if (text.length > 0) reply.header('content-type', 'text/plain; charset=utf-8');
    // The handler's own headers win (e.g. the Dropbox challenge sets its own content type).
    for (const [k, v] of Object.entries(response.headers ?? {})) reply.header(k, v);
    return reply.send(text);
  }

  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw errors.configInvalid({ path: 'server', problem: `cannot listen on ${opts.host}:${opts.port} (${code})`, fix: 'stop what holds the port, or choose another server.port (0 picks a free one) or server.host', cause: err });
    }
    throw err;
  }
  const address = app.server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${hostForUrl}:${address.port}`;
  log.debug({ host: address.address, port: address.port, tls: tls !== undefined, api: api !== undefined, webhooks: opts.routes.length }, 'http server listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    app,
    close() {
      shuttingDown = true;
      closing ??= (async () => {
        // Fastify closes idle keep-alive sockets and lets in-flight requests finish; these get the grace period.
        const timer = setTimeout(() => app.server.closeAllConnections(), opts.closeGraceMs ?? 5_000);
        timer.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(timer);
        }
      })();
      return closing;
    },
  };
}

/** path → method → route; refuses duplicates so two sources can never silently shadow each other. */
function buildRouteTable(routes: WebhookRoute[]): Map<string, Map<string, WebhookRoute>> {
  const table = new Map<string, Map<string, WebhookRoute>>();
  for (const route of routes) {
    if (!route.path.startsWith('/') || route.path.includes('?')) {
      throw errors.internal({ problem: `webhook route path must start with "/" and have no query: ${route.path}` });
    }
    if (route.path === HEALTH_PATH || route.path === '/api' || route.path.startsWith('/api/')) {
      throw errors.configInvalid({ path: `webhook route ${route.path}`, problem: 'the path is reserved for the health check and the API', fix: 'choose another path' });
    }
    if (route.maxBodyBytes !== undefined && !(Number.isInteger(route.maxBodyBytes) && route.maxBodyBytes >= 0)) {
      throw errors.internal({ problem: `webhook route ${route.method} ${route.path}: maxBodyBytes must be a non-negative integer` });
    }
    let byMethod = table.get(route.path);
    if (!byMethod) table.set(route.path, (byMethod = new Map()));
    if (byMethod.has(route.method)) throw errors.configInvalid({ path: 'webhook routes', problem: `duplicate webhook route ${route.method} ${route.path}: two sources listen on it`, fix: 'give each source its own webhook path' });
    byMethod.set(route.method, route);
  }
  return table;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function queryOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? '' : url.slice(q + 1);
}

function flattenHeaders(h: FastifyRequest['headers']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) {
    // Node already lower-cases names; repeated headers arrive as arrays and are joined as RFC 9110 allows.
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
