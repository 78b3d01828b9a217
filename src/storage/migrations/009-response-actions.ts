/** Migration 009: response actions (the queue and record of every action, run by hand or by policy) and blocks with scope, expiry and cause. */
import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why a table and not only audit entries: an action sent to a SaaS and not yet recorded (a crash
// between the two) must be found again and verified on the next run, and a policy's action on an
// alert must happen once however often the alert is replayed. `key` is that once.
export async function up(db: Db, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('blocked_users').addColumn('scope', 'text', (c) => c.notNull().defaultTo('all')).execute();
  await db.schema.alterTable('blocked_users').addColumn('expires_at', 'bigint').execute();
  await db.schema.alterTable('blocked_users').addColumn('alert_id', 'text').execute();

  await db.schema
    .createTable('actions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('alert_id', 'text')
    .addColumn('policy', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('automatic', 'integer', (c) => c.notNull())
    .addColumn('disruptive', 'integer', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('before_state', 'text')
    .addColumn('after_state', 'text')
    .addColumn('plan', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('actions_status_due').on('actions').columns(['status', 'due_at']).execute();
  await db.schema.createIndex('actions_alert').on('actions').column('alert_id').execute();
  await db.schema.createIndex('actions_target').on('actions').columns(['target_id', 'action']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('actions').ifExists().execute();
  await db.schema.alterTable('blocked_users').dropColumn('alert_id').execute();
  await db.schema.alterTable('blocked_users').dropColumn('expires_at').execute();
  await db.schema.alterTable('blocked_users').dropColumn('scope').execute();
}
