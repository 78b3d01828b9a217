import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../core/alert.js';
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

/** Migrates to version 1 only and stores one event as that version's table holds it. */
async function atVersion1WithOneEvent(migrator: Migrator, db: Kysely<any>): Promise<void> {
  const { error } = await migrator.migrateTo('001-initial');
  expect(error).toBeUndefined();
  const e = event(1);
  await db.insertInto('events').values({
    id: e.event.id, ts: T0 + 1000, ingested: T0, provider: 'json-logs', dataset: 'auth-logs', action: 'login', outcome: 'failure',
    user_email: 'u1@example.com', source_ip: '10.0.0.1', count: 1, doc: JSON.stringify(e),
  }).execute();
}

/** The events table's indexes, each with its columns (the primary key's shows as sqlite_autoindex_events_1). */
function indexes(path: string): string[] {
  const raw = new BetterSqlite3(path, { readonly: true });
  try {
    const rows = raw.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'events' order by name").all() as Array<{ name: string }>;
    return rows.map((r) => {
      const cols = raw.prepare(`select name from pragma_index_info(?) order by seqno`).pluck().all(r.name) as string[];
      return `${r.name}(${cols.join(',')})`;
    });
  } finally {
    raw.close();
  }
}

/** At version 6, one alert with a delivery being worked; then the latest version keeps it, as kind 'alert', and lets updates in beside it. */
async function version6To7(migrator: Migrator, db: Kysely<any>, open: () => ReturnType<typeof openStore>): Promise<void> {
  expect((await migrator.migrateTo('006-dead-letter-key')).error).toBeUndefined();
  const doc = { id: 'a1', dedupKey: 'k1', rule: 'r', title: 't', severity: 'high', entity: { type: 'user', value: 'u@example.com' }, windowStart: T0, windowEnd: T0, evidence: [], description: '', status: 'open', createdAt: new Date(T0).toISOString() };
  await db.insertInto('alerts').values({
    id: 'a1', dedup_key: 'k1', rule: 'r', severity: 'high', entity_type: 'user', entity_value: 'u@example.com', window_start: T0, window_end: T0,
    status: 'open', created_at: T0, updated_at: T0, doc: JSON.stringify(doc),
  }).execute();
  await db.insertInto('deliveries').values({
    id: 'd1', alert_id: 'a1', sink: 'soc', status: 'delivering', attempts: 2, next_attempt_at: T0, lease_until: T0 + 5, lease_owner: 'host:1:x',
    last_error: 'HTTP_RETRYABLE: 503', created_at: T0, updated_at: T0,
  }).execute();
  const store = await open();
  try {
    expect(await store.migrate()).toBe(LATEST_VERSION);
    expect(await store.listDeliveries()).toEqual([
      expect.objectContaining({ id: 'd1', alertId: 'a1', sink: 'soc', kind: 'alert', status: 'delivering', attempts: 2, leaseOwner: 'host:1:x', leaseUntil: T0 + 5, lastError: 'HTTP_RETRYABLE: 503' }),
    ]);
    expect((await store.getAlert('a1'))!.groupId).toBeUndefined();
    // A second 'alert' delivery of the alert to that sink is still refused; an update goes in beside it.
    await expect(db.insertInto('deliveries').values({ id: 'd2', alert_id: 'a1', sink: 'soc', kind: 'alert', status: 'pending', attempts: 0, next_attempt_at: T0, created_at: T0, updated_at: T0 }).execute()).rejects.toThrow();
    await db.insertInto('deliveries').values({ id: 'd3', alert_id: 'a1', sink: 'soc', kind: 'update', status: 'pending', attempts: 0, next_attempt_at: T0, created_at: T0, updated_at: T0 }).execute();
    // The alert stored before groups opens one when another of its entity comes.
    await store.saveAlerts([{ ...(doc as Alert), id: 'a2', dedupKey: 'k2', windowStart: T0 + 60_000 }], ['soc'], { groupWindowMs: 15 * 60_000 });
    expect((await store.listGroup('a1')).map((a) => a.id)).toEqual(['a1', 'a2']);
    expect((await store.listDeliveries({ alertId: 'a2' })).map((d) => d.kind)).toEqual(['update']);
  } finally {
    await store.close();
  }
}

