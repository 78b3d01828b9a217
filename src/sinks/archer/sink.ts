/**
 * Archer sink: each alert (or alert group) is one incident record, found again by its key before
 * anything is created, so a repeat, a restart or a lost database updates it instead of making a second.
 */
import type { Logger } from 'pino';
import type { Alert, DeliveryContext, PluginDeps, RetryPolicy, Sink, SinkNeeds, SinkPlugin } from '../../core/index.js';
import { Redactor, SaaswatchError } from '../../core/index.js';
import { classifyRequestError } from '../../pipeline/retry.js';
import { retryPolicyOf, sinkFetch } from '../http-config.js';
import { ArcherClient, type ArcherContent } from './client.js';
import { archerConfigSchema, type ArcherConfig } from './config.js';
import { incidentKey, incidentUpdate, newIncident, readTrail, storedKey } from './format.js';

export { archerConfigSchema, type ArcherConfig } from './config.js';

/** How long close() gives the logout: shutdown should not wait on a slow Archer. */
const LOGOUT_TIMEOUT_MS = 5_000;

export interface ArcherSinkOptions {
  logger?: Logger;
  now?: () => number;
  /** Replaces the guarded fetch (tests); the SSRF guard is then the caller's. */
  fetch?: typeof fetch;
}

export class ArcherSink implements Sink {
  readonly type = 'archer';
  readonly retryPolicy: RetryPolicy;
  readonly needs: SinkNeeds = { evidence: 5, updates: true };
  readonly target: string;
  readonly #config: ArcherConfig;
  readonly #client: ArcherClient;
  readonly #redactor: Redactor;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;

  constructor(
    readonly name: string,
    config: ArcherConfig,
    opts: ArcherSinkOptions = {},
  ) {
    this.#config = config;
    const url = new URL(config.base_url);
    this.target = url.host;
    const target = `archer ${url.host}`;
    this.#now = opts.now ?? Date.now;
    this.#logger = opts.logger;
    this.#redactor = new Redactor([config.password, url.password]);
    this.#client = new ArcherClient({
      baseUrl: config.base_url,
      instance: config.instance,
      username: config.username,
      password: config.password,
      userDomain: config.user_domain,
      fetch: opts.fetch ?? sinkFetch(name, config, target),
      timeoutMs: config.timeout,
      target,
      redactor: this.#redactor,
      now: this.#now,
    });
    this.retryPolicy = retryPolicyOf(config);
  }

  async deliver(alert: Alert, ctx: DeliveryContext): Promise<void> {
    const key = incidentKey(alert, ctx);
    const refKey = `incident:${key}`;
    try {
      let id = await this.#known(refKey, key, ctx);
      const existing = id === undefined ? undefined : await this.#client.get(id, ctx.signal);
      if (!existing) {
        // Not there (or deleted by an analyst since): a new incident.
        id = await this.#client.create(newIncident(this.#config, alert, ctx), ctx.signal);
        await ctx.refs?.put(refKey, String(id));
        this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId, contentId: id }, 'archer incident created');
        return;
      }
      const record = { ...existing, Id: id! };
      const description = existing.FieldContents[String(this.#config.fields.description)]?.Value;
      if (typeof description === 'string' && readTrail(description).some((t) => t.deliveryId === ctx.deliveryId)) {
        // This delivery reached the incident before (a crash or a lost answer): nothing to add.
        await ctx.refs?.put(refKey, String(id));
        this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId, contentId: id }, 'archer incident already has this delivery');
        return;
      }
      await this.#client.update(incidentUpdate(this.#config, record, alert, ctx, this.#now()), ctx.signal);
      await ctx.refs?.put(refKey, String(id));
      this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId, contentId: id, kind: ctx.kind ?? 'alert' }, 'archer incident updated');
    } catch (err) {
      const e = err instanceof SaaswatchError ? err : classifyRequestError(err, { timedOut: false, target: `archer ${this.target}` });
      throw this.#redactor.error(e);
    }
  }

  /** The incident's content id: saved on an earlier delivery, else asked of Archer by its key. */
  async #known(refKey: string, key: string, ctx: DeliveryContext): Promise<number | undefined> {
    const saved = await ctx.refs?.get(refKey);
    if (saved !== undefined && /^\d+$/.test(saved)) return Number(saved);
    const dk = this.#config.fields.dedup_key;
    if (!dk || !this.#config.content_api_alias) return undefined;
    const ids = await this.#client.findBy(this.#config.content_api_alias, dk.alias, storedKey(key), ctx.signal);
    if (ids.length > 1) this.#logger?.warn({ sink: this.name, contentIds: ids }, 'several archer incidents carry one saaswatch key; updating the oldest');
    return ids.length ? Math.min(...ids) : undefined;
  }

  async close(): Promise<void> {
    if (!this.#client.loggedIn) return;
    try {
      await this.#client.logout(AbortSignal.timeout(LOGOUT_TIMEOUT_MS));
    } catch (err) {
      this.#logger?.warn({ sink: this.name, err: this.#redactor.error(err instanceof SaaswatchError ? err : classifyRequestError(err, { timedOut: false, target: `archer ${this.target}` })) }, 'archer logout failed');
    }
  }
}

export type { ArcherContent };

/** Typed with `satisfies` so create() keeps returning the concrete sink. */
export const archerSinkPlugin = {
  type: 'archer',
  description: 'Creates and updates RSA Archer incident records (Platform REST API), one per alert or alert group',
  configSchema: archerConfigSchema,
  create(name: string, config: ArcherConfig, deps: PluginDeps): ArcherSink {
    return new ArcherSink(name, config, { logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) });
  },
} satisfies SinkPlugin<ArcherConfig>;
