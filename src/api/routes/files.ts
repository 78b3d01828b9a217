/** Files from the inventory: visibility and external shares, and for one file who accessed it (from its events). */
import { z } from 'zod';
import { errors } from '../../core/errors.js';
import { SENSITIVITIES } from '../../core/pii.js';
import type { FileRecord } from '../../core/store.js';
import type { RouteModule } from '../context.js';
import { cursorParam, decodeCursor, eventJson, eventSchema, limitParam, listOf, page } from './shapes.js';

const DAY = 86_400_000;
/** A file page reads its events of this many days: file ids live in the stored document, so the range bounds the scan. */
export const FILE_EVENT_DAYS = 30;
/** Visibilities that reach beyond the organisation. */
export const EXTERNAL_VISIBILITIES = ['public', 'anyone_with_link', 'external'] as const;

const fileSchema = z.object({
  key: z.string(),
  provider: z.string(),
  file_id: z.string(),
  name: z.string().nullable(),
  owner: z.string().nullable(),
  visibility: z.string().nullable(),
  external_shares: z.array(z.string()).describe('Domains outside the organisation holding a permission.'),
  downloads: z.number().nullable().describe(`Download events in the last ${FILE_EVENT_DAYS} days (on GET /api/files/{key}; null in lists).`),
  sensitivity: z.enum(SENSITIVITIES).nullable().describe('The last content scan\'s level; null: not scanned yet.'),
  pii: z
    .object({
      counts: z.record(z.string(), z.number()).describe('Findings per entity type (Presidio names, e.g. CREDIT_CARD).'),
      samples: z.record(z.string(), z.array(z.string())).describe('Up to 3 masked values per type, e.g. ************1111: never a raw value.'),
    })
    .nullable()
    .describe('What the last scan found; null: not scanned yet.'),
  scanned_at: z.string().nullable().describe('When the content was last scanned (ISO); null: never.'),
  scan_error: z.string().nullable().describe('Why the last scan could not read the file (encrypted, too large, corrupt); null otherwise.'),
  updated_at: z.string(),
});

function fileJson(f: FileRecord, downloads: number | null): z.infer<typeof fileSchema> {
  const ext = f.data.externalDomains;
  return {
    key: f.key,
    provider: f.provider,
    file_id: f.fileId,
    name: f.name ?? null,
    owner: f.owner ?? null,
    visibility: f.visibility ?? null,
    external_shares: Array.isArray(ext) ? ext.filter((d): d is string => typeof d === 'string') : [],
    downloads,
    sensitivity: f.classification?.sensitivity ?? null,
    pii: f.classification ? { counts: f.classification.entities.counts, samples: f.classification.entities.samples } : null,
    scanned_at: f.classification?.scannedAt ?? null,
    scan_error: f.classification?.error?.message ?? null,
    updated_at: f.updatedAt,
  };
}

const isKey = (v: unknown): v is { k: string } => typeof v === 'object' && v !== null && typeof (v as { k: unknown }).k === 'string';

export const files: RouteModule = (app, ctx) => {
  app.get('/api/files', {
    config: { role: 'viewer' },
    schema: {
      tags: ['files'],
      summary: 'Inventory files by key, filtered by visibility and sensitivity; cursor paging',
      querystring: z.object({
        visibility: z.string().min(1).optional().describe('One visibility (public, anyone_with_link, external, domain, private), or several comma-separated.'),
        external: z.enum(['true', 'false']).optional().describe(`true: only files visible beyond the organisation (${EXTERNAL_VISIBILITIES.join(', ')}).`),
        sensitivity: z.enum(SENSITIVITIES).optional().describe('Only files scanned at this level or above (medium: medium, high, critical).'),
        limit: limitParam,
        cursor: cursorParam,
      }),
      response: { 200: listOf(fileSchema) },
    },
    handler: async (req) => {
      const q = req.query;
      const after = decodeCursor(q.cursor, isKey);
      let vis = q.visibility?.split(',').map((v) => v.trim()).filter(Boolean);
      if (q.external === 'true') vis = vis ? vis.filter((v) => (EXTERNAL_VISIBILITIES as readonly string[]).includes(v)) : [...EXTERNAL_VISIBILITIES];
      const rows = await ctx.store.listFiles({
        ...(vis ? { visibility: vis } : {}),
        ...(q.sensitivity ? { sensitivity: q.sensitivity } : {}),
        ...(after ? { afterKey: after.k } : {}),
        limit: q.limit,
      });
      const p = page(rows, q.limit, (f) => ({ k: f.key }));
      return { items: p.items.map((f) => fileJson(f, null)), next_cursor: p.next_cursor };
    },
  });

  app.get('/api/files/:key', {
    config: { role: 'viewer' },
    schema: {
      tags: ['files'],
      summary: `One file, who accessed it and its events (last ${FILE_EVENT_DAYS} days)`,
      params: z.object({ key: z.string().min(1).max(1000) }),
      response: {
        200: fileSchema.extend({ accessed_by: z.array(z.object({ user: z.string(), count: z.number(), last: z.string() })), events: z.array(eventSchema) }),
      },
    },
    handler: async (req) => {
      const f = await ctx.store.getFile(req.params.key);
      if (!f) throw errors.notFound({ kind: 'file', id: req.params.key, fix: 'GET /api/files lists the keys' });
      const now = ctx.clock();
      const events = await ctx.store.queryEvents({ fileId: f.fileId, from: now - FILE_EVENT_DAYS * DAY, order: 'desc', limit: 500 });
      const by = new Map<string, { user: string; count: number; last: string }>();
      for (const e of events) {
        const u = e.user?.email;
        if (!u) continue;
        const a = by.get(u);
        if (a) a.count++;
        else by.set(u, { user: u, count: 1, last: e['@timestamp'] });
      }
      const downloads = events.filter((e) => /download/i.test(e.event.action)).length;
      return { ...fileJson(f, downloads), accessed_by: [...by.values()].sort((a, b) => b.count - a.count), events: events.slice(0, 100).map((e) => eventJson(e)) };
    },
  });
};
