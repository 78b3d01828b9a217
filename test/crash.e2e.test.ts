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
          { type: 'webhook', name: 'soc', url: `${receiver.url}?run=${name}`, backoff: { initial: '10ms', max: '50ms' } },
        ],
      }),
    };
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    input = bigInput(work);
  });
  afterAll(async () => receiver.close());

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

    // The receiver may see a retry of a send that was cut off by the kill, but it always carries the
    // same delivery id (the idempotency key), so each alert is delivered once per sink.
    const idsByKey = new Map<string, Set<string>>();
    for (const r of receiver.requests.filter((q) => q.url.includes('run=crash'))) {
      const key = String(JSON.parse(r.rawBody).alert.dedup_key);
      idsByKey.set(key, (idsByKey.get(key) ?? new Set()).add(String(r.headers['x-saaswatch-delivery'])));
    }
    expect([...idsByKey.keys()].sort()).toEqual(keys);
    for (const ids of idsByKey.values()) expect(ids.size).toBe(1);

    const lines = readFileSync(crash.alertsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.alert?.dedup_key ?? l.dedup_key).sort()).toEqual(keys);
    expect(new Set(lines.map((l) => l.delivery_id)).size).toBe(lines.length);
    const pending = query<{ n: number }>(crash.dbFile, "select count(*) as n from deliveries where status <> 'delivered'")[0]!.n;
    expect(pending).toBe(0);
  });
});
