/**
 * Response actions through the real CLI against the Microsoft Graph fake (official SDK inside):
 * `actions` and `act` by hand, a policy run by `saaswatch run`, and a SIGKILL between "sent" and
 * "recorded" followed by a rerun that verifies the state and records it once.
 */
import BetterSqlite3 from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../src/core/testing.js';
import { generateUsers } from '../src/fakes/microsoft-graph/records.js';
import { directoryUser, startFakeGraph, type FakeGraph } from '../src/fakes/microsoft-graph/server.js';
import { runCli, startCli, tempDir, writeConfig } from './helpers.js';

const TENANT = '4d7a1d8e-3c0b-4f6e-9a55-1c2d3e4f5a6b';
const CLIENT = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const SECRET = 'Qz8~response-e2e-client-secret';
const NOW = '2026-11-03T12:00:00Z';
const env = { SAASWATCH_NOW: NOW };

const USERS = generateUsers({ count: 4, seed: 21 });
const [VICTIM, BYSTANDER, ADMIN] = USERS.map((u) => u.userPrincipalName.toLowerCase()) as [string, string, string];

let graph: FakeGraph | undefined;
afterEach(async () => {
  await graph?.close();
  graph = undefined;
});

/**
 * Twelve failed sign-ins against each of `users`, hours before NOW: the pack's brute-force-user rule
 * fires for each. Hours, because the Graph poller promises nothing newer than its settle window (1h)
 * and detectors judge no later than the oldest promise.
 */
function attackLog(dir: string, users: readonly string[]): string {
  const lines: string[] = [];
  const t0 = Date.parse(NOW) - 6 * 3_600_000;
  users.forEach((user, u) => {
    for (let i = 0; i < 12; i++) {
      lines.push(JSON.stringify({ time: new Date(t0 + u * 600_000 + i * 10_000).toISOString(), user, src_ip: `203.0.113.${10 + u}`, action: 'login', result: 'failure' }));
    }
  });
  const file = join(dir, 'auth.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function config(dir: string, g: FakeGraph, response: Record<string, unknown>, log?: string): string {
  return writeConfig(dir, {
    data_dir: join(dir, 'data'),
    // A long-running run serves the API: on a free port, never a fixed one another test may hold.
    server: { host: '127.0.0.1', port: 0 },
    sources: [
      ...(log ? [{ name: 'auth', type: 'json-logs', format: 'jsonl', path: log, fields: { timestamp: 'time', user: 'user', ip: 'src_ip', action: 'action', outcome: 'result' } }] : []),
      { name: 'm365', type: 'microsoft-graph', tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, base_url: g.url, login_url: g.loginUrl, streams: ['security_alerts'] },
    ],
    detection: [{ type: 'sigma' }],
    sinks: [{ type: 'jsonl-file', name: 'alerts-file' }],
    response: { interval: '200ms', ...response },
  });
}

async function fakeGraph(): Promise<FakeGraph> {
  graph = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, users: USERS.map((u) => directoryUser(u)) });
  return graph;
}

const patches = (g: FakeGraph) => g.requests.filter((r) => r.method === 'PATCH').length;

function actionRows(dir: string): Array<{ action: string; status: string; target_id: string; policy: string | null }> {
  const db = new BetterSqlite3(join(dir, 'data/saaswatch.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select action, status, target_id, policy from actions order by target_id, action').all() as never;
  } finally {
    db.close();
  }
}

