/**
 * Polls team.accessLogs (aggregates per user, IP and user agent, newest activity first) emitting one
 * login per observed advance, and the Audit Logs API over [watermark − settle, now) in windows,
 * yielding batches whose cursor records exactly what has been read.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeadLetterInput, Redactor, SecurityEvent } from '../../core/index.js';
import { errors, SaaswatchError } from '../../core/index.js';
import type { CursorCodec, PollContext as RunContext, PolledBatch } from '../../pipeline/polling.js';
import { toSaaswatchError, type SlackApi } from './client.js';
import { backfillFrom, type SlackSourceConfig, type StreamName } from './config.js';
import { normalizeAccessLog, normalizeAuditEntry, normalizeEventCallback } from './normalize.js';
import type { SlackAccessLog, SlackAuditLogsResponse, SlackUser } from './wire.js';

/** Slack caps `page` at 100; past it the next pages are asked for with `before`. */
export const MAX_PAGE = 100;
/** Pages of one audit-log window read at most (at 200 a page, 200,000 entries). */
export const MAX_AUDIT_PAGES = 1_000;

/** The committed resume point of both streams, in the source's one cursor string. */
export interface SlackCursor {
  access_logs?: {
    /** Epoch seconds: every aggregate active up to here was read when the pass ended. Absent until a pass completes. */
    through?: number;
    /**
     * Last state emitted per aggregate (key: a hash of user, IP and user agent) as [count,
     * date_last]: a row read again in the same state is no new login. Only aggregates active within
     * the settle re-read are kept (older ones are not read again), at most max_tracked_aggregates.
     */
    seen: Record<string, [number, number]>;
  };
  /** ISO: every audit entry before this instant that Slack showed when it was read has been committed. */
  audit_logs?: string;
}

const isTime = (t: unknown) => typeof t === 'string' && Number.isFinite(Date.parse(t));
const isSeen = (v: unknown): v is Record<string, [number, number]> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => Array.isArray(x) && x.length === 2 && x.every((n) => Number.isFinite(n)));

function readCursor(c: Record<string, unknown>): SlackCursor | undefined {
  const a = c.access_logs as SlackCursor['access_logs'] | undefined;
  if (a !== undefined && (a === null || typeof a !== 'object' || !isSeen(a.seen) || (a.through !== undefined && !Number.isFinite(a.through)))) return undefined;
  if (c.audit_logs !== undefined && !isTime(c.audit_logs)) return undefined;
  return {
    ...(a ? { access_logs: { ...(a.through !== undefined ? { through: a.through } : {}), seen: { ...a.seen } } } : {}),
    ...(c.audit_logs ? { audit_logs: c.audit_logs as string } : {}),
  };
}

export const slackCursor: CursorCodec<SlackCursor> = {
  version: 1,
  read: readCursor,
  write: (c) => ({ ...c }),
  initial: () => ({}),
};

/** The aggregate's identity: Slack keys access logs by user, IP and user agent. 16 bytes keep the cursor small. */
export function aggregateKey(row: Pick<SlackAccessLog, 'user_id' | 'ip' | 'user_agent'>): string {
  return createHash('sha256').update(`${row.user_id}\n${row.ip}\n${row.user_agent}`).digest('base64url').slice(0, 22);
}

/** users.info answers, reused for `ttl` and evicted least-recently-used first past `size`. */
export class UserCache {
  readonly #entries = new Map<string, { user: SlackUser | undefined; at: number }>();
  constructor(
    private readonly ttl: number,
    private readonly size: number,
    private readonly now: () => number,
  ) {}

  /** The cached answer (undefined user: Slack does not know it), or `miss`. */
  get(id: string): { user: SlackUser | undefined } | 'miss' {
    const e = this.#entries.get(id);
    if (!e || this.now() - e.at >= this.ttl) return 'miss';
    this.#entries.delete(id);
    this.#entries.set(id, e);
    return { user: e.user };
  }

