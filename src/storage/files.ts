/**
 * Local data files readable by their owner only: the database holds every event, alert and user
 * name the monitor saw, so it and its folder are created 0600/0700 whatever the process umask.
 */
import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates `dir` and any missing parents as 0700; folders that exist already are left as they are
 * (a data dir may sit in a shared folder on purpose). The mode is set after creation, so a umask
 * cannot widen or narrow it.
 */
export function ensurePrivateDir(dir: string): void {
  const target = resolve(dir);
  const first = mkdirSync(target, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  // mkdir returns the first folder it created; every folder from there down to the target is new.
  const parts = relative(first, target).split(sep).filter(Boolean);
  let at = first;
  chmodSync(at, PRIVATE_DIR_MODE);
  for (const p of parts) {
    at = join(at, p);
    chmodSync(at, PRIVATE_DIR_MODE);
  }
}

/**
 * Makes the SQLite file at `path` private before SQLite opens it: creates it empty as 0600 (an empty
 * file is an empty database) with its folder as 0700, or tightens an existing file, and its `-wal`
 * and `-shm`, to 0600 when this user owns it and group or others may read it. SQLite gives the
 * `-wal` and `-shm` it creates the database file's mode, so they follow. Returns the files it tightened.
 */
export function preparePrivateDbFile(path: string): string[] {
  const file = resolve(path);
  ensurePrivateDir(dirname(file));
  try {
    const fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, PRIVATE_FILE_MODE);
    closeSync(fd);
    chmodSync(file, PRIVATE_FILE_MODE);
    return [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const tightened: string[] = [];
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (f !== file && !existsSync(f)) continue;
    const st = statSync(f);
    // Only our own file: chmod on someone else's fails, and widening or narrowing theirs is not ours to do.
    const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
    if (!mine || !st.isFile() || (st.mode & 0o077) === 0) continue;
    chmodSync(f, st.mode & PRIVATE_FILE_MODE);
    tightened.push(f);
  }
  return tightened;
}
