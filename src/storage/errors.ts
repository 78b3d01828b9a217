/** Maps driver errors (better-sqlite3, pg, sockets) to SaaswatchError so callers retry only what can succeed later. */
import { SaaswatchError } from '../core/errors.js';

// Socket-level failures: the database may be back in a moment.
const RETRYABLE_NODE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND',
]);

// SQLite: another writer holds the lock longer than busy_timeout.
const RETRYABLE_SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY']);

/** PostgreSQL SQLSTATEs worth retrying: connection loss, shutdown, overload, serialization/deadlock. */
function isRetryableSqlState(code: string): boolean {
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('53') || // insufficient resources (too many connections, disk full, out of memory)
    code === '57P01' || code === '57P02' || code === '57P03' || // admin/crash shutdown, cannot connect now
    code === '40001' || code === '40P01' // serialization failure, deadlock
  );
}

// pg reports a dropped connection or a pool timeout with a message and no code.
const RETRYABLE_MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /connection error/i];

function codeOf(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Wraps any storage failure; a SaaswatchError passes through unchanged. */
export function toStorageError(err: unknown, op: string): SaaswatchError {
  if (err instanceof SaaswatchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // AggregateError from a multi-address connect (e.g. localhost → ::1 and 127.0.0.1) carries the code on its parts.
  const code = codeOf(err) ?? (err instanceof AggregateError ? err.errors.map(codeOf).find(Boolean) : undefined);
  const details = { op, ...(code ? { driverCode: code } : {}) };
  const unavailable =
    (code !== undefined &&
      (RETRYABLE_NODE_CODES.has(code) || RETRYABLE_SQLITE_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isRetryableSqlState(code)))) ||
    (code === undefined && RETRYABLE_MESSAGES.some((re) => re.test(message)));
  if (unavailable) {
    return new SaaswatchError('STORAGE_UNAVAILABLE', `storage unavailable during ${op}: ${message || code}`, {
      retryable: true,
      cause: err,
      details,
    });
  }
  if (code === 'SQLITE_CANTOPEN' || code === '3D000' || code === '28P01' || code === '28000') {
    // Wrong path, missing database or bad credentials: waiting will not fix configuration.
    return new SaaswatchError('STORAGE_UNAVAILABLE', `cannot open storage during ${op}: ${message}`, {
      retryable: false,
      cause: err,
      details,
    });
  }
  return new SaaswatchError('STORAGE', `storage error during ${op}: ${message}`, { retryable: false, cause: err, details });
}
