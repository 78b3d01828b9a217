/** The one place for retry policy: backoff with jitter, Retry-After, and classifying HTTP and network failures. */
import { errors, SaaswatchError, type RetryPolicy } from '../core/index.js';

export type { RetryPolicy } from '../core/index.js';

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, initialMs: 1_000, maxMs: 300_000 };

/**
 * Longest Retry-After we honour. A server may ask for longer, but parking a delivery for days on
 * one header is more likely a misconfigured proxy than a real request.
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Delay before the next attempt after `attempt` attempts have failed (1 = the first one).
 * Full jitter (uniform in 0..ceiling) so many deliveries failing together do not retry in lockstep
 * and hammer a recovering receiver at the same instant.
 */
export function backoffDelay(
  attempt: number,
  opts: { initialMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  // Cap the exponent: 2 ** 1100 is Infinity and the min() below would still be fine, but keep it obvious.
  const ceiling = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(n - 1, 52));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.max(0, Math.round(r * ceiling));
}

/**
 * Milliseconds a Retry-After header asks us to wait: delta-seconds (`120`) or an HTTP-date.
 * Returns undefined when absent or unparseable; clamps to 0..maxMs.
 */
export function parseRetryAfter(
  headerValue: string | null | undefined,
  now: number = Date.now(),
  maxMs: number = MAX_RETRY_AFTER_MS,
): number | undefined {
  if (headerValue === null || headerValue === undefined) return undefined;
  const v = headerValue.trim();
  // Stryker disable next-line all: equivalent; an empty value fails both patterns below as well.
  if (v === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(v)) {
    ms = Number(v) * 1000;
  } else {
    // All three HTTP-date forms carry a month name; requiring letters keeps Date.parse from
    // accepting garbage such as "-1" as a year.
    if (!/[a-z]/i.test(v)) return undefined;
    const at = Date.parse(v);
    if (!Number.isFinite(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), maxMs);
}

/** Delay before retrying after `err` on attempt `attempt`: the server's Retry-After wins over our backoff. */
export function nextAttemptDelay(
  err: unknown,
  attempt: number,
  policy: Pick<RetryPolicy, 'initialMs' | 'maxMs'>,
  random: () => number = Math.random,
): number {
  if (err instanceof SaaswatchError && err.retryAfterMs !== undefined && err.retryAfterMs >= 0) {
    return err.retryAfterMs;
  }
  return backoffDelay(attempt, policy, random);
}

/**
 * Turns a non-2xx HTTP status into a classified error. 5xx, 408 and 429 are the receiver saying
 * "later" and are retried (honouring Retry-After); other statuses (4xx, unfollowed 3xx) mean the
 * request itself is wrong and retrying would only repeat the rejection.
 */
export function classifyHttpStatus(
  status: number,
  retryAfterHeader?: string | null,
  opts: { now?: number; target?: string; detail?: string } = {},
): SaaswatchError {
  const target = opts.target ?? 'receiver';
  if (status >= 500 || status === 408 || status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfterHeader, opts.now ?? Date.now());
    return errors.httpRetryable({ target, status, ...(opts.detail ? { detail: opts.detail } : {}), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  const why = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return errors.httpRejected({ target, status, why, ...(opts.detail ? { detail: opts.detail } : {}) });
}

/**
 * Classifies a request that produced no HTTP response: a timeout we imposed is TIMEOUT, anything
 * else (refused, reset, DNS, TLS) is NETWORK. Both are retryable: the receiver may come back.
 */
export function classifyRequestError(
  err: unknown,
  opts: { timedOut: boolean; timeoutMs?: number; target?: string },
): SaaswatchError {
  const target = opts.target ?? 'receiver';
  if (err instanceof SaaswatchError) return err;
  if (opts.timedOut) {
    return errors.timeout({ target, ...(opts.timeoutMs === undefined ? {} : { afterMs: opts.timeoutMs }), cause: err });
  }
  return errors.network({ target, problem: describeNetworkError(err), cause: err });
}

/** fetch() reports "fetch failed" and hides the useful part (ECONNREFUSED, ...) in `cause`. */
function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent for any cause but a function carrying a code.
  if (cause && typeof cause === 'object') {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (cause instanceof Error) return cause.message;
  }
  if (err.name === 'AbortError') return 'request aborted';
  return err.message;
}
