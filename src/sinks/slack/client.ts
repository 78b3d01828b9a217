/**
 * The Slack Web API as the sink uses it: the official WebClient on the sink's guarded fetch, with
 * its own retries off (the outbox retries), every response read up to a cap, and every SDK failure
 * turned into a SaaswatchError that says whether retrying helps, with the token redacted.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from 'pino';
import { errors, Redactor, SaaswatchError } from '../../core/index.js';
import { readCapped } from '../../pipeline/http-body.js';
import { classifyHttpStatus, classifyRequestError } from '../../pipeline/retry.js';
import type { SlackConfig } from './config.js';

/** Largest Web API answer read: a page of history with blocks and metadata is well below it. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const ERROR_SNIPPET_CHARS = 300;

/**
 * `ok:false` codes that mean "later" (docs.slack.dev, each method's error list). Anything else
 * (invalid_auth, channel_not_found, not_in_channel, missing_scope, invalid_blocks, …) is the
 * request or the setup being wrong: retrying repeats the refusal.
 */
const RETRYABLE_CODES = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org', 'timeout']);

/** What a person does about a permanent refusal, where Slack's code says. */
const FIXES: Record<string, string> = {
  not_authed: 'set the sink token',
  invalid_auth: 'check the sink token: a bot token (xoxb-…) of an installed app',
  account_inactive: 'the app was uninstalled or its token revoked: reinstall it and update the token',
  token_revoked: 'the token was revoked: reinstall the app and update the token',
  token_expired: 'the token expired: use a bot token without expiry or refresh it',
  channel_not_found: 'check the channel id, and that the bot can see the channel',
  not_in_channel: 'invite the bot to the channel (/invite @your-app)',
  is_archived: 'the channel is archived: unarchive it or pick another',
  missing_scope: 'add the scope Slack names to the app and reinstall it',
};

export interface SlackClientOptions {
  name: string;
  config: SlackConfig;
  fetch: typeof fetch;
  redactor: Redactor;
  logger?: Logger | undefined;
}

/** One WebClient per sink; the delivery's abort signal reaches its requests through async context. */
export class SlackClient {
  readonly web: WebClient;
  readonly target: string;
  readonly #redactor: Redactor;
  readonly #signal = new AsyncLocalStorage<AbortSignal>();
  readonly #timeoutMs: number;

