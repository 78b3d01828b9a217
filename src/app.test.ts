/** runSources: a long-running run serves the API and the sources' webhooks on one listener, and stops it with the run. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiServer } from './api/server.js';
import { createApp, runSources } from './app.js';
import { validateConfig } from './config/load.js';
import type { SourceBatch, SourceContext, WebhookSource } from './core/index.js';
import { silentLogger } from './log.js';
import { registry } from './registry.js';

const NOW = Date.parse('2026-03-02T09:00:00Z');

/** A source that takes pushes and otherwise waits, as a poller does, until the run stops. */
function pushSource(): WebhookSource & { pushes: string[] } {
  const pushes: string[] = [];
  return {
    name: 'pushy',
    type: 'test-push',
    pushes,
    webhookRoutes: () => [{ method: 'POST', path: '/webhooks/pushy', handle: async (req) => (pushes.push(req.body.toString()), { status: 204 }) }],
    async *batches(ctx: SourceContext): AsyncIterable<SourceBatch> {
      await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true })));
    },
  };
}

describe('runSources', () => {
  it('serves the API beside the webhooks when asked, with the app\'s store and clock, until the run stops', async () => {
    const config = validateConfig({ data_dir: mkdtempSync(join(tmpdir(), 'sw-app-')), storage: { type: 'sqlite', path: ':memory:' } }, registry, { env: {} });
    const app = await createApp(config, { logger: silentLogger, now: () => NOW });
    const source = pushSource();
    const stop = new AbortController();
    let server: ApiServer | undefined;
    const seen: Record<string, unknown> = {};
    try {
      await runSources(app, [source], {
        signal: stop.signal,
        listen: { host: '127.0.0.1', port: 0 },
        drainMs: 1_000,
        api: async (ctx) => {
          seen.clock = ctx.clock();
          seen.sameStore = ctx.store === app.store;
          return { authenticate: async (req) => (req.headers.authorization === 'Bearer ok' ? { email: 'v@example.com', role: 'viewer', via: 'token' } : undefined), extraRoutes: [], plugins: [] };
        },
        onListening: (s) => {
          server = s;
          void (async () => {
            try {
              seen.health = (await fetch(`${s.url}/healthz`)).status;
              seen.anon = (await fetch(`${s.url}/api/me`)).status;
              seen.me = await (await fetch(`${s.url}/api/me`, { headers: { authorization: 'Bearer ok' } })).json();
              seen.push = (await fetch(`${s.url}/webhooks/pushy`, { method: 'POST', body: 'ping' })).status;
            } finally {
              stop.abort();
            }
          })();
        },
      });
    } finally {
      await app.close();
    }
    expect(seen).toEqual({ clock: NOW, sameStore: true, health: 200, anon: 401, me: { email: 'v@example.com', role: 'viewer', via: 'token' }, push: 204 });
    expect(source.pushes).toEqual(['ping']);
    // The server went with the run.
    await expect(fetch(`${server!.url}/healthz`)).rejects.toThrow();
  });

  it('listens only for webhooks without the API, and not at all when no source takes pushes', async () => {
    const config = validateConfig({ data_dir: mkdtempSync(join(tmpdir(), 'sw-app-')), storage: { type: 'sqlite', path: ':memory:' } }, registry, { env: {} });
    const app = await createApp(config, { logger: silentLogger, now: () => NOW });
    try {
      const stop = new AbortController();
      const statuses: number[] = [];
      await runSources(app, [pushSource()], {
        signal: stop.signal,
        listen: { host: '127.0.0.1', port: 0 },
        drainMs: 1_000,
        onListening: (s) => {
          void Promise.all([fetch(`${s.url}/api/me`), fetch(`${s.url}/healthz`)])
            .then((rs) => statuses.push(...rs.map((r) => r.status)))
            .finally(() => stop.abort());
        },
      });
      // No API mounted: /api/me is just an unknown path.
      expect(statuses).toEqual([404, 200]);
      let listened = false;
      const done = new AbortController();
      const finite: WebhookSource = { ...pushSource(), webhookRoutes: () => [] };
      setTimeout(() => done.abort(), 50);
      await runSources(app, [finite], { signal: done.signal, listen: { host: '127.0.0.1', port: 0 }, drainMs: 1_000, onListening: () => (listened = true) });
      expect(listened).toBe(false);
    } finally {
      await app.close();
    }
  });
});
