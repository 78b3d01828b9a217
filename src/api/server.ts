/** The HTTP server that hosts the sources' webhook routes (and a health check) on node:http. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WebhookRequest, WebhookResponse, WebhookRoute } from '../core/webhook.js';
import type { Logger } from '../log.js';
import { errors } from '../core/errors.js';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const HEALTH_PATH = '/healthz';

export interface ApiServerOptions {
  host: string;
  port: number;
  routes: WebhookRoute[];
  logger: Logger;
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
  close(): Promise<void>;
}

/** Statuses that mean "we refused this request": worth a warning, since they may be probing or forgery. */
const REJECTED = new Set([400, 401, 403, 404, 405, 413]);

class BodyTooLarge extends Error {}
class BodyAborted extends Error {}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const table = buildRouteTable(opts.routes);
  const log = opts.logger;
  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;

  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      // Node only enforces the two timeouts on this tick; the default (30 s) would let short
      // timeouts overrun by far.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
      keepAliveTimeout: 5_000,
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        // Only reachable if writing the response itself failed; the socket is already unusable.
        log.error({ err, method: req.method, path: pathOf(req.url) }, 'webhook response failed');
        res.destroy();
      });
    },
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const path = pathOf(rawUrl);
    const remoteAddress = req.socket.remoteAddress;
    const meta = { method, path, remoteAddress };

    if (path === HEALTH_PATH && method === 'GET' && !table.has(HEALTH_PATH)) {
      return send(res, meta, { status: 200, headers: JSON_HEADERS, body: '{"status":"ok"}' }, true);
    }
    const byMethod = table.get(path);
    if (!byMethod) return send(res, meta, jsonError(404, 'not found'), true);
    const route = byMethod.get(method);
    if (!route) {
      const allow = [...byMethod.keys()].sort().join(', ');
      return send(res, meta, jsonError(405, 'method not allowed', { allow }), true);
    }

    let body: Buffer;
    try {
      body = await readBody(req, route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        // Answer now rather than after the upload: the client learns early, and we never hold
        // more than the limit. The connection is closed because the rest of the body is unread.
        return send(res, meta, jsonError(413, 'payload too large', { connection: 'close' }), true);
      }
      return send(res, meta, jsonError(400, 'incomplete request body'), true);
    }

    const request: WebhookRequest = {
      method,
      path,
      query: new URLSearchParams(queryOf(rawUrl)),
      headers: flattenHeaders(req.headers),
      body,
      ...(remoteAddress !== undefined ? { remoteAddress } : {}),
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
      return send(res, meta, jsonError(500, 'internal error'), false);
    }
    return send(res, meta, response, true);
  }

  function send(res: ServerResponse, meta: Record<string, unknown>, r: WebhookResponse, logIt: boolean): void {
    if (res.headersSent || res.destroyed) return;
    const body = r.body ?? '';
    res.statusCode = r.status;
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-store');
    if (body.length > 0) res.setHeader('content-type', 'text/plain; charset=utf-8');
    // The handler's own headers win (e.g. the Dropbox challenge sets its own content type).
    for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
    if (!logIt) return;
    const entry = { ...meta, status: r.status };
    if (REJECTED.has(r.status)) log.warn(entry, 'webhook request rejected');
    else if (r.status >= 500) log.error(entry, 'webhook request failed');
    else log.debug(entry, 'webhook request');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed requests and timeouts end here; answer what can still be answered, never echo input.
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    log.warn({ status, code: err.code, remoteAddress: socket.remoteAddress }, 'webhook client error');
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });

  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info({ host: address.address, port: address.port, routes: opts.routes.length }, 'api server listening');

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => server.closeAllConnections(), opts.closeGraceMs ?? 5_000);
        timer.unref();
        server.close((err) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        server.closeIdleConnections();
      });
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
    if (route.path === HEALTH_PATH) throw errors.configInvalid({ path: `webhook route ${route.path}`, problem: 'the path is reserved for the health check', fix: 'choose another path' });
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

/** Reads at most `max` bytes; rejects with BodyTooLarge as soon as the limit is passed. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const announced = req.headers['content-length'];
  if (announced !== undefined && Number(announced) > max) {
    // Stop the socket from delivering the upload we are about to refuse.
    req.pause();
    return Promise.reject(new BodyTooLarge());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
      req.off('close', onClose);
      // Swallow late socket errors after we decided; an unhandled 'error' would crash the process.
      req.on('error', () => {});
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.pause();
        finish(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => (req.complete ? finish() : finish(new BodyAborted()));
    const onAborted = () => finish(new BodyAborted());
    const onError = () => finish(new BodyAborted());
    // A socket closed mid-body may not say 'aborted' on every Node version; 'close' always comes.
    const onClose = () => finish(req.complete ? undefined : new BodyAborted());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  // Parsed by hand: `new URL('//evil/x', base)` would read the path as a host.
  return q === -1 ? u : u.slice(0, q);
}

function queryOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? '' : url.slice(q + 1);
}

function flattenHeaders(h: IncomingMessage['headers']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) {
    // Node already lower-cases names; repeated headers arrive as arrays and are joined as RFC 9110 allows.
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function jsonError(status: number, message: string, headers: Record<string, string> = {}): WebhookResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify({ error: message }) };
}
