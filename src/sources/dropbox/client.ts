/** The official Dropbox SDK, with an injected fetch (base URL override, abort, timeout) and classified errors, for team_log and the response actions. */
import { Dropbox, DropboxResponseError, type team_log } from 'dropbox';
import { Redactor, SaaswatchError, errors, type Secret } from '../../core/index.js';
import { classifyHttpStatus, classifyRequestError } from '../../pipeline/retry.js';

/** Where the SDK sends RPC calls; rewritten to `base_url` when one is configured. */
export const DROPBOX_API_ORIGIN = 'https://api.dropboxapi.com';
/** Where the SDK sends content calls (files/download); rewritten to `base_url` too when that is not Dropbox's own API host, so one fake or proxy serves both. */
export const DROPBOX_CONTENT_ORIGIN = 'https://content.dropboxapi.com';

/** One page of `team_log/get_events(/continue)`; events stay `unknown` until normalize checks them. */
export interface TeamLogPage {
  events: unknown[];
  cursor: string;
  has_more: boolean;
}

export interface GetEventsArgs {
  limit: number;
  /** Inclusive, whole-second UTC (`2024-05-06T09:00:00Z`). */
  startTime: string;
  category?: string;
}

export interface TeamLogClient {
  getEvents(args: GetEventsArgs): Promise<TeamLogPage>;
  getEventsContinue(cursor: string): Promise<TeamLogPage>;
}

/** How the SDK is reached: shared by the team_log client and the response actions. */
export interface DropboxSdkOptions {
  accessToken: Secret;
  apiUrl?: string;
  /** Aborts requests in flight when the source stops. */
  signal?: AbortSignal;
  /** Per-request limit, so a hung connection cannot stall the poller forever. */
  timeoutMs?: number;
  /** The fetch to route through (tests); global fetch otherwise. */
  fetch?: typeof fetch;
  /** Where the token is registered, so no error the client throws can carry it (the source shares it with the runtime). */
  redactor?: Redactor;
  /** Largest download body read: past it the read stops (INPUT_TOO_LARGE), so a file replaced by a huge one is never buffered whole. */
  maxBodyBytes?: number;
}

export type TeamLogClientOptions = DropboxSdkOptions;

const TARGET = 'Dropbox team_log';

/** Tags of a 409 on continue that mean "this cursor is gone, start over from get_events". */
const CURSOR_GONE = new Set(['reset', 'bad_cursor']);

/** True when `err` says the cursor expired or was reset: the poller restarts from its watermark. */
export function isCursorGone(err: unknown): boolean {
  return err instanceof SaaswatchError && typeof err.details?.dropbox_error === 'string' && CURSOR_GONE.has(err.details.dropbox_error);
}

function dropboxErrorTag(body: unknown): string | undefined {
  const tag = (body as { error?: { '.tag'?: unknown } } | null | undefined)?.error?.['.tag'];
  return typeof tag === 'string' ? tag : undefined;
}

/**
 * The nested union tags of a Dropbox error, joined by '/': `path/not_found` for
 * `{'.tag':'path', path:{'.tag':'not_found'}}`, so a caller can tell "no such file" from other rejections.
 */
function dropboxErrorPath(body: unknown): string | undefined {
  let node = (body as { error?: unknown } | null | undefined)?.error;
  const tags: string[] = [];
  while (node !== null && typeof node === 'object' && tags.length < 5) {
    const tag = (node as Record<string, unknown>)['.tag'];
    if (typeof tag !== 'string') break;
    tags.push(tag);
    node = (node as Record<string, unknown>)[tag];
  }
  return tags.length ? tags.join('/') : undefined;
}

