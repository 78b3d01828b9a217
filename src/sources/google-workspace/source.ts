/** The google-workspace source plugin: Reports audit logs and Drive changes as batches, woken by Drive push notifications, and the Drive file inventory. */
import { pino, type Logger } from 'pino';
import type { DetectorState, FileRecord, Inventory, PluginDeps, Source, SourcePlugin, WebhookRoute, WebhookSource } from '../../core/index.js';
import { Redactor, SaaswatchError, errors } from '../../core/index.js';
import { pollerSpec } from '../../pipeline/polling-config.js';
import { PollingSource, type PollContext as RunContext, type PolledBatch, type PollSession, type PollingSourceOptions } from '../../pipeline/polling.js';
import { createGoogleWorkspaceActions } from './actions.js';
import { createClients, loadServiceAccount, type GoogleClients } from './client.js';
import { googleWorkspaceConfigSchema, type GoogleWorkspaceConfig } from './config.js';
import { applyFileEvents, runInventory } from './inventory.js';
import { CHANGES, ensureStartPageToken, googleCursor, pollAlerts, pollChanges, pollFeedback, pollReports, promisedWatermark, type CursorState, type PollContext } from './poller.js';
import { classifyGoogleError, withRetry, type RetryOptions } from './request.js';
import { DriveChannels } from './webhook.js';
import { driveScanJob, scanJobsForEvents, type DriveScanContext } from './scan.js';
import type { DriveFileLike } from './wire.js';
import type { FileScanner, ScanJob } from '../../pii/scanner.js';
import { ALERT_CENTER, ALERT_FEEDBACK, normalizeExample } from './normalize.js';

export { googleWorkspaceConfigSchema, type GoogleWorkspaceConfig, type GoogleWorkspaceConfigInput } from './config.js';
export { DRIVE_WEBHOOK_PATH, channelToken } from './webhook.js';

export const TYPE = 'google-workspace';

/** Least wait after a failed pass, whatever is due. */
const FAILURE_PAUSE_MS = 60_000;

/** `sleep` also replaces the wait between polls here: the tests move their clock by it. */
export interface GoogleWorkspaceSourceOptions extends PollingSourceOptions {
  /** Directory credentials_file resolves against. */
  baseDir?: string;
  /** Where the Drive inventory goes; required when drive.inventory is on. */
  files?: Inventory;
  /** Where Drive channels keep their last accepted message numbers across restarts (in memory when absent). */
  state?: DetectorState;
  /** The PII scanner (`pii.enabled`): files created, edited or shared, and those the inventory finds changed, are scanned. */
  scanner?: FileScanner;
}

class GoogleWorkspaceSource extends PollingSource<CursorState> implements WebhookSource {
  readonly #channels: DriveChannels | undefined;

  constructor(name: string, config: GoogleWorkspaceConfig, opts: GoogleWorkspaceSourceOptions) {
    // deps.logger is already the source's child: another child would repeat the `source` key.
    const logger = opts.logger;
    const now = opts.now ?? Date.now;
    if (config.drive.inventory && !opts.files) {
      throw errors.configInvalid({ path: `google-workspace source ${name}`, problem: 'drive.inventory is on but no file store was given' });
    }
    const w = config.drive.watch;
    const channels = w
      ? new DriveChannels({
          address: w.address,
          token: w.token,
          ttlMs: w.ttl,
          renewBeforeMs: w.renew_before,
          logger: logger ?? silent(),
          now,
          state: opts.state,
          stateKey: `source:${name}:drive-message-numbers`,
          maxMessageJump: w.max_message_jump,
        })
      : undefined;
    let clients: GoogleClients | undefined;
    // The key JSON is registered whole here; the private key, assertions and tokens as the client meets them.
    const redactor = new Redactor([config.credentials]);
    super({
      name,
      type: TYPE,
      label: 'Google Workspace',
      cursor: googleCursor,
      classify: (err) => (err instanceof SaaswatchError ? err : classifyGoogleError(err, 'Google Workspace')),
      redact: redactor,
      ...pollerSpec(config, opts),
      now,
      idle: opts.sleep,
      open: async (state, run) => {
        clients ??= createClients(config, await loadServiceAccount(config, opts.baseDir), redactor, opts.scanner !== undefined);
        return openSession(name, config, opts, clients, channels, state, run);
      },
    });
    this.#channels = channels;
  }

