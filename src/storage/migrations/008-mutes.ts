/** Migration 008: mutes, the suppression rules (rule, entity or both, until a time) that keep matching alerts from being delivered. */
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why: an analyst silences a noisy rule, entity or pair for a while, from the CLI, config or
// false-positive feedback. A removed mute is kept (removed_at, removed_by) rather than deleted, so
// `saaswatch alerts` can still tell which stored alerts a mute held back when they were raised.
export async function up(db: Db, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('mutes')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('rule', 'text')
    .addColumn('entity_type', 'text')
    .addColumn('entity_value', 'text')
    .addColumn('until', 'bigint')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text')
    .addColumn('removed_at', 'bigint')
    .addColumn('removed_by', 'text')
    .addCheckConstraint('mutes_source_check', sql`source in ('cli', 'config', 'feedback', 'api')`)
    // A mute that matches nothing in particular would silence every alert: one of rule or entity is required.
    .addCheckConstraint('mutes_pattern_check', sql`rule is not null or entity_type is not null`)
    .execute();
  await db.schema.createIndex('mutes_removed_until').on('mutes').columns(['removed_at', 'until']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('mutes').ifExists().execute();
}
