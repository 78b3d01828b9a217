/** Harnesses for every store dialect: SQLite on a temp file, PostgreSQL on a fresh random schema. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../../../src/storage/index.js';
import { TABLES } from '../../../src/storage/schema.js';
import { clock } from './fixtures.js';
import type { StoreHarness } from './suite.js';

/** A temp file, so WAL, the checkpoint worker and a second connection are exercised for real. */
export async function sqliteHarness(): Promise<StoreHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'saaswatch-store-'));
  const path = join(dir, 'nested', 'store.db'); // parent dir created by openStore
  return {
    open: (o) => openStore({ dialect: 'sqlite', path, now: o?.now ?? clock }),
    async reset() {
      const db = new BetterSqlite3(path);
      try {
        db.pragma('busy_timeout = 5000');
        db.transaction(() => {
          for (const t of TABLES) db.prepare(`delete from "${t}"`).run();
        })();
      } finally {
        db.close();
      }
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh random schema per run, dropped afterwards, so parallel runs never meet. */
export async function postgresHarness(url: string): Promise<StoreHarness> {
  const schema = `sw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  return {
    open: (o) => openStore({ dialect: 'postgres', url, schema, poolSize: 4, now: o?.now ?? clock }),
    async reset() {
      await admin.query(`truncate ${TABLES.map((t) => `"${schema}"."${t}"`).join(', ')} restart identity cascade`);
    },
    async teardown() {
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    },
  };
}
