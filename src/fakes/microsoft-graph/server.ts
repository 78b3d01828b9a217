/** A local fake of Microsoft Entra's token endpoint and the Graph APIs saaswatch reads, speaking their wire format, with injectable faults. */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { errors } from '../../core/index.js';
import { HttpError, readBody } from '../http.js';
import { FilterRejected, parseLegacyFilter, type LegacyGraphAlert } from './legacy-alerts.js';
import { graphTime, type GraphAlert, type GraphDirectoryAudit, type GraphMessage, type GraphRiskDetection, type GraphRiskyUser, type GraphSignIn, type TenantUser } from './records.js';

export type { GraphAlert, GraphDirectoryAudit, GraphMessage, GraphRiskDetection, GraphRiskyUser, GraphSignIn, ReportKind, TenantUser } from './records.js';
export { legacyAlert, parseLegacyFilter, type LegacyAlertSpec, type LegacyGraphAlert } from './legacy-alerts.js';
export { asSignInKind, generateAlerts, generateDirectoryAudits, generateReportedMessages, generateRiskDetections, generateRiskyUsers, generateSignIns, generateUsers, graphTime, guid, PHISH_SENDERS, seededRandom, SIGN_IN_FAILURES } from './records.js';

/** Application permissions the fake grants unless told otherwise: what the three streams and the response actions need. */
export const ALL_PERMISSIONS = ['AuditLog.Read.All', 'SecurityAlert.Read.All', 'Mail.Read', 'User.Read.All', 'User.EnableDisableAccount.All', 'User.RevokeSessions.All', 'IdentityRiskEvent.Read.All', 'IdentityRiskyUser.Read.All'];

/**
 * Permissions that allow each users operation, least privileged first (Graph's permission tables
 * for get user, update user's accountEnabled, and revokeSignInSessions).
 */
export const USER_PERMISSIONS = {
  read: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  enableDisable: ['User.EnableDisableAccount.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  revokeSessions: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
} as const;

/** A directory user as the fake keeps it: what `GET /users/{id}` can select and the actions change. */
export interface FakeGraphUser {
  id: string;
  userPrincipalName: string;
  displayName?: string;
  mail?: string;
  /** Default true. */
  accountEnabled?: boolean;
  signInSessionsValidFromDateTime?: string;
}

/** A generated tenant user as a directory user. */
export function directoryUser(u: Pick<TenantUser, 'id' | 'userPrincipalName' | 'displayName'>, accountEnabled = true): FakeGraphUser {
  return { id: u.id, userPrincipalName: u.userPrincipalName, displayName: u.displayName, mail: u.userPrincipalName, accountEnabled };
}

/** The fake's APIs, for faults aimed at one of them: `alerts` is alerts_v2, `legacyAlerts` the legacy /security/alerts. */
export type FakeGraphApi = 'signIns' | 'directoryAudits' | 'riskDetections' | 'riskyUsers' | 'alerts' | 'legacyAlerts' | 'mail' | 'users';

/** Switches a test flips to make the fake misbehave the way Graph does; counters count down per request. */
export interface FakeGraphFaults {
  /** The next N Graph requests answer 429 TooManyRequests with Retry-After. */
  rateLimited: number;
  retryAfterSeconds: number;
  /** Which requests the 429s hit. */
  rateLimitedOn: 'all' | FakeGraphApi;
  /** The next N Graph requests answer 401 InvalidAuthenticationToken even with a valid token (a token Graph will not take, however fresh). */
  unauthorized: number;
  unauthorizedOn: 'all' | FakeGraphApi;
  /** The next N Graph requests answer 404 (a workload not provisioned in the tenant). */
  notFound: number;
  notFoundOn: 'all' | FakeGraphApi;
  /** The next N Graph requests answer `serverErrorStatus` (503 serviceNotAvailable by default). */
  serverErrors: number;
  serverErrorStatus: number;
  /** Retry-After on those, in seconds; none when undefined (Graph does not always send one). */
  serverErrorRetryAfter: number | undefined;
  /** Which requests the 503s hit: every one, or only one API (an outage of one workload). */
  serverErrorsOn: 'all' | FakeGraphApi;
  /** The next N token requests answer 503 temporarily_unavailable. */
  tokenServerErrors: number;
  /** Error code of an expired delta token (always 410 Gone): Outlook says SyncStateNotFound. */
  deltaGoneCode: string;
  /**
   * The next N user changes (PATCH of a user, revokeSignInSessions) are carried out and never
   * answered: the connection hangs, as when a process dies between sending and hearing back.
   */
  hangAfterWrites: number;
}

export interface FakeGraphRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Whether a bearer token came with it (never the token itself). */
  authorized: boolean;
  prefer: string | undefined;
}

export interface FakeGraphOptions {
  tenantId: string;
  /** Verified domain that names the tenant as well as its id. */
  tenantDomain?: string;
  clientId: string;
  clientSecret: string;
  /** Application permissions granted (roles in the token); default ALL_PERMISSIONS. */
  permissions?: string[];
  tokenLifetimeSeconds?: number;
  /** Sign-ins of every kind: v1.0 serves the interactive ones without beta-only properties, beta every kind by signInEventTypes. */
  signIns?: GraphSignIn[];
  directoryAudits?: GraphDirectoryAudit[];
  riskDetections?: GraphRiskDetection[];
  riskyUsers?: GraphRiskyUser[];
  alerts?: GraphAlert[];
  /** Legacy /security/alerts records (the v1 schema). */
  legacyAlerts?: LegacyGraphAlert[];
  /** Serve HTTPS with this certificate (e.g. `makeTestTls()` from ../smtp/cert.js), as Graph and Entra do; plain HTTP otherwise. */
  tls?: { cert: string; key: string };
  /** Largest page a listing serves whatever `$top` asks (Graph may page below `$top`, and its nextLink then carries on). */
  maxPageSize?: number;
  /**
   * Late arrivals: records Entra writes only after the first listing of their kind has been read to
   * its last page, as if they reached the log just after that poll (their times are older).
   */
  late?: { signIns?: GraphSignIn[]; alerts?: GraphAlert[] };
  /** The reporting mailbox: its address and the messages of its folder (well-known name `inbox` by default). */
  mailbox?: { address: string; folder?: string; messages?: GraphMessage[] };
  /**
   * Directory users. Everyone who appears in the sign-ins (given, late or added) is a user as well,
   * enabled, so a scenario's people can be acted on without being listed twice.
   */
  users?: FakeGraphUser[];
  faults?: Partial<FakeGraphFaults>;
}

