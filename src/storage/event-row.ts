/** An event as the columns of its stored row, shared by both dialects' insert paths. */
import { SaaswatchError } from '../core/errors.js';
import type { SecurityEvent } from '../core/event.js';
import type { EventsTable } from './schema.js';

// A batch's events share one ingested time, so one parse serves them all.
let lastIngested: { text: string; ms: number } = { text: '', ms: Number.NaN };
function parseIngested(text: string): number {
  if (text !== lastIngested.text) lastIngested = { text, ms: Date.parse(text) };
  return lastIngested.ms;
}

/** The event's time in epoch ms; an unparseable one refuses the batch before anything is written. */
export function storedTime(e: SecurityEvent): number {
  const ts = Date.parse(e['@timestamp']);
  if (!Number.isFinite(ts)) {
    throw new SaaswatchError('TIMESTAMP_INVALID', `event ${e.event?.id} has an invalid @timestamp: ${String(e['@timestamp'])}`, {
      details: { eventId: e.event?.id },
    });
  }
  return ts;
}

export function eventRow(e: SecurityEvent, now: number): EventsTable {
  const ingested = parseIngested(e.event.ingested);
  return {
    id: e.event.id,
    ts: storedTime(e),
    ingested: Number.isFinite(ingested) ? ingested : now,
    provider: e.event.provider,
    dataset: e.event.dataset,
    action: e.event.action,
    outcome: e.event.outcome,
    user_email: e.user?.email ?? null,
    source_ip: e.source?.ip ?? null,
    count: e.event.count ?? 1,
    doc: JSON.stringify(e),
  };
}

/**
 * Writes the row's values into `out` from `p`, in EVENT_COLUMNS order, and returns the next
 * position: the hot insert builds its parameters this way, without an object per row.
 */
export function writeEventColumns(e: SecurityEvent, ts: number, now: number, out: unknown[], p: number): number {
  const ingested = parseIngested(e.event.ingested);
  out[p++] = e.event.id;
  out[p++] = ts;
  out[p++] = Number.isFinite(ingested) ? ingested : now;
  out[p++] = e.event.provider;
  out[p++] = e.event.dataset;
  out[p++] = e.event.action;
  out[p++] = e.event.outcome;
  out[p++] = e.user?.email ?? null;
  out[p++] = e.source?.ip ?? null;
  out[p++] = e.event.count ?? 1;
  out[p++] = JSON.stringify(e);
  return p;
}
