/** A local fake of the Office 365 Management Activity API and its Entra token endpoint, speaking their wire format: subscriptions, content listings paged by NextPageUri, content blobs that expire and arrive late, with injectable faults. */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, readBody } from '../http.js';

export const FAKE_CONTENT_TYPES = ['Audit.SharePoint', 'Audit.Exchange', 'Audit.AzureActiveDirectory', 'Audit.General'] as const;

const DAY_MS = 24 * 3_600_000;

/** One content blob: the records it holds and when the API lists it. */
export interface FakeBlob {
  contentType: string;
  /** Default: generated in the API's form (`<created>$<created>$audit_sharepoint$Audit_SharePoint$emea0020`). */
  contentId?: string;
  /** When the blob was created (ISO): listings select on it. */
  contentCreated: string;
  /** When it appears in listings (ISO, default contentCreated): a later time is a late blob. */
  availableAt?: string;
  /** Default contentCreated + 7 days. */
  contentExpiration?: string;
  /** The audit records; `body` replaces the JSON array (a malformed blob). */
  records: unknown[];
  body?: string;
  /** Fetching it answers AF20051 whatever the clock says. */
  expired?: boolean;
}

export interface FakeOffice365Faults {
  /** The next N API requests answer 429 (AF429) with Retry-After. */
  rateLimited: number;
  retryAfterSeconds: number;
  /** The next N API requests answer 500 (AF50000). */
  serverErrors: number;
}

