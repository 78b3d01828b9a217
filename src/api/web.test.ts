import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import type { ApiApp, ApiContext, Principal } from './context.js';
import { createHttpApp } from './http.js';
import { ROUTES } from './routes/index.js';
import { ensureWebBuilt, webUi } from './web.js';

const ctx = { logger: createLogger({ level: 'silent' }), clock: () => Date.parse('2026-03-02T09:00:00Z') } as unknown as ApiContext;
const viewer: Principal = { email: 'vera@example.com', role: 'viewer', via: 'token' };

/** A build as Vite leaves it: the page, hashed assets, a file at the root. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-webui-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, '..', 'secret.txt'), 'not served');
  return dir;
}

describe('the dashboard route', () => {
  let app: ApiApp;
  beforeAll(async () => {
    const dir = fakeBuild();
    app = await createHttpApp({ ctx, authenticate: async (req) => (req.headers.authorization === 'Bearer ok' ? viewer : undefined), routes: [...ROUTES, (a) => webUi(a, { dir })] });
  });
  afterAll(() => app.close());

  it('answers the page for every page path, without credentials, never cached, under the strict CSP', async () => {
    for (const url of ['/', '/alerts', '/alerts/abc?status=open', '/users/ann%40example.com']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toContain('/assets/index-abc123.js');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    }
  });

  it('serves hashed assets for a year and other files for an hour', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.headers['cache-control']).toBe('public, max-age=3600');
    // A chunk an old tab still asks for: a 404, not the page in its place.
    expect((await app.inject({ method: 'GET', url: '/assets/gone-123.js' })).statusCode).toBe(404);
  });

  it('never answers the page for the API, the health check or webhooks, and never leaves the build', async () => {
    // Under /api a stranger gets 401 even for a path that does not exist (no map of the API); never the page.
    const api = await app.inject({ method: 'GET', url: '/api/nope' });
    expect(api.statusCode).toBe(401);
    expect(api.json().error.code).toBe('UNAUTHENTICATED');
    expect((await app.inject({ method: 'GET', url: '/api/me' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/webhooks/dropbox' })).statusCode).toBe(404);
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('not served');
    }
  });

  it('says how to build when there is no build', async () => {
    const empty = await createHttpApp({ ctx, authenticate: async () => viewer, routes: [(a) => webUi(a, { dir: mkdtempSync(join(tmpdir(), 'sw-webui-none-')) })] });
    const res = await empty.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toMatch(/npm run build/);
    await empty.close();
  });
});

describe('ensureWebBuilt', () => {
  it('leaves an installed package alone: no src/ or web/, nothing to build', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sw-pkg-'));
    expect(await ensureWebBuilt({ root })).toBe(join(root, 'dist', 'web'));
  });

  it('keeps a build newer than every file under web/', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sw-checkout-'));
    for (const d of ['src', 'web/src', 'dist/web']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'web/src/main.tsx'), '');
    writeFileSync(join(root, 'dist/web/index.html'), 'built');
    const t = new Date('2026-03-02T09:00:00Z');
    utimesSync(join(root, 'web/src/main.tsx'), t, t);
    // No web/vite.config.ts here: had it tried to build, it would have failed.
    expect(await ensureWebBuilt({ root })).toBe(join(root, 'dist', 'web'));
  });
});
