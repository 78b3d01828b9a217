/** Admin only: the accounts that may log in, and the API tokens scripts use (a new token is shown once). */
import { z } from 'zod';
import type { Account, ApiToken } from '../../core/store.js';
import { addAccount, changeAccount, issueToken, removeAccount, revokeToken } from '../auth/accounts.js';
import { MAX_PASSWORD, MIN_PASSWORD } from '../auth/password.js';
import { actorOfPrincipal, ROLES, type RouteModule } from '../context.js';

const accountSchema = z.object({ email: z.string(), role: z.enum(ROLES), disabled: z.boolean(), created_at: z.string(), last_login_at: z.string().nullable() });
const tokenSchema = z.object({ id: z.string(), name: z.string(), email: z.string(), created_at: z.string(), last_used_at: z.string().nullable(), expires_at: z.string().nullable() });
const emailParams = z.object({ email: z.string().min(1).max(320) });

const accountJson = (a: Account) => ({ email: a.email, role: a.role, disabled: a.disabled, created_at: a.createdAt, last_login_at: a.lastLoginAt ?? null });
const tokenJson = (t: ApiToken) => ({ id: t.id, name: t.name, email: t.email, created_at: t.createdAt, last_used_at: t.lastUsedAt ?? null, expires_at: t.expiresAt ?? null });

export const accountRoutes: RouteModule = (app, ctx) => {
  const { store } = ctx;
  const admin = { role: 'admin' } as const;

  app.get('/api/accounts', {
    config: admin,
    schema: { tags: ['accounts'], summary: 'Every account, by email', response: { 200: z.object({ items: z.array(accountSchema) }) } },
    handler: async () => ({ items: (await store.listAccounts()).map(accountJson) }),
  });

  app.post('/api/accounts', {
    config: admin,
    schema: {
      tags: ['accounts'],
      summary: 'Add an account; without a password one is generated and answered once',
      body: z.object({ email: z.string().min(3).max(320), role: z.enum(ROLES), password: z.string().min(MIN_PASSWORD).max(MAX_PASSWORD).optional() }),
      response: { 201: z.object({ account: accountSchema, password: z.string().optional() }) },
    },
    handler: async (req, reply) => {
      const { account, password } = await addAccount(store, req.body, actorOfPrincipal(req.principal!));
      return reply.status(201).header('cache-control', 'no-store').send({ account: accountJson(account), ...(password ? { password } : {}) });
    },
  });

  app.patch('/api/accounts/:email', {
    config: admin,
    schema: {
      tags: ['accounts'],
      summary: 'Change an account\'s role or disable it (either ends its sessions)',
      params: emailParams,
      body: z.object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional() }).refine((b) => b.role !== undefined || b.disabled !== undefined, 'expected role, disabled or both'),
      response: { 200: accountSchema },
    },
    handler: async (req) => {
      const change = { ...(req.body.role === undefined ? {} : { role: req.body.role }), ...(req.body.disabled === undefined ? {} : { disabled: req.body.disabled }) };
      return accountJson(await changeAccount(store, req.params.email, change, actorOfPrincipal(req.principal!)));
    },
  });

  app.delete('/api/accounts/:email', {
    config: admin,
    schema: { tags: ['accounts'], summary: 'Remove an account with its tokens and sessions', params: emailParams },
    handler: async (req, reply) => {
      await removeAccount(store, req.params.email, actorOfPrincipal(req.principal!));
      return reply.status(204).send();
    },
  });

  app.get('/api/tokens', {
    config: admin,
    schema: { tags: ['accounts'], summary: 'API tokens not revoked, newest first (never the tokens themselves)', response: { 200: z.object({ items: z.array(tokenSchema) }) } },
    handler: async () => ({ items: (await store.listTokens()).map(tokenJson) }),
  });

  app.post('/api/tokens', {
    config: admin,
    schema: {
      tags: ['accounts'],
      summary: 'Create an API token (for the caller, or `email`); the token is answered once',
      body: z.object({ name: z.string().min(1).max(200), email: z.string().min(3).max(320).optional(), expires_days: z.number().int().min(1).max(3650).optional() }),
      response: { 201: z.object({ token: z.string(), id: z.string() }) },
    },
    handler: async (req, reply) => {
      const { token, record } = await issueToken(
        store,
        { email: req.body.email ?? req.principal!.email, name: req.body.name, now: ctx.clock(), ...(req.body.expires_days === undefined ? {} : { expiresDays: req.body.expires_days }) },
        actorOfPrincipal(req.principal!),
      );
      return reply.status(201).header('cache-control', 'no-store').send({ token, id: record.id });
    },
  });

  app.delete('/api/tokens/:id', {
    config: admin,
    schema: { tags: ['accounts'], summary: 'Revoke an API token', params: z.object({ id: z.string().min(1).max(100) }) },
    handler: async (req, reply) => {
      await revokeToken(store, req.params.id, actorOfPrincipal(req.principal!));
      return reply.status(204).send();
    },
  });
};
