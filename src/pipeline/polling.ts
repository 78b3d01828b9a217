/** The one poll lifecycle every polling source runs on: interval, wake-ups, once-mode, abort, retries, one sleep and a versioned cursor. */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock, PluginDeps, Redactor, Source, SourceBatch, SourceContext } from '../core/index.js';
import { SaaswatchError } from '../core/index.js';
import { deprecationsOf } from './polling-config.js';
import { nextAttemptDelay } from './retry.js';

/** Waits `ms`; resolves early (without throwing) when the signal aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/**
 * The one abortable sleep: retry waits, Retry-After waits and the idle wait between polls all end
 * the moment the source is stopped, so a stop never waits out a server's hour-long Retry-After.
 */
export async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleepTimer(ms, undefined, { signal });
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

/** How many attempts one request gets and the backoff between them when the server names no Retry-After. */
export interface CallRetry {
  maxAttempts: number;
  initialMs: number;
  maxMs: number;
}

export interface WithRetryOptions extends CallRetry {
  signal: AbortSignal;
  /** Turns whatever the SDK threw into a classified error; retryable ones are retried. */
  classify: (err: unknown) => SaaswatchError;
  /** The secret values the client sends: removed from every error before it is logged or thrown. */
  redact?: Redactor | undefined;
  logger?: Logger | undefined;
  /** What the retry log line says failed (`Dropbox`, `Google`, ...). */
  label?: string;
  /** Extra log fields (the stream of a multi-stream source). */
  fields?: Record<string, unknown>;
  sleep?: Sleep;
  random?: () => number;
}

/**
 * Calls `fn` until it succeeds, fails for good, runs out of attempts or the signal aborts; the last
 * classified error is thrown. The delay is pipeline/retry.ts's: Retry-After wins, else jittered backoff.
 */
export async function withRetry<T>(what: string, fn: () => Promise<T>, opts: WithRetryOptions): Promise<T> {
  const wait = opts.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const err = scrub(opts.classify(raw), opts.redact);
      if (!err.retryable || attempt >= opts.maxAttempts || opts.signal.aborted) throw err;
      const delayMs = nextAttemptDelay(err, attempt, opts, opts.random);
      opts.logger?.warn({ ...opts.fields, request: what, attempt, delayMs, err }, `${opts.label ?? 'Source'} request failed; retrying.`);
      await wait(delayMs, opts.signal);
      if (opts.signal.aborted) throw err;
    }
  }
}

function scrub(err: SaaswatchError, redact: Redactor | undefined): SaaswatchError {
  return redact && !redact.empty ? redact.error(err) : err;
}

/**
 * How a source's resume point is stored. The runtime writes `{"v": version, ...write(state)}` and
 * hands `read` only cursors of its own version; `upgrade` reads older forms.
 */
export interface CursorCodec<S> {
  version: number;
  /** A cursor of this version, `v` included; undefined (or a throw) when it does not hold together. */
  read(data: Record<string, unknown>): S | undefined;
  /** A cursor written before this version (another `v`, or none); undefined when not one. */
  upgrade?(data: unknown): S | undefined;
  write(state: S): Record<string, unknown>;
  /** Where a source with no usable cursor starts: its configured look-back (`backfill`). */
  initial(): S;
}

export function encodeCursor<S>(codec: CursorCodec<S>, state: S): string {
  return JSON.stringify({ ...codec.write(state), v: codec.version });
}

/**
 * Reads a committed cursor under the one policy for an unreadable cursor: say so loudly (warn, with
 * the error), and resume from the configured look-back. Not a throw: a source that refuses to start
 * stops detection altogether until a person deletes the row. Not silent: the re-read and any gap
 * before the look-back must be visible. Dedupe absorbs what the look-back reads twice.
 */
export function decodeCursor<S>(codec: CursorCodec<S>, text: string | undefined, logger?: Logger, label = 'Source'): S {
  if (text === undefined || text === '') return codec.initial();
  let why = 'it does not hold together';
  try {
    const data: unknown = JSON.parse(text);
    const obj = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
    const s = obj?.v === codec.version ? codec.read(obj) : codec.upgrade?.(data);
    if (s !== undefined) return s;
  } catch (err) {
    // Not the parser's message: it quotes the cursor.
    why = err instanceof SyntaxError ? 'it is not JSON' : `reading it failed (${err instanceof SaaswatchError ? err.code : 'error'})`;
  }
  // The cursor itself is not logged: delta links and page tokens are sync state we need not spread.
  const err = new SaaswatchError('INPUT_MALFORMED', `the stored ${label} cursor is not a version ${codec.version} cursor of this source: ${why}`, {
    details: { length: text.length },
  });
  logger?.warn({ err }, `${label} cursor is unreadable; resuming from the configured look-back (backfill). Events before it are not read again.`);
  return codec.initial();
}

