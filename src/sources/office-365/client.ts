/**
 * The Office 365 Management Activity API over plain fetch (Microsoft ships no maintained SDK for
 * it): subscriptions, content listings paged by NextPageUri, content blobs, with the Entra
 * client-credentials token of the microsoft-graph source, and every failure a classified
 * SaaswatchError that keeps the API's AF code.
 */
import { errors, Redactor, SaaswatchError } from '../../core/index.js';
import { readCapped } from '../../pipeline/http-body.js';
import { classifyHttpStatus, classifyRequestError } from '../../pipeline/retry.js';
import { ClientCredentialsProvider } from '../microsoft-graph/token.js';
import { apiRoot, type ContentType, type Office365Config } from './config.js';

/** Largest answer read: a content blob holds a few thousand records, far below this. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const SNIPPET_CHARS = 300;
const TARGET = 'Office 365 Management Activity API';
/** The token audience: the API's own, also for a proxy or the local fake. */
export const MANAGE_SCOPE = 'https://manage.office.com/.default';

/** One entry of a content listing. */
export interface ContentBlob {
  contentType: string;
  contentId: string;
  contentUri: string;
  contentCreated: string;
  contentExpiration?: string;
}

export interface Subscription {
  contentType: string;
  status: string;
}

export interface ContentPage {
  blobs: ContentBlob[];
  /** The NextPageUri header: the same listing's next page. */
  next: string | undefined;
}

export interface Office365Api {
  listSubscriptions(): Promise<Subscription[]>;
  /** subscriptions/start; an already enabled subscription (AF20024) is a success. */
  startSubscription(contentType: ContentType): Promise<void>;
  /** subscriptions/content for contentCreated in [start, end), or the page a NextPageUri names. */
  listContent(contentType: ContentType, startMs: number, endMs: number, nextPageUri?: string): Promise<ContentPage>;
  /** A content blob: the JSON array of audit records. */
  fetchContent(contentUri: string): Promise<unknown>;
}

export interface Office365ClientOptions {
  config: Office365Config;
  signal: AbortSignal;
  redactor: Redactor;
  fetch?: typeof fetch | undefined;
  now?: (() => number) | undefined;
}

/** The API's `{"error":{"code":"AF…","message":"…"}}` code of an error, if it carried one. */
export function afCode(err: unknown): string | undefined {
  const c = err instanceof SaaswatchError ? err.details?.af_code : undefined;
  return typeof c === 'string' ? c : undefined;
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC, as the listing's startTime and endTime are written. */
export function apiTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function cut(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
}

/** What to fix for a refusal, by status and AF code. */
function hint(status: number, code: string | undefined): string {
  if (code === 'AF20022') return 'no subscription for this content type: set start_subscriptions: true, start it yourself, or remove it from content_types';
  if (code === 'AF20023') return 'the subscription was disabled by an admin: start it again or remove the content type from content_types';
  if (code === 'AF20051') return 'the content URI expired and cannot be fetched again';
  if (code === 'AF20010' || code === 'AF20012') return 'check tenant_id: it must be the tenant GUID the app is consented in';
  if (code === 'AF10001' || status === 403) return 'grant the app the ActivityFeed.Read application permission of Office 365 Management APIs, with admin consent, and turn on audit logging in the tenant';
  if (status === 401) return 'check tenant_id, client_id and client_secret: the API refused the access token';
  if (status === 400) return 'check backfill and window (listings cover at most 24 hours within the last 7 days)';
  return '';
}

/** An error answer read into a classified SaaswatchError carrying the AF code. */
function fromResponse(status: number, text: string, retryAfter: string | null, redactor: Redactor, what: string): SaaswatchError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    code = typeof body?.error?.code === 'string' ? body.error.code : undefined;
    message = typeof body?.error?.message === 'string' ? body.error.message : undefined;
  } catch {
    // Not the API's envelope (a proxy's page): the snippet below says what came.
  }
  // Redacted before it is cut: a secret cut in two is no longer found.
  const said = cut(redactor.text(code ? `${code}: ${message ?? ''}` : text));
  const base = classifyHttpStatus(status, retryAfter, { target: `${TARGET} (${what})`, ...(said ? { detail: said } : {}) });
  const fix = base.retryable ? '' : hint(status, code);
  const details = { ...base.details, status, ...(code ? { af_code: code } : {}) };
  return new SaaswatchError(base.code, fix ? `${base.message} (${fix})` : base.message, {
    retryable: base.retryable,
    details,
    ...(base.retryAfterMs === undefined ? {} : { retryAfterMs: base.retryAfterMs }),
  });
}

/** Anything the client or the runtime caught, as a SaaswatchError. */
export function toSaaswatchError(err: unknown): SaaswatchError {
  if (err instanceof SaaswatchError) return err;
  return errors.internal({ problem: `unexpected failure in the office-365 source (${err instanceof Error ? err.name : typeof err})` });
}

