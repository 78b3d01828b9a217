/** Who am I: the principal the request authenticated as. */
import { z } from 'zod';
import type { RouteModule } from '../context.js';
import { ROLES } from '../context.js';

export const principalSchema = z.object({ email: z.string(), role: z.enum(ROLES), via: z.enum(['session', 'token']) });

export const meta: RouteModule = (app) => {
  app.get('/api/me', {
    config: { role: 'viewer' },
    schema: { tags: ['auth'], summary: 'The account this request is authenticated as', response: { 200: principalSchema } },
    handler: async (req) => ({ email: req.principal!.email, role: req.principal!.role, via: req.principal!.via }),
  });
};
