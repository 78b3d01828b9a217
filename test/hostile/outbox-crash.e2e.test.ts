/**
 * Crash safety of the whole path, through the real CLI on both dialects: SIGKILL while a webhook
 * delivery is in flight, at several points of a 66k-line input and several batch sizes, with Sigma
 * on; the rerun stores every event once and delivers every alert exactly once to the jsonl file and
 * to the webhook receiver, leaving no delivery stuck.
 */
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, SAMPLE_SOURCE, startCli, startReceiver, tempDir, weeklySample, writeConfig, type CliResult, type ReceivedRequest } from '../helpers.js';
import { describeEachDialect, type DialectName } from './harness.js';

const COPIES = 5;
const DETECTION = [{ type: 'brute-force' }, { type: 'isolation-forest' }, { type: 'sigma' }];
/** The source as both runs read it: with lateness, detectors judge (and alerts go out) as the input is read, not at its end. */
const source = (path: string, batch: number) => ({ ...SAMPLE_SOURCE, path, batch_size: batch, lateness: '5m' });

/**
 * Where each run is killed: when the webhook receives its request for the alert at this fraction of
 * the alerts the input raises (in input order), and with which batch size. The request is left
 * unanswered, so the killed process dies holding that delivery's lease, mid-send.
 */
const CASES: Record<DialectName, Array<{ at: number; batch: number }>> = {
  sqlite: [{ at: 0.1, batch: 500 }, { at: 0.3, batch: 2_000 }, { at: 0.6, batch: 5_000 }],
  // PostgreSQL runs slower; one point (small batches: many commits) keeps the file within a few minutes.
  postgres: [{ at: 0.3, batch: 500 }],
};

const work = tempDir('sw-outbox-crash-');

let input: { file: string; lines: number };
/** Dedup keys of the alerts an uninterrupted run raises from the input. */
let expectedKeys: string[];
let receiver: Awaited<ReturnType<typeof startReceiver>>;
/** Per case (the `case` query parameter of its webhook URL): the request to hold and kill at, and the process to kill. */
const killAt = new Map<string, { request: number; victim?: ReturnType<typeof startCli>; killed?: boolean }>();

const caseOf = (r: ReceivedRequest) => new URL(r.url, 'http://x').searchParams.get('case') ?? '';

beforeAll(async () => {
  input = weeklySample(COPIES, work);
  receiver = await startReceiver((req) => {
    const plan = killAt.get(caseOf(req));
    if (!plan || plan.killed) return undefined;
    const seen = receiver.requests.filter((r) => caseOf(r) === caseOf(req)).length;
    if (seen < plan.request) return undefined;
    plan.killed = true;
    plan.victim!.child.kill('SIGKILL');
    return 'hang';
  });
  // The reference: one uninterrupted run, on SQLite, with no sink (which alerts, not how they travel).
  const dir = join(work, 'reference');
  const config = writeConfig(work, {
    data_dir: join(dir, 'data'),
    storage: { type: 'sqlite', retention: '3650d' },
    sources: [source(input.file, 2_000)],
    detection: DETECTION,
    sinks: [],
  });
  const ref = await runCli(['run', '--once', '--config', config, '--no-progress']);
  expect(ref.code, ref.stderr).toBe(0);
  const db = new BetterSqlite3(join(dir, 'data/saaswatch.db'), { readonly: true, fileMustExist: true });
  try {
    expectedKeys = (db.prepare('select dedup_key from alerts').all() as Array<{ dedup_key: string }>).map((r) => r.dedup_key).sort();
  } finally {
    db.close();
  }
  // Sigma's rules, brute-force and the isolation forest each flag every copy's attack.
  expect(expectedKeys.length).toBeGreaterThanOrEqual(COPIES * 3);
}, 180_000);

afterAll(async () => receiver?.close());