  set(id: string, user: SlackUser | undefined): void {
    this.#entries.delete(id);
    if (this.#entries.size >= this.size) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(id, { user, at: this.now() });
  }

  /** A `user_change` callback said this user changed: the next row asks again. */
  forget(id: string): void {
    this.#entries.delete(id);
  }
}

/** Bots, app users and Slackbot are not people logging in: their rows are not logins worth a rule. */
export function isAutomated(id: string, user: SlackUser | undefined): boolean {
  return id === 'USLACKBOT' || user?.is_bot === true || user?.is_app_user === true;
}

export interface PollContext {
  source: string;
  config: SlackSourceConfig;
  client: SlackApi;
  /** The token values: errors are cleaned of them before any part of an answer is quoted. */
  redactor: Redactor;
  users: UserCache;
  now: () => number;
  signal: AbortSignal;
  logger: Logger | undefined;
  run: RunContext;
  /** Per stream, the time before which it will deliver nothing more; the source's watermark is the oldest. */
  promised: Map<StreamName, number>;
  /** Verified Events API callbacks waiting for the next poll to deliver them. */
  inbox: unknown[];
}

export function promisedWatermark(ctx: Pick<PollContext, 'config' | 'promised'>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const s of ctx.config.streams) min = Math.min(min, ctx.promised.get(s) ?? Number.NEGATIVE_INFINITY);
  return min;
}

function promise(ctx: PollContext, stream: StreamName, at: number): void {
  const t = wholeSecond(at);
  const cur = ctx.promised.get(stream) ?? Number.NEGATIVE_INFINITY;
  if (t > cur) ctx.promised.set(stream, t);
}

const iso = (ms: number): string => new Date(ms).toISOString();
/** Slack's times are whole seconds and each pass starts on one: a promise rounded down is one it keeps. */
const wholeSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** Where each stream's next pass starts, promised before any is read: nothing older comes from it. */
export function promiseStarts(state: SlackCursor, ctx: PollContext): void {
  const now = ctx.now();
  const start = backfillFrom(ctx.config.backfill, now);
  for (const stream of ctx.config.streams) {
    if (stream === 'access_logs') {
      const through = state.access_logs?.through;
      promise(ctx, stream, through === undefined ? start : through * 1000 - ctx.config.settle);
    } else {
      const prev = state.audit_logs;
      promise(ctx, stream, prev === undefined ? start : Math.max(0, Date.parse(prev) - ctx.config.settle));
    }
  }
}


function call<T>(what: string, method: string, stream: StreamName, fn: () => Promise<T>, ctx: PollContext): Promise<T> {
  return ctx.run.retry(what, fn, { classify: (raw) => toSaaswatchError(raw, { method, stream, redactor: ctx.redactor }), fields: { stream } });
}

/** users.info through the cache; a refusal of users.info (scope) is logged once per poll and the row goes on without an email. */
async function lookUp(id: string, ctx: PollContext, refused: { said: boolean }): Promise<SlackUser | undefined> {
  const hit = ctx.users.get(id);
  if (hit !== 'miss') return hit.user;
  try {
    const user = await call(`users.info ${id}`, 'users.info', 'access_logs', () => ctx.client.userInfo(id), ctx);
    ctx.users.set(id, user);
    return user;
  } catch (err) {
    const e = toSaaswatchError(err, { method: 'users.info', redactor: ctx.redactor });
    if (e.retryable) throw e;
    if (!refused.said) ctx.logger?.warn({ err: e, stream: 'access_logs' }, 'Slack users.info refused; access logs go on without emails or bot detection.');
    refused.said = true;
    ctx.users.set(id, undefined);
    return undefined;
  }
}

/**
 * Mid-pass bound on the aggregates tracked: past `max`, only those the next pass re-reads (active
 * since `keepFrom`) and those at the pass's current boundary (`before` re-reads them) stay, at most
 * `max`, the boundary first, then the latest active. A dropped aggregate met again (a stopped pass starting over) is
 * emitted again with the same event id, which the store collapses.
 */
