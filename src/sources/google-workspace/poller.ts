/**
 * Polls Reports activities per application over [watermark − settle, now] and Drive changes from a
 * stored page token, yielding batches whose cursor records exactly what has been read.
 */
import type { admin_reports_v1 } from '@googleapis/admin';
import type { drive_v3 } from '@googleapis/drive';
import type { Logger } from 'pino';
import { errors, SaaswatchError } from '../../core/index.js';
import { backfillFrom } from '../../pipeline/polling-config.js';
import { decodeCursor as decodeWith, encodeCursor as encodeWith, type CursorCodec, type PolledBatch } from '../../pipeline/polling.js';
import type { GoogleWorkspaceConfig } from './config.js';
import { feedbackContext, normalizeActivity, normalizeAlert, normalizeChange, normalizeFeedback, type FeedbackAlertContext } from './normalize.js';
import type { JWT } from 'google-auth-library';
import type { ListAlertFeedbackResponseLike, ListAlertsResponseLike } from './wire.js';
import { withRetry, type RetryOptions } from './request.js';
import type { ChannelState } from './webhook.js';

/** The committed resume point: per-application watermarks and the Drive changes position. */
export interface CursorState {
  v: 1;
  /**
   * Per application: every activity with id.time before this instant that Google showed when it
   * was read has been committed. The next poll starts `settle` earlier for late arrivals.
   */
  apps: Record<string, string>;
  drive?: { pageToken: string; channel?: ChannelState };
  /** Alert Center: every alert created before this instant that Google listed when read has been committed. */
  alerts?: string;
  /** Alert Center feedback (pollFeedback). */
  feedback?: FeedbackCursor;
}

/** What the feedback stream keeps: the feedback already emitted, and where a pass the call cap cut short resumes. */
export interface FeedbackCursor {
  /** feedbackId → its createTime, for feedback on alerts still within the look-back (older ones are never asked about again). */
  seen: Record<string, string>;
  /** Set when the last pass stopped at its call cap: the next asks about alerts created before this instant first. */
  resume?: string;
  /**
   * When the rotation under way began: its end promises feedback from then on. In the cursor, not
   * the session, so a rotation that `run --once` passes finish one at a time still promises.
   */
  since?: string;
  /** What the last whole rotation promised (see finish): a fact that outlives the run, so a restart mid-rotation holds no detector back. */
  promised?: string;
}

export function emptyCursor(): CursorState {
  return { v: 1, apps: {} };
}

const isTime = (t: unknown): t is string => typeof t === 'string' && Number.isFinite(Date.parse(t));

function readCursor(c: Partial<CursorState>): CursorState | undefined {
  const appsOk =
    c.apps !== undefined &&
    c.apps !== null &&
    typeof c.apps === 'object' &&
    Object.values(c.apps).every(isTime);
  if (!appsOk || (c.drive !== undefined && typeof c.drive?.pageToken !== 'string')) return undefined;
  if (c.alerts !== undefined && !isTime(c.alerts)) return undefined;
  const feedback = c.feedback === undefined ? undefined : readFeedbackCursor(c.feedback);
  if (c.feedback !== undefined && feedback === undefined) return undefined;
  return {
    v: 1,
    apps: { ...c.apps },
    ...(c.drive ? { drive: c.drive } : {}),
    ...(c.alerts !== undefined ? { alerts: c.alerts } : {}),
    ...(feedback ? { feedback } : {}),
  };
}

function readFeedbackCursor(f: unknown): FeedbackCursor | undefined {
  if (f === null || typeof f !== 'object') return undefined;
  const { seen, resume, since, promised } = f as Partial<FeedbackCursor>;
  if (seen === null || typeof seen !== 'object' || Array.isArray(seen) || !Object.values(seen).every(isTime)) return undefined;
  if (resume !== undefined && !isTime(resume)) return undefined;
  if (since !== undefined && !isTime(since)) return undefined;
  if (promised !== undefined && !isTime(promised)) return undefined;
  return { seen: { ...seen }, ...(resume !== undefined ? { resume } : {}), ...(since !== undefined ? { since } : {}), ...(promised !== undefined ? { promised } : {}) };
}

