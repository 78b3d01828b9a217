/**
 * The slack source in the real CLI: `saaswatch run` polls the fake Slack through the SDK into SQLite
 * and serves POST /webhooks/slack on its server, where a signed callback lands in the store through
 * the poll it wakes and a forged one is refused.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { startCli, writeConfig } from '../../../test/helpers.js';
import { waitUntil } from '../../core/testing.js';
import { FAKE_SLACK_ADMIN_TOKEN, FAKE_SLACK_AUDIT_TOKEN, startSlackFake, type FakeSlack } from '../../fakes/slack/server.js';
import type { SlackUser } from './wire.js';

const T0 = Date.parse('2026-11-03T10:00:00Z');
const SECRET = 'e2e-slack-signing-secret-71c0';
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const sign = (ts: string, body: string, secret = SECRET) => `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

it('polls access and audit logs into the store and takes signed Events API callbacks on its server', async () => {
  const users: SlackUser[] = [{ id: 'U0ANN', name: 'ann', is_bot: false, is_app_user: false, profile: { email: 'ann@example.com' } }];
  const fake: FakeSlack = await startSlackFake({
    rateLimits: false,
    users,
    accessLogs: [{ user_id: 'U0ANN', username: 'ann', date_first: T0 / 1000 - 7200, date_last: T0 / 1000 - 600, count: 3, ip: '198.51.100.4', user_agent: 'Slack/4.41', country: 'US' }],
    auditLogs: [{ id: 'a1', date_create: T0 / 1000 - 900, action: 'app_installed', actor: { type: 'user', user: { id: 'U0ANN', email: 'ann@example.com' } }, entity: { type: 'app', app: { id: 'A0X', name: 'Exporter' } }, context: { ip_address: '198.51.100.4' } }],
  });
  cleanup.push(() => fake.close());
  const dir = mkdtempSync(join(tmpdir(), 'saaswatch-slack-e2e-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = writeConfig(dir, {
    data_dir: join(dir, 'data'),
    storage: { type: 'sqlite', path: 'saaswatch.db' },
    server: { host: '127.0.0.1', port: 0 },
    sources: [
      { type: 'slack', name: 'slack', token: FAKE_SLACK_ADMIN_TOKEN, audit_token: FAKE_SLACK_AUDIT_TOKEN, base_url: fake.url, audit_url: fake.auditUrl, streams: ['access_logs', 'audit_logs'], signing_secret: SECRET, poll_interval: '1h', min_poll_interval: '0s' },
    ],
  });
  const cli = startCli(['run', '--config', cfg, '--no-progress'], { env: { SAASWATCH_NOW: new Date(T0).toISOString(), SAASWATCH_LOG_LEVEL: 'info' } });
  let stderr = '';
  cli.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  cleanup.push(async () => {
    if (cli.child.exitCode === null) cli.child.kill('SIGTERM');
    await cli.done;
  });
  const actions = (): string[] => {
    try {
      const db = new BetterSqlite3(join(dir, 'data', 'saaswatch.db'), { readonly: true, fileMustExist: true });
      try {
        return (db.prepare("SELECT action AS a FROM events ORDER BY 1").all() as Array<{ a: string }>).map((r) => r.a);
      } finally {
        db.close();
      }
    } catch {
      return [];
    }
  };

  await waitUntil(() => /listening on (http:\/\/\S+)/.test(stderr), 'the server', 30_000);
  const url = `${/listening on (http:\/\/\S+)/.exec(stderr)![1]}/webhooks/slack`;
  await waitUntil(() => actions().length === 2, 'the first poll', 30_000);
  expect(actions()).toEqual(['app_installed', 'login']);

  const ts = String(Math.floor(T0 / 1000));
  const challenge = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 'legacy' });
  const verified = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': ts, 'x-slack-signature': sign(ts, challenge) }, body: challenge });
  expect([verified.status, await verified.json()]).toEqual([200, { challenge: 'c-123' }]);

  const body = JSON.stringify({ type: 'event_callback', team_id: 'T0SAASWTCH', event_id: 'Ev0E2E', event_time: T0 / 1000, event: { type: 'user_change', user: { ...users[0], is_admin: true } } });
  const forged = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': ts, 'x-slack-signature': sign(ts, body, 'not-the-secret') }, body });
  expect(forged.status).toBe(401);
  const good = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': ts, 'x-slack-signature': sign(ts, body) }, body });
  expect(good.status).toBe(200);
  await waitUntil(() => actions().includes('user_change'), 'the woken poll', 30_000);
  expect(actions()).toEqual(['app_installed', 'login', 'user_change']);
  expect(stderr).not.toContain(SECRET);
  expect(stderr).not.toContain(FAKE_SLACK_ADMIN_TOKEN);
});
