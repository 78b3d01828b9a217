import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../core/event.js';
import { LATEST_VERSION, openStore } from '../index.js';
import { migrationProvider } from './index.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');

function event(n: number): SecurityEvent {
  return {
    '@timestamp': new Date(T0 + n * 1000).toISOString(),
    event: {
      id: `evt-${n}`, kind: 'event', category: ['authentication'], action: 'login', outcome: 'failure',
      provider: 'json-logs', dataset: 'auth-logs', ingested: new Date(T0).toISOString(),
    },
    user: { email: `u${n}@example.com` },
    source: { ip: `10.0.0.${n}` },
    raw: { seq: n },
  };
}

function indexes(path: string): string[] {
  const raw = new BetterSqlite3(path, { readonly: true });
  try {
    const rows = raw.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'events' and name not like 'sqlite_%' order by name").all() as Array<{ name: string }>;
    return rows.map((r) => r.name);
  } finally {
    raw.close();
  }
}

describe('migrations', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('bring a database of version 1 to the latest version, keeping its events and dropping the unused event indexes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sw-migrate-'));
    const path = join(dir, 'v1.db');
    // A database as saaswatch left it with only migration 001, holding one event.
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path) }) });
    try {
      const { error } = await new Migrator({ db, provider: migrationProvider('sqlite') }).migrateTo('001-initial');
      expect(error).toBeUndefined();
      const e = event(1);
      await db.insertInto('events').values({
        id: e.event.id, ts: T0 + 1000, ingested: T0, provider: 'json-logs', dataset: 'auth-logs', action: 'login', outcome: 'failure',
        user_email: 'u1@example.com', source_ip: '10.0.0.1', count: 1, doc: JSON.stringify(e),
      }).execute();
    } finally {
      await db.destroy();
    }
    expect(indexes(path)).toEqual(['events_ip_ts', 'events_ts', 'events_user_ts']);

    const store = await openStore({ dialect: 'sqlite', path });
    try {
      expect(await store.migrate()).toBe(LATEST_VERSION);
      expect(LATEST_VERSION).toBeGreaterThanOrEqual(2);
      expect(await store.commitBatch({ source: 's', events: [event(1), event(2)] })).toMatchObject({ inserted: 1, duplicates: 1 });
      expect((await store.queryEvents({ userEmail: 'u2@example.com' })).map((e) => e.event.id)).toEqual(['evt-2']);
      expect((await store.queryEvents({ sourceIp: '10.0.0.1', from: T0 })).map((e) => e.event.id)).toEqual(['evt-1']);
    } finally {
      await store.close();
    }
    expect(indexes(path)).toEqual(['events_ts']);
  });
});
