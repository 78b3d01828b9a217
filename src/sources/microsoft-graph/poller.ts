/**
 * Polls sign-ins and alerts over [watermark − settle, now) in windows, and the reporting mailbox by
 * delta query, yielding batches whose cursor records exactly what has been read.
 */
import type { Logger } from 'pino';
import type { DeadLetterInput, SecurityEvent } from '../../core/index.js';
import { SaaswatchError, errors } from '../../core/index.js';
import { decodeCursor as decodeWith, encodeCursor as encodeWith, type CursorCodec, type PollContext as RunContext, type PolledBatch } from '../../pipeline/polling.js';
import { isDeltaGone, toSaaswatchError, type GraphApi, type GraphPage } from './client.js';
import { backfillFrom, STREAMS, type MicrosoftGraphConfig, type StreamName, type WindowedStream } from './config.js';
import { normalizeRecord, reportRecord } from './normalize.js';

/** The committed resume point of every stream, in the source's one cursor string. */
export interface GraphCursor {
  v: 1;
  /**
   * Per time-windowed stream: every record before this instant that Graph showed when it was read
   * has been committed. The next poll starts `settle` earlier for late arrivals.
   */
  sign_ins?: string;
  non_interactive_sign_ins?: string;
  service_principal_sign_ins?: string;
  managed_identity_sign_ins?: string;
  directory_audits?: string;
  risk_detections?: string;
  risky_users?: string;
  security_alerts?: string;
  reported_mail?: {
    /** Where an interrupted delta round continues. */
    next?: string;
    /** Where the next round starts, once a round is complete. */
    delta?: string;
    /** Newest receivedDateTime committed so far. */
    newest?: string;
    /**
     * `newest` as of the last completed round: everything received before it has been read, so a
     * resync after an expired delta starts `settle` before it rather than from scratch. Not
     * `newest` itself: a round's pages are in no particular time order, so mid-round it may be
     * ahead of messages still unread.
     */
    synced?: string;
    /**
     * When the round in progress began: what reached the folder before then is in the round, what
     * came after may only be in the next one. Its end promises this, less `settle`, even when a
     * stop split the round across runs.
     */
    started?: string;
  };
}

export function emptyCursor(): GraphCursor {
  return { v: 1 };
}

const isTime = (t: unknown) => typeof t === 'string' && Number.isFinite(Date.parse(t));
const isOptString = (t: unknown) => t === undefined || typeof t === 'string';

const WINDOWED_STREAMS = STREAMS.filter((s): s is WindowedStream => s !== 'reported_mail');

function readCursor(c: Partial<GraphCursor>): GraphCursor | undefined {
  const mail = c.reported_mail;
  const ok =
    WINDOWED_STREAMS.every((s) => c[s] === undefined || isTime(c[s])) &&
    (mail === undefined ||
      (typeof mail === 'object' &&
        mail !== null &&
        isOptString(mail.next) &&
        isOptString(mail.delta) &&
        (mail.newest === undefined || isTime(mail.newest)) &&
        (mail.synced === undefined || isTime(mail.synced)) &&
        (mail.started === undefined || isTime(mail.started))));
  if (!ok) return undefined;
  const out: GraphCursor = { v: 1 };
  for (const s of WINDOWED_STREAMS) if (c[s]) out[s] = c[s];
  if (mail) out.reported_mail = { ...mail };
  return out;
}

/** The cursor as the polling runtime stores it: version 1, every stream's position in one object. */
export const graphCursor: CursorCodec<GraphCursor> = {
  version: 1,
  read: (data) => readCursor(data as Partial<GraphCursor>),
  write: (c) => ({ ...c }),
  initial: emptyCursor,
};

export function encodeCursor(c: GraphCursor): string {
  return encodeWith(graphCursor, c);
}

/** Parses a committed cursor; an unreadable one is logged and replaced by a fresh start from backfill (the runtime's policy). */
export function decodeCursor(text: string | undefined, logger?: Logger): GraphCursor {
  return decodeWith(graphCursor, text, logger, 'Microsoft Graph');
}

export interface PollContext {
  source: string;
  config: MicrosoftGraphConfig;
  client: GraphApi;
  now: () => number;
  signal: AbortSignal;
  logger: Logger | undefined;
  /** The polling runtime's context: its retry is the one policy. */
  run: RunContext;
  /**
   * Per stream, the time before which it will deliver nothing more (see SourceBatch.watermark),
   * kept across passes; the source's watermark is the oldest of them.
   */
  promised: Map<StreamName, number>;
}

