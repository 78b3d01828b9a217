/**
 * What a source folder exports in `fixtures/contract.ts` so the shared source contract suite
 * (test/contracts/source.contract.test.ts, clauses in docs/contracts/source.md) can run it against
 * its fake with no test code of its own.
 */

export interface SourceContractRun {
  /** The source's config as a user writes it (before its schema), reading the fake's records. */
  config: Record<string, unknown>;
  /** The same, with a credential the fake refuses; absent for sources that have none. */
  badCredential?: Record<string, unknown>;
  /** Secret values of both configs: none may appear in an error or a log line. */
  secrets: string[];
  /** The source's present (epoch ms): the fake's records lie before it. */
  now: number;
  /** The next `n` requests answer 429 with Retry-After `seconds`; absent for sources that call nothing. */
  rateLimit?(n: number, seconds: number): void;
  close(): Promise<void>;
}

export interface SourceContractHarness {
  /** A fake holding records that take several batches to read. */
  start(): Promise<SourceContractRun>;
}
