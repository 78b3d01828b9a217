/** The one place where SQLite and PostgreSQL differ: connecting, write transactions, the event fast path, row locks. */
import { resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type SelectQueryBuilder } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { SaaswatchError } from '../core/errors.js';
import type { SecurityEvent } from '../core/event.js';
import type { EventKey } from '../core/store.js';
import { eventRow, storedTime, writeEventColumns } from './event-row.js';
import { Checkpointer } from './checkpointer.js';
import { preparePrivateDbFile } from './files.js';
import { SqliteWriter, type WriteStep } from './sqlite-writer.js';
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
  /** Inserts events, ignoring known ones; returns how many were new. Call only inside writeTx; throws TIMESTAMP_INVALID first. */
  insertEvents(tx: Kysely<Database>, events: readonly SecurityEvent[], now: number): Promise<number>;
  /**
   * SQLite: runs prepared steps as one write transaction on the writer thread (on the caller's
   * connection if there is none), resolving with each step's changed-row count. The hot commit
   * takes this path so the caller's thread goes on reading the next batch; undefined on PostgreSQL,
   * whose server does the work on its own processes anyway.
   */
  writeSteps?(steps: WriteStep[]): Promise<number[]>;
  /** The steps that insert these events (ignoring known ones), for writeSteps; throws TIMESTAMP_INVALID first. */
  eventInsertSteps?(events: readonly SecurityEvent[], now: number): WriteStep[];
  /** The ids of those among `keys` that are stored already. */
  knownEventIds(keys: readonly EventKey[]): Promise<Set<string>>;
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

const EVENT_TUPLE = `(${EVENT_COLUMNS.map(() => '?').join(',')})`;
const eventInsertSqlCache = new Map<number, string>();

/** The multi-row event insert for `rows` rows; the same text for the same count, so prepared statements are reused. */
function eventInsertSql(rows: number): string {
  let text = eventInsertSqlCache.get(rows);
  if (text === undefined) {
    text = `insert into "events" (${EVENT_COLUMNS.map((c) => `"${c}"`).join(',')}) values ${Array(rows).fill(EVENT_TUPLE).join(',')} on conflict ("ts", "id") do nothing`;
    if (eventInsertSqlCache.size < 16) eventInsertSqlCache.set(rows, text);
  }
  return text;
}

/** Events as insert steps of at most SQLITE_EVENT_CHUNK rows in key order, their columns written straight into the parameters. */
function eventSteps(events: readonly SecurityEvent[], now: number): WriteStep[] {
  // Every time first: an unparseable one refuses the batch before any work is done.
  const ts = new Float64Array(events.length);
  for (let i = 0; i < ts.length; i++) ts[i] = storedTime(events[i]!);
  const order = keyOrder(ts, (i) => events[i]!.event.id);
  return chunkedSteps(events.length, order, (i, out, p) => writeEventColumns(events[i]!, ts[i]!, now, out, p));
}

/**
 * Positions in (ts, id) order, or undefined when they are in it already: key order makes successive
 * inserts land on neighbouring pages, and a live feed's batch usually comes in that order, which
 * costs one pass to see.
 */
function keyOrder(ts: ArrayLike<number>, id: (i: number) => string): number[] | undefined {
  const cmp = (a: number, b: number) => ts[a]! - ts[b]! || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
  let i = 1;
  while (i < ts.length && cmp(i - 1, i) <= 0) i++;
  if (i >= ts.length) return undefined;
  return Array.from({ length: ts.length }, (_, k) => k).sort(cmp);
}

/** Steps of at most SQLITE_EVENT_CHUNK rows, taken in `order`, `write` filling each row's parameters. */
function chunkedSteps(n: number, order: number[] | undefined, write: (i: number, out: unknown[], p: number) => number): WriteStep[] {
  const steps: WriteStep[] = [];
  const width = EVENT_COLUMNS.length;
  for (let start = 0; start < n; start += SQLITE_EVENT_CHUNK) {
    const end = Math.min(n, start + SQLITE_EVENT_CHUNK);
    const params: unknown[] = new Array((end - start) * width);
    let p = 0;
    for (let k = start; k < end; k++) p = write(order ? order[k]! : k, params, p);
    steps.push({ sql: eventInsertSql(end - start), params: params as WriteStep['params'] });
  }
  return steps;
}