/** The source's watermark: its streams' oldest promise (-∞ until each has one). */
export function promisedWatermark(ctx: Pick<PollContext, 'config' | 'promised'>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const s of ctx.config.streams) min = Math.min(min, ctx.promised.get(s) ?? Number.NEGATIVE_INFINITY);
  return min;
}

function promise(ctx: PollContext, stream: StreamName, t: number): void {
  const cur = ctx.promised.get(stream) ?? Number.NEGATIVE_INFINITY;
  if (t > cur) ctx.promised.set(stream, t);
}

/** Where each stream's next pass starts, promised before any is read: nothing older comes from it. */
export function promiseStarts(state: GraphCursor, ctx: PollContext): void {
  const { config } = ctx;
  const now = ctx.now();
  for (const stream of config.streams) {
    if (stream === 'reported_mail') {
      const synced = state.reported_mail?.synced;
      promise(ctx, stream, synced === undefined ? backfillFrom(config.backfill, now) : Date.parse(synced) - config.settle);
    } else {
      const prev = state[stream];
      promise(ctx, stream, prev === undefined ? backfillFrom(config.backfill, now) : Math.max(0, Date.parse(prev) - config.settle));
    }
  }
}

/** Delta resets one poll absorbs before giving up until the next poll. */
const MAX_RESETS_PER_POLL = 3;

const iso = (ms: number): string => new Date(ms).toISOString();

/** Runs one Graph call under the runtime's retry; failures are classified with the stream (and mailbox) they concern. */
function withRetry<T>(what: string, stream: StreamName, fn: () => Promise<T>, ctx: PollContext): Promise<T> {
  const classify = (raw: unknown) => toSaaswatchError(raw, { stream, ...(ctx.config.mailbox ? { mailbox: ctx.config.mailbox } : {}) });
  return ctx.run.retry(what, fn, { classify, fields: { stream } });
}

function normalizePage(stream: StreamName, records: unknown[], ctx: PollContext, position: string): { events: SecurityEvent[]; deadLetters: DeadLetterInput[]; newest: number } {
  const ingested = iso(ctx.now());
  const events: SecurityEvent[] = [];
  const deadLetters: DeadLetterInput[] = [];
  let newest = -Infinity;
  for (const raw of records) {
    const r = normalizeRecord(stream, raw, ingested);
    if (r.ok) {
      events.push(r.event);
      if (r.ms > newest) newest = r.ms;
    } else {
      deadLetters.push({ source: ctx.source, code: r.code, reason: `${stream} ${position}: ${r.reason}`, payload: JSON.stringify(raw) ?? String(raw), position: { page: position } });
    }
  }
  return { events, deadLetters, newest };
}

/**
 * One pass over a time-windowed stream (sign-ins of each kind by createdDateTime, directory audits
 * by activityDateTime, risk by its detection or update time, alerts by lastUpdateDateTime). The range [watermark − settle, now) is read in windows, each to its last
 * page; the watermark moves only when a window is complete, because Graph serves newest first and
 * a partial window says nothing about its older part. A failure leaves the watermark where it
 * was, so the next pass re-reads: a duplicate, which the event id collapses, never a gap.
 */
export async function* pollWindowed(stream: WindowedStream, state: GraphCursor, ctx: PollContext): AsyncGenerator<PolledBatch<GraphCursor>> {
  const { config, client } = ctx;
  const end = ctx.now();
  const prev = state[stream] === undefined ? undefined : Date.parse(state[stream]);
  let from = prev === undefined ? backfillFrom(config.backfill, end) : Math.max(0, prev - config.settle);
  let done = 0;
  while (from < end) {
    if (ctx.signal.aborted) return;
    const to = Math.min(from + config.window, end);
    const range = { from: iso(from), to: iso(to), top: config.page_size };
    let page: GraphPage = await withRetry(`${stream} ${range.from}..${range.to}`, stream, () => client.list(stream, range), ctx);
    for (let pageNo = 1; ; pageNo++) {
      const position = `${range.from}..${range.to} page ${pageNo}`;
      const { events, deadLetters } = normalizePage(stream, page.value, ctx, position);
      done += events.length;
      if (!page.nextLink) {
        // max(): a settle re-read must not move the watermark back, which would only widen the next re-read.
        const current = state[stream] === undefined ? 0 : Date.parse(state[stream]);
        state[stream] = iso(Math.max(current, to));
        // The window is complete: later windows start at `to`, and the next pass re-reads from `end − settle`.
        promise(ctx, stream, Math.min(to, end - config.settle));
      }
      yield { events, deadLetters, state, progress: { done, unit: 'records' }, watermark: promisedWatermark(ctx) };
      const next = page.nextLink;
      if (!next || ctx.signal.aborted) break;
      page = await withRetry(`${stream} ${position}`, stream, () => client.follow(next, undefined, stream), ctx);
    }
    from = to;
  }
}

