import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { WebhookRequest, WebhookRoute } from '../core/webhook.js';
import { makeTestTls } from '../fakes/smtp/cert.js';
import type { ApiContext, Principal, RouteModule } from './context.js';
import { startApiServer, type ApiServer, type ApiServerOptions, type ServerPlugin } from './server.js';

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function capture() {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => { raw.push(s); lines.push(JSON.parse(s) as LogLine); } });
  return { logger, lines, raw };
}

async function start(routes: WebhookRoute[], extra: Partial<ApiServerOptions> = {}) {
  const log = capture();
  server = await startApiServer({ host: '127.0.0.1', port: 0, routes, logger: log.logger, ...extra });
  return { server, log };
}

/** Records what the handler saw, so tests can assert it did (or did not) run. */
function echoRoute(path: string, method: 'GET' | 'POST' = 'POST', maxBodyBytes?: number) {
  const seen: WebhookRequest[] = [];
  const route: WebhookRoute = {
    method,
    path,
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
    async handle(req) {
      seen.push(req);
      return { status: 202, headers: { 'x-handled': 'yes' }, body: `got ${req.body.length}` };
    },
  };
  return { route, seen };
}

/** The API's one error body of a response. */
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;

const warnings = (lines: LogLine[]) => lines.filter((l) => l.level === 40);

