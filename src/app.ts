/** Wires a validated config into running parts: store, detectors, sinks, outbox and pipeline. */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Config, PluginInstance } from './config/load.js';
import { Responder } from './actions/responder.js';
import type { ApiContext } from './api/context.js';
import type { ApiParts } from './api/serve.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from './api/server.js';
import { DEFAULT_SINK_ROUTE, type ActionConnector, type Alert, isWebhookSource, systemClock, type Clock, type PluginDeps, type Sink, type Source, type Store, type WebhookRoute } from './core/index.js';
import { createEnrichers, enrichOptionsFromConfig, type EnrichOptions } from './enrich/index.js';
import { createLogger } from './log.js';
import { Muter } from './pipeline/mutes.js';
import { Outbox } from './pipeline/outbox.js';
import { alertRouter } from './pipeline/routing.js';
import { StagedState } from './pipeline/staged-state.js';
import { Pipeline, type IngestStats, type RunOptions } from './pipeline/pipeline.js';
import { lookupPlugin, registry, type Registry } from './registry.js';
import { ensurePrivateDir, openStore } from './storage/index.js';

export interface App {
  config: Config;
  logger: Logger;
  store: Store;
  pipeline: Pipeline;
  outbox: Outbox;
  /** Blocks, response actions and policies: the one audited path. */
  responder: Responder;
  sinks: Map<string, Sink>;
  deps: PluginDeps;
  createSource(instance: PluginInstance): Source;
  close(): Promise<void>;
}

export async function openConfiguredStore(config: Config, now?: Clock, logger?: Logger): Promise<Store> {
  const s = config.storage;
  const extra = { ...(now ? { now } : {}), ...(logger ? { logger } : {}) };
  if (s.type === 'sqlite') {
    // 0700 when created here: it holds the database and the alerts file.
    if (s.path !== ':memory:') ensurePrivateDir(config.dataDir);
    return openStore({ dialect: 'sqlite', path: s.path, ...extra });
  }
  return openStore({ dialect: 'postgres', url: s.url, schema: s.schema, poolSize: s.pool_size, ...extra });
}

export async function createApp(
  config: Config,
  opts: { logger?: Logger; registry?: Registry; once?: boolean; enrichOverrides?: EnrichOptions['overrides']; now?: Clock } = {},
): Promise<App> {
  const reg = opts.registry ?? registry;
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  // One clock for the store's stamps, the pollers, alerts and the outbox: a run pinned in time is pinned everywhere.
  const now = opts.now ?? systemClock;
  const store = await openConfiguredStore(config, now, logger);
  const state = new StagedState(store);
  // One scanner for every source, so pii.concurrency bounds the whole run's downloads. Imported only when
  // configured: the analyzer's NLP lexicon and phone metadata take most of a CLI command's start-up.
  const scanner = config.pii?.enabled ? (await import('./pii/scanner.js')).createFileScanner(config.pii, { inventory: store, logger: logger.child({ component: 'pii' }), now }) : undefined;
  const deps: PluginDeps = {
    logger,
    dataDir: config.dataDir,
    baseDir: config.file ? dirname(config.file) : process.cwd(),
    files: store,
    state,
    now,
    ...(opts.once ? { once: true } : {}),
    ...(scanner ? { scanner } : {}),
  };
  try {
    const detectors = config.detection.map((d) => lookupPlugin('detector', d.type, { registry: reg, path: `detection.${d.type}` }).create(d.config, { ...deps, logger: logger.child({ detector: d.type }) }));
    const sinks = new Map<string, Sink>();
    for (const s of config.sinks) {
      sinks.set(s.name, lookupPlugin('sink', s.type, { registry: reg, path: `sinks.${s.name}` }).create(s.name, s.config, { ...deps, logger: logger.child({ sink: s.name }) }));
    }
    // The store's inventory: a file scanned in an earlier run is known from the first event.
    const enrichers = await createEnrichers({ ...enrichOptionsFromConfig(config.enrich), files: store, ...(opts.enrichOverrides ? { overrides: opts.enrichOverrides } : {}) });
    // Routing is a plain function of the alert; mutes wrap it: a muted alert is stored, routed nowhere.
    const muter = new Muter({ store, config: config.alerting.mutes, now, logger });
    await muter.refresh();
    const routeBySink = alertRouter(config.sinks.map((s) => ({ sink: s.name, route: s.route ?? DEFAULT_SINK_ROUTE })));
    const route = (alert: Alert) => (muter.isMuted(alert) ? [] : routeBySink(alert));
    // Follow-ups go only to sinks that thread them; a file or webhook gets each alert once.
    const updateSinks = new Set([...sinks].filter(([, s]) => s.needs?.updates).map(([n]) => n));
    const responder = createResponder(config, { store, deps, logger, registry: reg, now, route, isMuted: (a) => muter.isMuted(a) !== undefined, saveOptions: { groupWindowMs: config.alerting.group_window, updates: updateSinks } });
    const pipeline = new Pipeline({
      store, detectors, route, groupWindowMs: config.alerting.group_window, updateSinks, logger, enrichers, state, now,
      onAlerts: (created) => void responder.onAlerts(created),
    });
    // Leases measure whether this process is alive, so they run on the wall clock even when `now` is pinned.
    const outbox = new Outbox(store, sinks, { logger, now, leaseClock: systemClock });
    return {
      config,
      logger,
      store,
      pipeline,
      outbox,
      responder,
      sinks,
      deps,
      // Sources get the store's state unstaged: what a webhook keeps (Drive message numbers) must be
      // committed before it answers, not with the next batch.
      createSource: (instance) =>
        lookupPlugin('source', instance.type, { registry: reg, path: `sources.${instance.name}` }).create(instance.name, instance.config, { ...deps, state: store, logger: logger.child({ source: instance.name }) }),
      async close() {
        scanner?.close();
        for (const sink of sinks.values()) await sink.close?.();
        await responder.close();
        await store.close();
      },
    };
  } catch (err) {
    scanner?.close();
    await store.close();
    throw err;
  }
}

