/** A sink delivers one alert once; the outbox owns retries, backoff and giving up. */
import type { Alert } from './alert.js';

export interface DeliveryContext {
  /** Stable per delivery: receivers use it to drop repeats after a crash between send and commit. */
  deliveryId: string;
  attempt: number;
  signal: AbortSignal;
}

export interface Sink {
  readonly name: string;
  readonly type: string;
  /** Throws SaaswatchError (retryable or not, maybe with retryAfterMs) on failure. */
  deliver(alert: Alert, ctx: DeliveryContext): Promise<void>;
  close?(): Promise<void>;
}
