/** The Store contract over every dialect: SQLite always, PostgreSQL when SAASWATCH_TEST_PG_URL is set (required in CI). */
import { describe, it } from 'vitest';
import { postgresHarness, sqliteHarness } from './dialects.js';
import { describeStoreContract, STORE_CONTRACT } from './index.js';

describeStoreContract('sqlite', sqliteHarness, STORE_CONTRACT);

const pgUrl = process.env.SAASWATCH_TEST_PG_URL;
if (pgUrl) {
  describeStoreContract('postgres', () => postgresHarness(pgUrl), STORE_CONTRACT);
} else if (process.env.CI === 'true') {
  describe('Store contract: postgres', () => {
    it('needs SAASWATCH_TEST_PG_URL in CI', () => {
      throw new Error('SAASWATCH_TEST_PG_URL is not set: CI must start PostgreSQL first: export "$(bash .ci/start-postgres.sh)"');
    });
  });
} else {
  describe.skip('Store contract: postgres (skipped: SAASWATCH_TEST_PG_URL not set; `bash .ci/start-postgres.sh` prints it)', () => {
    describeStoreContract('postgres', () => Promise.reject(new Error('unreachable')), STORE_CONTRACT);
  });
}