/** What a Dropbox 401 says is wrong with the token, in words a person fixes it with. */
function unauthorizedWhy(body: unknown, defaultScope: string): string {
  const error = (body as { error?: { '.tag'?: unknown; required_scope?: unknown } } | null | undefined)?.error;
  if (error?.['.tag'] === 'missing_scope') {
    const scope = typeof error.required_scope === 'string' ? error.required_scope : 'a scope';
    return ` (the access token lacks the ${scope} scope: enable ${scope} on the app's Permissions tab in the Dropbox App Console, then issue a new token, since a token keeps the scopes it was issued with)`;
  }
  // Select-user failures: the token is fine, the member a call acts as is not.
  if (error?.['.tag'] === 'user_suspended') return ' (the team member the call acts as is suspended, and Dropbox acts only as an active member: unsuspend them first, or use the Admin Console)';
  if (error?.['.tag'] === 'invalid_select_user') return ' (the team member the call acts as is not an active member of the team)';
  return ` (check access_token: it needs the ${defaultScope} scope of a team app)`;
}

function errorSummary(body: unknown, redactor: Redactor | undefined): string | undefined {
  // Redacted before it is cut: a token cut in two would not be recognised afterwards.
  if (typeof body === 'string') return (redactor ? redactor.text(body) : body).slice(0, 200) || undefined;
  const s = (body as { error_summary?: unknown } | null | undefined)?.error_summary;
  return typeof s === 'string' ? s : undefined;
}

/** Retry-After in seconds when the header is missing: Dropbox's 429 body carries `retry_after` too. */
function bodyRetryAfter(body: unknown): string | undefined {
  const s = (body as { error?: { retry_after?: unknown } } | null | undefined)?.error?.retry_after;
  return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? String(s) : undefined;
}

/** Who is calling, for messages: what was called and the scope a plain 401 most likely lacks. */
export interface DropboxErrorContext {
  /** `Dropbox team_log` by default. */
  target?: string;
  /** The scope named when a 401 does not say which one is missing (default events.read). */
  scope?: string;
}

/**
 * SDK failures as SaaswatchErrors. HTTP statuses go through the shared classification (429/5xx
 * retryable with Retry-After); the Dropbox error tag is kept in details so a cursor reset can be
 * told apart from a real rejection, and its nested tags (`path/not_found`) so an action can tell an
 * unknown file from a repeat. A 401 missing_scope names the scope and where to grant it.
 */
export function toSaaswatchError(err: unknown, timedOut = false, redactor?: Redactor, ctx: DropboxErrorContext = {}): SaaswatchError {
  if (err instanceof SaaswatchError) return err;
  const target = ctx.target ?? TARGET;
  if (err instanceof DropboxResponseError) {
    const status = err.status;
    const headers = err.headers as { get?: (n: string) => string | null } | undefined;
    const body: unknown = err.error;
    const retryAfter = (typeof headers?.get === 'function' ? headers.get('retry-after') : undefined) ?? (status === 429 ? bodyRetryAfter(body) : undefined);
    const tag = dropboxErrorTag(body);
    const tagPath = dropboxErrorPath(body);
    const summary = errorSummary(body, redactor);
    const base = classifyHttpStatus(status, retryAfter, { target, ...(summary ? { detail: summary } : {}) });
    const why = status === 401 ? unauthorizedWhy(body, ctx.scope ?? 'events.read') : '';
    const requiredScope = tag === 'missing_scope' ? (body as { error: { required_scope?: unknown } }).error.required_scope : undefined;
    return new SaaswatchError(base.code, base.message + why, {
      retryable: base.retryable,
      ...(base.retryAfterMs === undefined ? {} : { retryAfterMs: base.retryAfterMs }),
      cause: err,
      details: {
        status,
        ...(tag ? { dropbox_error: tag } : {}),
        ...(tagPath && tagPath !== tag ? { dropbox_error_path: tagPath } : {}),
        ...(typeof requiredScope === 'string' ? { required_scope: requiredScope } : {}),
      },
    });
  }
  return classifyRequestError(err, { timedOut, target });
}