export function openSqlite(path: string, opts: { logger?: Logger } = {}): Backend {
  if (path !== ':memory:' && path !== '') {
    const tightened = preparePrivateDbFile(path);
    if (tightened.length) opts.logger?.debug({ files: tightened }, 'database files were readable by group or others; made them owner-only (0600)');
  }
  const raw = new BetterSqlite3(path);
  try {
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('busy_timeout = 5000');
    raw.pragma('foreign_keys = ON');
    // Per-user state keys and event lookups touch index pages all over; a 2 MB default cache re-reads them constantly.
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
  let closed = false;
  let checkpointer: Checkpointer | undefined;
  let checkpointInline = false;
  let writer: SqliteWriter | undefined;
  if (path !== ':memory:' && path !== '') {
    raw.pragma('wal_autocheckpoint = 0');
    checkpointer = Checkpointer.start(resolve(path), () => {
      checkpointInline = true;
      if (raw.open) raw.pragma('wal_autocheckpoint = 1000');
      writer?.checkpointOnCommit();
    });
  }
  // The hot commit runs on a writer thread with its own connection; an in-memory database is one
  // connection's alone, so it writes on the caller's. Started at the first commit, once the store is
  // migrated: a connection that read the schema before a migration can prepare against the old one.
  const startWriter = (): SqliteWriter | undefined => {
    if (path === ':memory:' || path === '' || closed) return undefined;
    if (!writer) {
      writer = SqliteWriter.start(resolve(path));
      if (checkpointInline) writer.checkpointOnCommit();
    }
    return writer;
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const mutex = fileMutex(path);

  // Kysely compiles and prepares every query anew; the event inserts and the steps of writeSteps on
  // this connection (no writer thread) are the same few texts every batch, so they are prepared once.
  const bySql = new Map<string, BetterSqlite3.Statement>();
  const preparedSql = (text: string): BetterSqlite3.Statement => {
    let stmt = bySql.get(text);
    if (!stmt) {
      stmt = raw.prepare(text);
      if (bySql.size < 64) bySql.set(text, stmt);
    }
    return stmt;
  };


  // Every event of a fresh batch is looked up before detection. Events newer than the newest stored one
  // cannot be stored (a live feed's whole batch, usually); the rest are point lookups on the primary key.
  // Prepared on first use: the table exists only once the store is migrated.
  let newestStored: BetterSqlite3.Statement | undefined;
  let storedKey: BetterSqlite3.Statement | undefined;

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
    async insertEvents(_tx, events, now) {
      // Runs on the raw handle, which is the connection the enclosing writeTx holds: same transaction.
      if (!raw.inTransaction) throw new SaaswatchError('INTERNAL', 'insertEvents called outside a write transaction');
      let inserted = 0;
      for (const step of eventSteps(events, now)) inserted += preparedSql(step.sql).run(step.params).changes;
      return inserted;
    },
    eventInsertSteps: eventSteps,
    writeSteps: (steps) =>
      mutex.run(async () => {
        const thread = startWriter();
        if (thread && !thread.failed) return thread.run(steps);
        raw.exec('begin immediate');
        try {
          const changes = steps.map((step) => preparedSql(step.sql).run(step.params).changes);
          raw.exec('commit');
          return changes;
        } catch (err) {
          if (raw.inTransaction) raw.exec('rollback');
          throw err;
        }
      }),
    knownEventIds: (keys) =>
      // Read through the mutex: a writer of this process mid-transaction on the same handle would
      // otherwise let this read see its uncommitted rows.
      mutex.run(async () => {
        const known = new Set<string>();
        if (keys.length === 0) return known;
        newestStored ??= raw.prepare('select max("ts") from "events"').pluck();
        const newest = newestStored.get() as number | null;
        if (newest === null) return known;
        storedKey ??= raw.prepare('select 1 from "events" where "ts" = ? and "id" = ?').pluck();
        for (const k of keys) if (k.ts <= newest && storedKey.get(k.ts, k.id) !== undefined) known.add(k.id);
        return known;
      }),
    skipLocked: (qb) => qb,
    forUpdate: (qb) => qb,
    async close() {
      if (closed) return;
      closed = true;
      // Workers first: the last connection to close checkpoints the WAL into the database file and removes it.
      await mutex.run(async () => writer?.stop());
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
    async insertEvents(tx, events, now) {
      const rows = events.map((e) => eventRow(e, now));
      let inserted = 0;
      for (let start = 0; start < rows.length; start += chunk) {
        const res = await tx
          .insertInto('events')
          .values(rows.slice(start, start + chunk))
          .onConflict((oc) => oc.columns(['ts', 'id']).doNothing())
          .executeTakeFirst();
        inserted += Number(res.numInsertedOrUpdatedRows ?? 0n);
      }
      return inserted;
    },
    async knownEventIds(keys) {
      const known = new Set<string>();
      // Two array parameters per query: no statement text that grows with the batch.
      for (let i = 0; i < keys.length; i += 10_000) {
        const chunk = keys.slice(i, i + 10_000);
        const { rows } = await sql<{ id: string }>`select e.id from events e
          join unnest(${chunk.map((k) => k.ts)}::bigint[], ${chunk.map((k) => k.id)}::text[]) as k(ts, id)
          on e.ts = k.ts and e.id = k.id`.execute(db);
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
