/** Migration 006: dead letters get a key (their source, code, position and payload), so reading the same bad record again stores nothing new. */
import type { Kysely } from 'kysely';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why: a file is read again on every `ingest` and `run` (its events are deduplicated by id), and
// each read added its bad lines once more. Rows written before this migration have no key (NULL
// is never a conflict): they stay as they are.
export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('dead_letters').addColumn('key', 'text').execute();
  await db.schema.createIndex('dead_letters_key').unique().on('dead_letters').columns(['source', 'key']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropIndex('dead_letters_key').ifExists().execute();
  await db.schema.alterTable('dead_letters').dropColumn('key').execute();
}
