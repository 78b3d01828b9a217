/** Wires a validated config into running parts: store, detectors, sinks, outbox and pipeline. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Config, PluginInstance } from './config/load.js';
import type { PluginDeps, Sink, Source, Store } from './core/index.js';
import { createEnrichers, enrichOptionsFromConfig, type EnrichOptions } from './enrich/index.js';
import { createLogger } from './log.js';
import { Outbox } from './pipeline/outbox.js';
import { Pipeline } from './pipeline/pipeline.js';
import type { RetryPolicy } from './pipeline/retry.js';
import { registry, type Registry } from './registry.js';
import { openStore } from './storage/index.js';

export interface App {
  config: Config;
  logger: Logger;
  store: Store;
  pipeline: Pipeline;
  outbox: Outbox;
  sinks: Map<string, Sink & { retryPolicy?: RetryPolicy }>;
  deps: PluginDeps;
  createSource(instance: PluginInstance): Source;
  close(): Promise<void>;
}

export async function openConfiguredStore(config: Config): Promise<Store> {
  const s = config.storage;
  if (s.type === 'sqlite') {
    if (s.path !== ':memory:') mkdirSync(config.dataDir, { recursive: true });
    return openStore({ dialect: 'sqlite', path: s.path });
  }
  return openStore({ dialect: 'postgres', url: s.url, schema: s.schema, poolSize: s.pool_size });
}

export async function createApp(
  config: Config,
  opts: { logger?: Logger; registry?: Registry; once?: boolean; enrichOverrides?: EnrichOptions['overrides'] } = {},
): Promise<App> {
  const reg = opts.registry ?? registry;
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const store = await openConfiguredStore(config);
  const deps: PluginDeps = {
    logger,
    dataDir: config.dataDir,
    baseDir: config.file ? dirname(config.file) : process.cwd(),
    files: store,
    state: store,
    ...(opts.once ? { once: true } : {}),
  };
  try {
    const detectors = config.detection.map((d) => reg.detectors.get(d.type)!.create(d.config, { ...deps, logger: logger.child({ detector: d.type }) }));
    const sinks = new Map<string, Sink & { retryPolicy?: RetryPolicy }>();
    for (const s of config.sinks) {
      sinks.set(s.name, reg.sinks.get(s.type)!.create(s.name, s.config, { ...deps, logger: logger.child({ sink: s.name }) }));
    }
    const enrichers = await createEnrichers({ ...enrichOptionsFromConfig(config.enrich), ...(opts.enrichOverrides ? { overrides: opts.enrichOverrides } : {}) });
    const pipeline = new Pipeline({ store, detectors, sinkNames: [...sinks.keys()], logger, enrichers });
    const outbox = new Outbox(store, sinks, { logger });
    return {
      config,
      logger,
      store,
      pipeline,
      outbox,
      sinks,
      deps,
      createSource: (instance) =>
        reg.sources.get(instance.type)!.create(instance.name, instance.config, { ...deps, logger: logger.child({ source: instance.name }) }),
      async close() {
        for (const sink of sinks.values()) await sink.close?.();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
