/** A local fake of the Dropbox team_log API, its webhooks, and the team member and sharing routes response actions call, speaking the real wire format, with injectable faults. */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, readBody } from '../http.js';
import { ALL_SCOPES, CONTENT_ROUTES, ROUTE_SCOPES, createFakeTeam, dropboxError, type FakeDropboxFile, type FakeDropboxMember, type FakeDropboxTeam } from './team.js';
import type { TeamEvent } from './team-event.js';

export type { TeamEvent } from './team-event.js';
export { generateTeamEvents, dropboxTimestamp, seededRandom } from './team-event.js';
export { ALL_SCOPES, dropboxContentHash, fakeLinkUrl } from './team.js';
export type { FakeDropboxFile, FakeDropboxFileMember, FakeDropboxLink, FakeDropboxMember, FakeDropboxTeam } from './team.js';

/** Switches a test flips to make the fake misbehave the way Dropbox does; counters count down per request. */
export interface FakeDropboxFaults {
  /** The next N API requests answer 429 too_many_requests with Retry-After. */
  rateLimited: number;
  /** Retry-After of those 429s, in seconds (Dropbox sends whole seconds). */
  retryAfterSeconds: number;
  /** The next N API requests answer `serverErrorStatus`. */
  serverErrors: number;
  serverErrorStatus: number;
  /** The next N pages are empty but say has_more, as Dropbox documents they may. */
  emptyPages: number;
  /** Serve each page's events in shuffled order (Dropbox does not sort within a page). */
  unsorted: boolean;
  /** Start each page with the previous page's last event again (a re-delivery). */
  duplicates: boolean;
  /** The next N get_events/continue calls find their cursor expired: 409 `reset`. */
  resets: number;
}

export interface FakeDropboxRequest {
  path: string;
  body: unknown;
  status: number;
  /** The Dropbox-API-Select-User header: the team member a team token acted as. */
  selectUser?: string;
}

export interface FakeDropboxOptions {
  events?: TeamEvent[];
  accessToken: string;
  /** The app secret webhooks are signed with. */
  appSecret: string;
  faults?: Partial<FakeDropboxFaults>;
  /** Team members beyond those the events name (who are members too, active). */
  members?: FakeDropboxMember[];
  /** Files with their links and members, beyond (or replacing, by id) those derived from the events. */
  files?: FakeDropboxFile[];
  /** The scopes the access token was issued with (default ALL_SCOPES); a route needing another answers 401 missing_scope. */
  scopes?: string[];
}

