/** Runs one Google SDK call under the shared retry policy: failures are classified by retry.ts, waits honour Retry-After. */
import type { Logger } from 'pino';
import { SaaswatchError } from '../../core/index.js';
import { classifyHttpStatus, classifyRequestError, nextAttemptDelay } from '../../pipeline/retry.js';

export interface RetryOptions {
  maxAttempts: number;
  initialMs: number;
  maxMs: number;
  signal: AbortSignal;
  logger?: Logger;
  /** Waits between attempts; tests replace it to record the delays instead of sleeping. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
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

/**
 * Calls `fn` until it succeeds, a failure is not retryable, the attempts run out or the signal
 * aborts. The last classified error is thrown.
 */
export async function withRetry<T>(what: string, fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const wait = opts.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const err = classifyGoogleError(raw, what);
      if (!err.retryable || attempt >= opts.maxAttempts || opts.signal.aborted) throw err;
      const delay = nextAttemptDelay(err, attempt, opts);
      opts.logger?.warn({ request: what, attempt, delayMs: delay, err: err.message }, 'Google request failed; retrying.');
      await wait(delay, opts.signal);
      if (opts.signal.aborted) throw err;
    }
  }
}
