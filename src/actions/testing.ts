/** What a source's fixtures/actions.ts gives the shared action contract suite (test/contracts/action.contract.test.ts): its fake, started, with targets to act on. */
import type { ActionTarget } from '../core/index.js';

export interface ActionFixture {
  /** The source's config section (as a user writes it, without `type`/`name`), pointing at the fake. */
  config: Record<string, unknown>;
  /**
   * For each action the connector offers: a target on which it has something to do (an active
   * user for suspend-user, a suspended one for unsuspend-user, a file readable by anyone with the
   * link for remove-public-link, a file and one of its members for remove-file-member).
   */
  targets: Record<string, ActionTarget>;
  /** A user the service does not know (and, with file actions, a file it does not know). */
  unknown: { user: ActionTarget; file?: ActionTarget };
  /**
   * The fake's own record of a target, read from its state and not through the connector, so a
   * check can see that an action changed the service (or that a dry run did not). JSON.
   */
  inspect(t: ActionTarget): unknown;
  /** How many state-changing requests (POST/PATCH/PUT/DELETE that change something) the fake has received. */
  writes(): number;
  /** The next n requests are answered 429 with Retry-After: retryAfterSec, in the service's error shape. */
  rateLimitNext(n: number, retryAfterSec: number): void;
  /** From now on the credentials lack the scopes (permissions) the actions need: calls answer 403 as the service does. */
  denyScopes(): void;
  close(): Promise<void>;
}

export interface ActionContractHarness {
  /** Starts the fake with fresh state: each check gets its own. */
  start(): Promise<ActionFixture>;
}
