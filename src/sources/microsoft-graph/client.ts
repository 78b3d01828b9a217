/** The official Microsoft Graph SDK on a middleware chain of our own (origin-pinned auth, no SDK retries), with classified errors. */
import { randomUUID } from 'node:crypto';
import { Client, GraphClientError, GraphError, ResponseType, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { Redactor, SaaswatchError, errors, type Secret } from '../../core/index.js';
import { classifyHttpStatus, classifyRequestError } from '../../pipeline/retry.js';
import type { MicrosoftGraphConfig, StreamName, WindowedStream } from './config.js';
import { ClientCredentialsProvider, graphScope } from './token.js';

/** One page of a Graph collection; records stay `unknown` until normalize checks them. */
export interface GraphPage {
  value: unknown[];
  nextLink?: string;
  deltaLink?: string;
}

export interface TimeRange {
  /** Inclusive start, ISO. */
  from: string;
  /** Exclusive end, ISO. */
  to: string;
  top: number;
}

/**
 * How one time-windowed stream is asked for: its collection, the API version that has it, the time
 * property its windows filter on, and the largest `$top` Graph takes there.
 */
export interface WindowedSpec {
  path: string;
  version: 'v1.0' | 'beta';
  field: string;
  /**
   * Upper bound operator. Sign-ins, directoryAudits, riskDetections and riskyUsers filter their time with
   * `eq`/`ge`/`le` only: a record exactly at a window's end is then read by both windows, which the
   * event id collapses (a duplicate, never a gap).
   */
  upper: 'lt' | 'le';
  maxTop: number;
  /** signIn.signInEventTypes value (beta): without one, /auditLogs/signIns serves interactive sign-ins only. */
  eventType?: 'interactiveUser' | 'nonInteractiveUser' | 'servicePrincipal' | 'managedIdentity';
  label: string;
}

export const WINDOWED: Record<WindowedStream, WindowedSpec> = {
  /*
   * Interactive sign-ins from beta too, named by their kind. The v1.0 signIn resource
   * (learn.microsoft.com/graph/api/resources/signin?view=graph-rest-1.0) lacks what the technique rules
   * read: authenticationProtocol (ropc, deviceCode), originalTransferMethod, sessionId,
   * uniqueTokenIdentifier, incomingTokenType, signInEventTypes, userAgent, authenticationRequirement are
   * beta-only (…/resources/signin?view=graph-rest-beta), so an interactive ROPC or device-code sign-in read
   * from v1.0 matches no rule. The beta signIn page documents the kind filter
   * (`signInEventTypes/any(t: t eq 'nonInteractiveUser')`, interactive-only without one); naming
   * 'interactiveUser' keeps this stream to that log whatever beta's default becomes. List signIns asks the
   * same permissions on both versions (…/api/signin-list?view=graph-rest-beta and ?view=graph-rest-1.0).
   */
  sign_ins: { path: '/auditLogs/signIns', version: 'beta', field: 'createdDateTime', upper: 'le', maxTop: 1000, eventType: 'interactiveUser', label: 'sign-ins' },
  non_interactive_sign_ins: { path: '/auditLogs/signIns', version: 'beta', field: 'createdDateTime', upper: 'le', maxTop: 1000, eventType: 'nonInteractiveUser', label: 'non-interactive sign-ins' },
  service_principal_sign_ins: { path: '/auditLogs/signIns', version: 'beta', field: 'createdDateTime', upper: 'le', maxTop: 1000, eventType: 'servicePrincipal', label: 'service principal sign-ins' },
  managed_identity_sign_ins: { path: '/auditLogs/signIns', version: 'beta', field: 'createdDateTime', upper: 'le', maxTop: 1000, eventType: 'managedIdentity', label: 'managed identity sign-ins' },
  directory_audits: { path: '/auditLogs/directoryAudits', version: 'v1.0', field: 'activityDateTime', upper: 'le', maxTop: 999, label: 'directory audits' },
  // Detections by when Identity Protection made them: an offline detection of old activity is news when it is made.
  risk_detections: { path: '/identityProtection/riskDetections', version: 'v1.0', field: 'detectedDateTime', upper: 'le', maxTop: 500, label: 'risk detections' },
  // Each change of a user's risk is a new version of the record (and a new event).
  risky_users: { path: '/identityProtection/riskyUsers', version: 'v1.0', field: 'riskLastUpdatedDateTime', upper: 'le', maxTop: 500, label: 'risky users' },
  security_alerts: { path: '/security/alerts_v2', version: 'v1.0', field: 'lastUpdateDateTime', upper: 'lt', maxTop: 1000, label: 'alerts' },
};

/** The `$filter` of one window of a stream. */
export function windowFilter(stream: WindowedStream, r: Pick<TimeRange, 'from' | 'to'>): string {
  const spec = WINDOWED[stream];
  const time = `${spec.field} ge ${r.from} and ${spec.field} ${spec.upper} ${r.to}`;
  return spec.eventType ? `${time} and signInEventTypes/any(t: t eq '${spec.eventType}')` : time;
}

export interface GraphApi {
  /** One window of a time-windowed stream (see WINDOWED), its first page. */
  list(stream: WindowedStream, range: TimeRange): Promise<GraphPage>;
  /** `GET /auditLogs/signIns` for createdDateTime in [from, to). */
  signIns(range: TimeRange): Promise<GraphPage>;
  /** `GET /security/alerts_v2` for lastUpdateDateTime in [from, to). */
  alerts(range: TimeRange): Promise<GraphPage>;
  /** First request of a messages delta round on one folder, from messages received since `receivedFrom`. */
  messagesDelta(args: { mailbox: string; folder: string; receivedFrom: string; pageSize: number }): Promise<GraphPage>;
  /** Follows an `@odata.nextLink` or `@odata.deltaLink` (mail links want the same page-size preference); `stream` names it in errors. */
  follow(link: string, pageSize?: number, stream?: StreamName): Promise<GraphPage>;
  /** Attachments of one message, item attachments expanded (the reported original). */
  attachments(mailbox: string, messageId: string): Promise<unknown[]>;
  /** Whether a link points at the configured Graph root: links elsewhere are never followed. */
  owns(link: string): boolean;
}

/** How to reach Graph as the app: the roots, the app's credentials, and the transport. */
export interface GraphSdkOptions {
  graphUrl: string;
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: Secret;
  /** Aborts every request of this client (a request may also carry its own signal). */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The fetch to route through (tests); global fetch otherwise. */
  fetch?: typeof fetch;
  now?: () => number;
  /** Where the client secret and the access tokens are registered (the source shares it with the runtime). */
  redactor?: Redactor;
}

export interface GraphClientOptions extends GraphSdkOptions {
  /** Mailbox and folder, for error messages that name them. */
  mailbox?: string;
}

const TARGET = 'Microsoft Graph';

/** Where Graph requests go unless base_url says otherwise. */
export const GRAPH_ROOT = 'https://graph.microsoft.com';

/** The SDK options a source section configures: roots, app credentials and timeout. */
export function graphSdkOptions(config: MicrosoftGraphConfig): Pick<GraphSdkOptions, 'graphUrl' | 'loginUrl' | 'tenantId' | 'clientId' | 'clientSecret' | 'timeoutMs'> {
  return {
    graphUrl: config.base_url ?? GRAPH_ROOT,
    loginUrl: config.login_url,
    tenantId: config.tenant_id,
    clientId: config.client_id,
    clientSecret: config.client_secret,
    timeoutMs: config.timeout,
  };
}

/**
 * Properties read from reported messages. Listed rather than defaulted: a default read returns the
 * body, and the report's evidence is who sent what to whom, not the attacker's payload.
 */
export const MESSAGE_SELECT = [
  'id', 'createdDateTime', 'receivedDateTime', 'sentDateTime', 'subject', 'from', 'sender', 'toRecipients', 'ccRecipients',
  'replyTo', 'internetMessageId', 'hasAttachments', 'importance', 'conversationId',
];

/** Codes with which Graph says a delta token or link is no longer valid and the round must start over. */
const DELTA_GONE = new Set(['syncstatenotfound', 'syncstateinvalid', 'resyncrequired']);

/** True when `err` says the delta (or its next link) expired: 410 Gone, or one of the resync codes. */
export function isDeltaGone(err: unknown): boolean {
  if (!(err instanceof SaaswatchError)) return false;
  const code = err.details?.graph_error;
  return err.details?.status === 410 || (typeof code === 'string' && DELTA_GONE.has(code.toLowerCase()));
}

/** What to fix when Graph refuses a stream: the permission, the licence or the config key. */
function hint(status: number, stream: StreamName | undefined, mailbox: string | undefined): string {
  if (status === 401) return 'check tenant_id, client_id and client_secret: Graph refused the access token';
  if (status === 403) {
    switch (stream) {
      case 'sign_ins':
      case 'non_interactive_sign_ins':
      case 'service_principal_sign_ins':
      case 'managed_identity_sign_ins':
        return `grant the app the AuditLog.Read.All application permission with admin consent (sign-in logs also need Microsoft Entra ID P1 or P2), or remove ${stream} from streams`;
      case 'directory_audits':
        return 'grant the app the AuditLog.Read.All and Directory.Read.All application permissions with admin consent, or remove directory_audits from streams';
      case 'risk_detections':
        return 'grant the app the IdentityRiskEvent.Read.All application permission with admin consent (Identity Protection needs Microsoft Entra ID P2), or remove risk_detections from streams';
      case 'risky_users':
        return 'grant the app the IdentityRiskyUser.Read.All application permission with admin consent (Identity Protection needs Microsoft Entra ID P2), or remove risky_users from streams';
      case 'security_alerts':
        return 'grant the app the SecurityAlert.Read.All application permission with admin consent, or remove security_alerts from streams';
      case 'reported_mail':
        return `grant the app Mail.Read and make sure its application access policy includes mailbox ${mailbox ?? ''}`.trimEnd();
      default:
        return 'check the application permissions granted to the app';
    }
  }
  if (status === 404 && stream === 'reported_mail') return 'check mailbox and folder';
  if (status === 400) return stream === 'reported_mail' ? 'check mailbox, folder and page_size' : 'check page_size, backfill and base_url';
  return '';
}

/**
 * SDK failures as SaaswatchErrors. HTTP statuses go through the shared classification (429/5xx
 * retryable with Retry-After); Graph's error code and request id are kept in details, the code
 * so an expired delta can be told apart from a real rejection.
 */
export function toSaaswatchError(
  err: unknown,
  ctx: {
    stream?: StreamName;
    mailbox?: string;
    what?: string;
    /** What to fix, per rejected status, when the caller knows better than the stream hints (a response action names its own permission). */
    fix?: Partial<Record<number, string>>;
  } = {},
): SaaswatchError {
  if (err instanceof SaaswatchError) return err;
  // Our middleware's own failures (token, network) ride through the SDK inside a GraphClientError.
  if (err instanceof GraphClientError && err.customError instanceof SaaswatchError) return err.customError;
  if (err instanceof GraphError && err.statusCode >= 100) {
    const status = err.statusCode;
    const target = ctx.what ? `${TARGET} ${ctx.what}` : TARGET;
    if (status < 300) {
      return errors.inputMalformed({ where: target, problem: `answered ${status} with a body that is not JSON: ${err.message}`, retryable: true, cause: err });
    }
    const code = err.code ?? undefined;
    const detail = [code, err.message].filter(Boolean).join(': ');
    const base = classifyHttpStatus(status, err.headers?.get('retry-after'), { target, ...(detail ? { detail } : {}) });
    const fix = base.retryable ? '' : (ctx.fix?.[status] ?? hint(status, ctx.stream, ctx.mailbox));
    return new SaaswatchError(base.code, fix ? `${base.message} (${fix})` : base.message, {
      retryable: base.retryable,
      ...(base.retryAfterMs === undefined ? {} : { retryAfterMs: base.retryAfterMs }),
      cause: err,
      details: { status, ...(code ? { graph_error: code } : {}), ...(err.requestId ? { request_id: err.requestId } : {}) },
    });
  }
  return classifyRequestError(err, { timedOut: false, target: TARGET });
}

/** Throws a SaaswatchError through the SDK unchanged: GraphRequest rethrows GraphClientErrors as they are. */
function carry(e: SaaswatchError): GraphClientError {
  const g = new GraphClientError(e.message);
  g.customError = e;
  return g;
}

function setHeader(context: Context, name: string, value: string): void {
  context.options ??= {};
  const h = context.options.headers;
  if (h instanceof Headers) h.set(name, value);
  else context.options.headers = { ...(h as Record<string, string> | undefined), [name]: value };
}

function urlOf(context: Context): string {
  return typeof context.request === 'string' ? context.request : context.request.url;
}

/**
 * Adds the bearer token to requests for the configured Graph root, and only those. Replaces the
 * SDK's AuthenticationHandler, which decides by host with isGraphURL/isCustomHost: both only
 * recognise `https://` URLs (an http root, like the local fake, never matches, so no token is
 * sent and any Authorization header is deleted) and compare host names without the port. Pinning
 * the exact origin is also stricter: a nextLink to another host never receives the token.
 */
class OriginPinnedAuth implements Middleware {
  #next: Middleware | undefined;
  constructor(
    private readonly provider: ClientCredentialsProvider,
    private readonly base: string,
  ) {}

  setNext(next: Middleware): void {
    this.#next = next;
  }

  async execute(context: Context): Promise<void> {
    const url = urlOf(context);
    setHeader(context, 'client-request-id', randomUUID());
    if (url !== this.base && !url.startsWith(`${this.base}/`)) return this.#next!.execute(context);
    const cached = this.provider.cached;
    try {
      setHeader(context, 'Authorization', `Bearer ${await this.provider.getAccessToken()}`);
    } catch (err) {
      throw carry(toSaaswatchError(err));
    }
    await this.#next!.execute(context);
    // A token Entra issued can still be refused (revoked, keys rolled): one fresh token, once.
    if (context.response?.status === 401 && cached) {
      this.provider.invalidate();
      try {
        setHeader(context, 'Authorization', `Bearer ${await this.provider.getAccessToken()}`);
      } catch (err) {
        throw carry(toSaaswatchError(err));
      }
      // Unread, the refused response would hold its connection until garbage collection.
      await context.response.body?.cancel().catch(() => undefined);
      context.response = undefined;
      await this.#next!.execute(context);
    }
  }
}

/** The end of the chain, in place of the SDK's HTTPMessageHandler: injected fetch, abort (the client's and the request's own), timeout, no redirects. */
class FetchHandler implements Middleware {
  constructor(
    private readonly doFetch: typeof fetch,
    private readonly signal: AbortSignal | undefined,
    private readonly timeoutMs: number,
  ) {}

  async execute(context: Context): Promise<void> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    // A request's own signal comes through the SDK's .options({ signal }).
    const own = context.options?.signal ?? undefined;
    const signal = AbortSignal.any([timeout, ...(this.signal ? [this.signal] : []), ...(own ? [own] : [])]);
    try {
      // Redirects are not followed: a redirect would carry the bearer token wherever it points.
      context.response = await this.doFetch(context.request, { ...context.options, signal, redirect: 'manual' });
    } catch (err) {
      throw carry(classifyRequestError(err, { timedOut: timeout.aborted, timeoutMs: this.timeoutMs, target: TARGET }));
    }
  }
}

