/**
 * Undelivered alerts are not a success: the real CLI exits 3 while a delivery is pending or failed and
 * says on stderr which sink, which alert and why; a delivery a killed process held goes out on the
 * next run. On both dialects.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/core/errors.js';
import { openStore } from '../../src/storage/index.js';
import { runCli, SAMPLE_SOURCE, startCli, startReceiver, type ReceivedRequest } from '../helpers.js';
import { describeEachDialect, type HostileDb } from './harness.js';

const T = Date.parse('2026-11-03T03:00:00Z');
const at = (ms: number) => ({ SAASWATCH_NOW: new Date(ms).toISOString() });
const ATTACKER = '203.0.113.77';

/** A password spray: 60 failed logins against 20 users in two minutes, enough for one brute-force alert. */
function sprayFile(dir: string): string {
  const start = Date.parse('2026-11-03T02:00:00Z');
  const lines = Array.from({ length: 60 }, (_, i) =>
    JSON.stringify({ time: new Date(start + i * 2_000).toISOString(), user: `u${i % 20}@example.com`, src_ip: ATTACKER, action: 'login', result: 'failure' }),
  );
  const file = join(dir, 'spray.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const receivers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(respond: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

/** A second saaswatch on the same database, as a test drives it: through the Store contract. */
function openSame(db: HostileDb) {
  const s = db.storage as { type: string; path?: string; url?: string; schema?: string };
  return s.type === 'sqlite' ? openStore({ dialect: 'sqlite', path: s.path! }) : openStore({ dialect: 'postgres', url: s.url!, ...(s.schema ? { schema: s.schema } : {}) });
}

const deliveryIds = (requests: ReceivedRequest[]) => requests.map((r) => String(r.headers['x-saaswatch-delivery']));

describeEachDialect('undelivered alerts', (fresh) => {
  it('a receiver that answers "later": exit 3 naming the sink, the alert, the attempts, the error and the next attempt; a later run delivers it and exits 0', async () => {
    const db = await fresh();
    const hook = await receiver((_req, i, res) => {
      if (i === 0) {
        res.writeHead(503, { 'retry-after': '3600' });
        res.end('down for maintenance');
      }
    });
    const port = new URL(hook.url).port;
    const cfg = db.config({ sources: [{ ...SAMPLE_SOURCE, path: undefined }], sinks: [{ type: 'webhook', name: 'soc', url: hook.url, allow_networks: ['127.0.0.1'] }] });
    const input = sprayFile(db.dir);

    const first = await runCli(['-c', cfg, 'ingest', input, '--no-progress'], { env: at(T) });
    expect(first.code, first.stderr).toBe(3);
    expect(first.stdout).toContain('deliveries: 0 delivered, 1 pending, 0 failed');
    const [row] = await db.rows<{ id: string; alert_id: string; status: string; attempts: number; next_attempt_at: number | string; rule: string }>(
      'select d.id, d.alert_id, d.status, d.attempts, d.next_attempt_at, a.rule from deliveries d join alerts a on a.id = d.alert_id',
    );
    expect(row).toMatchObject({ status: 'pending', attempts: 1, rule: 'brute-force' });
    const nextAt = new Date(Number(row!.next_attempt_at)).toISOString();
    // Retry-After, not the backoff: an hour after the refusal, on the run's clock.
    expect(Number(row!.next_attempt_at) - T).toBeGreaterThanOrEqual(3_600_000);
    expect(first.stderr.split('\n')).toEqual([
      `delivery pending: 1 alert to soc (webhook 127.0.0.1:${port}): HTTP_RETRYABLE: webhook 127.0.0.1:${port} responded 503: down for maintenance`,
      `  fix: ${ERROR_CATALOGUE.HTTP_RETRYABLE.fix}`,
      `  alert ${row!.alert_id} brute-force ip:${ATTACKER}: 1 attempt, next attempt ${nextAt}`,
      'pending deliveries go out when saaswatch next runs (`saaswatch run`, or any ingest) and their time comes',
      '',
    ]);
    expect(deliveryIds(hook.requests)).toEqual([row!.id]);

    // Two hours on, the retry is due: the next run sends it, with the same delivery id, and all is well.
    const second = await runCli(['-c', cfg, 'ingest', input, '--no-progress'], { env: at(T + 7_200_000) });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('deliveries: 1 delivered, 0 pending, 0 failed');
    expect(deliveryIds(hook.requests)).toEqual([row!.id, row!.id]);
    expect(await db.count('events')).toBe(60);
  });

  it('an alerts file the sink cannot write: exit 3 naming the path, the error and the fix, on every run until it is dealt with', async () => {
    const db = await fresh();
    // A folder where the file should be: refused whoever runs the test (root ignores permission bits).
    const path = join(db.dir, 'alerts.jsonl');
    mkdirSync(path);
    const cfg = db.config({ sources: [{ ...SAMPLE_SOURCE, path: undefined }], sinks: [{ type: 'jsonl-file', name: 'alerts-file', path }] });
    const input = sprayFile(db.dir);
    for (const run of [T, T + 3_600_000]) {
      const r = await runCli(['-c', cfg, 'ingest', input, '--no-progress'], { env: at(run) });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout).toContain('deliveries: 0 delivered, 0 pending, 1 failed');
      // The report, without the log line (JSON) of the first run's failed attempt.
      const lines = r.stderr.split('\n').filter((l) => !l.startsWith('{'));
      expect(lines[0]).toBe(`delivery failed: 1 alert to alerts-file (jsonl-file ${path}): CONFIG_INVALID: ${path}: could not open it: EISDIR: illegal operation on a directory, read (point path at a file in a writable folder)`);
      expect(lines[1]).toBe(`  fix: ${ERROR_CATALOGUE.CONFIG_INVALID.fix}`);
      expect(lines[2]).toMatch(new RegExp(`^  alert \\S+ brute-force ip:${ATTACKER.replace(/\./g, '\\.')}: 1 attempt$`));
      expect(lines.slice(3)).toEqual(['failed deliveries are not retried by themselves: fix the cause, then `saaswatch deliveries --retry`', '']);
    }
    expect(await db.count('deliveries')).toBe(1);
    // The operator sees it, fixes the cause and queues it again: the next run delivers it, once.
    const listed = await runCli(['-c', cfg, 'deliveries'], { env: at(T + 7_200_000) });
    expect(listed.code).toBe(3);
    expect(listed.stdout).toMatch(/ failed {5}alerts-file alert \S+ {2}1 attempt {2}CONFIG_INVALID: .*EISDIR/);
    rmdirSync(path);
    const retried = await runCli(['-c', cfg, 'deliveries', '--retry'], { env: at(T + 7_200_000) });
    expect([retried.code, retried.stdout]).toEqual([0, '1 failed delivery queued again; the next `saaswatch run` (or a running one, or any ingest) sends it\n']);
    const healed = await runCli(['-c', cfg, 'ingest', input, '--no-progress'], { env: at(T + 7_200_000) });
    expect(healed.code, healed.stderr).toBe(0);
    expect(healed.stdout).toContain('deliveries: 1 delivered, 0 pending, 0 failed');
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
    expect((await runCli(['-c', cfg, 'deliveries', '--status', 'delivered'], { env: at(T + 7_200_000) })).code).toBe(0);
  });

  it('a delivery held by a process killed mid-send goes out on the next run, once its lease runs out, under the same delivery id', async () => {
    const db = await fresh();
    let victim: ReturnType<typeof startCli> | undefined;
    // The first process dies while its request is in flight: sent, never answered, never recorded.
    const hook = await receiver((_req, i) => {
      if (i > 0) return undefined;
      victim!.child.kill('SIGKILL');
      return 'hang';
    });
    const cfg = db.config({ sources: [{ ...SAMPLE_SOURCE, path: undefined }], sinks: [{ type: 'webhook', name: 'soc', url: hook.url, allow_networks: ['127.0.0.1'] }] });
    const input = sprayFile(db.dir);
    victim = startCli(['-c', cfg, 'ingest', input, '--no-progress'], { env: at(T) });
    expect((await victim.done).signal).toBe('SIGKILL');
    const [held] = await db.rows<{ id: string; status: string; lease_owner: string | null }>('select id, status, lease_owner from deliveries');
    expect(held).toMatchObject({ status: 'delivering' });
    expect(held!.lease_owner).toMatch(/^[^:]+:\d+:[0-9a-f]{8}$/);

    // Started at once: the dead process's lease is still running, so the rerun waits it out (seconds, not minutes).
    const second = await runCli(['-c', cfg, 'ingest', input, '--no-progress'], { env: at(T + 60_000) });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('deliveries: 1 delivered, 0 pending, 0 failed');
    expect(deliveryIds(hook.requests)).toEqual([held!.id, held!.id]);
    expect(await db.rows('select status, attempts, lease_owner from deliveries')).toEqual([{ status: 'delivered', attempts: 2, lease_owner: null }]);
  });

  it('a delivery another live process is sending: the run leaves it alone, exits 3 and says who holds it until when', async () => {
    const db = await fresh();
    const hook = await receiver((_req, i, res) => {
      if (i === 0) {
        res.writeHead(503, { 'retry-after': '3600' });
        res.end();
      }
    });
    const cfg = db.config({ sources: [{ ...SAMPLE_SOURCE, path: undefined }], sinks: [{ type: 'webhook', name: 'soc', url: hook.url, allow_networks: ['127.0.0.1'] }] });
    const input = sprayFile(db.dir);
    expect((await runCli(['-c', cfg, 'ingest', input, '--no-progress'], { env: at(T) })).code).toBe(3);

    // Another saaswatch, alive (its lease ends long after this test), has just claimed the retry.
    const other = await openSame(db);
    const leaseEnd = Date.parse('2100-01-01T01:00:00.000Z');
    try {
      const claimed = await other.claimDeliveries(T + 7_200_000, 10, { owner: 'live-host:4242:0badf00d', now: leaseEnd - 3_600_000, ms: 3_600_000 });
      expect(claimed).toHaveLength(1);
    } finally {
      await other.close();
    }
    const [row] = await db.rows<{ alert_id: string }>('select alert_id from deliveries');

    const second = await runCli(['-c', cfg, 'ingest', input, '--no-progress'], { env: at(T + 7_200_000) });
    expect(second.code, second.stderr).toBe(3);
    expect(second.stdout).toContain('deliveries: 0 delivered, 1 pending, 0 failed');
    expect(second.stderr.split('\n')).toEqual([
      `delivery pending: 1 alert to soc (webhook 127.0.0.1:${new URL(hook.url).port}): being delivered by live-host:4242:0badf00d, lease until 2100-01-01T01:00:00.000Z`,
      `  alert ${row!.alert_id} brute-force ip:${ATTACKER}: 2 attempts`,
      'pending deliveries go out when saaswatch next runs (`saaswatch run`, or any ingest) and their time comes',
      '',
    ]);
    // Not sent again behind the holder's back.
    expect(hook.requests).toHaveLength(1);
    expect(await db.rows('select status, lease_owner from deliveries')).toEqual([{ status: 'delivering', lease_owner: 'live-host:4242:0badf00d' }]);
  });
});