describe('migrations', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('bring a database of version 1 to the latest version, keeping its events, dropping the unused event indexes and keying events by (time, id)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sw-migrate-'));
    const path = join(dir, 'v1.db');
    // A database as saaswatch left it with only migration 001, holding one event.
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path) }) });
    try {
      await atVersion1WithOneEvent(new Migrator({ db, provider: migrationProvider('sqlite') }), db);
    } finally {
      await db.destroy();
    }
    expect(indexes(path)).toEqual(['events_ip_ts(source_ip,ts)', 'events_ts(ts)', 'events_user_ts(user_email,ts)', 'sqlite_autoindex_events_1(id)']);

    const store = await openStore({ dialect: 'sqlite', path });
    try {
      expect(await store.migrate()).toBe(LATEST_VERSION);
      expect(LATEST_VERSION).toBeGreaterThanOrEqual(3);
      expect(await store.commitBatch({ source: 's', events: [event(1), event(2)] })).toMatchObject({ inserted: 1, duplicates: 1 });
      expect(await store.knownEventIds([{ id: 'evt-1', ts: T0 + 1000 }, { id: 'evt-2', ts: T0 + 2000 }, { id: 'evt-3', ts: T0 + 3000 }])).toEqual(new Set(['evt-1', 'evt-2']));
      expect((await store.queryEvents({ userEmail: 'u2@example.com' })).map((e) => e.event.id)).toEqual(['evt-2']);
      expect((await store.queryEvents({ sourceIp: '10.0.0.1', from: T0 })).map((e) => e.event.id)).toEqual(['evt-1']);
    } finally {
      await store.close();
    }
    // 011: what the REST API's user pages, searches and overview read by.
    expect(indexes(path)).toEqual(['events_ip_ts(source_ip,ts)', 'events_ts_provider(ts,provider,count)', 'events_user_ts(user_email,ts)', 'sqlite_autoindex_events_1(ts,id)']);
    // 005: what retention purges by.
    const raw = new BetterSqlite3(path, { readonly: true });
    try {
      const names = raw.prepare("select name from sqlite_master where type = 'index' and name in ('dead_letters_created', 'alerts_updated', 'deliveries_status_updated', 'audit_log_at') order by name").pluck().all();
      expect(names).toEqual(['alerts_updated', 'audit_log_at', 'dead_letters_created', 'deliveries_status_updated']);
      // The purge of finished deliveries reads that index, not the table.
      const plan = raw.prepare("explain query plan delete from deliveries where status in ('delivered', 'failed') and updated_at < 5").all() as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' | ')).toContain('deliveries_status_updated');
      // 008: mutes, refusing one that matches nothing in particular.
      expect(raw.prepare("select sql from sqlite_master where name = 'mutes'").pluck().get()).toMatch(/constraint "?mutes_pattern_check"? check \(rule is not null or entity_type is not null\)/);
      expect(raw.prepare("select name from pragma_table_info('mutes') order by cid").pluck().all()).toEqual([
        'id', 'rule', 'entity_type', 'entity_value', 'until', 'reason', 'actor', 'created_at', 'source', 'alert_id', 'removed_at', 'removed_by',
      ]);
    } finally {
      raw.close();
    }
  });

  it('bring a SQLite database of version 6 to 7, keeping its deliveries and their leases', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sw-migrate-'));
    const path = join(dir, 'v6.db');
    const raw = new BetterSqlite3(path);
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }) });
    try {
      await version6To7(new Migrator({ db, provider: migrationProvider('sqlite') }), db, () => openStore({ dialect: 'sqlite', path }));
    } finally {
      await db.destroy();
    }
  });

  const pgUrl = process.env.SAASWATCH_TEST_PG_URL;
  // A plain checkout may not have PostgreSQL; in CI a missing one is a failure, not a skip.
  it.skipIf(!pgUrl && process.env.CI !== 'true')('bring a PostgreSQL database of version 1 to the latest version, keeping its events and keying them by (time, id)', async () => {
    if (!pgUrl) throw new Error('SAASWATCH_TEST_PG_URL is not set: CI must start PostgreSQL first: export "$(bash .ci/start-postgres.sh)"');
    const schema = `sw_migrate_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const pool = new pg.Pool({ connectionString: pgUrl, options: `-c search_path=${schema}` });
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    try {
      await sql`create schema ${sql.id(schema)}`.execute(db);
      await atVersion1WithOneEvent(new Migrator({ db, provider: migrationProvider('postgres'), migrationTableSchema: schema }), db);
      const store = await openStore({ dialect: 'postgres', url: pgUrl!, schema });
      try {
        expect(await store.migrate()).toBe(LATEST_VERSION);
        expect(await store.commitBatch({ source: 's', events: [event(1), event(2)] })).toMatchObject({ inserted: 1, duplicates: 1 });
        expect(await store.knownEventIds([{ id: 'evt-1', ts: T0 + 1000 }, { id: 'evt-2', ts: T0 + 2000 }, { id: 'evt-3', ts: T0 + 3000 }])).toEqual(new Set(['evt-1', 'evt-2']));
      } finally {
        await store.close();
      }
      const { rows } = await sql<{ def: string }>`select pg_get_indexdef(indexrelid) as def from pg_index where indrelid = ${`${schema}.events`}::regclass order by 1`.execute(db);
      expect(rows.map((r) => r.def.replace(`${schema}.`, ''))).toEqual([
        'CREATE INDEX events_ip_ts ON events USING btree (source_ip, ts)',
        'CREATE INDEX events_ts_provider ON events USING btree (ts, provider, count)',
        'CREATE INDEX events_user_ts ON events USING btree (user_email, ts)',
        'CREATE UNIQUE INDEX events_pkey ON events USING btree (ts, id)',
      ]);
    } finally {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
    }
  });

  it.skipIf(!pgUrl && process.env.CI !== 'true')('bring a PostgreSQL database of version 6 to 7, keeping its deliveries and their leases', async () => {
    if (!pgUrl) throw new Error('SAASWATCH_TEST_PG_URL is not set: CI must start PostgreSQL first: export "$(bash .ci/start-postgres.sh)"');
    const schema = `sw_migrate_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const pool = new pg.Pool({ connectionString: pgUrl, options: `-c search_path=${schema}` });
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    try {
      await sql`create schema ${sql.id(schema)}`.execute(db);
      await version6To7(new Migrator({ db, provider: migrationProvider('postgres'), migrationTableSchema: schema }), db, () => openStore({ dialect: 'postgres', url: pgUrl!, schema }));
    } finally {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
    }
  });
});
