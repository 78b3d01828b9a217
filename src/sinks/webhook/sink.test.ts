import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodedForms, SaaswatchError, type DeliveryContext } from '../../core/index.js';
import { sampleAlert, startReceiver, type Receiver, type Responder } from '../testing.js';
import { webhookConfigSchema } from './config.js';
import { MAX_RESPONSE_BYTES, USER_AGENT, WebhookSink, signPayload, verifySignature, webhookSinkPlugin } from './sink.js';

const TOKEN = 'tok-5up3r-s3cret';
const SECRET = 'hmac-k3y-very-secret';
/** The receivers below listen on loopback, which the SSRF guard refuses unless allowed. */
const LOOPBACK = { allow_networks: ['127.0.0.1'] };

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function setup(respond?: Responder, extra: Record<string, unknown> = {}, now?: () => number) {
  receiver = await startReceiver(respond);
  const config = webhookConfigSchema.parse({ url: receiver.url, token: TOKEN, secret: SECRET, ...LOOPBACK, ...extra });
  const sink = new WebhookSink('soc-hook', config, now ? { now } : {});
  return { sink, receiver };
}

function ctx(deliveryId = 'dlv_1', attempt = 1): DeliveryContext {
  return { deliveryId, attempt, signal: new AbortController().signal };
}

async function deliverError(sink: WebhookSink, c = ctx()): Promise<SaaswatchError> {
  try {
    await sink.deliver(sampleAlert(), c);
  } catch (err) {
    expect(err).toBeInstanceOf(SaaswatchError);
    return err as SaaswatchError;
  }
  throw new Error('expected deliver() to throw');
}

describe('webhook config', () => {
  it('applies documented defaults', () => {
    const c = webhookConfigSchema.parse({ url: 'https://hooks.example.org/x' });
    expect(c).toEqual({
      url: 'https://hooks.example.org/x',
      timeout: 10_000,
      max_attempts: 8,
      backoff: { initial: 1_000, max: 300_000 },
      headers: {},
      allow_networks: [],
      allow_private_networks: false,
    });
  });

  it('exposes its retry policy to the outbox', () => {
    const c = webhookConfigSchema.parse({ url: 'http://x.test', max_attempts: 3, backoff: { initial: '250ms', max: '2s' } });
    expect(webhookSinkPlugin.create('n', c, { logger: undefined as never, dataDir: '/tmp' }).retryPolicy).toEqual({
      maxAttempts: 3,
      initialMs: 250,
      maxMs: 2_000,
    });
  });

  it('keeps token and secret masked', () => {
    const c = webhookConfigSchema.parse({ url: 'http://x.test', token: TOKEN, secret: SECRET });
    expect(JSON.stringify(c)).not.toContain(TOKEN);
    expect(JSON.stringify(c)).not.toContain(SECRET);
    expect(c.token?.reveal()).toBe(TOKEN);
  });

  it.each([
    [{ url: 'ftp://x.test/' }, 'http'],
    [{ url: 'not a url' }, 'http'],
    [{ url: 'http://x.test', max_attempts: 0 }, 'max_attempts'],
    [{ url: 'http://x.test', timeout: 'soon' }, 'duration'],
    [{ url: 'http://x.test', backoff: { initial: '10m', max: '1m' } }, 'exceed'],
    [{ url: 'http://x.test', headers: { 'X-Saaswatch-Delivery': 'x' } }, 'cannot be overridden'],
    [{ url: 'http://x.test', headers: { 'Content-Type': 'text/plain' } }, 'cannot be overridden'],
    [{ url: 'http://x.test', token: 't', headers: { Authorization: 'Basic x' } }, 'not both'],
    [{ url: 'http://x.test', headers: { 'X-Tenant': 'a\r\nX-Evil: 1' } }, 'line breaks'],
    [{ url: 'http://x.test', max_attempt: 3 }, 'max_attempt'],
  ])('rejects %j', (input, message) => {
    const r = webhookConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });
});

