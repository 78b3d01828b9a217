/** Migration 011: alerts get an assignee, and the indexes the REST API's lists and user pages read by. */
import type { Kysely } from 'kysely';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why: the triage queue assigns alerts to analysts and pages alerts newest first by (created_at, id).
// The user page and the event search read one user's or one address's events newest first: without
// (user_email, ts) and (source_ip, ts) each request scans the events table (1M rows: seconds, see
// bench/api.ts), which migration 002 dropped for ingest speed; their ingest cost, measured with
// src/storage/bench.ts before and after, is in the README under "REST API". (ts, provider, count)
// covers the overview's events-per-provider chart and the sources' newest event: without it each
// reads every row of the range (7 days of 1M events: over a second); it is appended to in time
// order, as the primary key is, so it adds little to an insert.
export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('alerts').addColumn('assignee', 'text').execute();
  await db.schema.createIndex('alerts_created').ifNotExists().on('alerts').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('alerts_assignee').ifNotExists().on('alerts').columns(['assignee', 'created_at']).execute();
  // The overview's counts read these alone, in their order, instead of every alert's document.
  await db.schema.createIndex('alerts_rule_counts').ifNotExists().on('alerts').columns(['rule', 'severity', 'status', 'created_at']).execute();
  await db.schema.createIndex('alerts_open_entities').ifNotExists().on('alerts').columns(['status', 'entity_type', 'entity_value', 'severity', 'created_at']).execute();
  await db.schema.createIndex('events_user_ts').ifNotExists().on('events').columns(['user_email', 'ts']).execute();
  await db.schema.createIndex('events_ip_ts').ifNotExists().on('events').columns(['source_ip', 'ts']).execute();
  await db.schema.createIndex('events_ts_provider').ifNotExists().on('events').columns(['ts', 'provider', 'count']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropIndex('events_ts_provider').ifExists().execute();
  await db.schema.dropIndex('events_ip_ts').ifExists().execute();
  await db.schema.dropIndex('events_user_ts').ifExists().execute();
  await db.schema.dropIndex('alerts_open_entities').ifExists().execute();
  await db.schema.dropIndex('alerts_rule_counts').ifExists().execute();
  await db.schema.dropIndex('alerts_assignee').ifExists().execute();
  await db.schema.dropIndex('alerts_created').ifExists().execute();
  await db.schema.alterTable('alerts').dropColumn('assignee').execute();
}
