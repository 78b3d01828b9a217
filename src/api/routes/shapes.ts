/** What the data routes share: list paging (opaque cursors, limits), time parameters, and the JSON shapes of events and alerts. */
import { z } from 'zod';
import type { Alert, Severity } from '../../core/alert.js';
import { errors } from '../../core/errors.js';
import type { SecurityEvent } from '../../core/event.js';
import type { Mute } from '../../core/store.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies readonly Severity[];
export const STATUSES = ['open', 'acknowledged', 'closed'] as const;

/** `limit`: default 50, at most 500. */
export const limitParam = z.coerce.number().int().min(1).max(500).default(50).describe('Items per page (1 to 500, default 50).');
export const cursorParam = z.string().min(1).max(2000).optional().describe('The previous page\'s next_cursor.');
/** An ISO 8601 time (with Z or an offset); the handler reads it with Date.parse. */
export const timeParam = z.iso.datetime({ offset: true }).optional();

/** `{ items, next_cursor }`: every list answers this. */
export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

/** A cursor the client hands back unchanged: base64url of JSON, stable under inserts because it names the last item's sort key. */
export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
}

/** The cursor's value, checked by `valid`; a 400 naming query.cursor when it was not one of ours. */
export function decodeCursor<T>(text: string | undefined, valid: (v: unknown) => v is T): T | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (!valid(v)) throw errors.inputMalformed({ where: 'query.cursor', problem: 'not a cursor this list gave', fix: 'pass next_cursor from the previous page unchanged', details: { field: 'query.cursor' } });
  return v;
}

/** A (time, id) key: what event and alert pages are cut at. */
export const isTimeKey = (v: unknown): v is { t: number; id: string } =>
  typeof v === 'object' && v !== null && Number.isFinite((v as { t: unknown }).t) && typeof (v as { id: unknown }).id === 'string';

export const ms = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso));
export const isoOf = (ms: number): string => new Date(ms).toISOString();

/** Fewer than asked means the end; a full page has a next one (perhaps empty). */
export function page<T, K>(rows: T[], limit: number, keyOf: (last: T) => K): { items: T[]; next_cursor: string | null } {
  return { items: rows, next_cursor: rows.length < limit ? null : encodeCursor(keyOf(rows[rows.length - 1]!)) };
}

/** A stored SecurityEvent as the API gives it: the event's own nested object; `raw` only when asked. */
export const eventSchema = z
  .looseObject({
    '@timestamp': z.string(),
    event: z.looseObject({ id: z.string(), action: z.string(), outcome: z.string(), provider: z.string(), dataset: z.string() }),
  })
  .describe('A normalized SecurityEvent (ECS-style nested fields; see src/core/event.ts).');

export function eventJson(e: SecurityEvent, withRaw = false): z.infer<typeof eventSchema> {
  if (withRaw) return e as unknown as z.infer<typeof eventSchema>;
  const { raw: _raw, ...rest } = e;
  return rest as unknown as z.infer<typeof eventSchema>;
}

export const entitySchema = z.object({ type: z.string(), value: z.string() });

export const alertSchema = z.object({
  id: z.string(),
  rule: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(STATUSES),
  entity: entitySchema,
  window_start: z.string(),
  window_end: z.string(),
  created_at: z.string(),
  updated_at: z.string().nullable().describe('Not stored yet: null.'),
  description: z.string(),
  tags: z.array(z.string()),
  source: z.string().nullable(),
  group_id: z.string().nullable(),
  assignee: z.string().nullable(),
  muted: z.boolean().describe('A mute (config or store) held it back from the sinks when it was raised.'),
});
export type AlertJson = z.infer<typeof alertSchema>;

export function alertJson(a: Alert, mutedBy: Mute | undefined): AlertJson {
  return {
    id: a.id,
    rule: a.rule,
    title: a.title,
    severity: a.severity,
    status: a.status,
    entity: { type: a.entity.type, value: a.entity.value },
    window_start: isoOf(a.windowStart),
    window_end: isoOf(a.windowEnd),
    created_at: a.createdAt,
    updated_at: null,
    description: a.description,
    tags: a.tags ?? [],
    source: a.source ?? null,
    group_id: a.groupId ?? null,
    assignee: a.assignee ?? null,
    muted: mutedBy !== undefined,
  };
}

export const muteSchema = z.object({
  id: z.number(),
  rule: z.string().nullable(),
  entity: entitySchema.nullable(),
  until: z.string().nullable(),
  reason: z.string(),
  actor: z.string(),
  source: z.string(),
  alert_id: z.string().nullable(),
  created_at: z.string(),
});

export function muteJson(m: Mute): z.infer<typeof muteSchema> {
  return {
    id: m.id,
    rule: m.rule ?? null,
    entity: m.entity ?? null,
    until: m.until === undefined ? null : isoOf(m.until),
    reason: m.reason,
    actor: m.actor,
    source: m.source,
    alert_id: m.alertId ?? null,
    created_at: m.createdAt,
  };
}

/** How much open alerts weigh in a user's risk, by severity. */
export const RISK_WEIGHT: Readonly<Record<Severity, number>> = { low: 1, medium: 3, high: 7, critical: 15 };