describe('startApiServer routing', () => {
  it('passes method, path, query, lower-cased headers, raw body and remote address to the handler', async () => {
    const echo = echoRoute('/webhooks/test');
    const { server } = await start([echo.route]);
    const body = Buffer.from([0x7b, 0x00, 0xff, 0x7d]);
    const res = await fetch(`${server.url}/webhooks/test?challenge=abc&x=1`, {
      method: 'POST',
      headers: { 'X-Goog-Channel-Token': 'tok', 'Content-Type': 'application/octet-stream' },
      body,
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-handled')).toBe('yes');
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('got 4');
    expect(echo.seen).toHaveLength(1);
    const seen = echo.seen[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/webhooks/test');
    expect(seen.query.get('challenge')).toBe('abc');
    expect(seen.headers['x-goog-channel-token']).toBe('tok');
    expect(seen.headers['X-Goog-Channel-Token']).toBeUndefined();
    expect(seen.body.equals(body)).toBe(true);
    expect(seen.remoteAddress).toMatch(/127\.0\.0\.1$/);
  });

  it('routes the same path by method and answers 405 with Allow for other methods', async () => {
    const post = echoRoute('/webhooks/dropbox', 'POST');
    const get: WebhookRoute = {
      method: 'GET',
      path: '/webhooks/dropbox',
      async handle(req) {
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: req.query.get('challenge') ?? '' };
      },
    };
    const { server, log } = await start([post.route, get]);
    const challenge = await fetch(`${server.url}/webhooks/dropbox?challenge=xyz`);
    expect(challenge.status).toBe(200);
    expect(challenge.headers.get('content-type')).toBe('text/plain');
    expect(challenge.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await challenge.text()).toBe('xyz');

    const put = await fetch(`${server.url}/webhooks/dropbox`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect((await fetch(`${server.url}/webhooks/dropbox`, { method: 'HEAD' })).status).toBe(405);
    expect(post.seen).toHaveLength(0);
    expect(warnings(log.lines)).toEqual([
      expect.objectContaining({ method: 'PUT', path: '/webhooks/dropbox', status: 405, remoteAddress: expect.stringMatching(/127\.0\.0\.1/) }),
      expect.objectContaining({ method: 'HEAD', path: '/webhooks/dropbox', status: 405 }),
    ]);
  });

  it('answers 404 for unknown paths, matches paths exactly, and keeps the query out of the log', async () => {
    const echo = echoRoute('/webhooks/a');
    const { server, log } = await start([echo.route]);
    for (const path of ['/nope?token=s3cr3t-query', '/webhooks/a/', '/webhooks', '//webhooks/a']) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', body: 'payload-s3cr3t' });
      expect(res.status, path).toBe(404);
      expect((await errorOf(res)).code).toBe('NOT_FOUND');
    }
    expect(echo.seen).toHaveLength(0);
    const rejected = warnings(log.lines);
    expect(rejected.map((l) => l.path)).toEqual(['/nope', '/webhooks/a/', '/webhooks', '//webhooks/a']);
    expect(rejected.every((l) => l.status === 404 && l.method === 'POST')).toBe(true);
    expect(log.raw.join('')).not.toContain('s3cr3t');
  });

  it('serves GET /healthz', async () => {
    const { server } = await start([]);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(404);
  });

  it('logs the status a handler chose to refuse with (401) at warn, without body or headers', async () => {
    const route: WebhookRoute = {
      method: 'POST',
      path: '/webhooks/signed',
      async handle() {
        return { status: 401, body: 'bad signature' };
      },
    };
    const { server, log } = await start([route]);
    const res = await fetch(`${server.url}/webhooks/signed`, {
      method: 'POST',
      headers: { 'x-dropbox-signature': 'sig-DEADBEEF', authorization: 'Bearer tok-SECRET' },
      body: 'body-SECRET',
    });
    expect(res.status).toBe(401);
    expect(warnings(log.lines)).toEqual([expect.objectContaining({ status: 401, path: '/webhooks/signed', method: 'POST' })]);
    const text = log.raw.join('');
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain('DEADBEEF');
  });
});

describe('startApiServer bodies', () => {
  it('accepts a body of exactly maxBodyBytes', async () => {
    const echo = echoRoute('/w', 'POST', 1_000);
    const { server } = await start([echo.route]);
    const res = await fetch(`${server.url}/w`, { method: 'POST', body: Buffer.alloc(1_000, 0x61) });
    expect(res.status).toBe(202);
    expect(echo.seen[0]!.body.length).toBe(1_000);
  });

  it('refuses with 413 from Content-Length alone, before any body byte is sent', async () => {
    const echo = echoRoute('/w', 'POST', 1_000);
    const { server, log } = await start([echo.route]);
    // The request is never ended: a 413 can only come from the announced length.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/w`, { method: 'POST', headers: { 'content-length': '5000000' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(status).toBe(413);
    expect(echo.seen).toHaveLength(0);
    expect(warnings(log.lines)).toEqual([expect.objectContaining({ status: 413, path: '/w' })]);
  });

  it('refuses a streamed (chunked) body with 413 as soon as it passes the limit', async () => {
    const echo = echoRoute('/w', 'POST', 1_000);
    const { server } = await start([echo.route]);
    let written = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/w`, { method: 'POST' }, (res) => {
        res.resume();
        clearInterval(timer);
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      // Keeps uploading "forever": only an early answer ends this loop.
      const timer = setInterval(() => {
        req.write(Buffer.alloc(300));
        written += 300;
        if (written > 1_000_000) {
          clearInterval(timer);
          reject(new Error('server kept reading past the limit'));
        }
      }, 5);
    });
    expect(status).toBe(413);
    expect(written).toBeLessThan(100_000);
    expect(echo.seen).toHaveLength(0);
  });

  it('answers 1 MiB + 1 with 413 when the route sets no limit', async () => {
    const echo = echoRoute('/w');
    const { server } = await start([echo.route]);
    const over = await fetch(`${server.url}/w`, { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1) });
    expect(over.status).toBe(413);
    const at = await fetch(`${server.url}/w`, { method: 'POST', body: Buffer.alloc(1024 * 1024) });
    expect(at.status).toBe(202);
    expect(echo.seen).toHaveLength(1);
  });

  it('answers 400 to a body cut short and never calls the handler', async () => {
    const echo = echoRoute('/w');
    const { server, log } = await start([echo.route]);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write('POST /w HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n0123456789');
        setTimeout(() => socket.end(), 30);
      });
      let got = '';
      socket.on('data', (c: Buffer) => (got += c.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(echo.seen).toHaveLength(0);
    expect(warnings(log.lines).some((l) => l.status === 400)).toBe(true);
  });

  it('closes connections that never finish their headers', async () => {
    const { server } = await start([], { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    // Elapsed time on the monotonic clock: the bound says the server closed it, not how long the suite waited.
    const started = performance.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write('POST /w HTTP/1.1\r\nhost: x\r\n'));
      let got = '';
      socket.on('data', (c: Buffer) => (got += c.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('closes a request whose body trickles in past the request timeout, and logs it at warn', async () => {
    const echo = echoRoute('/w');
    const { server, log } = await start([echo.route], { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write('POST /w HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n'));
      // One byte every 50 ms: each arrives well within any idle timeout, the whole never within 400 ms.
      const drip = setInterval(() => socket.writable && socket.write('a'), 50);
      let got = '';
      socket.on('data', (c: Buffer) => (got += c.toString()));
      socket.on('close', () => {
        clearInterval(drip);
        resolve(got);
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(echo.seen).toHaveLength(0);
    expect(warnings(log.lines)).toContainEqual(expect.objectContaining({ status: 408, code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
  });

  it('refuses any body on a route that allows none (maxBodyBytes 0)', async () => {
    const echo = echoRoute('/w', 'POST', 0);
    const { server } = await start([echo.route]);
    expect((await fetch(`${server.url}/w`, { method: 'POST', body: 'x' })).status).toBe(413);
    expect((await fetch(`${server.url}/w`, { method: 'POST' })).status).toBe(202);
    expect(echo.seen).toHaveLength(1);
  });
});

describe('startApiServer failures', () => {
  it('turns a throwing handler into a generic 500 and logs the error server-side only', async () => {
    const route: WebhookRoute = {
      method: 'POST',
      path: '/boom',
      async handle() {
        throw new Error('connect postgres://admin:hunter2@db.internal/prod failed');
      },
    };
    const { server, log } = await start([route]);
    const res = await fetch(`${server.url}/boom`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error).toMatchObject({ code: 'INTERNAL', message: 'internal error' });
    expect(text).not.toContain('hunter2');
    const errors = log.lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ method: 'POST', path: '/boom', msg: 'webhook handler failed' });
    // The server keeps serving after a handler failure.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('treats an invalid status from a handler as a failure', async () => {
    const route: WebhookRoute = { method: 'GET', path: '/bad', handle: async () => ({ status: 42 }) };
    const { server } = await start([route]);
    expect((await fetch(`${server.url}/bad`)).status).toBe(500);
  });

  it('rejects duplicate and reserved routes at start', async () => {
    const a = echoRoute('/webhooks/x').route;
    const b = echoRoute('/webhooks/x').route;
    const logger = capture().logger;
    await expect(startApiServer({ host: '127.0.0.1', port: 0, routes: [a, b], logger })).rejects.toThrow(
      /duplicate webhook route POST \/webhooks\/x/,
    );
    await expect(
      startApiServer({ host: '127.0.0.1', port: 0, routes: [echoRoute('/healthz', 'GET').route], logger }),
    ).rejects.toThrow(/reserved/);
    await expect(
      startApiServer({ host: '127.0.0.1', port: 0, routes: [echoRoute('webhooks/x').route], logger }),
    ).rejects.toThrow(/must start with/);
  });

  it('fails to start on a port already in use, and close() frees its port', async () => {
    const { server } = await start([]);
    const logger = capture().logger;
    await expect(startApiServer({ host: '127.0.0.1', port: server.port, routes: [], logger })).rejects.toThrow(/EADDRINUSE/);
    // A keep-alive connection must not hold close() open.
    await fetch(`${server.url}/healthz`, { headers: { connection: 'keep-alive' } });
    await server.close();
    const again = await startApiServer({ host: '127.0.0.1', port: server.port, routes: [], logger });
    await again.close();
  });
});

describe('startApiServer close', () => {
  it('lets an in-flight request finish, refuses new connections meanwhile, then resolves', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const route: WebhookRoute = {
      method: 'POST',
      path: '/slow',
      async handle() {
        entered();
        await gate;
        return { status: 200, body: 'done' };
      },
    };
    const { server } = await start([route]);
    const pending = fetch(`${server.url}/slow`, { method: 'POST', body: 'x' });
    await inside;
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('done');
    await closing;
    expect(closed).toBe(true);
  });

  it('cuts a request that outlives the grace period', async () => {
    const route: WebhookRoute = { method: 'POST', path: '/stuck', handle: () => new Promise<never>(() => {}) };
    const { server } = await start([route], { closeGraceMs: 200 });
    const pending = fetch(`${server.url}/stuck`, { method: 'POST', body: 'x' }).then(
      (r) => r.status,
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    expect(await pending).toBe('cut');
  });
});

const viewer: Principal = { email: 'vera@example.com', role: 'viewer', via: 'token' };
/** A fake authenticate: `Bearer ok` is a viewer, anything else nobody. */
const authenticate = async (req: FastifyRequest) => (req.headers.authorization === 'Bearer ok' ? viewer : undefined);

describe('startApiServer with the API', () => {
  /** A JSON API route with a zod body, to show the API keeps Fastify's JSON parser beside the raw webhooks. */
  const sum: RouteModule = (app) => {
    app.post('/api/test/sum', {
      config: { role: 'viewer' },
      schema: { body: z.object({ a: z.number(), b: z.number() }), response: { 200: z.object({ sum: z.number() }) } },
      handler: async (req) => ({ sum: req.body.a + req.body.b }),
    });
  };

  async function startWithApi(routes: WebhookRoute[], extra: Partial<ApiServerOptions> = {}) {
    const log = capture();
    const ctx = { logger: log.logger, clock: () => Date.parse('2026-03-02T09:00:00Z') } as unknown as ApiContext;
    server = await startApiServer({ host: '127.0.0.1', port: 0, routes, logger: log.logger, api: { ctx, authenticate, extraRoutes: [sum] }, ...extra });
    return { server, log };
  }

  it('serves a signed webhook its raw bytes and the JSON API parsed JSON, on one port', async () => {
    const secret = 'hook-secret';
    const seen: Buffer[] = [];
    const signed: WebhookRoute = {
      method: 'POST',
      path: '/webhooks/signed',
      async handle(req) {
        seen.push(req.body);
        const expected = createHmac('sha256', secret).update(req.body).digest('hex');
        return req.headers['x-signature'] === expected ? { status: 200, body: 'ok' } : { status: 403, body: 'bad signature' };
      },
    };
    const { server, log } = await startWithApi([signed]);
    // Spacing and key order a JSON parser would not keep: the signature is over these exact bytes.
    const body = '{ "b":1,\n  "a" : [2, 3] }';
    const sig = createHmac('sha256', secret).update(body).digest('hex');
    const ok = await fetch(`${server.url}/webhooks/signed`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': sig }, body });
    expect(ok.status).toBe(200);
    expect(seen[0]!.toString()).toBe(body);
    const forged = await fetch(`${server.url}/webhooks/signed`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': sig }, body: body.replace('1', '2') });
    expect(forged.status).toBe(403);

    const anon = await fetch(`${server.url}/api/me`);
    expect(anon.status).toBe(401);
    expect((await errorOf(anon)).code).toBe('UNAUTHENTICATED');
    const me = await fetch(`${server.url}/api/me`, { headers: { authorization: 'Bearer ok' } });
    expect(await me.json()).toEqual({ email: 'vera@example.com', role: 'viewer', via: 'token' });
    const auth = { authorization: 'Bearer ok', 'content-type': 'application/json' };
    const added = await fetch(`${server.url}/api/test/sum`, { method: 'POST', headers: auth, body: '{"a": 2, "b": 3}' });
    expect(await added.json()).toEqual({ sum: 5 });
    const bad = await fetch(`${server.url}/api/test/sum`, { method: 'POST', headers: auth, body: '{"a": 2, "b": "x"}' });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).field).toBe('body.b');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // The API's refusals are logged like the webhooks' (without the Authorization header).
    expect(warnings(log.lines)).toContainEqual(expect.objectContaining({ method: 'GET', path: '/api/me', status: 401 }));
    expect(log.raw.join('')).not.toContain('Bearer');
  });

  it("hands a webhook any Content-Type as sent, even one Fastify could not parse", async () => {
    const seen: Array<{ type: string | undefined; body: string }> = [];
    const hook: WebhookRoute = {
      method: 'POST',
      path: '/webhooks/any',
      async handle(req) {
        seen.push({ type: req.headers['content-type'], body: req.body.toString() });
        return { status: 200, body: 'ok' };
      },
    };
    const { server } = await startWithApi([hook]);
    for (const type of ['', 'application/json, text/plain', 'json', 'application/x-www-form-urlencoded']) {
      const res = await fetch(`${server.url}/webhooks/any`, { method: 'POST', headers: { 'content-type': type }, body: `{"t":"${type}"}` });
      expect(res.status, type).toBe(200);
    }
    expect(seen.map((s) => s.type)).toEqual(['', 'application/json, text/plain', 'json', 'application/x-www-form-urlencoded']);
    expect(seen.map((s) => s.body)).toEqual(['{"t":""}', '{"t":"application/json, text/plain"}', '{"t":"json"}', '{"t":"application/x-www-form-urlencoded"}']);
  });

  it('refuses webhook paths under /api', async () => {
    const logger = capture().logger;
    await expect(startApiServer({ host: '127.0.0.1', port: 0, routes: [echoRoute('/api/hook').route], logger })).rejects.toThrow(/reserved/);
  });

  it('mounts plugins after the routes (the seam for the dashboard)', async () => {
    const ui: ServerPlugin = async (app) => {
      app.get('/ui-probe', { config: { role: 'public' } }, async () => ({ ui: true }));
    };
    const { server } = await startWithApi([], { plugins: [ui] });
    expect(await (await fetch(`${server.url}/ui-probe`)).json()).toEqual({ ui: true });
  });
});

/** GET over HTTPS trusting only `ca`: fetch() cannot be given a CA, node:https can. */
function httpsGet(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startApiServer TLS and proxies', () => {
  it('serves HTTPS with the configured certificate and key', async () => {
    const tls = makeTestTls();
    const echo = echoRoute('/webhooks/t', 'GET');
    const { server } = await start([echo.route], { tls: { cert: tls.cert, key: tls.key } });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await httpsGet(`${server.url}/healthz`, tls.ca)).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect((await httpsGet(`${server.url}/webhooks/t`, tls.ca)).status).toBe(202);
    // Another CA's client refuses it: the certificate served is the one configured.
    await expect(httpsGet(`${server.url}/healthz`, makeTestTls().ca)).rejects.toThrow(/certificate|self.signed|verify/i);
    // And plain HTTP gets no answer from it.
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });

  it('takes the client address from X-Forwarded-For only from a trusted proxy', async () => {
    const forwarded = { 'x-forwarded-for': '203.0.113.9' };
    const direct = echoRoute('/w');
    let s = await start([direct.route]);
    await fetch(`${s.server.url}/w`, { method: 'POST', headers: forwarded, body: 'x' });
    expect(direct.seen[0]!.remoteAddress).toBe('127.0.0.1');
    await s.server.close();

    const proxied = echoRoute('/w');
    s = await start([proxied.route], { trustProxy: ['127.0.0.1/32'] });
    const res = await fetch(`${s.server.url}/w?token=x`, { method: 'POST', headers: forwarded, body: 'x' });
    expect(res.status).toBe(202);
    expect(proxied.seen[0]!.remoteAddress).toBe('203.0.113.9');
    const lost = await fetch(`${s.server.url}/nope`, { headers: forwarded });
    expect(lost.status).toBe(404);
    expect(warnings(s.log.lines)).toContainEqual(expect.objectContaining({ path: '/nope', remoteAddress: '203.0.113.9' }));
    await s.server.close();

    const elsewhere = echoRoute('/w');
    s = await start([elsewhere.route], { trustProxy: '10.0.0.0/8' });
    await fetch(`${s.server.url}/w`, { method: 'POST', headers: forwarded, body: 'x' });
    expect(elsewhere.seen[0]!.remoteAddress).toBe('127.0.0.1');
  });
});
