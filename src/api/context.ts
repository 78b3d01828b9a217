/** What every API route module is given, and the types that bind a route to the server's authentication. */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Responder } from '../actions/responder.js';
import type { Config } from '../config/load.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../core/store.js';

/** Roles, least to most: a viewer reads; an analyst also triages and blocks; an admin also manages users, tokens and config. */
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 1, analyst: 2, admin: 3 };

/** Whether `has` is allowed what `needs` is. */
export const roleAllows = (has: Role, needs: Role): boolean => ROLE_RANK[has] >= ROLE_RANK[needs];

/** Who is asking: an account, through a session cookie or an API token. */
export interface Principal {
  email: string;
  role: Role;
  via: 'session' | 'token';
  /** The API token's id (never the token), when a token authenticated. */
  tokenId?: string;
}

/** The audit log's actor for a request: the account, marked as coming from the API. */
export const actorOfPrincipal = (p: Principal): string => (p.via === 'token' ? `api:${p.email}` : `web:${p.email}`);

export interface ApiContext {
  store: Store;
  config: Config;
  /** "Now" for every route: pinned in tests, the system clock otherwise. */
  clock: Clock;
  logger: Logger;
  /** Blocks and response actions go through it, so they are audited like the CLI's. */
  responder: Responder;
}

export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** One file of routes: `(app, ctx) => { app.get(...) }`, listed once in routes/index.ts. */
export type RouteModule = (app: ApiApp, ctx: ApiContext) => void | Promise<void>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook before any handler with a role runs; absent only on public routes. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /**
     * Who may call the route: the least role, or 'public' (health, login, webhooks that verify
     * their own signatures). A route without it answers nobody: the server fails closed.
     */
    role?: Role | 'public';
  }
}
