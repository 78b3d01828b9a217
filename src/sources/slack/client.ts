/**
 * Slack as the source reads it: the official WebClient (team.accessLogs, users.info) and the Audit
 * Logs API over the same capped, abortable fetch, with the SDK's own retries off so the polling
 * runtime's withRetry is the one retry policy, and every failure turned into a SaaswatchError that
 * names the missing scope or plan.
 */
import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from 'pino';
import { errors, Redactor, SaaswatchError } from '../../core/index.js';
import { readCapped } from '../../pipeline/http-body.js';
import { classifyHttpStatus, classifyRequestError, parseRetryAfter } from '../../pipeline/retry.js';
import { SLACK_API_URL, type SlackSourceConfig, type StreamName } from './config.js';
import type { SlackAccessLogsResponse, SlackAuditLogsResponse, SlackUser } from './wire.js';

/** Largest answer read: a page of 1,000 access-log rows or 9,999 audit entries is well below it. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const SNIPPET_CHARS = 300;

/** `ok:false` codes that mean "later"; everything else is the token, its scopes or the plan, and retrying repeats the refusal. */
const RETRYABLE_CODES = new Set([
  'ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org', 'timeout',
  // An audit cursor Slack no longer takes: the poll fails, and the next one reads the window again without it.
  'invalid_cursor',
]);

/** What a person does about each refusal; the message says it, so the log line alone is enough to fix the setup. */
const FIXES: Record<string, string> = {
  not_authed: 'set the source token',
  invalid_auth: 'check the token: a user token (xoxp-…) of a workspace admin or owner',
  invalid_authentication: 'check audit_token: a user token (xoxp-…) of the Enterprise organization owner',
  missing_authentication: 'set audit_token: a user token (xoxp-…) of the Enterprise organization owner, sent as a Bearer header',
  account_inactive: 'the token’s user was deactivated or the app uninstalled: install the app again and update the token',
  token_revoked: 'the token was revoked: install the app again and update the token',
  token_expired: 'the token expired: use a token without expiry, or refresh it',
  no_permission: 'the token’s user is not an admin or owner of the workspace',
  not_allowed_token_type: 'this method needs a user token (xoxp-…), not a bot token (xoxb-…)',
  paid_only: 'team.accessLogs is available on paid plans only (Pro, Business+, Enterprise): remove access_logs from streams on a free workspace',
  team_not_on_enterprise: 'the Audit Logs API needs an Enterprise organization: remove audit_logs from streams',
  feature_not_enabled: 'the Audit Logs API needs an Enterprise organization and an app installed on the organization by its owner: remove audit_logs from streams otherwise',
  user_not_authorized: 'the audit token must belong to the Enterprise organization owner',
  org_login_required: 'use an organization-level token with team_id',
  team_access_not_granted: 'the organization app is not granted access to that workspace (team_id)',
  over_pagination_limit: 'a bug: the source asked past page 100 or over 1,000 rows',
  invalid_arguments: 'a bug: Slack refused the query the source built',
  invalid_range: 'a bug, or a clock far off: Slack refused the oldest/latest window (audit data starts in March 2018 and ends now)',
};

/** The scope each call needs: named in the message when Slack's answer does not say. */
const SCOPE_OF: Record<string, string> = { 'team.accessLogs': 'admin', 'users.info': 'users:read', 'audit/v1/logs': 'auditlogs:read' };

export interface AuditQuery {
  oldest: number;
  latest: number;
  limit: number;
  cursor?: string | undefined;
}

export interface SlackApi {
  accessLogs(q: { count: number; page: number; before?: number | undefined; teamId?: string | undefined }): Promise<SlackAccessLogsResponse>;
  userInfo(id: string): Promise<SlackUser | undefined>;
  auditLogs(q: AuditQuery): Promise<SlackAuditLogsResponse>;
}

export interface SlackClientOptions {
  config: SlackSourceConfig;
  signal: AbortSignal;
  redactor: Redactor;
  logger?: Logger | undefined;
  fetch?: typeof fetch | undefined;
}

/** Slack's refusal, as the audit endpoint answers it (the Web API's arrives as the SDK's platform error). */
class AuditHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown> | undefined,
    readonly text: string,
    readonly retryAfter: string | null,
  ) {
    super(`audit logs answered ${status}`);
  }
}