function asPage(body: unknown, what: string): GraphPage {
  const b = body as { value?: unknown; '@odata.nextLink'?: unknown; '@odata.deltaLink'?: unknown } | null | undefined;
  if (!b || typeof b !== 'object' || !Array.isArray(b.value)) {
    throw errors.inputMalformed({ where: `${TARGET} ${what}`, problem: 'answered without a value array', retryable: true });
  }
  const next = b['@odata.nextLink'];
  const delta = b['@odata.deltaLink'];
  return {
    value: b.value,
    ...(typeof next === 'string' && next !== '' ? { nextLink: next } : {}),
    ...(typeof delta === 'string' && delta !== '' ? { deltaLink: delta } : {}),
  };
}

const seg = (s: string) => encodeURIComponent(s);

const LABEL = (stream: StreamName): string => (stream === 'reported_mail' ? 'messages delta' : WINDOWED[stream].label);

/** The SDK client on our middleware chain, with the root it is pinned to and the redactor its tokens are registered with. */
export interface GraphSdk {
  sdk: Client;
  /** The Graph root without a trailing slash. */
  base: string;
  redactor: Redactor;
  /** The token source the chain uses: a caller may get the token first, to tell a refused grant from a refused request. */
  provider: ClientCredentialsProvider;
}

/** The SDK, authenticated as the app by client credentials: what the poller's client and the response actions share. */
export function createGraphSdk(opts: GraphSdkOptions): GraphSdk {
  const base = opts.graphUrl.replace(/\/+$/, '');
  const redactor = opts.redactor ?? new Redactor();
  const provider = new ClientCredentialsProvider({
    loginUrl: opts.loginUrl,
    tenantId: opts.tenantId,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    scope: graphScope(opts.graphUrl),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    redactor,
  });
  // No RetryHandler or RedirectHandler: retries are pipeline/retry.ts's alone, redirects are refused.
  const sdk = Client.initWithMiddleware({
    baseUrl: base,
    defaultVersion: 'v1.0',
    middleware: [new OriginPinnedAuth(provider, base), new FetchHandler(opts.fetch ?? fetch, opts.signal, opts.timeoutMs ?? 60_000)],
  });
  return { sdk, base, redactor, provider };
}

