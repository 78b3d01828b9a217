/**
 * A local fake of Google's OAuth token endpoint, Admin SDK Reports and Directory users, Drive v3
 * (files, permissions, changes, push channels) and the Alert Center's alerts and their feedback, speaking the real
 * wire format, so the official SDKs run against it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors } from '../../core/index.js';
import { ALERTS_SCOPE, createFakeAlertCenter } from './alertcenter.js';
import { exportFile, isGoogleNative } from './content.js';
import { parseFields, project, type FieldTree } from './fields.js';
import { GOOGLE_TOKEN_AUDIENCE, verifyAssertion } from './service-account.js';
import type { ActivitiesPage, Activity, AlertCenterAlert, AlertCenterFeedback, Channel, DirectoryUser, DriveChange, DriveFile, DrivePermission } from './types.js';

export const REPORTS_SCOPE = 'https://www.googleapis.com/auth/admin.reports.audit.readonly';
const REPORTS_SCOPES = [REPORTS_SCOPE, 'https://www.googleapis.com/auth/admin.reports.usage.readonly'];
const DRIVE_SCOPES = [
  'https://www.googleapis.com/auth/drive',
  'https://www.googleapis.com/auth/drive.readonly',
  'https://www.googleapis.com/auth/drive.metadata.readonly',
];
/** What `alt=media` and export accept: the metadata-only scope cannot read content. */
const DRIVE_CONTENT_SCOPES = ['https://www.googleapis.com/auth/drive', 'https://www.googleapis.com/auth/drive.readonly', 'https://www.googleapis.com/auth/drive.file'];
/** What permissions.delete accepts: the read-only scopes cannot change sharing. */
const DRIVE_WRITE_SCOPES = ['https://www.googleapis.com/auth/drive', 'https://www.googleapis.com/auth/drive.file'];
export const DIRECTORY_USER_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user';
const DIRECTORY_READ_SCOPES = [DIRECTORY_USER_SCOPE, 'https://www.googleapis.com/auth/admin.directory.user.readonly'];
/** users.signOut accepts only this one. */
export const DIRECTORY_SECURITY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.security';

export interface FakeGoogleOptions {
  activities?: Activity[];
  /** Alert Center alerts, served on `GET /v1beta1/alerts`. */
  alerts?: AlertCenterAlert[];
  /** Admins' feedback on those alerts, served on `GET /v1beta1/alerts/{alertId}/feedback`. */
  alertFeedback?: AlertCenterFeedback[];
  files?: DriveFile[];
  /**
   * Directory users. Absent: every user the activities name as actor (with their profileId as id)
   * and every file owner, active and not admins, so a scenario's people exist.
   */
  users?: DirectoryUser[];
  /** Service accounts whose assertions the token endpoint accepts. */
  serviceAccounts?: Array<{
    clientEmail: string;
    publicKeyPem: string;
    /**
     * The scopes an admin granted this client in domain-wide delegation. When set, a token for an
     * impersonated user (`sub`) that asks for any other scope is refused as Google does (401
     * unauthorized_client); absent, every scope is granted.
     */
    delegatedScopes?: string[];
  }>;
  /** Access token lifetime, seconds (Google: 3600). */
  tokenTtlSec?: number;
  /** Longest channel lifetime granted by changes.watch, ms (Drive: one week for changes). */
  maxChannelTtlMs?: number;
  /** Clock, epoch ms: what time it is for the data (late events, default endTime, change times, channel lifetimes). */
  now?: () => number;
  /**
   * Clock the token endpoint judges assertion and access-token lifetimes by, epoch ms (default `now`).
   * The official SDKs sign their assertions with the process clock: a test that pins `now` for its
   * data while authenticating through them passes the system clock here.
   */
  authNow?: () => number;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** `sub` of the access token used, when the request carried one. */
  subject?: string;
}

export interface NotificationLogEntry {
  channelId: string;
  state: 'sync' | 'change';
  messageNumber: number;
  /** HTTP status the receiver answered, or 0 when it could not be reached. */
  status: number;
}

/** A request that changed something (suspend, sign-out, permission removed): what it did, to what, as whom. */
export interface WriteLogEntry {
  method: string;
  path: string;
  /** `sub` of the access token used. */
  subject?: string;
}

export interface FakeChannel {
  id: string;
  resourceId: string;
  address: string;
  token: string | undefined;
  expiration: number;
  pageToken: string;
  messageNumber: number;
  stopped: boolean;
}

