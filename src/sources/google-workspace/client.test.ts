import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServiceAccountKey, startFakeGoogle } from '../../fakes/google/index.js';
import { alertCenterRoot, createClients, loadServiceAccount } from './client.js';
import { googleWorkspaceConfigSchema } from './config.js';
import { withRetry } from './request.js';

const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-gw-client-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const key = createServiceAccountKey();

describe('Alert Center root', () => {
  it("is Google's unless alert_center.base_url is set, whatever the Reports and Drive base_url", () => {
    const parse = (over: Record<string, unknown>) => googleWorkspaceConfigSchema.parse({ credentials: '{}', subject: 'admin@example.com', ...over });
    expect(alertCenterRoot(parse({}))).toBe('https://alertcenter.googleapis.com');
    expect(alertCenterRoot(parse({ base_url: 'https://googleapis-proxy.example.com/' }))).toBe('https://alertcenter.googleapis.com');
    expect(alertCenterRoot(parse({ base_url: 'https://googleapis-proxy.example.com/', alert_center: { enabled: true, base_url: 'http://127.0.0.1:8123/' } }))).toBe('http://127.0.0.1:8123');
  });
});

describe('service-account credentials', () => {
  it('reads credentials_file relative to the config directory', async () => {
    writeFileSync(join(tmp, 'sa.json'), JSON.stringify(key.json));
    const cfg = googleWorkspaceConfigSchema.parse({ credentials_file: 'sa.json', subject: 'admin@example.com' });
    expect(await loadServiceAccount(cfg, tmp)).toEqual({ client_email: key.clientEmail, private_key: key.json.private_key });
  });

  it('explains unusable credentials without echoing them', async () => {
    const notJson = googleWorkspaceConfigSchema.parse({ credentials: '-----BEGIN PRIVATE KEY----- abc', subject: 'admin@example.com' });
    const err = await loadServiceAccount(notJson).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((err as Error).message).not.toContain('PRIVATE');
    const wrongKind = googleWorkspaceConfigSchema.parse({ credentials: '{"type":"authorized_user"}', subject: 'admin@example.com' });
    await expect(loadServiceAccount(wrongKind)).rejects.toThrow(/not a service-account key/);
    const missing = googleWorkspaceConfigSchema.parse({ credentials_file: 'nope.json', subject: 'admin@example.com' });
    await expect(loadServiceAccount(missing, tmp)).rejects.toThrow(/ENOENT/);
  });
});

describe('SDK clients', () => {
  it('get their token from token_url and call base_url, with the SDK retries off', async () => {
    const fake = await startFakeGoogle({ serviceAccounts: [key] });
    try {
      const cfg = googleWorkspaceConfigSchema.parse({ credentials: 'x', subject: 'admin@example.com', base_url: fake.url.slice(0, -1), token_url: fake.tokenUrl });
      const { reports } = createClients(cfg, { client_email: key.clientEmail, private_key: key.json.private_key });
      fake.faults.failNext(1, 503);
      await expect(reports.activities.list({ userKey: 'all', applicationName: 'login' })).rejects.toMatchObject({ status: 503 });
      const ok = await reports.activities.list({ userKey: 'all', applicationName: 'login' });
      expect(ok.data.kind).toBe('admin#reports#activities');
      expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'POST /token 200',
        'GET /admin/reports/v1/activity/users/all/applications/login 503',
        'GET /admin/reports/v1/activity/users/all/applications/login 200',
      ]);
    } finally {
      await fake.close();
    }
  });

  it('classify an unreachable Google as a retryable network error', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const cfg = googleWorkspaceConfigSchema.parse({ credentials: 'x', subject: 'admin@example.com', base_url: `http://127.0.0.1:${port}/`, token_url: `http://127.0.0.1:${port}/token` });
    const { reports } = createClients(cfg, { client_email: key.clientEmail, private_key: key.json.private_key });
    const delays: number[] = [];
    const err = await withRetry('Reports', () => reports.activities.list({ userKey: 'all', applicationName: 'login' }), {
      maxAttempts: 3,
      initialMs: 5,
      maxMs: 5,
      signal: new AbortController().signal,
      sleep: async (ms) => {
        delays.push(ms);
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NETWORK', retryable: true });
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect(delays).toHaveLength(2);
  });
});
