/** Webhook sink: one deliver() is one signed JSON POST; the outbox retries it under this sink's policy. */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Alert, DeliveryContext, PluginDeps, RetryPolicy, Sink, SinkPlugin } from '../../core/index.js';
import { Redactor, SaaswatchError } from '../../core/index.js';
import { readCapped, readCappedText } from '../../pipeline/http-body.js';
import { classifyHttpStatus, classifyRequestError } from '../../pipeline/retry.js';
import { retryPolicyOf, sinkFetch } from '../http-config.js';
import { truncate } from '../text.js';
import { webhookConfigSchema, type WebhookConfig } from './config.js';
import { formatWebhookPayload, signPayload } from './format.js';

export { signPayload, verifySignature, formatWebhookPayload, type WebhookPayload } from './format.js';
export { webhookConfigSchema, type WebhookConfig } from './config.js';

/** How much of an error response we quote: enough to see why a receiver refused, not a whole HTML page. */
const ERROR_SNIPPET_CHARS = 300;
/** Most of a response body we read (2xx or error); the rest is cancelled, so an endless body costs nothing. */
export const MAX_RESPONSE_BYTES = 16 * 1024;

export const USER_AGENT = `saaswatch/${readVersion()}`;

function readVersion(): string {
  // src/sinks/webhook and dist/sinks/webhook are both three levels below the package root.
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface WebhookSinkOptions {
  logger?: Logger;
  /** Clock for the signature timestamp (epoch ms); tests pin it. */
  now?: () => number;
  /** Replaces the guarded fetch (tests that route elsewhere); the SSRF guard is then the caller's. */
  fetch?: typeof fetch;
}

export class WebhookSink implements Sink {
  readonly type = 'webhook';
  readonly retryPolicy: RetryPolicy;
  readonly #config: WebhookConfig;
  readonly #url: URL;
  /** Host only: URLs may carry credentials or tokens in the query, and this ends up in errors and logs. */
  readonly #target: string;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  readonly #logger: Logger | undefined;
  readonly #redactor: Redactor;

  constructor(
    readonly name: string,
    config: WebhookConfig,
    opts: WebhookSinkOptions = {},
  ) {
    this.#config = config;
    this.#url = new URL(config.url);
    this.#target = `webhook ${this.#url.host}`;
    this.#now = opts.now ?? Date.now;
    this.#fetch = opts.fetch ?? sinkFetch(name, config, this.#target);
    // Static headers often carry an API key; the URL's query may too.
    this.#redactor = new Redactor([config.token, config.secret, ...Object.values(config.headers), ...[...this.#url.searchParams.values()], this.#url.password]);
    this.#logger = opts.logger;
    this.retryPolicy = retryPolicyOf(config);
  }

  /** Host only, as in errors: the URL's path and query may carry a token. */
  get target(): string {
    return this.#url.host;
  }

  async deliver(alert: Alert, ctx: DeliveryContext): Promise<void> {
    const body = JSON.stringify(formatWebhookPayload(alert, ctx));
    const timestampSec = Math.floor(this.#now() / 1000);
    const headers: Record<string, string> = {
      ...this.#config.headers,
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      'X-Saaswatch-Delivery': ctx.deliveryId,
      'X-Saaswatch-Timestamp': String(timestampSec),
    };
    if (this.#config.token) headers['Authorization'] = `Bearer ${this.#config.token.reveal()}`;
    if (this.#config.secret) headers['X-Saaswatch-Signature'] = signPayload(this.#config.secret.reveal(), body, timestampSec);

    const timeoutMs = this.#config.timeout;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    try {
      const res = await this.#fetch(this.#url, {
        method: 'POST',
        headers,
        body,
        signal,
        // A redirect would resend the signed body and bearer token to wherever the receiver points.
        redirect: 'manual',
      });
      if (res.status >= 200 && res.status < 300) {
        // Read (a little) so the connection can be reused; the content is irrelevant, and an endless one is cut off.
        await readCapped(res, MAX_RESPONSE_BYTES);
        this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId, attempt: ctx.attempt, status: res.status }, 'webhook delivered');
        return;
      }
      // Receivers sometimes echo the request in error bodies: redacted before it is cut, and a value cut off at the read limit goes too.
      const read = await readCappedText(res, Math.min(ERROR_SNIPPET_CHARS * 8, MAX_RESPONSE_BYTES));
      const snippet = truncate(this.#redactor.text(read.text, { cut: read.truncated }), ERROR_SNIPPET_CHARS);
      throw classifyHttpStatus(res.status, res.headers.get('retry-after'), {
        now: this.#now(),
        target: this.#target,
        ...(snippet ? { detail: snippet } : {}),
      });
    } catch (err) {
      const e = err instanceof SaaswatchError ? err : classifyRequestError(err, { timedOut: timeout.aborted && !ctx.signal.aborted, timeoutMs, target: this.#target });
      throw this.#redactor.error(e);
    }
  }
}

/** Typed with `satisfies` so create() keeps returning the concrete sink (tests and the outbox read retryPolicy). */
export const webhookSinkPlugin = {
  type: 'webhook',
  description: 'POSTs each alert as signed JSON to an HTTP(S) endpoint',
  configSchema: webhookConfigSchema,
  create(name: string, config: WebhookConfig, deps: PluginDeps): WebhookSink {
    return new WebhookSink(name, config, { logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) });
  },
} satisfies SinkPlugin<WebhookConfig>;
