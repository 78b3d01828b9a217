/** The microsoft-graph source plugin: Entra sign-ins, Defender alerts and the user-reported-mail mailbox through the official Graph SDK. */
import type { Logger } from 'pino';
import type { PluginDeps, Source, SourceBatch, SourceContext, SourcePlugin } from '../../core/index.js';
import { SaaswatchError, errorMessage } from '../../core/index.js';
import { createGraphClient, toSaaswatchError } from './client.js';
import { microsoftGraphConfigSchema, type MicrosoftGraphConfig, type StreamName } from './config.js';
import { abortableSleep, decodeCursor, pollReportedMail, pollWindowed, promiseStarts, type GraphCursor, type PollContext } from './poller.js';
import { normalizeExample } from './normalize.js';

export { microsoftGraphConfigSchema, type MicrosoftGraphConfig, type MicrosoftGraphConfigInput } from './config.js';

export const TYPE = 'microsoft-graph';

export interface MicrosoftGraphSourceOptions {
  logger?: Logger;
  /** Clock (epoch ms) for windows, the backfill start and event.ingested; tests pin it. */
  now?: () => number;
  /** Wait between retries of one call (tests record instead of sleeping). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** One pass over every stream, then stop, instead of polling until aborted. */
  once?: boolean;
  /** Backoff between attempts when Graph gives no Retry-After (defaults 1s..60s). */
  backoff?: { initialMs: number; maxMs: number };
  /** The fetch the SDK and the token request go through (tests may wrap it). */
  fetch?: typeof fetch;
}

export class MicrosoftGraphSource implements Source {
  readonly type = TYPE;

  constructor(
    readonly name: string,
    private readonly config: MicrosoftGraphConfig,
    private readonly opts: MicrosoftGraphSourceOptions = {},
  ) {}

  async *batches(ctx: SourceContext): AsyncGenerator<SourceBatch> {
    const { config, opts, name } = this;
    const { signal } = ctx;
    const logger = opts.logger;
    const state: GraphCursor = decodeCursor(ctx.cursor);
    const client = createGraphClient({
      graphUrl: config.graph_url,
      loginUrl: config.login_url,
      tenantId: config.tenant_id,
      clientId: config.client_id,
      clientSecret: config.client_secret,
      ...(config.mailbox ? { mailbox: config.mailbox } : {}),
      signal,
      timeoutMs: config.timeout,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
    const poll: PollContext = {
      source: name,
      config,
      client,
      now: opts.now ?? Date.now,
      signal,
      logger,
      sleep: opts.sleep ?? abortableSleep,
      backoff: opts.backoff ?? { initialMs: 1_000, maxMs: 60_000 },
      ...(opts.random ? { random: opts.random } : {}),
      promised: new Map(),
    };
    const streamOf = (s: StreamName): AsyncGenerator<SourceBatch> => (s === 'reported_mail' ? pollReportedMail(state, poll) : pollWindowed(s, state, poll));

    while (!signal.aborted) {
      promiseStarts(state, poll);
      let deferred: SaaswatchError | undefined;
      for (const stream of config.streams) {
        if (signal.aborted) return;
        try {
          yield* streamOf(stream);
        } catch (err) {
          if (signal.aborted) return;
          const e = toSaaswatchError(err);
          // A refused credential or permission will not fix itself: stop and say which. Throttling
          // and outages that outlast the retries wait for the next poll, resuming from the cursor;
          // the other streams are still read, but windowed detection waits for this one's promise.
          if (!e.retryable) throw e;
          logger?.error({ source: name, stream, code: e.code, err: errorMessage(e) }, 'Microsoft Graph poll failed; trying again at the next poll.');
          deferred ??= e;
        }
      }
      if (opts.once) {
        if (deferred) throw deferred;
        return;
      }
      await abortableSleep(config.poll_interval, signal);
    }
  }
}

export function createMicrosoftGraphSource(name: string, config: MicrosoftGraphConfig, options: MicrosoftGraphSourceOptions = {}): MicrosoftGraphSource {
  return new MicrosoftGraphSource(name, config, options);
}

export const microsoftGraphPlugin: SourcePlugin<MicrosoftGraphConfig> = {
  type: TYPE,
  description: 'Microsoft Entra sign-ins, Defender security alerts and the user-reported-phishing mailbox, through Microsoft Graph',
  configSchema: microsoftGraphConfigSchema,
  example: normalizeExample,
  create(name: string, config: MicrosoftGraphConfig, deps: PluginDeps): MicrosoftGraphSource {
    return createMicrosoftGraphSource(name, config, { logger: deps.logger, ...(deps.once ? { once: true } : {}), ...(deps.now ? { now: deps.now } : {}) });
  },
};
