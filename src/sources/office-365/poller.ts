/**
 * One poll of the Management Activity API: per content type, its subscription checked (and started
 * when allowed), then windows of at most 24 hours from the cursor less the settle overlap up to
 * now, never older than the API's seven days; each window's blobs listed (NextPageUri) and read
 * once, those already read in the overlap skipped by content id.
 */
import type { Logger } from 'pino';
import type { DeadLetterInput, SecurityEvent } from '../../core/index.js';
import { errors, SaaswatchError } from '../../core/index.js';
import type { CursorCodec, PollContext as RunContext, PolledBatch } from '../../pipeline/polling.js';
import { afCode, toSaaswatchError, type ContentBlob, type Office365Api } from './client.js';
import { backfillFrom, CONTENT_TYPES, RETENTION_MS, type ContentType, type Office365Config } from './config.js';
import { normalizeRecord } from './normalize.js';

/** Where one content type stands. */
export interface TypeCursor {
  /** End (epoch ms) of the last window whose listing was read to its end and every blob read. */
  through?: number;
  /** Latest contentCreated read (epoch ms), for the log and status. */
  last_created?: number;
  /** contentId → contentCreated (epoch ms) of blobs read that a later listing may show again (the overlap). */
  seen: Record<string, number>;
}

export type Office365Cursor = Partial<Record<ContentType, TypeCursor>>;

/** Start times are kept this far inside the seven days, so a request sent a little later is still accepted. */
export const FLOOR_MARGIN_MS = 5 * 60_000;
/** A listing with more pages than this in one window is a server looping on its NextPageUri. */
const MAX_PAGES = 10_000;
/** Blobs the cursor remembers per content type; the overlap of a busy tenant holds a few hundred. */
const MAX_SEEN = 20_000;

function readCursor(data: Record<string, unknown>): Office365Cursor | undefined {
  const out: Office365Cursor = {};
  for (const ct of CONTENT_TYPES) {
    const t = data[ct];
    if (t === undefined) continue;
    if (t === null || typeof t !== 'object' || Array.isArray(t)) return undefined;
    const { through, last_created, seen } = t as Record<string, unknown>;
    if (through !== undefined && (typeof through !== 'number' || !Number.isFinite(through))) return undefined;
    if (last_created !== undefined && typeof last_created !== 'number') return undefined;
    if (seen === null || typeof seen !== 'object' || Array.isArray(seen)) return undefined;
    const s: Record<string, number> = {};
    for (const [k, v] of Object.entries(seen as Record<string, unknown>)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
      s[k] = v;
    }
    out[ct] = { ...(through !== undefined ? { through } : {}), ...(last_created !== undefined ? { last_created: last_created as number } : {}), seen: s };
  }
  return out;
}

export const office365Cursor: CursorCodec<Office365Cursor> = {
  version: 1,
  read: readCursor,
  write: (c) => ({ ...c }),
  initial: () => ({}),
};

export interface PollContext {
  source: string;
  config: Office365Config;
  client: Office365Api;
  run: RunContext;
  now: () => number;
  signal: AbortSignal;
  logger: Logger | undefined;
  /** Watermark promised per content type. */
  promised: Map<ContentType, number>;
  /** Content types whose subscription is known to be enabled in this run. */
  subscribed: Set<ContentType>;
  /** Content types not read: no subscription and start_subscriptions is false. */
  skipped: Set<ContentType>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function call<T>(what: string, contentType: ContentType | undefined, fn: () => Promise<T>, ctx: PollContext): Promise<T> {
  return ctx.run.retry(what, fn, { classify: toSaaswatchError, fields: contentType ? { contentType } : {} });
}

/** The lowest promise of the content types read: a skipped one never delivers, so it holds nothing back. */
export function promisedWatermark(ctx: Pick<PollContext, 'config' | 'promised' | 'skipped'>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const ct of ctx.config.content_types) if (!ctx.skipped.has(ct)) min = Math.min(min, ctx.promised.get(ct) ?? Number.NEGATIVE_INFINITY);
  return min;
}

function promise(ctx: PollContext, ct: ContentType, at: number): void {
  const cur = ctx.promised.get(ct) ?? Number.NEGATIVE_INFINITY;
  if (at > cur) ctx.promised.set(ct, at);
}

/** Oldest start time the API still lists. */
const floorOf = (now: number): number => now - RETENTION_MS + FLOOR_MARGIN_MS;

/** Where a content type's next pass starts, before the seven-day floor. */
function startOf(st: TypeCursor | undefined, ctx: PollContext, now: number): number {
  return st?.through === undefined ? backfillFrom(ctx.config.backfill, now) : st.through - ctx.config.settle;
}

/** Where each content type's next pass starts, promised before any is read (records may precede their blob by record_lag). */
export function promiseStarts(state: Office365Cursor, ctx: PollContext): void {
  const now = ctx.now();
  for (const ct of ctx.config.content_types) promise(ctx, ct, Math.max(startOf(state[ct], ctx, now), floorOf(now)) - ctx.config.record_lag);
}

/**
 * Makes sure every configured content type has an enabled subscription: started when the config
 * allows, otherwise reported (once per run, at error: its events are not collected) and skipped.
 */
