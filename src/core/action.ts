/** The response-action contract: what a connector (a source's SaaS client) can do to a user or a file, read, planned, applied and verified. */

/** What an action is done to, in the words of the service that does it. */
export interface ActionTarget {
  kind: 'user' | 'file';
  /** A user: the email the service knows them by (identity mapping applied). A file: the service's file id. */
  id: string;
  /** For an action on one member of a file (remove-file-member): that member's email. */
  member?: string;
  /**
   * A file's owner (email) when known, from the events or the inventory: services whose admin
   * credentials act on a file as one of their users (Dropbox team apps) act as the owner.
   */
  owner?: string;
}

/**
 * What a connector read about a target, as plain JSON facts (`{ suspended: false }`,
 * `{ anyone_link: true, permission_id: "anyoneWithLink" }`). Written to the audit log as the before
 * and after state, so it never holds a secret or file contents.
 */
export type ActionState = Record<string, unknown>;

/**
 * One thing a connector can do. Connectors name the same job the same way (`suspend-user` on every
 * service that can suspend), so a policy or an analyst asks for the job and every service that can
 * do it for the target does it.
 */
export interface ConnectorAction {
  /** kebab-case and shared across services: suspend-user, unsuspend-user, sign-out-user, remove-public-link, remove-file-member. */
  name: string;
  target: 'user' | 'file';
  /** One line for `saaswatch actions`. */
  summary: string;
  /**
   * Locks a person out of a service (suspend, disable, sign out): never run automatically on a
   * protected account, and counted by the automatic-action rate limit.
   */
  disruptive: boolean;
  /** The action that undoes this one, when there is one. */
  undo?: string;
  /** Needs ActionTarget.member. */
  needsMember?: boolean;
  /**
   * Reads the state the action changes. Throws a SaaswatchError when it cannot: for a user or file
   * the service does not know, HTTP_REJECTED naming it with `details.notFound: true` (a policy
   * acting on every service then skips this one); for a missing permission, HTTP_REJECTED naming
   * the scope to grant.
   */
  read(t: ActionTarget, signal: AbortSignal): Promise<ActionState>;
  /**
   * Whether `state` shows the job done: a done state makes a repeat a success without a call, and
   * the state read after apply must be done for the action to count as done. Absent for one-shot
   * actions that leave nothing to read (sign-out): those always apply, and are done when apply returns.
   */
  done?(state: ActionState): boolean;
  /** One sentence on what apply would change, given the before state: what a dry run reports. */
  plan(t: ActionTarget, before: ActionState): string;
  /** Does it. Must be safe to repeat; returns what the service answered worth recording (or nothing). */
  apply(t: ActionTarget, before: ActionState, signal: AbortSignal): Promise<ActionState | void>;
}

/** The actions one configured source (a connection to one SaaS tenant) offers. */
export interface ActionConnector {
  /** The source's type: google-workspace, dropbox, microsoft-graph, ... */
  readonly service: string;
  readonly actions: readonly ConnectorAction[];
  /**
   * Whether a file target belongs to this service: a file id as its events carry it, with the
   * event's provider. Absent: files of `provider === service`.
   */
  ownsFile?(provider: string, fileId: string): boolean;
  close?(): Promise<void>;
}

/** The ways one requested action can end. */
export type ActionOutcome =
  /** A dry run: nothing changed; the plan says what would. */
  | 'dry-run'
  /** Applied and verified. */
  | 'done'
  /** Already in the wanted state: nothing sent, a success. */
  | 'already'
  /** Failed (for good, or after the retries); never reported as done. */
  | 'failed'
  /** Not attempted: protected account, not enabled for execution, or the rate limit. */
  | 'refused'
  /** An automatic action on a service that does not know the target (a user who has no account there): nothing to do. */
  | 'skipped'
  /** An automatic action whose alert was acknowledged or closed before it was due. */
  | 'cancelled';
