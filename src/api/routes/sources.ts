/** Sources' health: last poll (cursor saved), newest event, lag, cursor, dead letters. */
import { z } from 'zod';
import type { ApiContext, RouteModule } from '../context.js';
import { isoOf } from './shapes.js';

/** How far back a source's newest event is looked for. */
export const LOOKBACK_MS = 24 * 3_600_000;

export const sourceHealthSchema = z.object({
  name: z.string(),
  type: z.string().nullable(),
  last_poll_at: z.string().nullable().describe('When the source last committed its cursor.'),
  last_event_at: z.string().nullable().describe('Event time of its newest stored event in the last 24 hours (matched by provider = the source\'s name or type); null: none.'),
  lag_ms: z.number().nullable().describe('Now minus last_event_at.'),
  cursor: z.string().nullable(),
  dead_letters: z.number(),
  recent_dead_letters: z.array(z.object({ id: z.number(), code: z.string(), reason: z.string(), created_at: z.string() })),
});
export type SourceHealth = z.infer<typeof sourceHealthSchema>;

/** Each configured source, and any other that saved a cursor (one removed from the config still shows what it left). */
export async function sourceHealth(ctx: ApiContext): Promise<SourceHealth[]> {
  const now = ctx.clock();
  const cursors = await ctx.store.listCursors();
  const byName = new Map<string, string | null>(ctx.config.sources.map((s) => [s.name, s.type]));
  for (const c of cursors) if (!byName.has(c.source)) byName.set(c.source, null);
  // Only the last day: events are keyed by time, so a day is a short scan whatever the table holds,
  // and a source with nothing for a day is what the page should show as silent.
  const last = await ctx.store.lastEventTimes(now - LOOKBACK_MS);
  const seen = (name: string, type: string | null) => last.find((l) => l.provider === name || l.provider === type);
  const out: SourceHealth[] = [];
  for (const [name, type] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const cursor = cursors.find((c) => c.source === name);
    const ev = seen(name, type);
    const [count, recent] = await Promise.all([ctx.store.countDeadLetters({ source: name }), ctx.store.listDeadLetters({ source: name, limit: 5 })]);
    out.push({
      name,
      type,
      last_poll_at: cursor?.updatedAt ?? null,
      last_event_at: ev ? isoOf(ev.ts) : null,
      lag_ms: ev ? Math.max(0, now - ev.ts) : null,
      cursor: cursor?.value ?? null,
      dead_letters: count,
      recent_dead_letters: recent.map((d) => ({ id: d.id, code: d.code, reason: d.reason, created_at: d.createdAt })),
    });
  }
  return out;
}

export const sources: RouteModule = (app, ctx) => {
  app.get('/api/sources', {
    config: { role: 'viewer' },
    schema: { tags: ['sources'], summary: 'Each source\'s last poll, newest event, lag, cursor and dead letters', response: { 200: z.object({ items: z.array(sourceHealthSchema) }) } },
    handler: async () => ({ items: await sourceHealth(ctx) }),
  });
};
