/** A sink delivers one alert once; the outbox owns retries, backoff and giving up. */
import type { Alert } from './alert.js';
import type { SecurityEvent } from './event.js';

/**
 * What a delivery tells. `alert`: a new alert (or the first of its group) that the destination has
 * not seen. `update`: the alert's counts grew, or a later alert joined its group, after the
 * destination was told: a thread reply, a ticket comment, an updated incident, never a new one.
 */
export type DeliveryKind = 'alert' | 'update';

/** Alerts on one entity close in time, told as one notification; the first alert's id names it. */
export interface AlertGroup {
  id: string;
  /** Oldest first, the delivered alert included. */
  alerts: Alert[];
}

/**
 * Handles a sink saved on its earlier deliveries: the Slack message a group's thread hangs from, the
 * Jira issue of an alert, the Archer record. Kept in the store per sink, across restarts. A sink
 * MUST NOT rely on them alone to avoid duplicates (a crash can fall between the send and the
 * put): it also asks the destination (see docs/contracts/sink.md, S2).
 */
export interface SinkRefs {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
}

/** Events of the alert's entity around its window, counted per bucket: what charts draw. */
export interface ActivitySeries {
  /** Epoch ms; buckets cover [from, to). */
  from: number;
  to: number;
  bucketMs: number;
  /** One per bucket, in time order, empty buckets included. */
  buckets: Array<{ t: number; total: number; failures: number }>;
}

/** What a sink asks the outbox to load for each delivery, beyond the alert. */
export interface SinkNeeds {
  /** Up to this many of the alert's evidence events (as stored), for the evidence lines. */
  evidence?: number;
  /** The entity's activity around the alert window, for a chart. */
  activity?: boolean;
  /**
   * `update` deliveries: follow-ups when an alert's counts grow, and later alerts of a group told as
   * updates to its notification (a thread reply, a ticket comment). Without it the sink gets each
   * alert once, as an `alert` delivery.
   */
  updates?: boolean;
}

export interface DeliveryContext {
  /** Stable per delivery: receivers use it to drop repeats after a crash between send and commit. */
  deliveryId: string;
  attempt: number;
  signal: AbortSignal;
  /** Absent: `alert`. */
  kind?: DeliveryKind;
  /** The alert's notification group; absent when it is alone. */
  group?: AlertGroup;
  /** This sink's saved handles; absent where nothing is kept (then every delivery stands alone). */
  refs?: SinkRefs;
  /** Loaded when the sink's `needs.evidence` asks; the alert's evidence events found in the store, at most that many. */
  evidence?: SecurityEvent[];
  /** Loaded when the sink's `needs.activity` asks. */
  activity?: ActivitySeries;
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
  /** What the outbox loads into each DeliveryContext for it; absent: nothing beyond the alert. */
  readonly needs?: SinkNeeds;
  close?(): Promise<void>;
}