/**
 * One delta round (or the rest of one) over the reporting folder. Each page commits its own
 * position: the next link mid-round, the delta link at its end. An expired token or link (410,
 * SyncStateNotFound, resyncRequired) restarts the round from messages received `settle` before the
 * newest one of the last complete round (from backfill if none completed); the event id
 * keeps what is read twice from being stored twice.
 */
export async function* pollReportedMail(state: GraphCursor, ctx: PollContext): AsyncGenerator<PolledBatch<GraphCursor>> {
  const { config, client } = ctx;
  const mailbox = config.mailbox;
  if (mailbox === undefined) return;
  const mail = (state.reported_mail ??= {});
  let resets = 0;
  let done = 0;

  const fresh = (): Promise<GraphPage> => {
    const synced = mail.synced === undefined ? undefined : Date.parse(mail.synced);
    const from = synced === undefined ? backfillFrom(config.backfill, ctx.now()) : synced - config.settle;
    return withRetry('messages delta', 'reported_mail', () => client.messagesDelta({ mailbox, folder: config.folder, receivedFrom: iso(from), pageSize: config.page_size }), ctx);
  };

  const follow = async (link: string): Promise<GraphPage> => {
    try {
      return await withRetry('messages delta page', 'reported_mail', () => client.follow(link, config.page_size), ctx);
    } catch (err) {
      if (!isDeltaGone(err)) throw err;
      // Counted per poll: a server expiring every token would otherwise have us resync forever.
      if (++resets > MAX_RESETS_PER_POLL) {
        throw new SaaswatchError('HTTP_RETRYABLE', `Microsoft Graph expired the mail delta ${resets} times in one poll`, { retryable: true, cause: err });
      }
      ctx.logger?.info({ err }, 'Graph delta token expired; resyncing the reporting folder.');
      delete mail.next;
      delete mail.delta;
      return fresh();
    }
  };

  let start = mail.next ?? mail.delta;
  if (start !== undefined && !client.owns(start)) {
    // base_url changed since the link was committed: the old host's sync state means nothing here.
    ctx.logger?.info('Stored Graph delta link is for another base_url; starting a new delta round.');
    start = undefined;
    delete mail.next;
  }
  // A new round begins now; one resumed from its next link began when it was first started (a
  // cursor from before rounds were timed promises nothing for it).
  if (mail.next === undefined) mail.started = iso(ctx.now());
  let page = start === undefined ? await fresh() : await follow(start);
  for (let pageNo = 1; ; pageNo++) {
    const position = `page ${pageNo}`;
    const records: unknown[] = [];
    for (const m of page.value) {
      // Deletions and moves out of the folder: a report that was read and filed is not a new report.
      if (m !== null && typeof m === 'object' && '@removed' in m) continue;
      const msg = m as Record<string, unknown>;
      const id = typeof msg.id === 'string' ? msg.id : undefined;
      let attachments: unknown[] | undefined;
      if (id !== undefined && msg.hasAttachments === true) {
        try {
          attachments = await withRetry('message attachments', 'reported_mail', () => client.attachments(mailbox, id), ctx);
        } catch (err) {
          // Deleted between the delta and this read: the report alone still says who reported what.
          if (!(err instanceof SaaswatchError && err.details?.status === 404)) throw err;
        }
      }
      records.push(msg !== null && typeof msg === 'object' && !Array.isArray(msg) ? reportRecord(msg, attachments) : m);
    }
    const { events, deadLetters, newest } = normalizePage('reported_mail', records, ctx, position);
    done += events.length;
    if (Number.isFinite(newest) && (mail.newest === undefined || newest > Date.parse(mail.newest))) mail.newest = iso(newest);
    if (page.deltaLink) {
      mail.delta = page.deltaLink;
      delete mail.next;
      if (mail.newest !== undefined) mail.synced = mail.newest;
      // The round is complete: what reached the folder before it began has been read, within `settle`.
      if (mail.started !== undefined) promise(ctx, 'reported_mail', Date.parse(mail.started) - config.settle);
      delete mail.started;
    } else if (page.nextLink) {
      mail.next = page.nextLink;
    } else {
      throw errors.inputMalformed({ where: 'Microsoft Graph messages delta page', problem: 'has neither @odata.nextLink nor @odata.deltaLink', retryable: true });
    }
    yield { events, deadLetters, state, progress: { done, unit: 'records' }, watermark: promisedWatermark(ctx) };
    if (page.deltaLink || ctx.signal.aborted) return;
    page = await follow(page.nextLink!);
  }
}