export interface FakeOffice365Request {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface FakeOffice365Options {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Content types whose subscription is already started (default none). */
  subscriptions?: string[];
  blobs?: FakeBlob[];
  /** Blobs per listing page before a NextPageUri (default 100). */
  pageSize?: number;
  /** The API's present (epoch ms): the seven days, expiry and late blobs are judged by it. */
  now?: () => number;
  faults?: Partial<FakeOffice365Faults>;
}

export interface FakeOffice365 {
  /** API root: a source's `api_url`. */
  url: string;
  /** Entra authority root: a source's `login_url`. */
  loginUrl: string;
  faults: FakeOffice365Faults;
  requests: FakeOffice365Request[];
  /** Adds blobs (late ones with an availableAt ahead of the clock). */
  addBlobs(blobs: FakeBlob[]): void;
  /** Content types with a started subscription. */
  readonly subscriptions: readonly string[];
  /** Stops a subscription, as subscriptions/stop or an admin would: listings answer AF20022. */
  stopSubscription(contentType: string): void;
  /** How many times each content id was fetched. */
  fetches(contentId: string): number;
  /** Every blob's content id in the fake, in the order added. */
  contentIds(): string[];
  close(): Promise<void>;
}

/** The API's error envelope. */
function afError(status: number, code: string, message: string, headers: Record<string, string> = {}): HttpError {
  return new HttpError(status, { error: { code, message } }, headers);
}

/** Entra's OAuth error body. */
function aadError(status: number, error: string, code: number, text: string): HttpError {
  const trace = randomUUID();
  return new HttpError(status, { error, error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${randomUUID()}`, error_codes: [code], trace_id: trace });
}

/** `2026-11-03T09:00:00` (UTC, the form the docs use) or with `Z`; undefined when neither. */
function parseApiTime(v: string | null): number | undefined {
  if (v === null || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z?$/.test(v)) return undefined;
  const ms = Date.parse(v.endsWith('Z') ? v : `${v}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A content id as the API writes them: the creation instant twice, the type, a region. */
function contentIdOf(b: FakeBlob, n: number): string {
  const stamp = b.contentCreated.replace(/\D/g, '').slice(0, 17).padEnd(17, '0') + String(n).padStart(6, '0');
  const t = b.contentType.replace('.', '_');
  return `${stamp}$${stamp}$${t.toLowerCase()}$${t}$emea0020`;
}

interface Listing {
  items: Array<Required<Pick<FakeBlob, 'contentId'>> & FakeBlob>;
  offset: number;
  query: URLSearchParams;
}

export async function startFakeOffice365(opts: FakeOffice365Options): Promise<FakeOffice365> {
  const now = opts.now ?? Date.now;
  const tenant = opts.tenantId.toLowerCase();
  const subscriptions = new Set((opts.subscriptions ?? []).map((s) => s.toLowerCase()));
  const blobs: Array<FakeBlob & { contentId: string }> = [];
  const fetchCounts = new Map<string, number>();
  const tokens = new Set<string>();
  const listings = new Map<string, Listing>();
  const requests: FakeOffice365Request[] = [];
  const faults: FakeOffice365Faults = { rateLimited: 0, retryAfterSeconds: 1, serverErrors: 0, ...opts.faults };
  const pageSize = opts.pageSize ?? 100;
  let url = '';
  const addBlobs = (list: FakeBlob[]) => {
    for (const b of list) blobs.push({ ...b, contentId: b.contentId ?? contentIdOf(b, blobs.length) });
  };
  addBlobs(opts.blobs ?? []);

  const token = (tenantPart: string, body: string) => {
    if (tenantPart.toLowerCase() !== tenant) throw aadError(400, 'invalid_request', 90002, `Tenant '${tenantPart}' not found.`);
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') throw aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    if ((form.get('client_id') ?? '').toLowerCase() !== opts.clientId.toLowerCase()) throw aadError(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory.`);
    if (form.get('client_secret') !== opts.clientSecret) throw aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    if (form.get('scope') !== 'https://manage.office.com/.default') throw aadError(400, 'invalid_scope', 1002012, `The provided value for scope ${form.get('scope') ?? ''} is not valid.`);
    const access = `${Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256' })).toString('base64url')}.${Buffer.from(JSON.stringify({ aud: 'https://manage.office.com', tid: opts.tenantId, appid: opts.clientId, roles: ['ActivityFeed.Read'] })).toString('base64url')}.${randomBytes(24).toString('base64url')}`;
    tokens.add(access);
    return { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: access };
  };

  const contentPage = (l: Listing) => {
    const items = l.items.slice(l.offset, l.offset + pageSize);
    const headers: Record<string, string> = {};
    if (l.offset + pageSize < l.items.length) {
      const tok = randomBytes(12).toString('hex');
      listings.set(tok, { ...l, offset: l.offset + pageSize });
      const q = new URLSearchParams(l.query);
      q.set('nextPage', tok);
      headers.NextPageUri = `${url}/api/v1.0/${opts.tenantId}/activity/feed/subscriptions/content?${q.toString()}`;
    }
    const body = items.map((b) => ({
      contentType: b.contentType,
      contentId: b.contentId,
      contentUri: `${url}/api/v1.0/${opts.tenantId}/activity/feed/audit/${b.contentId}`,
      contentCreated: b.contentCreated.replace(/\.\d+Z$/, '.000Z'),
      contentExpiration: b.contentExpiration ?? new Date(Date.parse(b.contentCreated) + 7 * DAY_MS).toISOString(),
    }));
    return { body, headers };
  };

  const route = (method: string, rest: string, q: URLSearchParams): { body: unknown; headers?: Record<string, string>; raw?: string } => {
    const contentType = q.get('contentType') ?? '';
    if (rest === 'subscriptions/start') {
      if (method !== 'POST') throw afError(405, 'AF20000', 'The requested resource does not support http method GET.');
      if (!FAKE_CONTENT_TYPES.some((t) => t.toLowerCase() === contentType.toLowerCase())) throw afError(400, 'AF20020', 'The specified content type is not valid.');
      if (subscriptions.has(contentType.toLowerCase())) throw afError(400, 'AF20024', 'The subscription is already enabled. No property change.');
      subscriptions.add(contentType.toLowerCase());
      return { body: { contentType, status: 'enabled', webhook: null } };
    }
    if (rest === 'subscriptions/list') {
      return { body: FAKE_CONTENT_TYPES.filter((t) => subscriptions.has(t.toLowerCase())).map((t) => ({ contentType: t, status: 'enabled', webhook: null })) };
    }
    if (rest === 'subscriptions/content') {
      const next = q.get('nextPage');
      if (next !== null) {
        const l = listings.get(next);
        if (!l) throw afError(400, 'AF20031', `Invalid nextPage Input: ${next}.`);
        return contentPage(l);
      }
      if (!FAKE_CONTENT_TYPES.some((t) => t.toLowerCase() === contentType.toLowerCase())) throw afError(400, 'AF20020', 'The specified content type is not valid.');
      if (!subscriptions.has(contentType.toLowerCase())) throw afError(400, 'AF20022', 'No subscription found for the specified content type');
      const startText = q.get('startTime');
      const endText = q.get('endTime');
      if ((startText === null) !== (endText === null)) throw afError(400, 'AF20055', 'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past.');
      const t = now();
      const start = startText === null ? t - DAY_MS : parseApiTime(startText);
      const end = endText === null ? t : parseApiTime(endText);
      if (start === undefined || end === undefined) throw afError(400, 'AF20054', 'Invalid syntax for startTime and endTime.');
      if (end <= start || end - start > DAY_MS) throw afError(400, 'AF20055', 'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past.');
      if (start < t - 7 * DAY_MS) throw afError(400, 'AF20056', 'Start time cannot be more than 7 days in the past.');
      // Listed in the order they became available, not by contentCreated: late ones come after.
      const items = blobs.filter((b) => b.contentType.toLowerCase() === contentType.toLowerCase() && Date.parse(b.availableAt ?? b.contentCreated) <= t && Date.parse(b.contentCreated) >= start && Date.parse(b.contentCreated) < end);
      const query = new URLSearchParams(q);
      query.delete('PublisherIdentifier');
      return contentPage({ items, offset: 0, query });
    }
    const audit = /^audit\/(.+)$/.exec(rest);
    if (audit && method === 'GET') {
      const id = audit[1]!;
      const b = blobs.find((x) => x.contentId === id);
      if (!b) throw afError(404, 'AF20050', `The specified content (${id}) does not exist.`);
      fetchCounts.set(id, (fetchCounts.get(id) ?? 0) + 1);
      const expires = Date.parse(b.contentExpiration ?? new Date(Date.parse(b.contentCreated) + 7 * DAY_MS).toISOString());
      if (b.expired || now() >= expires) throw afError(400, 'AF20051', `Content requested with the key ${id} has already expired. Content older than 7 days cannot be retrieved.`);
      return b.body !== undefined ? { body: undefined, raw: b.body } : { body: b.records };
    }
    throw afError(404, 'AF20001', `No HTTP resource was found that matches the request URI '${rest}'.`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const path = decodeURIComponent(parsed.pathname);
    let status = 200;
    try {
      const body = (await readBody(req)).toString('utf8');
      const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
      if (tokenPath) {
        if (req.method !== 'POST') throw aadError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
        const answer = JSON.stringify(token(tokenPath[1]!, body));
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(answer);
        return;
      }
      const m = /^\/api\/v1\.0\/([^/]+)\/activity\/feed\/(.+)$/.exec(path);
      if (!m) throw afError(404, 'AF20001', 'No HTTP resource was found that matches the request URI.');
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      // Microsoft's gateway answers a missing or unknown token with this ASP.NET body, not the AF envelope.
      if (!bearer || !tokens.has(bearer)) throw new HttpError(401, { Message: 'Authorization has been denied for this request.' });
      if (m[1]!.toLowerCase() !== tenant) throw afError(401, 'AF20010', `The tenant ID passed in the URL (${m[1]}) does not match the tenant ID passed in the access token (${opts.tenantId}).`);
      if (faults.rateLimited > 0) {
        faults.rateLimited--;
        throw afError(429, 'AF429', `Too many requests. Method=${m[2]!.split('?')[0]}, PublisherId=${parsed.searchParams.get('PublisherIdentifier') ?? '00000000-0000-0000-0000-000000000000'}`, { 'Retry-After': String(faults.retryAfterSeconds) });
      }
      if (faults.serverErrors > 0) {
        faults.serverErrors--;
        throw afError(500, 'AF50000', 'An internal error occurred. Retry the request.');
      }
      const out = route(req.method ?? 'GET', m[2]!, parsed.searchParams);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', ...out.headers });
      res.end(out.raw ?? JSON.stringify(out.body));
    } catch (err) {
      const e = err instanceof HttpError ? err : afError(500, 'AF50000', 'An internal error occurred. Retry the request.');
      status = e.status;
      res.writeHead(e.status, { 'Content-Type': 'application/json; charset=utf-8', ...e.headers });
      res.end(JSON.stringify(e.payload));
    } finally {
      requests.push({ method: req.method ?? 'GET', path, query: Object.fromEntries(parsed.searchParams), status });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    loginUrl: url,
    faults,
    requests,
    addBlobs,
    get subscriptions() {
      return FAKE_CONTENT_TYPES.filter((t) => subscriptions.has(t.toLowerCase()));
    },
    stopSubscription(contentType) {
      subscriptions.delete(contentType.toLowerCase());
    },
    fetches: (id) => fetchCounts.get(id) ?? 0,
    contentIds: () => blobs.map((b) => b.contentId),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
