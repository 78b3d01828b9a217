/** Reads Graph security alerts for one observable through the official SDK, per set of credentials, and reports each failure as a relay error instead of throwing. */
import { createHash } from 'node:crypto';
import { ResponseType } from '@microsoft/microsoft-graph-client';
import type { Logger } from 'pino';
import { SaaswatchError, Secret, errors } from '../../../core/index.js';
import { abortableSleep } from '../../../pipeline/polling.js';
import { createGraphSdk, toSaaswatchError, type GraphSdk } from '../../../sources/microsoft-graph/client.js';
import { OBSERVABLE_TYPES, type CtimSighting, type GraphCredentials, type GraphSightings, type Observable, type RelayError } from '../types.js';
import { legacyFilter, queryValue, v2AlertMatches, v2TimeFilter } from './filters.js';
import { legacySighting, v2Sighting } from './mapping.js';
import { SharedScan, type Page } from './scan.js';
import type { LegacyAlert, V2Alert } from './wire.js';

export interface GraphSightingsOptions {
  /** Graph's root, e.g. https://graph.microsoft.com (the fake's URL in tests). */
  graphUrl: string;
  /** Token endpoint root, e.g. https://login.microsoftonline.com. */
  loginUrl: string;
  /** Also query legacy /security/alerts. */
  legacyAlerts: boolean;
  fetch?: typeof fetch;
  now?: () => number;
  /** Per request to Graph or Entra; default 15 s (a relay answers an analyst waiting in XDR). */
  timeoutMs?: number;
  /**
   * A 429 whose Retry-After is at most this long is waited out and retried once; a longer one (or
   * a second 429) is reported as "too many requests". Default 2 s; 0 reports every 429.
   */
  retryAfterMaxMs?: number;
  /** alerts_v2 records updated this long ago or since are searched for the observable. Default 30 days. */
  v2LookbackMs?: number;
  /** At most this many alerts_v2 records are read per observable (the evidence is matched here, not by Graph). Default 2,000. */
  v2ScanLimit?: number;
  /** `$top` of alerts_v2 pages. Default 500 (pages hold alerts that may not name the observable). */
  v2PageSize?: number;
  /**
   * How long one read of alerts_v2 serves the observables asked after it began (per credentials):
   * a 10-observable request reads the alerts once, not ten times. An alert raised within this
   * window may be missed until it ends. Default 30 s; 0 never shares (each call reads its own).
   */
  v2CacheMs?: number;
  /** How many credential sets keep a client (and its cached token). Default 32, least recently used evicted. */
  maxClients?: number;
  /** Waits for Retry-After (tests record instead). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Where skipped malformed records are told (debug). */
  logger?: Logger;
}

/** Cisco's relay error codes. */
export const RELAY_CODES = {
  auth: 'authorization error',
  permission: 'permission denied',
  tooMany: 'too many requests',
  unavailable: 'service unavailable',
  connection: 'connection error',
  unknown: 'unknown',
} as const;

/** Graph's page limits: alerts_v2 takes $top up to 2,000, the legacy API up to 1,000. */
const MAX_TOP = { alerts_v2: 2000, alerts: 1000 } as const;
/** A misbehaving server could hand out nextLinks forever; no observable needs more pages than this. */
const MAX_PAGES = 50;
const DAY = 86_400_000;
/** The relay's default entities limit, for a limit that is not a number. */
const DEFAULT_LIMIT = 100;

/** What one alert API gave for one observable. */
interface ApiResult {
  sightings: CtimSighting[];
  error?: RelayError;
  /** Records that could not be read as alerts and were skipped. */
  skipped?: number;
}

const fatal = (code: string, message: string): RelayError => ({ type: 'fatal', code, message });

/** The SDK for one set of credentials, its current alerts_v2 read, and until when Graph asked it to wait, per API. */
interface Client {
  g: GraphSdk;
  scan: SharedScan | undefined;
  throttled: Map<string, number>;
}

/** How long an API that answered 429 without a Retry-After is left alone. */
const DEFAULT_THROTTLE_MS = 5_000;

