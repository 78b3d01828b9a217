/** The dropbox source plugin: team_log polled through the official SDK, woken early by signed webhooks. */
import type { Logger } from 'pino';
import type { PluginDeps, SourceBatch, SourceContext, SourcePlugin, WebhookRoute, WebhookSource } from '../../core/index.js';
import { createTeamLogClient, toSaaswatchError } from './client.js';
import { dropboxConfigSchema, type DropboxConfig } from './config.js';
import { abortableSleep, parsePollState, pollCycle, type PollerOptions, type PollState } from './poller.js';
import { dropboxWebhookRoutes } from './webhook.js';
import { normalizeExample } from './normalize.js';

export { dropboxConfigSchema, type DropboxConfig, type DropboxConfigInput } from './config.js';

export const TYPE = 'dropbox';

export interface DropboxSourceOptions {
  logger?: Logger;
  /** Clock (epoch ms) for the initial look-back and event.ingested; tests pin it. */
  now?: () => number;
  /** Wait between retries of one call (tests record instead of sleeping). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Stop after one poll cycle (drained until has_more is false) instead of polling until aborted. */
  once?: boolean;
  /** Attempts per API call within a cycle, and the backoff between them when Dropbox gives no Retry-After. */
  maxAttempts?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** The fetch the SDK goes through (tests may wrap it). */
  fetch?: typeof fetch;
}

export class DropboxSource implements WebhookSource {
  readonly type = TYPE;
  #wakeRequested = false;
  #wakeIdle: (() => void) | undefined;

  constructor(
    readonly name: string,
    private readonly config: DropboxConfig,
    private readonly opts: DropboxSourceOptions = {},
  ) {}

  /** Polls now: during an idle wait it ends the wait; during a poll it makes another one follow at once. */
  wake(): void {
    this.#wakeRequested = true;
    this.#wakeIdle?.();
  }

  webhookRoutes(): WebhookRoute[] {
    return dropboxWebhookRoutes({ source: this.name, appSecret: this.config.app_secret, wake: () => this.wake(), logger: this.opts.logger });
  }

  /** Waits poll_interval, or less when woken or stopped. */
  async #idle(ms: number, signal: AbortSignal): Promise<void> {
    const woken = new AbortController();
    this.#wakeIdle = () => woken.abort();
    const stop = () => woken.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await abortableSleep(ms, woken.signal);
    } finally {
      this.#wakeIdle = undefined;
      signal.removeEventListener('abort', stop);
    }
  }

  async *batches(ctx: SourceContext): AsyncGenerator<SourceBatch> {
    const { config, opts, name } = this;
    const { signal } = ctx;
    const logger = opts.logger;
    const client = createTeamLogClient({
      accessToken: config.access_token,
      ...(config.api_url ? { apiUrl: config.api_url } : {}),
      signal,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    const poller: PollerOptions = {
      source: name,
      client,
      pageLimit: config.page_limit,
      category: config.category,
      initialLookbackMs: config.initial_lookback,
      overlapMs: config.overlap,
      logger,
      now: opts.now ?? Date.now,
      sleep: opts.sleep ?? abortableSleep,
      maxAttempts: opts.maxAttempts ?? 8,
      backoff: opts.backoff ?? { initialMs: 1_000, maxMs: 60_000 },
      ...(opts.random ? { random: opts.random } : {}),
    };
    let state: PollState | undefined = parsePollState(ctx.cursor, logger, name);
    while (!signal.aborted) {
      this.#wakeRequested = false;
      try {
        for await (const polled of pollCycle(poller, state, signal)) {
          yield polled.batch;
          // Only now is the page committed (the pipeline awaits the commit before pulling again).
          state = polled.state;
        }
      } catch (err) {
        if (signal.aborted) return;
        const e = toSaaswatchError(err);
        // A rejected token or request will not fix itself: stop and say so. Throttling and outages
        // that outlast the retries wait for the next cycle, resuming from the committed cursor.
        if (!e.retryable || opts.once) throw e;
        logger?.error({ source: name, code: e.code, err: e.message }, 'Dropbox poll failed; trying again at the next poll.');
      }
      if (opts.once || signal.aborted) return;
      if (!this.#wakeRequested) await this.#idle(config.poll_interval, signal);
    }
  }
}

export function createDropboxSource(name: string, config: DropboxConfig, options: DropboxSourceOptions = {}): DropboxSource {
  return new DropboxSource(name, config, options);
}

export const dropboxPlugin: SourcePlugin<DropboxConfig> = {
  type: TYPE,
  description: 'Dropbox Business team activity log (team_log), polled and woken by signed webhooks',
  configSchema: dropboxConfigSchema,
  example: normalizeExample,
  create(name: string, config: DropboxConfig, deps: PluginDeps): DropboxSource {
    return createDropboxSource(name, config, { logger: deps.logger, ...(deps.once ? { once: true } : {}), ...(deps.now ? { now: deps.now } : {}) });
  },
};
