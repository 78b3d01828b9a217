/** Errors with a stable code and a retryable flag, so retry policy lives in one place. */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'INPUT_MALFORMED'
  | 'INPUT_TOO_LARGE'
  | 'TIMESTAMP_INVALID'
  | 'FIELD_MISSING'
  | 'FIELD_TYPE'
  | 'STORAGE'
  | 'STORAGE_UNAVAILABLE'
  | 'HTTP_RETRYABLE'
  | 'HTTP_REJECTED'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'UNKNOWN_PLUGIN'
  | 'INTERNAL';

export class SaaswatchError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Server-requested delay before the next attempt (Retry-After), when known. */
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; retryAfterMs?: number; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SaaswatchError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details;
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof SaaswatchError ? err.retryable : false;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
