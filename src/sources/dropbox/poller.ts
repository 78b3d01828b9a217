/** Polls team_log page by page, committing {cursor, watermark} after each page, surviving throttling, 5xx and cursor resets. */
import type { Logger } from 'pino';
import type { DeadLetterInput, SecurityEvent } from '../../core/index.js';
import { SaaswatchError } from '../../core/index.js';
import { backfillFrom, type BackfillStart } from '../../pipeline/polling-config.js';
import { decodeCursor, type CursorCodec, type PollContext, type PolledBatch } from '../../pipeline/polling.js';
import { isCursorGone, type TeamLogClient, type TeamLogPage } from './client.js';
import { normalizeTeamEvent } from './normalize.js';

/** What the committed cursor holds: Dropbox's cursor, and the newest event time seen to resume from if it is reset. */
export interface PollState {
  cursor: string | undefined;
  /** ISO time: the newest event seen (events are unsorted, so the max, not the last). */
  watermark: string;
}

export interface PollerOptions {
  client: TeamLogClient;
  pageLimit: number;
  category: string | undefined;
  backfill: BackfillStart;
  overlapMs: number;
}

/** Cursor resets one poll cycle absorbs before giving up until the next cycle. */
const MAX_RESETS_PER_CYCLE = 3;

/** Dropbox accepts only whole-second UTC timestamps in time filters. */
function dropboxTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function readState(v: Record<string, unknown>): PollState | undefined {
  const { cursor, watermark } = v;
  if (typeof watermark === 'string' && Number.isFinite(Date.parse(watermark)) && (cursor === undefined || typeof cursor === 'string')) {
    return { cursor, watermark };
  }
  return undefined;
}

/** Version 1 adds `v`; the cursors written before it (`{cursor, watermark}`) are read as they are. */
export const dropboxCursor: CursorCodec<PollState | undefined> = {
  version: 1,
  read: readState,
  upgrade: (data) => (data !== null && typeof data === 'object' && !('v' in data) ? readState(data as Record<string, unknown>) : undefined),
  write: (s) => (s ? { cursor: s.cursor, watermark: s.watermark } : {}),
  initial: () => undefined,
};

/** Reads a committed cursor (an unreadable one is logged and replaced by a fresh start from the look-back). */
export function parsePollState(cursor: string | undefined, logger?: Logger): PollState | undefined {
  return decodeCursor(dropboxCursor, cursor, logger, 'Dropbox');
}

/**
 * One poll cycle: continue from the committed cursor (or get_events from the look-back or the
 * watermark), then continue while has_more, empty pages included. Each page is yielded with its
 * cursor; the caller adopts `state` only after the batch is committed.
 */
export async function* pollCycle(opts: PollerOptions, start: PollState | undefined, ctx: PollContext, source: string): AsyncGenerator<PolledBatch<PollState>> {
  const { client } = opts;
  const { logger, signal } = ctx;
  const startedAt = ctx.now();
  let watermarkMs = start ? Date.parse(start.watermark) : backfillFrom(opts.backfill, startedAt);
  // What the cycle promises (see SourceBatch.watermark): Dropbox does not sort events, so nothing
  // until the cursor runs dry; then everything logged before the cycle began, less the overlap that
  // stands for Dropbox's lateness. Before that, only what the previous cycles promised.
  const promised = start ? Date.parse(start.watermark) - opts.overlapMs : watermarkMs;
  let resets = 0;

  /** get_events from a time: the first poll, or after a reset (watermark − overlap, so nothing late is skipped). */
  const fresh = (fromMs: number) => {
    const startTime = dropboxTime(fromMs);
    return ctx.retry('get_events', () =>
      client.getEvents({ limit: opts.pageLimit, startTime, ...(opts.category ? { category: opts.category } : {}) }),
    );
  };

  /** continue, falling back to a fresh query from watermark − overlap when the cursor is gone. */
  const next = async (cursor: string): Promise<TeamLogPage> => {
    try {
      return await ctx.retry('get_events/continue', () => client.getEventsContinue(cursor));
    } catch (err) {
      if (!isCursorGone(err)) throw err;
      // Counted per cycle, not per page: a server resetting every cursor would otherwise have us
      // re-read the same overlap window forever.
      if (++resets > MAX_RESETS_PER_CYCLE) {
        throw new SaaswatchError('HTTP_RETRYABLE', `Dropbox reset the team_log cursor ${resets} times in one poll`, { retryable: true, cause: err });
      }
      const from = watermarkMs - opts.overlapMs;
      logger?.info({ from: new Date(from).toISOString(), err }, 'Dropbox cursor expired; resuming from the watermark minus the overlap.');
      return await fresh(from);
    }
  };

  let page = start?.cursor !== undefined ? await next(start.cursor) : await fresh(watermarkMs);
  let pageNo = 0;
  let done = 0;
  for (;;) {
    pageNo++;
    const ingested = new Date(ctx.now()).toISOString();
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
    yield { events, deadLetters, progress: { done: (done += events.length), unit: 'records' }, watermark, state };
    if (!page.has_more || signal.aborted) return;
    page = await next(page.cursor);
  }
}
