/** The http-json source plugin: any endpoint that answers JSON or JSONL with an API key, polled on the shared runtime and mapped like json-logs. */
import type { PluginDeps, SourcePlugin } from '../../core/index.js';
import { Redactor, SaaswatchError } from '../../core/index.js';
import { pollerSpec } from '../../pipeline/polling-config.js';
import { PollingSource, pollingOptions, type PollingSourceOptions } from '../../pipeline/polling.js';
import { classifyRequestError } from '../../pipeline/retry.js';
import { createHttpJsonClient } from './client.js';
import { httpJsonConfigSchema, type HttpJsonConfig } from './config.js';
import { createPageNormalizer } from './normalize.js';
import { httpJsonCursor, pollHttpJson, type HttpJsonState } from './poller.js';

export { httpJsonConfigSchema, type HttpJsonConfig, type HttpJsonConfigInput } from './config.js';

export const TYPE = 'http-json';

export interface HttpJsonSourceOptions extends PollingSourceOptions {
  fetch?: typeof fetch;
}

export class HttpJsonSource extends PollingSource<HttpJsonState> {
  constructor(name: string, config: HttpJsonConfig, opts: HttpJsonSourceOptions = {}) {
    const target = `http-json source ${name}`;
    const redactor = new Redactor([config.auth?.value]);
    super({
      name,
      type: TYPE,
      label: 'HTTP JSON',
      cursor: httpJsonCursor,
      classify: (err) => (err instanceof SaaswatchError ? err : classifyRequestError(err, { timedOut: false, target })),
      redact: redactor,
      ...pollerSpec(config, opts),
      open: (_state, ctx) => {
        const client = createHttpJsonClient({
          target,
          auth: config.auth,
          timeoutMs: config.timeout,
          maxBodyBytes: config.max_body_bytes,
          signal: ctx.signal,
          redactor,
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        });
        const poller = { name, config, get: client.get, normalize: createPageNormalizer(name, config, ctx.now) };
        const promised = { at: Number.NEGATIVE_INFINITY };
        return { pollOnce: (state, c) => pollHttpJson(poller, state, c, promised) };
      },
    });
  }
}

export function createHttpJsonSource(name: string, config: HttpJsonConfig, options: HttpJsonSourceOptions = {}): HttpJsonSource {
  return new HttpJsonSource(name, config, options);
}

export const httpJsonPlugin: SourcePlugin<HttpJsonConfig> = {
  type: TYPE,
  description: 'Any HTTP endpoint answering JSON or JSONL (API key or bearer token), paged by next link, cursor or time window, mapped like json-logs',
  configSchema: httpJsonConfigSchema,
  create(name: string, config: HttpJsonConfig, deps: PluginDeps): HttpJsonSource {
    return createHttpJsonSource(name, config, pollingOptions(deps));
  },
};
