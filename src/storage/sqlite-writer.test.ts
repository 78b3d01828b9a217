import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { toStorageError } from './errors.js';
import { SqliteWriter } from './sqlite-writer.js';

describe('SqliteWriter', () => {
  let dir: string | undefined;
  let writer: SqliteWriter | undefined;
  afterEach(async () => {
    await writer?.stop();
    writer = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function database(): { path: string; read: BetterSqlite3.Database } {
    dir = mkdtempSync(join(tmpdir(), 'sw-writer-'));
    const path = join(dir, 'w.db');
    const read = new BetterSqlite3(path);
    read.pragma('journal_mode = WAL');
    read.exec('create table t (k text primary key, v integer not null)');
    return { path, read };
  }

  it('runs the steps as one transaction and answers each step’s changed rows, visible to other connections', async () => {
    const { path, read } = database();
    writer = SqliteWriter.start(path);
    const changes = await writer.run([
      { sql: 'insert into t (k, v) values (?, ?), (?, ?)', params: ['a', 1, 'b', 2] },
      { sql: 'insert into t (k, v) values (?, ?) on conflict do nothing', params: ['a', 9] },
      { sql: 'update t set v = v + 1 where k = ?', params: ['b'] },
    ]);
    expect(changes).toEqual([2, 0, 1]);
    expect(read.prepare('select k, v from t order by k').all()).toEqual([{ k: 'a', v: 1 }, { k: 'b', v: 3 }]);
    read.close();
  });

  it('rolls back every step when one fails, and reports the driver’s code so the store maps it', async () => {
    const { path, read } = database();
    writer = SqliteWriter.start(path);
    const failed = writer.run([
      { sql: 'insert into t (k, v) values (?, ?)', params: ['a', 1] },
      { sql: 'insert into t (k, v) values (?, ?)', params: ['b', null] },
    ]);
    await expect(failed).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    expect(toStorageError(await failed.catch((e: unknown) => e), 'commitBatch')).toMatchObject({ code: 'STORAGE', retryable: false });
    expect(read.prepare('select count(*) as n from t').get()).toEqual({ n: 0 });
    // The thread goes on: the next transaction commits.
    expect(await writer.run([{ sql: 'insert into t (k, v) values (?, ?)', params: ['c', 3] }])).toEqual([1]);
    read.close();
  });

  it('refuses work once stopped, so the caller writes on its own connection', async () => {
    const { path, read } = database();
    writer = SqliteWriter.start(path);
    await writer.stop();
    expect(writer.failed).toBe(true);
    await expect(writer.run([{ sql: 'insert into t (k, v) values (?, ?)', params: ['a', 1] }])).rejects.toThrow(/stopped/);
    read.close();
    writer = undefined;
  });
});