export interface FakeDropbox {
  /** Base URL, e.g. `http://127.0.0.1:40123`: the `base_url` of a dropbox source under test. */
  url: string;
  faults: FakeDropboxFaults;
  /** Every API request answered, in order, for assertions on what the client asked. */
  requests: FakeDropboxRequest[];
  /** The team's members, files, links and file members, read and seeded without the API. */
  team: FakeDropboxTeam;
  /** The token's scopes: a test removes one to see the 401 missing_scope Dropbox answers. */
  scopes: Set<string>;
  /** Appends events to the team log, as if they had just happened. */
  addEvents(events: TeamEvent[]): void;
  /** POSTs a Dropbox webhook notification, signed with the app secret unless `signature` overrides it (null: no header). */
  sendWebhook(targetUrl: string, opts?: { signature?: string | null; body?: string }): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

const MAX_LIMIT = 1000;
const CATEGORIES = new Set([
  'apps', 'comments', 'data_governance', 'devices', 'domains', 'encryption', 'file_operations', 'file_requests', 'groups',
  'legal_holds', 'logins', 'members', 'paper', 'passwords', 'reports', 'sharing', 'showcase', 'sso', 'team_folders',
  'team_policies', 'team_profile', 'tfa', 'trusted_teams',
]);

interface CursorState {
  /** Index into the arrival log: continue resumes there, so events added later are found. */
  pos: number;
  startMs: number | undefined;
  endMs: number | undefined;
  category: string | undefined;
  limit: number;
  /** Last event served through this cursor chain: the `duplicates` fault repeats it, `reset` reports its time. */
  last: TeamEvent | undefined;
}

/** Dropbox's JSON error envelope for a flat union tag: `{error_summary, error: {'.tag': ...}}`. */
function routeError(status: number, tag: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): HttpError {
  return dropboxError(status, { '.tag': tag, ...extra }, headers);
}

function parseTime(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  // Dropbox rejects timestamps that are not whole-second UTC: the SDK-level format is strict.
  if (!Number.isFinite(ms) || typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(v)) {
    throw new HttpError(400, `Error in call to API function "team_log/get_events": ${what}: '${String(v)}' is not a valid timestamp`);
  }
  return ms;
}

/** JSON for an HTTP header, as Dropbox writes it: every non-ASCII character escaped (`\\uXXXX`). */
function headerSafeJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A content route's arguments: the Dropbox-API-Arg header (or the `arg` URL parameter), a JSON object. */
function contentArg(path: string, req: IncomingMessage): Record<string, unknown> {
  const header = req.headers['dropbox-api-arg'];
  const raw = typeof header === 'string' ? header : new URL(req.url ?? '/', 'http://x').searchParams.get('arg');
  const where = `Error in call to API function "${path.slice(3)}"`;
  if (raw === null || raw === undefined) throw new HttpError(400, `${where}: Must provide HTTP header "Dropbox-API-Arg" or URL parameter "arg".`);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new HttpError(400, `${where}: HTTP header "Dropbox-API-Arg": could not decode input as JSON`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, `${where}: HTTP header "Dropbox-API-Arg": expected a JSON object`);
  return v as Record<string, unknown>;
}

export async function startFakeDropbox(opts: FakeDropboxOptions): Promise<FakeDropbox> {
  const log: TeamEvent[] = [...(opts.events ?? [])];
  const cursors = new Map<string, CursorState>();
  const requests: FakeDropboxRequest[] = [];
  const faults: FakeDropboxFaults = {
    rateLimited: 0,
    retryAfterSeconds: 1,
    serverErrors: 0,
    serverErrorStatus: 500,
    emptyPages: 0,
    unsorted: false,
    duplicates: false,
    resets: 0,
    ...opts.faults,
  };
  let shuffleSeed = 7;
  const teamRoutes = createFakeTeam({ events: log, members: opts.members ?? [], files: opts.files ?? [] });
  const scopes = new Set<string>(opts.scopes ?? ALL_SCOPES);

  const matches = (c: CursorState, e: TeamEvent): boolean => {
    const t = Date.parse(e.timestamp);
    if (c.startMs !== undefined && t < c.startMs) return false;
    if (c.endMs !== undefined && t >= c.endMs) return false;
    return c.category === undefined || e.event_category['.tag'] === c.category;
  };

  /** Serves one page from a cursor state and issues a fresh cursor string: Dropbox's cursors change every page. */
  const page = (c: CursorState) => {
    let events: TeamEvent[] = [];
    let pos = c.pos;
    if (faults.emptyPages > 0) {
      faults.emptyPages--;
      const cursor = randomBytes(24).toString('base64url');
      cursors.set(cursor, { ...c });
      return { events, cursor, has_more: true };
    }
    while (pos < log.length && events.length < c.limit) {
      const e = log[pos++]!;
      if (matches(c, e)) events.push(e);
    }
    while (pos < log.length && !matches(c, log[pos]!)) pos++;
    const hasMore = pos < log.length;
    const last = events.at(-1) ?? c.last;
    if (faults.duplicates && c.last !== undefined) events = [c.last, ...events];
    if (faults.unsorted && events.length > 1) {
      for (let i = events.length - 1; i > 0; i--) {
        shuffleSeed = (shuffleSeed * 1664525 + 1013904223) >>> 0;
        const j = shuffleSeed % (i + 1);
        [events[i], events[j]] = [events[j]!, events[i]!];
      }
    }
    const cursor = randomBytes(24).toString('base64url');
    cursors.set(cursor, { ...c, pos, last });
    return { events, cursor, has_more: hasMore };
  };

  const getEvents = (body: Record<string, unknown>) => {
    const limit = body.limit === undefined ? MAX_LIMIT : body.limit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new HttpError(400, `Error in call to API function "team_log/get_events": limit: ${String(limit)} is not between 1 and ${MAX_LIMIT}`);
    }
    const time = (body.time ?? {}) as Record<string, unknown>;
    const startMs = parseTime(time.start_time, 'time.start_time');
    const endMs = parseTime(time.end_time, 'time.end_time');
    if (startMs !== undefined && endMs !== undefined && endMs < startMs) throw routeError(409, 'invalid_time_range');
    let category: string | undefined;
    if (body.category !== undefined) {
      const tag = typeof body.category === 'string' ? body.category : (body.category as { '.tag'?: unknown })['.tag'];
      if (typeof tag !== 'string' || !CATEGORIES.has(tag)) {
        throw new HttpError(400, `Error in call to API function "team_log/get_events": category: unknown tag '${String(tag)}'`);
      }
      category = tag;
    }
    if (body.event_type !== undefined && category !== undefined) throw routeError(409, 'invalid_filters');
    return page({ pos: 0, startMs, endMs, category, limit, last: undefined });
  };