describe('response actions by hand', () => {
  it('lists what can be done, dry-runs by default, refuses --execute until enabled, then disables the account once', async () => {
    const g = await fakeGraph();
    const dir = tempDir('sw-response-hand-');
    const dry = config(dir, g, {});

    const offers = await runCli(['-c', dry, 'actions', VICTIM], { env });
    expect(offers.code, offers.stderr).toBe(0);
    expect(offers.stdout).toMatch(new RegExp(`suspend-user\\s+m365\\s+dry-run only\\s+${VICTIM}`));
    expect(offers.stdout).toMatch(/sign-out-user\s+m365\s+dry-run only .*\[disruptive\]/);
    expect(offers.stdout).toMatch(/block-user\s+saaswatch\s+enabled/);

    const plan = await runCli(['-c', dry, 'act', 'suspend-user', VICTIM, '--reason', 'phished', '--by', 'ana'], { env });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`m365  suspend-user  ${VICTIM}: dry-run`);
    expect(plan.stdout).toMatch(/before: .*account_enabled=true/);
    expect(patches(g)).toBe(0);
    expect(g.user(VICTIM)!.accountEnabled).toBe(true);

    const refused = await runCli(['-c', dry, 'act', 'suspend-user', VICTIM, '--execute', '--reason', 'phished'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/suspend-user on .*not enabled for execution on m365 \(add suspend-user \(or m365\/suspend-user\) to response\.execute/);

    const live = config(dir, g, { execute: ['m365/suspend-user'] });
    const done = await runCli(['-c', live, 'act', 'suspend-user', VICTIM, '--execute', '--reason', 'phished', '--by', 'ana'], { env });
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`m365  suspend-user  ${VICTIM}: done`);
    expect(g.user(VICTIM)!.accountEnabled).toBe(false);
    expect(g.user(BYSTANDER)!.accountEnabled).toBe(true);

    const again = await runCli(['-c', live, 'act', 'suspend-user', VICTIM, '--execute', '--reason', 'phished'], { env });
    expect(again.stdout).toContain(`${VICTIM}: already`);
    expect(patches(g)).toBe(1);

    const audit = await runCli(['-c', live, 'audit', '--action', 'suspend-user', '--json'], { env });
    const entries = audit.stdout.trim().split('\n').map((l) => JSON.parse(l) as { actor: string; details: Record<string, unknown> });
    expect(entries.map((e) => [e.actor, e.details.outcome])).toEqual([['cli', 'already'], ['ana', 'done'], ['ana', 'dry-run']].map(([a, o]) => [a === 'cli' ? expect.any(String) : a, o]));
    expect(entries[1]!.details).toMatchObject({ before: { account_enabled: true }, after: { account_enabled: false }, reason: 'phished', source: 'm365' });
  });

  it('blocks and unblocks across services with scope and expiry, listed and audited', async () => {
    const g = await fakeGraph();
    const dir = tempDir('sw-response-block-');
    const cfg = config(dir, g, {});
    const b = await runCli(['-c', cfg, 'block', VICTIM.toUpperCase(), '--reason', 'exfiltration', '--for', '12h', '--scope', 'download', '--by', 'ana'], { env });
    expect(b.code, b.stderr).toBe(0);
    // The run's clock starts at SAASWATCH_NOW and moves on in real time: the expiry is 12 hours after the command ran.
    expect(b.stdout).toMatch(new RegExp(`^blocked ${VICTIM}  download only  until 2026-11-04T00:00:0\\d\\.\\d{3}Z  by ana`));
    const listed = await runCli(['-c', cfg, 'blocked', '--json'], { env });
    expect(JSON.parse(listed.stdout)).toMatchObject({ user: VICTIM, scope: 'download', reason: 'exfiltration', blocked_by: 'ana' });
    expect((await runCli(['-c', cfg, 'unblock', VICTIM, '--reason', ''], { env })).code).toBe(2);
    const u = await runCli(['-c', cfg, 'unblock', VICTIM, '--reason', 'cleared', '--by', 'ben'], { env });
    expect(u.code, u.stderr).toBe(0);
    expect((await runCli(['-c', cfg, 'unblock', VICTIM, '--reason', 'twice'], { env })).code).toBe(1);
    const audit = await runCli(['-c', cfg, 'audit', '--subject', VICTIM], { env });
    expect(audit.stdout.trim().split('\n').map((l) => l.split('  ').slice(1, 3))).toEqual([['ben', 'unblock'], ['ana', 'block']]);
    expect(patches(g)).toBe(0);
  });
});

