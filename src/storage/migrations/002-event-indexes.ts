/** Migration 002: drops the per-user and per-IP event indexes, which no query uses and every insert paid for. */
import type { Kysely } from 'kysely';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why: each event insert wrote one random leaf of each index (5,000 users, 20,000 addresses spread
// over the whole B-tree), so every commit rewrote thousands of scattered pages: about 40% of the
// SQLite insert time in bench/run.ts. Detectors keep their own state and replay reads by time
// (events_ts); a filter on user or address still works, narrowed by the time range.
export async function up(db: Db): Promise<void> {
  await db.schema.dropIndex('events_user_ts').ifExists().execute();
  await db.schema.dropIndex('events_ip_ts').ifExists().execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.createIndex('events_user_ts').ifNotExists().on('events').columns(['user_email', 'ts']).execute();
  await db.schema.createIndex('events_ip_ts').ifNotExists().on('events').columns(['source_ip', 'ts']).execute();
}