/** A batch as a poll yields it; `state`, when given, is what the committed cursor becomes. */
export type PolledBatch<S> = Omit<SourceBatch, 'cursor'> & { state?: S };

/** What one poll may use: the run's signal, clock and logger, and the shared retry. */
export interface PollContext {
  signal: AbortSignal;
  now: Clock;
  logger: Logger | undefined;
  /** Whether this poll was started by a wake-up (a webhook) rather than the interval. */
  woken: boolean;
  /** Asks for a poll now (what a webhook notification does). */
  wake(): void;
  /** Runs one request under the source's retry policy. */
  retry<T>(what: string, fn: () => Promise<T>, extra?: { classify?: (err: unknown) => SaaswatchError; fields?: Record<string, unknown> }): Promise<T>;
  /** The retry options as a value, for helpers that take them whole. */
  retryOptions: WithRetryOptions;
}

/** A run of the source: made once per `batches()` call, from the decoded cursor. */
export interface PollSession<S> {
  /** One poll: read from `state` up to the present, yielding batches; throws when it cannot go on. */
  pollOnce(state: S, ctx: PollContext): AsyncIterable<PolledBatch<S>>;
  /** Housekeeping after each poll, failed or not (unless the failure ends the run). */
  afterPoll?(ctx: PollContext): Promise<void>;
  /** Wait before the next poll (default poll_interval); `failed` when this one failed. */
  nextPollIn?(info: { failed: boolean }): number;
  close?(): void;
}

/** What the CLI and tests may set on any polling source. */
export interface PollingSourceOptions {
  logger?: Logger;
  /** Clock (epoch ms) for the look-back, windows and event.ingested; tests pin it. */
  now?: Clock;
  /** Read up to the present once and stop, instead of polling until aborted. */
  once?: boolean;
  /** Waits between retries of one call (tests record instead of sleeping). */
  sleep?: Sleep;
  /** The wait between polls (tests move their clock by it instead of sleeping). */
  idle?: Sleep;
  random?: () => number;
  /** Attempts per request and the backoff between them when the server gives no Retry-After; override the config's `retry`. */
  maxAttempts?: number;
  backoff?: { initialMs: number; maxMs: number };
}

/** The options a plugin's `create` passes on from the run: its logger, once-mode and clock. */
export function pollingOptions(deps: PluginDeps): PollingSourceOptions {
  return { logger: deps.logger, ...(deps.once ? { once: true } : {}), ...(deps.now ? { now: deps.now } : {}) };
}

export interface PollingSourceSpec<S> {
  name: string;
  /** kebab-case integration id. */
  type: string;
  /** How log lines name the service (`Dropbox`). */
  label: string;
  cursor: CursorCodec<S>;
  pollInterval: number;
  /**
   * Least time between the starts of two polls that a wake-up asks for (default 0): every wake
   * within it, or during a poll, comes down to one poll at its end. Scheduled polls keep poll_interval.
   */
  minPollInterval?: number | undefined;
  retry: CallRetry;
  classify(err: unknown): SaaswatchError;
  /**
   * The secret values the source's client sends (configured credentials, and tokens or assertions
   * it obtains while running): every error the runtime logs or throws is scrubbed of them.
   */
  redact?: Redactor | undefined;
  open(state: S, ctx: PollContext): PollSession<S> | Promise<PollSession<S>>;
  /** The source's parsed config: old key names it was written with are warned about once, here. */
  config?: unknown;
  logger?: Logger | undefined;
  now?: Clock | undefined;
  /** Read up to the present once and end (cron, backfills); a failed poll then throws. */
  once?: boolean | undefined;
  /** Retry waits (tests record them instead of sleeping). */
  sleep?: Sleep | undefined;
  /** The wait between polls (default: the same abortable sleep). */
  idle?: Sleep | undefined;
  random?: (() => number) | undefined;
}

/**
 * A polling source. Failures the retries could not ride out end the run when they will not fix
 * themselves (a rejected credential: a person must act) and otherwise wait for the next poll,
 * resuming from the committed cursor; a failed poll is logged at warn, always.
 */
