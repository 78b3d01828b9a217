/** Event search (user, IP, action, file, source, time range), newest first with cursor paging, and one event with its raw record. */
import { z } from 'zod';
import { errors } from '../../core/errors.js';
import type { RouteModule } from '../context.js';
import { cursorParam, decodeCursor, eventJson, eventSchema, isTimeKey, limitParam, listOf, ms, page, timeParam } from './shapes.js';

export const events: RouteModule = (app, ctx) => {
  app.get('/api/events', {
    config: { role: 'viewer' },
    schema: {
      tags: ['events'],
      summary: 'Search events, newest first; cursor paging',
      querystring: z.object({
        user: z.string().min(1).optional().describe('user.email, exactly.'),
        ip: z.string().min(1).optional().describe('source.ip, exactly.'),
        action: z.string().min(1).optional().describe('event.action, exactly.'),
        file: z.string().min(1).optional().describe('file.id, exactly (read from each event: narrow by time or user too).'),
        source: z.string().min(1).optional().describe('event.provider, e.g. google-workspace.'),
        from: timeParam.describe('Event time at or after.'),
        to: timeParam.describe('Event time before.'),
        limit: limitParam,
        cursor: cursorParam,
      }),
      response: { 200: listOf(eventSchema) },
    },
    handler: async (req) => {
      const q = req.query;
      const before = decodeCursor(q.cursor, isTimeKey);
      const rows = await ctx.store.queryEvents({
        order: 'desc',
        ...(q.user ? { userEmail: q.user } : {}),
        ...(q.ip ? { sourceIp: q.ip } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.file ? { fileId: q.file } : {}),
        ...(q.source ? { provider: q.source } : {}),
        ...(q.from === undefined ? {} : { from: ms(q.from)! }),
        ...(q.to === undefined ? {} : { to: ms(q.to)! }),
        ...(before ? { before: { time: before.t, id: before.id } } : {}),
        limit: q.limit,
      });
      const p = page(rows, q.limit, (e) => ({ t: Date.parse(e['@timestamp']), id: e.event.id }));
      return { items: p.items.map((e) => eventJson(e)), next_cursor: p.next_cursor };
    },
  });

  app.get('/api/events/:id', {
    config: { role: 'viewer' },
    schema: {
      tags: ['events'],
      summary: 'One event with its raw record',
      params: z.object({ id: z.string().min(1).max(200) }),
      querystring: z.object({ at: timeParam.describe('The event\'s time, when known: finds it without a scan.') }),
      response: { 200: eventSchema },
    },
    handler: async (req) => {
      const at = ms(req.query.at);
      const [e] = await ctx.store.getEvents([req.params.id], at === undefined ? undefined : { from: at, to: at + 1 });
      if (!e) throw errors.notFound({ kind: 'event', id: req.params.id });
      return eventJson(e, true);
    },
  });
};
