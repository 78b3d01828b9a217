/** Opens the event/alert store on SQLite (embedded default) or PostgreSQL (scale) and brings its schema up to date. */
import { SaaswatchError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../core/store.js';
import type { Logger } from 'pino';
import { openPostgres, openSqlite, type Backend } from './dialect.js';
import { toStorageError } from './errors.js';
import { SqlStore } from './sql-store.js';

export { LATEST_VERSION } from './migrations/index.js';
export { MAX_ALERT_EVIDENCE, MAX_DEAD_LETTER_PAYLOAD_BYTES, truncateUtf8 } from './sql-store.js';
export { toStorageError } from './errors.js';
export { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './files.js';

export type OpenStoreOptions = (
  | { dialect: 'sqlite'; path: string }
  | { dialect: 'postgres'; url: string; schema?: string; poolSize?: number }
) & {
  /** What stamps stored rows; the run's clock (default the system's). */
  now?: Clock;
  /** Where opening notes what it did to files (debug: a database file made owner-only). */
  logger?: Logger;
};

/** Connects, applies pending migrations and returns the Store; fails with STORAGE_UNAVAILABLE when unreachable. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  let backend: Backend;
  try {
    if (opts.dialect === 'sqlite') backend = openSqlite(opts.path, opts.logger ? { logger: opts.logger } : {});
    else if (opts.dialect === 'postgres') backend = await openPostgres(opts);
    else throw new SaaswatchError('CONFIG_INVALID', `unknown storage dialect: ${String((opts as { dialect?: unknown }).dialect)}`);
  } catch (err) {
    throw toStorageError(err, 'open');
  }
  const store = new SqlStore(backend, opts.now);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