describe('response policies in a run', () => {
  it('suspends the attacked accounts by policy, never the protected one, and past the rate limit alerts instead', async () => {
    const g = await fakeGraph();
    const dir = tempDir('sw-response-policy-');
    const log = attackLog(dir, [VICTIM, BYSTANDER, ADMIN, USERS[3]!.userPrincipalName.toLowerCase()]);
    const cfg = config(
      dir,
      g,
      {
        execute: ['suspend-user'],
        protected: [ADMIN],
        max_automatic_per_hour: 2,
        policies: [{ name: 'contain-brute-force', min_severity: 'high', include: { rules: ['rules/auth/brute-force-user'] }, actions: ['suspend-user'] }],
      },
      log,
    );
    const run = await runCli(['-c', cfg, 'run', '--once', '--no-progress'], { env });
    expect(run.code, run.stderr).toBe(0);
    const rows = actionRows(dir);
    expect(rows.map((r) => r.status).sort()).toEqual(['done', 'done', 'refused', 'refused']);
    expect(rows.find((r) => r.target_id === ADMIN)!.status).toBe('refused');
    expect(USERS.filter((u) => !g.user(u.userPrincipalName)!.accountEnabled)).toHaveLength(2);
    expect(g.user(ADMIN)!.accountEnabled).toBe(true);
    const alerts = await runCli(['-c', cfg, 'alerts', '--rule', 'response-rate-limit', '--json'], { env });
    expect(alerts.stdout.trim().split('\n')).toHaveLength(1);
    // Each automatic action is shown with its alert.
    const adminAlert = JSON.parse((await runCli(['-c', cfg, 'alerts', '--entity', `user:${ADMIN}`, '--json'], { env })).stdout.trim()) as { id: string };
    const shown = await runCli(['-c', cfg, 'alerts', 'show', adminAlert.id], { env });
    expect(shown.stdout).toMatch(new RegExp(`response: +suspend-user on ${ADMIN} via m365 \\(policy contain-brute-force\\): refused: ${ADMIN} is a protected account`));
    const audit = await runCli(['-c', cfg, 'audit', '--action', 'suspend-user', '--json'], { env });
    const outcomes = audit.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { actor: string; details: { outcome: string; policy: string } }));
    expect(outcomes.every((e) => e.actor === 'rule:rules/auth/brute-force-user' && e.details.policy === 'contain-brute-force')).toBe(true);
  });
});

describe('SIGKILL between sending an action and recording it', () => {
  it('the rerun finds the account disabled, records the action done once, and sends nothing again', async () => {
    const g = await fakeGraph();
    const dir = tempDir('sw-response-crash-');
    const log = attackLog(dir, [VICTIM]);
    const cfg = config(dir, g, { execute: ['suspend-user'], policies: [{ name: 'contain', include: { rules: ['rules/auth/brute-force-user'] }, actions: ['suspend-user'] }] }, log);
    // The PATCH is carried out and never answered.
    g.faults.hangAfterWrites = 1;
    const victim = startCli(['-c', cfg, 'run', '--no-progress'], { env });
    await waitUntil(() => g.user(VICTIM)?.accountEnabled === false, 'the fake to disable the account', 90_000);
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    expect(actionRows(dir)).toMatchObject([{ action: 'suspend-user', status: 'started', target_id: VICTIM }]);

    const rerun = await runCli(['-c', cfg, 'run', '--once', '--no-progress'], { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(actionRows(dir)).toMatchObject([{ action: 'suspend-user', status: 'done', target_id: VICTIM, policy: 'contain' }]);
    expect(patches(g)).toBe(1);
    const audit = await runCli(['-c', cfg, 'audit', '--action', 'suspend-user', '--json'], { env });
    const entries = audit.stdout.trim().split('\n').map((l) => JSON.parse(l) as { details: Record<string, unknown> });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.details).toMatchObject({ outcome: 'done', recovered: true, before: { account_enabled: true }, after: { account_enabled: false } });
  });
});
