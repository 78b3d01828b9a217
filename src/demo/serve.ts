/**
 * `saaswatch serve --demo` without the waiting: the demo's database served with a fresh dashboard login,
 * and the relay answering from the demo run's Graph alerts (fakes started for as long as it serves).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addAccount, setPassword } from '../api/auth/accounts.js';
import { relaySchema } from '../api/relay/config.js';
import type { ApiContext } from '../api/context.js';
import { createGraphSightings } from '../api/relay/graph/index.js';
import { relayPlugin } from '../api/relay/plugin.js';
import { apiParts, startServe, type ApiParts, type Serving } from '../api/serve.js';
import { loadConfig, type Config } from '../config/load.js';
import type { Clock } from '../core/index.js';
import type { Logger } from '../log.js';
import { registry } from '../registry.js';
import { DEMO_RELAY_TOKEN_FILE, demoScenario, readDemoRun, relayCurl, startDemoRelayFakes, type DemoRelayFakes } from './relay.js';

/** The demo's login: reset to a new password each time `serve --demo` starts, and printed. */
export const DEMO_ADMIN = 'admin@demo.example';
const DAY = 86_400_000;

export interface DemoServing {
  serving: Serving;
  /** The dashboard login's new password (undefined only if the store kept an existing one). */
  password: string | undefined;
  /** Absent for a demo data dir that recorded no run (an older demo's). */
  relay?: { ip: string; token: string; curl: string; fakes: DemoRelayFakes };
  close(): Promise<void>;
}

/** Serves `<dir>/demo.yml` (which must exist); `listen` overrides its server's host and port. */
export async function startDemoServe(dir: string, now: Clock, o: { host?: string; port?: number; logger?: Logger; out?: (line: string) => void } = {}): Promise<DemoServing> {
  const say = o.out ?? (() => undefined);
  let config: Config = loadConfig(registry, { path: join(dir, 'demo.yml') });
  if (o.host !== undefined || o.port !== undefined) {
    config = { ...config, server: { ...config.server, ...(o.host === undefined ? {} : { host: o.host }), ...(o.port === undefined ? {} : { port: o.port }) } };
  }
  const run = readDemoRun(dir);
  let fakes: DemoRelayFakes | undefined;
  if (run) {
    fakes = await startDemoRelayFakes(demoScenario(run), now);
    config = { ...config, relay: relaySchema.parse(fakes.relay) };
  } else {
    say(`no demo run recorded in ${dir} (demo.json): the relay is off; run \`saaswatch demo\` again to have it`);
  }
  let serving: Serving;
  try {
    const relayFakes = fakes;
    // Graph's half looks back 30 days from its now: for a run that ended long ago, its now is moved
    // back to a day after the run's end, so the demo's alerts are found whatever today's date.
    const shift = run ? Math.max(0, now() - (Date.parse(run.end) + DAY)) : 0;
    const parts = async (ctx: ApiContext): Promise<ApiParts> => {
      const base = await apiParts({ ...ctx, config: { ...ctx.config, relay: { ...ctx.config.relay, enabled: false } } });
      if (!relayFakes) return base;
      const graph = createGraphSightings({ graphUrl: relayFakes.graph.url, loginUrl: relayFakes.graph.loginUrl, legacyAlerts: true, now: () => now() - shift });
      return { ...base, plugins: [...base.plugins, relayPlugin(ctx, ctx.config.relay, { graph })] };
    };
    serving = await startServe(config, { now, parts, ...(o.logger ? { logger: o.logger } : {}) });
  } catch (err) {
    await fakes?.close();
    throw err;
  }
  const close = async () => {
    await serving.close();
    await fakes?.close();
  };
  try {
    const store = serving.ctx.store;
    const actor = 'cli:serve --demo';
    const login = (await store.getAccount(DEMO_ADMIN)) ? await setPassword(store, DEMO_ADMIN, undefined, actor) : await addAccount(store, { email: DEMO_ADMIN, role: 'admin' }, actor);
    let relay: DemoServing['relay'];
    if (fakes) {
      const token = await fakes.mint();
      // The curl `saaswatch demo` printed reads the token from here.
      writeFileSync(join(dir, DEMO_RELAY_TOKEN_FILE), token, { mode: 0o600 });
      relay = { ip: fakes.ip, token, curl: relayCurl(serving.server.url, token, fakes.ip, config.relay.prefix), fakes };
    }
    return { serving, password: login.password, ...(relay ? { relay } : {}), close };
  } catch (err) {
    await close();
    throw err;
  }
}