export async function ensureSubscriptions(ctx: PollContext): Promise<void> {
  const wanted = ctx.config.content_types.filter((ct) => !ctx.subscribed.has(ct));
  if (wanted.length === 0) return;
  const listed = await call('subscriptions/list', undefined, () => ctx.client.listSubscriptions(), ctx);
  const enabled = new Set(listed.filter((s) => s.status.toLowerCase() === 'enabled').map((s) => s.contentType.toLowerCase()));
  for (const ct of wanted) {
    if (enabled.has(ct.toLowerCase())) {
      ctx.subscribed.add(ct);
      ctx.skipped.delete(ct);
    } else if (ctx.config.start_subscriptions) {
      await call(`subscriptions/start ${ct}`, ct, () => ctx.client.startSubscription(ct), ctx);
      ctx.logger?.info({ contentType: ct }, `Office 365 subscription to ${ct} started (it was not); content is available from now on, and may take up to 12 hours to appear the first time.`);
      ctx.subscribed.add(ct);
      ctx.skipped.delete(ct);
    } else if (!ctx.skipped.has(ct)) {
      ctx.skipped.add(ct);
      ctx.logger?.error(
        { contentType: ct, afCode: 'AF20022' },
        `Office 365 has no started subscription to ${ct} (AF20022) and start_subscriptions is false: ${ct} is NOT collected. Start it (POST activity/feed/subscriptions/start?contentType=${ct}), set start_subscriptions: true, or remove it from content_types.`,
      );
    }
  }
  if (ctx.config.content_types.every((ct) => ctx.skipped.has(ct))) {
    throw errors.configInvalid({
      path: 'content_types',
      problem: `none of ${ctx.config.content_types.join(', ')} has a started subscription (AF20022), and start_subscriptions is false`,
      fix: 'start the subscriptions, or set start_subscriptions: true',
    });
  }
}

/** Every blob of one listing window, all pages read (a repeated NextPageUri fails the window, to be listed again next poll). */
async function listWindow(ct: ContentType, from: number, to: number, ctx: PollContext): Promise<ContentBlob[]> {
  const blobs: ContentBlob[] = [];
  const pages = new Set<string>();
  let next: string | undefined;
  for (let n = 1; ; n++) {
    const page = await call(`subscriptions/content ${ct} ${iso(from)}..${iso(to)} page ${n}`, ct, () => ctx.client.listContent(ct, from, to, next), ctx);
    blobs.push(...page.blobs);
    if (!page.next || ctx.signal.aborted) break;
    if (pages.has(page.next) || n >= MAX_PAGES) {
      throw errors.inputMalformed({ where: `Office 365 listing of ${ct} ${iso(from)}..${iso(to)}`, problem: pages.has(page.next) ? `NextPageUri repeated on page ${n}` : `more than ${MAX_PAGES} pages`, fix: 'the window is listed again on the next poll', retryable: true });
    }
    pages.add(page.next);
    next = page.next;
  }
  // Listed by contentCreated; read oldest first so the cursor's last_created only grows.
  const byId = new Map(blobs.map((b) => [b.contentId, b]));
  return [...byId.values()].sort((a, b) => Date.parse(a.contentCreated) - Date.parse(b.contentCreated) || (a.contentId < b.contentId ? -1 : 1));
}

/** Drops blobs created before `horizon` (no later listing reaches them) and keeps at most MAX_SEEN, newest first. */
export function pruneSeen(seen: Record<string, number>, horizon: number): Record<string, number> {
  let kept = Object.entries(seen).filter(([, c]) => c >= horizon);
  if (kept.length > MAX_SEEN) kept = kept.sort((a, b) => b[1] - a[1]).slice(0, MAX_SEEN);
  return Object.fromEntries(kept);
}

/** One content type, from its cursor less the overlap up to now. */
export async function* pollType(ct: ContentType, state: Office365Cursor, ctx: PollContext): AsyncGenerator<PolledBatch<Office365Cursor>> {
  const { config } = ctx;
  const now = ctx.now();
  const floor = floorOf(now);
  const st = (state[ct] ??= { seen: {} });
  const wanted = startOf(st, ctx, now);
  if (wanted < floor) {
    if (st.through !== undefined) {
      ctx.logger?.warn(
        { contentType: ct, cursor: iso(st.through), availableFrom: iso(floor), lostMs: floor - wanted },
        `Office 365 ${ct}: the cursor is older than the 7 days the API keeps; content from ${iso(wanted)} to ${iso(floor)} is no longer available and its events are lost.`,
      );
    } else {
      ctx.logger?.info({ contentType: ct, availableFrom: iso(floor) }, `Office 365 ${ct}: backfill reaches past the 7 days the API keeps; starting at ${iso(floor)}.`);
    }
  }
  let from = Math.max(wanted, floor);
  let done = 0;
  while (from < now) {
    if (ctx.signal.aborted) return;
    const to = Math.min(from + config.window, now);
    const blobs = await listWindow(ct, from, to, ctx);
    let skippedAgain = 0;
    for (const blob of blobs) {
      if (ctx.signal.aborted) return;
      if (blob.contentId in st.seen) {
        skippedAgain++;
        continue;
      }
      const created = Date.parse(blob.contentCreated);
      const batch = await readBlob(ct, blob, ctx);
      st.seen[blob.contentId] = Number.isFinite(created) ? created : to;
      if (Number.isFinite(created)) st.last_created = Math.max(st.last_created ?? 0, created);
      done += batch.events.length;
      yield { ...batch, state, progress: { done, unit: 'records' }, watermark: promisedWatermark(ctx) };
    }
    if (ctx.signal.aborted) return;
    st.through = Math.max(st.through ?? 0, to);
    st.seen = pruneSeen(st.seen, st.through - config.settle);
    promise(ctx, ct, to - config.settle - config.record_lag);
    ctx.logger?.debug({ contentType: ct, from: iso(from), to: iso(to), blobs: blobs.length, alreadyRead: skippedAgain }, 'Office 365 window read.');
    // The window's end is committed even when it held nothing new.
    yield { events: [], deadLetters: [], state, progress: { done, unit: 'records' }, watermark: promisedWatermark(ctx) };
    from = to;
  }
}

