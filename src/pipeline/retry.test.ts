import { describe, expect, it } from 'vitest';
import { SaaswatchError } from '../core/index.js';
import {
  MAX_RETRY_AFTER_MS,
  backoffDelay,
  classifyHttpStatus,
  classifyRequestError,
  nextAttemptDelay,
  parseRetryAfter,
} from './retry.js';

const policy = { initialMs: 1_000, maxMs: 60_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt and caps it at maxMs', () => {
    const top = () => 1;
    expect(backoffDelay(1, policy, top)).toBe(1_000);
    expect(backoffDelay(2, policy, top)).toBe(2_000);
    expect(backoffDelay(5, policy, top)).toBe(16_000);
    expect(backoffDelay(7, policy, top)).toBe(60_000);
    expect(backoffDelay(1_000, policy, top)).toBe(60_000);
  });

  it('applies full jitter: uniform between 0 and the ceiling', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(2_000);
    expect(backoffDelay(3, policy, () => 0.25)).toBe(1_000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, policy);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(8_000);
    }
  });

  it('treats attempt 0 or less as the first attempt', () => {
    expect(backoffDelay(0, policy, () => 1)).toBe(1_000);
    expect(backoffDelay(-3, policy, () => 1)).toBe(1_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', now)).toBe(30_000);
    // A date in the past means "now", not a negative delay.
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0);
  });

  it('clamps huge values', () => {
    expect(parseRetryAfter('999999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('600', now, 10_000)).toBe(10_000);
  });

  it('ignores absent and malformed values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('nextAttemptDelay', () => {
  it("prefers the error's Retry-After over backoff", () => {
    const err = new SaaswatchError('HTTP_RETRYABLE', 'x', { retryable: true, retryAfterMs: 7_000 });
    expect(nextAttemptDelay(err, 1, policy, () => 1)).toBe(7_000);
  });

  it('honours a Retry-After of zero', () => {
    const err = new SaaswatchError('HTTP_RETRYABLE', 'x', { retryable: true, retryAfterMs: 0 });
    expect(nextAttemptDelay(err, 6, policy, () => 1)).toBe(0);
  });

  it('falls back to backoff without Retry-After or for foreign errors', () => {
    const err = new SaaswatchError('NETWORK', 'x', { retryable: true });
    expect(nextAttemptDelay(err, 3, policy, () => 1)).toBe(4_000);
    expect(nextAttemptDelay(new Error('boom'), 2, policy, () => 1)).toBe(2_000);
  });

  it('honours a Retry-After longer than the backoff maximum: the server, not our ceiling, decides', () => {
    const err = new SaaswatchError('HTTP_RETRYABLE', 'x', { retryable: true, retryAfterMs: 120_000 });
    expect(policy.maxMs).toBe(60_000);
    expect(nextAttemptDelay(err, 1, policy, () => 1)).toBe(120_000);
  });

  it('ignores a negative Retry-After and one carried by a foreign error', () => {
    const negative = new SaaswatchError('HTTP_RETRYABLE', 'x', { retryable: true, retryAfterMs: -5_000 });
    expect(nextAttemptDelay(negative, 2, policy, () => 1)).toBe(2_000);
    const foreign = Object.assign(new Error('not ours'), { retryAfterMs: 9_000 });
    expect(nextAttemptDelay(foreign, 3, policy, () => 1)).toBe(4_000);
  });
});

describe('classifyHttpStatus', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it.each([500, 502, 503, 504, 408, 429])('%i is retryable', (status) => {
    const err = classifyHttpStatus(status, null, { now });
    expect(err).toBeInstanceOf(SaaswatchError);
    expect(err.code).toBe('HTTP_RETRYABLE');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.details).toEqual({ status });
  });

  it('carries Retry-After on retryable statuses', () => {
    expect(classifyHttpStatus(429, '3', { now }).retryAfterMs).toBe(3_000);
    expect(classifyHttpStatus(503, 'Wed, 01 May 2024 12:01:00 GMT', { now }).retryAfterMs).toBe(60_000);
  });

  it.each([400, 401, 403, 404, 409, 410, 413, 422, 301, 302])('%i is rejected and not retried', (status) => {
    const err = classifyHttpStatus(status, '5', { now });
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.retryable).toBe(false);
    expect(err.retryAfterMs).toBeUndefined();
  });

  it('names the target and detail in the message', () => {
    const err = classifyHttpStatus(400, null, { target: 'webhook example.org', detail: 'bad field' });
    expect(err.message).toBe('webhook example.org rejected the request with 400: bad field');
    expect(err.details).toEqual({ status: 400 });
    expect(classifyHttpStatus(503, null, { target: 'siem', detail: 'busy' }).message).toBe('siem responded 503: busy');
  });

  it('calls an unnamed target "receiver" and explains a refused redirect', () => {
    expect(classifyHttpStatus(502, null, { now }).message).toBe('receiver responded 502');
    expect(classifyHttpStatus(404, null).message).toBe('receiver rejected the request with 404');
    expect(classifyHttpStatus(301, null).message).toBe('receiver rejected the request with 301 (redirects are not followed)');
    expect(classifyHttpStatus(399, null).message).toBe('receiver rejected the request with 399 (redirects are not followed)');
    expect(classifyHttpStatus(300, null).message).toBe('receiver rejected the request with 300 (redirects are not followed)');
    expect(classifyHttpStatus(400, null).message).toBe('receiver rejected the request with 400');
    expect(classifyHttpStatus(299, null).message).toBe('receiver rejected the request with 299');
  });

  it('treats 499 as rejected and 500 as retryable', () => {
    expect(classifyHttpStatus(499, null).code).toBe('HTTP_REJECTED');
    expect(classifyHttpStatus(500, null).code).toBe('HTTP_RETRYABLE');
  });
});