export function createSlackClient(opts: SlackClientOptions): SlackApi {
  const { config, signal, redactor } = opts;
  const base = config.base_url ?? SLACK_API_URL;
  const apiRoot = base.endsWith('/') ? base : `${base}/`;
  const auditRoot = config.audit_url.replace(/\/+$/, '');
  const target = `Slack ${new URL(apiRoot).host}`;
  const fetchFn = opts.fetch ?? fetch;
  /** Every request: the run's signal and the per-request timeout; the answer read up to a cap. */
  const capped: typeof fetch = async (input, init = {}) => {
    const timeout = AbortSignal.timeout(config.timeout);
    const s = AbortSignal.any([timeout, signal, ...(init.signal ? [init.signal] : [])]);
    try {
      const res = await fetchFn(input, { ...init, signal: s, redirect: 'manual' });
      const body = await readCapped(res, MAX_RESPONSE_BYTES);
      if (body.truncated) throw errors.inputTooLarge({ where: target, size: `an answer of more than ${MAX_RESPONSE_BYTES} bytes`, limit: `${MAX_RESPONSE_BYTES} bytes` });
      return new Response(res.status === 204 ? null : body.bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (err) {
      if (err instanceof SaaswatchError) throw err;
      throw classifyRequestError(err, { timedOut: timeout.aborted && !signal.aborted, timeoutMs: config.timeout, target });
    }
  };
  const web = new WebClient(config.token.reveal(), {
    slackApiUrl: apiRoot,
    fetch: capped,
    // The polling runtime owns retries and Retry-After: the SDK must neither retry nor wait.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: sdkLogger(opts.logger, redactor),
    allowAbsoluteUrls: false,
  });
  const auditToken = (config.audit_token ?? config.token).reveal();

  return {
    async accessLogs(q) {
      // Every page resends every parameter: Slack keeps no paging state between calls.
      const res = await web.team.accessLogs({ count: q.count, page: q.page, ...(q.before !== undefined ? { before: q.before } : {}), ...(q.teamId ? { team_id: q.teamId } : {}) });
      return res as unknown as SlackAccessLogsResponse;
    },
    async userInfo(id) {
      try {
        const res = await web.users.info({ user: id });
        return res.user as unknown as SlackUser;
      } catch (err) {
        // A user deleted from the workspace since: the row still says who, without an email.
        if ((err as { code?: string; data?: { error?: string } }).data?.error === 'user_not_found') return undefined;
        throw err;
      }
    },
    // The SDK has no method for the Audit Logs API (a separate REST API on api.slack.com with its
    // own status codes), so it is a plain GET through the same capped fetch, classified alike.
    async auditLogs(q) {
      const url = new URL(`${auditRoot}/audit/v1/logs`);
      url.searchParams.set('oldest', String(q.oldest));
      url.searchParams.set('latest', String(q.latest));
      url.searchParams.set('limit', String(q.limit));
      if (q.cursor) url.searchParams.set('cursor', q.cursor);
      const res = await capped(url, { method: 'GET', headers: { authorization: `Bearer ${auditToken}`, accept: 'application/json' } });
      const text = await res.text();
      let body: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      if (res.status !== 200 || body === undefined || body.ok === false) throw new AuditHttpError(res.status, body, text, res.headers.get('retry-after'));
      if (!Array.isArray(body.entries)) throw errors.inputMalformed({ where: `${target} audit logs`, problem: 'the answer has no entries array', retryable: true });
      return body as unknown as SlackAuditLogsResponse;
    },
  };
}

/**
 * Whatever a Slack call threw, as a SaaswatchError: 429 with its Retry-After; `ok:false` codes with
 * the missing scope (Slack's `needed`/`provided`) or plan named; HTTP and network failures by the
 * shared classifiers. Never quotes the token: callers scrub with the redactor as well.
 */
export function toSaaswatchError(err: unknown, o: { method?: string; stream?: StreamName; redactor?: Redactor; now?: number } = {}): SaaswatchError {
  if (err instanceof SaaswatchError) return err;
  const method = o.method ?? (o.stream === 'audit_logs' ? 'audit/v1/logs' : 'team.accessLogs');
  const target = method === 'audit/v1/logs' ? 'Slack Audit Logs API' : 'Slack Web API';
  const clean = (s: string) => (o.redactor ? o.redactor.text(s) : s);
  if (err instanceof AuditHttpError) {
    const code = typeof err.body?.error === 'string' ? clean(err.body.error).slice(0, 100) : undefined;
    if (err.status === 429 || err.status >= 500) {
      return classifyHttpStatus(err.status, err.retryAfter, { target, detail: `${method}${code ? ` ${code}` : ''}`, ...(o.now !== undefined ? { now: o.now } : {}) });
    }
    if (code) return refusal(target, method, code, err.body ?? {}, clean, err);
    const detail = cut(clean(err.text));
    return classifyHttpStatus(err.status, err.retryAfter, { target, detail: `${method}${detail ? `: ${detail}` : ''}` });
  }
  const e = err as { code?: unknown; data?: Record<string, unknown>; retryAfter?: unknown; original?: unknown; statusCode?: unknown; headers?: Record<string, string>; body?: unknown; message?: unknown };
  switch (e.code) {
    case 'slack_webapi_rate_limited_error': {
      const sec = typeof e.retryAfter === 'number' ? e.retryAfter : undefined;
      return errors.httpRetryable({ target, status: 429, detail: `${method} rate limited`, ...(sec === undefined ? {} : { retryAfterMs: sec * 1000 }), cause: err });
    }
    case 'slack_webapi_platform_error': {
      const code = clean(String(e.data?.error ?? 'unknown_error')).slice(0, 100);
      return refusal(target, method, code, e.data ?? {}, clean, err);
    }
    case 'slack_webapi_http_error': {
      const body = typeof e.body === 'string' ? e.body : '';
      const detail = cut(clean(body.slice(0, SNIPPET_CHARS * 8)));
      const retryAfter = e.headers?.['retry-after'];
      return classifyHttpStatus(Number(e.statusCode), retryAfter, { target, detail: `${method}${detail ? `: ${detail}` : ''}` });
    }
    case 'slack_webapi_request_error':
      if (e.original instanceof SaaswatchError) return e.original;
      return classifyRequestError(e.original, { timedOut: false, target });
  }
  const text = typeof e.message === 'string' ? e.message : String(err);
  if (/Retry header did not contain a valid timeout/.test(text)) return errors.httpRetryable({ target, status: 429, detail: `${method} rate limited`, cause: err });
  return classifyRequestError(err, { timedOut: false, target });
}

function refusal(target: string, method: string, code: string, data: Record<string, unknown>, clean: (s: string) => string, cause: unknown): SaaswatchError {
  const retryable = RETRYABLE_CODES.has(code);
  if (retryable) {
    const retryAfterMs = code === 'ratelimited' || code === 'rate_limited' ? parseRetryAfter(typeof data.retry_after === 'string' ? data.retry_after : undefined) : undefined;
    return new SaaswatchError('HTTP_RETRYABLE', `${target} answered ${method}: ${code} (later)`, { retryable: true, details: { method, error: code }, cause, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  let why: string;
  if (code === 'missing_scope') {
    const needed = typeof data.needed === 'string' ? clean(data.needed).slice(0, 200) : SCOPE_OF[method];
    const provided = typeof data.provided === 'string' ? clean(data.provided).slice(0, 300) : undefined;
    why = `the token lacks the ${needed ?? 'required'} scope${provided !== undefined ? ` (it has: ${provided || 'none'})` : ''}: add ${needed ?? 'it'} to the app's user token scopes and install it again`;
  } else {
    why = FIXES[code] ?? 'check the token, its scopes and the plan';
  }
  return new SaaswatchError('HTTP_REJECTED', `${target} refused ${method}: ${code}: ${why}`, {
    retryable: false,
    details: { method, error: code, ...(typeof data.needed === 'string' ? { needed: clean(data.needed).slice(0, 200) } : {}) },
    cause,
  });
}

function cut(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
}

/** The SDK's logger onto pino: its debug lines dropped, the rest at debug or warn, redacted. */
function sdkLogger(logger: Logger | undefined, redactor: Redactor): SlackLogger {
  const line = (msg: unknown[]) => redactor.text(msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ')).slice(0, 500);
  let level = LogLevel.INFO;
  return {
    debug: () => undefined,
    info: (...msg: unknown[]) => logger?.debug({ sdk: '@slack/web-api' }, line(msg)),
    warn: (...msg: unknown[]) => logger?.debug({ sdk: '@slack/web-api' }, line(msg)),
    error: (...msg: unknown[]) => logger?.warn({ sdk: '@slack/web-api' }, line(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
