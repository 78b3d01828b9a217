/** Runs SQLite write transactions on a worker thread, so the caller's thread reads and detects the next batch meanwhile. */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { errors } from '../core/errors.js';

/** One statement of a transaction: SQL text with `?` placeholders and its parameters. */
export interface WriteStep {
  sql: string;
  params: ReadonlyArray<string | number | bigint | null>;
}

// Plain CommonJS evaluated in the worker: no loader or build step (tsx, vitest, compiled dist) needs to know it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
// The same settings as the caller's connection (dialect.ts), so a commit means the same on either,
// except the wait for the lock: a checkpoint that must reset a large WAL on a slow disk can hold it
// for seconds, and waiting here blocks this thread only, not the caller's event loop.
db.pragma('busy_timeout = 30000');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('cache_size = -65536');
db.pragma('temp_store = MEMORY');
db.pragma('wal_autocheckpoint = 0');
db.pragma('journal_size_limit = 67108864');
const statements = new Map();
function prepared(sql) {
  let s = statements.get(sql);
  if (!s) {
    s = db.prepare(sql);
    if (statements.size < 64) statements.set(sql, s);
  }
  return s;
}
parentPort.on('message', (m) => {
  if (m === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  if (m === 'autocheckpoint') {
    db.pragma('wal_autocheckpoint = 1000');
    return;
  }
  try {
    db.exec('begin immediate');
    const changes = [];
    try {
      for (const step of m.steps) changes.push(prepared(step.sql).run(step.params).changes);
      db.exec('commit');
    } catch (err) {
      if (db.inTransaction) db.exec('rollback');
      throw err;
    }
    parentPort.postMessage({ id: m.id, changes });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: { message: String(err && err.message || err), code: err && err.code } });
  }
});
`;

interface Reply {
  id: number;
  changes?: number[];
  error?: { message: string; code?: string };
}

/** Owns the writer worker of one SQLite file; one transaction at a time (the caller serializes them). */
export class SqliteWriter {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  readonly #pending = new Map<number, { resolve: (changes: number[]) => void; reject: (err: unknown) => void }>();
  #next = 0;
  #failed: unknown;

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (m: Reply) => {
      const waiter = this.#pending.get(m.id);
      if (!waiter) return;
      this.#pending.delete(m.id);
      if (m.error) waiter.reject(Object.assign(new WorkerSqlError(m.error.message), m.error.code ? { code: m.error.code } : {}));
      else waiter.resolve(m.changes ?? []);
    });
    const fail = (err: unknown) => {
      this.#failed ??= err;
      for (const w of this.#pending.values()) w.reject(errors.storage({ operation: 'commit on the writer thread', problem: String((err as Error)?.message ?? err) }));
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.once('exit', (code) => fail(new WorkerSqlError(`the writer thread exited with code ${code}`)));
    // Idle between batches: a forgotten close() must not keep the process alive.
    worker.unref();
  }

  static start(path: string): SqliteWriter {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    return new SqliteWriter(new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver } }));
  }

  /** Whether the worker is gone; the caller then writes on its own connection. */
  get failed(): boolean {
    return this.#failed !== undefined;
  }

  /** Runs the steps in one `begin immediate … commit`; resolves with each step's changed-row count. */
  run(steps: WriteStep[]): Promise<number[]> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const id = this.#next++;
    return new Promise<number[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Referenced while a transaction is out, so the process waits for its answer.
      this.#worker.ref();
      this.#worker.postMessage({ id, steps });
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker.unref();
    });
  }

  /** Checkpoints on commit from now on, as SQLite does by default: the checkpoint thread has stopped. */
  checkpointOnCommit(): void {
    if (this.#failed === undefined) this.#worker.postMessage('autocheckpoint');
  }

  async stop(): Promise<void> {
    this.#failed ??= new WorkerSqlError('the writer thread is stopped');
    this.#worker.ref();
    this.#worker.postMessage('stop');
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref());
    await Promise.race([this.#exited, timeout]);
    await this.#worker.terminate();
  }
}

/** A driver error raised on the writer thread, carrying SQLite's code for toStorageError. */
class WorkerSqlError extends Error {
  code?: string;
}
