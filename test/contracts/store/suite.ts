/** The Store contract as data: clauses per port, run as vitest tests per dialect or checked against any harness. */
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import type { Clock } from '../../../src/core/clock.js';
import type { Store } from '../../../src/core/store.js';

/** A database the suite may empty and reopen at will. */
export interface StoreHarness {
  /** Opens another Store on the same database (a second process, in effect); `now` stamps its rows (default the fixtures' clock). */
  open(opts?: { now?: Clock }): Promise<Store>;
  /** Empties every table so each clause starts from nothing. */
  reset(): Promise<void>;
  teardown(): Promise<void>;
}

export type PortName = 'StoreLifecycle' | 'EventLog' | 'AlertOutbox' | 'DetectorState' | 'Inventory' | 'Identities' | 'Blocks' | 'Audit' | 'Retention' | 'Mutes' | 'ActionLog' | 'Accounts';

export interface ClauseContext {
  /** The store under test, opened once per run and emptied before each clause. */
  store: Store;
  /**
   * A second store on the same database, for clauses about concurrency and reopening, or about
   * rows stamped at another time (`now`); the clause closes it.
   */
  open(opts?: { now?: Clock }): Promise<Store>;
}

/** One MUST/SHOULD of docs/contracts/store.md and the check that holds a store to it. */
export interface Clause {
  port: PortName;
  /** The clause as the contract document words it, e.g. "MUST claim deliveries oldest first". */
  text: string;
  run(ctx: ClauseContext): Promise<void>;
}

export const clauseTitle = (c: Clause): string => `${c.port} ${c.text}`;

export function clause(port: PortName, text: string, run: (ctx: ClauseContext) => Promise<void>): Clause {
  return { port, text, run };
}

/** Registers one describe block per port, one test per clause, titled by the clause. */
export function describeStoreContract(name: string, makeHarness: () => Promise<StoreHarness>, clauses: readonly Clause[]): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeAll(async () => {
      h = await makeHarness();
      store = await h.open();
    });
    afterAll(async () => {
      await store?.close();
      await h?.teardown();
    });
    beforeEach(async () => {
      await h.reset();
    });
    const ports = [...new Set(clauses.map((c) => c.port))];
    for (const port of ports) {
      describe(port, () => {
        for (const c of clauses.filter((x) => x.port === port)) {
          it(clauseTitle(c), () => c.run({ store, open: (o) => h.open(o) }));
        }
      });
    }
  });
}

export interface ClauseFailure {
  title: string;
  error: unknown;
}

/** Runs the clauses against one harness outside of vitest's test tree; returns the ones the store breaks. */
export async function checkStoreContract(h: StoreHarness, clauses: readonly Clause[]): Promise<ClauseFailure[]> {
  const failures: ClauseFailure[] = [];
  const store = await h.open();
  try {
    for (const c of clauses) {
      await h.reset();
      try {
        await c.run({ store, open: (o) => h.open(o) });
      } catch (error) {
        failures.push({ title: clauseTitle(c), error });
      }
    }
  } finally {
    await store.close();
  }
  return failures;
}

/** Throws one error naming every broken clause and why, or returns when the store keeps them all. */
export async function assertStoreContract(h: StoreHarness, clauses: readonly Clause[]): Promise<void> {
  const failures = await checkStoreContract(h, clauses);
  if (failures.length === 0) return;
  const why = (e: unknown): string => (e instanceof Error ? e.message.split('\n')[0]! : String(e));
  throw new Error(`Store breaks its contract:\n${failures.map((f) => `- ${f.title}: ${why(f.error)}`).join('\n')}`);
}
