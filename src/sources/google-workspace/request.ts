/** Runs one Google SDK call under the polling runtime's retry: failures are classified by retry.ts, waits honour Retry-After. */
import type { Logger } from 'pino';
import { SaaswatchError, type Redactor } from '../../core/index.js';
import { withRetry as retrying, type Sleep } from '../../pipeline/polling.js';
import { classifyHttpStatus, classifyRequestError } from '../../pipeline/retry.js';

export interface RetryOptions {
  maxAttempts: number;
  initialMs: number;
  maxMs: number;
  signal: AbortSignal;
  /** The credentials the SDK sends: removed from every error before it is logged or thrown. */
  redact?: Redactor | undefined;
  logger?: Logger | undefined;
  /** Waits between attempts; tests replace it to record the delays instead of sleeping. */
  sleep?: Sleep | undefined;
  random?: (() => number) | undefined;
}

interface GaxiosLikeError {
  status?: number;
  code?: string | number;
  response?: { status?: number; headers?: unknown; data?: unknown };
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** Google's error envelope message (`{error:{message}}`, or the OAuth `{error, error_description}`). */
function googleMessage(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const e = (data as { error?: unknown; error_description?: unknown }).error;
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  if (typeof e === 'string') return typeof (data as { error_description?: unknown }).error_description === 'string' ? `${e}: ${(data as { error_description: string }).error_description}` : e;
  return undefined;
}

/** A GaxiosError (or anything thrown by an SDK call) as a classified SaaswatchError. */
export function classifyGoogleError(err: unknown, target: string): SaaswatchError {
  if (err instanceof SaaswatchError) return err;
  const g = err as GaxiosLikeError;
  const status = g?.response?.status ?? g?.status;
  if (typeof status === 'number' && status > 0) {
    const detail = googleMessage(g.response?.data);
    return classifyHttpStatus(status, header(g.response?.headers, 'retry-after'), { target, ...(detail ? { detail } : {}) });
  }
  const timedOut = (err as Error)?.name === 'TimeoutError' || g?.code === 'ETIMEDOUT' || g?.code === 'ECONNABORTED';
  return classifyRequestError(err, { timedOut, target });
}

/** Calls `fn` under the shared retry, classifying what the Google SDK throws; the last classified error is thrown. */
export function withRetry<T>(what: string, fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  return retrying(what, fn, {
    maxAttempts: opts.maxAttempts,
    initialMs: opts.initialMs,
    maxMs: opts.maxMs,
    signal: opts.signal,
    classify: (raw) => classifyGoogleError(raw, what),
    redact: opts.redact,
    logger: opts.logger,
    label: 'Google',
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    ...(opts.random ? { random: opts.random } : {}),
  });
}
