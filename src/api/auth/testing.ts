/** What the auth tests share: an app over an in-memory store with a movable clock, accounts with cheap hashes, and the log it wrote. */
import { pino } from 'pino';
import type { Config } from '../../config/load.js';
import type { AccountRole, Store } from '../../core/store.js';
import { loggerOptions } from '../../log.js';
import { openStore } from '../../storage/index.js';
import type { Responder } from '../../actions/responder.js';
import { actorOfPrincipal, type ApiApp, type ApiContext, type RouteModule } from '../context.js';
import { createHttpApp } from '../http.js';
import { meta } from '../routes/meta.js';
import { authSchema, type AuthConfig } from './config.js';
import { createAuth } from './index.js';
import { hashPassword } from './password.js';

export const T0 = Date.parse('2026-03-02T09:00:00.000Z');
export const MIN = 60_000;
/** Cheap parameters (2^10) so tests hash fast; the parameters travel in the hash, so verifying is the same code. */
export const FAST_SCRYPT = { logN: 10, r: 8, p: 1 };

/** A state-changing route only an analyst may call, and a read any viewer may. */
export const probeRoutes: RouteModule = (app) => {
  app.post('/api/probe', { config: { role: 'analyst' }, handler: async (req) => ({ by: actorOfPrincipal(req.principal!) }) });
  app.get('/api/probe', { config: { role: 'viewer' }, handler: async (req) => ({ by: actorOfPrincipal(req.principal!) }) });
};

export interface AuthHarness {
  app: ApiApp;
  store: Store;
  /** Moves "now" for the app and the store alike. */
  advance(ms: number): void;
  now(): number;
  /** Every log line the app wrote, at trace level. */
  logs: string[];
  addAccount(email: string, role: AccountRole, password: string): Promise<void>;
  close(): Promise<void>;
}

export async function authHarness(o: { auth?: Record<string, unknown>; tls?: boolean; trustProxy?: boolean } = {}): Promise<AuthHarness> {
  let now = T0;
  const clock = () => now;
  const store = await openStore({ dialect: 'sqlite', path: ':memory:', now: clock });
  const logs: string[] = [];
  const logger = pino(loggerOptions('trace'), { write: (line: string) => void logs.push(line) });
  const ctx: ApiContext = { store, config: {} as Config, clock, logger, responder: {} as Responder };
  const config: AuthConfig = authSchema.parse({ lockout: { max_failures: 3, lock_for: '15m' }, ...o.auth });
  const auth = createAuth(ctx, config, { tls: o.tls ?? false });
  const app = await createHttpApp({ ctx, authenticate: auth.authenticate, routes: [meta, ...auth.routes, probeRoutes], ...(o.trustProxy === undefined ? {} : { trustProxy: o.trustProxy }) });
  return {
    app,
    store,
    logs,
    advance: (ms) => void (now += ms),
    now: clock,
    async addAccount(email, role, password) {
      await store.addAccount({ email, role, passwordHash: await hashPassword(password, FAST_SCRYPT) });
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}

/** The session cookie's value from a login's Set-Cookie. */
export function sessionCookie(setCookie: string | string[] | undefined): string {
  const line = [setCookie ?? []].flat().find((c) => c.startsWith('saaswatch_session='));
  return line ? line.split(';')[0]! : '';
}