/** What the fake holds about a user that its actions change, read from its own state. */
export interface FakeGraphUserState {
  id: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  signInSessionsValidFromDateTime: string | undefined;
  /** revokeSignInSessions calls answered for this user. */
  sessionRevocations: number;
}

export interface FakeGraph {
  /** Graph root, e.g. `http://127.0.0.1:40123`: the `base_url` of a source under test. */
  url: string;
  /** Entra authority root: the `login_url` of a source under test. */
  loginUrl: string;
  faults: FakeGraphFaults;
  /** Every request answered (token requests included), in order. */
  requests: FakeGraphRequest[];
  /** Tokens issued so far. */
  readonly tokensIssued: number;
  /** Appends sign-ins, as if Entra had just written them (late ones carry older times). */
  addSignIns(records: GraphSignIn[]): void;
  addAlerts(records: GraphAlert[]): void;
  addDirectoryAudits(records: GraphDirectoryAudit[]): void;
  addRiskDetections(records: GraphRiskDetection[]): void;
  /** Adds risky-user versions (a user whose risk changed appears again with a later riskLastUpdatedDateTime). */
  addRiskyUsers(records: GraphRiskyUser[]): void;
  addLegacyAlerts(records: LegacyGraphAlert[]): void;
  /** Delivers messages to the reporting folder. */
  addMessages(records: GraphMessage[]): void;
  /** Marks a message read, as a person triaging would: a new changeKey, and the delta repeats the message. */
  markRead(id: string): void;
  /** Deletes a message: the delta reports it `@removed`. */
  removeMessage(id: string): void;
  /** Forgets every delta and skip token, as Exchange does when its sync-state cache rolls over: each answers 410. */
  expireDeltaTokens(): void;
  /** Makes issued access tokens invalid (a key rollover), so Graph answers 401 until a new one is fetched. */
  revokeTokens(): void;
  /** Adds (or replaces, by id) directory users. */
  addUsers(users: FakeGraphUser[]): void;
  /** A user by id or userPrincipalName (case-insensitive), from the fake's own state; undefined when unknown. */
  user(idOrUpn: string): FakeGraphUserState | undefined;
  /** Withdraws application permissions from the app, as an admin removing them would: from the next request on. */
  denyPermissions(...names: string[]): void;
  /** Application permissions the app holds now. */
  readonly permissions: readonly string[];
  close(): Promise<void>;
}

const MS_GRAPH_DATE = () => new Date().toISOString().replace(/\.\d{3}Z$/, '');

/** Graph's error envelope, innerError included. */
function graphError(status: number, code: string, message: string, clientRequestId: string | undefined, headers: Record<string, string> = {}): HttpError {
  const requestId = randomUUID();
  return new HttpError(
    status,
    { error: { code, message, innerError: { date: MS_GRAPH_DATE(), 'request-id': requestId, 'client-request-id': clientRequestId ?? requestId } } },
    { 'request-id': requestId, 'client-request-id': clientRequestId ?? requestId, ...headers },
  );
}

