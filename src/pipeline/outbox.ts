/** Delivers stored alerts to sinks: leases due deliveries, applies each sink's retry policy, and records the outcome. */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Alert, AlertOutbox, Clock, Delivery, DeliveryContext, EventLog, Sink, SinkRefs } from '../core/index.js';
import { SaaswatchError, errorMessage, errors } from '../core/index.js';
import { DEFAULT_RETRY_POLICY, nextAttemptDelay, type RetryPolicy } from './retry.js';

/** What the outbox reads: its deliveries and alerts, and the events a sink's context may ask for. */
export type OutboxStore = AlertOutbox & Pick<EventLog, 'getEvents' | 'countActivity'>;

/** Alerts of a group a delivery's context carries, oldest first: a notification lists them, not hundreds. */
export const GROUP_CONTEXT_LIMIT = 50;
/** About this many activity buckets per chart: enough to see a burst, few enough to read. */
const ACTIVITY_BUCKETS = 42;
/** The activity shown: this many alert windows before it, and one after. */
const ACTIVITY_BEFORE = 6;
/** Evidence is looked for from this long before the alert window to this long after (events are keyed by time). */
const EVIDENCE_MARGIN_MS = 24 * 3_600_000;

/** A sink's saved handles, in the store's sink_refs under its name. */
export function storeRefs(store: Pick<AlertOutbox, 'getSinkRef' | 'putSinkRef'>, sink: string): SinkRefs {
  return { get: (key) => store.getSinkRef(sink, key), put: (key, value) => store.putSinkRef(sink, key, value) };
}

/** Bucket widths a chart's time axis reads well in: whole minutes, hours, a day. */
const NICE_BUCKETS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * 60_000);

/**
 * The span and bucket width of an alert's activity series: its window, six windows before, one
 * after; a window under ten minutes (one event's) counts as ten, so there is a "before" to see.
 * Buckets are the nearest readable width and the span is aligned to them.
 */
export function activitySpan(alert: Pick<Alert, 'windowStart' | 'windowEnd'>): { from: number; to: number; bucketMs: number } {
  const w = Math.max(alert.windowEnd - alert.windowStart, 10 * 60_000);
  const wanted = ((ACTIVITY_BEFORE + 2) * w) / ACTIVITY_BUCKETS;
  const bucketMs = NICE_BUCKETS_MS.find((b) => b >= wanted) ?? Math.ceil(wanted / 86_400_000) * 86_400_000;
  const from = Math.floor((alert.windowStart - ACTIVITY_BEFORE * w) / bucketMs) * bucketMs;
  const to = Math.ceil((Math.max(alert.windowEnd, alert.windowStart + 1) + w) / bucketMs) * bucketMs;
  return { from, to, bucketMs };
}

export interface OutboxOptions {
  logger: Logger;
  /**
   * How long a claimed delivery stays ours without a renewal. The outbox renews the leases of the
   * batch it works on every third of this, so a slow sink never loses its lease; a process that dies
   * stops renewing, and another outbox takes its deliveries over once this has passed.
   */
  leaseMs?: number;
  /** Names this outbox as lease holder; default `<host>:<pid>:<random>`, so an operator can tell whose lease it is. */
  owner?: string;
  /**
   * The clock leases run on: the wall clock in the app, since a lease measures whether a process is
   * alive, while `now` may be pinned (SAASWATCH_NOW, the demo) and start over at each run. Default: `now`.
   */
  leaseClock?: Clock;
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

type Outcome = keyof DrainResult | 'released' | 'unrecorded' | 'lost';

/** Our view of one claimed delivery's lease while its batch is worked. */
interface HeldLease {
  /** Lease end as last written by us, on the lease clock. */
  until: number;
  /** held: ours; lost: another outbox holds or finished it; expired: not renewed in time, so we stop; done: outcome recorded. */
  state: 'held' | 'lost' | 'expired' | 'done';
  /** Aborts the sink call when the lease is lost or runs out, so two processes never deliver it at once. */
  readonly stop: AbortController;
}

/** drain() looks at this many unfinished deliveries to find the next due one; beyond it, it may stop early. */
const UNFINISHED_SCAN_LIMIT = 100_000;

// Short, because it is renewed while work goes on: what a killed process leaves leased is free again within it.
const DEFAULTS = { leaseMs: 10_000, batchSize: 50, pollIntervalMs: 1_000, concurrency: 4 };

function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function leaseLost(err: unknown): boolean {
  return err instanceof SaaswatchError && err.details?.leaseLost === true;
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleepTimer(ms, undefined, signal ? { signal } : {});
  } catch {
    // Aborted: the caller checks its signal.
  }
}