export function createOffice365Client(opts: Office365ClientOptions): Office365Api {
  const { config, signal, redactor } = opts;
  const root = apiRoot(config);
  const origin = new URL(root).origin;
  const feed = `${root}/api/v1.0/${encodeURIComponent(config.tenant_id)}/activity/feed`;
  const fetchFn = opts.fetch ?? fetch;
  const tokens = new ClientCredentialsProvider({
    loginUrl: config.login_url,
    tenantId: config.tenant_id,
    clientId: config.client_id,
    clientSecret: config.client_secret,
    scope: MANAGE_SCOPE,
    fetch: fetchFn,
    signal,
    timeoutMs: config.timeout,
    ...(opts.now ? { now: opts.now } : {}),
    redactor,
  });

  /** Only the configured API root gets the token: a NextPageUri or contentUri pointing elsewhere is refused. */
  const own = (url: string, what: string): URL => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw errors.inputMalformed({ where: TARGET, problem: `${what} is not a URL` });
    }
    if (u.origin !== origin || !u.pathname.startsWith(new URL(feed).pathname)) {
      throw errors.inputMalformed({ where: TARGET, problem: `${what} points outside ${origin}; it is not followed` });
    }
    return u;
  };

  const request = async (url: URL, method: 'GET' | 'POST', what: string, retried = false, notJsonRetryable = true): Promise<{ json: unknown; headers: Headers }> => {
    const cached = tokens.cached;
    const token = await tokens.getAccessToken();
    const timeout = AbortSignal.timeout(config.timeout);
    const s = AbortSignal.any([timeout, signal]);
    // PublisherIdentifier puts our calls in the tenant's own throttling quota rather than a shared one.
    if (!url.searchParams.has('PublisherIdentifier')) url.searchParams.set('PublisherIdentifier', config.tenant_id);
    let res: Response;
    let bytes: Uint8Array;
    try {
      res = await fetchFn(url, { method, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}) }, ...(method === 'POST' ? { body: '{}' } : {}), signal: s, redirect: 'manual' });
      const body = await readCapped(res, MAX_RESPONSE_BYTES);
      if (body.truncated) throw errors.inputTooLarge({ where: `${TARGET} (${what})`, size: `an answer of more than ${MAX_RESPONSE_BYTES} bytes`, limit: `${MAX_RESPONSE_BYTES} bytes` });
      bytes = body.bytes;
    } catch (err) {
      if (err instanceof SaaswatchError) throw redactor.error(err);
      throw redactor.error(classifyRequestError(err, { timedOut: timeout.aborted && !signal.aborted, timeoutMs: config.timeout, target: TARGET }));
    }
    const text = new TextDecoder().decode(bytes);
    if (!res.ok) {
      // A token cached across a key rollover: one fresh token is worth a try.
      if (res.status === 401 && cached && !retried) {
        tokens.invalidate();
        return request(url, method, what, true, notJsonRetryable);
      }
      throw redactor.error(fromResponse(res.status, text, res.headers.get('retry-after'), redactor, what));
    }
    if (text.trim() === '') return { json: undefined, headers: res.headers };
    try {
      return { json: JSON.parse(text) as unknown, headers: res.headers };
    } catch {
      throw errors.inputMalformed({ where: `${TARGET} (${what})`, problem: `answered ${res.status} with a body that is not JSON`, retryable: notJsonRetryable });
    }
  };

  return {
    async listSubscriptions() {
      const { json } = await request(new URL(`${feed}/subscriptions/list`), 'GET', 'subscriptions/list');
      if (!Array.isArray(json)) throw errors.inputMalformed({ where: `${TARGET} (subscriptions/list)`, problem: 'the answer is not a JSON array', retryable: true });
      return json.filter((s): s is Subscription => s !== null && typeof s === 'object' && typeof (s as Subscription).contentType === 'string').map((s) => ({ contentType: s.contentType, status: String(s.status ?? '') }));
    },
    async startSubscription(contentType) {
      const url = new URL(`${feed}/subscriptions/start`);
      url.searchParams.set('contentType', contentType);
      try {
        await request(url, 'POST', `subscriptions/start ${contentType}`);
      } catch (err) {
        // "The subscription is already enabled. No property change.": what we wanted.
        if (afCode(err) === 'AF20024') return;
        throw err;
      }
    },
    async listContent(contentType, startMs, endMs, nextPageUri) {
      let url: URL;
      if (nextPageUri !== undefined) {
        url = own(nextPageUri, 'NextPageUri');
      } else {
        url = new URL(`${feed}/subscriptions/content`);
        url.searchParams.set('contentType', contentType);
        url.searchParams.set('startTime', apiTime(startMs));
        url.searchParams.set('endTime', apiTime(endMs));
      }
      const what = `subscriptions/content ${contentType}`;
      const { json, headers } = await request(url, 'GET', what);
      if (!Array.isArray(json)) throw errors.inputMalformed({ where: `${TARGET} (${what})`, problem: 'the answer is not a JSON array', retryable: true });
      const blobs = json.filter(
        (b): b is ContentBlob => b !== null && typeof b === 'object' && typeof (b as ContentBlob).contentId === 'string' && typeof (b as ContentBlob).contentUri === 'string' && typeof (b as ContentBlob).contentCreated === 'string',
      );
      const next = headers.get('NextPageUri') ?? undefined;
      return { blobs, next: next === '' ? undefined : next };
    },
    async fetchContent(contentUri) {
      // A blob that is not JSON stays so: a dead letter, not a retry that stalls the content type.
      const { json } = await request(own(contentUri, 'contentUri'), 'GET', 'content blob', false, false);
      return json;
    },
  };
}
