/** The Store contract suite rejects a store that breaks a clause, and names the clause it breaks. */
import { afterEach, describe, expect, it } from 'vitest';
import { claimsNewestFirst, claimsNewestSorted, forgetsState, purgesOnDryRun } from './broken-stores.js';
import { sqliteHarness } from './dialects.js';
import { alertOutboxClauses, assertStoreContract, checkStoreContract, detectorStateClauses, eventLogClauses, retentionClauses, type StoreHarness } from './index.js';

const ORDER = 'AlertOutbox MUST claim deliveries oldest first';

describe('Store contract suite against broken stores', () => {
  let h: StoreHarness | undefined;
  afterEach(async () => {
    await h?.teardown();
    h = undefined;
  });

  it('passes the real store, so the failures below are the fixtures’ own', async () => {
    h = await sqliteHarness();
    expect(await checkStoreContract(h, [...alertOutboxClauses, ...detectorStateClauses, ...retentionClauses])).toEqual([]);
  });

  it('rejects a store that claims deliveries newest first, naming the order clause and only it', async () => {
    h = await sqliteHarness();
    const failures = await checkStoreContract(claimsNewestFirst(h), alertOutboxClauses);
    expect(failures.map((f) => f.title)).toEqual([ORDER]);
    await expect(assertStoreContract(claimsNewestFirst(h), alertOutboxClauses)).rejects.toThrow(`- ${ORDER}: `);
  });

  it('rejects a store that picks the newest due deliveries and sorts them, naming the order clause', async () => {
    h = await sqliteHarness();
    const failures = await checkStoreContract(claimsNewestSorted(h), alertOutboxClauses);
    expect(failures.map((f) => f.title)).toContain(ORDER);
  });

  it('rejects a store that forgets detector state, naming each state clause it breaks', async () => {
    h = await sqliteHarness();
    const clauses = [...detectorStateClauses, ...eventLogClauses.filter((c) => c.text.includes('state'))];
    const failures = await checkStoreContract(forgetsState(h), clauses);
    expect(failures.map((f) => f.title)).toEqual([
      'DetectorState MUST give back what was put as JSON gives it back, the last put winning',
      'DetectorState MUST keep state across a reopen of the database',
      "EventLog MUST commit a batch's detector state (writes and deletes) in the same transaction",
    ]);
    await expect(assertStoreContract(forgetsState(h), clauses)).rejects.toThrow(/Store breaks its contract:\n- DetectorState MUST give back/);
  });

  it('rejects a store that deletes on a dry run, naming the dry-run clause and only it', async () => {
    h = await sqliteHarness();
    const failures = await checkStoreContract(purgesOnDryRun(h), retentionClauses);
    expect(failures.map((f) => f.title)).toEqual(['Retention MUST count without deleting on a dry run, the numbers a purge then removes']);
  });
});
