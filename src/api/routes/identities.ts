/** Identity mapping: how each service's account maps to one canonical person. */
import { z } from 'zod';
import type { RouteModule } from '../context.js';

export const identities: RouteModule = (app, ctx) => {
  app.get('/api/identities', {
    config: { role: 'viewer' },
    schema: {
      tags: ['identities'],
      summary: 'Identity mappings (source, source id → canonical), optionally of one user',
      querystring: z.object({ user: z.string().min(1).optional().describe('The canonical identity (email).'), limit: z.coerce.number().int().min(1).max(5000).default(1000) }),
      response: { 200: z.object({ items: z.array(z.object({ source: z.string(), source_id: z.string(), canonical: z.string() })) }) },
    },
    handler: async (req) => {
      const rows = await ctx.store.listIdentities({ ...(req.query.user ? { canonical: req.query.user } : {}), limit: req.query.limit });
      return { items: rows.map((r) => ({ source: r.source, source_id: r.sourceId, canonical: r.canonical })) };
    },
  });
};
