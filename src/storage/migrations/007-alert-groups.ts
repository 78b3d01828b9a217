/** Migration 007: alerts join notification groups, deliveries say whether they tell a new alert or update one, and sinks keep handles (sink_refs). */
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why: an analyst should get one notification per incident, updated as it grows (issue 14). A
// group is found by entity and window start, hence that index. An alert now has one delivery of
// kind 'alert' per sink (still unique: a restart never tells it twice) and any number of 'update'
// deliveries over its life, so the unique (alert_id, sink) becomes a unique index on the 'alert'
// rows only. Rows from before keep their meaning: kind 'alert', no group.

const DELIVERY_COLUMNS = '"id", "alert_id", "sink", "status", "attempts", "next_attempt_at", "lease_until", "last_error", "created_at", "updated_at", "lease_owner"';

async function deliveryIndexes(db: Db): Promise<void> {
  await db.schema.createIndex('deliveries_status_next').ifNotExists().on('deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('deliveries_status_lease').ifNotExists().on('deliveries').columns(['status', 'lease_until']).execute();
  await db.schema.createIndex('deliveries_status_updated').ifNotExists().on('deliveries').columns(['status', 'updated_at']).execute();
}

export async function up(db: Db, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    // Kysely runs PostgreSQL migrations in a transaction of their own.
    await sql`alter table deliveries drop constraint deliveries_alert_sink`.execute(db);
    await sql`alter table deliveries add column kind text not null default 'alert'`.execute(db);
    await sql`alter table deliveries add constraint deliveries_kind_check check (kind in ('alert', 'update'))`.execute(db);
    await up2(db);
    return;
  }
  // SQLite cannot drop a table constraint: copy into a table of the new shape, in one transaction
  // (Kysely runs SQLite migrations outside one), so a crash leaves either table whole.
  await db.transaction().execute(async (tx) => {
    await sql`create table deliveries_new (
      "id" text primary key, "alert_id" text not null references "alerts" ("id") on delete cascade,
      "sink" text not null, "status" text not null, "attempts" integer default 0 not null,
      "next_attempt_at" bigint not null, "lease_until" bigint, "last_error" text,
      "created_at" bigint not null, "updated_at" bigint not null, "lease_owner" text,
      "kind" text default 'alert' not null,
      constraint "deliveries_status_check" check (status in ('pending', 'delivering', 'delivered', 'failed')),
      constraint "deliveries_kind_check" check (kind in ('alert', 'update')))`.execute(tx);
    await sql.raw(`insert into deliveries_new (${DELIVERY_COLUMNS}) select ${DELIVERY_COLUMNS} from deliveries`).execute(tx);
    await sql`drop table deliveries`.execute(tx);
    await sql`alter table deliveries_new rename to deliveries`.execute(tx);
    await deliveryIndexes(tx);
    await up2(tx);
  });
}

/** What both dialects do alike once deliveries have their kind. */
async function up2(tx: Db): Promise<void> {
  await sql`create unique index deliveries_alert_sink_told on deliveries (alert_id, sink) where kind = 'alert'`.execute(tx);
  // Whether a sink was told of an alert (or of its group), and whether an update of it is still pending.
  await tx.schema.createIndex('deliveries_alert_sink').on('deliveries').columns(['alert_id', 'sink', 'status']).execute();
  await tx.schema.alterTable('alerts').addColumn('group_id', 'text').execute();
  await tx.schema.createIndex('alerts_entity_window').on('alerts').columns(['entity_type', 'entity_value', 'window_start']).execute();
  await tx.schema.createIndex('alerts_group').on('alerts').columns(['group_id', 'window_start']).execute();
  await tx.schema
    .createTable('sink_refs')
    .addColumn('sink', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sink_refs_pk', ['sink', 'key'])
    .execute();
}

export async function down(db: Db, dialect: DialectName): Promise<void> {
  const inTx = (fn: (tx: Db) => Promise<void>) => (dialect === 'postgres' ? fn(db) : db.transaction().execute(fn));
  await inTx(async (tx) => {
    await tx.schema.dropTable('sink_refs').ifExists().execute();
    await tx.schema.dropIndex('alerts_group').ifExists().execute();
    await tx.schema.dropIndex('alerts_entity_window').ifExists().execute();
    await tx.schema.alterTable('alerts').dropColumn('group_id').execute();
    await tx.schema.dropIndex('deliveries_alert_sink').ifExists().execute();
    await tx.schema.dropIndex('deliveries_alert_sink_told').ifExists().execute();
    // Updates have no place in the old shape, where each sink had one delivery per alert.
    await tx.deleteFrom('deliveries').where('kind', '=', 'update').execute();
    if (dialect === 'postgres') {
      await sql`alter table deliveries drop constraint deliveries_kind_check`.execute(tx);
      await sql`alter table deliveries drop column kind`.execute(tx);
      await sql`alter table deliveries add constraint deliveries_alert_sink unique (alert_id, sink)`.execute(tx);
      return;
    }
    await sql`create table deliveries_old (
      "id" text primary key, "alert_id" text not null references "alerts" ("id") on delete cascade,
      "sink" text not null, "status" text not null, "attempts" integer default 0 not null,
      "next_attempt_at" bigint not null, "lease_until" bigint, "last_error" text,
      "created_at" bigint not null, "updated_at" bigint not null, "lease_owner" text,
      constraint "deliveries_alert_sink" unique ("alert_id", "sink"),
      constraint "deliveries_status_check" check (status in ('pending', 'delivering', 'delivered', 'failed')))`.execute(tx);
    await sql.raw(`insert into deliveries_old (${DELIVERY_COLUMNS}) select ${DELIVERY_COLUMNS} from deliveries`).execute(tx);
    await sql`drop table deliveries`.execute(tx);
    await sql`alter table deliveries_old rename to deliveries`.execute(tx);
    await deliveryIndexes(tx);
  });
}