describeEachDialect('SIGKILL mid-delivery, then a rerun', (fresh, dialect) => {
  for (const { at, batch } of CASES[dialect]) {
    it(`killed at the ${at * 100}% alert's webhook send, batch ${batch}: every event stored once, every alert delivered exactly once to both sinks, nothing stuck`, async () => {
      const db = await fresh();
      const name = `${dialect}-${at}-${batch}`;
      const alertsFile = join(db.dir, 'data/alerts.jsonl');
      const config = db.config({
        data_dir: join(db.dir, 'data'),
        storage: { ...db.storage, retention: '3650d' },
        sources: [source(input.file, batch)],
        detection: DETECTION,
        sinks: [
          { type: 'jsonl-file', name: 'alerts-file', path: alertsFile },
          { type: 'webhook', name: 'soc', url: `${receiver.url}?case=${name}`, allow_networks: ['127.0.0.1'], backoff: { initial: '10ms', max: '50ms' } },
        ],
      });
      const plan: { request: number; victim?: ReturnType<typeof startCli>; killed?: boolean } = { request: Math.max(1, Math.round(at * expectedKeys.length)) };
      killAt.set(name, plan);
      plan.victim = startCli(['run', '--once', '--config', config, '--no-progress']);
      const killed: CliResult = await plan.victim.done;
      expect(killed.signal, killed.stderr).toBe('SIGKILL');

      // Some of the input was in (a late kill, with large batches, may find all of it in: deliveries
      // trail ingest by however long the sends take, which the machine's load decides); the send in
      // flight left its delivery leased either way.
      const storedAtKill = await db.count('events');
      expect(storedAtKill).toBeGreaterThan(0);
      expect(storedAtKill).toBeLessThanOrEqual(input.lines);
      if (at < 0.5) expect(storedAtKill).toBeLessThan(input.lines);
      const leased = await db.rows<{ sink: string }>("select sink from deliveries where status = 'delivering'");
      expect(leased.map((d) => d.sink)).toContain('soc');

      const rerun = await runCli(['run', '--once', '--config', config, '--no-progress']);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stdout).toMatch(new RegExp(`deliveries: ${expectedKeys.length * 2} delivered, 0 pending, 0 failed`));

      expect(await db.count('events')).toBe(input.lines);
      const alerts = await db.rows<{ id: string; dedup_key: string }>('select id, dedup_key from alerts');
      expect(alerts.map((a) => a.dedup_key).sort()).toEqual(expectedKeys);
      // Zero stuck: every delivery to every sink completed.
      expect(await db.rows("select sink, status from deliveries where status <> 'delivered'")).toEqual([]);
      const deliveryIds = new Map(
        (await db.rows<{ id: string; sink: string; dedup_key: string }>('select d.id, d.sink, a.dedup_key from deliveries d join alerts a on a.id = d.alert_id')).map((d) => [
          `${d.sink} ${d.dedup_key}`,
          d.id,
        ]),
      );

      // The file: each alert once, under its delivery id.
      expect(existsSync(alertsFile)).toBe(true);
      const lines = readFileSync(alertsFile, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { delivery_id: string; alert: { dedup_key: string } });
      expect(lines.map((l) => l.alert.dedup_key).sort()).toEqual(expectedKeys);
      for (const l of lines) expect(l.delivery_id).toBe(deliveryIds.get(`alerts-file ${l.alert.dedup_key}`));

      // The receiver: each alert under one delivery id. The send the kill cut off arrives again with the
      // same id (its receiver drops the repeat); nothing else is sent twice.
      const requests = receiver.requests.filter((r) => caseOf(r) === name);
      const idsByKey = new Map<string, Set<string>>();
      for (const r of requests) {
        const key = String((JSON.parse(r.rawBody) as { alert: { dedup_key: string } }).alert.dedup_key);
        idsByKey.set(key, (idsByKey.get(key) ?? new Set()).add(String(r.headers['x-saaswatch-delivery'])));
      }
      expect([...idsByKey.keys()].sort()).toEqual(expectedKeys);
      for (const [key, ids] of idsByKey) expect([...ids]).toEqual([deliveryIds.get(`soc ${key}`)]);
      const repeats = requests.length - idsByKey.size;
      expect(repeats).toBeGreaterThanOrEqual(1);
      expect(repeats).toBeLessThanOrEqual(leased.filter((d) => d.sink === 'soc').length);
    }, 150_000);
  }
});
