/** The versioned migrations, in code so they ship inside the bundle; names start with their version. */
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { errors } from '../../core/errors.js';
import type { DialectName } from '../dialect-name.js';
import * as m001 from './001-initial.js';
import * as m002 from './002-event-indexes.js';
import * as m003 from './003-events-time-key.js';
import * as m004 from './004-delivery-lease-owner.js';
import * as m005 from './005-retention-indexes.js';
import * as m006 from './006-dead-letter-key.js';
import * as m007 from './007-alert-groups.js';
import * as m008 from './008-mutes.js';
import * as m009 from './009-response-actions.js';
import * as m010 from './010-accounts.js';
import * as m011 from './011-api-queries.js';
import * as m012 from './012-file-classification.js';

interface VersionedMigration {
  up(db: Kysely<any>, dialect: DialectName): Promise<void>;
  down?(db: Kysely<any>, dialect: DialectName): Promise<void>;
}

// Append only: a released migration never changes, a fix is a new file.
const MIGRATIONS: Record<string, VersionedMigration> = {
  '001-initial': m001,
  '002-event-indexes': m002,
  '003-events-time-key': m003,
  '004-delivery-lease-owner': m004,
  '005-retention-indexes': m005,
  '006-dead-letter-key': m006,
  '007-alert-groups': m007,
  '008-mutes': m008,
  '009-response-actions': m009,
  '010-accounts': m010,
  '011-api-queries': m011,
  '012-file-classification': m012,
};

/** Schema version of a migration name (`001-initial` → 1). */
export function migrationVersion(name: string): number {
  const v = Number.parseInt(name, 10);
  if (!Number.isInteger(v) || v <= 0) throw errors.internal({ problem: `migration name without a version prefix: ${name}` });
  return v;
}

export const LATEST_VERSION = Math.max(...Object.keys(MIGRATIONS).map(migrationVersion));

/** Binds each migration to the dialect, because a few column types are spelled differently. */
export function migrationProvider(dialect: DialectName): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(MIGRATIONS)) {
        const down = m.down;
        out[name] = {
          up: (db) => m.up(db, dialect),
          ...(down ? { down: (db: Kysely<any>) => down(db, dialect) } : {}),
        };
      }
      return out;
    },
  };
}
