/** A bounded, time-windowed memory of request keys that lets webhook handlers refuse replayed signed requests. */
import { errors } from '../core/errors.js';

export interface ReplayGuardOptions {
  /** How long a key is remembered. Pair it with a timestamp check of the same width in the handler. */
  windowMs: number;
  /** Most keys remembered at once. */
  max: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface ReplayGuard {
  /**
   * True when `key` was already seen within the window (a replay: reject it). Otherwise records it
   * and returns false. When the guard is full of unexpired keys it answers true (fail closed): only
   * a sender holding the signing secret can fill it, and forgetting a live key would let it replay.
   */
  seen(key: string): boolean;
  /** Keys currently remembered. */
  readonly size: number;
}

export function createReplayGuard(opts: ReplayGuardOptions): ReplayGuard {
  if (!(opts.windowMs > 0)) throw errors.internal({ problem: 'replay guard windowMs must be positive' });
  if (!(Number.isInteger(opts.max) && opts.max > 0)) throw errors.internal({ problem: 'replay guard max must be a positive integer' });
  const now = opts.now ?? Date.now;
  // A Map iterates in insertion order, and insertion times only grow, so expired keys sit at the front.
  const expiries = new Map<string, number>();

  function purge(t: number): void {
    for (const [key, expiresAt] of expiries) {
      if (expiresAt > t) break;
      expiries.delete(key);
    }
  }

  return {
    seen(key: string): boolean {
      const t = now();
      purge(t);
      const expiresAt = expiries.get(key);
      if (expiresAt !== undefined && expiresAt > t) return true;
      if (expiries.size >= opts.max) return true;
      expiries.set(key, t + opts.windowMs);
      return false;
    },
    get size() {
      return expiries.size;
    },
  };
}