export function boundSeen(seen: Record<string, [number, number]>, keepFrom: number, boundary: number, max: number): Record<string, [number, number]> {
  const entries = Object.entries(seen);
  if (entries.length <= max) return seen;
  const atBoundary = entries.filter(([, [, last]]) => last <= boundary);
  // The boundary first (rows this pass reads again), then the latest active.
  const latest = entries.filter(([, [, last]]) => last > boundary && last >= keepFrom).sort((a, b) => b[1][1] - a[1][1]);
  return Object.fromEntries([...atBoundary, ...latest].slice(0, max));
}

/** Keeps the aggregates still inside the next pass's re-read, and at most `max` of them, latest active first. */
export function pruneSeen(seen: Record<string, [number, number]>, horizonSec: number, max: number): Record<string, [number, number]> {
  let kept = Object.entries(seen).filter(([, [, last]]) => last >= horizonSec);
  if (kept.length > max) kept = kept.sort((a, b) => b[1][1] - a[1][1]).slice(0, max);
  return Object.fromEntries(kept);
}

/**
 * One pass over team.accessLogs. Rows come newest activity (date_last) first, so the pass reads
 * down to `through − settle` (the backfill on a first pass) and stops. An aggregate is emitted when
 * it is new to the cursor or its count or date_last advanced; the state in the cursor is committed
 * with each page. Past page 100 the pass asks again from page 1 with `before` = the oldest
 * date_last read (inclusive, so the boundary rows come again and the state drops them). `through`
 * moves only at the end: a stopped pass starts over from the top, and the state keeps that from
 * emitting anything twice.
 */
