/** A sink delivers one alert once; the outbox owns retries, backoff and giving up. */
import type { Alert } from './alert.js';

export interface DeliveryContext {
  /** Stable per delivery: receivers use it to drop repeats after a crash between send and commit. */
  deliveryId: string;
  attempt: number;
  signal: AbortSignal;
}

/** How many attempts a destination gets and how far apart; a sink states its own, the outbox applies it (pipeline/retry.ts). */
export interface RetryPolicy {
  /** Total attempts including the first; the delivery is failed after this many. */
  maxAttempts: number;
  /** Backoff ceiling for the first retry, ms. */
  initialMs: number;
  /** Backoff ceiling never grows past this, ms. A server's Retry-After is honoured even when longer. */
  maxMs: number;
}

/** The sink contract is written out in docs/contracts/sink.md and checked by test/contracts/sink.contract.test.ts. */
export interface Sink {
  readonly name: string;
  readonly type: string;
  /** Throws SaaswatchError (retryable or not, maybe with retryAfterMs) on failure. */
  deliver(alert: Alert, ctx: DeliveryContext): Promise<void>;
  /** Attempts and backoff for this destination; absent: the outbox's default policy. */
  readonly retryPolicy?: RetryPolicy;
  /** Where alerts go, for an operator looking for them: a file's path, a receiver's host. Never a credential. */
  readonly target?: string;
  close?(): Promise<void>;
}