  webhookRoutes(): WebhookRoute[] {
    return this.#channels ? [this.#channels.route()] : [];
  }

  /** Exposed for tests and status output: notification counters of the Drive channel. */
  get channelStats(): DriveChannels['stats'] | undefined {
    return this.#channels?.stats;
  }
}

/** One run: Reports every poll_interval, Drive changes when due or notified, the inventory on its own interval. */
function openSession(
  name: string,
  config: GoogleWorkspaceConfig,
  opts: GoogleWorkspaceSourceOptions,
  clients: GoogleClients,
  channels: DriveChannels | undefined,
  state: CursorState,
  run: RunContext,
): PollSession<CursorState> {
  const logger = run.logger;
  const retry: RetryOptions = {
    ...run.retryOptions,
    ...(logger ? { logger } : {}),
  };
  const poll: PollContext = {
    source: name,
    config,
    retry,
    now: run.now,
    orgDomain: config.subject.split('@')[1]?.toLowerCase(),
    promised: new Map(),
  };
  const followChanges = config.drive.changes || config.drive.watch !== undefined;
  // Drive changes continue from a stored page token: after a pause they bring whatever happened
  // meanwhile, so they promise nothing until a drain in this run has read the feed to its end.
  if (followChanges) poll.promised.set(CHANGES, Number.NEGATIVE_INFINITY);
  const files = config.drive.inventory ? opts.files : undefined;
  const orgDomain = poll.orgDomain ?? '';
  channels?.restore(state.drive?.channel);
  // A notification wakes the runtime; the flag it sets (takePending) says the changes are due.
  channels?.onWake(() => run.wake());
  let nextReports = 0;
  let nextInventory = 0;
  const scanner = opts.scanner;
  const scanCtx: DriveScanContext = { drive: clients.drive, retry, orgDomain, source: name };
  /** Jobs the inventory found (new or changed content), scanned after it; their events go out in the next poll's first batch. */
  let inventoryJobs: ScanJob[] = [];
  let pendingScan: PolledBatch<CursorState> | undefined;
  /**
   * A listed file is scanned when it never was, when its content hash differs from the last scan's,
   * or (Docs Editors files, which have no hash) when it was modified since the last listing.
   */
  const queueInventoryScan = (f: DriveFileLike, previous: FileRecord | undefined): void => {
    const job = scanner ? driveScanJob(f, scanCtx) : undefined;
    if (!job || !scanner) return;
    const last = previous?.classification;
    const fresh = !last || (job.contentHash ? !scanner.isCurrent(job, last) : previous?.data.modifiedTime !== f.modifiedTime);
    if (fresh) inventoryJobs.push(job);
  };

  /**
   * The classified events of the files `events` touched, as a batch of their own after the events'
   * batch: the events commit first, and a scan that fails or is cut short leaves them in. No state:
   * it moves no cursor.
   */
  async function* scanBatch(events: PolledBatch<CursorState>['events']): AsyncGenerator<PolledBatch<CursorState>> {
    if (!scanner || run.signal.aborted) return;
    let jobs: ScanJob[];
    try {
      jobs = await scanJobsForEvents(events, scanCtx);
    } catch (err) {
      if (!run.signal.aborted) logger?.warn({ err }, 'Could not read Drive file metadata for a PII scan; the next change or inventory retries.');
      return;
    }
    if (!jobs.length) return;
    const out = await scanner.scanAll(jobs);
    if (out.events.length || out.deadLetters.length) yield { events: out.events, deadLetters: out.deadLetters, watermark: promisedWatermark(poll) };
  }

  /** A store failure here must not hold back the events themselves; the next listing repairs the inventory. */
  const applyFiles = async (events: PolledBatch<CursorState>['events'], store: Inventory): Promise<void> => {
    try {
      await applyFileEvents(events, { files: store, orgDomain });
    } catch (err) {
      logger?.warn({ err }, 'Could not apply Drive events to the file inventory.');
    }
  };

  /** Streams of this pass that failed, after their requests' own retries (withRetry). */
  let failures: SaaswatchError[] = [];
  /**
   * One stream's failure (a Reports application, the Alert Center, Drive changes) skips that
   * stream for this pass and lets the others advance: an alerts scope not delegated must not stop
   * the audit logs. Its cursor stays where its last committed batch left it, so the next pass
   * re-reads what it missed.
   */
  poll.isolate = (stream, raw) => {
    const classified = raw instanceof SaaswatchError ? raw : classifyGoogleError(raw, 'Google Workspace');
    const err = run.retryOptions.redact?.error(classified) ?? classified;
    failures.push(err);
    logger?.warn({ err, code: err.code, application: stream }, 'Google Workspace stream failed; skipped for this pass while the others go on.');
  };
  /** Runs one stream, setting its failure aside (an abort still ends the pass). */
  async function* isolated(stream: string, batches: AsyncGenerator<PolledBatch<CursorState>>): AsyncGenerator<PolledBatch<CursorState>> {
    try {
      yield* batches;
    } catch (err) {
      if (run.signal.aborted) throw err;
      poll.isolate!(stream, err);
    }
  }

  /** Drive changes: the stored position (and the push channel), then every change after it. */
  async function* driveChanges(state: CursorState, reportsDue: boolean): AsyncGenerator<PolledBatch<CursorState>> {
    let changed = await ensureStartPageToken(clients.drive, state, poll);
    if (channels && state.drive) {
      changed = (await channels.ensure(clients.drive, state.drive.pageToken, retry)) || changed;
      const ch = channels.current;
      if (ch) state.drive.channel = ch;
    }
    // The new position and channel commit before anything is read from them.
    if (changed) yield { events: [], deadLetters: [], state, watermark: promisedWatermark(poll) };
    // Taken before listing: a notification during the list sets it again and runs another.
    const notified = channels?.takePending() ?? false;
    // Drive changes arrive as they happen; the Reports applications' promise covers them.
    if (reportsDue || notified) {
      const drainStart = run.now();
      for await (const batch of pollChanges(clients.drive, state, poll)) {
        yield { ...batch, watermark: promisedWatermark(poll) };
        yield* scanBatch(batch.events);
      }
      // Read to the end of the feed: what changed before the drain began is in, within settle.
      if (!run.signal.aborted) {
        poll.promised.set(CHANGES, Math.max(poll.promised.get(CHANGES) ?? Number.NEGATIVE_INFINITY, drainStart - config.settle));
        yield { events: [], deadLetters: [], watermark: promisedWatermark(poll) };
      }
    }
  }

  return {
    async *pollOnce(state) {
      failures = [];
      let streams = 0;
      if (pendingScan) {
        const batch = pendingScan;
        pendingScan = undefined;
        yield { ...batch, watermark: promisedWatermark(poll) };
      }
      const started = run.now();
      const reportsDue = started >= nextReports;
      // Reports and Drive share one token: a key Google refuses fails them all, so it fails the
      // pass once here rather than once per stream. The token is cached for the requests after.
      if (reportsDue || followChanges) await withRetry('Google token', () => clients.auth.getAccessToken(), retry);
      if (reportsDue) {
        nextReports = started + config.poll_interval;
        streams += config.applications.length;
        for await (const batch of pollReports(clients.reports, state, poll)) {
          if (files) await applyFiles(batch.events, files);
          yield batch;
          yield* scanBatch(batch.events);
        }
        // Google's own findings, on the Reports schedule: Alert Center raises them minutes after the activity.
        if (clients.alerts && !run.signal.aborted) {
          streams++;
          const failed = failures.length;
          yield* isolated(ALERT_CENTER, pollAlerts(clients.alerts, state, poll));
          // Admins' feedback on them, through the same token: when the alerts were refused, so would it be.
          if (config.alert_center.feedback.enabled && failures.length === failed && !run.signal.aborted) {
            streams++;
            yield* isolated(ALERT_FEEDBACK, pollFeedback(clients.alerts, state, poll));
          }
        }
      }
      if (followChanges && !run.signal.aborted) {
        streams++;
        yield* isolated('drive_changes', driveChanges(state, reportsDue));
      }
      if (run.signal.aborted || failures.length === 0) return;
      // A retryable failure (its retries spent) fails the pass, after the other streams advanced:
      // the runtime's shared retry pauses and polls again. A refusal of every stream (the key
      // revoked, say) is the source's own failure; a refusal of some is only logged.
      const retryable = failures.find((f) => f.retryable);
      if (retryable) throw retryable;
      if (failures.length >= streams) throw failures[0]!;
    },
    async afterPoll() {
      if (!files || run.now() < nextInventory) return;
      nextInventory = run.now() + config.drive.inventory_interval;
      // Its own try: a failed inventory waits for its next interval while events keep flowing.
      try {
        await runInventory(clients.drive, {
          files,
          retry,
          now: run.now,
          orgDomain,
          logger,
          ...(scanner ? { onFile: (f: DriveFileLike, previous: FileRecord | undefined) => void queueInventoryScan(f, previous) } : {}),
        });
        if (scanner && inventoryJobs.length) {
          const jobs = inventoryJobs;
          inventoryJobs = [];
          // Classifications are stored now; the events wait for the next poll (in once-mode there is none: the inventory's scans are stored, not emitted).
          const out = await scanner.scanAll(jobs);
          if (out.events.length || out.deadLetters.length) {
            pendingScan = { events: [...(pendingScan?.events ?? []), ...out.events], deadLetters: [...(pendingScan?.deadLetters ?? []), ...out.deadLetters] };
            run.wake();
          }
        }
      } catch (err) {
        if (run.signal.aborted) return;
        logger?.warn({ err: err instanceof SaaswatchError ? (run.retryOptions.redact?.error(err) ?? err) : err }, 'Google Drive inventory failed; retrying at the next inventory interval.');
      }
    },
    nextPollIn({ failed }) {
      const until = Math.min(nextReports, files ? nextInventory : Infinity, channels ? channels.renewAt() : Infinity);
      // After a failure a channel renewal that is already due would otherwise retry at once, forever.
      const floor = failed ? Math.min(FAILURE_PAUSE_MS, config.poll_interval) : 0;
      return Math.max(floor, until - run.now());
    },
    close: () => channels?.onWake(undefined),
  };
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
  description:
    "Google Workspace audit logs (Admin SDK Reports: login, admin, drive, token, saml, user_accounts, groups, mobile, rules, calendar, chrome and more), Google's Alert Center findings, Drive changes with push notifications, and the Drive file inventory",
  configSchema: googleWorkspaceConfigSchema,
  example: normalizeExample,
  create(name: string, config: GoogleWorkspaceConfig, deps: PluginDeps): Source {
    return createGoogleWorkspaceSource(name, config, {
      logger: deps.logger,
      ...(deps.baseDir ? { baseDir: deps.baseDir } : {}),
      ...(deps.once ? { once: true } : {}),
      ...(deps.files ? { files: deps.files } : {}),
      ...(deps.state ? { state: deps.state } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.scanner ? { scanner: deps.scanner } : {}),
    });
  },
  actions: (_name, config, deps) => createGoogleWorkspaceActions(config, deps.baseDir ? { baseDir: deps.baseDir } : {}),
};