export async function* pollAccessLogs(state: SlackCursor, ctx: PollContext): AsyncGenerator<PolledBatch<SlackCursor>> {
  const { config, client } = ctx;
  const endMs = ctx.now();
  const end = Math.floor(endMs / 1000);
  const acc = (state.access_logs ??= { seen: {} });
  const fromSec = Math.floor((acc.through === undefined ? backfillFrom(config.backfill, endMs) : acc.through * 1000 - config.settle) / 1000);
  // Aggregates last active before this pass's re-read can never match a row it reads: not carried on.
  acc.seen = pruneSeen(acc.seen, fromSec, config.max_tracked_aggregates);
  const settleSec = Math.ceil(config.settle / 1000);
  let boundary = Number.POSITIVE_INFINITY;
  const refused = { said: false };
  let page = 1;
  let before: number | undefined;
  let done = 0;
  let read = 0;
  for (;;) {
    if (ctx.signal.aborted) return;
    const position = `${before === undefined ? '' : `before ${before} `}page ${page}`;
    const res = await call(`team.accessLogs ${position}`, 'team.accessLogs', 'access_logs', () => client.accessLogs({ count: config.page_size, page, before, teamId: config.team_id }), ctx);
    const rows = Array.isArray(res.logins) ? res.logins : [];
    const events: SecurityEvent[] = [];
    const deadLetters: DeadLetterInput[] = [];
    const ingested = iso(ctx.now());
    let reachedOld = false;
    let oldest = Number.POSITIVE_INFINITY;
    // The page's new states join the cursor only when its events are yielded: a lookup failing
    // mid-page must not mark rows seen whose events were never delivered.
    const states = new Map<string, [number, number]>();
    for (const row of rows) {
      read++;
      const last = typeof row?.date_last === 'number' ? row.date_last : NaN;
      if (!Number.isFinite(last) || typeof row.user_id !== 'string') {
        deadLetters.push({ source: ctx.source, code: 'INPUT_MALFORMED', reason: `access_logs ${position}: row without user_id or numeric date_last`, payload: JSON.stringify(row) ?? String(row), position: { page: position } });
        continue;
      }
      oldest = Math.min(oldest, last);
      if (last < fromSec) {
        reachedOld = true;
        continue;
      }
      const key = aggregateKey(row);
      const prev = states.get(key) ?? acc.seen[key];
      // A count Slack left out must not put NaN into the cursor (which would then not read back).
      const count = typeof row.count === 'number' && Number.isFinite(row.count) ? row.count : 0;
      if (prev && count <= prev[0] && last <= prev[1]) continue;
      const user = await lookUp(row.user_id, ctx, refused);
      states.set(key, [Math.max(count, prev?.[0] ?? 0), Math.max(last, prev?.[1] ?? 0)]);
      if (isAutomated(row.user_id, user)) continue;
      const r = normalizeAccessLog(row, ingested, { email: user?.profile?.email, previous: prev ? { count: prev[0], date_last: prev[1] } : undefined });
      if (r.ok) events.push(r.event);
      else deadLetters.push({ source: ctx.source, code: r.code, reason: `access_logs ${position}: ${r.reason}`, payload: JSON.stringify(row), position: { page: position } });
    }
    for (const [key, st] of states) acc.seen[key] = st;
    boundary = Math.min(boundary, oldest);
    // A long backfill must not grow the cursor past the bound before its end prunes it.
    if (states.size) acc.seen = boundSeen(acc.seen, end - settleSec, boundary, config.max_tracked_aggregates);
    done += events.length;
    const pages = typeof res.paging?.pages === 'number' ? res.paging.pages : page;
    const last = reachedOld || rows.length === 0 || rows.length < config.page_size || (page >= pages && page < MAX_PAGE);
    if (last) {
      acc.through = Math.max(acc.through ?? 0, end);
      state.access_logs = { through: acc.through, seen: pruneSeen(acc.seen, acc.through - settleSec, config.max_tracked_aggregates) };
      promise(ctx, 'access_logs', acc.through * 1000 - config.settle);
    }
    yield { events, deadLetters, state, progress: { done, unit: 'records' }, watermark: promisedWatermark(ctx) };
    if (last) return;
    if (page >= MAX_PAGE) {
      // Slack refuses page 101 (over_pagination_limit): go on from the oldest activity read.
      // Inclusive, so the boundary rows come again; should a whole 100 pages share one second, step past it.
      before = before !== undefined && oldest >= before ? before - 1 : oldest;
      page = 1;
      ctx.logger?.debug({ stream: 'access_logs', before, read }, 'Slack access logs past page 100; continuing with before.');
    } else {
      page++;
    }
  }
}

/**
 * One pass over the Audit Logs API, [watermark − settle, now) in windows, each read to its last
 * cursor page (Slack serves newest first, so a partial window says nothing about its older part);
 * the watermark moves only when a window is complete. A failure leaves it where it was and the next
 * pass re-reads: a duplicate, which the event id collapses, never a gap.
 */
