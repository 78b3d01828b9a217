/** The one place where SQLite and PostgreSQL differ: connecting, write transactions, the event fast path, row locks. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type SelectQueryBuilder } from 'kysely';
import pg from 'pg';
import { SaaswatchError } from '../core/errors.js';
import { Checkpointer } from './checkpointer.js';
import type { DialectName } from './dialect-name.js';
import type { Database, EventsTable } from './schema.js';

export type { DialectName };

export const EVENT_COLUMNS = [
  'id', 'ts', 'ingested', 'provider', 'dataset', 'action', 'outcome', 'user_email', 'source_ip', 'count', 'doc',
] as const satisfies ReadonlyArray<keyof EventsTable>;

/** Bound-parameter ceilings: SQLite's SQLITE_MAX_VARIABLE_NUMBER and PostgreSQL's wire-protocol Int16. */
export const MAX_PARAMS: Record<DialectName, number> = { sqlite: 32_766, postgres: 65_535 };

export interface Backend {
  readonly name: DialectName;
  readonly db: Kysely<Database>;
  /** PostgreSQL schema holding the tables, when not the default search_path. */
  readonly schema?: string;
  /** Runs `fn` in one write transaction; `fn` must use the handle it is given, and never nest. */
  writeTx<T>(fn: (tx: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Runs `fn` while no other writer of this process touches the same database (migrations). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Inserts events, ignoring known ids; returns how many were new. Call only inside writeTx. */
  insertEvents(tx: Kysely<Database>, rows: EventsTable[]): Promise<number>;
  /** The ids among `ids` that are stored already. */
  knownEventIds(ids: readonly string[]): Promise<Set<string>>;
  /** Makes a row selection skip rows other transactions hold (PG); SQLite's write lock already serializes. */
  skipLocked<TB extends keyof Database, O>(qb: SelectQueryBuilder<Database, TB, O>): SelectQueryBuilder<Database, TB, O>;
  /** Locks selected rows until commit (PG); SQLite's write lock already serializes. */
  forUpdate<TB extends keyof Database, O>(qb: SelectQueryBuilder<Database, TB, O>): SelectQueryBuilder<Database, TB, O>;
  close(): Promise<void>;
}

/** Rows per multi-row statement for a table with `columns` columns, within the dialect's parameter limit. */
export function chunkRows(dialect: DialectName, columns: number, cap = 5_000): number {
  return Math.max(1, Math.min(cap, Math.floor(MAX_PARAMS[dialect] / columns)));
}

/** Serializes async work; used per SQLite file so two Store instances in one process never wait on each other's lock. */
class AsyncMutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

// better-sqlite3 waits for a lock synchronously (busy_timeout), blocking the event loop; if the holder is another
// connection of this same process, it can never release it. So in-process writers to one file queue here instead.
const sqliteFileMutexes = new Map<string, AsyncMutex>();

function fileMutex(path: string): AsyncMutex {
  if (path === ':memory:' || path === '') return new AsyncMutex();
  const key = resolve(path);
  let m = sqliteFileMutexes.get(key);
  if (!m) {
    m = new AsyncMutex();
    sqliteFileMutexes.set(key, m);
  }
  return m;
}

// Rows per prepared insert: measured in bench.ts; larger statements gain nothing once per-row work dominates.
const SQLITE_EVENT_CHUNK = chunkRows('sqlite', EVENT_COLUMNS.length, 200);

export function openSqlite(path: string): Backend {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(resolve(path)), { recursive: true });
  const raw = new BetterSqlite3(path);
  try {
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('busy_timeout = 5000');
    raw.pragma('foreign_keys = ON');
    // Random event ids and per-user keys touch index pages all over; a 2 MB default cache re-reads them constantly.
    raw.pragma('cache_size = -65536');
    raw.pragma('temp_store = MEMORY');
    // After a reset, shrink the WAL file back instead of keeping its high-water size forever.
    raw.pragma('journal_size_limit = 67108864');
  } catch (err) {
    raw.close();
    throw err;
  }
  // Checkpointing on commit makes every few batches wait for an fsync of scattered pages: more than half the
  // insert time in bench.ts. A worker connection checkpoints instead; inline checkpoints return if it fails.
  let checkpointer: Checkpointer | undefined;
  if (path !== ':memory:' && path !== '') {
    raw.pragma('wal_autocheckpoint = 0');
    checkpointer = Checkpointer.start(resolve(path), () => {
      if (raw.open) raw.pragma('wal_autocheckpoint = 1000');
    });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const mutex = fileMutex(path);

  // Kysely compiles and prepares every query anew; for the hot insert a cached statement saves most of the cost.
  const statements = new Map<number, BetterSqlite3.Statement>();
  const insertStatement = (rows: number): BetterSqlite3.Statement => {
    let stmt = statements.get(rows);
    if (!stmt) {
      const tuple = `(${EVENT_COLUMNS.map(() => '?').join(',')})`;
      stmt = raw.prepare(
        `insert into "events" (${EVENT_COLUMNS.map((c) => `"${c}"`).join(',')}) values ${Array(rows).fill(tuple).join(',')} ` +
          'on conflict ("id") do nothing',
      );
      // Only the full-chunk statement recurs every batch; remainders vary, so keep the cache small.
      if (statements.size < 16) statements.set(rows, stmt);
    }
    return stmt;
  };

  // Every id of a fresh batch is looked up before detection; compiling a 500-parameter query per
  // chunk through Kysely cost more than the lookups.
  const KNOWN_CHUNK = 500;
  const knownStatements = new Map<number, BetterSqlite3.Statement>();
  const knownStatement = (n: number): BetterSqlite3.Statement => {
    let stmt = knownStatements.get(n);
    if (!stmt) {
      stmt = raw.prepare(`select "id" from "events" where "id" in (${Array(n).fill('?').join(',')})`).pluck();
      if (knownStatements.size < 16) knownStatements.set(n, stmt);
    }
    return stmt;
  };

  let closed = false;
  return {
    name: 'sqlite',
    db,
    writeTx: (fn) =>
      mutex.run(() =>
        db.connection().execute(async (conn) => {
          // IMMEDIATE takes the write lock up front: a deferred transaction that reads then writes can deadlock
          // against another process and fail with SQLITE_BUSY without ever waiting.
          await sql`begin immediate`.execute(conn);
          try {
            const result = await fn(conn);
            await sql`commit`.execute(conn);
            return result;
          } catch (err) {
            // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); nothing more to undo then.
            if (raw.inTransaction) await sql`rollback`.execute(conn);
            throw err;
          }
        }),
      ),
    exclusive: (fn) => mutex.run(fn),
    async insertEvents(_tx, rows) {
      // Runs on the raw handle, which is the connection the enclosing writeTx holds: same transaction.
      if (!raw.inTransaction) throw new SaaswatchError('INTERNAL', 'insertEvents called outside a write transaction');
      // Key order makes successive inserts land on neighbouring index pages: measurably fewer page visits.
      rows = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      let inserted = 0;
      const width = EVENT_COLUMNS.length;
      for (let start = 0; start < rows.length; start += SQLITE_EVENT_CHUNK) {
        const end = Math.min(rows.length, start + SQLITE_EVENT_CHUNK);
        const params: unknown[] = new Array((end - start) * width);
        let p = 0;
        for (let i = start; i < end; i++) {
          const r = rows[i]!;
          params[p++] = r.id;
          params[p++] = r.ts;
          params[p++] = r.ingested;
          params[p++] = r.provider;
          params[p++] = r.dataset;
          params[p++] = r.action;
          params[p++] = r.outcome;
          params[p++] = r.user_email;
          params[p++] = r.source_ip;
          params[p++] = r.count;
          params[p++] = r.doc;
        }
        inserted += insertStatement(end - start).run(params).changes;
      }
      return inserted;
    },
    knownEventIds: (ids) =>
      // Read through the mutex: a writer of this process mid-transaction on the same handle would
      // otherwise let this read see its uncommitted rows.
      mutex.run(async () => {
        const known = new Set<string>();
        for (let i = 0; i < ids.length; i += KNOWN_CHUNK) {
          const chunk = ids.slice(i, i + KNOWN_CHUNK);
          for (const id of knownStatement(chunk.length).all(chunk) as string[]) known.add(id);
        }
        return known;
      }),
    skipLocked: (qb) => qb,
    forUpdate: (qb) => qb,
    async close() {
      if (closed) return;
      closed = true;
      // Worker first: the last connection to close checkpoints the WAL into the database file and removes it.
      await checkpointer?.stop();
      await mutex.run(() => db.destroy());
    },
  };
}

const INT8_OID = 20;

// Epoch-ms timestamps, serial ids and count(*) are int8; all stay far below 2^53, so plain numbers are exact.
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openPostgres(opts: { url: string; schema?: string; poolSize?: number }): Promise<Backend> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    throw new SaaswatchError('CONFIG_INVALID', `invalid PostgreSQL schema name: ${opts.schema} (lowercase letters, digits, _)`);
  }
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    types: pgTypes,
    // search_path as a startup parameter applies to every pooled connection before its first query.
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client losing its server emits here; without a listener that kills the process. The next query
  // checks out a fresh client and reports the failure where it can be retried.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (opts.schema) await sql`create schema if not exists ${sql.id(opts.schema)}`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
  const chunk = chunkRows('postgres', EVENT_COLUMNS.length);
  let closed = false;
  return {
    name: 'postgres',
    db,
    ...(opts.schema ? { schema: opts.schema } : {}),
    writeTx: (fn) => db.transaction().execute(fn),
    exclusive: (fn) => fn(),
    async insertEvents(tx, rows) {
      let inserted = 0;
      for (let start = 0; start < rows.length; start += chunk) {
        const res = await tx
          .insertInto('events')
          .values(rows.slice(start, start + chunk))
          .onConflict((oc) => oc.column('id').doNothing())
          .executeTakeFirst();
        inserted += Number(res.numInsertedOrUpdatedRows ?? 0n);
      }
      return inserted;
    },
    async knownEventIds(ids) {
      const known = new Set<string>();
      // One array parameter per query: no statement text that grows with the batch.
      for (let i = 0; i < ids.length; i += 10_000) {
        const rows = await db.selectFrom('events').select('id').where('id', '=', sql<string>`any(${ids.slice(i, i + 10_000)}::text[])`).execute();
        for (const r of rows) known.add(r.id);
      }
      return known;
    },
    skipLocked: (qb) => qb.forUpdate().skipLocked(),
    forUpdate: (qb) => qb.forUpdate(),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
