/** Migration 012: files get their content classification (sensitivity, entity summary, content hash) from the PII scanner. */
import type { Kysely } from 'kysely';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why columns on files rather than a files_scans table: a file has one current classification and
// every reader (`saaswatch files`, /api/files, the enricher's preload) wants it beside the file's
// sharing in one row. `sensitivity` is indexed for "medium and above" lists; `content_hash` for the
// scanner's cross-file cache (a copy of a scanned file is not scanned again). `classification` is
// the FileClassification as JSON: counts and masked samples only, never content or raw values.
// One ALTER per column: SQLite adds a single column per statement.
export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('files').addColumn('sensitivity', 'text').execute();
  await db.schema.alterTable('files').addColumn('content_hash', 'text').execute();
  await db.schema.alterTable('files').addColumn('classification', 'text').execute();
  await db.schema.createIndex('files_sensitivity').ifNotExists().on('files').columns(['sensitivity', 'key']).execute();
  await db.schema.createIndex('files_content_hash').ifNotExists().on('files').column('content_hash').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropIndex('files_content_hash').ifExists().execute();
  await db.schema.dropIndex('files_sensitivity').ifExists().execute();
  await db.schema.alterTable('files').dropColumn('classification').execute();
  await db.schema.alterTable('files').dropColumn('content_hash').execute();
  await db.schema.alterTable('files').dropColumn('sensitivity').execute();
}