/** One blob's records; an expired URI or a blob that is not an array is a dead letter naming it, and the poll goes on. */
async function readBlob(ct: ContentType, blob: ContentBlob, ctx: PollContext): Promise<{ events: SecurityEvent[]; deadLetters: DeadLetterInput[] }> {
  const position = { page: `${ct} blob ${blob.contentId}` };
  const payload = JSON.stringify({ contentType: ct, contentId: blob.contentId, contentCreated: blob.contentCreated, contentExpiration: blob.contentExpiration });
  let body: unknown;
  try {
    body = await call(`content ${ct} ${blob.contentId}`, ct, () => ctx.client.fetchContent(blob.contentUri), ctx);
  } catch (err) {
    const e = err instanceof SaaswatchError ? err : toSaaswatchError(err);
    if (e.code === 'INPUT_MALFORMED' && !e.retryable) {
      return { events: [], deadLetters: [{ source: ctx.source, code: e.code, reason: `content blob ${blob.contentId} of ${ct} is not JSON`, payload, position }] };
    }
    if (afCode(e) !== 'AF20051' && afCode(e) !== 'AF20050') throw e;
    // The URI cannot be fetched again, ever: waiting would stall the content type for nothing.
    ctx.logger?.warn({ contentType: ct, contentId: blob.contentId, contentCreated: blob.contentCreated, err: e }, `Office 365 ${ct}: content blob ${blob.contentId} has expired and cannot be fetched; its records are lost (dead letter written).`);
    return { events: [], deadLetters: [{ source: ctx.source, code: e.code, reason: `content blob ${blob.contentId} of ${ct} (created ${blob.contentCreated}) could not be fetched: ${afCode(e)} expired`, payload, position }] };
  }
  if (!Array.isArray(body)) {
    return { events: [], deadLetters: [{ source: ctx.source, code: 'INPUT_MALFORMED', reason: `content blob ${blob.contentId} of ${ct} is not a JSON array of records`, payload, position }] };
  }
  const ingested = iso(ctx.now());
  const events: SecurityEvent[] = [];
  const deadLetters: DeadLetterInput[] = [];
  body.forEach((raw, index) => {
    const r = normalizeRecord(raw, ingested, ct);
    if (r.ok) events.push(r.event);
    else deadLetters.push({ source: ctx.source, code: r.code, reason: `${ct} blob ${blob.contentId} record ${index}: ${r.reason}`, payload: JSON.stringify(raw) ?? String(raw), position: { page: `${ct} blob ${blob.contentId} record ${index}` } });
  });
  return { events, deadLetters };
}

/**
 * One pass over every content type. One whose failure outlasts its retries waits for the next poll
 * while the others are read; the pass then fails with it. A refusal that will not fix itself
 * (credentials, permission) ends the run.
 */
export async function* pollContentTypes(state: Office365Cursor, ctx: PollContext): AsyncGenerator<PolledBatch<Office365Cursor>> {
  promiseStarts(state, ctx);
  await ensureSubscriptions(ctx);
  let deferred: SaaswatchError | undefined;
  for (const ct of ctx.config.content_types) {
    if (ctx.signal.aborted) return;
    if (!ctx.subscribed.has(ct)) continue;
    try {
      try {
        yield* pollType(ct, state, ctx);
      } catch (err) {
        // The subscription was stopped since it was checked: check (and start) it again, once.
        if (afCode(err) !== 'AF20022' || ctx.signal.aborted) throw err;
        ctx.subscribed.delete(ct);
        await ensureSubscriptions(ctx);
        if (ctx.subscribed.has(ct)) yield* pollType(ct, state, ctx);
      }
    } catch (err) {
      if (ctx.signal.aborted) return;
      const e = toSaaswatchError(err);
      if (!e.retryable) throw e;
      ctx.logger?.warn({ contentType: ct, err: e }, 'Office 365 content type failed; the others are still read.');
      deferred ??= e;
    }
  }
  if (deferred) throw deferred;
}