export interface FakeGoogle {
  /** Base URL of the APIs (use as the SDKs' `rootUrl`), with a trailing slash. */
  url: string;
  /** OAuth2 token endpoint URL. */
  tokenUrl: string;
  close(): Promise<void>;
  /** Adds activities; `visibleAfterMs` makes them appear only later, as Google's late events do. */
  addActivities(xs: Activity[], opts?: { visibleAfterMs?: number }): void;
  /** Adds Alert Center alerts; `visibleAfterMs` makes them appear only later. */
  addAlerts(xs: AlertCenterAlert[], opts?: { visibleAfterMs?: number }): void;
  /** Records admins' feedback on alerts the fake holds, served on `GET /v1beta1/alerts/{alertId}/feedback`. */
  addAlertFeedback(xs: AlertCenterFeedback[]): void;
  /** Adds or replaces a file in the Drive model without recording a change. */
  putFile(f: DriveFile): void;
  /** Drops a file from the Drive model without recording a change: a listing that no longer shows it. */
  removeFile(fileId: string): void;
  /** Adds or replaces a Directory user. */
  putUser(u: DirectoryUser): void;
  /** A Directory user by primary email, alias or id (a copy), as users.get would find them. */
  user(userKey: string): DirectoryUser | undefined;
  /** A Drive file (a copy) as the model holds it. */
  file(fileId: string): DriveFile | undefined;
  /** Records a Drive change (the file's new state, or its removal) and notifies live channels. */
  addChange(c: { fileId: string; file?: DriveFile; removed?: boolean; time?: string }): Promise<void>;
  faults: {
    /** The next n API requests (only those whose path starts with `opts.path`, when given) answer 429 with Retry-After. */
    rateLimitNext(n: number, retryAfterSec: number, opts?: FaultScope): void;
    /** The next n API requests (only those whose path starts with `opts.path`, when given) answer `status` (default 503). */
    failNext(n: number, status?: number, opts?: FaultScope): void;
    /**
     * From now on every access token lacks these scopes, as when an admin removes them from the
     * client's domain-wide delegation: calls that need them answer 403 insufficientPermissions.
     */
    denyScopes(scopes: string[]): void;
    /** While on, every Reports page after the first repeats the previous page's last item. */
    duplicatesAcrossPages(on: boolean): void;
  };
  requests: RequestLogEntry[];
  /** Successful requests that changed state: users.update/patch, users.signOut, permissions.delete. */
  writes: WriteLogEntry[];
  /** Per user id, how many times users.signOut ended their sessions. */
  signOuts: ReadonlyMap<string, number>;
  notifications: NotificationLogEntry[];
  channels: ReadonlyMap<string, FakeChannel>;
}

/** Aims a fault at one API (e.g. `/drive/v3/files`) so a test can fail the inventory but not the Reports poll. */
export interface FaultScope {
  path?: string;
}

interface StoredActivity {
  activity: Activity;
  visibleAt: number;
  ms: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Google's JSON error envelope, which the SDKs turn into GaxiosError messages. */
function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(
    res,
    err.status,
    {
      error: {
        code: err.status,
        message: err.message,
        errors: [{ message: err.message, domain: err.status === 429 ? 'usageLimits' : 'global', reason: err.reason }],
        status: STATUS_NAMES[err.status] ?? 'UNKNOWN',
      },
    },
    err.headers,
  );
}

async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new HttpError(413, 'Request too large.', 'requestTooLarge');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Opaque page tokens, like Google's: base64url of the position and the query it belongs to. */
function encodeToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ o: offset, q: query })).toString('base64url');
}
function decodeToken(token: string, query: string): number {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; q?: unknown };
    if (typeof t.o === 'number' && Number.isInteger(t.o) && t.o >= 0 && t.q === query) return t.o;
  } catch {
    // fall through to the error Google gives for a foreign or stale token
  }
  throw new HttpError(400, 'Invalid page token.', 'invalid');
}

function intParam(q: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `Invalid value for ${name}: ${v}`, 'invalid');
  return n;
}

function timeParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || !Number.isFinite(ms)) throw new HttpError(400, `Invalid value for ${name}: ${v}`, 'invalid');
  return ms;
}

function fieldsParam(q: URLSearchParams): FieldTree | undefined {
  const f = q.get('fields');
  if (f === null || f === '') return undefined;
  try {
    return parseFields(f);
  } catch (err) {
    throw new HttpError(400, (err as Error).message, 'invalidParameter');
  }
}

/** Drive refuses to export a Docs Editors file whose export is larger than this. */
export const EXPORT_LIMIT_BYTES = 10 * 1024 * 1024;

const contentBytes = (c: DriveFile['content']): Buffer => (c === undefined ? Buffer.alloc(0) : typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c));

