/**
 * What every hostile-input test shares: a fresh database per test on each dialect (SQLite always,
 * PostgreSQL when SAASWATCH_TEST_PG_URL is set, required in CI), a config that points at it, and
 * row counts read straight from the tables, so a test judges what was stored, not what was printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, it } from 'vitest';
import { writeConfig } from '../helpers.js';

export type DialectName = 'sqlite' | 'postgres';

export interface HostileDb {
  dialect: DialectName;
  /** A temp folder for this test's config, inputs and data files. */
  dir: string;
  /** The `storage:` section of a config that uses this database. */
  storage: Record<string, unknown>;
  /** Writes `saaswatch.yml` in `dir` with this database as storage; returns its path. */
  config(rest?: Record<string, unknown>): string;
  /** Rows in one table (`events`, `dead_letters`, `alerts`, `deliveries`, ...). */
  count(table: string): Promise<number>;
  /** Any read-only query; `?` placeholders on both dialects. */
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

const pgUrl = process.env.SAASWATCH_TEST_PG_URL;

async function openDb(dialect: DialectName): Promise<HostileDb & { close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `sw-hostile-${dialect}-`));
  if (dialect === 'sqlite') {
    const path = join(dir, 'data', 'saaswatch.db');
    const query = <T>(sql: string, params: unknown[] = []): T[] => {
      const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    };
    const storage = { type: 'sqlite', path };
    return {
      dialect,
      dir,
      storage,
      config: (rest = {}) => writeConfig(dir, { storage, ...rest }),
      count: async (table) => Number(query<{ n: number }>(`select count(*) as n from "${table}"`)[0]!.n),
      rows: async (sql, params) => query(sql, params),
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `sw_hostile_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`set search_path to "${schema}"`);
  const storage = { type: 'postgres', url: pgUrl, schema };
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    let i = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows as T[];
  };
  return {
    dialect,
    dir,
    storage,
    config: (rest = {}) => writeConfig(dir, { storage, ...rest }),
    count: async (table) => Number((await query<{ n: string }>(`select count(*) as n from "${table}"`))[0]!.n),
    rows: query,
    async close() {
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Declares `body` once per dialect; `await fresh()` inside a test opens that test's own database,
 * removed after the test. Without SAASWATCH_TEST_PG_URL the PostgreSQL half is skipped, except in
 * CI, where it fails.
 */
export function describeEachDialect(title: string, body: (fresh: () => Promise<HostileDb>, dialect: DialectName) => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    if (dialect === 'postgres' && !pgUrl) {
      if (process.env.CI === 'true') {
        describe(`${title} (postgres)`, () => {
          it('needs SAASWATCH_TEST_PG_URL in CI', () => {
            throw new Error('SAASWATCH_TEST_PG_URL is not set: CI must start PostgreSQL first: export "$(bash .ci/start-postgres.sh)"');
          });
        });
      } else {
        describe.skip(`${title} (postgres: skipped, SAASWATCH_TEST_PG_URL not set)`, () => body(() => Promise.reject(new Error('skipped')), dialect));
      }
      continue;
    }
    describe(`${title} (${dialect})`, () => {
      const opened: Array<Promise<HostileDb & { close(): Promise<void> }>> = [];
      afterEach(async () => {
        const all = await Promise.all(opened.splice(0));
        await Promise.all(all.map((d) => d.close()));
      });
      body(() => {
        const db = openDb(dialect);
        opened.push(db);
        return db;
      }, dialect);
    });
  }
}