export class PollingSource<S> implements Source {
  readonly name: string;
  readonly type: string;
  #wakeRequested = false;
  #endIdle: (() => void) | undefined;

  constructor(protected readonly spec: PollingSourceSpec<S>) {
    this.name = spec.name;
    this.type = spec.type;
    for (const d of deprecationsOf(spec.config)) {
      spec.logger?.warn({ key: d.old, use: d.new }, `Config key ${d.old} of source ${spec.name} is deprecated; use ${d.new}.`);
    }
  }

  /**
   * Asks for a poll (what a webhook notification does). It only raises a flag: however many wakes
   * arrive while a poll runs or within minPollInterval of its start, one poll follows, no sooner
   * than minPollInterval after the previous one started. A wake is free, so a replay storm costs
   * at most one poll per interval.
   */
  wake(): void {
    if (this.#wakeRequested) return;
    this.#wakeRequested = true;
    this.#endIdle?.();
  }

  /** Waits `ms`; a wake ends the wait early when `wakeable`, a stop always. */
  async #idle(ms: number, signal: AbortSignal, wakeable: boolean): Promise<void> {
    const ended = new AbortController();
    const end = (): void => ended.abort();
    if (wakeable) this.#endIdle = end;
    signal.addEventListener('abort', end, { once: true });
    try {
      await (this.spec.idle ?? abortableSleep)(ms, ended.signal);
    } finally {
      if (wakeable) this.#endIdle = undefined;
      signal.removeEventListener('abort', end);
    }
  }

  /** The wait after a poll that started at `startedAt`: `ms`, cut short by a wake, but never before startedAt + minPollInterval. */
  async #untilNextPoll(ms: number, startedAt: number, signal: AbortSignal): Promise<void> {
    const now = this.spec.now ?? Date.now;
    const scheduled = now() + ms;
    if (!this.#wakeRequested) await this.#idle(ms, signal, true);
    if (!this.#wakeRequested || signal.aborted) return;
    const left = Math.min(startedAt + (this.spec.minPollInterval ?? 0), scheduled) - now();
    if (left > 0) await this.#idle(left, signal, false);
  }

  async *batches(run: SourceContext): AsyncGenerator<SourceBatch> {
    const { spec } = this;
    const { signal } = run;
    const logger = spec.logger;
    const retryOptions: WithRetryOptions = {
      ...spec.retry,
      signal,
      classify: (e) => spec.classify(e),
      redact: spec.redact,
      logger,
      label: spec.label,
      ...(spec.sleep ? { sleep: spec.sleep } : {}),
      ...(spec.random ? { random: spec.random } : {}),
    };
    const ctx: PollContext = {
      signal,
      now: spec.now ?? Date.now,
      logger,
      woken: false,
      wake: () => this.wake(),
      retryOptions,
      retry: (what, fn, extra) =>
        withRetry(what, fn, { ...retryOptions, ...(extra?.classify ? { classify: extra.classify } : {}), ...(extra?.fields ? { fields: extra.fields } : {}) }),
    };
    let state = decodeCursor(spec.cursor, run.cursor, logger, spec.label);
    const session = await spec.open(state, ctx);
    try {
      while (!signal.aborted) {
        ctx.woken = this.#wakeRequested;
        this.#wakeRequested = false;
        const startedAt = ctx.now();
        let failed = false;
        try {
          for await (const polled of session.pollOnce(state, ctx)) {
            const { state: next, ...batch } = polled;
            yield next === undefined ? batch : { ...batch, cursor: encodeCursor(spec.cursor, next) };
            // Only now is the batch committed: the pipeline awaits the commit before pulling again.
            if (next !== undefined) state = next;
          }
        } catch (raw) {
          if (signal.aborted) return;
          const err = scrub(spec.classify(raw), spec.redact);
          if (!err.retryable || spec.once) throw err;
          logger?.warn({ err }, `${spec.label} poll failed; trying again at the next poll.`);
          failed = true;
        }
        if (session.afterPoll && !signal.aborted) await session.afterPoll(ctx);
        if (spec.once || signal.aborted) return;
        await this.#untilNextPoll(session.nextPollIn?.({ failed }) ?? spec.pollInterval, startedAt, signal);
      }
    } finally {
      session.close?.();
    }
  }
}

export function definePollingSource<S>(spec: PollingSourceSpec<S>): PollingSource<S> {
  return new PollingSource(spec);
}
