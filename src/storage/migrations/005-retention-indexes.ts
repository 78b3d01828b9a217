/** Migration 005: indexes on the times retention purges by, so a purge reads only what it deletes. */
import type { Kysely } from 'kysely';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why: `saaswatch purge` and the hourly purge of `run` delete by stored time. Without these each
// purge scans its whole table; events need none (their key starts with event time). Dead letters,
// alerts and audit entries are written far less often than events, so their inserts pay little.
export async function up(db: Db): Promise<void> {
  await db.schema.createIndex('dead_letters_created').ifNotExists().on('dead_letters').column('created_at').execute();
  await db.schema.createIndex('alerts_updated').ifNotExists().on('alerts').column('updated_at').execute();
  // Finished deliveries by age; the claim indexes lead with status too but end in due or lease time.
  await db.schema.createIndex('deliveries_status_updated').ifNotExists().on('deliveries').columns(['status', 'updated_at']).execute();
  await db.schema.createIndex('audit_log_at').ifNotExists().on('audit_log').column('at').execute();
}

export async function down(db: Db): Promise<void> {
  for (const name of ['dead_letters_created', 'alerts_updated', 'deliveries_status_updated', 'audit_log_at']) {
    await db.schema.dropIndex(name).ifExists().execute();
  }
}