/** What Drive reports of a binary file's bytes: size, md5/sha1/sha256 in hex, and a head revision id that changes with them. */
function binaryMeta(c: NonNullable<DriveFile['content']>): Pick<DriveFile, 'size' | 'md5Checksum' | 'sha1Checksum' | 'sha256Checksum' | 'headRevisionId'> {
  const b = contentBytes(c);
  const sha256 = createHash('sha256').update(b).digest();
  return {
    size: String(b.length),
    md5Checksum: createHash('md5').update(b).digest('hex'),
    sha1Checksum: createHash('sha1').update(b).digest('hex'),
    sha256Checksum: sha256.toString('hex'),
    headRevisionId: `0B${sha256.subarray(0, 24).toString('base64url')}`,
  };
}

/** What files.list returns for each file when no `fields` is given (Drive v3 default). */
const DEFAULT_FILE_FIELDS = parseFields('kind,id,name,mimeType');

export async function startFakeGoogle(opts: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  const now = opts.now ?? Date.now;
  const authNow = opts.authNow ?? now;
  const tokenTtlSec = opts.tokenTtlSec ?? 3600;
  const maxChannelTtlMs = opts.maxChannelTtlMs ?? 7 * 86_400_000;
  const keys = new Map((opts.serviceAccounts ?? []).map((s) => [s.clientEmail, s.publicKeyPem]));
  const delegations = new Map((opts.serviceAccounts ?? []).flatMap((s) => (s.delegatedScopes ? [[s.clientEmail, new Set(s.delegatedScopes)] as const] : [])));
  const tokens = new Map<string, { sub: string | undefined; scopes: string[]; expiresAt: number }>();
  const activities: StoredActivity[] = [];
  const files = new Map<string, DriveFile>();
  const changes: DriveChange[] = [];
  const channels = new Map<string, FakeChannel>();
  const requests: RequestLogEntry[] = [];
  const writes: WriteLogEntry[] = [];
  const users = new Map<string, DirectoryUser>();
  const signOuts = new Map<string, number>();
  const deniedScopes = new Set<string>();
  const notifications: NotificationLogEntry[] = [];
  const pendingNotifications = new Set<Promise<void>>();
  let rateLimit: { n: number; retryAfterSec: number; path?: string | undefined } = { n: 0, retryAfterSec: 0 };
  let failures: { n: number; status: number; path?: string | undefined } = { n: 0, status: 503 };
  let duplicates = false;
  let url = '';

  const addActivities = (xs: Activity[], o: { visibleAfterMs?: number } = {}): void => {
    const visibleAt = now() + (o.visibleAfterMs ?? 0);
    for (const a of xs) activities.push({ activity: structuredClone(a), visibleAt, ms: Date.parse(a.id.time) });
  };
  addActivities(opts.activities ?? []);
  const alertCenter = createFakeAlertCenter(now);
  alertCenter.add(opts.alerts ?? []);
  alertCenter.addFeedback(opts.alertFeedback ?? []);
  const fail = (status: number, message: string, reason: string): never => {
    throw new HttpError(status, message, reason);
  };
  for (const f of opts.files ?? []) files.set(f.id, structuredClone(f));
  if (opts.users) for (const u of opts.users) users.set(u.id, structuredClone(u));
  else seedUsers();

  /** The scenario's people: actors of the activities, then file owners, by email. */
  function seedUsers(): void {
    const seen = new Set<string>();
    const add = (email: string | undefined, id: string | undefined, fullName?: string): void => {
      if (!email || seen.has(email.toLowerCase())) return;
      seen.add(email.toLowerCase());
      const userId = id ?? String(100000000000000000000n + BigInt(users.size));
      users.set(userId, { id: userId, primaryEmail: email, ...(fullName ? { name: { fullName } } : {}), isAdmin: false, suspended: false });
    };
    for (const s of activities) if (s.activity.actor.callerType !== 'KEY') add(s.activity.actor.email, s.activity.actor.profileId);
    for (const f of files.values()) for (const o of f.owners ?? []) add(o.emailAddress, undefined, o.displayName);
  }

  /** users.get's userKey: the primary email or an alias (case-insensitive), or the id. */
  function findUser(userKey: string): DirectoryUser {
    const key = userKey.toLowerCase();
    const u = users.get(userKey) ?? [...users.values()].find((x) => x.primaryEmail.toLowerCase() === key || (x.aliases ?? []).some((a) => a.toLowerCase() === key));
    // Google's own words for an unknown userKey, whatever the key was.
    if (!u) throw new HttpError(404, 'Resource Not Found: userKey', 'notFound');
    return u;
  }

  const userView = (u: DirectoryUser): DirectoryUser => ({ kind: 'admin#directory#user', ...structuredClone(u) });

  async function updateUser(req: IncomingMessage, u: DirectoryUser): Promise<DirectoryUser> {
    let body: Partial<DirectoryUser>;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as typeof body;
    } catch {
      throw new HttpError(400, 'Parse Error', 'parseError');
    }
    if (body.suspended !== undefined && typeof body.suspended !== 'boolean') throw new HttpError(400, 'Invalid Input: suspended', 'invalid');
    // users.update has patch semantics too: fields absent from the body are kept.
    if (body.suspended === true && !u.suspended) {
      u.suspended = true;
      u.suspensionReason = 'ADMIN';
    } else if (body.suspended === false) {
      u.suspended = false;
      delete u.suspensionReason;
    }
    if (body.name && typeof body.name === 'object') u.name = { ...u.name, ...body.name };
    return userView(u);
  }

  /** Drive refuses to remove a file's owner; anything else goes, and the file stops being shared when only the owner is left. */
  function deletePermission(q: URLSearchParams, fileId: string, permissionId: string): void {
    const f = files.get(fileId);
    if (!f || (f.driveId !== undefined && q.get('supportsAllDrives') !== 'true')) throw new HttpError(404, `File not found: ${fileId}.`, 'notFound');
    const perms = f.permissions ?? [];
    const i = perms.findIndex((p) => p.id === permissionId);
    if (i < 0) throw new HttpError(404, `Permission not found: ${permissionId}.`, 'notFound');
    if (perms[i]!.role === 'owner') throw new HttpError(403, 'The owner of a file cannot be removed.', 'cannotRemoveOwner');
    perms.splice(i, 1);
    f.permissions = perms;
    f.shared = perms.length > 1;
    f.modifiedTime = new Date(now()).toISOString();
    // Drive lists a sharing change in the changes feed like any other.
    changes.push({ kind: 'drive#change', changeType: 'file', time: new Date(now()).toISOString(), removed: false, fileId, file: structuredClone(f) });
    const t = now();
    for (const ch of channels.values()) if (!ch.stopped && ch.expiration > t) notify(ch, 'change');
  }

  function getFile(q: URLSearchParams, fileId: string): unknown {
    const f = files.get(fileId);
    if (!f || (f.driveId !== undefined && q.get('supportsAllDrives') !== 'true')) throw new HttpError(404, `File not found: ${fileId}.`, 'notFound');
    const out = withFileDefaults(f);
    const fields = fieldsParam(q);
    return fields ? project(out, fields) : project(out, DEFAULT_FILE_FIELDS);
  }

  /** A file as Drive puts it on the wire: never its content; checksums, revision and size computed from a binary file's bytes, as Drive does. */
  const withFileDefaults = (f: DriveFile): DriveFile => {
    const { content, ...meta } = f;
    return {
      kind: 'drive#file',
      ...meta,
      ...(content !== undefined && !isGoogleNative(f.mimeType) ? binaryMeta(content) : {}),
      ...(f.permissions ? { permissions: f.permissions.map((p) => ({ kind: 'drive#permission' as const, ...p })) } : {}),
    };
  };

  function fileForContent(q: URLSearchParams, fileId: string): DriveFile {
    const f = files.get(fileId);
    if (!f || (f.driveId !== undefined && q.get('supportsAllDrives') !== 'true')) throw new HttpError(404, `File not found: ${fileId}.`, 'notFound');
    return f;
  }

  /** files.get?alt=media: a binary file's bytes; Google-native files have none and must be exported. */
  function download(res: ServerResponse, q: URLSearchParams, fileId: string): void {
    const f = fileForContent(q, fileId);
    if (isGoogleNative(f.mimeType)) {
      throw new HttpError(403, 'Only files with binary content can be downloaded. Use Export with Docs Editors files.', 'fileNotDownloadable');
    }
    const body = contentBytes(f.content);
    res.writeHead(200, { 'content-type': f.mimeType, 'content-length': body.length });
    res.end(body);
  }

  /** files.export: a Docs Editors file converted to `mimeType`, refused over Drive's 10 MB export limit. */
  function exportRoute(res: ServerResponse, q: URLSearchParams, fileId: string): void {
    const f = fileForContent(q, fileId);
    const mimeType = q.get('mimeType');
    if (!mimeType) throw new HttpError(400, 'Required parameter: mimeType', 'required');
    if (!isGoogleNative(f.mimeType)) throw new HttpError(403, 'Export only supports Docs Editors files.', 'fileNotExportable');
    const out = exportFile(f.mimeType, mimeType, f.content === undefined ? '' : typeof f.content === 'string' ? f.content : Buffer.from(f.content).toString('utf8'));
    if (!out) throw new HttpError(400, 'The requested conversion is not supported.', 'badRequest');
    if (out.length > EXPORT_LIMIT_BYTES) throw new HttpError(403, 'This file is too large to be exported.', 'exportSizeLimitExceeded');
    res.writeHead(200, { 'content-type': mimeType, 'content-length': out.length });
    res.end(out);
  }

  function authorize(req: IncomingMessage, accepted: string[]): { sub: string | undefined } {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const t = m ? tokens.get(m[1]!) : undefined;
    if (!t || t.expiresAt <= authNow()) {
      throw new HttpError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.', 'authError', {
        'www-authenticate': 'Bearer realm="https://accounts.google.com/"',
      });
    }
    if (!t.scopes.some((s) => accepted.includes(s) && !deniedScopes.has(s))) {
      throw new HttpError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions');
    }
    return { sub: t.sub };
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
      return;
    }
    const result = verifyAssertion(form.get('assertion') ?? '', keys, { now: authNow(), audiences: [GOOGLE_TOKEN_AUDIENCE, `${url}token`] });
    if (!result.ok) {
      sendJson(res, result.error === 'invalid_client' ? 401 : 400, { error: result.error, error_description: result.description });
      return;
    }
    // Google will not impersonate a suspended user; an unknown sub passes, so a fake given no
    // Directory users still issues tokens for any admin a test names.
    const sub = result.claims.sub?.toLowerCase();
    if (sub !== undefined && [...users.values()].some((u) => u.suspended && u.primaryEmail.toLowerCase() === sub)) {
      sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid email or User ID' });
      return;
    }
    const granted = delegations.get(result.claims.iss);
    const scopes = result.claims.scope.split(/\s+/);
    if (granted && result.claims.sub !== undefined && !scopes.every((x) => granted.has(x))) {
      sendJson(res, 401, { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' });
      return;
    }
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, { sub: result.claims.sub, scopes, expiresAt: authNow() + tokenTtlSec * 1000 });
    sendJson(res, 200, { access_token: accessToken, expires_in: tokenTtlSec, token_type: 'Bearer' });
  }

  function listActivities(q: URLSearchParams, userKey: string, app: string): ActivitiesPage {
    const start = timeParam(q, 'startTime');
    const end = timeParam(q, 'endTime') ?? now();
    if (start !== undefined && start > end) throw new HttpError(400, 'Start time must be before end time.', 'invalid');
    const maxResults = intParam(q, 'maxResults', 1000, 1, 1000);
    const eventName = q.get('eventName');
    const customerId = q.get('customerId');
    const queryKey = [userKey, app, q.get('startTime'), q.get('endTime'), maxResults, eventName, customerId].join('|');
    const t = now();
    // Reverse chronological, like Google; positions shift when late events appear, which is what
    // makes real paging repeat items across pages.
    const matching = activities
      .filter(
        (s) =>
          s.visibleAt <= t &&
          s.activity.id.applicationName === app &&
          (userKey === 'all' || s.activity.actor.email === userKey || s.activity.actor.profileId === userKey) &&
          (start === undefined || s.ms >= start) &&
          s.ms <= end &&
          (customerId === null || s.activity.id.customerId === customerId) &&
          (eventName === null || s.activity.events.some((e) => e.name === eventName)),
      )
      .sort((a, b) => b.ms - a.ms);
    let offset = q.get('pageToken') ? decodeToken(q.get('pageToken')!, queryKey) : 0;
    if (duplicates && offset > 0) offset--;
    const items = matching.slice(offset, offset + maxResults).map((s) => ({ kind: 'admin#reports#activity' as const, etag: `"${randomBytes(8).toString('hex')}"`, ...s.activity }));
    const next = offset + maxResults;
    const page: ActivitiesPage = { kind: 'admin#reports#activities', etag: `"${randomBytes(8).toString('hex')}"` };
    if (items.length) page.items = items;
    if (next < matching.length) page.nextPageToken = encodeToken(next, queryKey);
    return page;
  }

  /**
   * Like Drive, shared-drive items are listed only with includeItemsFromAllDrives and
   * supportsAllDrives, and their permissions are never populated by files.list: callers must ask
   * permissions.list for them.
   */
  function listFiles(q: URLSearchParams): unknown {
    const pageSize = intParam(q, 'pageSize', 100, 1, 1000);
    const allDrives = q.get('includeItemsFromAllDrives') === 'true' && q.get('supportsAllDrives') === 'true';
    const tokenKey = `files|${allDrives}`;
    const all = [...files.values()].filter((f) => allDrives || f.driveId === undefined).sort((a, b) => a.id.localeCompare(b.id));
    const offset = q.get('pageToken') ? decodeToken(q.get('pageToken')!, tokenKey) : 0;
    const page = all.slice(offset, offset + pageSize).map((f) => {
      const out = withFileDefaults(f);
      if (f.driveId !== undefined) delete out.permissions;
      return out;
    });
    const body: Record<string, unknown> = { kind: 'drive#fileList', incompleteSearch: false, files: page };
    if (offset + pageSize < all.length) body.nextPageToken = encodeToken(offset + pageSize, tokenKey);
    const fields = fieldsParam(q);
    return fields ? project(body, fields) : { ...body, files: project(page, DEFAULT_FILE_FIELDS) };
  }

  function listPermissions(q: URLSearchParams, fileId: string): unknown {
    const f = files.get(fileId);
    // Drive answers 404 for a shared-drive item unless the caller declares it supports shared drives.
    if (!f || (f.driveId !== undefined && q.get('supportsAllDrives') !== 'true')) throw new HttpError(404, `File not found: ${fileId}.`, 'notFound');
    const pageSize = intParam(q, 'pageSize', 100, 1, 100);
    const perms: DrivePermission[] = (f.permissions ?? []).map((p) => ({ kind: 'drive#permission', ...p }));
    const offset = q.get('pageToken') ? decodeToken(q.get('pageToken')!, `perms:${fileId}`) : 0;
    const body: Record<string, unknown> = { kind: 'drive#permissionList', permissions: perms.slice(offset, offset + pageSize) };
    if (offset + pageSize < perms.length) body.nextPageToken = encodeToken(offset + pageSize, `perms:${fileId}`);
    const fields = fieldsParam(q);
    return fields ? project(body, fields) : body;
  }

  /** Change page tokens are the 1-based number of the next change, as durable as Drive's. */
  function changePosition(q: URLSearchParams): number {
    const t = q.get('pageToken');
    if (t === null) throw new HttpError(400, 'Required parameter: pageToken', 'required');
    const n = Number(t);
    if (!Number.isInteger(n) || n < 1 || n > changes.length + 1) throw new HttpError(400, 'Invalid Value', 'invalid');
    return n;
  }

  function listChanges(q: URLSearchParams): unknown {
    const from = changePosition(q);
    const pageSize = intParam(q, 'pageSize', 100, 1, 1000);
    const includeRemoved = q.get('includeRemoved') !== 'false';
    const slice = changes.slice(from - 1, from - 1 + pageSize);
    const next = from + slice.length;
    const body: Record<string, unknown> = {
      kind: 'drive#changeList',
      changes: slice.filter((c) => includeRemoved || !c.removed).map((c) => ({ ...c, ...(c.file ? { file: withFileDefaults(c.file) } : {}) })),
    };
    if (next <= changes.length) body.nextPageToken = String(next);
    else body.newStartPageToken = String(changes.length + 1);
    const fields = fieldsParam(q);
    return fields ? project(body, fields) : body;
  }

  function notify(ch: FakeChannel, state: 'sync' | 'change'): void {
    const messageNumber = ++ch.messageNumber;
    const headers: Record<string, string> = {
      'x-goog-channel-id': ch.id,
      'x-goog-channel-expiration': new Date(ch.expiration).toUTCString(),
      'x-goog-resource-id': ch.resourceId,
      'x-goog-resource-uri': `${url}drive/v3/changes?alt=json&pageToken=${ch.pageToken}`,
      'x-goog-resource-state': state,
      'x-goog-message-number': String(messageNumber),
    };
    if (ch.token !== undefined) headers['x-goog-channel-token'] = ch.token;
    const p = fetch(ch.address, { method: 'POST', headers, signal: AbortSignal.timeout(5000) })
      .then(async (r) => {
        await r.arrayBuffer();
        notifications.push({ channelId: ch.id, state, messageNumber, status: r.status });
      })
      .catch(() => {
        notifications.push({ channelId: ch.id, state, messageNumber, status: 0 });
      })
      .finally(() => pendingNotifications.delete(p));
    pendingNotifications.add(p);
  }

  async function watch(req: IncomingMessage, q: URLSearchParams): Promise<Channel> {
    const pageToken = String(changePosition(q));
    let body: Partial<{ id: string; type: string; address: string; token: string; expiration: string | number }>;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8')) as typeof body;
    } catch {
      throw new HttpError(400, 'Parse Error', 'parseError');
    }
    if (typeof body.id !== 'string' || body.id === '') throw new HttpError(400, 'Channel id required.', 'required');
    if (body.type !== 'web_hook' && body.type !== 'webhook') throw new HttpError(400, 'Invalid channel type.', 'invalid');
    if (typeof body.address !== 'string' || !/^https?:\/\//.test(body.address)) throw new HttpError(400, 'Invalid address.', 'invalid');
    if (channels.has(body.id)) throw new HttpError(400, `Channel id ${body.id} not unique`, 'channelIdNotUnique');
    const cap = now() + maxChannelTtlMs;
    const requested = body.expiration === undefined ? cap : Number(body.expiration);
    const ch: FakeChannel = {
      id: body.id,
      resourceId: randomBytes(12).toString('base64url'),
      address: body.address,
      token: body.token,
      expiration: Math.min(Number.isFinite(requested) ? requested : cap, cap),
      pageToken,
      messageNumber: 0,
      stopped: false,
    };
    channels.set(ch.id, ch);
    // Google confirms a new channel with a `sync` message before any change.
    notify(ch, 'sync');
    const out: Channel = {
      kind: 'api#channel',
      id: ch.id,
      resourceId: ch.resourceId,
      resourceUri: `${url}drive/v3/changes?alt=json&pageToken=${pageToken}`,
      expiration: String(ch.expiration),
    };
    if (ch.token !== undefined) out.token = ch.token;
    return out;
  }

  async function stop(req: IncomingMessage): Promise<void> {
    let body: { id?: unknown; resourceId?: unknown };
    try {
      body = JSON.parse((await readBody(req)).toString('utf8')) as typeof body;
    } catch {
      throw new HttpError(400, 'Parse Error', 'parseError');
    }
    const ch = typeof body.id === 'string' ? channels.get(body.id) : undefined;
    if (!ch || ch.stopped || ch.resourceId !== body.resourceId) throw new HttpError(404, `Channel '${String(body.id)}' not found`, 'notFound');
    ch.stopped = true;
  }

  async function route(req: IncomingMessage, res: ServerResponse, u: URL, entry: RequestLogEntry): Promise<void> {
    const path = u.pathname;
    const q = u.searchParams;
    if (req.method === 'POST' && path === '/token') return token(req, res);

    // Faults come after routing to the token endpoint: they model API quota, not auth outages.
    const hits = (scope: string | undefined): boolean => scope === undefined || path.startsWith(scope);
    if (rateLimit.n > 0 && hits(rateLimit.path)) {
      rateLimit.n--;
      throw new HttpError(429, 'Quota exceeded for quota metric \'Queries\' and limit \'Queries per minute per user\'.', 'rateLimitExceeded', {
        'retry-after': String(rateLimit.retryAfterSec),
      });
    }
    if (failures.n > 0 && hits(failures.path)) {
      failures.n--;
      throw new HttpError(failures.status, 'Backend Error', 'backendError');
    }

    let m = /^\/admin\/reports\/v1\/activity\/users\/([^/]+)\/applications\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      entry.subject = authorize(req, REPORTS_SCOPES).sub;
      return sendJson(res, 200, listActivities(q, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)));
    }
    if (req.method === 'GET' && path === '/v1beta1/alerts') {
      entry.subject = authorize(req, [ALERTS_SCOPE]).sub;
      return sendJson(res, 200, alertCenter.list(q, fail));
    }
    m = /^\/v1beta1\/alerts\/([^/]+)\/feedback$/.exec(path);
    if (m && req.method === 'GET') {
      entry.subject = authorize(req, [ALERTS_SCOPE]).sub;
      return sendJson(res, 200, alertCenter.listFeedback(decodeURIComponent(m[1]!), q, fail));
    }
    const written = (): void => {
      writes.push({ method: entry.method, path, ...(entry.subject === undefined ? {} : { subject: entry.subject }) });
    };
    m = /^\/admin\/directory\/v1\/users\/([^/]+)(\/signOut)?$/.exec(path);
    if (m) {
      const userKey = decodeURIComponent(m[1]!);
      if (m[2] && req.method === 'POST') {
        entry.subject = authorize(req, [DIRECTORY_SECURITY_SCOPE]).sub;
        const u = findUser(userKey);
        signOuts.set(u.id, (signOuts.get(u.id) ?? 0) + 1);
        written();
        res.writeHead(204).end();
        return;
      }
      if (!m[2] && req.method === 'GET') {
        entry.subject = authorize(req, DIRECTORY_READ_SCOPES).sub;
        const fields = fieldsParam(q);
        const u = userView(findUser(userKey));
        return sendJson(res, 200, fields ? project(u, fields) : u);
      }
      if (!m[2] && (req.method === 'PUT' || req.method === 'PATCH')) {
        entry.subject = authorize(req, [DIRECTORY_USER_SCOPE]).sub;
        const out = await updateUser(req, findUser(userKey));
        written();
        return sendJson(res, 200, out);
      }
    }
    if (path.startsWith('/drive/v3/')) entry.subject = authorize(req, DRIVE_SCOPES).sub;
    if (req.method === 'GET' && path === '/drive/v3/files') return sendJson(res, 200, listFiles(q));
    m = /^\/drive\/v3\/files\/([^/]+)\/permissions$/.exec(path);
    if (m && req.method === 'GET') return sendJson(res, 200, listPermissions(q, decodeURIComponent(m[1]!)));
    m = /^\/drive\/v3\/files\/([^/]+)\/permissions\/([^/]+)$/.exec(path);
    if (m && req.method === 'DELETE') {
      authorize(req, DRIVE_WRITE_SCOPES);
      deletePermission(q, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
      written();
      res.writeHead(204).end();
      return;
    }
    m = /^\/drive\/v3\/files\/([^/]+)\/export$/.exec(path);
    if (m && req.method === 'GET') {
      authorize(req, DRIVE_CONTENT_SCOPES);
      return exportRoute(res, q, decodeURIComponent(m[1]!));
    }
    m = /^\/drive\/v3\/files\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET' && m[1] !== 'generateIds') {
      if (q.get('alt') === 'media') {
        authorize(req, DRIVE_CONTENT_SCOPES);
        return download(res, q, decodeURIComponent(m[1]!));
      }
      return sendJson(res, 200, getFile(q, decodeURIComponent(m[1]!)));
    }
    if (req.method === 'GET' && path === '/drive/v3/changes/startPageToken') {
      return sendJson(res, 200, { kind: 'drive#startPageToken', startPageToken: String(changes.length + 1) });
    }
    if (req.method === 'GET' && path === '/drive/v3/changes') return sendJson(res, 200, listChanges(q));
    if (req.method === 'POST' && path === '/drive/v3/changes/watch') return sendJson(res, 200, await watch(req, q));
    if (req.method === 'POST' && path === '/drive/v3/channels/stop') {
      await stop(req);
      res.writeHead(204).end();
      return;
    }
    throw new HttpError(404, `Not Found: ${req.method} ${path}`, 'notFound');
  }

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams), status: 0 };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    route(req, res, u, entry).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      sendError(res, err instanceof HttpError ? err : new HttpError(500, 'Internal error', 'internalError'));
    });
  });
  // Keep-alive sockets from the SDKs would otherwise hold close() open.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    url,
    tokenUrl: `${url}token`,
    async close() {
      await Promise.allSettled([...pendingNotifications]);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
    addActivities,
    addAlerts(xs, o = {}) {
      alertCenter.add(xs, { visibleAt: now() + (o.visibleAfterMs ?? 0) });
    },
    addAlertFeedback(xs) {
      alertCenter.addFeedback(xs);
    },
    putFile(f) {
      files.set(f.id, structuredClone(f));
    },
    removeFile(fileId) {
      files.delete(fileId);
    },
    putUser(u) {
      users.set(u.id, structuredClone(u));
    },
    user(userKey) {
      try {
        return structuredClone(findUser(userKey));
      } catch {
        return undefined;
      }
    },
    file(fileId) {
      const f = files.get(fileId);
      return f ? structuredClone(f) : undefined;
    },
    async addChange(c) {
      const time = c.time ?? new Date(now()).toISOString();
      let file: DriveFile | undefined;
      if (c.removed) files.delete(c.fileId);
      else {
        file = structuredClone(c.file ?? files.get(c.fileId));
        if (!file) throw errors.internal({ problem: `fake google: addChange for unknown file ${c.fileId} without its new state` });
        files.set(c.fileId, file);
      }
      changes.push({ kind: 'drive#change', changeType: 'file', time, removed: c.removed ?? false, fileId: c.fileId, ...(file ? { file } : {}) });
      const t = now();
      for (const ch of channels.values()) if (!ch.stopped && ch.expiration > t) notify(ch, 'change');
      await Promise.allSettled([...pendingNotifications]);
    },
    faults: {
      rateLimitNext(n, retryAfterSec, scope) {
        rateLimit = { n, retryAfterSec, path: scope?.path };
      },
      failNext(n, status = 503, scope) {
        failures = { n, status, path: scope?.path };
      },
      duplicatesAcrossPages(on) {
        duplicates = on;
      },
      denyScopes(scopes) {
        for (const s of scopes) deniedScopes.add(s);
      },
    },
    requests,
    writes,
    signOuts,
    notifications,
    channels,
  };
}

/** A uniqueQualifier like Google's: a signed 64-bit decimal. */
export function uniqueQualifier(): string {
  return BigInt.asIntN(64, BigInt(`0x${randomBytes(8).toString('hex')}`)).toString();
}