/** The injected fetch: the SDK always builds https://api.dropboxapi.com URLs; this sends them to base_url instead. */
function routedFetch(opts: DropboxSdkOptions, timedOut: { value: boolean }): typeof fetch {
  const base = opts.apiUrl?.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return (input, init) => {
    let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (base !== undefined && url.startsWith(`${DROPBOX_API_ORIGIN}/`)) url = base + url.slice(DROPBOX_API_ORIGIN.length);
    else if (base !== undefined && base !== DROPBOX_API_ORIGIN && url.startsWith(`${DROPBOX_CONTENT_ORIGIN}/`)) url = base + url.slice(DROPBOX_CONTENT_ORIGIN.length);
    const timeout = AbortSignal.timeout(timeoutMs);
    timeout.addEventListener('abort', () => (timedOut.value = true), { once: true });
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    // Redirects are not followed: a redirect would carry the bearer token to another host.
    // The SDK reads a download's body with node-fetch's buffer(), which a WHATWG Response lacks.
    const max = opts.maxBodyBytes;
    return doFetch(url, { ...init, signal, redirect: 'manual' }).then(async (res) => {
      // Read here, capped, rather than in buffer(): the SDK drops a rejection of buffer() and would wait forever.
      if (max !== undefined && res.ok) {
        const body = await readCapped(res, max);
        return Object.assign(res, { buffer: async () => body });
      }
      return Object.assign(res, { buffer: async () => Buffer.from(await res.arrayBuffer()) });
    });
  };
}

/** A response body read up to `max` bytes: refused by its Content-Length first, else stopped (and cancelled) mid-stream. */
async function readCapped(res: Response, max: number): Promise<Buffer> {
  const tooLarge = (size: string) => errors.inputTooLarge({ where: 'Dropbox download', size, limit: `${max} bytes (pii.max_file_bytes)` });
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(`${declared} bytes`);
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`more than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** One SDK instance over the routed fetch, and whether its last request ran out of time. */
export interface DropboxSdk {
  sdk: Dropbox;
  timedOut: { value: boolean };
}

/**
 * The official SDK as saaswatch configures it. `selectUser` (a team_member_id) makes a team token
 * act as that member (`Dropbox-API-Select-User`), which user endpoints such as sharing/* require.
 */
export function createDropboxSdk(opts: DropboxSdkOptions & { selectUser?: string }): DropboxSdk {
  const timedOut = { value: false };
  const sdk = new Dropbox({
    accessToken: opts.accessToken.reveal(),
    fetch: routedFetch(opts, timedOut),
    ...(opts.selectUser ? { selectUser: opts.selectUser } : {}),
  });
  return { sdk, timedOut };
}

export function createTeamLogClient(opts: TeamLogClientOptions): TeamLogClient {
  // An upstream that echoes the request puts the bearer token in its error body, which the SDK keeps.
  const redactor = (opts.redactor ?? new Redactor()).add(opts.accessToken);
  const { sdk, timedOut } = createDropboxSdk(opts);
  const call = async (fn: () => Promise<{ result: team_log.GetTeamEventsResult }>): Promise<TeamLogPage> => {
    timedOut.value = false;
    try {
      const res = await fn();
      const r = res.result as Partial<team_log.GetTeamEventsResult> | undefined;
      if (!r || !Array.isArray(r.events) || typeof r.cursor !== 'string' || typeof r.has_more !== 'boolean') {
        throw errors.inputMalformed({ where: TARGET, problem: 'answered without events, cursor and has_more', retryable: true });
      }
      return { events: r.events, cursor: r.cursor, has_more: r.has_more };
    } catch (err) {
      throw redactor.error(toSaaswatchError(err, timedOut.value, redactor));
    }
  };
  return {
    getEvents: ({ limit, startTime, category }) =>
      call(() =>
        sdk.teamLogGetEvents({
          limit,
          time: { start_time: startTime },
          ...(category ? { category: { '.tag': category } as team_log.EventCategory } : {}),
        }),
      ),
    getEventsContinue: (cursor) => call(() => sdk.teamLogGetEventsContinue({ cursor })),
  };
}
