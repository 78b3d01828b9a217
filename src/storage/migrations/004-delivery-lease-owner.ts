/** Migration 004: a delivery's lease names its holder, so a short lease can be renewed by that holder only and its writes fenced. */
import type { Kysely } from 'kysely';

// Kysely's schema builder is untyped by design: migrations must not depend on today's table types.
type Db = Kysely<any>;

// Why: a lease without an owner had to outlast the slowest batch (300 s), so a process killed while
// holding deliveries stranded them that long. With the owner recorded, a live outbox renews a short
// lease while it works, a dead one's lease runs out in seconds, and a late write from a holder whose
// lease was taken over is refused instead of overwriting the new holder's outcome. Rows leased
// before this migration have no owner; their old lease simply runs out.
export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('lease_owner', 'text').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('deliveries').dropColumn('lease_owner').execute();
}