describe('classifyRequestError', () => {
  it('maps timeouts to TIMEOUT, retryable', () => {
    const err = classifyRequestError(new DOMException('t', 'TimeoutError'), { timedOut: true, timeoutMs: 250 });
    expect(err.code).toBe('TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('250ms');
  });

  it('maps connection failures to NETWORK with the system code, retryable', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const err = classifyRequestError(new TypeError('fetch failed', { cause }), { timedOut: false, target: 'x' });
    expect(err.code).toBe('NETWORK');
    expect(err.retryable).toBe(true);
    expect(err.message).toBe('could not reach x: ECONNREFUSED');
  });

  it('says "receiver" and leaves out the timeout when neither is given', () => {
    const err = classifyRequestError(new DOMException('t', 'TimeoutError'), { timedOut: true });
    expect(err.message).toBe('receiver did not respond');
    expect(classifyRequestError(new DOMException('t', 'TimeoutError'), { timedOut: true, timeoutMs: 250, target: 'x' }).message).toBe(
      'x did not respond after 250ms',
    );
  });

  it('describes each kind of network failure by its most useful part', () => {
    const describe = (err: unknown) => classifyRequestError(err, { timedOut: false }).message;
    // A cause without a system code: its message is the detail.
    expect(describe(new TypeError('fetch failed', { cause: new Error('getaddrinfo EAI_AGAIN hooks.example') }))).toBe(
      'could not reach receiver: getaddrinfo EAI_AGAIN hooks.example',
    );
    // A cause that is an object with neither code nor message: the error's own message.
    expect(describe(new TypeError('fetch failed', { cause: { errno: -111 } }))).toBe('could not reach receiver: fetch failed');
    expect(describe(new DOMException('This operation was aborted', 'AbortError'))).toBe('could not reach receiver: request aborted');
    expect(describe(new Error('socket hang up'))).toBe('could not reach receiver: socket hang up');
    expect(describe('ECONNRESET')).toBe('could not reach receiver: ECONNRESET');
  });

  it('passes classified errors through', () => {
    const original = new SaaswatchError('HTTP_REJECTED', 'no');
    expect(classifyRequestError(original, { timedOut: false })).toBe(original);
  });
});
