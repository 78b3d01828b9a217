/** Polls team_log page by page, committing {cursor, watermark} after each page, surviving throttling, 5xx and cursor resets. */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { DeadLetterInput, SecurityEvent, SourceBatch } from '../../core/index.js';
import { SaaswatchError, errorMessage } from '../../core/index.js';
import { nextAttemptDelay } from '../../pipeline/retry.js';
import { isCursorGone, toSaaswatchError, type TeamLogClient, type TeamLogPage } from './client.js';
import { normalizeTeamEvent } from './normalize.js';

/** What the committed cursor holds: Dropbox's cursor, and the newest event time seen to resume from if it is reset. */
export interface PollState {
  cursor: string | undefined;
  /** ISO time: the newest event seen (events are unsorted, so the max, not the last). */
  watermark: string;
}

export interface PollerOptions {
  source: string;
  client: TeamLogClient;
  pageLimit: number;
  category: string | undefined;
  initialLookbackMs: number;
  overlapMs: number;
  logger: Logger | undefined;
  now: () => number;
  /** Waits between retries; tests record the delays instead of sleeping. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Attempts per API call before the poll cycle gives up until the next one (a 429 storm counts too). */
  maxAttempts: number;
  backoff: { initialMs: number; maxMs: number };
  random?: () => number;
}

/** Cursor resets one poll cycle absorbs before giving up until the next cycle. */
const MAX_RESETS_PER_CYCLE = 3;

export async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleepTimer(ms, undefined, { signal });
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

/** Dropbox accepts only whole-second UTC timestamps in time filters. */
function dropboxTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Reads a committed cursor; an unreadable one is reported and replaced by a fresh start (dedupe absorbs the re-read). */
export function parsePollState(cursor: string | undefined, logger?: Logger, source?: string): PollState | undefined {
  if (cursor === undefined) return undefined;
  try {
    const v = JSON.parse(cursor) as Partial<PollState>;
    if (typeof v.watermark === 'string' && Number.isFinite(Date.parse(v.watermark)) && (v.cursor === undefined || typeof v.cursor === 'string')) {
      return { cursor: v.cursor, watermark: v.watermark };
    }
  } catch {
    // Falls through to the warning below.
  }
  logger?.warn({ source }, 'Committed Dropbox cursor is unreadable; starting again from initial_lookback.');
  return undefined;
}

export function serializePollState(s: PollState): string {
  return JSON.stringify({ cursor: s.cursor, watermark: s.watermark });
}

/** One page turned into a batch, with the state to adopt once the pipeline has committed it. */
export interface PolledBatch {
  batch: SourceBatch;
  state: PollState;
}

/**
 * One poll cycle: continue from the committed cursor (or get_events from the look-back or the
 * watermark), then continue while has_more, empty pages included. Each page is yielded with its
 * cursor; the caller adopts `state` only after the batch is committed.
 */
export async function* pollCycle(opts: PollerOptions, start: PollState | undefined, signal: AbortSignal): AsyncGenerator<PolledBatch> {
  const { client, logger, source } = opts;
  const startedAt = opts.now();
  let watermarkMs = start ? Date.parse(start.watermark) : startedAt - opts.initialLookbackMs;
  // What the cycle promises (see SourceBatch.watermark): Dropbox does not sort events, so nothing
  // until the cursor runs dry; then everything logged before the cycle began, less the overlap that
  // stands for Dropbox's lateness. Before that, only what the previous cycles promised.
  const promised = start ? Date.parse(start.watermark) - opts.overlapMs : watermarkMs;
  let resets = 0;

  const call = async (what: string, fn: () => Promise<TeamLogPage>): Promise<TeamLogPage> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const e = toSaaswatchError(err);
        if (!e.retryable || attempt >= opts.maxAttempts || signal.aborted) throw e;
        const delay = nextAttemptDelay(e, attempt, opts.backoff, opts.random);
        logger?.warn({ source, call: what, attempt, delayMs: delay, err: e.message }, 'Dropbox call failed; retrying.');
        await opts.sleep(delay, signal);
        if (signal.aborted) throw e;
      }
    }
  };

  /** get_events from a time: the first poll, or after a reset (watermark − overlap, so nothing late is skipped). */
  const fresh = (fromMs: number) => {
    const startTime = dropboxTime(fromMs);
    return call('get_events', () =>
      client.getEvents({ limit: opts.pageLimit, startTime, ...(opts.category ? { category: opts.category } : {}) }),
    );
  };

  /** continue, falling back to a fresh query from watermark − overlap when the cursor is gone. */
  const next = async (cursor: string): Promise<TeamLogPage> => {
    try {
      return await call('get_events/continue', () => client.getEventsContinue(cursor));
    } catch (err) {
      if (!isCursorGone(err)) throw err;
      // Counted per cycle, not per page: a server resetting every cursor would otherwise have us
      // re-read the same overlap window forever.
      if (++resets > MAX_RESETS_PER_CYCLE) {
        throw new SaaswatchError('HTTP_RETRYABLE', `Dropbox reset the team_log cursor ${resets} times in one poll`, { retryable: true, cause: err });
      }
      const from = watermarkMs - opts.overlapMs;
      logger?.info({ source, from: new Date(from).toISOString(), err: errorMessage(err) }, 'Dropbox cursor expired; resuming from the watermark minus the overlap.');
      return await fresh(from);
    }
  };

  let page = start?.cursor !== undefined ? await next(start.cursor) : await fresh(watermarkMs);
  let pageNo = 0;
  let done = 0;
  for (;;) {
    pageNo++;
    const ingested = new Date(opts.now()).toISOString();
    const events: SecurityEvent[] = [];
    const deadLetters: DeadLetterInput[] = [];
    for (const raw of page.events) {
      const r = normalizeTeamEvent(raw, ingested);
      if (r.ok) {
        events.push(r.event);
        // The max, not the last: Dropbox does not sort events, not even within a page.
        if (r.ms > watermarkMs) watermarkMs = r.ms;
      } else {
        deadLetters.push({
          source,
          code: r.code,
          reason: `team_log page ${pageNo}: ${r.reason}`,
          payload: JSON.stringify(raw) ?? String(raw),
          position: { page: String(pageNo) },
        });
      }
    }
    const state: PollState = { cursor: page.cursor, watermark: new Date(watermarkMs).toISOString() };
    const watermark = page.has_more ? promised : Math.max(promised, startedAt - opts.overlapMs);
    yield { batch: { events, deadLetters, cursor: serializePollState(state), progress: { done: (done += events.length), unit: 'records' }, watermark }, state };
    if (!page.has_more || signal.aborted) return;
    page = await next(page.cursor);
  }
}
