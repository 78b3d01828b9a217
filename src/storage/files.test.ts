import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './index.js';
import { ensurePrivateDir, preparePrivateDbFile } from './files.js';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('private data files', () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sw-files-'));
    umask = process.umask();
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([0o022, 0o000, 0o002])('creates the folders 0700 and the database, -wal and -shm 0600 under umask %o', async (mask) => {
    process.umask(mask);
    const path = join(dir, 'a', 'b', 'saaswatch.db');
    const store = await openStore({ dialect: 'sqlite', path });
    try {
      await store.putState('k', 1);
      expect(mode(join(dir, 'a'))).toBe(0o700);
      expect(mode(join(dir, 'a', 'b'))).toBe(0o700);
      expect(mode(path)).toBe(0o600);
      // Written and still open: the WAL and its index exist now.
      expect(mode(`${path}-wal`)).toBe(0o600);
      expect(mode(`${path}-shm`)).toBe(0o600);
    } finally {
      await store.close();
    }
    expect(mode(path)).toBe(0o600);
  });

  it('leaves a folder that exists alone', () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    ensurePrivateDir(join(shared, 'data'));
    expect(mode(shared)).toBe(0o755);
    expect(mode(join(shared, 'data'))).toBe(0o700);
  });

  it('tightens an existing database and its -wal and -shm, and says which', () => {
    const path = join(dir, 'old.db');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      writeFileSync(f, '');
      chmodSync(f, 0o644);
    }
    expect(preparePrivateDbFile(path)).toEqual([path, `${path}-wal`, `${path}-shm`]);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(mode(f)).toBe(0o600);
    // Already private: nothing to do, nothing reported.
    expect(preparePrivateDbFile(path)).toEqual([]);
  });
});
