import { request } from 'node:http';
import { connect } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookRequest, WebhookRoute } from '../core/webhook.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from './server.js';

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
    expect(post.seen).toHaveLength(0);
    expect(warnings(log.lines)).toEqual([
      expect.objectContaining({ method: 'PUT', path: '/webhooks/dropbox', status: 405, remoteAddress: expect.stringMatching(/127\.0\.0\.1/) }),
    ]);
  });

  it('answers 404 for unknown paths, matches paths exactly, and keeps the query out of the log', async () => {
    const echo = echoRoute('/webhooks/a');
    const { server, log } = await start([echo.route]);
    for (const path of ['/nope?token=s3cr3t-query', '/webhooks/a/', '/webhooks', '//webhooks/a']) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', body: 'payload-s3cr3t' });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: 'not found' });
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
    expect(res.headers.get('content-type')).toBe('application/json');
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
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write('POST /w HTTP/1.1\r\nhost: x\r\n'));
      let got = '';
      socket.on('data', (c: Buffer) => (got += c.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(5_000);
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
    expect(JSON.parse(text)).toEqual({ error: 'internal error' });
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
