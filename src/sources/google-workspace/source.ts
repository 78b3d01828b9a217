/** The google-workspace source plugin: Reports audit logs and Drive changes as batches, woken by Drive push notifications, and the Drive file inventory. */
import { pino, type Logger } from 'pino';
import type { PluginDeps, Source, SourceBatch, SourceContext, SourcePlugin, WebhookRoute, WebhookSource } from '../../core/index.js';
import { SaaswatchError, errorMessage } from '../../core/index.js';
import { createClients, loadServiceAccount, type GoogleClients } from './client.js';
import { googleWorkspaceConfigSchema, type GoogleWorkspaceConfig } from './config.js';
import { applyFileEvents, runInventory, type FileStore } from './inventory.js';
import { CHANGES, decodeCursor, encodeCursor, ensureStartPageToken, pollChanges, pollReports, promisedWatermark, type CursorState, type PollContext } from './poller.js';
import { sleep, type RetryOptions } from './request.js';
import { DriveChannels } from './webhook.js';
import { normalizeExample } from './normalize.js';

export { googleWorkspaceConfigSchema, type GoogleWorkspaceConfig, type GoogleWorkspaceConfigInput } from './config.js';
export { DRIVE_WEBHOOK_PATH, channelToken } from './webhook.js';

export const TYPE = 'google-workspace';

/** Least wait after a failed pass, whatever is due. */
const FAILURE_PAUSE_MS = 60_000;

export interface GoogleWorkspaceSourceOptions {
  logger?: Logger;
  /** Directory credentials_file resolves against. */
  baseDir?: string;
  /** Clock, epoch ms. */
  now?: () => number;
  /** One pass (Reports, then Drive changes, then the inventory when on) and stop: backfills and tests. Default: poll until aborted. */
  once?: boolean;
  /** Waits between retries and between polls; tests replace it. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Backoff bounds for retries without Retry-After (defaults 1s..60s). */
  backoff?: { initialMs: number; maxMs: number };
  /** Where the Drive inventory goes; required when drive.inventory is on. */
  files?: FileStore;
}

class GoogleWorkspaceSource implements WebhookSource {
  readonly type = TYPE;
  readonly #config: GoogleWorkspaceConfig;
  readonly #opts: GoogleWorkspaceSourceOptions;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #channels: DriveChannels | undefined;
  #clients: GoogleClients | undefined;