/** The cursor as the polling runtime stores it: version 1, per-application watermarks and the Drive position. */
export const googleCursor: CursorCodec<CursorState> = {
  version: 1,
  read: (data) => readCursor(data as Partial<CursorState>),
  write: (s) => ({ ...s }),
  initial: emptyCursor,
};

export function encodeCursor(s: CursorState): string {
  return encodeWith(googleCursor, s);
}

/** Parses a committed cursor; an unreadable one is logged and replaced by a fresh start from the look-back (the runtime's policy). */
export function decodeCursor(text: string | undefined, logger?: Logger): CursorState {
  return decodeWith(googleCursor, text, logger, 'Google Workspace');
}

export interface PollContext {
  source: string;
  config: GoogleWorkspaceConfig;
  retry: RetryOptions;
  now: () => number;
  /** Domain of the impersonated admin: permissions outside it are external shares. */
  orgDomain: string | undefined;
  /**
   * Per application, and for Drive changes (CHANGES), the time before which it will deliver nothing
   * more (see SourceBatch.watermark), kept across passes; the source's watermark is the oldest.
   */
  promised: Map<string, number>;
  /**
   * Sets aside the failure of one stream (a Reports application, by name) so the pass goes on with
   * the others; it throws to stop the pass instead. Absent, a failure ends the pass.
   */
  isolate?: (stream: string, err: unknown) => void;
}

/** Key of the Drive changes feed among the promises; no Reports application has a name like it. */
export const CHANGES = '#drive-changes';
/** Key of the Alert Center stream among the promises. */
export const ALERTS = '#alert-center';
/** Key of the Alert Center feedback stream among the promises. */
export const FEEDBACK = '#alert-feedback';

