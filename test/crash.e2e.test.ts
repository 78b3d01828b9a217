/** Crash safety: SIGKILL mid-ingest, re-run, and nothing is lost, doubled, or delivered twice. */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, SAMPLE, SAMPLE_SOURCE, startCli, startReceiver, tempDir, writeConfig } from './helpers.js';

const COPIES = 8;
const DAY = 86_400_000;

/** The sample repeated with shifted timestamps: a long ingest with one attack per copy. */
function bigInput(dir: string): { file: string; lines: number } {
  const base = readFileSync(SAMPLE, 'utf8').trim().split('\n');
  const out: string[] = [];
  for (let c = 0; c < COPIES; c++) {
    for (const line of base) {
      const rec = JSON.parse(line) as { time: string };
      // Weeks before the sample and moving forward, as a real log would: future dates are rejected.
      rec.time = new Date(Date.parse(rec.time) - (COPIES - c) * 7 * DAY).toISOString();
      out.push(JSON.stringify(rec));
    }
  }
  const file = join(dir, 'big.jsonl');
  writeFileSync(file, out.join('\n') + '\n');
  return { file, lines: out.length };
}

function query<T>(db: string, sql: string): T[] {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

describe('crash safety', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let input: { file: string; lines: number };
  const work = tempDir('sw-crash-');

  const configFor = (name: string) => {
    const dir = join(work, name);
    return {
      dbFile: join(dir, 'data/saaswatch.db'),
      alertsFile: join(dir, 'data/alerts.jsonl'),
      config: writeConfig(work, {
        data_dir: join(dir, 'data'),
        storage: { type: 'sqlite', retention: '3650d' },
        sources: [{ ...SAMPLE_SOURCE, path: input.file, batch_size: 500 }],
        sinks: [
          { type: 'jsonl-file', name: 'alerts-file' },
          { type: 'webhook', name: 'soc', url: `${receiver.url}?run=${name}`, allow_networks: ['127.0.0.1'], backoff: { initial: '10ms', max: '50ms' } },
        ],
      }),
    };
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    input = bigInput(work);
  });
  afterAll(async () => receiver.close());

  // Three CLI runs over the whole input: minutes on a loaded 2-core machine, so a bound of its own.
  it('SIGKILL mid-ingest then re-run: every event stored once, every alert delivered once', async () => {
    const ref = configFor('reference');
    const refRun = await runCli(['run', '--config', ref.config, '--no-progress']);
    expect(refRun.code, refRun.stderr).toBe(0);
    const expectedKeys = query<{ dedup_key: string }>(ref.dbFile, 'select dedup_key from alerts').map((r) => r.dedup_key).sort();
    expect(expectedKeys.length).toBeGreaterThanOrEqual(COPIES * 2);

    const crash = configFor('crash');
    const first = startCli(['run', '--config', crash.config, '--no-progress']);
    // Kill once a real part (not all) of the input is committed.
    let stored = 0;
    for (let i = 0; i < 600 && stored < input.lines * 0.3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (existsSync(crash.dbFile)) {
        try {
          stored = query<{ n: number }>(crash.dbFile, 'select count(*) as n from events')[0]!.n;
        } catch {
          // schema not created yet
        }
      }
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = query<{ n: number }>(crash.dbFile, 'select count(*) as n from events')[0]!.n;
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(input.lines);

    const second = await runCli(['run', '--config', crash.config, '--no-progress']);
    expect(second.code, second.stderr).toBe(0);

    expect(query<{ n: number }>(crash.dbFile, 'select count(*) as n from events')[0]!.n).toBe(input.lines);
    const keys = query<{ dedup_key: string }>(crash.dbFile, 'select dedup_key from alerts').map((r) => r.dedup_key).sort();
    expect(keys).toEqual(expectedKeys);

    // A delivery the kill caught in flight stays leased by the dead process until the lease runs out,
    // then goes (again, if it had gone out) with the same delivery id. Every other one completed.
    const unfinished = query<{ status: string; lease_until: number | null; sink: string; dedup_key: string }>(
      crash.dbFile,
      "select d.status, d.lease_until, d.sink, a.dedup_key from deliveries d join alerts a on a.id = d.alert_id where d.status <> 'delivered'",
    );
    for (const d of unfinished) {
      expect(d.status, `${d.sink} ${d.dedup_key}`).toBe('delivering');
      expect(d.lease_until!, `${d.sink} ${d.dedup_key}`).toBeGreaterThan(Date.now());
    }
    // At most what the outbox had in flight when the process died.
    expect(unfinished.length).toBeLessThanOrEqual(4);
    const inFlight = (sink: string) => new Set(unfinished.filter((d) => d.sink === sink).map((d) => d.dedup_key));
    /** Each alert reached the sink once, except one caught in flight, which it may or may not have reached. */
    const reachedOnce = (sink: string, got: string[]) => {
      const maybe = inFlight(sink);
      expect(got.filter((k) => !maybe.has(k)).sort(), sink).toEqual(keys.filter((k) => !maybe.has(k)));
      expect(new Set(got).size, sink).toBe(got.length);
    };

    // The receiver may see a retry of a send that was cut off by the kill, but it always carries the
    // same delivery id (the idempotency key), so each alert is delivered once per sink.
    const idsByKey = new Map<string, Set<string>>();
    for (const r of receiver.requests.filter((q) => q.url.includes('run=crash'))) {
      const key = String(JSON.parse(r.rawBody).alert.dedup_key);
      idsByKey.set(key, (idsByKey.get(key) ?? new Set()).add(String(r.headers['x-saaswatch-delivery'])));
    }
    reachedOnce('soc', [...idsByKey.keys()]);
    for (const ids of idsByKey.values()) expect(ids.size).toBe(1);

    const lines = readFileSync(crash.alertsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    reachedOnce('alerts-file', lines.map((l) => l.alert?.dedup_key ?? l.dedup_key));
    expect(new Set(lines.map((l) => l.delivery_id)).size).toBe(lines.length);
  }, 240_000);
});