export async function* pollAuditLogs(state: SlackCursor, ctx: PollContext): AsyncGenerator<PolledBatch<SlackCursor>> {
  const { config, client } = ctx;
  // Whole seconds: Slack's oldest/latest are epoch seconds, both inclusive.
  const end = Math.floor(ctx.now() / 1000) * 1000;
  const prev = state.audit_logs === undefined ? undefined : Date.parse(state.audit_logs);
  let from = Math.floor((prev === undefined ? backfillFrom(config.backfill, end) : Math.max(0, prev - config.settle)) / 1000) * 1000;
  let done = 0;
  while (from < end) {
    if (ctx.signal.aborted) return;
    const to = Math.min(from + Math.max(1000, Math.floor(config.window / 1000) * 1000), end);
    let cursor: string | undefined;
    const cursors = new Set<string>();
    for (let pageNo = 1; ; pageNo++) {
      const position = `${iso(from)}..${iso(to)} page ${pageNo}`;
      const q = { oldest: from / 1000, latest: to / 1000 - 1, limit: config.audit_page_size, cursor };
      const page: SlackAuditLogsResponse = await call(`audit logs ${position}`, 'audit/v1/logs', 'audit_logs', () => client.auditLogs(q), ctx);
      const ingested = iso(ctx.now());
      const events: SecurityEvent[] = [];
      const deadLetters: DeadLetterInput[] = [];
      for (const raw of page.entries) {
        const r = normalizeAuditEntry(raw, ingested);
        if (r.ok) events.push(r.event);
        else deadLetters.push({ source: ctx.source, code: r.code, reason: `audit_logs ${position}: ${r.reason}`, payload: JSON.stringify(raw) ?? String(raw), position: { page: position } });
      }
      done += events.length;
      const next = page.response_metadata?.next_cursor || undefined;
      if (!next) {
        const current = state.audit_logs === undefined ? 0 : Date.parse(state.audit_logs);
        state.audit_logs = iso(Math.max(current, to));
        promise(ctx, 'audit_logs', Math.min(to, end - config.settle));
      }
      yield { events, deadLetters, state, progress: { done, unit: 'records' }, watermark: promisedWatermark(ctx) };
      if (!next || ctx.signal.aborted) break;
      // A server handing out a cursor twice, or pages without end, would hold the pass forever: it fails
      // (retryable) and the window is read again next pass, its watermark unmoved.
      if (cursors.has(next) || pageNo >= MAX_AUDIT_PAGES) {
        throw errors.inputMalformed({
          where: `Slack audit logs ${iso(from)}..${iso(to)}`,
          problem: cursors.has(next) ? `next_cursor repeated on page ${pageNo}` : `more than ${MAX_AUDIT_PAGES} pages in one window`,
          fix: cursors.has(next) ? 'Slack will be asked again on the next poll' : 'lower window so each holds fewer entries',
          retryable: true,
        });
      }
      cursors.add(next);
      cursor = next;
    }
    from = to;
  }
}

/** Verified Events API callbacks queued by the webhook, delivered at the start of the poll they woke. */
export function drainInbox(state: SlackCursor, ctx: PollContext): PolledBatch<SlackCursor> | undefined {
  if (ctx.inbox.length === 0) return undefined;
  const ingested = iso(ctx.now());
  const events: SecurityEvent[] = [];
  const deadLetters: DeadLetterInput[] = [];
  for (const body of ctx.inbox.splice(0)) {
    const r = normalizeEventCallback(body, ingested);
    if (r.ok) events.push(r.event);
    else deadLetters.push({ source: ctx.source, code: r.code, reason: `events: ${r.reason}`, payload: JSON.stringify(body) ?? '', position: { page: 'events' } });
  }
  // The cursor is unchanged, but a batch with events carries one (the source contract, S1).
  return { events, deadLetters, state, watermark: promisedWatermark(ctx) };
}

/**
 * One pass over every stream. A stream whose failure outlasts its retries waits for the next poll
 * while the other is still read; the pass then fails with it, so the runtime logs it once. A
 * refused token, scope or plan ends the run: it will not fix itself.
 */
export async function* pollStreams(state: SlackCursor, ctx: PollContext): AsyncGenerator<PolledBatch<SlackCursor>> {
  promiseStarts(state, ctx);
  const pushed = drainInbox(state, ctx);
  if (pushed) yield pushed;
  let deferred: SaaswatchError | undefined;
  for (const stream of ctx.config.streams) {
    if (ctx.signal.aborted) return;
    try {
      yield* stream === 'access_logs' ? pollAccessLogs(state, ctx) : pollAuditLogs(state, ctx);
    } catch (err) {
      if (ctx.signal.aborted) return;
      const e = toSaaswatchError(err, { stream, redactor: ctx.redactor });
      if (!e.retryable) throw e;
      ctx.logger?.warn({ stream, err: e }, 'Slack stream failed; the other streams are still read.');
      deferred ??= e;
    }
  }
  if (deferred) throw deferred;
}