/** Entra's OAuth error body: error, AADSTS description with trace ids, error_codes. */
function aadError(status: number, error: string, code: number, text: string): HttpError {
  const trace = randomUUID();
  const correlation = randomUUID();
  const ts = new Date().toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  return new HttpError(status, {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${ts}`.replace(/ (Trace ID|Correlation ID|Timestamp)/g, '\r\n$1'),
    error_codes: [code],
    timestamp: ts,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A parsed `$filter` clause on a time field. */
interface TimeClause {
  field: string;
  op: 'ge' | 'gt' | 'le' | 'lt';
  ms: number;
}

/** The OData subset Graph takes on these endpoints: `<field> ge|gt|le|lt <DateTimeOffset>` joined by `and`. */
function parseTimeFilter(filter: string | undefined, fields: string[], clientRequestId: string | undefined): TimeClause[] {
  if (filter === undefined || filter.trim() === '') return [];
  return filter.split(/\s+and\s+/i).map((clause) => {
    const m = /^\s*(\w+)\s+(ge|gt|le|lt)\s+(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))\s*$/i.exec(clause);
    const ms = m ? Date.parse(m[3]!) : NaN;
    if (!m || !fields.includes(m[1]!) || !Number.isFinite(ms)) {
      throw graphError(400, 'BadRequest', `Invalid filter clause: ${clause.trim()}`, clientRequestId);
    }
    return { field: m[1]!, op: m[2]!.toLowerCase() as TimeClause['op'], ms };
  });
}

function matches(record: Record<string, unknown>, clauses: TimeClause[]): boolean {
  for (const c of clauses) {
    const t = Date.parse(String(record[c.field]));
    if (!Number.isFinite(t)) return false;
    if (c.op === 'ge' ? !(t >= c.ms) : c.op === 'gt' ? !(t > c.ms) : c.op === 'le' ? !(t <= c.ms) : !(t < c.ms)) return false;
  }
  return true;
}

type ListKind = 'signIns' | 'directoryAudits' | 'riskDetections' | 'riskyUsers' | 'alerts' | 'legacyAlerts';
const LIST_PATH: Record<ListKind, string> = {
  signIns: 'auditLogs/signIns',
  directoryAudits: 'auditLogs/directoryAudits',
  riskDetections: 'identityProtection/riskDetections',
  riskyUsers: 'identityProtection/riskyUsers',
  alerts: 'security/alerts_v2',
  legacyAlerts: 'security/alerts',
};

/** Per time-filtered listing: the time properties its `$filter` takes (with the operators Graph documents), its largest `$top`, and its order. */
const LISTING: Record<Exclude<ListKind, 'legacyAlerts'>, { fields: string[]; ops: TimeClause['op'][]; max: number; order: string; permission: string }> = {
  signIns: { fields: ['createdDateTime'], ops: ['ge', 'le'], max: 1000, order: 'createdDateTime', permission: 'AuditLog.Read.All' },
  directoryAudits: { fields: ['activityDateTime'], ops: ['ge', 'le'], max: 999, order: 'activityDateTime', permission: 'AuditLog.Read.All' },
  riskDetections: { fields: ['detectedDateTime', 'activityDateTime', 'lastUpdatedDateTime'], ops: ['ge', 'le'], max: 500, order: 'detectedDateTime', permission: 'IdentityRiskEvent.Read.All' },
  riskyUsers: { fields: ['riskLastUpdatedDateTime'], ops: ['ge', 'le'], max: 500, order: 'riskLastUpdatedDateTime', permission: 'IdentityRiskyUser.Read.All' },
  alerts: { fields: ['createdDateTime', 'lastUpdateDateTime'], ops: ['ge', 'gt', 'le', 'lt'], max: 2000, order: 'lastUpdateDateTime', permission: 'SecurityAlert.Read.All' },
};

/** beta's sign-in kind filter, the one lambda the fake takes: `signInEventTypes/any(t: t eq 'nonInteractiveUser')`. */
const EVENT_TYPE_CLAUSE = /\s*(?:and\s+)?\(?\s*signInEventTypes\/any\(\s*(\w+)\s*:\s*(\w+)\s+eq\s+'(\w+)'\s*\)\s*\)?\s*$/i;

/**
 * The properties of the v1.0 signIn resource (learn.microsoft.com/graph/api/resources/signin?view=graph-rest-1.0).
 * Everything else a sign-in record carries is beta-only (authenticationProtocol, originalTransferMethod,
 * sessionId, uniqueTokenIdentifier, incomingTokenType, signInEventTypes, userAgent, authenticationRequirement,
 * ...): v1.0 leaves it out, so a reader still on v1.0 is provably blind to the techniques that need it.
 */
const V1_SIGN_IN_PROPS = new Set([
  'id', 'createdDateTime', 'userDisplayName', 'userPrincipalName', 'userId', 'appId', 'appDisplayName', 'ipAddress',
  'clientAppUsed', 'correlationId', 'conditionalAccessStatus', 'isInteractive', 'riskDetail', 'riskLevelAggregated',
  'riskLevelDuringSignIn', 'riskState', 'riskEventTypes', 'riskEventTypes_v2', 'resourceDisplayName', 'resourceId',
  'status', 'deviceDetail', 'location', 'appliedConditionalAccessPolicies',
]);

/** A sign-in as v1.0 serves it: only the v1.0 resource's properties. */
function v1SignIn(r: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).filter(([k]) => V1_SIGN_IN_PROPS.has(k)));
}

/** Kinds of the sign-in log: what /auditLogs/signIns serves without a signInEventTypes filter is the interactive one. */
function signInTypesOf(r: Record<string, unknown>): string[] {
  return Array.isArray(r.signInEventTypes) && r.signInEventTypes.length ? (r.signInEventTypes as string[]) : ['interactiveUser'];
}

/** A listing served page by page from a snapshot taken when it was asked for. */
interface ListState {
  kind: ListKind;
  /** `v1.0` or `beta`: the nextLink stays on the version it was asked on. */
  version: string;
  items: unknown[];
  offset: number;
  top: number;
  query: string;
}

/** A delta round in progress (`items` left to serve) and the change sequence it will resume from. */
interface DeltaRound {
  items: unknown[];
  offset: number;
  pageSize: number;
  seqAtStart: number;
  select: string[] | undefined;
}

interface Change {
  seq: number;
  id: string;
  removed: boolean;
}

interface UserRecord {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  mail: string | null;
  accountEnabled: boolean;
  signInSessionsValidFromDateTime: string | null;
  sessionRevocations: number;
}

/** What `GET /users/{id}` returns without `$select`: accountEnabled is not among them, so a reader must ask for it. */
const DEFAULT_USER_SELECT = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];
/** Properties the fake can select, by lower-cased name (Graph matches `$select` case-insensitively). */
const USER_PROPS = new Map([...DEFAULT_USER_SELECT, 'accountEnabled', 'signInSessionsValidFromDateTime'].map((p) => [p.toLowerCase(), p]));

/** Paths of the users operations (the list, one user, its revokeSignInSessions), for fault injection by API. */
const USERS_PATH = /^\/v1\.0\/users(?:\/[^/]+(?:\/(?:microsoft\.graph\.)?revokeSignInSessions)?)?$/i;

/** A route's answer that is 204 No Content. */
const NO_CONTENT = Symbol('no content');

export async function startFakeGraph(opts: FakeGraphOptions): Promise<FakeGraph> {
  const signIns: GraphSignIn[] = [...(opts.signIns ?? [])];
  const alerts: GraphAlert[] = [...(opts.alerts ?? [])];
  const directoryAudits: GraphDirectoryAudit[] = [...(opts.directoryAudits ?? [])];
  const riskDetections: GraphRiskDetection[] = [...(opts.riskDetections ?? [])];
  const riskyUsers: GraphRiskyUser[] = [...(opts.riskyUsers ?? [])];
  const legacyAlerts: LegacyGraphAlert[] = [...(opts.legacyAlerts ?? [])];
  const late = { signIns: [...(opts.late?.signIns ?? [])], alerts: [...(opts.late?.alerts ?? [])] };
  const mailboxAddress = opts.mailbox?.address.toLowerCase();
  const folderName = (opts.mailbox?.folder ?? 'inbox').toLowerCase();
  const folderId = `AQMkAGI2TAAuAAADaW5ib3gAAAEMAAAA${randomBytes(6).toString('hex')}AAAA`;
  /** The folder's messages by id, in arrival order. */
  const messages = new Map<string, GraphMessage>();
  const changes: Change[] = [];
  let seq = 0;
  const permissions = new Set(opts.permissions ?? ALL_PERMISSIONS);
  /** Directory users by lower-cased id, and lower-cased userPrincipalName → id key. */
  const users = new Map<string, UserRecord>();
  const upns = new Map<string, string>();
  const putUser = (u: FakeGraphUser) => {
    const key = u.id.toLowerCase();
    const old = users.get(key);
    if (old) upns.delete(old.userPrincipalName.toLowerCase());
    users.set(key, {
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName ?? null,
      mail: u.mail ?? null,
      accountEnabled: u.accountEnabled ?? true,
      signInSessionsValidFromDateTime: u.signInSessionsValidFromDateTime ?? null,
      sessionRevocations: old?.sessionRevocations ?? 0,
    });
    upns.set(u.userPrincipalName.toLowerCase(), key);
  };
  /** Everyone who signs in is in the directory; a listed user keeps what the listing says. */
  const learnUsers = (records: GraphSignIn[]) => {
    for (const r of records) {
      if (!r.userId || !r.userPrincipalName || users.has(r.userId.toLowerCase())) continue;
      putUser({ id: r.userId, userPrincipalName: r.userPrincipalName, ...(r.userDisplayName ? { displayName: r.userDisplayName } : {}) });
    }
  };
  for (const u of opts.users ?? []) putUser(u);
  learnUsers([...signIns, ...late.signIns]);
  const findUser = (idOrUpn: string): UserRecord | undefined => {
    const k = idOrUpn.toLowerCase();
    return users.get(k) ?? users.get(upns.get(k) ?? '');
  };
  const tokens = new Map<string, number>();
  let tokensIssued = 0;
  const lists = new Map<string, ListState>();
  const rounds = new Map<string, DeltaRound>();
  /** Delta token → change sequence it covers. */
  const deltaTokens = new Map<string, { seq: number; select: string[] | undefined }>();
  const requests: FakeGraphRequest[] = [];
  const faults: FakeGraphFaults = {
    rateLimited: 0,
    retryAfterSeconds: 1,
    rateLimitedOn: 'all',
    unauthorized: 0,
    unauthorizedOn: 'all',
    notFound: 0,
    notFoundOn: 'all',
    serverErrors: 0,
    serverErrorStatus: 503,
    serverErrorRetryAfter: undefined,
    serverErrorsOn: 'all',
    tokenServerErrors: 0,
    deltaGoneCode: 'SyncStateNotFound',
    hangAfterWrites: 0,
    ...opts.faults,
  };
  let url = '';

  const addMessage = (m: GraphMessage) => {
    const id = m.id ?? randomBytes(16).toString('base64url');
    messages.set(id, { ...m, id });
    changes.push({ seq: ++seq, id, removed: false });
  };
  for (const m of opts.mailbox?.messages ?? []) addMessage(m);

  const newToken = () => randomBytes(18).toString('base64url');

  // ---- Token endpoint ----

  const token = (tenant: string, body: string) => {
    if (faults.tokenServerErrors > 0) {
      faults.tokenServerErrors--;
      throw aadError(503, 'temporarily_unavailable', 50196, 'The server temporarily cannot process the request.');
    }
    const knownTenant = tenant.toLowerCase() === opts.tenantId.toLowerCase() || (opts.tenantDomain !== undefined && tenant.toLowerCase() === opts.tenantDomain.toLowerCase());
    if (!knownTenant) {
      throw aadError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      throw aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`);
    }
    const clientId = form.get('client_id') ?? '';
    if (clientId.toLowerCase() !== opts.clientId.toLowerCase()) {
      throw aadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${opts.tenantDomain ?? opts.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant.`);
    }
    if (form.get('client_secret') !== opts.clientSecret) {
      throw aadError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${opts.clientId}'.`);
    }
    const scope = form.get('scope') ?? '';
    if (!/^https:\/\/[^/]+\/\.default$/.test(scope)) {
      throw aadError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    const lifetime = opts.tokenLifetimeSeconds ?? 3599;
    const now = Math.floor(Date.now() / 1000);
    // Shaped like Entra's (a JWT with the app's roles), though nothing verifies the signature.
    const access = `${b64url({ typ: 'JWT', alg: 'RS256', kid: 'fake' })}.${b64url({
      aud: scope.replace(/\/\.default$/, ''),
      iss: `https://sts.windows.net/${opts.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      appid: opts.clientId,
      tid: opts.tenantId,
      roles: [...permissions],
      jti: randomUUID(),
    })}.${randomBytes(32).toString('base64url')}`;
    tokens.set(access, Date.now() + lifetime * 1000);
    tokensIssued++;
    return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: access };
  };

  // ---- Graph ----

  /** Users operations answer as the directory does when the app lacks every permission that allows one. */
  const requireAnyPermission = (allowed: readonly string[], cid: string | undefined) => {
    if (allowed.some((p) => permissions.has(p))) return;
    throw graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', cid);
  };

  const requirePermission = (permission: string, cid: string | undefined) => {
    if (permissions.has(permission)) return;
    if (permission === 'AuditLog.Read.All') throw graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', cid);
    if (permission === 'Mail.Read') throw graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.', cid);
    throw graphError(403, 'Forbidden', `Missing application roles. API required roles: ${permission}. Application roles: ${[...permissions].join(',')}.`, cid);
  };

  /** Serves the next page of a listing, with a nextLink that repeats the query and adds a skip token. */
  const listPage = (path: string, st: ListState) => {
    const items = st.items.slice(st.offset, st.offset + st.top);
    const next = st.offset + st.top;
    const body: Record<string, unknown> = { '@odata.context': `${url}/${st.version}/$metadata#${LIST_PATH[st.kind]}`, value: items };
    if (next < st.items.length) {
      const tok = newToken();
      lists.set(tok, { ...st, offset: next });
      body['@odata.nextLink'] = `${url}/${st.version}/${path}?${st.query}&$skiptoken=${tok}`;
    } else if (st.kind === 'signIns' && late.signIns.length) {
      signIns.push(...late.signIns.splice(0));
    } else if (st.kind === 'alerts' && late.alerts.length) {
      alerts.push(...late.alerts.splice(0));
    }
    return body;
  };

  /**
   * `GET /security/alerts`: the legacy API filters its state collections with `any` lambdas
   * (parseLegacyFilter), takes $top up to 1,000 and serves the newest first.
   */
  const legacyList = (q: URLSearchParams, cid: string | undefined) => {
    const path = LIST_PATH.legacyAlerts;
    const skip = q.get('$skiptoken');
    if (skip !== null) {
      const st = lists.get(skip);
      if (!st || st.kind !== 'legacyAlerts') throw graphError(400, 'BadRequest', 'The skip token is not valid or has expired.', cid);
      return listPage(path, st);
    }
    const topText = q.get('$top');
    const top = topText === null ? 1000 : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > 1000) throw graphError(400, 'BadRequest', `Invalid page size specified: '${topText}'. Must be between 1 and 1000 inclusive.`, cid);
    const filter = q.get('$filter');
    let pred: (a: Record<string, unknown>) => boolean = () => true;
    if (filter !== null) {
      try {
        pred = parseLegacyFilter(filter);
      } catch (err) {
        if (err instanceof FilterRejected) throw graphError(400, 'BadRequest', err.message, cid);
        throw err;
      }
    }
    const items = (legacyAlerts as unknown as Array<Record<string, unknown>>).filter(pred).sort((a, b) => Date.parse(String(b.eventDateTime)) - Date.parse(String(a.eventDateTime)));
    const query = [`$top=${top}`, ...(filter !== null ? [`$filter=${encodeURIComponent(filter)}`] : [])].join('&');
    return listPage(path, { kind: 'legacyAlerts', version: 'v1.0', items: structuredClone(items), offset: 0, top: Math.min(top, opts.maxPageSize ?? top), query });
  };

  const list = (kind: Exclude<ListKind, 'legacyAlerts'>, version: string, q: URLSearchParams, cid: string | undefined) => {
    const path = LIST_PATH[kind];
    const spec = LISTING[kind];
    const skip = q.get('$skiptoken');
    if (skip !== null) {
      const st = lists.get(skip);
      if (!st || st.kind !== kind) throw graphError(400, 'BadRequest', 'The skip token is not valid or has expired.', cid);
      return listPage(path, st);
    }
    const max = spec.max;
    const topText = q.get('$top');
    const top = topText === null ? max : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > max) {
      throw graphError(400, 'BadRequest', `Invalid page size specified: '${topText}'. Must be between 1 and ${max} inclusive.`, cid);
    }
    let filter = q.get('$filter') ?? undefined;
    let eventType: string | undefined;
    if (filter !== undefined && kind === 'signIns') {
      const m = EVENT_TYPE_CLAUSE.exec(filter);
      if (m) {
        if (version !== 'beta') throw graphError(400, 'BadRequest', "Could not find a property named 'signInEventTypes' on type 'microsoft.graph.signIn'.", cid);
        if (m[1] !== m[2]) throw graphError(400, 'BadRequest', `Invalid filter clause: ${m[0].trim()}`, cid);
        eventType = m[3]!;
        filter = filter.slice(0, m.index).trim().replace(/^\((.*)\)$/, '$1');
      }
    }
    const clauses = parseTimeFilter(filter, spec.fields, cid);
    for (const c of clauses) if (!spec.ops.includes(c.op)) throw graphError(400, 'BadRequest', `Invalid filter clause: operator '${c.op}' is not supported on ${c.field}.`, cid);
    const source = (kind === 'signIns' ? signIns : kind === 'alerts' ? alerts : kind === 'directoryAudits' ? directoryAudits : kind === 'riskDetections' ? riskDetections : riskyUsers) as unknown as Array<Record<string, unknown>>;
    const wanted = (r: Record<string, unknown>) => kind !== 'signIns' || signInTypesOf(r).includes(eventType ?? 'interactiveUser');
    // Newest first, as Graph serves these logs.
    const found = source.filter((r) => wanted(r) && matches(r, clauses)).sort((a, b) => Date.parse(String(b[spec.order])) - Date.parse(String(a[spec.order])));
    const items = kind === 'signIns' && version !== 'beta' ? found.map(v1SignIn) : found;
    const query = [`$top=${top}`, ...(q.has('$filter') ? [`$filter=${encodeURIComponent(q.get('$filter')!)}`] : [])].join('&');
    return listPage(path, { kind, version, items: structuredClone(items), offset: 0, top: Math.min(top, opts.maxPageSize ?? top), query });
  };

  const project = (m: GraphMessage, select: string[] | undefined): Record<string, unknown> => {
    const { attachments: _a, ...rest } = m as GraphMessage & Record<string, unknown>;
    if (!select) return structuredClone(rest);
    const out: Record<string, unknown> = { '@odata.type': '#microsoft.graph.message', '@odata.etag': rest['@odata.etag'], id: rest.id };
    for (const k of select) if (k in rest) out[k] = structuredClone(rest[k]);
    return out;
  };

  const deltaBase = () => `${url}/v1.0/users/${encodeURIComponent(mailboxAddress ?? '')}/mailFolders('${folderId}')/messages/delta`;

  /** Serves a page of a delta round: a nextLink while items remain, then the deltaLink of the round. */
  const deltaPage = (round: DeltaRound) => {
    const items = round.items.slice(round.offset, round.offset + round.pageSize);
    const body: Record<string, unknown> = { '@odata.context': `${url}/v1.0/$metadata#Collection(message)`, value: items };
    if (round.offset + round.pageSize < round.items.length) {
      const tok = newToken();
      rounds.set(tok, { ...round, offset: round.offset + round.pageSize });
      body['@odata.nextLink'] = `${deltaBase()}?$skiptoken=${tok}`;
    } else {
      const tok = newToken();
      deltaTokens.set(tok, { seq: round.seqAtStart, select: round.select });
      body['@odata.deltaLink'] = `${deltaBase()}?$deltatoken=${tok}`;
    }
    return body;
  };

  const gone = (cid: string | undefined) =>
    graphError(410, faults.deltaGoneCode, `The sync state generation is not found; generation=${seq};[highest=${seq + 3}][${seq + 3}][${seq + 1}][${seq + 2}].`, cid);

  const pageSizeOf = (prefer: string | undefined) => {
    const m = /odata\.maxpagesize=(\d+)/i.exec(prefer ?? '');
    return m ? Math.min(Math.max(Number(m[1]), 1), 1000) : 10;
  };

  const checkMailbox = (user: string, cid: string | undefined) => {
    requirePermission('Mail.Read', cid);
    if (mailboxAddress === undefined || user.toLowerCase() !== mailboxAddress) {
      throw graphError(404, 'ErrorInvalidUser', `The requested user '${user}' is invalid.`, cid);
    }
  };

  const delta = (user: string, folder: string, q: URLSearchParams, prefer: string | undefined, cid: string | undefined) => {
    checkMailbox(user, cid);
    const f = folder.toLowerCase();
    if (f !== folderName && folder !== folderId) throw graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.', cid);
    const pageSize = pageSizeOf(prefer);
    const skip = q.get('$skiptoken');
    if (skip !== null) {
      const round = rounds.get(skip);
      if (!round) throw gone(cid);
      return deltaPage({ ...round, pageSize });
    }
    const dtok = q.get('$deltatoken');
    if (dtok !== null) {
      const st = deltaTokens.get(dtok);
      if (!st) throw gone(cid);
      // Latest change per message since the token, in the order they last changed.
      const latest = new Map<string, Change>();
      for (const c of changes) {
        if (c.seq <= st.seq) continue;
        latest.delete(c.id);
        latest.set(c.id, c);
      }
      const items = [...latest.values()].map((c) => {
        const m = messages.get(c.id);
        return c.removed || !m ? { '@odata.type': '#microsoft.graph.message', id: c.id, '@removed': { reason: 'deleted' } } : project(m, st.select);
      });
      return deltaPage({ items, offset: 0, pageSize, seqAtStart: seq, select: st.select });
    }
    const clauses = parseTimeFilter(q.get('$filter') ?? undefined, ['receivedDateTime'], cid);
    if (clauses.some((c) => c.op !== 'ge' && c.op !== 'gt')) throw graphError(400, 'BadRequest', 'Delta query on messages supports only receivedDateTime ge or gt.', cid);
    const select = q.get('$select')?.split(',').map((s) => s.trim()).filter(Boolean);
    const items = [...messages.values()].filter((m) => matches(m as Record<string, unknown>, clauses)).map((m) => project(m, select));
    return deltaPage({ items, offset: 0, pageSize, seqAtStart: seq, select });
  };

  const attachments = (user: string, id: string, q: URLSearchParams, cid: string | undefined) => {
    checkMailbox(user, cid);
    const m = messages.get(id);
    if (!m) throw graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.', cid);
    const expand = /^microsoft\.graph\.itemattachment\/item$/i.test(q.get('$expand') ?? '');
    const value = ((m.attachments ?? []) as Array<Record<string, unknown>>).map((a) => {
      const { item, ...rest } = a;
      if (a['@odata.type'] !== '#microsoft.graph.itemAttachment' || !expand || !item) return structuredClone(rest);
      return { ...structuredClone(rest), 'item@odata.context': `${url}/v1.0/$metadata#users('${mailboxAddress}')/messages('${id}')/attachments('${String(a.id)}')/microsoft.graph.itemAttachment/item/$entity`, item: structuredClone(item) };
    });
    return { '@odata.context': `${url}/v1.0/$metadata#users('${mailboxAddress}')/messages('${id}')/attachments`, value };
  };

  const userOr404 = (idOrUpn: string, cid: string | undefined): UserRecord => {
    const u = findUser(idOrUpn);
    if (!u) throw graphError(404, 'Request_ResourceNotFound', `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`, cid);
    return u;
  };

  const userValue = (u: UserRecord, prop: string): unknown => {
    switch (prop) {
      case 'businessPhones':
        return [];
      case 'id':
      case 'userPrincipalName':
      case 'displayName':
      case 'mail':
      case 'accountEnabled':
      case 'signInSessionsValidFromDateTime':
        return u[prop];
      default:
        return null;
    }
  };

  /** The properties `$select` asks for in their canonical spelling (the default set without one), and the context segment naming them. */
  const userSelect = (q: URLSearchParams, cid: string | undefined): { select: string[]; context: string } => {
    const text = q.get('$select');
    if (text === null) return { select: DEFAULT_USER_SELECT, context: 'users' };
    const select = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
      const known = USER_PROPS.get(s.toLowerCase());
      if (!known) throw graphError(400, 'Request_BadRequest', `Could not find a property named '${s}' on type 'microsoft.graph.user'.`, cid);
      return known;
    });
    return { select, context: `users(${select.join(',')})` };
  };

  const projectUser = (u: UserRecord, select: string[]) => Object.fromEntries(select.map((p) => [p, userValue(u, p)]));

  const getUser = (idOrUpn: string, q: URLSearchParams, cid: string | undefined) => {
    requireAnyPermission(USER_PERMISSIONS.read, cid);
    const { select, context } = userSelect(q, cid);
    const u = userOr404(idOrUpn, cid);
    return { '@odata.context': `${url}/v1.0/$metadata#${context}/$entity`, ...projectUser(u, select) };
  };

  /** `GET /users` with the one filter a lookup by address needs: `mail eq '…'` or `userPrincipalName eq '…'` (case-insensitive, as the directory compares). */
  const listUsers = (q: URLSearchParams, cid: string | undefined) => {
    requireAnyPermission(USER_PERMISSIONS.read, cid);
    const filter = q.get('$filter');
    const m = filter === null ? null : /^\s*(mail|userPrincipalName)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
    if (filter !== null && !m) throw graphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.', cid);
    const field = m?.[1]!.toLowerCase() === 'mail' ? 'mail' : 'userPrincipalName';
    const wanted = m?.[2]!.replace(/''/g, "'").toLowerCase();
    const { select, context } = userSelect(q, cid);
    const value = [...users.values()].filter((u) => wanted === undefined || u[field]?.toLowerCase() === wanted).map((u) => projectUser(u, select));
    return { '@odata.context': `${url}/v1.0/$metadata#${context}`, value };
  };

  const patchUser = (idOrUpn: string, body: string, cid: string | undefined) => {
    let patch: unknown;
    try {
      patch = body.trim() === '' ? undefined : JSON.parse(body);
    } catch {
      throw graphError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.', cid);
    }
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw graphError(400, 'BadRequest', 'Empty Payload. JSON content expected.', cid);
    const fields = patch as Record<string, unknown>;
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'accountEnabled' && typeof v !== 'boolean') throw graphError(400, 'Request_BadRequest', "Invalid value specified for property 'accountEnabled' of resource 'User'.", cid);
      if (k === 'displayName' && typeof v !== 'string') throw graphError(400, 'Request_BadRequest', "Invalid value specified for property 'displayName' of resource 'User'.", cid);
      if (k !== 'accountEnabled' && k !== 'displayName') throw graphError(400, 'Request_BadRequest', `Property '${k}' cannot be updated by this fake.`, cid);
    }
    // accountEnabled alone is what User.EnableDisableAccount.All allows; anything more wants User.ReadWrite.All.
    requireAnyPermission(Object.keys(fields).every((k) => k === 'accountEnabled') ? USER_PERMISSIONS.enableDisable : ['User.ReadWrite.All', 'Directory.ReadWrite.All'], cid);
    const u = userOr404(idOrUpn, cid);
    if (typeof fields.accountEnabled === 'boolean') u.accountEnabled = fields.accountEnabled;
    if (typeof fields.displayName === 'string') u.displayName = fields.displayName;
    return NO_CONTENT;
  };

  const revokeSignInSessions = (idOrUpn: string, cid: string | undefined) => {
    requireAnyPermission(USER_PERMISSIONS.revokeSessions, cid);
    const u = userOr404(idOrUpn, cid);
    u.signInSessionsValidFromDateTime = graphTime(Date.now());
    u.sessionRevocations++;
    return { '@odata.context': `${url}/v1.0/$metadata#Edm.Boolean`, value: true };
  };

  const methodNotAllowed = (cid: string | undefined) => graphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.', cid);

  /** Route of a Graph path: `mailFolders('x')` and `mailFolders/x` both name a folder. */
  const route = (method: string, version: string, segments: string[], q: URLSearchParams, body: string, prefer: string | undefined, cid: string | undefined): unknown => {
    const p = segments.join('/');
    // beta is served for the listings that need it (sign-ins), and answers them as v1.0 does but for beta-only sign-in properties.
    for (const [kind, path] of Object.entries(LIST_PATH) as Array<[ListKind, string]>) {
      if (kind === 'legacyAlerts' || p.toLowerCase() !== path.toLowerCase()) continue;
      if (method !== 'GET') throw methodNotAllowed(cid);
      requirePermission(LISTING[kind].permission, cid);
      return list(kind, version, q, cid);
    }
    if (version !== 'v1.0') throw graphError(400, 'BadRequest', `Resource not found for the segment '${segments[0] ?? ''}'.`, cid);
    if (/^users$/i.test(p)) {
      if (method === 'GET') return listUsers(q, cid);
      throw methodNotAllowed(cid);
    }
    let m = /^users\/([^/]+)$/i.exec(p);
    if (m) {
      if (method === 'GET') return getUser(m[1]!, q, cid);
      if (method === 'PATCH') return patchUser(m[1]!, body, cid);
      throw methodNotAllowed(cid);
    }
    m = /^users\/([^/]+)\/(?:microsoft\.graph\.)?revokeSignInSessions$/i.exec(p);
    if (m) {
      if (method !== 'POST') throw methodNotAllowed(cid);
      return revokeSignInSessions(m[1]!, cid);
    }
    if (method !== 'GET') throw methodNotAllowed(cid);
    if (/^security\/alerts$/i.test(p)) {
      requirePermission('SecurityAlert.Read.All', cid);
      return legacyList(q, cid);
    }
    m = /^users\/([^/]+)\/mailFolders(?:\('([^']+)'\)|\/([^/]+))\/messages\/(?:microsoft\.graph\.)?delta$/i.exec(p);
    if (m) return delta(m[1]!, (m[2] ?? m[3])!, q, prefer, cid);
    m = /^users\/([^/]+)\/messages\/([^/]+)\/attachments$/i.exec(p);
    if (m) return attachments(m[1]!, m[2]!, q, cid);
    throw graphError(400, 'BadRequest', `Resource not found for the segment '${segments.at(-1) ?? ''}'.`, cid);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const path = parsed.pathname;
    const query = Object.fromEntries(parsed.searchParams);
    const cid = typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : undefined;
    const auth = req.headers.authorization ?? '';
    const prefer = typeof req.headers.prefer === 'string' ? req.headers.prefer : undefined;
    let status = 200;
    const headers: Record<string, string> = {};
    try {
      const body = (await readBody(req)).toString('utf8');
      const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
      let result: unknown;
      if (tokenPath) {
        if (req.method !== 'POST') throw aadError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
        result = token(decodeURIComponent(tokenPath[1]!), body);
      } else {
        const version = path.split('/')[1] ?? '';
        if (version !== 'v1.0' && version !== 'beta') throw graphError(400, 'BadRequest', `Invalid version: ${version}`, cid);
        const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
        if (!bearer) throw graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', cid, { 'WWW-Authenticate': 'Bearer realm=""' });
        const exp = tokens.get(bearer);
        if (exp === undefined) throw graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.', cid);
        if (Date.now() >= exp) throw graphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.', cid);
        const api: FakeGraphApi = /\/auditLogs\/signIns/i.test(path)
          ? 'signIns'
          : /\/auditLogs\/directoryAudits/i.test(path)
            ? 'directoryAudits'
            : /\/identityProtection\/riskDetections/i.test(path)
              ? 'riskDetections'
              : /\/identityProtection\/riskyUsers/i.test(path)
                ? 'riskyUsers'
                : /\/security\/alerts_v2/i.test(path) ? 'alerts' : /\/security\/alerts/i.test(path) ? 'legacyAlerts' : USERS_PATH.test(path) ? 'users' : 'mail';
        const hits = (on: 'all' | FakeGraphApi) => on === 'all' || on === api;
        if (faults.unauthorized > 0 && hits(faults.unauthorizedOn)) {
          faults.unauthorized--;
          throw graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure.', cid, { 'WWW-Authenticate': 'Bearer realm=""' });
        }
        if (faults.rateLimited > 0 && hits(faults.rateLimitedOn)) {
          faults.rateLimited--;
          throw graphError(429, 'TooManyRequests', 'Too many requests.', cid, { 'Retry-After': String(faults.retryAfterSeconds) });
        }
        if (faults.notFound > 0 && hits(faults.notFoundOn)) {
          faults.notFound--;
          throw graphError(404, 'ResourceNotFound', 'Resource not found.', cid);
        }
        if (faults.serverErrors > 0 && hits(faults.serverErrorsOn)) {
          faults.serverErrors--;
          const ra = faults.serverErrorRetryAfter;
          throw graphError(faults.serverErrorStatus, faults.serverErrorStatus === 503 ? 'serviceNotAvailable' : 'generalException', 'Service is temporarily unavailable. Please retry later.', cid, ra === undefined ? {} : { 'Retry-After': String(ra) });
        }
        const segments = path.slice(version.length + 2).split('/').filter(Boolean).map((s) => decodeURIComponent(s));
        result = route(req.method ?? 'GET', version, segments, parsed.searchParams, body, prefer, cid);
        if (faults.hangAfterWrites > 0 && req.method !== 'GET' && api === 'users') {
          faults.hangAfterWrites--;
          return;
        }
        if (prefer && /odata\.maxpagesize/i.test(prefer)) headers['Preference-Applied'] = `odata.maxpagesize=${pageSizeOf(prefer)}`;
        const rid = randomUUID();
        headers['request-id'] = rid;
        headers['client-request-id'] = cid ?? rid;
      }
      if (result === NO_CONTENT) {
        status = 204;
        res.writeHead(204, headers);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8', ...headers });
      res.end(JSON.stringify(result));
    } catch (err) {
      const e = err instanceof HttpError ? err : graphError(500, 'generalException', 'An unexpected error occurred.', cid);
      status = e.status;
      res.writeHead(e.status, { 'Content-Type': 'application/json; charset=utf-8', ...e.headers });
      res.end(JSON.stringify(e.payload));
    } finally {
      requests.push({ method: req.method ?? 'GET', path, query, status, authorized: auth.startsWith('Bearer '), prefer });
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    url,
    loginUrl: url,
    faults,
    requests,
    get tokensIssued() {
      return tokensIssued;
    },
    addSignIns(records) {
      signIns.push(...records);
      learnUsers(records);
    },
    addAlerts(records) {
      alerts.push(...records);
    },
    addDirectoryAudits(records) {
      directoryAudits.push(...records);
    },
    addRiskDetections(records) {
      riskDetections.push(...records);
    },
    addRiskyUsers(records) {
      riskyUsers.push(...records);
    },
    addLegacyAlerts(records) {
      legacyAlerts.push(...records);
    },
    addMessages(records) {
      for (const m of records) addMessage(m);
    },
    markRead(id) {
      const m = messages.get(id);
      if (!m) throw errors.internal({ problem: `fake microsoft-graph: markRead of unknown message ${id}` });
      const etag = `W/"CQAAABYAAAA${randomBytes(12).toString('hex')}"`;
      messages.set(id, { ...m, isRead: true, '@odata.etag': etag, changeKey: etag.slice(3, -1), lastModifiedDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } as GraphMessage);
      changes.push({ seq: ++seq, id, removed: false });
    },
    removeMessage(id) {
      messages.delete(id);
      changes.push({ seq: ++seq, id, removed: true });
    },
    expireDeltaTokens() {
      rounds.clear();
      deltaTokens.clear();
    },
    revokeTokens() {
      tokens.clear();
    },
    addUsers(list) {
      for (const u of list) putUser(u);
    },
    user(idOrUpn) {
      const u = findUser(idOrUpn);
      if (!u) return undefined;
      return { id: u.id, userPrincipalName: u.userPrincipalName, accountEnabled: u.accountEnabled, signInSessionsValidFromDateTime: u.signInSessionsValidFromDateTime ?? undefined, sessionRevocations: u.sessionRevocations };
    },
    denyPermissions(...names) {
      for (const n of names) permissions.delete(n);
    },
    get permissions() {
      return [...permissions];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