  constructor(opts: SlackClientOptions) {
    this.#redactor = opts.redactor;
    this.#timeoutMs = opts.config.timeout;
    this.target = `slack ${new URL(opts.config.base_url).host}`;
    const guarded = opts.fetch;
    const apiRoot = opts.config.base_url.endsWith('/') ? opts.config.base_url : `${opts.config.base_url}/`;
    const fetchCapped: typeof fetch = async (input, init = {}) => {
      const outer = this.#signal.getStore();
      const timeout = AbortSignal.timeout(this.#timeoutMs);
      const signal = AbortSignal.any([timeout, ...(outer ? [outer] : []), ...(init.signal ? [init.signal] : [])]);
      // The SDK sends the bot token on every request, the upload URL too; that URL is its own
      // credential (files.slack.com), so the token goes nowhere but the configured API root.
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const headers = new Headers(init.headers);
      if (!url.startsWith(apiRoot)) headers.delete('authorization');
      try {
        const res = await guarded(input, { ...init, headers, signal, redirect: 'manual' });
        const body = await readCapped(res, MAX_RESPONSE_BYTES);
        if (body.truncated) throw errors.inputTooLarge({ where: this.target, size: `an answer of more than ${MAX_RESPONSE_BYTES} bytes`, limit: `${MAX_RESPONSE_BYTES} bytes`});
        return new Response(res.status === 204 ? null : body.bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
      } catch (err) {
        if (err instanceof SaaswatchError) throw err;
        throw classifyRequestError(err, { timedOut: timeout.aborted && !outer?.aborted, timeoutMs: this.#timeoutMs, target: this.target });
      }
    };
    this.web = new WebClient(opts.config.token.reveal(), {
      slackApiUrl: opts.config.base_url,
      fetch: fetchCapped,
      // The outbox owns retries and Retry-After: the SDK must neither retry nor wait.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: sdkLogger(opts.logger, opts.redactor, opts.name),
      // Absolute URLs are the upload URLs Slack hands out; they still go through the guarded fetch.
      allowAbsoluteUrls: true,
    });
  }

  /** Runs `fn` with the delivery's signal on every request it makes, and classifies what it throws. */
  async call<T>(method: string, signal: AbortSignal, fn: (web: WebClient) => Promise<T>): Promise<T> {
    try {
      return await this.#signal.run(signal, () => fn(this.web));
    } catch (err) {
      throw this.#redactor.error(this.classify(method, err));
    }
  }

  classify(method: string, err: unknown): SaaswatchError {
    if (err instanceof SaaswatchError) return err;
    const e = err as { code?: unknown; data?: { error?: unknown; needed?: unknown }; retryAfter?: unknown; original?: unknown; statusCode?: unknown; headers?: Record<string, string>; body?: unknown; message?: unknown };
    switch (e.code) {
      case 'slack_webapi_rate_limited_error': {
        const sec = typeof e.retryAfter === 'number' ? e.retryAfter : undefined;
        return errors.httpRetryable({ target: this.target, status: 429, detail: `${method} rate limited`, ...(sec === undefined ? {} : { retryAfterMs: sec * 1000 }), cause: err });
      }
      case 'slack_webapi_platform_error': {
        const code = this.#redactor.text(String(e.data?.error ?? 'unknown_error')).slice(0, 100);
        const needed = typeof e.data?.needed === 'string' ? ` (needs ${this.#redactor.text(e.data.needed).slice(0, 100)})` : '';
        const retryable = RETRYABLE_CODES.has(code);
        const fix = FIXES[code];
        const message = `${this.target} refused ${method}: ${code}${needed}${!retryable && fix ? ` (${fix})` : ''}`;
        return new SaaswatchError(retryable ? 'HTTP_RETRYABLE' : 'HTTP_REJECTED', message, { retryable, details: { method, error: code }, cause: err });
      }
      case 'slack_webapi_http_error': {
        const body = typeof e.body === 'string' ? e.body : '';
        const detail = cut(this.#redactor.text(body.slice(0, ERROR_SNIPPET_CHARS * 8), { cut: body.length > ERROR_SNIPPET_CHARS * 8 }));
        const retryAfter = e.headers?.['retry-after'];
        return classifyHttpStatus(Number(e.statusCode), retryAfter, { target: this.target, detail: `${method}${detail ? `: ${detail}` : ''}` });
      }
      case 'slack_webapi_request_error':
        if (e.original instanceof SaaswatchError) return e.original;
        return classifyRequestError(e.original, { timedOut: false, target: this.target });
    }
    const text = typeof e.message === 'string' ? e.message : String(err);
    // The SDK's own words for a 429 without a usable Retry-After, and for an upload the upload URL refused.
    if (/Retry header did not contain a valid timeout/.test(text)) return errors.httpRetryable({ target: this.target, status: 429, detail: `${method} rate limited`, cause: err });
    if (/Failed to upload file/.test(text)) return errors.httpRetryable({ target: this.target, status: 502, detail: `${method}: the upload URL refused the file`, cause: err });
    return classifyRequestError(err, { timedOut: false, target: this.target });
  }
}

function cut(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > ERROR_SNIPPET_CHARS ? `${flat.slice(0, ERROR_SNIPPET_CHARS)}…` : flat;
}

/** The SDK's logger onto pino: its debug lines (requests, bodies) dropped, the rest at debug or warn, redacted. */
function sdkLogger(logger: Logger | undefined, redactor: Redactor, sink: string): SlackLogger {
  const line = (msg: unknown[]) => redactor.text(msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ')).slice(0, 500);
  let level = LogLevel.INFO;
  return {
    debug: () => undefined,
    info: (...msg: unknown[]) => logger?.debug({ sink, sdk: '@slack/web-api' }, line(msg)),
    warn: (...msg: unknown[]) => logger?.debug({ sink, sdk: '@slack/web-api' }, line(msg)),
    error: (...msg: unknown[]) => logger?.warn({ sink, sdk: '@slack/web-api' }, line(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