describe('webhook delivery', () => {
  it('POSTs the documented payload with auth, idempotency and signature headers', async () => {
    const nowMs = Date.parse('2024-05-01T10:06:00.000Z');
    const { sink, receiver } = await setup(undefined, { headers: { 'X-Tenant': 'acme' } }, () => nowMs);
    await sink.deliver(sampleAlert({ score: 0.91, features: [{ name: 'failures', value: 42, contribution: 0.7 }] }), ctx('dlv_42', 3));

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hook');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^saaswatch\/\d+\.\d+\.\d+/);
    expect(req.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['x-tenant']).toBe('acme');
    expect(req.headers['x-saaswatch-delivery']).toBe('dlv_42');
    expect(req.headers['x-saaswatch-timestamp']).toBe(String(nowMs / 1000));

    expect(JSON.parse(req.rawBody)).toEqual({
      version: 1,
      alert: {
        id: 'alrt_0001',
        dedup_key: 'brute-force|ip:203.0.113.7|2024-05-01T10:00:00.000Z',
        rule: 'brute-force',
        title: 'Brute force from 203.0.113.7',
        severity: 'high',
        entity: { type: 'ip', value: '203.0.113.7' },
        window: { start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T10:05:00.000Z' },
        description: '42 failed logins in 5 minutes (expected at most 10)',
        observed: { failures: 42 },
        expected: { failures: 10 },
        score: 0.91,
        features: [{ name: 'failures', value: 42, contribution: 0.7 }],
        evidence: ['ev1', 'ev2', 'ev3'],
        created_at: '2024-05-01T10:05:01.000Z',
      },
      delivery: { id: 'dlv_42', attempt: 3 },
    });

    const sig = req.headers['x-saaswatch-signature'] as string;
    expect(sig).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(sig.startsWith(`t=${nowMs / 1000},`)).toBe(true);
    expect(verifySignature(SECRET, sig, req.rawBody, { nowSec: nowMs / 1000 + 30 })).toBe(true);
  });

  it('sends absent optional alert fields as null so the shape never changes', async () => {
    const { sink, receiver } = await setup();
    const { observed: _o, expected: _e, ...rest } = sampleAlert();
    await sink.deliver(rest, ctx());
    const alert = JSON.parse(receiver.requests[0]!.rawBody).alert;
    expect(alert.observed).toBeNull();
    expect(alert.expected).toBeNull();
    expect(alert.score).toBeNull();
    expect(alert.features).toBeNull();
  });

  it('omits Authorization and signature when no token or secret is configured', async () => {
    receiver = await startReceiver();
    const sink = new WebhookSink('plain', webhookConfigSchema.parse({ url: receiver.url, ...LOOPBACK }));
    await sink.deliver(sampleAlert(), ctx());
    expect(receiver.requests[0]!.headers['authorization']).toBeUndefined();
    expect(receiver.requests[0]!.headers['x-saaswatch-signature']).toBeUndefined();
    expect(receiver.requests[0]!.headers['x-saaswatch-delivery']).toBe('dlv_1');
  });

  it('keeps the delivery id across attempts so receivers can drop repeats', async () => {
    const { sink, receiver } = await setup();
    await sink.deliver(sampleAlert(), ctx('dlv_same', 1));
    await sink.deliver(sampleAlert(), ctx('dlv_same', 2));
    expect(receiver.requests.map((r) => r.headers['x-saaswatch-delivery'])).toEqual(['dlv_same', 'dlv_same']);
    expect(receiver.requests.map((r) => JSON.parse(r.rawBody).delivery.attempt)).toEqual([1, 2]);
  });

  it('classifies 5xx as retryable', async () => {
    const { sink } = await setup((_req, _i, res) => {
      res.writeHead(503);
      res.end('maintenance');
    });
    const err = await deliverError(sink);
    expect(err.code).toBe('HTTP_RETRYABLE');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.message).toMatch(/^webhook 127\.0\.0\.1:\d+ responded 503: maintenance$/);
  });

  it('carries Retry-After of a 429', async () => {
    const { sink } = await setup((_req, _i, res) => {
      res.writeHead(429, { 'retry-after': '2' });
      res.end();
    });
    const err = await deliverError(sink);
    expect(err.code).toBe('HTTP_RETRYABLE');
    expect(err.retryAfterMs).toBe(2_000);
  });

  it('classifies 400 as rejected and never leaks credentials the receiver echoes', async () => {
    const { sink } = await setup((req, _i, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`bad request; you sent ${String(req.headers['authorization'])} and ${SECRET}`);
    });
    const err = await deliverError(sink);
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('400');
    expect(err.message).toContain('[redacted]');
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).not.toContain(SECRET);
  });

  it('does not follow redirects (they would carry the token elsewhere)', async () => {
    const other = await startReceiver();
    try {
      const { sink } = await setup((_req, _i, res) => {
        res.writeHead(307, { location: other.url });
        res.end();
      });
      const err = await deliverError(sink);
      expect(err.code).toBe('HTTP_REJECTED');
      expect(err.message).toContain('redirects are not followed');
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('times out a receiver that never answers', async () => {
    const { sink } = await setup(() => 'hang', { timeout: '100ms' });
    const started = performance.now();
    const err = await deliverError(sink);
    expect(err.code).toBe('TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('reports an unreachable receiver as NETWORK without leaking the URL query', async () => {
    receiver = await startReceiver();
    const url = `${receiver.url}?key=${TOKEN}`;
    await receiver.close();
    receiver = undefined;
    const sink = new WebhookSink('gone', webhookConfigSchema.parse({ url, token: TOKEN, ...LOOPBACK }));
    const err = await deliverError(sink);
    expect(err.code).toBe('NETWORK');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain(TOKEN);
  });
});

/** A receiver whose answer never ends: it writes as fast as the client reads, and counts what it wrote until the client hangs up. */
async function endlessReceiver(status: number): Promise<{ url: string; written: () => number; hungUp: Promise<void>; close(): Promise<void> }> {
  let written = 0;
  let hangUp!: () => void;
  const hungUp = new Promise<void>((r) => (hangUp = r));
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain' });
    const pump = (): void => {
      while (!res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    res.on('close', () => hangUp());
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    written: () => written,
    hungUp,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('webhook response bodies are read with a cap', () => {
  it.each([200, 500])('an endless %i body: deliver() returns and the receiver is hung up on after a bounded number of bytes', async (status) => {
    const endless = await endlessReceiver(status);
    try {
      // A timeout far beyond the test's: returning at all means the sink stopped reading by itself.
      const sink = new WebhookSink('endless', webhookConfigSchema.parse({ url: endless.url, timeout: '10m', ...LOOPBACK }));
      const outcome = await sink.deliver(sampleAlert(), ctx()).then(
        () => 'delivered',
        (e: SaaswatchError) => e.code,
      );
      expect(outcome).toBe(status === 200 ? 'delivered' : 'HTTP_RETRYABLE');
      await endless.hungUp;
      // What the server managed to write is the cap plus the socket buffers, not the body: an endless one would grow without bound.
      expect(endless.written()).toBeGreaterThan(MAX_RESPONSE_BYTES);
      expect(endless.written()).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await endless.close();
    }
  }, 30_000);
});

describe('webhook receivers that echo the request', () => {
  const API_KEY = 'k3y-for-the-receiver-77ad';
  it.each([400, 401, 429, 500])('%i: no credential in any encoding reaches the error, its JSON or its causes', async (status) => {
    const { sink } = await setup(
      (req, _i, res) => {
        const echo = JSON.stringify({ headers: req.headers, body: req.rawBody.slice(0, 100), url: req.url });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'nope', echo, b64: Buffer.from(echo).toString('base64'), url: encodeURIComponent(echo) }));
      },
      { headers: { 'X-Api-Key': API_KEY } },
    );
    const err = await deliverError(sink);
    expect(err.message).toContain(`${status}`);
    const seen = [err.message, String(err.stack), JSON.stringify(err), JSON.stringify(err.details ?? {}), String((err.cause as Error | undefined)?.message)].join('\n').toLowerCase();
    for (const value of [TOKEN, SECRET, API_KEY]) {
      for (const f of encodedForms(value)) expect(seen).not.toContain(f.toLowerCase());
    }
  });
});

describe('signatures', () => {
  const body = '{"version":1,"alert":{"id":"a"}}';
  const t = 1_714_557_600;

  it('round-trips', () => {
    const header = signPayload(SECRET, body, t);
    expect(verifySignature(SECRET, header, body, { nowSec: t })).toBe(true);
  });

  it('matches an independent HMAC over "<t>.<body>"', async () => {
    const { createHmac } = await import('node:crypto');
    const mac = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
    expect(signPayload(SECRET, body, t)).toBe(`t=${t},v1=${mac}`);
  });

  it('rejects a stale replay and a timestamp from the future', () => {
    const header = signPayload(SECRET, body, t);
    expect(verifySignature(SECRET, header, body, { nowSec: t + 299 })).toBe(true);
    expect(verifySignature(SECRET, header, body, { nowSec: t + 301 })).toBe(false);
    expect(verifySignature(SECRET, header, body, { nowSec: t - 301 })).toBe(false);
    expect(verifySignature(SECRET, header, body, { nowSec: t + 3_600, toleranceSec: 7_200 })).toBe(true);
  });

  it('rejects a signature replayed onto another body or with a moved timestamp', () => {
    const header = signPayload(SECRET, body, t);
    expect(verifySignature(SECRET, header, body.replace('"a"', '"b"'), { nowSec: t })).toBe(false);
    const moved = header.replace(`t=${t}`, `t=${t + 10}`);
    expect(verifySignature(SECRET, moved, body, { nowSec: t + 10 })).toBe(false);
  });

  it('rejects a wrong key and malformed headers', () => {
    const header = signPayload(SECRET, body, t);
    expect(verifySignature('other-key', header, body, { nowSec: t })).toBe(false);
    for (const bad of ['', 'garbage', `t=${t}`, `v1=${'0'.repeat(64)}`, `t=abc,v1=${'0'.repeat(64)}`, `t=${t},v1=xyz`, `t=${t},t=${t},${header.split(',')[1]}`]) {
      expect(verifySignature(SECRET, bad, body, { nowSec: t })).toBe(false);
    }
  });

  it('accepts any of several v1 values (key rotation)', () => {
    const good = signPayload(SECRET, body, t);
    const old = signPayload('old-key', body, t).split(',')[1];
    expect(verifySignature(SECRET, `${good},${old}`, body, { nowSec: t })).toBe(true);
    expect(verifySignature('old-key', `${good},${old}`, body, { nowSec: t })).toBe(true);
  });
});