  constructor(
    readonly name: string,
    config: GoogleWorkspaceConfig,
    opts: GoogleWorkspaceSourceOptions,
  ) {
    this.#config = config;
    this.#opts = opts;
    this.#logger = opts.logger?.child({ source: name });
    this.#now = opts.now ?? Date.now;
    if (config.drive.inventory && !opts.files) {
      throw new SaaswatchError('CONFIG_INVALID', `google-workspace source ${name}: drive.inventory is on but no file store was given`);
    }
    const w = config.drive.watch;
    if (w) {
      this.#channels = new DriveChannels({
        address: w.address,
        token: w.token,
        ttlMs: w.ttl,
        renewBeforeMs: w.renew_before,
        logger: this.#logger ?? silent(),
        now: this.#now,
      });
    }
  }

  webhookRoutes(): WebhookRoute[] {
    return this.#channels ? [this.#channels.route()] : [];
  }

  /** Exposed for tests and status output: notification counters of the Drive channel. */
  get channelStats(): DriveChannels['stats'] | undefined {
    return this.#channels?.stats;
  }

  async #getClients(): Promise<GoogleClients> {
    this.#clients ??= createClients(this.#config, await loadServiceAccount(this.#config, this.#opts.baseDir));
    return this.#clients;
  }

  async *batches(ctx: SourceContext): AsyncGenerator<SourceBatch> {
    const config = this.#config;
    const state: CursorState = decodeCursor(ctx.cursor);
    const clients = await this.#getClients();
    const wait = this.#opts.sleep ?? sleep;
    const retry: RetryOptions = {
      maxAttempts: config.max_attempts,
      initialMs: this.#opts.backoff?.initialMs ?? 1000,
      maxMs: this.#opts.backoff?.maxMs ?? 60_000,
      signal: ctx.signal,
      sleep: wait,
      ...(this.#logger ? { logger: this.#logger } : {}),
    };
    const poll: PollContext = {
      source: this.name,
      config,
      retry,
      now: this.#now,
      orgDomain: config.subject.split('@')[1]?.toLowerCase(),
      promised: new Map(),
    };
    const followChanges = config.drive.changes || config.drive.watch !== undefined;
    // Drive changes continue from a stored page token: after a pause they bring whatever happened
    // meanwhile, so they promise nothing until a drain in this run has read the feed to its end.
    if (followChanges) poll.promised.set(CHANGES, Number.NEGATIVE_INFINITY);
    const files = config.drive.inventory ? this.#opts.files : undefined;
    const orgDomain = poll.orgDomain ?? '';
    const channels = this.#channels;
    channels?.restore(state.drive?.channel);

    // A notification ends the wait early; the flag it sets (takePending) says why we woke.
    let wakeUp: (() => void) | undefined;
    channels?.onWake(() => wakeUp?.());
    let nextReports = 0;
    let nextInventory = 0;
    try {
      for (;;) {
        if (ctx.signal.aborted) return;
        const started = this.#now();
        const reportsDue = started >= nextReports;
        let failed = false;
        try {
          if (reportsDue) {
            nextReports = started + config.poll_interval;
            for await (const batch of pollReports(clients.reports, state, poll)) {
              if (files) await this.#applyFileEvents(batch.events, files, orgDomain);
              yield batch;
            }
          }
          if (followChanges && !ctx.signal.aborted) {
            let changed = await ensureStartPageToken(clients.drive, state, poll);
            if (channels && state.drive) {
              changed = (await channels.ensure(clients.drive, state.drive.pageToken, retry)) || changed;
              const ch = channels.current;
              if (ch) state.drive.channel = ch;
            }
            // The new position and channel commit before anything is read from them.
            if (changed) yield { events: [], deadLetters: [], cursor: encodeCursor(state), watermark: promisedWatermark(poll) };
            // Taken before listing: a notification during the list sets it again and runs another.
            const notified = channels?.takePending() ?? false;
            // Drive changes arrive as they happen; the Reports applications' promise covers them.
            if (reportsDue || notified) {
              const drainStart = this.#now();
              for await (const batch of pollChanges(clients.drive, state, poll)) yield { ...batch, watermark: promisedWatermark(poll) };
              // Read to the end of the feed: what changed before the drain began is in, within settle.
              if (!ctx.signal.aborted) {
                poll.promised.set(CHANGES, Math.max(poll.promised.get(CHANGES) ?? Number.NEGATIVE_INFINITY, drainStart - config.settle));
                yield { events: [], deadLetters: [], watermark: promisedWatermark(poll) };
              }
            }
          }
        } catch (err) {
          if (ctx.signal.aborted) return;
          // Retryable failures that outlived their attempts wait for the next interval; the cursor
          // still says where to resume. Anything else (bad credentials, missing scope) is for a person.
          if (this.#opts.once || !(err instanceof SaaswatchError) || !err.retryable) throw err;
          this.#logger?.warn({ err: errorMessage(err) }, 'Google Workspace poll failed; retrying at the next interval.');
          failed = true;
        }
        if (files && !ctx.signal.aborted && this.#now() >= nextInventory) {
          nextInventory = this.#now() + config.drive.inventory_interval;
          // Its own try: a failed inventory waits for its next interval while events keep flowing.
          try {
            await runInventory(clients.drive, { files, retry, now: this.#now, orgDomain, logger: this.#logger });
          } catch (err) {
            if (ctx.signal.aborted) return;
            this.#logger?.warn({ err: errorMessage(err) }, 'Google Drive inventory failed; retrying at the next inventory interval.');
          }
        }
        if (this.#opts.once) return;
        const until = Math.min(nextReports, files ? nextInventory : Infinity, channels ? channels.renewAt() : Infinity);
        // After a failure a channel renewal that is already due would otherwise retry at once, forever.
        const floor = failed ? Math.min(FAILURE_PAUSE_MS, config.poll_interval) : 0;
        const delay = Math.max(floor, until - this.#now());
        // Notified while busy: poll changes again right away.
        if (channels?.hasPending()) continue;
        const woke = new AbortController();
        const onAbort = (): void => woke.abort();
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        wakeUp = () => woke.abort();
        try {
          await wait(delay, woke.signal);
        } finally {
          wakeUp = undefined;
          ctx.signal.removeEventListener('abort', onAbort);
        }
      }
    } finally {
      channels?.onWake(undefined);
    }
  }

  /** A store failure here must not hold back the events themselves; the next listing repairs the inventory. */
  async #applyFileEvents(events: SourceBatch['events'], files: FileStore, orgDomain: string): Promise<void> {
    try {
      await applyFileEvents(events, { files, orgDomain });
    } catch (err) {
      this.#logger?.warn({ err: errorMessage(err) }, 'Could not apply Drive events to the file inventory.');
    }
  }
}

function silent(): Logger {
  return pino({ level: 'silent' });
}

/** A google-workspace source; `options` are for the CLI and tests (clock, one pass, sleep). */
export function createGoogleWorkspaceSource(name: string, config: GoogleWorkspaceConfig, options: GoogleWorkspaceSourceOptions = {}): WebhookSource & {
  readonly channelStats: DriveChannels['stats'] | undefined;
} {
  return new GoogleWorkspaceSource(name, config, options);
}

export const googleWorkspacePlugin: SourcePlugin<GoogleWorkspaceConfig> = {
  type: TYPE,
  description: 'Google Workspace audit logs (Admin SDK Reports: login, drive, admin, token), Drive changes with push notifications, and the Drive file inventory',
  configSchema: googleWorkspaceConfigSchema,
  example: normalizeExample,
  create(name: string, config: GoogleWorkspaceConfig, deps: PluginDeps): Source {
    return createGoogleWorkspaceSource(name, config, {
      logger: deps.logger,
      ...(deps.baseDir ? { baseDir: deps.baseDir } : {}),
      ...(deps.once ? { once: true } : {}),
      ...(deps.files ? { files: deps.files } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    });
  },
};
