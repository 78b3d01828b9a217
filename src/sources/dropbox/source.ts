/** The dropbox source plugin: team_log polled through the official SDK, woken early by signed webhooks. */
import { Redactor, type PluginDeps, type SourcePlugin, type WebhookRoute, type WebhookSource } from '../../core/index.js';
import { pollerSpec } from '../../pipeline/polling-config.js';
import { PollingSource, pollingOptions, type PollingSourceOptions } from '../../pipeline/polling.js';
import { createDropboxActions } from './actions.js';
import { createTeamLogClient, toSaaswatchError } from './client.js';
import { createDropboxContentClient } from './content.js';
import { withScans } from './scan.js';
import type { FileScanner } from '../../pii/scanner.js';
import { dropboxConfigSchema, type DropboxConfig } from './config.js';
import { dropboxCursor, pollCycle, type PollerOptions, type PollState } from './poller.js';
import { dropboxWebhookRoutes, type DropboxWebhookStats } from './webhook.js';
import { normalizeExample } from './normalize.js';

export { dropboxConfigSchema, type DropboxConfig, type DropboxConfigInput } from './config.js';

export const TYPE = 'dropbox';

export interface DropboxSourceOptions extends PollingSourceOptions {
  /** The fetch the SDK goes through (tests may wrap it). */
  fetch?: typeof fetch;
  /** The PII scanner (`pii.enabled`): files added, edited or shared are downloaded as the acting member and scanned (needs files.content.read and files.metadata.read). */
  scanner?: FileScanner;
}

export class DropboxSource extends PollingSource<PollState | undefined> implements WebhookSource {
  /** What the webhook route has seen (accepted, repeated, rejected), for tests and status output. */
  readonly webhookStats: DropboxWebhookStats = { accepted: 0, repeated: 0, rejected: 0 };

  constructor(
    name: string,
    private readonly config: DropboxConfig,
    private readonly opts: DropboxSourceOptions = {},
  ) {
    // Shared by the client and the runtime: an echoed bearer token is removed wherever the error goes.
    const redactor = new Redactor([config.access_token]);
    super({
      name,
      type: TYPE,
      label: 'Dropbox',
      cursor: dropboxCursor,
      classify: (err) => toSaaswatchError(err),
      redact: redactor,
      ...pollerSpec(config, opts),
      open: (_state, ctx) => {
        // The team log and the file content share one token, host, timeout and stop signal.
        const clientOptions = {
          accessToken: config.access_token,
          ...(config.base_url ? { apiUrl: config.base_url } : {}),
          timeoutMs: config.timeout,
          signal: ctx.signal,
          redactor,
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        };
        const poller: PollerOptions = {
          client: createTeamLogClient(clientOptions),
          pageLimit: config.page_size,
          category: config.category,
          backfill: config.backfill,
          overlapMs: config.settle,
        };
        const content = opts.scanner ? createDropboxContentClient(clientOptions) : undefined;
        return {
          pollOnce: (state, c) =>
            content ? withScans(pollCycle(poller, state, c, name), opts.scanner, { content, source: name, logger: c.logger }, c.signal) : pollCycle(poller, state, c, name),
        };
      },
    });
  }

  webhookRoutes(): WebhookRoute[] {
    return dropboxWebhookRoutes({
      source: this.name,
      appSecret: this.config.app_secret,
      wake: () => this.wake(),
      logger: this.opts.logger,
      now: this.opts.now,
      stats: this.webhookStats,
    });
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
    return createDropboxSource(name, config, { ...pollingOptions(deps), ...(deps.scanner ? { scanner: deps.scanner } : {}) });
  },
  actions: (_name, config) => createDropboxActions(config),
};