/** The connectors of the configured sources that offer actions, by source name. Builds clients lazily: nothing is called. */
export function createConnectors(config: Config, deps: PluginDeps, logger: Logger, reg: Registry = registry): Map<string, ActionConnector> {
  const connectors = new Map<string, ActionConnector>();
  for (const s of config.sources) {
    const plugin = lookupPlugin('source', s.type, { registry: reg, path: `sources.${s.name}` });
    if (plugin.actions) connectors.set(s.name, plugin.actions(s.name, s.config, { ...deps, logger: logger.child({ source: s.name }) }));
  }
  return connectors;
}

/**
 * The responder over the configured sources that offer actions (each source's plugin builds its
 * connector from the same config it polls with; nothing is called until an action runs).
 */
export function createResponder(
  config: Config,
  o: { store: Store; deps: PluginDeps; logger: Logger; registry?: Registry; now?: Clock; route?: (a: Alert) => readonly string[]; isMuted?: (a: Alert) => boolean; saveOptions?: { groupWindowMs?: number; updates?: ReadonlySet<string> } },
): Responder {
  const connectors = createConnectors(config, o.deps, o.logger, o.registry);
  return new Responder({
    store: o.store,
    connectors,
    config: config.response,
    identities: config.enrich.identities,
    logger: o.logger.child({ component: 'response' }),
    ...(o.now ? { now: o.now } : {}),
    ...(o.route ? { route: o.route } : {}),
    ...(o.isMuted ? { isMuted: o.isMuted } : {}),
    ...(o.saveOptions ? { saveOptions: o.saveOptions } : {}),
  });
}

export interface RunSourcesOptions extends RunOptions {
  /** Where the sources' webhook routes are served; `false` serves none (one-shot polls). */
  listen: Pick<ApiServerOptions, 'host' | 'port' | 'tls' | 'trustProxy'> | false;
  /** Serve the JSON API on the same listener (a long-running `run`), with these parts; without it, only webhooks, and only if a source has some. */
  api?: (ctx: ApiContext) => Promise<ApiParts>;
  /** Called once the server listens, before the first batch. */
  onListening?: (server: ApiServer, routes: WebhookRoute[]) => void;
  /** How long to wait at the end for the outbox to deliver what the run raised. */
  drainMs?: number;
}

/**
 * Runs sources through the pipeline with their webhook routes served and the outbox delivering
 * alongside, then stops both and drains the outbox: the one way `run`, `ingest` and the demo run.
 */
export async function runSources(app: App, sources: Source[], opts: RunSourcesOptions): Promise<IngestStats> {
  const outboxStop = new AbortController();
  const outboxRun = app.outbox.run(outboxStop.signal);
  const responderRun = app.responder.run(outboxStop.signal);
  let server: ApiServer | undefined;
  let stats: IngestStats;
  try {
    const routes = opts.listen ? sources.filter(isWebhookSource).flatMap((s) => s.webhookRoutes()) : [];
    if (opts.listen && (routes.length || opts.api)) {
      let api: Pick<ApiServerOptions, 'api' | 'plugins'> = {};
      if (opts.api) {
        const ctx: ApiContext = { store: app.store, config: app.config, clock: app.deps.now ?? systemClock, logger: app.logger, responder: app.responder };
        const parts = await opts.api(ctx);
        api = { api: { ctx, authenticate: parts.authenticate, extraRoutes: parts.extraRoutes }, plugins: parts.plugins };
      }
      server = await startApiServer({ ...opts.listen, routes, logger: app.logger, ...api });
      opts.onListening?.(server, routes);
    }
    stats = await app.pipeline.run(sources, opts);
  } finally {
    await server?.close();
    outboxStop.abort();
    await outboxRun;
    await responderRun;
  }
  // What the last alerts asked for and is due now runs before the outbox drains: a rate-limit alert it raises goes out too.
  await app.responder.drain();
  // Only after a clean run: a failing one should report its error, not wait on deliveries first.
  await app.outbox.drain({ timeoutMs: opts.drainMs ?? 30_000 });
  return stats;
}