export function createGraphClient(opts: GraphClientOptions): GraphApi {
  const { sdk, base, redactor } = createGraphSdk(opts);
  const ctxOf = (stream: StreamName, what?: string) => ({ stream, ...(what ? { what } : {}), ...(opts.mailbox ? { mailbox: opts.mailbox } : {}) });

  const get = async (what: string, stream: StreamName, build: () => ReturnType<Client['api']>): Promise<unknown> => {
    try {
      return await build().responseType(ResponseType.JSON).get();
    } catch (err) {
      throw redactor.error(toSaaswatchError(err, ctxOf(stream, what)));
    }
  };

  const list = async (stream: WindowedStream, r: TimeRange): Promise<GraphPage> => {
    const spec = WINDOWED[stream];
    const top = Math.min(r.top, spec.maxTop);
    return asPage(await get(LABEL(stream), stream, () => sdk.api(spec.path).version(spec.version).filter(windowFilter(stream, r)).top(top)), spec.path.slice(1));
  };

  /** Link → SDK path: the SDK parses only https links itself, so the root is stripped and the version passed. */
  const relative = (link: string): { version: string; path: string } => {
    if (!link.startsWith(`${base}/`)) {
      throw errors.inputMalformed({ where: TARGET, problem: `returned a link outside base_url (${new URL(link, base).origin}); not following it` });
    }
    const rest = link.slice(base.length + 1);
    const slash = rest.indexOf('/');
    return { version: rest.slice(0, slash), path: rest.slice(slash + 1) };
  };

  /** The stream a link continues, when the caller does not say: for error messages and hints. */
  const streamOfLink = (link: string): StreamName =>
    /\/auditLogs\/signIns/i.test(link)
      ? 'sign_ins'
      : /\/auditLogs\/directoryAudits/i.test(link)
        ? 'directory_audits'
        : /\/identityProtection\/riskDetections/i.test(link)
          ? 'risk_detections'
          : /\/identityProtection\/riskyUsers/i.test(link)
            ? 'risky_users'
            : /\/security\/alerts_v2/i.test(link)
              ? 'security_alerts'
              : 'reported_mail';

  return {
    list,
    signIns: (r) => list('sign_ins', r),
    alerts: (r) => list('security_alerts', r),
    messagesDelta: async ({ mailbox, folder, receivedFrom, pageSize }) =>
      asPage(
        await get(LABEL('reported_mail'), 'reported_mail', () =>
          sdk
            .api(`/users/${seg(mailbox)}/mailFolders/${seg(folder)}/messages/delta`)
            .header('Prefer', `odata.maxpagesize=${pageSize}`)
            .select(MESSAGE_SELECT)
            .filter(`receivedDateTime ge ${receivedFrom}`),
        ),
        'messages/delta',
      ),
    follow: async (link, pageSize, given) => {
      const stream = given ?? streamOfLink(link);
      let target: { version: string; path: string };
      try {
        target = relative(link);
      } catch (err) {
        throw redactor.error(toSaaswatchError(err, ctxOf(stream)));
      }
      const body = await get(LABEL(stream), stream, () => {
        const req = sdk.api(target.path).version(target.version);
        return pageSize === undefined ? req : req.header('Prefer', `odata.maxpagesize=${pageSize}`);
      });
      return asPage(body, 'next page');
    },
    attachments: async (mailbox, messageId) => {
      const out: unknown[] = [];
      let page = asPage(
        await get('attachments', 'reported_mail', () =>
          sdk.api(`/users/${seg(mailbox)}/messages/${seg(messageId)}/attachments`).expand('microsoft.graph.itemAttachment/item'),
        ),
        'attachments',
      );
      out.push(...page.value);
      // Attachments rarely page, but a report with many would; the same origin rule applies.
      while (page.nextLink) {
        const next = relative(page.nextLink);
        page = asPage(await get('attachments', 'reported_mail', () => sdk.api(next.path).version(next.version)), 'attachments');
        out.push(...page.value);
      }
      return out;
    },
    owns: (link) => link.startsWith(`${base}/`),
  };
}