  const getEventsContinue = (body: Record<string, unknown>) => {
    const id = body.cursor;
    if (typeof id !== 'string') throw new HttpError(400, 'Error in call to API function "team_log/get_events/continue": missing required field \'cursor\'');
    const c = cursors.get(id);
    if (c === undefined) throw routeError(409, 'bad_cursor');
    if (faults.resets > 0) {
      faults.resets--;
      cursors.delete(id);
      // Dropbox tells when the cursor's last event happened: the documented resumption point.
      throw routeError(409, 'reset', { reset: c.last?.timestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    }
    return page(c);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let body: unknown;
    let status = 200;
    const selectHeader = req.headers['dropbox-api-select-user'];
    const selectUser = typeof selectHeader === 'string' ? selectHeader : undefined;
    try {
      const raw = await readBody(req);
      if (req.method !== 'POST' || !(path in ROUTE_SCOPES)) {
        throw new HttpError(404, `Unknown API function: ${path}`);
      }
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${opts.accessToken}`) {
        throw routeError(401, auth === '' ? 'missing_access_token' : 'invalid_access_token');
      }
      if (faults.rateLimited > 0) {
        faults.rateLimited--;
        throw new HttpError(
          429,
          {
            error_summary: 'too_many_requests/..',
            error: { '.tag': 'too_many_requests', reason: { '.tag': 'too_many_requests' }, retry_after: faults.retryAfterSeconds },
          },
          { 'Retry-After': String(faults.retryAfterSeconds) },
        );
      }
      if (faults.serverErrors > 0) {
        faults.serverErrors--;
        throw new HttpError(faults.serverErrorStatus, '');
      }
      const scope = ROUTE_SCOPES[path]!;
      if (!scopes.has(scope)) throw dropboxError(401, { '.tag': 'missing_scope', required_scope: scope });
      teamRoutes.checkSelectUser(path, selectUser, scopes);
      if (CONTENT_ROUTES.has(path)) {
        body = contentArg(path, req);
        const { metadata, content } = teamRoutes.download(body as Record<string, unknown>, selectUser);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': content.length, 'Dropbox-API-Result': headerSafeJson(metadata) });
        res.end(content);
        return;
      }
      if (!/^application\/json/.test(req.headers['content-type'] ?? '')) {
        throw new HttpError(400, `Error in call to API function "${path.slice(3)}": Bad HTTP "Content-Type" header. Expecting "application/json".`);
      }
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpError(400, `Error in call to API function "${path.slice(3)}": request body: could not decode input as JSON`);
      }
      if (body === null || typeof body !== 'object') throw new HttpError(400, 'Error in call to API function: request body must be a JSON object');
      const args = body as Record<string, unknown>;
      const result =
        path === '/2/team_log/get_events' ? getEvents(args) : path === '/2/team_log/get_events/continue' ? getEventsContinue(args) : teamRoutes.handle(path, args, selectUser);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(result));
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, '');
      status = e.status;
      const text = typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload);
      res.writeHead(e.status, { 'Content-Type': typeof e.payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...e.headers });
      res.end(text);
    } finally {
      requests.push({ path, body, status, ...(selectUser === undefined ? {} : { selectUser }) });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    requests,
    team: teamRoutes.team,
    scopes,
    addEvents(events) {
      log.push(...events);
    },
    async sendWebhook(targetUrl, o = {}) {
      // The notification Dropbox sends for team apps: who changed, not what changed.
      const body = o.body ?? JSON.stringify({ list_folder: { accounts: [] }, delta: { users: [] } });
      const signature = o.signature === undefined ? createHmac('sha256', opts.appSecret).update(body).digest('hex') : o.signature;
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'DropboxWebhooks/1.0' };
      if (signature !== null) headers['X-Dropbox-Signature'] = signature;
      const res = await fetch(targetUrl, { method: 'POST', headers, body });
      return { status: res.status, body: await res.text() };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