export class Outbox {
  readonly #store: OutboxStore;
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
  readonly #owner: string;
  readonly #leaseNow: Clock;
  /** Renewal period: a third of the lease, so one failed renewal still leaves time for the next. */
  readonly #renewEveryMs: number;
  /** Aborted only by abort(): in-flight requests normally finish, so a stop never wastes an attempt. */
  readonly #inFlight = new AbortController();

  constructor(store: OutboxStore, sinks: ReadonlyMap<string, Sink>, opts: OutboxOptions) {
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
    this.#owner = opts.owner ?? defaultOwner();
    this.#leaseNow = opts.leaseClock ?? this.#now;
    this.#renewEveryMs = Math.max(1, Math.floor(this.#leaseMs / 3));
  }

  /** The lease holder id this outbox writes into the store. */
  get owner(): string {
    return this.#owner;
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
        const dueIn = await this.#nextDueIn();
        if (dueIn === undefined || this.#now() + dueIn >= deadline) break;
        // Something is due yet nothing could be claimed (another process claimed it first, or a
        // lease is being renewed by its live holder): poll rather than spin.
        const wait = Math.max(dueIn, Math.min(this.#pollIntervalMs, 100));
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
    const leaseNow = this.#leaseNow();
    const claimed = await this.#store.claimDeliveries(now, this.#batchSize, { owner: this.#owner, now: leaseNow, ms: this.#leaseMs });
    const result = { delivered: 0, retried: 0, failed: 0, claimed: claimed.length };
    // Stryker disable next-line ConditionalExpression: equivalent; an empty batch makes no queue and starts no worker.
    if (claimed.length === 0) return result;

    const leases = new Map<string, HeldLease>(
      claimed.map((d) => [d.id, { until: d.leaseUntil ?? leaseNow + this.#leaseMs, state: 'held', stop: new AbortController() }]),
    );
    const stopHeartbeat = this.#heartbeat(leases);
    try {
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
            const lease = leases.get(delivery.id)!;
            const outcome = await this.#process(delivery, lease, stop);
            if (lease.state === 'held') lease.state = 'done';
            // Stryker disable next-line ConditionalExpression: equivalent; callers read only these three counts, never a 'released' or 'unrecorded' one.
            if (outcome === 'delivered' || outcome === 'retried' || outcome === 'failed') result[outcome]++;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#concurrency, queues.length) }, worker));
    } finally {
      stopHeartbeat();
    }
    return result;
  }

  /**
   * Keeps the batch's leases alive while it is worked, and stops work on any lease that is lost
   * (another outbox took it over) or about to run out unrenewed (store unreachable): past its end
   * another process may claim it, and two must never deliver one delivery at once.
   */
  #heartbeat(leases: Map<string, HeldLease>): () => void {
    let renewing = false;
    const tick = () => {
      const now = this.#leaseNow();
      for (const [id, lease] of leases) {
        // One renewal period before the end: the next tick might come too late.
        if (lease.state === 'held' && now >= lease.until - this.#renewEveryMs) {
          lease.state = 'expired';
          lease.stop.abort();
          this.#logger.warn({ deliveryId: id, leaseUntil: lease.until }, 'delivery lease could not be renewed in time; its attempt stops');
        }
      }
      if (renewing) return;
      const ids = [...leases].filter(([, l]) => l.state === 'held').map(([id]) => id);
      if (ids.length === 0) return;
      renewing = true;
      const until = now + this.#leaseMs;
      this.#store
        .renewLeases(this.#owner, ids, until)
        .then((kept) => {
          const ours = new Set(kept);
          for (const id of ids) {
            const lease = leases.get(id)!;
            if (lease.state !== 'held') continue;
            if (ours.has(id)) {
              lease.until = until;
            } else {
              lease.state = 'lost';
              lease.stop.abort();
              this.#logger.warn({ deliveryId: id }, 'delivery lease was taken over by another outbox; its attempt here stops');
            }
          }
        })
        .catch((err: unknown) => {
          // The store may be briefly unavailable: the lease end we know of stands, and the next tick tries again.
          this.#logger.warn({ err }, 'could not renew delivery leases');
        })
        .finally(() => {
          renewing = false;
        });
    };
    const timer = setInterval(tick, this.#renewEveryMs);
    // Stryker disable next-line OptionalChaining: equivalent; Node timers always have unref.
    timer.unref?.();
    return () => clearInterval(timer);
  }

  async #process(delivery: Delivery, lease: HeldLease, stop: AbortSignal | undefined): Promise<Outcome> {
    try {
      return await this.#attempt(delivery, lease, stop);
    } catch (err) {
      if (leaseLost(err)) {
        // Another outbox took the delivery over after our lease ran out; its outcome is the one kept,
        // and a repeat it sends carries the same delivery id, which receivers drop.
        this.#logger.warn({ deliveryId: delivery.id, sink: delivery.sink, err }, 'delivery outcome not recorded: its lease was taken over');
        return 'lost';
      }
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

  /** Gives a delivery back, due now, unless the lease is no longer ours (then the new holder decides). */
  async #release(delivery: Delivery, lease: HeldLease, why: string): Promise<Outcome> {
    if (lease.state === 'lost') return 'lost';
    try {
      await this.#store.retryDelivery(delivery.id, this.#now(), why, this.#owner);
    } catch (err) {
      if (!leaseLost(err)) throw err;
      return 'lost';
    }
    // Stryker disable next-line StringLiteral: equivalent; only delivered, retried and failed are counted.
    return 'released';
  }

  /** Whether the lease is ours with at least one renewal period left: enough to start a sink call under it. */
  #usable(lease: HeldLease): boolean {
    return lease.state === 'held' && this.#leaseNow() < lease.until - this.#renewEveryMs;
  }

  async #attempt(delivery: Delivery, lease: HeldLease, stop: AbortSignal | undefined): Promise<Outcome> {
    if (stop?.aborted || this.#inFlight.signal.aborted) return this.#release(delivery, lease, 'not attempted: outbox stopping');
    if (!this.#usable(lease)) return this.#release(delivery, lease, 'not attempted: its lease ran out first');
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
    const signal = AbortSignal.any([this.#inFlight.signal, lease.stop.signal]);
    let ctx: DeliveryContext;
    try {
      ctx = await this.#context(delivery, alert, sink, attempt, signal);
    } catch (err) {
      // The store could not give what the sink needs: nothing was sent, so the delivery waits and
      // tries again, however many attempts it has used.
      const policy = sink.retryPolicy ?? this.#defaultPolicy;
      const delayMs = nextAttemptDelay(err, attempt, policy, this.#random);
      await this.#store.retryDelivery(delivery.id, this.#now() + delayMs, `not attempted: its context could not be loaded: ${describe(err)}`, this.#owner);
      this.#logger.warn({ deliveryId: delivery.id, sink: sink.name, delayMs, err }, 'delivery context could not be loaded; will retry');
      return 'retried';
    }
    try {
      await sink.deliver(alert, ctx);
    } catch (err) {
      if (lease.stop.signal.aborted) return this.#release(delivery, lease, `interrupted: lease ran out: ${describe(err)}`);
      if (this.#inFlight.signal.aborted) return this.#release(delivery, lease, `interrupted: ${describe(err)}`);
      const policy = sink.retryPolicy ?? this.#defaultPolicy;
      if (!(err instanceof SaaswatchError) || !err.retryable || attempt >= policy.maxAttempts) {
        return this.#fail(delivery, err, sink);
      }
      const delayMs = nextAttemptDelay(err, attempt, policy, this.#random);
      await this.#store.retryDelivery(delivery.id, this.#now() + delayMs, describe(err), this.#owner);
      this.#logger.info(
        { deliveryId: delivery.id, sink: sink.name, sinkType: sink.type, attempts: attempt, delayMs, err },
        'delivery failed; will retry',
      );
      return 'retried';
    }
    await this.#store.completeDelivery(delivery.id, this.#owner);
    return 'delivered';
  }

  /** What the sink is told beside the alert: the delivery's kind, the group, its saved handles, and what it asked to be loaded. */
  async #context(delivery: Delivery, alert: Alert, sink: Sink, attempt: number, signal: AbortSignal): Promise<DeliveryContext> {
    const ctx: DeliveryContext = { deliveryId: delivery.id, attempt, signal, kind: delivery.kind, refs: storeRefs(this.#store, sink.name) };
    // Groups are shown by the sinks that thread follow-ups (needs.updates); the others never read one.
    if (alert.groupId !== undefined && sink.needs?.updates) {
      const alerts = await this.#store.listGroup(alert.groupId, GROUP_CONTEXT_LIMIT);
      // A long group lists its oldest; the alert delivered is in it all the same.
      if (!alerts.some((a) => a.id === alert.id)) alerts.push(alert);
      if (alerts.length > 1) ctx.group = { id: alert.groupId, alerts };
    }
    const evidence = Math.floor(sink.needs?.evidence ?? 0);
    if (evidence > 0 && alert.evidence.length > 0) {
      ctx.evidence = await this.#store.getEvents(alert.evidence.slice(0, evidence), {
        from: alert.windowStart - EVIDENCE_MARGIN_MS,
        to: alert.windowEnd + EVIDENCE_MARGIN_MS,
      });
    }
    if (sink.needs?.activity) {
      const activity = await this.#store.countActivity({ entity: alert.entity, ...activitySpan(alert) });
      if (activity) ctx.activity = activity;
    }
    return ctx;
  }

  async #fail(delivery: Delivery, err: unknown, sink: Sink | undefined): Promise<Outcome> {
    const error = describe(err);
    await this.#store.failDelivery(delivery.id, error, this.#owner);
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

  /**
   * How long until anything unfinished could be claimed: a pending retry falling due, or a lease
   * running out (another process's, renewed while it lives; a dead one's ends within leaseMs).
   */
  async #nextDueIn(): Promise<number | undefined> {
    let next: number | undefined;
    const consider = (ms: number) => {
      // Stryker disable next-line EqualityOperator: equivalent; on a tie either wait is the same.
      if (Number.isFinite(ms) && (next === undefined || ms < next)) next = ms;
    };
    const now = this.#now();
    for (const d of await this.#store.listDeliveries({ status: 'pending', limit: UNFINISHED_SCAN_LIMIT })) {
      consider(d.nextAttemptAt - now);
    }
    const leaseNow = this.#leaseNow();
    for (const d of await this.#store.listDeliveries({ status: 'delivering', limit: UNFINISHED_SCAN_LIMIT })) {
      // A lease is held up to its end inclusive; it can be taken a millisecond later.
      if (d.leaseUntil !== undefined) consider(d.leaseUntil + 1 - leaseNow);
    }
    return next === undefined ? undefined : Math.max(0, next);
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
