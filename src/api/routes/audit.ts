/** The audit log: who did what, newest first, filtered, with cursor paging. */
import { z } from 'zod';
import type { RouteModule } from '../context.js';
import { cursorParam, decodeCursor, limitParam, listOf, ms, page, timeParam } from './shapes.js';

export const auditEntrySchema = z.object({ id: z.number(), at: z.string(), actor: z.string(), action: z.string(), details: z.record(z.string(), z.unknown()) });

const isIdKey = (v: unknown): v is { id: number } => typeof v === 'object' && v !== null && Number.isInteger((v as { id: unknown }).id);

export const audit: RouteModule = (app, ctx) => {
  app.get('/api/audit', {
    config: { role: 'viewer' },
    schema: {
      tags: ['audit'],
      summary: 'Audit log entries, newest first; cursor paging',
      querystring: z.object({
        actor: z.string().min(1).optional().describe('Exactly, e.g. web:ana@example.com.'),
        action: z.string().min(1).optional().describe('Exactly, e.g. block, alert-ack.'),
        subject: z.string().min(1).optional().describe('Text anywhere in the details (a user, an alert id), case-insensitive.'),
        since: timeParam,
        until: timeParam,
        limit: limitParam,
        cursor: cursorParam,
      }),
      response: { 200: listOf(auditEntrySchema) },
    },
    handler: async (req) => {
      const q = req.query;
      const before = decodeCursor(q.cursor, isIdKey);
      const rows = await ctx.store.listAudit({
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.subject ? { subject: q.subject } : {}),
        ...(q.since === undefined ? {} : { since: ms(q.since)! }),
        ...(q.until === undefined ? {} : { until: ms(q.until)! }),
        ...(before ? { beforeId: before.id } : {}),
        limit: q.limit,
      });
      return page(rows, q.limit, (e) => ({ id: e.id }));
    },
  });
};