/** Waits for `p` unless `signal` aborts first; false when it did. */
async function untilAborted(p: Promise<void>, signal: AbortSignal | undefined): Promise<boolean> {
  if (!signal) return p.then(() => true);
  if (signal.aborted) return false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<boolean>((resolve) => {
    onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p.then(() => true), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** A failure as the relay reports it: Cisco's code for the status, the message without credentials. */
function relayError(err: SaaswatchError, what: string, redact: (s: string) => string): RelayError {
  const status = typeof err.details?.status === 'number' ? err.details.status : undefined;
  const msg = redact(err.message);
  if (err.code === 'NETWORK' || err.code === 'TIMEOUT') return fatal(RELAY_CODES.connection, msg.includes(what) ? msg : `${what}: ${msg}`);
  switch (status) {
    case 401:
      return fatal(RELAY_CODES.auth, `Authorization failed: ${what}: ${msg}`);
    case 403:
      return fatal(RELAY_CODES.permission, `${what}: ${msg}`);
    case 429: {
      const wait = err.retryAfterMs === undefined ? '' : ` (Retry-After ${Math.ceil(err.retryAfterMs / 1000)} s)`;
      return fatal(RELAY_CODES.tooMany, `Too many requests to ${what} have been made${wait}. Please try again later.`);
    }
    case 503:
      return fatal(RELAY_CODES.unavailable, `${what} is temporarily unavailable. Please try again later.`);
    default:
      return fatal(RELAY_CODES.unknown, status === undefined ? `${what}: ${msg}` : `Unexpected response ${status} from ${what}: ${msg}`);
  }
}

/** A refused token request is the credentials' fault (authorization error); Entra being down or unreachable is not. */
function tokenError(err: unknown, redact: (s: string) => string): RelayError {
  const e = toSaaswatchError(err);
  const status = typeof e.details?.status === 'number' ? e.details.status : undefined;
  if (e.code === 'HTTP_REJECTED' && status !== undefined && status >= 400 && status < 500) return fatal(RELAY_CODES.auth, `Authorization failed: ${redact(e.message)}`);
  return relayError(e, 'Microsoft Entra token endpoint', redact);
}

function asPage(body: unknown): Page {
  const b = body as { value?: unknown; '@odata.nextLink'?: unknown } | null;
  if (!b || typeof b !== 'object' || !Array.isArray(b.value)) {
    throw errors.inputMalformed({ where: 'Microsoft Graph', problem: 'answered without a value array', retryable: true });
  }
  const next = b['@odata.nextLink'];
  return { value: b.value, nextLink: typeof next === 'string' && next !== '' ? next : undefined };
}

const SKIPPED = Symbol('skipped');

/**
 * One record of a page through `read`: one that is not an alert (not an object, no string id), or
 * whose shape makes `read` throw, is skipped rather than losing the page's other records.
 */
function readRecord<T>(rec: unknown, read: (r: object) => T | undefined): T | undefined | typeof SKIPPED {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return SKIPPED;
  const id = (rec as { id?: unknown }).id;
  if (typeof id !== 'string' || id === '') return SKIPPED;
  try {
    return read(rec);
  } catch {
    return SKIPPED;
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function createGraphSightings(opts: GraphSightingsOptions): GraphSightings {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const retryAfterMax = opts.retryAfterMaxMs ?? 2000;
  const lookback = opts.v2LookbackMs ?? 30 * DAY;
  const scanLimit = opts.v2ScanLimit ?? 2000;
  const maxClients = opts.maxClients ?? 32;
  /**
   * One SDK (token cache included) per tenant, app and secret. The secret's hash is in the key so a
   * caller with the right tenant and app but a wrong secret never rides another caller's token.
   */
  const clients = new Map<string, Client>();
  const cacheMs = opts.v2CacheMs ?? 30_000;
  const v2Top = Math.max(1, Math.min(opts.v2PageSize ?? 500, MAX_TOP.alerts_v2, scanLimit));

  const clientFor = (c: GraphCredentials): Client => {
    const key = `${c.tenant_id.toLowerCase()}\n${c.application_id.toLowerCase()}\n${sha256(c.client_secret)}`;
    // A read older than its window serves nobody again: let its records go rather than wait for this client's next read.
    const t = now();
    for (const other of clients.values()) if (other.scan && t - other.scan.createdAt >= cacheMs && !other.scan.reading) other.scan = undefined;
    const hit = clients.get(key);
    if (hit) {
      clients.delete(key);
      clients.set(key, hit);
      return hit;
    }
    const g = createGraphSdk({
      graphUrl: opts.graphUrl,
      loginUrl: opts.loginUrl,
      tenantId: c.tenant_id,
      clientId: c.application_id,
      clientSecret: new Secret(c.client_secret),
      timeoutMs: opts.timeoutMs ?? 15_000,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      now,
    });
    const client: Client = { g, scan: undefined, throttled: new Map() };
    clients.set(key, client);
    while (clients.size > maxClients) clients.delete(clients.keys().next().value!);
    return client;
  };

  /** GET of a path (with its query) on the Graph root; one wait-and-retry for a short Retry-After. */
  const get = async (c: Client, version: string, path: string, what: string, signal: AbortSignal | undefined, retried: { done: boolean }): Promise<Page> => {
    const g = c.g;
    for (;;) {
      try {
        const req = g.sdk.api(path).version(version).responseType(ResponseType.JSON);
        return asPage(await (signal ? req.options({ signal }) : req).get());
      } catch (err) {
        const e = g.redactor.error(toSaaswatchError(err, { stream: 'security_alerts', what }));
        const status = e.details?.status;
        if (status === 429 && !retried.done && e.retryAfterMs !== undefined && e.retryAfterMs <= retryAfterMax && !signal?.aborted) {
          retried.done = true;
          await sleep(e.retryAfterMs, signal ?? new AbortController().signal);
          continue;
        }
        // The observables asked after this one are told to wait without asking Graph again.
        if (status === 429) c.throttled.set(what, now() + (e.retryAfterMs ?? DEFAULT_THROTTLE_MS));
        throw e;
      }
    }
  };

  /** A nextLink as version and path, when it points at the configured root; Graph never sends one elsewhere, and the token must not follow one that does. */
  const relative = (g: GraphSdk, link: string): { version: string; path: string } | undefined => {
    if (!link.startsWith(`${g.base}/`)) return undefined;
    const rest = link.slice(g.base.length + 1);
    const slash = rest.indexOf('/');
    return slash < 0 ? undefined : { version: rest.slice(0, slash), path: rest.slice(slash + 1) };
  };

  const legacyWhat = 'Microsoft Graph /security/alerts';
  const v2What = 'Microsoft Graph /security/alerts_v2';

  /** A failure of one API as the relay reports it; Graph's 404 means nothing to list (no sightings, no error). */
  const apiError = (g: GraphSdk, what: string, err: unknown): RelayError | undefined => {
    const e = err instanceof SaaswatchError ? err : toSaaswatchError(err);
    if (e.details?.status === 404) return undefined;
    return relayError(e, what, (s) => g.redactor.text(s));
  };

  /** Reads pages from a first path, then nextLinks, refusing a link outside the Graph root. */
  const loader = (c: Client, first: string, what: string, signal: AbortSignal | undefined) => {
    const retried = { done: false };
    return (link: string | undefined): Promise<Page> => {
      if (link === undefined) return get(c, 'v1.0', first, what, signal, retried);
      const next = relative(c.g, link);
      if (!next) throw errors.inputMalformed({ where: what, problem: 'returned a next link outside graph_url; not followed' });
      return get(c, next.version, next.path, what, signal, retried);
    };
  };

  /** Legacy alerts: Graph filters them, so every record is a sighting; `$top` is the limit and nextLinks are followed up to it. */
  const fromLegacy = async (c: Client, o: Observable, limit: number, signal: AbortSignal | undefined): Promise<ApiResult> => {
    const g = c.g;
    const waiting = throttledError(c, legacyWhat);
    if (waiting) return { sightings: [], error: waiting };
    const fallback = new Date(now()).toISOString();
    const load = loader(c, `/security/alerts?$filter=${queryValue(legacyFilter(o))}&$top=${Math.min(limit, MAX_TOP.alerts)}`, legacyWhat, signal);
    const sightings: CtimSighting[] = [];
    let skipped = 0;
    try {
      let page = await load(undefined);
      for (let pages = 1; ; pages++) {
        for (const rec of page.value) {
          const s = readRecord(rec, (r) => legacySighting(o, r as LegacyAlert, fallback));
          if (s === SKIPPED) skipped++;
          else if (s) sightings.push(s);
          if (sightings.length >= limit) return { sightings, skipped };
        }
        if (!page.nextLink || pages >= MAX_PAGES) return { sightings, skipped };
        page = await load(page.nextLink);
      }
    } catch (err) {
      const error = apiError(g, legacyWhat, err);
      return error ? { sightings, error, skipped } : { sightings, skipped };
    }
  };

  /** "Too many requests" while Graph's Retry-After for this API has not passed. */
  const throttledError = (c: Client, what: string): RelayError | undefined => {
    const until = c.throttled.get(what);
    if (until === undefined) return undefined;
    const left = until - now();
    if (left <= 0) {
      c.throttled.delete(what);
      return undefined;
    }
    return fatal(RELAY_CODES.tooMany, `Too many requests to ${what} have been made (Retry-After ${Math.ceil(left / 1000)} s). Please try again later.`);
  };

  /** The client's current alerts_v2 read, or a new one when it is older than the cache allows or failed. */
  const scanFor = (c: Client): SharedScan => {
    const t = now();
    if (c.scan && !c.scan.error && t - c.scan.createdAt < cacheMs) return c.scan;
    const g = c.g;
    c.scan = new SharedScan({
      // The read is shared: no caller's signal aborts it (each caller may stop waiting instead).
      load: loader(c, `/security/alerts_v2?$filter=${queryValue(v2TimeFilter(t - lookback))}&$top=${v2Top}`, v2What, undefined),
      toError: (err) => apiError(g, v2What, err),
      maxRecords: scanLimit,
      maxPages: MAX_PAGES,
      createdAt: t,
    });
    return c.scan;
  };

  /** alerts_v2: the shared read's records, walked until `limit` of them name the observable or the read ends. */
  const fromV2 = async (c: Client, o: Observable, limit: number, signal: AbortSignal | undefined): Promise<ApiResult> => {
    const waiting = throttledError(c, v2What);
    if (waiting) return { sightings: [], error: waiting };
    const fallback = new Date(now()).toISOString();
    const scan = scanFor(c);
    const sightings: CtimSighting[] = [];
    let skipped = 0;
    for (let i = 0; sightings.length < limit; i++) {
      if (i >= scan.records.length) {
        if (!(await untilAborted(scan.need(i), signal))) return { sightings, error: fatal(RELAY_CODES.connection, `${v2What}: request aborted`), skipped };
        if (i >= scan.records.length) return scan.error ? { sightings, error: scan.error, skipped } : { sightings, skipped };
      }
      const s = readRecord(scan.records[i], (r) => (v2AlertMatches(r as V2Alert, o) ? v2Sighting(o, r as V2Alert, fallback) : undefined));
      if (s === SKIPPED) skipped++;
      else if (s) sightings.push(s);
    }
    return { sightings, skipped };
  };

  /** The client for these credentials with a token in hand, or the relay error saying why there is none. */
  const withToken = async (credentials: GraphCredentials): Promise<{ c: Client; error?: undefined } | { c: Client; error: RelayError }> => {
    const c = clientFor(credentials);
    try {
      await c.g.provider.getAccessToken();
      return { c };
    } catch (err) {
      return { c, error: tokenError(err, (s) => c.g.redactor.text(s)) };
    }
  };

  return {
    async observe(o, { credentials, limit, signal }) {
      // A type Graph has nothing for is no sightings, as in Cisco's module; the relay core refuses unknown types itself.
      if (!(OBSERVABLE_TYPES as readonly string[]).includes(o.type)) return { sightings: [], errors: [] };
      const { c, error } = await withToken(credentials);
      if (error) return { sightings: [], errors: [error] };
      const n = Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : DEFAULT_LIMIT;
      // Settled apart: one API failing in a way nobody foresaw must not lose the other's sightings.
      const settled = await Promise.allSettled([fromV2(c, o, n, signal), ...(opts.legacyAlerts ? [fromLegacy(c, o, n, signal)] : [])]);
      const results = settled.map((r, i): ApiResult => {
        if (r.status === 'fulfilled') return r.value;
        opts.logger?.error({ err: r.reason, api: i === 0 ? 'alerts_v2' : 'alerts' }, 'Relay Graph read failed unexpectedly.');
        return { sightings: [], error: fatal(RELAY_CODES.unknown, `${i === 0 ? v2What : legacyWhat}: something went wrong (the saaswatch log has the details)`) };
      });
      const skipped = results.reduce((sum, r) => sum + (r.skipped ?? 0), 0);
      if (skipped > 0) opts.logger?.debug({ skipped, type: o.type }, 'Relay skipped Graph alert records it could not read.');
      return { sightings: results.flatMap((r) => r.sightings), errors: results.flatMap((r) => (r.error ? [r.error] : [])) };
    },

    async health({ credentials, signal }) {
      const { c, error } = await withToken(credentials);
      if (error) return error;
      const what = 'Microsoft Graph /security/alerts_v2';
      try {
        await get(c, 'v1.0', '/security/alerts_v2?$top=1', what, signal, { done: false });
        return undefined;
      } catch (err) {
        return relayError(err instanceof SaaswatchError ? err : toSaaswatchError(err), what, (s) => c.g.redactor.text(s));
      }
    },
  };
}
