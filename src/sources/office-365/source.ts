/** The office-365 source plugin: the Office 365 Management Activity API (SharePoint/OneDrive, Exchange, Entra and general audit content) over plain fetch. */
import { Redactor, type PluginDeps, type SourcePlugin } from '../../core/index.js';
import { pollerSpec } from '../../pipeline/polling-config.js';
import { PollingSource, pollingOptions, type PollingSourceOptions } from '../../pipeline/polling.js';
import { createOffice365Client, toSaaswatchError } from './client.js';
import { office365ConfigSchema, type ContentType, type Office365Config } from './config.js';
import { normalizeExample } from './normalize.js';
import { office365Cursor, pollContentTypes, type Office365Cursor, type PollContext } from './poller.js';

export { office365ConfigSchema, type Office365Config, type Office365ConfigInput } from './config.js';

export const TYPE = 'office-365';

export interface Office365SourceOptions extends PollingSourceOptions {
  /** The fetch the token and API requests go through (tests may wrap it). */
  fetch?: typeof fetch;
}

export class Office365Source extends PollingSource<Office365Cursor> {
  constructor(name: string, config: Office365Config, opts: Office365SourceOptions = {}) {
    // Shared by the token provider, the client and the runtime; access tokens join it as they are issued.
    const redactor = new Redactor([config.client_secret]);
    // Known for the life of the source: a started subscription stays started across polls.
    const subscribed = new Set<ContentType>();
    const skipped = new Set<ContentType>();
    super({
      name,
      type: TYPE,
      label: 'Office 365',
      cursor: office365Cursor,
      classify: (err) => toSaaswatchError(err),
      redact: redactor,
      ...pollerSpec(config, opts),
      open: (_state, run) => {
        const client = createOffice365Client({ config, signal: run.signal, redactor, ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.now ? { now: opts.now } : {}) });
        const poll: PollContext = { source: name, config, client, run, now: run.now, signal: run.signal, logger: opts.logger, promised: new Map(), subscribed, skipped };
        return { pollOnce: (state) => pollContentTypes(state, poll) };
      },
    });
  }
}

export function createOffice365Source(name: string, config: Office365Config, options: Office365SourceOptions = {}): Office365Source {
  return new Office365Source(name, config, options);
}

export const office365Plugin: SourcePlugin<Office365Config> = {
  type: TYPE,
  description: 'Office 365 Management Activity API: SharePoint/OneDrive, Exchange, Entra and general audit records (plain fetch; no maintained SDK exists)',
  configSchema: office365ConfigSchema,
  example: normalizeExample,
  create(name: string, config: Office365Config, deps: PluginDeps): Office365Source {
    return createOffice365Source(name, config, pollingOptions(deps));
  },
};
