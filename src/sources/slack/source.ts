/** The slack source plugin: team.accessLogs and the Enterprise Audit Logs API polled through the official Web API SDK, woken (and fed) by signed Events API callbacks. */
import { Redactor, type PluginDeps, type SourcePlugin, type WebhookRoute, type WebhookSource } from '../../core/index.js';
import { pollerSpec } from '../../pipeline/polling-config.js';
import { PollingSource, pollingOptions, type PollingSourceOptions } from '../../pipeline/polling.js';
import { createSlackClient, toSaaswatchError } from './client.js';
import { slackConfigSchema, type SlackSourceConfig } from './config.js';
import { normalizeExample } from './normalize.js';
import { pollStreams, slackCursor, UserCache, type PollContext, type SlackCursor } from './poller.js';
import { slackWebhookRoutes, type SlackWebhookStats } from './webhook.js';

export { slackConfigSchema, type SlackSourceConfig, type SlackSourceConfigInput } from './config.js';

export const TYPE = 'slack';

export interface SlackSourceOptions extends PollingSourceOptions {
  /** The fetch the SDK and the audit requests go through (tests may wrap it). */
  fetch?: typeof fetch;
}

export class SlackSource extends PollingSource<SlackCursor> implements WebhookSource {
  /** What the Events API route has seen, for tests and status output. */
  readonly webhookStats: SlackWebhookStats = { accepted: 0, rejected: 0, replayed: 0, queued: 0, dropped: 0 };
  /** Verified callbacks waiting for the poll they woke; kept across runs of batches(). */
  readonly #inbox: unknown[];
  readonly #users: UserCache;

  constructor(
    name: string,
    private readonly config: SlackSourceConfig,
    private readonly opts: SlackSourceOptions = {},
  ) {
    const redactor = new Redactor([config.token, config.audit_token, config.signing_secret]);
    const users = new UserCache(config.user_cache_ttl, config.user_cache_size, opts.now ?? Date.now);
    const inbox: unknown[] = [];
    super({
      name,
      type: TYPE,
      label: 'Slack',
      cursor: slackCursor,
      classify: (err) => toSaaswatchError(err, { redactor }),
      redact: redactor,
      ...pollerSpec(config, opts),
      open: (_state, run) => {
        const client = createSlackClient({ config, signal: run.signal, redactor, logger: opts.logger, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
        const poll: PollContext = { source: name, config, client, redactor, users, now: run.now, signal: run.signal, logger: opts.logger, run, promised: new Map(), inbox };
        return { pollOnce: (state) => pollStreams(state, poll) };
      },
    });
    this.#users = users;
    this.#inbox = inbox;
  }

  webhookRoutes(): WebhookRoute[] {
    if (!this.config.signing_secret) return [];
    return slackWebhookRoutes({
      source: this.name,
      path: this.config.webhook_path,
      signingSecret: this.config.signing_secret,
      inbox: this.#inbox,
      wake: () => this.wake(),
      userChanged: (id) => this.#users.forget(id),
      logger: this.opts.logger,
      now: this.opts.now,
      stats: this.webhookStats,
    });
  }
}

export function createSlackSource(name: string, config: SlackSourceConfig, options: SlackSourceOptions = {}): SlackSource {
  return new SlackSource(name, config, options);
}

export const slackPlugin: SourcePlugin<SlackSourceConfig> = {
  type: TYPE,
  description: 'Slack: access logs (team.accessLogs, paid plans) and Enterprise audit logs, through the official Web API SDK, with signed Events API callbacks',
  configSchema: slackConfigSchema,
  example: normalizeExample,
  create(name: string, config: SlackSourceConfig, deps: PluginDeps): SlackSource {
    return createSlackSource(name, config, pollingOptions(deps));
  },
};