/** The source's watermark: the oldest promise of its applications and, when followed, of Drive changes (-∞ until each has one). */
export function promisedWatermark(ctx: Pick<PollContext, 'config' | 'promised'>): number {
  let min = ctx.promised.get(CHANGES) ?? Number.POSITIVE_INFINITY;
  for (const app of ctx.config.applications) min = Math.min(min, ctx.promised.get(app) ?? Number.NEGATIVE_INFINITY);
  if (ctx.config.alert_center.enabled) min = Math.min(min, ctx.promised.get(ALERTS) ?? Number.NEGATIVE_INFINITY);
  if (ctx.config.alert_center.enabled && ctx.config.alert_center.feedback.enabled) min = Math.min(min, ctx.promised.get(FEEDBACK) ?? Number.NEGATIVE_INFINITY);
  return min;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One pass over every configured application. The range [watermark − settle, now] is read in
 * slices of `window`, each slice to its last page; the watermark moves only when a slice is
 * complete, because pages arrive newest first and a partial slice says nothing about its older
 * part. A failure leaves the watermark where it was, so the next pass re-reads: a duplicate,
 * which the event id collapses, never a gap.
 */
export async function* pollReports(reports: admin_reports_v1.Admin, state: CursorState, ctx: PollContext): AsyncGenerator<PolledBatch<CursorState>> {
  const { config } = ctx;
  const end = ctx.now();
  const startOf = (app: string) => {
    const prev = state.apps[app] === undefined ? undefined : Date.parse(state.apps[app]);
    return prev === undefined ? backfillFrom(config.backfill, end) : Math.max(0, prev - config.settle);
  };
  // Each application's pass starts where it will: nothing older than that comes from it any more.
  for (const app of config.applications) ctx.promised.set(app, Math.max(ctx.promised.get(app) ?? Number.NEGATIVE_INFINITY, startOf(app)));
  for (const app of config.applications) {
    try {
      yield* pollApplication(reports, state, ctx, app, startOf(app), end);
    } catch (err) {
      // Its watermark stays where the last complete slice left it: the next pass re-reads the rest.
      if (!ctx.isolate || ctx.retry.signal.aborted) throw err;
      ctx.isolate(app, err);
    }
  }
}

/** One application's slices of [from, end), each to its last page (see pollReports). */
async function* pollApplication(
  reports: admin_reports_v1.Admin,
  state: CursorState,
  ctx: PollContext,
  app: string,
  start: number,
  end: number,
): AsyncGenerator<PolledBatch<CursorState>> {
  const { config } = ctx;
  let from = start;
  let records = 0;
  while (from < end) {
    if (ctx.retry.signal.aborted) return;
    const to = Math.min(from + config.window, end);
    let pageToken: string | undefined;
    let page = 0;
    do {
      page++;
      const params: admin_reports_v1.Params$Resource$Activities$List = {
        userKey: 'all',
        applicationName: app,
        startTime: iso(from),
        endTime: iso(to),
        maxResults: config.page_size,
        ...(config.customer_id !== 'my_customer' ? { customerId: config.customer_id } : {}),
        ...(pageToken ? { pageToken } : {}),
      };
      const res = await withRetry(`Reports activities.list ${app}`, () => reports.activities.list(params, { signal: ctx.retry.signal }), ctx.retry);
      const ingested = iso(ctx.now());
      const batch: PolledBatch<CursorState> = { events: [], deadLetters: [] };
      const position = `${app} ${params.startTime}..${params.endTime} page ${page}`;
      for (const activity of res.data.items ?? []) {
        const out = normalizeActivity(activity, { source: ctx.source, application: app, ingested, page: position });
        batch.events.push(...out.events);
        batch.deadLetters.push(...out.deadLetters);
      }
      records += batch.events.length;
      pageToken = res.data.nextPageToken ?? undefined;
      if (!pageToken) {
        // max(): a settle re-read must not move the watermark back, which would only widen the next re-read.
        const current = state.apps[app] === undefined ? 0 : Date.parse(state.apps[app]);
        state.apps[app] = iso(Math.max(current, to));
        // The slice is complete: later slices start at `to`, and the next pass re-reads from
        // `end − settle` for what Google delivers late.
        ctx.promised.set(app, Math.max(ctx.promised.get(app) ?? Number.NEGATIVE_INFINITY, Math.min(to, end - config.settle)));
      }
      batch.state = state;
      batch.watermark = promisedWatermark(ctx);
      batch.progress = { done: records, unit: 'records' };
      yield batch;
    } while (pageToken);
    from = to;
  }
}

/** Fields for changes.list: the file's sharing state, never its content. */
const CHANGE_FIELDS =
  'nextPageToken,newStartPageToken,changes(changeType,time,removed,fileId,file(id,name,mimeType,size,trashed,modifiedTime,md5Checksum,sha256Checksum,headRevisionId,owners(emailAddress),permissions(id,type,role,emailAddress,domain,allowFileDiscovery,deleted)))';

/** Starts following Drive changes from now, when there is no stored position yet. */
export async function ensureStartPageToken(drive: drive_v3.Drive, state: CursorState, ctx: PollContext): Promise<boolean> {
  if (state.drive) return false;
  const res = await withRetry('Drive changes.getStartPageToken', () => drive.changes.getStartPageToken({ supportsAllDrives: true }, { signal: ctx.retry.signal }), ctx.retry);
  const token = res.data.startPageToken;
  if (!token) throw errors.inputMalformed({ where: 'Drive changes.getStartPageToken', problem: 'returned no startPageToken' });
  state.drive = { pageToken: token };
  return true;
}

/**
 * Reads every change after the stored page token. Drive page tokens are durable positions, so
 * each page commits its own next token: a restart continues after the last committed page.
 */
export async function* pollChanges(drive: drive_v3.Drive, state: CursorState, ctx: PollContext): AsyncGenerator<PolledBatch<CursorState>> {
  if (!state.drive) return;
  for (;;) {
    if (ctx.retry.signal.aborted) return;
    const pageToken = state.drive.pageToken;
    const res = await withRetry(
      'Drive changes.list',
      () =>
        drive.changes.list(
          { pageToken, pageSize: 1000, includeRemoved: true, supportsAllDrives: true, includeItemsFromAllDrives: true, fields: CHANGE_FIELDS },
          { signal: ctx.retry.signal },
        ),
      ctx.retry,
    );
    const ingested = iso(ctx.now());
    const batch: PolledBatch<CursorState> = { events: [], deadLetters: [] };
    for (const change of res.data.changes ?? []) {
      const out = normalizeChange(change, { source: ctx.source, ingested, orgDomain: ctx.orgDomain });
      batch.events.push(...out.events);
      batch.deadLetters.push(...out.deadLetters);
    }
    const next = res.data.nextPageToken ?? res.data.newStartPageToken;
    if (!next) throw errors.inputMalformed({ where: 'Drive changes.list', problem: 'returned neither nextPageToken nor newStartPageToken' });
    // Nothing new: no empty transaction every interval.
    if (next === pageToken && batch.events.length === 0 && batch.deadLetters.length === 0) return;
    state.drive.pageToken = next;
    batch.state = state;
    yield batch;
    if (!res.data.nextPageToken) return;
  }
}

/** Alert Center's customerId: the Workspace id without its leading "C" (absent for my_customer: Google infers it). */
function alertCenterCustomer(config: GoogleWorkspaceConfig): string | undefined {
  return config.customer_id === 'my_customer' ? undefined : config.customer_id.replace(/^C/, '');
}

/**
 * One pass over Alert Center alerts created in [watermark − settle, now), oldest first, page by
 * page (`alerts.list` with a createTime filter and its pageToken). The watermark moves to `now`
 * only when the last page is read: a failure part-way re-reads the range next pass, and the
 * events' ids (the alertId alone) collapse what was already stored. An alert repeated across
 * pages in one pass is emitted once.
 */
export async function* pollAlerts(client: { auth: JWT; root: string }, state: CursorState, ctx: PollContext): AsyncGenerator<PolledBatch<CursorState>> {
  const { config } = ctx;
  const end = ctx.now();
  const prev = state.alerts === undefined ? undefined : Date.parse(state.alerts);
  const from = prev === undefined ? backfillFrom(config.backfill, end) : Math.max(0, prev - config.settle);
  ctx.promised.set(ALERTS, Math.max(ctx.promised.get(ALERTS) ?? Number.NEGATIVE_INFINITY, from));
  if (from >= end) return;
  const customerId = alertCenterCustomer(config);
  const filter = `createTime >= "${iso(from)}" AND createTime < "${iso(end)}"`;
  const seen = new Set<string>();
  let pageToken: string | undefined;
  let page = 0;
  let records = 0;
  do {
    if (ctx.retry.signal.aborted) return;
    page++;
    const res = await listAlerts(client, ctx, { filter, order: 'asc', customerId, pageToken, what: 'Alert Center alerts.list' });
    const ingested = iso(ctx.now());
    const batch: PolledBatch<CursorState> = { events: [], deadLetters: [] };
    const position = `alerts ${iso(from)}..${iso(end)} page ${page}`;
    for (const alert of res.data?.alerts ?? []) {
      // Deleted alerts are Google's (or an admin's) retraction: nothing to report.
      if (alert.deleted) continue;
      if (typeof alert.alertId === 'string') {
        if (seen.has(alert.alertId)) continue;
        seen.add(alert.alertId);
      }
      const out = normalizeAlert(alert, { source: ctx.source, ingested, page: position });
      batch.events.push(...out.events);
      batch.deadLetters.push(...out.deadLetters);
    }
    records += batch.events.length;
    pageToken = res.data?.nextPageToken ?? undefined;
    if (!pageToken) {
      const current = state.alerts === undefined ? 0 : Date.parse(state.alerts);
      state.alerts = iso(Math.max(current, end));
      ctx.promised.set(ALERTS, Math.max(ctx.promised.get(ALERTS) ?? Number.NEGATIVE_INFINITY, end - config.settle));
    }
    batch.state = state;
    batch.watermark = promisedWatermark(ctx);
    batch.progress = { done: records, unit: 'records' };
    yield batch;
  } while (pageToken);
}

/** An alert whose feedback is asked for, with what its feedback events say of it. */
interface WatchedAlert {
  id: string;
  ms: number;
  context: FeedbackAlertContext;
}

/** One page of alerts.list, by createTime in `order`, retried as every call of the source is. */
function listAlerts(
  client: { auth: JWT; root: string },
  ctx: PollContext,
  q: { filter: string; order: 'asc' | 'desc'; customerId: string | undefined; pageToken: string | undefined; what: string },
) {
  const params: Record<string, string | number> = {
    filter: q.filter,
    orderBy: `create_time ${q.order}`,
    pageSize: ctx.config.alert_center.page_size,
    ...(q.customerId ? { customerId: q.customerId } : {}),
    ...(q.pageToken ? { pageToken: q.pageToken } : {}),
  };
  return withRetry(
    q.what,
    () => client.auth.request<ListAlertsResponseLike>({ url: `${client.root}/v1beta1/alerts`, method: 'GET', params, signal: ctx.retry.signal }),
    ctx.retry,
  );
}

/**
 * One pass over the feedback admins gave on alerts created within `feedback.lookback`. Alert Center
 * cannot list feedback by time (its filter knows only alertId and feedbackId), so late feedback on
 * an older alert is found by asking about every alert in the look-back again: the alerts are listed
 * newest first (`alerts.list`, createTime filter), and their feedback asked for `alerts_per_call` at
 * a time (`alerts/-/feedback` with an `alertId = "…" OR …` filter; one alert on its own path).
 * Each feedbackId is emitted once: the cursor keeps the ids seen while their alert is in the
 * look-back, and the event id (alertId + feedbackId) collapses any repeat. At most `max_calls`
 * requests a pass: where the cap stops, the next pass resumes (alerts created before the last one
 * asked about), and only a rotation through the whole look-back promises a watermark.
 */
export async function* pollFeedback(client: { auth: JWT; root: string }, state: CursorState, ctx: PollContext): AsyncGenerator<PolledBatch<CursorState>> {
  const { config } = ctx;
  const fb = config.alert_center.feedback;
  const now = ctx.now();
  const from = now - fb.lookback;
  const cursor: FeedbackCursor = state.feedback ?? { seen: {} };
  state.feedback = cursor;
  // Feedback comes after its alert: feedback older than the look-back is on an alert no longer asked about.
  for (const [id, t] of Object.entries(cursor.seen)) if (Date.parse(t) < from) delete cursor.seen[id];
  const resumeMs = cursor.resume === undefined ? undefined : Date.parse(cursor.resume);
  if (cursor.promised !== undefined) ctx.promised.set(FEEDBACK, Math.max(ctx.promised.get(FEEDBACK) ?? Number.NEGATIVE_INFINITY, Date.parse(cursor.promised)));
  // A rotation that began before a cursor kept its start (an older cursor) begins again here.
  if (resumeMs === undefined || cursor.since === undefined) cursor.since = iso(now);
  const upper = resumeMs === undefined ? now : Math.min(resumeMs, now);
  const customerId = alertCenterCustomer(config);
  const filter = `createTime >= "${iso(from)}" AND createTime < "${iso(upper)}"`;
  const queue: WatchedAlert[] = [];
  const asked = new Set<string>();
  let calls = 0;
  let oldestAsked: number | undefined;
  let pageToken: string | undefined;
  let listed = false;
  // Out of calls for another listing page: ask about what is queued, so every pass moves on.
  let draining = false;
  let records = 0;

  const finish = (complete: boolean): PolledBatch<CursorState> => {
    if (complete) {
      delete cursor.resume;
      // Every alert of the look-back was asked about after the rotation began: feedback given
      // before then (less settle, for Google's own delay) is in.
      const promise = Math.max(ctx.promised.get(FEEDBACK) ?? Number.NEGATIVE_INFINITY, Date.parse(cursor.since!) - config.settle);
      ctx.promised.set(FEEDBACK, promise);
      cursor.promised = iso(promise);
      delete cursor.since;
    } else if (oldestAsked !== undefined) {
      // One millisecond later: alerts sharing the last asked alert's createTime are asked about again, never skipped.
      const next = oldestAsked + 1;
      // A whole pass's alerts in one millisecond would never move on: step past it.
      cursor.resume = iso(next < upper ? next : upper - 1);
    }
    return { events: [], deadLetters: [], state, watermark: promisedWatermark(ctx), progress: { done: records, unit: 'records' } };
  };

  for (;;) {
    if (ctx.retry.signal.aborted) return;
    // Ask about full chunks as they fill, and about the rest once the listing is done.
    while (queue.length >= fb.alerts_per_call || ((listed || draining) && queue.length > 0)) {
      if (calls >= fb.max_calls) {
        yield finish(false);
        return;
      }
      if (ctx.retry.signal.aborted) return;
      const chunk = queue.splice(0, fb.alerts_per_call);
      calls++;
      const batch = await askFeedback(chunk);
      for (const a of chunk) oldestAsked = Math.min(oldestAsked ?? a.ms, a.ms);
      if (ctx.retry.signal.aborted) return;
      records += batch.events.length;
      if (batch.events.length || batch.deadLetters.length) {
        batch.state = state;
        batch.watermark = promisedWatermark(ctx);
        batch.progress = { done: records, unit: 'records' };
        yield batch;
      }
    }
    if (listed) {
      yield finish(true);
      return;
    }
    // A listing page is worth its call only if a feedback call can follow it in this pass.
    if (calls + 2 > fb.max_calls) {
      if (!draining && queue.length > 0 && calls < fb.max_calls) {
        draining = true;
        continue;
      }
      yield finish(false);
      return;
    }
    calls++;
    const res = await listAlerts(client, ctx, { filter, order: 'desc', customerId, pageToken, what: 'Alert Center alerts.list (for feedback)' });
    for (const alert of res.data?.alerts ?? []) {
      const id = typeof alert.alertId === 'string' && alert.alertId !== '' ? alert.alertId : undefined;
      const ms = typeof alert.createTime === 'string' ? Date.parse(alert.createTime) : NaN;
      // Deleted alerts take no feedback; one without an id or time is the alerts stream's dead letter.
      if (alert.deleted || id === undefined || !Number.isFinite(ms) || asked.has(id)) continue;
      asked.add(id);
      queue.push({ id, ms, context: feedbackContext(alert) });
    }
    pageToken = res.data?.nextPageToken ?? undefined;
    if (!pageToken) listed = true;
  }

  /** One feedback call about `chunk`, normalized; feedback already emitted in an earlier pass is left out. */
  async function askFeedback(chunk: WatchedAlert[]): Promise<PolledBatch<CursorState>> {
    const single = chunk.length === 1;
    // The "-" wildcard stands for every alert; the filter picks this chunk's. Ids are Google's UUIDs: quoting keeps their hyphens one value.
    const path = single ? encodeURIComponent(chunk[0]!.id) : '-';
    const params: Record<string, string> = {
      ...(single ? {} : { filter: chunk.map((a) => `alertId = "${a.id.replace(/"/g, '')}"`).join(' OR ') }),
      ...(customerId ? { customerId } : {}),
    };
    const out: PolledBatch<CursorState> = { events: [], deadLetters: [] };
    let res;
    try {
      res = await withRetry(
        'Alert Center alerts.feedback.list',
        () => client.auth.request<ListAlertFeedbackResponseLike>({ url: `${client.root}/v1beta1/alerts/${path}/feedback`, method: 'GET', params, signal: ctx.retry.signal }),
        ctx.retry,
      );
    } catch (err) {
      // An alert deleted (or purged) since it was listed: nothing more to ask it.
      if (single && err instanceof SaaswatchError && err.code === 'HTTP_REJECTED' && (err.details as { status?: number } | undefined)?.status === 404) return out;
      throw err;
    }
    const ingested = iso(ctx.now());
    const byId = new Map(chunk.map((a) => [a.id, a.context]));
    const position = `feedback ${single ? chunk[0]!.id : `${chunk.length} alerts`}`;
    for (const f of res.data?.feedback ?? []) {
      if (typeof f.feedbackId === 'string' && cursor.seen[f.feedbackId] !== undefined) continue;
      const alert = typeof f.alertId === 'string' ? byId.get(f.alertId) : undefined;
      const r = normalizeFeedback(f, { source: ctx.source, ingested, page: position, ...(alert ? { alert } : {}) });
      // Committed with this batch: a repeat in the same answer, or a later pass, is left out.
      for (const e of r.events) cursor.seen[e.labels!.feedback_id!] = e['@timestamp'];
      out.events.push(...r.events);
      out.deadLetters.push(...r.deadLetters);
      // A malformed one is a dead letter once, not once a pass while its alert is in the look-back.
      if (r.deadLetters.length && typeof f.feedbackId === 'string') cursor.seen[f.feedbackId] = ingested;
    }
    return out;
  }
}
