/** Migration 003: events are keyed by (event time, id), so inserts append instead of landing all over a hash index. */
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why: the id is a content hash, so a primary key on it alone sends every insert to a random leaf
// of a B-tree that grows with the table; each commit of 5,000 events rewrote thousands of scattered
// pages (22 s of CPU per million rows in a standalone test, against 8 s keyed by time). Event time
// comes from the same record the id hashes, so (ts, id) is unique exactly when id is, and the key
// also serves every time-range read and the retention delete that `events_ts` served.

const COLUMNS = '"id", "ts", "ingested", "provider", "dataset", "action", "outcome", "user_email", "source_ip", "count", "doc"';

export async function up(db: Db, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    await sql`alter table events drop constraint events_pkey`.execute(db);
    await sql`alter table events add constraint events_pkey primary key (ts, id)`.execute(db);
    await db.schema.dropIndex('events_ts').ifExists().execute();
    return;
  }
  // SQLite cannot change a primary key in place: copy into a table of the new shape, in key order, in
  // one transaction (Kysely runs SQLite migrations outside one), so a crash leaves either table whole.
  await db.transaction().execute(async (tx) => {
    await sql`create table events_new (
      "id" text not null, "ts" bigint not null, "ingested" bigint not null, "provider" text not null,
      "dataset" text not null, "action" text not null, "outcome" text not null, "user_email" text,
      "source_ip" text, "count" integer default 1 not null, "doc" text not null, primary key ("ts", "id"))`.execute(tx);
    await sql.raw(`insert into events_new (${COLUMNS}) select ${COLUMNS} from events order by "ts", "id"`).execute(tx);
    await sql`drop table events`.execute(tx);
    await sql`alter table events_new rename to events`.execute(tx);
  });
}

export async function down(db: Db, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    await sql`alter table events drop constraint events_pkey`.execute(db);
    await sql`alter table events add constraint events_pkey primary key (id)`.execute(db);
    await db.schema.createIndex('events_ts').ifNotExists().on('events').column('ts').execute();
    return;
  }
  await db.transaction().execute(async (tx) => {
    await sql`create table events_old (
      "id" text primary key, "ts" bigint not null, "ingested" bigint not null, "provider" text not null,
      "dataset" text not null, "action" text not null, "outcome" text not null, "user_email" text,
      "source_ip" text, "count" integer default 1 not null, "doc" text not null)`.execute(tx);
    await sql.raw(`insert into events_old (${COLUMNS}) select ${COLUMNS} from events`).execute(tx);
    await sql`drop table events`.execute(tx);
    await sql`alter table events_old rename to events`.execute(tx);
    await tx.schema.createIndex('events_ts').on('events').column('ts').execute();
  });
}
