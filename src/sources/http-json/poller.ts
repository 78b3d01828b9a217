/**
 * Polls the endpoint page by page (next link, cursor token, or neither) over [since, until) windows
 * when configured, each batch carrying the state that resumes after it.
 */
import { errors } from '../../core/index.js';
import { backfillFrom } from '../../pipeline/polling-config.js';
import type { CursorCodec, PollContext, PolledBatch } from '../../pipeline/polling.js';
import type { HttpJsonConfig } from './config.js';
import { getPath, parseBody, type NormalizedPage, type ParsedPage } from './normalize.js';

/** The committed resume point. */
export interface HttpJsonState {
  /** With time_window: every window before this instant has been read to its last page. */
  done?: string;
  /** The next page (a URL for next_link, a token for cursor) of the run in progress, or, for cursor paging without windows, where the next poll resumes. */
  next?: string;
  /** The window `next` belongs to. */
  from?: string;
  to?: string;
}

const isOptTime = (t: unknown) => t === undefined || (typeof t === 'string' && Number.isFinite(Date.parse(t)));

export const httpJsonCursor: CursorCodec<HttpJsonState> = {
  version: 1,
  read: (d) =>
    isOptTime(d.done) && isOptTime(d.from) && isOptTime(d.to) && (d.next === undefined || typeof d.next === 'string')
      ? {
          ...(d.done ? { done: d.done as string } : {}),
          ...(d.next ? { next: d.next as string } : {}),
          ...(d.from ? { from: d.from as string } : {}),
          ...(d.to ? { to: d.to as string } : {}),
        }
      : undefined,
  write: (s) => ({ ...s }),
  initial: () => ({}),
};

export interface Poller {
  name: string;
  config: HttpJsonConfig;
  get(url: string): Promise<{ body: string; linkNext: string | undefined }>;
  normalize(page: ParsedPage, position: string): NormalizedPage;
}

const iso = (ms: number) => new Date(ms).toISOString();

function timeParam(ms: number, format: 'iso' | 'epoch_s' | 'epoch_ms'): string {
  return format === 'iso' ? iso(ms) : format === 'epoch_s' ? String(Math.floor(ms / 1000)) : String(ms);
}

/** What a run of the source has promised so far (see SourceBatch.watermark), kept across its polls so it never moves back. */
export interface Promised {
  at: number;
}

export async function* pollHttpJson(p: Poller, start: HttpJsonState, ctx: PollContext, memo: Promised = { at: Number.NEGATIVE_INFINITY }): AsyncGenerator<PolledBatch<HttpJsonState>> {
  const { config } = p;
  const target = `http-json source ${p.name}`;
  const origin = new URL(config.url).origin;
  const paging = config.paging;
  const tw = config.time_window;
  const startedAt = ctx.now();
  let state: HttpJsonState = { ...start };
  let done = 0;
  // What the poll promises (see SourceBatch.watermark): with windows, where the read starts, then
  // each completed window less settle; without, nothing new until the whole run is read.
  if (tw) memo.at = Math.max(memo.at, state.done ? Date.parse(state.done) - config.settle : backfillFrom(config.backfill, startedAt));

  const firstUrl = (from?: number, to?: number): URL => {
    const u = new URL(config.url);
    if (tw && from !== undefined && to !== undefined) {
      u.searchParams.set(tw.since_param, timeParam(from, tw.format));
      u.searchParams.set(tw.until_param, timeParam(to, tw.format));
    }
    if (config.page_size_param) u.searchParams.set(config.page_size_param, String(config.page_size));
    return u;
  };
  const withToken = (from: number | undefined, to: number | undefined, token: string): string => {
    const u = firstUrl(from, to);
    u.searchParams.set(paging.cursor_param, token);
    return u.href;
  };

  /** One run of pages: a window, or the whole feed. `resume` continues an interrupted one. */
  async function* run(from: number | undefined, to: number | undefined, resume: string | undefined): AsyncGenerator<PolledBatch<HttpJsonState>> {
    let url = resume === undefined ? firstUrl(from, to).href : paging.type === 'cursor' ? withToken(from, to, resume) : resume;
    let token = paging.type === 'cursor' ? resume : undefined;
    for (let pageNo = 1; ; pageNo++) {
      if (ctx.signal.aborted) return;
      const page = await ctx.retry('GET', () => p.get(url));
      const parsed = parseBody(page.body, config, target);
      const position = `${from === undefined ? '' : `${iso(from)}..${iso(to!)} `}page ${pageNo}`;
      const { events, deadLetters } = p.normalize(parsed, position);
      let next: string | undefined;
      if (paging.type === 'next_link') {
        const inBody = paging.next_path ? getPath(parsed.document, paging.next_path) : undefined;
        next = typeof inBody === 'string' && inBody !== '' ? new URL(inBody, url).href : paging.next_path ? undefined : page.linkNext;
        if (next !== undefined && new URL(next).origin !== origin) {
          // The credential header would go with it.
          throw errors.inputMalformed({ where: target, problem: 'the next link points to another host; not following it' });
        }
      } else if (paging.type === 'cursor') {
        const t = getPath(parsed.document, paging.cursor_path);
        const fresh = (typeof t === 'string' && t !== '') || typeof t === 'number' ? String(t) : undefined;
        // A feed that always hands back a token ends at an empty page or a token that does not move.
        if (fresh !== undefined && fresh !== token && parsed.records.length > 0) next = fresh;
        if (fresh !== undefined) token = fresh;
      }
      if (next !== undefined) {
        state = { ...(state.done ? { done: state.done } : {}), next, ...(from === undefined ? {} : { from: iso(from), to: iso(to!) }) };
      } else if (tw) {
        // The window is complete: a settle re-read must not move `done` back.
        const prev = state.done === undefined ? 0 : Date.parse(state.done);
        state = { done: iso(Math.max(prev, to!)) };
        memo.at = Math.max(memo.at, Math.min(to!, startedAt - config.settle));
      } else {
        // Token feeds resume from their last token; link and single-request feeds are read again whole (dedupe drops repeats).
        state = paging.type === 'cursor' && token !== undefined ? { next: token } : {};
        memo.at = Math.max(memo.at, startedAt - config.settle);
      }
      done += events.length;
      yield { events, deadLetters, state, progress: { done, unit: 'records' }, watermark: memo.at };
      if (next === undefined) return;
      url = paging.type === 'cursor' ? withToken(from, to, next) : next;
    }
  }

  if (!tw) {
    yield* run(undefined, undefined, state.next);
    return;
  }
  let from: number;
  if (state.next !== undefined && state.from !== undefined && state.to !== undefined) {
    const to = Date.parse(state.to);
    yield* run(Date.parse(state.from), to, state.next);
    from = to;
  } else {
    from = state.done === undefined ? backfillFrom(config.backfill, startedAt) : Math.max(0, Date.parse(state.done) - config.settle);
  }
  while (from < startedAt && !ctx.signal.aborted) {
    const to = Math.min(from + tw.size, startedAt);
    yield* run(from, to, undefined);
    from = to;
  }
}
