/** Delivers stored alerts to sinks: leases due deliveries, applies each sink's retry policy, and records the outcome. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AlertOutbox, Delivery, Sink } from '../core/index.js';
import { SaaswatchError, errorMessage, errors } from '../core/index.js';
import { DEFAULT_RETRY_POLICY, nextAttemptDelay, type RetryPolicy } from './retry.js';

export interface OutboxOptions {
  logger: Logger;
  /**
   * How long a claimed batch stays ours. Deliveries to one sink run one after another, so this
   * should exceed batchSize × the slowest sink's timeout divided by the number of sinks; otherwise
   * another outbox process may reclaim and repeat them (receivers drop repeats by delivery id).
   */
  leaseMs?: number;
  batchSize?: number;
  /** Idle wait of run() between empty polls. */
  pollIntervalMs?: number;
  /** How many sinks are delivered to at once. */
  concurrency?: number;
  /** Used for sinks that bring no policy of their own. */
  defaultRetryPolicy?: RetryPolicy;
  now?: () => number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface DrainResult {
  delivered: number;
  retried: number;
  failed: number;
}

type Outcome = keyof DrainResult | 'released' | 'unrecorded';

/** drain() looks at this many unfinished deliveries to find the next due one; beyond it, it may stop early. */
const UNFINISHED_SCAN_LIMIT = 100_000;

const DEFAULTS = { leaseMs: 300_000, batchSize: 50, pollIntervalMs: 1_000, concurrency: 4 };

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleepTimer(ms, undefined, signal ? { signal } : {});
  } catch {
    // Aborted: the caller checks its signal.
  }
}

export class Outbox {
  readonly #store: AlertOutbox;
  readonly #sinks: ReadonlyMap<string, Sink>;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #concurrency: number;
  readonly #defaultPolicy: RetryPolicy;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #owner = randomUUID();
  /** Aborted only by abort(): in-flight requests normally finish, so a stop never wastes an attempt. */
  readonly #inFlight = new AbortController();

  constructor(store: AlertOutbox, sinks: ReadonlyMap<string, Sink>, opts: OutboxOptions) {
    this.#store = store;
    this.#sinks = sinks;
    this.#logger = opts.logger;
    this.#leaseMs = opts.leaseMs ?? DEFAULTS.leaseMs;
    this.#batchSize = opts.batchSize ?? DEFAULTS.batchSize;
    this.#pollIntervalMs = opts.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
    this.#concurrency = Math.max(1, opts.concurrency ?? DEFAULTS.concurrency);
    this.#defaultPolicy = opts.defaultRetryPolicy ?? DEFAULT_RETRY_POLICY;
    this.#now = opts.now ?? Date.now;
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#random = opts.random ?? Math.random;
  }

  /**
   * Claims one batch of due deliveries and attempts each once. When `stop` aborts, deliveries not yet
   * started are released (due now) and the ones in flight are allowed to finish.
   */
  async drainOnce(stop?: AbortSignal): Promise<DrainResult> {
    const result = await this.#drainBatch(stop);
    return { delivered: result.delivered, retried: result.retried, failed: result.failed };
  }

  /** Delivers until `signal` aborts, polling every pollIntervalMs when idle. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let claimed = 0;
      try {
        claimed = (await this.#drainBatch(signal)).claimed;
      } catch (err) {
        // The store may be briefly unavailable; keep the loop alive and try again next poll.
        this.#logger.error({ err }, 'outbox poll failed');
      }
      // A full batch suggests a backlog: go again at once instead of idling.
      if (claimed < this.#batchSize) await this.#sleep(this.#pollIntervalMs, signal);
    }
  }

  /**
   * Delivers everything due and waits for retries that fall due before the timeout, so a one-shot
   * command can exit with its alerts delivered. Returns the totals and how many deliveries remain
   * unfinished (pending or leased).
   */
  async drain(opts: { timeoutMs: number; signal?: AbortSignal }): Promise<DrainResult & { remaining: number }> {
    const deadline = this.#now() + opts.timeoutMs;
    const totals: DrainResult = { delivered: 0, retried: 0, failed: 0 };
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent; the finally block removes the listener anyway.
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) stop.abort();
    try {
      for (;;) {
        if (stop.signal.aborted || this.#now() >= deadline) break;
        const r = await this.#drainBatch(stop.signal);
        totals.delivered += r.delivered;
        totals.retried += r.retried;
        totals.failed += r.failed;
        if (r.claimed > 0) continue;
        const nextDue = await this.#nextDueAt();
        if (nextDue === undefined || nextDue >= deadline) break;
        // Something is due yet nothing could be claimed (leased by another process whose lease
        // time the store does not report): poll rather than spin.
        const wait = Math.max(nextDue - this.#now(), Math.min(this.#pollIntervalMs, 100));
        await this.#sleep(Math.min(wait, Math.max(deadline - this.#now(), 0)), stop.signal);
      }
      return { ...totals, remaining: await this.#countUnfinished() };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Cancels requests in flight (second Ctrl-C); their deliveries are released for a later attempt.
   * Final: afterwards this outbox releases whatever it claims without attempting it.
   */
  abort(): void {
    this.#inFlight.abort();
  }

  async #drainBatch(stop?: AbortSignal): Promise<DrainResult & { claimed: number }> {
    const now = this.#now();
    const claimed = await this.#store.claimDeliveries(now, this.#batchSize, { owner: this.#owner, now, ms: this.#leaseMs });
    const result = { delivered: 0, retried: 0, failed: 0, claimed: claimed.length };
    // Stryker disable next-line ConditionalExpression: equivalent; an empty batch makes no queue and starts no worker.
    if (claimed.length === 0) return result;

    // One queue per sink, run in order: a receiver sees its alerts in order and one slow sink
    // cannot hold up the others.
    const bySink = new Map<string, Delivery[]>();
    for (const d of claimed) {
      const queue = bySink.get(d.sink);
      if (queue) queue.push(d);
      else bySink.set(d.sink, [d]);
    }
    const queues = [...bySink.values()];
    const worker = async () => {
      for (let queue = queues.shift(); queue; queue = queues.shift()) {
        for (const delivery of queue) {
          const outcome = await this.#process(delivery, stop);
          // Stryker disable next-line ConditionalExpression: equivalent; callers read only these three counts, never a 'released' or 'unrecorded' one.
          if (outcome === 'delivered' || outcome === 'retried' || outcome === 'failed') result[outcome]++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, queues.length) }, worker));
    return result;
  }

  async #process(delivery: Delivery, stop: AbortSignal | undefined): Promise<Outcome> {
    try {
      return await this.#attempt(delivery, stop);
    } catch (err) {
      // Recording the outcome failed (store down). The lease expires and the delivery is retried;
      // receivers drop the repeat by delivery id.
      this.#logger.error(
        { deliveryId: delivery.id, sink: delivery.sink, err },
        'could not record delivery outcome',
      );
      // Stryker disable next-line StringLiteral: equivalent; only delivered, retried and failed are counted.
      return 'unrecorded';
    }
  }

