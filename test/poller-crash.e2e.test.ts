/** Restartable polling: SIGKILL a real `saaswatch run --once` mid-backfill, run again, lose and double nothing. */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTeamEvents, startFakeDropbox, type FakeDropbox } from '../src/fakes/dropbox/server.js';
import { createServiceAccountKey, generateActivities, startFakeGoogle, type FakeGoogle } from '../src/fakes/google/index.js';
import { runCli, startCli, tempDir, writeConfig } from './helpers.js';

const DAY = 86_400_000;
/** Where the killed run starts in time (SAASWATCH_NOW), and the second run ten minutes later, well after the first was killed. */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const RERUN = T0 + 10 * 60_000;
const at = (ms: number) => ({ SAASWATCH_NOW: new Date(ms).toISOString() });

/** A row count. Any SQL error fails the test: a typo or a renamed table must not read as "0 rows". */
function count(db: string, sql: string): number {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (conn.prepare(sql).get() as { n: number }).n;
  } finally {
    conn.close();
  }
}

/** Events stored so far by a run that may still be creating its database: only "not there yet" counts as 0. */
function eventsSoFar(db: string): number {
  if (!existsSync(db)) return 0;
  try {
    return count(db, 'select count(*) as n from events');
  } catch (err) {
    if (err instanceof Error && err.message.includes('no such table: events')) return 0;
    throw err;
  }
}

describe('restartable polling', () => {
  let google: FakeGoogle | undefined;
  let dropbox: FakeDropbox | undefined;
  afterAll(async () => {
    await google?.close();
    await dropbox?.close();
  });

  it('SIGKILL mid-backfill and a second run store every Google and Dropbox event exactly once', async () => {
    const key = createServiceAccountKey();
    const activities = generateActivities({ count: 4_000, from: T0 - 2 * DAY, to: T0 - 60_000, seed: 3 });
    const googleEvents = activities.reduce((n, a) => n + a.events.length, 0);
    google = await startFakeGoogle({ serviceAccounts: [key], activities });
    const teamEvents = generateTeamEvents({ count: 6_000, start: T0 - 2 * DAY, spanMs: DAY, seed: 5 });
    dropbox = await startFakeDropbox({ events: teamEvents, accessToken: 'tok', appSecret: 'sec' });

    const dir = tempDir('sw-poll-crash-');
    const db = join(dir, 'data/saaswatch.db');
    const config = writeConfig(dir, {
      data_dir: join(dir, 'data'),
      sources: [
        { type: 'google-workspace', name: 'google', credentials: JSON.stringify(key.json), subject: 'admin@example.com', base_url: google.url, token_url: google.tokenUrl, backfill: '3d', window: '2h', page_size: 50 },
        { type: 'dropbox', name: 'dropbox', access_token: 'tok', app_secret: 'sec', base_url: dropbox.url, backfill: '3d', page_size: 50 },
      ],
      sinks: [{ type: 'jsonl-file', name: 'alerts-file' }],
    });

    const first = startCli(['run', '--once', '--config', config, '--no-progress'], { env: at(T0) });
    const total = googleEvents + teamEvents.length;
    for (let i = 0; i < 600 && eventsSoFar(db) < total * 0.3; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const afterKill = count(db, 'select count(*) as n from events');
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(total);

    const second = await runCli(['run', '--once', '--config', config, '--no-progress'], { env: at(RERUN) });
    expect(second.code, second.stderr).toBe(0);
    expect(count(db, "select count(*) as n from events where provider = 'google-workspace'")).toBe(googleEvents);
    expect(count(db, "select count(*) as n from events where provider = 'dropbox'")).toBe(teamEvents.length);
    expect(count(db, 'select count(*) as n from dead_letters')).toBe(0);
    expect(second.stdout).toMatch(/\(([\d,]+) new, ([\d,]+) already stored\)/);
  });
});
