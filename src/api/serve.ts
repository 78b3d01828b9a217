/** `saaswatch serve`: the store's API (and what is mounted beside it) over HTTP, with no source running; and the listener settings `run` shares. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { createResponder, openConfiguredStore } from '../app.js';
import type { Config } from '../config/load.js';
import { systemClock, type Clock } from '../core/clock.js';
import { errorMessage, errors } from '../core/errors.js';
import { createLogger } from '../log.js';
import { createAuth } from './auth/index.js';
import { relayPlugin } from './relay/plugin.js';
import { ensureWebBuilt, webUiRoutes } from './web.js';
import type { ApiContext, RouteModule } from './context.js';
import type { HttpAppOptions } from './http.js';
import { startApiServer, type ApiServer, type ApiServerOptions, type ServerPlugin } from './server.js';

/** What the API is served with besides its routes: who a request comes from, the auth routes, the dashboard. */
export interface ApiParts {
  authenticate: HttpAppOptions['authenticate'];
  extraRoutes: RouteModule[];
  plugins: ServerPlugin[];
}

/**
 * The one place `serve` and `run` get authentication and the dashboard from: the accounts, sessions
 * and tokens of `server.auth` (their login and admin routes beside the data routes), the dashboard,
 * and the CTIM relay when `relay.enabled`.
 */
export async function apiParts(ctx: ApiContext): Promise<ApiParts> {
  const auth = createAuth(ctx, ctx.config.server.auth, { tls: ctx.config.server.tls !== undefined });
  // Built (in a source checkout, when web/ changed) before anything else runs: a build beside a demo's backfill starves it.
  await ensureWebBuilt({ logger: ctx.logger });
  const plugins = ctx.config.relay.enabled ? [relayPlugin(ctx, ctx.config.relay)] : [];
  return { authenticate: auth.authenticate, extraRoutes: [...auth.routes, webUiRoutes], plugins };
}

export type ListenOptions = Pick<ApiServerOptions, 'host' | 'port' | 'tls' | 'trustProxy'>;

/** `server:` of the config as listener options: the certificate and key read (relative to the config file) and checked now, not at the first client. */
export function listenOptions(config: Config): ListenOptions {
  const s = config.server;
  const out: ListenOptions = { host: s.host, port: s.port };
  if (s.trust_proxy !== false) out.trustProxy = s.trust_proxy;
  if (s.tls) {
    const base = config.file ? dirname(config.file) : process.cwd();
    const read = (key: 'cert_file' | 'key_file') => {
      const file = resolve(base, s.tls![key]);
      try {
        return readFileSync(file);
      } catch (err) {
        throw errors.configInvalid({ path: `server.tls.${key}`, problem: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, fix: 'point it at a readable PEM file' });
      }
    };
    const tls = { cert: read('cert_file'), key: read('key_file') };
    try {
      createSecureContext(tls);
    } catch (err) {
      // Node's text says what is wrong with the PEM (no key material is in it).
      throw errors.configInvalid({ path: 'server.tls', problem: `the certificate and key are not a usable pair: ${errorMessage(err)}`, fix: 'give a PEM certificate and the private key it was issued for' });
    }
    out.tls = tls;
  }
  return out;
}

export interface Serving {
  server: ApiServer;
  ctx: ApiContext;
  close(): Promise<void>;
}

/**
 * Opens the store and serves the API on `server:` until close(): no source polls, no webhook is
 * received, no alert is raised. Blocks and triage from the API go through the responder, audited as
 * the CLI's are.
 */
export async function startServe(config: Config, opts: { logger?: Logger; now?: Clock; parts?: (ctx: ApiContext) => Promise<ApiParts> } = {}): Promise<Serving> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const now = opts.now ?? systemClock;
  const store = await openConfiguredStore(config, now, logger);
  try {
    const deps = { logger, dataDir: config.dataDir, files: store, state: store, now, ...(config.file ? { baseDir: dirname(config.file) } : {}) };
    const responder = createResponder(config, { store, deps, logger, now });
    const ctx: ApiContext = { store, config, clock: now, logger, responder };
    let server: ApiServer;
    try {
      const parts = await (opts.parts ?? apiParts)(ctx);
      server = await startApiServer({
        ...listenOptions(config),
        routes: [],
        logger,
        api: { ctx, authenticate: parts.authenticate, extraRoutes: parts.extraRoutes },
        plugins: parts.plugins,
      });
    } catch (err) {
      await responder.close();
      throw err;
    }
    return {
      server,
      ctx,
      async close() {
        await server.close();
        await responder.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