  async #attempt(delivery: Delivery, stop: AbortSignal | undefined): Promise<Outcome> {
    if (stop?.aborted || this.#inFlight.signal.aborted) {
      await this.#store.retryDelivery(delivery.id, this.#now(), 'not attempted: outbox stopping');
      // Stryker disable next-line StringLiteral: equivalent; only delivered, retried and failed are counted.
      return 'released';
    }
    const sink = this.#sinks.get(delivery.sink);
    if (!sink) {
      return this.#fail(
        delivery,
        errors.configInvalid({ path: `sinks.${delivery.sink}`, problem: 'the sink is no longer configured; delivery abandoned' }),
        undefined,
      );
    }
    const alert = await this.#store.getAlert(delivery.alertId);
    if (!alert) {
      return this.#fail(delivery, errors.internal({ problem: `alert ${delivery.alertId} of delivery ${delivery.id} not found` }), sink);
    }
    // claimDeliveries counts the attempt when it leases, so a crash mid-request still uses one up.
    const attempt = delivery.attempts;
    try {
      await sink.deliver(alert, { deliveryId: delivery.id, attempt, signal: this.#inFlight.signal });
    } catch (err) {
      if (this.#inFlight.signal.aborted) {
        await this.#store.retryDelivery(delivery.id, this.#now(), `interrupted: ${describe(err)}`);
        // Stryker disable next-line StringLiteral: equivalent; only delivered, retried and failed are counted.
        return 'released';
      }
      const policy = sink.retryPolicy ?? this.#defaultPolicy;
      if (!(err instanceof SaaswatchError) || !err.retryable || attempt >= policy.maxAttempts) {
        return this.#fail(delivery, err, sink);
      }
      const delayMs = nextAttemptDelay(err, attempt, policy, this.#random);
      await this.#store.retryDelivery(delivery.id, this.#now() + delayMs, describe(err));
      this.#logger.info(
        { deliveryId: delivery.id, sink: sink.name, sinkType: sink.type, attempts: attempt, delayMs, err },
        'delivery failed; will retry',
      );
      return 'retried';
    }
    await this.#store.completeDelivery(delivery.id);
    return 'delivered';
  }

  async #fail(delivery: Delivery, err: unknown, sink: Sink | undefined): Promise<Outcome> {
    const error = describe(err);
    await this.#store.failDelivery(delivery.id, error);
    // Sinks keep credentials out of their errors (the sink contract, S4), so the error is safe to log.
    this.#logger.warn(
      {
        deliveryId: delivery.id,
        alertId: delivery.alertId,
        sink: delivery.sink,
        ...(sink ? { sinkType: sink.type } : {}),
        attempts: delivery.attempts,
        err,
      },
      'delivery failed permanently',
    );
    return 'failed';
  }

  /** Earliest time anything unfinished could be claimed: a pending retry or an expiring lease. */
  async #nextDueAt(): Promise<number | undefined> {
    let next: number | undefined;
    const consider = (at: number) => {
      // Stryker disable next-line EqualityOperator: equivalent; on a tie either instant is the same.
      if (Number.isFinite(at) && (next === undefined || at < next)) next = at;
    };
    for (const d of await this.#store.listDeliveries({ status: 'pending', limit: UNFINISHED_SCAN_LIMIT })) {
      consider(d.nextAttemptAt);
    }
    // The contract does not expose lease ends; a lease is taken at updatedAt and, with every outbox
    // on the same leaseMs, ends leaseMs later. Waiting for it lets a one-shot command pick up what a
    // crashed run left leased, when that is within its timeout.
    for (const d of await this.#store.listDeliveries({ status: 'delivering', limit: UNFINISHED_SCAN_LIMIT })) {
      consider(Math.max(d.nextAttemptAt, Date.parse(d.updatedAt) + this.#leaseMs));
    }
    return next;
  }

  async #countUnfinished(): Promise<number> {
    const pending = await this.#store.listDeliveries({ status: 'pending', limit: UNFINISHED_SCAN_LIMIT });
    const delivering = await this.#store.listDeliveries({ status: 'delivering', limit: UNFINISHED_SCAN_LIMIT });
    return pending.length + delivering.length;
  }
}

function errorCode(err: unknown): string {
  return err instanceof SaaswatchError ? err.code : 'INTERNAL';
}

/** The stored last_error: code first so operators can filter on it. */
function describe(err: unknown): string {
  return `${errorCode(err)}: ${errorMessage(err)}`;
}
