/** Blocked users: the list, and block / unblock through the responder (canonical identity, audited). */
import { z } from 'zod';
import { errors } from '../../core/errors.js';
import { BLOCK_SCOPES, type BlockedUser } from '../../core/store.js';
import { actorOfPrincipal, type RouteModule } from '../context.js';

export const blockSchema = z.object({
  user: z.string(),
  reason: z.string(),
  scope: z.enum(BLOCK_SCOPES as ['all', ...string[]]),
  blocked_at: z.string(),
  blocked_by: z.string(),
  expires_at: z.string().nullable(),
  alert_id: z.string().nullable(),
});

export function blockJson(b: BlockedUser): z.infer<typeof blockSchema> {
  return { user: b.user, reason: b.reason, scope: b.scope, blocked_at: b.blockedAt, blocked_by: b.blockedBy, expires_at: b.expiresAt ?? null, alert_id: b.alertId ?? null };
}

export const blocked: RouteModule = (app, ctx) => {
  app.get('/api/blocked', {
    config: { role: 'viewer' },
    schema: { tags: ['blocked'], summary: 'Users blocked now, newest first', response: { 200: z.object({ items: z.array(blockSchema) }) } },
    handler: async () => ({ items: (await ctx.store.listBlockedUsers({ activeAt: ctx.clock() })).map(blockJson) }),
  });

  app.post('/api/blocked', {
    config: { role: 'analyst' },
    schema: {
      tags: ['blocked'],
      summary: 'Block a user across services (audited)',
      body: z.object({
        user: z.string().trim().min(1).max(320),
        reason: z.string().trim().min(1).max(2000),
        scope: z.enum(BLOCK_SCOPES as ['all', ...string[]]).optional(),
        hours: z.number().positive().max(24 * 3650).optional().describe('Lifted on its own after this many hours; absent: until unblocked.'),
        alert_id: z.string().min(1).max(200).optional(),
      }),
      response: { 201: blockSchema },
    },
    handler: async (req, reply) => {
      const b = req.body;
      const block = await ctx.responder.block({
        user: b.user, reason: b.reason, actor: actorOfPrincipal(req.principal!),
        ...(b.scope ? { scope: b.scope as BlockedUser['scope'] } : {}),
        ...(b.hours === undefined ? {} : { forMs: Math.round(b.hours * 3_600_000) }),
        ...(b.alert_id ? { alertId: b.alert_id } : {}),
      });
      return reply.status(201).send(blockJson(block));
    },
  });

  app.delete('/api/blocked/:user', {
    config: { role: 'analyst' },
    schema: {
      tags: ['blocked'],
      summary: 'Lift a user\'s block (audited)',
      params: z.object({ user: z.string().min(1).max(320) }),
      querystring: z.object({ reason: z.string().trim().min(1).max(2000).default('unblocked from the API') }),
      response: { 200: blockSchema },
    },
    handler: async (req) => {
      const lifted = await ctx.responder.unblock({ user: req.params.user, reason: req.query.reason, actor: actorOfPrincipal(req.principal!) });
      if (!lifted) throw errors.notFound({ kind: 'block of', id: req.params.user, fix: 'GET /api/blocked lists the users blocked now' });
      return blockJson(lifted);
    },
  });
};
