/** An event as the columns of its stored row, shared by both dialects' insert paths. */
import { SaaswatchError } from '../core/errors.js';
import type { SecurityEvent } from '../core/event.js';
import type { EventsTable } from './schema.js';

// Node 20 has both (ES2024); the project's lib is ES2023.
type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };

/**
 * Text as every dialect can store it: NUL (which PostgreSQL text refuses) and lone surrogates
 * (which are not UTF-8) become U+FFFD. The pipeline has replaced them in the whole event already
 * (src/pipeline/admit.ts); this is the last line of defence for the columns, so a store given such
 * an event by any other path stores the same thing on both dialects instead of failing the batch.
 * The `doc` column needs none: JSON.stringify writes both as `\u` escapes.
 */
export function storableText(s: string): string {
  if (s.indexOf('\0') === -1 && (s as unknown as WellFormed).isWellFormed()) return s;
  return (s.replaceAll('\0', '\ufffd') as unknown as WellFormed).toWellFormed();
}

function storableOrNull(s: string | undefined): string | null {
  return s === undefined || s === null ? null : storableText(s);
}

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
    id: storableText(e.event.id),
    ts: storedTime(e),
    ingested: Number.isFinite(ingested) ? ingested : now,
    provider: storableText(e.event.provider),
    dataset: storableText(e.event.dataset),
    action: storableText(e.event.action),
    outcome: storableText(e.event.outcome),
    user_email: storableOrNull(e.user?.email),
    source_ip: storableOrNull(e.source?.ip),
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
  out[p++] = storableText(e.event.id);
  out[p++] = ts;
  out[p++] = Number.isFinite(ingested) ? ingested : now;
  out[p++] = storableText(e.event.provider);
  out[p++] = storableText(e.event.dataset);
  out[p++] = storableText(e.event.action);
  out[p++] = storableText(e.event.outcome);
  out[p++] = storableOrNull(e.user?.email);
  out[p++] = storableOrNull(e.source?.ip);
  out[p++] = e.event.count ?? 1;
  out[p++] = JSON.stringify(e);
  return p;
}
