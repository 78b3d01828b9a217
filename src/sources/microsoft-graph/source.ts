/** The microsoft-graph source plugin: Entra sign-ins of every kind, directory audits, Identity Protection, Defender alerts and the user-reported-mail mailbox through the official Graph SDK. */
import { Redactor, type PluginDeps, type SourcePlugin } from '../../core/index.js';
import type { SaaswatchError } from '../../core/index.js';
import { pollerSpec } from '../../pipeline/polling-config.js';
import { PollingSource, pollingOptions, type PolledBatch, type PollingSourceOptions } from '../../pipeline/polling.js';
import { createGraphClient, graphSdkOptions, toSaaswatchError } from './client.js';
import { microsoftGraphActions } from './actions.js';
import { microsoftGraphConfigSchema, type MicrosoftGraphConfig } from './config.js';
import { graphCursor, pollReportedMail, pollWindowed, promiseStarts, type GraphCursor, type PollContext } from './poller.js';
import { normalizeExample } from './normalize.js';

export { microsoftGraphConfigSchema, type MicrosoftGraphConfig, type MicrosoftGraphConfigInput } from './config.js';

export const TYPE = 'microsoft-graph';

export interface MicrosoftGraphSourceOptions extends PollingSourceOptions {
  /** The fetch the SDK and the token request go through (tests may wrap it). */
  fetch?: typeof fetch;
}

export class MicrosoftGraphSource extends PollingSource<GraphCursor> {
  constructor(name: string, config: MicrosoftGraphConfig, opts: MicrosoftGraphSourceOptions = {}) {
    // Shared by the token provider, the client and the runtime; access tokens join it as they are issued.
    const redactor = new Redactor([config.client_secret]);
    super({
      name,
      type: TYPE,
      label: 'Microsoft Graph',
      cursor: graphCursor,
      classify: (err) => toSaaswatchError(err),
      redact: redactor,
      ...pollerSpec(config, opts),
      open: (_state, run) => {
        const client = createGraphClient({
          ...graphSdkOptions(config),
          ...(config.mailbox ? { mailbox: config.mailbox } : {}),
          signal: run.signal,
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
          ...(opts.now ? { now: opts.now } : {}),
          redactor,
        });
        const poll: PollContext & { redactor: Redactor } = { source: name, config, client, redactor, now: run.now, signal: run.signal, logger: opts.logger, run, promised: new Map() };
        return { pollOnce: (state) => pollStreams(state, poll) };
      },
    });
  }
}

/**
 * True when Graph refused one stream's resource (403: a permission or licence that stream needs; 404:
 * its mailbox or folder), as opposed to the app's credential (401, or the token endpoint's AADSTS
 * refusals), which refuses every stream alike.
 */
export function isStreamRefusal(e: SaaswatchError): boolean {
  const status = e.details?.status;
  return (status === 403 || status === 404) && e.details?.aadsts === undefined;
}

/**
 * One pass over every stream. A stream whose failure outlasts its retries waits for the next poll
 * (resuming from its own position in the cursor) while the others are still read; the pass then
 * fails with it, so the runtime logs it once, and windowed detection waits for that stream's promise.
 * A stream Graph refuses (a permission not granted, a licence the tenant lacks) is logged and skipped
 * for this pass, its place kept, so one missing grant does not blind the others; only when every
 * stream is refused does the source stop. A refused credential stops it at once.
 */
async function* pollStreams(state: GraphCursor, poll: PollContext & { redactor: Redactor }): AsyncGenerator<PolledBatch<GraphCursor>> {
  promiseStarts(state, poll);
  let deferred: SaaswatchError | undefined;
  let refused: SaaswatchError | undefined;
  let refusals = 0;
  for (const stream of poll.config.streams) {
    if (poll.signal.aborted) return;
    try {
      yield* stream === 'reported_mail' ? pollReportedMail(state, poll) : pollWindowed(stream, state, poll);
    } catch (err) {
      if (poll.signal.aborted) return;
      const e = poll.redactor.error(toSaaswatchError(err, { stream, ...(poll.config.mailbox ? { mailbox: poll.config.mailbox } : {}) }));
      if (!e.retryable && isStreamRefusal(e)) {
        poll.logger?.warn({ err: e, stream }, 'Microsoft Graph refused a stream; it is skipped this poll and the other streams are still read.');
        refused ??= e;
        refusals++;
        continue;
      }
      // A refused credential will not fix itself and refuses every stream: stop and say so.
      if (!e.retryable) throw e;
      poll.logger?.warn({ stream, err: e }, 'Microsoft Graph stream failed; the other streams are still read.');
      deferred ??= e;
    }
  }
  if (refused && refusals === poll.config.streams.length) throw refused;
  if (deferred) throw deferred;
}

export function createMicrosoftGraphSource(name: string, config: MicrosoftGraphConfig, options: MicrosoftGraphSourceOptions = {}): MicrosoftGraphSource {
  return new MicrosoftGraphSource(name, config, options);
}

export const microsoftGraphPlugin: SourcePlugin<MicrosoftGraphConfig> = {
  type: TYPE,
  description: 'Microsoft Entra sign-ins (interactive, non-interactive, service principal, managed identity), directory audits, Identity Protection risk detections and risky users, Defender security alerts and the user-reported-phishing mailbox, through Microsoft Graph',
  configSchema: microsoftGraphConfigSchema,
  example: normalizeExample,
  create(name: string, config: MicrosoftGraphConfig, deps: PluginDeps): MicrosoftGraphSource {
    return createMicrosoftGraphSource(name, config, pollingOptions(deps));
  },
  actions: microsoftGraphActions,
};
