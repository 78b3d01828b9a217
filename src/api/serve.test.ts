import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import { failureOf } from '../core/testing.js';
import { makeTestTls } from '../fakes/smtp/cert.js';
import { silentLogger } from '../log.js';
import { registry } from '../registry.js';
import type { Principal } from './context.js';
import { VERSION } from '../version.js';
import { apiParts, listenOptions, startServe } from './serve.js';

const NOW = Date.parse('2026-03-02T09:00:00Z');
const analyst: Principal = { email: 'ana@example.com', role: 'analyst', via: 'token' };

function configIn(dir: string, server: Record<string, unknown>, more: Record<string, unknown> = {}) {
  const file = join(dir, 'saaswatch.yml');
  writeFileSync(file, '# the config folder: TLS paths resolve against it\n');
  return validateConfig({ storage: { type: 'sqlite', path: ':memory:' }, server: { host: '127.0.0.1', port: 0, ...server }, ...more }, registry, { file, env: {} });
}

describe('listenOptions', () => {
  it('reads the certificate and key relative to the config file, and passes trusted proxies on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-serve-'));
    const tls = makeTestTls();
    writeFileSync(join(dir, 'cert.pem'), tls.cert);
    writeFileSync(join(dir, 'key.pem'), tls.key);
    const o = listenOptions(configIn(dir, { tls: { cert_file: 'cert.pem', key_file: 'key.pem' }, trust_proxy: ['10.0.0.0/8'] }));
    expect(o.tls?.cert.toString()).toBe(tls.cert);
    expect(o.trustProxy).toEqual(['10.0.0.0/8']);
    expect(listenOptions(configIn(dir, {}))).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('names the unreadable file, and refuses a key that is not the certificate\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-serve-'));
    const a = makeTestTls();
    writeFileSync(join(dir, 'cert.pem'), a.cert);
    writeFileSync(join(dir, 'other-key.pem'), makeTestTls().key);
    const missing = await failureOf(Promise.resolve().then(() => listenOptions(configIn(dir, { tls: { cert_file: 'cert.pem', key_file: 'nope.pem' } }))));
    expect(missing.code).toBe('CONFIG_INVALID');
    expect(missing.message).toMatch(/server\.tls\.key_file.*nope\.pem.*ENOENT/);
    const mismatched = await failureOf(Promise.resolve().then(() => listenOptions(configIn(dir, { tls: { cert_file: 'cert.pem', key_file: 'other-key.pem' } }))));
    expect(mismatched.message).toMatch(/server\.tls.*not a usable pair/);
  });
});

describe('startServe', () => {
  it('serves the store\'s API with the parts it is given, on the configured listener, and closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-serve-'));
    const serving = await startServe(configIn(dir, {}), {
      logger: silentLogger,
      now: () => NOW,
      parts: async (ctx) => ({ ...(await apiParts(ctx)), authenticate: async (req) => (req.headers.authorization === 'Bearer ok' ? analyst : undefined) }),
    });
    try {
      expect(serving.ctx.clock()).toBe(NOW);
      expect((await fetch(`${serving.server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${serving.server.url}/api/me`)).status).toBe(401);
      const me = await fetch(`${serving.server.url}/api/me`, { headers: { authorization: 'Bearer ok' } });
      expect(await me.json()).toMatchObject({ email: 'ana@example.com', role: 'analyst' });
      // The context's store and responder are live: a block through the responder is read back from the store.
      await serving.ctx.responder.block({ user: 'mallory@example.com', reason: 'test', actor: 'api:ana@example.com' });
      expect((await serving.ctx.store.listBlockedUsers()).map((b) => b.user)).toEqual(['mallory@example.com']);
    } finally {
      await serving.close();
    }
    await expect(fetch(`${serving.server.url}/healthz`)).rejects.toThrow();
  });
});

describe('the relay in serve', () => {
  it('is served under its prefix when relay.enabled, and not otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-serve-'));
    const on = await startServe(configIn(dir, {}, { relay: { enabled: true, audience: 'https://saaswatch.example.com' } }), { logger: silentLogger, now: () => NOW });
    try {
      expect(await (await fetch(`${on.server.url}/relay/version`, { method: 'POST' })).json()).toEqual({ version: VERSION });
      const health = await fetch(`${on.server.url}/relay/health`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(await health.json()).toEqual({ errors: [{ type: 'fatal', code: 'authorization error', message: 'Authorization failed: Authorization header is missing' }] });
    } finally {
      await on.close();
    }
    const off = await startServe(configIn(dir, {}), { logger: silentLogger, now: () => NOW });
    try {
      expect((await fetch(`${off.server.url}/relay/version`, { method: 'POST' })).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
