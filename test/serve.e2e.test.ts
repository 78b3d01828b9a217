/** `saaswatch serve` as a user starts it: the URL printed, the health check open, the API closed to strangers, SIGTERM a clean exit. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../src/core/testing.js';
import { startCli, tempDir, writeConfig } from './helpers.js';

describe('saaswatch serve', () => {
  it('prints its URL, answers /healthz, refuses the API without credentials, and exits 0 on SIGTERM', async () => {
    const dir = tempDir('sw-serve-');
    const config = writeConfig(dir, { data_dir: join(dir, 'data'), server: { host: '127.0.0.1', port: 0 } });
    const cli = startCli(['serve', '-c', config]);
    let stdout = '';
    cli.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      await waitUntil(() => /serving (http:\/\/127\.0\.0\.1:\d+)/.test(stdout), 'the printed URL', 30_000);
      const url = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      for (const path of ['/api/alerts', '/api/me', '/api/openapi.json']) {
        const res = await fetch(`${url}${path}`);
        expect(res.status, path).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
      }
      // Nothing polls: serve runs no source, so no webhook path exists either.
      expect((await fetch(`${url}/webhooks/dropbox`, { method: 'POST', body: '{}' })).status).toBe(404);
      cli.child.kill('SIGTERM');
      const done = await cli.done;
      expect(done.code, done.stderr).toBe(0);
    } finally {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
      await cli.done;
    }
  });

  it('refuses to start on a port in use, saying which', async () => {
    const dir = tempDir('sw-serve-');
    const first = startCli(['serve', '-c', writeConfig(dir, { data_dir: join(dir, 'data'), server: { host: '127.0.0.1', port: 0 } })]);
    let stdout = '';
    first.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      await waitUntil(() => /serving http:\/\/127\.0\.0\.1:(\d+)/.test(stdout), 'the printed URL', 30_000);
      const port = Number(/serving http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
      const other = tempDir('sw-serve-');
      const second = await startCli(['serve', '-c', writeConfig(other, { data_dir: join(other, 'data'), server: { host: '127.0.0.1', port } })]).done;
      expect(second.code).not.toBe(0);
      expect(second.stderr).toMatch(/EADDRINUSE/);
    } finally {
      first.child.kill('SIGTERM');
      await first.done;
    }
  });
});
