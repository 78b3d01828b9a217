/** The storage contract, as narrow ports every dialect (SQLite, PostgreSQL) fulfils; docs/contracts/store.md writes it down and test/contracts/store checks it. */
import type { ActionOutcome, ActionState, ActionTarget } from './action.js';
import type { Alert, AlertStatus, Entity, Severity } from './alert.js';
import type { SecurityEvent } from './event.js';
import type { ActivitySeries, DeliveryKind } from './sink.js';
import type { FileClassification, Sensitivity } from './pii.js';
import type { DeadLetterInput } from './source.js';

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed';

/**
 * The sinks an alert goes to (routing, mutes): asked inside the store's transaction for each alert
 * created, and for each alert whose counts grew, with the alert as stored. Pure and synchronous.
 */
export type AlertRoute = (alert: Alert) => readonly string[];

export interface SaveAlertsOptions {
  /**
   * Grouping (alerting.group_window), ms: a new alert joins the group of the latest alert on the
   * same entity (type and value) whose window starts at most this long before its own, at the same
   * instant included. 0 or absent: no groups.
   */
  groupWindowMs?: number;
  /**
   * The sinks that take `update` deliveries (their `needs.updates`: they thread follow-ups and show
   * groups). Any other sink gets each new alert as an `alert` delivery, grouped or not, and nothing
   * when one grows, so a file or webhook receiver sees every alert exactly once. Absent: every sink.
   */
  updates?: ReadonlySet<string>;
}

/** Events of one entity in a time range, counted per bucket (see ActivitySeries). */
export interface ActivityQuery {
  entity: Entity;
  /** Epoch ms of event time, inclusive. */
  from: number;
  /** Epoch ms of event time, exclusive. */
  to: number;
  bucketMs: number;
}

export interface Delivery {
  id: string;
  alertId: string;
  sink: string;
  /** 'alert': tells the alert (one per alert and sink, ever); 'update': tells what changed since. */
  kind: DeliveryKind;
  status: DeliveryStatus;
  attempts: number;
  /** Epoch ms before which the delivery is not attempted (backoff, Retry-After). */
  nextAttemptAt: number;
  lastError?: string;
  /** While delivering: the outbox (one per process) that holds the lease. */
  leaseOwner?: string;
  /** While delivering: when the lease ends unless its holder renews it, epoch ms on the lease clock. */
  leaseUntil?: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * What claimDeliveries leases with. Leases run on their own clock, the wall clock in a running app:
 * they measure whether a process is still alive, while due times follow the run's clock, which may be
 * pinned (SAASWATCH_NOW, the demo) and so start over at each run.
 */
export interface LeaseRequest {
  /** Who holds the leases taken: one id per outbox, so it alone can renew them and finish the deliveries. */
  owner: string;
  /** The lease clock's now, epoch ms: a lease that ended before it has run out and may be taken over. */
  now: number;
  /** Lease length: a lease taken ends at now + ms unless its owner renews it. */
  ms: number;
}

export interface DeadLetter extends DeadLetterInput {
  id: number;
  createdAt: string;
}

export interface CommitBatch {
  /** Source instance name: the cursor key. */
  source: string;
  events: SecurityEvent[];
  deadLetters?: DeadLetterInput[];
  /** Saved in the same transaction as the events, so a crash never commits one without the other. */
  cursor?: string;
  /** Alerts raised by this batch, upserted (with their outbox deliveries) in the same transaction. */
  alerts?: Alert[];
  /** Sinks that get a delivery for each newly created alert, every alert alike; `route` wins when given. */
  sinks?: readonly string[];
  /** The sinks each alert goes to (see AlertRoute). */
  route?: AlertRoute;
  /** See SaveAlertsOptions. */
  groupWindowMs?: number;
  /** See SaveAlertsOptions. */
  updates?: ReadonlySet<string>;
  /**
   * Detector state as JSON text per key (undefined deletes the key), written in the same transaction:
   * a crash keeps the events and the state that counted them together, or neither.
   */
  state?: ReadonlyMap<string, string | undefined>;
}

export interface CommitResult {
  inserted: number;
  duplicates: number;
  /** Present when the batch carried alerts: what saveAlerts would have returned. */
  alerts?: { created: Alert[]; updated: number };
}

/**
 * What identifies a stored event: its id and its event time (epoch ms). The record the id hashes
 * also fixes the time, so the pair is unique exactly when the id is; stores key events by it so
 * that inserts append in time order.
 */
export interface EventKey {
  readonly id: string;
  readonly ts: number;
}

export interface EventQuery {
  /** Inclusive lower bound, epoch ms of event time. */
  from?: number;
  /** Exclusive upper bound, epoch ms of event time. */
  to?: number;
  /** Only events after this one in (time, id) order: the next page after the last event of a page. */
  after?: { time: number; id: string };
  /** Only events before this one in (time, id) order: the next page of a newest-first listing. */
  before?: { time: number; id: string };
  /** 'desc': newest first, by (time, id) descending; default ascending. */
  order?: 'asc' | 'desc';
  action?: string;
  userEmail?: string;
  sourceIp?: string;
  provider?: string;
  /** The event's `file.id` (read from the stored document: no column, so narrow by time as well). */
  fileId?: string;
  limit?: number;
}

/** Events per time bucket per provider (the overview's chart). */
export interface EventHistogram {
  from: number;
  to: number;
  bucketMs: number;
  /** One series per provider with events in the range, by provider name; `counts[i]` sums event.count in bucket i. */
  series: Array<{ provider: string; counts: number[] }>;
}

/** A source's saved position: what it last committed, and when. */
export interface CursorRecord {
  source: string;
  value: string;
  updatedAt: string;
}

/** Which alerts listAlerts gives, newest first by (created_at, id). */
export interface AlertQuery {
  status?: AlertStatus;
  severity?: Severity;
  rule?: string;
  /** Exact entity value, of any type unless `type` is given. */
  entity?: { type?: string; value: string };
  /** An assignee's email; null: only alerts nobody is assigned. */
  assignee?: string | null;
  /** Created at or after (epoch ms). */
  from?: number;
  /** Created before (epoch ms). */
  to?: number;
  /** Only alerts after this one in the newest-first order: the next page. */
  before?: { createdAt: number; id: string };
  limit?: number;
}

/** Alerts counted by rule, severity and status, with the newest one's creation time. */
export interface AlertCount {
  rule: string;
  severity: Severity;
  status: AlertStatus;
  count: number;
  /** Epoch ms. */
  lastAt: number;
}

/** Open alerts of one entity value per severity, with the newest one's creation time. */
export interface EntityAlertCount {
  value: string;
  severity: Severity;
  count: number;
  /** Epoch ms. */
  lastAt: number;
}

/** Which inventory files listFiles gives, by key. */
export interface FileQuery {
  /** Only files with one of these visibilities. */
  visibility?: readonly string[];
  /** Only files with a key after this one: the next page. */
  afterKey?: string;
  /** Include files marked deleted (default: not). */
  deleted?: boolean;
  /** Only files scanned at this level or above (`medium`: medium, high, critical); unscanned files are left out. */
  sensitivity?: Sensitivity;
  limit?: number;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

/** Narrows listAudit: each given field must match (action and actor exactly; `subject` anywhere in the details). */
export interface AuditQuery {
  limit?: number;
  action?: string;
  actor?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** Text the entry's details contain (a user, a file id, an alert id), case-insensitive. */
  subject?: string;
  /** Only entries with a smaller id: the next page of the newest-first listing. */
  beforeId?: number;
}

/** What a block stops: everything the user does, or one class of activity (as the proxy enforces it). */
export type BlockScope = 'all' | 'download' | 'upload' | 'share' | 'delete' | 'login';

export const BLOCK_SCOPES: readonly BlockScope[] = ['all', 'download', 'upload', 'share', 'delete', 'login'];

export interface BlockInput {
  /** The canonical identity (lowercase email), so one person is blocked across services. */
  user: string;
  reason: string;
  /** A person, or `rule:<id>` for a policy. */
  blockedBy: string;
  /** Default 'all'. */
  scope?: BlockScope;
  /** Epoch ms it ends on its own (auto-unblock); absent: until unblocked. */
  expiresAt?: number;
  /** The alert that caused it. */
  alertId?: string;
}

export interface BlockedUser {
  user: string;
  reason: string;
  blockedAt: string;
  blockedBy: string;
  scope: BlockScope;
  /** ISO time it ends on its own. */
  expiresAt?: string;
  alertId?: string;
}

export interface FileRecord {
  /** `<provider>:<file id>` */
  key: string;
  provider: string;
  fileId: string;
  name?: string;
  owner?: string;
  visibility?: string;
  /** Whatever the source knows (permissions, links, ...), stored as JSON. */
  data: Record<string, unknown>;
  updatedAt: string;
  deleted: boolean;
  /** The last content scan (src/pii); absent until the file is scanned. */
  classification?: FileClassification;
}

/**
 * Events as they were ingested, with each source's cursor and the records that could not be read.
 * The pipeline's port: commitBatch is its one write, and carries the batch's alerts and detector state.
 */
export interface EventLog {
  /**
   * Events (new ids only; known ids are ignored), dead letters, cursor, alerts with their deliveries
   * and detector state in one transaction.
   */
  commitBatch(batch: CommitBatch): Promise<CommitResult>;
  /** The ids of those among these events that are stored already. */
  knownEventIds(keys: readonly EventKey[]): Promise<Set<string>>;
  getCursor(source: string): Promise<string | undefined>;
  queryEvents(q?: EventQuery): Promise<SecurityEvent[]>;
  /**
   * The stored events among `ids`, in the order of `ids` (unknown ids left out). `within` (event
   * time, epoch ms, [from, to)) narrows the search: events are keyed by time first, so without it
   * the store may scan them all.
   */
  getEvents(ids: readonly string[], within?: { from: number; to: number }): Promise<SecurityEvent[]>;
  /**
   * Events of the entity per bucket from q.from to q.to: total (sum of event.count) and failures
   * (event.outcome = failure). Users match on user.email, ips on source.ip; undefined for an
   * entity type the store has no column for.
   */
  countActivity(q: ActivityQuery): Promise<ActivitySeries | undefined>;
  countEvents(q?: EventQuery): Promise<number>;
  /** Retention: deletes events with event time before `before` (epoch ms); returns how many. */
  purgeEventsBefore(before: number): Promise<number>;
  listDeadLetters(q?: { source?: string; limit?: number }): Promise<DeadLetter[]>;
  countDeadLetters(q?: { source?: string }): Promise<number>;
  /** Events per bucket per provider from `from` (inclusive) to `to` (exclusive), at most MAX_ACTIVITY_BUCKETS buckets. */
  eventHistogram(q: { from: number; to: number; bucketMs: number }): Promise<EventHistogram>;
  /** Per provider with events at or after `since` (epoch ms): its newest event time. */
  lastEventTimes(since: number): Promise<Array<{ provider: string; ts: number }>>;
  /** Every source's cursor, by source name. */
  listCursors(): Promise<CursorRecord[]>;
}

/** Alerts, deduplicated by key, and the outbox of their deliveries to sinks. */
export interface AlertOutbox {
  /**
   * Upserts alerts by dedup key, in the same transaction as the deliveries they call for. A new
   * alert joins its group (opts.groupWindowMs) and gets one pending delivery per sink `route`
   * names: of kind 'update' for a sink already told of its group, else 'alert'. (The responses an
   * alert asks for are the responder's: src/actions/responder.ts.) An existing alert has its window end, evidence and observed values refreshed; when
   * they grew, each routed sink gets an 'update' delivery, unless a delivery of the alert to that
   * sink is still pending (it will read the alert as it then stands) or the sink was never told of
   * the alert or its group (then an 'alert' delivery). `route` as a list: every alert to those sinks.
   */
  saveAlerts(alerts: Alert[], route: readonly string[] | AlertRoute, opts?: SaveAlertsOptions): Promise<{ created: Alert[]; updated: number }>;
  /** Newest first by (created_at, id), filtered (see AlertQuery). */
  listAlerts(q?: AlertQuery): Promise<Alert[]>;
  getAlert(id: string): Promise<Alert | undefined>;
  /** Sets (or, with null, clears) who is on an alert; returns it as it now stands, or undefined when there is no such alert. */
  assignAlert(id: string, assignee: string | null): Promise<Alert | undefined>;
  /** Every stored alert counted by rule, severity and status (only combinations that occur). */
  countAlerts(): Promise<AlertCount[]>;
  /** Open alerts on entities of `entityType`, counted per value and severity. */
  openAlertCounts(entityType: string): Promise<EntityAlertCount[]>;
  /** The alerts of a group, oldest window first (then by id), at most `limit`. */
  listGroup(groupId: string, limit?: number): Promise<Alert[]>;
  setAlertStatus(id: string, status: AlertStatus): Promise<void>;

  /**
   * Leases up to `limit` deliveries that are due (pending with nextAttemptAt <= dueBy, or delivering
   * under a lease that ended before lease.now), oldest due first, marking them delivering, held by
   * lease.owner until lease.now + lease.ms.
   */
  claimDeliveries(dueBy: number, limit: number, lease: LeaseRequest): Promise<Delivery[]>;
  /**
   * Moves the lease end of those of `ids` that `owner` still holds to `until`; returns their ids. An id
   * left out was finished or taken over by another outbox after its lease ran out: it is no longer ours.
   */
  renewLeases(owner: string, ids: readonly string[], until: number): Promise<string[]>;
  /**
   * The three outcomes. Given `owner`, each applies only while that owner holds the delivery's lease
   * and rejects otherwise (`STORAGE`, `details.leaseLost`), so a holder whose lease was taken over
   * cannot overwrite what the new holder records.
   */
  completeDelivery(id: string, owner?: string): Promise<void>;
  retryDelivery(id: string, nextAttemptAt: number, error: string, owner?: string): Promise<void>;
  failDelivery(id: string, error: string, owner?: string): Promise<void>;
  listDeliveries(q?: { status?: DeliveryStatus; alertId?: string; limit?: number }): Promise<Delivery[]>;
  /** A sink's saved handle (sink_refs), e.g. the Slack message a group's thread hangs from. */
  getSinkRef(sink: string, key: string): Promise<string | undefined>;
  /** Saves (or replaces) a sink's handle under `key`. */
  putSinkRef(sink: string, key: string, value: string): Promise<void>;
}

/** Small keyed JSON state that survives restarts: detector models, Sigma and brute-force windows. */
export interface DetectorState {
  /** The value last put under `key`, as JSON gives it back; undefined when there is none. */
  getState(key: string): Promise<unknown>;
  /** Stores `value` as JSON under `key`; undefined deletes the key. */
  putState(key: string, value: unknown): Promise<void>;
}

/** What sources know of the files they list: owner, visibility, sharing; and what the PII scanner found in them. */
export interface Inventory {
  /** Every field but `classification`, which only setClassification writes (a listing must not forget a scan). */
  upsertFile(f: Omit<FileRecord, 'updatedAt'>): Promise<void>;
  getFile(key: string): Promise<FileRecord | undefined>;
  /** Files by key ascending, filtered (see FileQuery). */
  listFiles(q?: FileQuery): Promise<FileRecord[]>;
  /**
   * Stores a file's latest scan, replacing the previous one. A file not in the inventory yet is added
   * with what the scan knew of it (name, owner, visibility; empty data); a known file keeps its other fields.
   */
  setClassification(f: Pick<FileRecord, 'key' | 'provider' | 'fileId'> & Partial<Pick<FileRecord, 'name' | 'owner' | 'visibility'>>, c: FileClassification): Promise<void>;
  /** A stored classification of content with this hash (any file's, the most recently stored), so identical content is not scanned twice. */
  findClassification(contentHash: string): Promise<FileClassification | undefined>;
}

/** Identity mapping: (source, source identity) → canonical identity. */
export interface Identities {
  putIdentity(source: string, sourceId: string, canonical: string): Promise<void>;
  resolveIdentity(source: string, sourceId: string): Promise<string | undefined>;
  /** Mappings by source then source id; with `canonical`, only that identity's. */
  listIdentities(q?: { canonical?: string; limit?: number }): Promise<Array<{ source: string; sourceId: string; canonical: string }>>;
}

/** Users blocked by an analyst or by a policy; every change is in the audit log, written in the same transaction. */
export interface Blocks {
  /**
   * Blocks (or re-blocks: reason, scope, expiry, actor and alert are replaced, the start is kept)
   * with a `block` audit entry; returns the block as it stands.
   */
  blockUser(u: BlockInput): Promise<BlockedUser>;
  /** Removes the block with an `unblock` audit entry (who, why); returns it, or undefined when there was none. */
  unblockUser(user: string, by?: { actor: string; reason?: string }): Promise<BlockedUser | undefined>;
  /** Newest first. With activeAt (epoch ms): only blocks in force then (not expired); with user: only that user's. */
  listBlockedUsers(q?: { activeAt?: number; user?: string }): Promise<BlockedUser[]>;
  /** Lifts the blocks whose expiry is at or before `now`, each with an `unblock` audit entry by `saaswatch:expiry`; returns them. */
  expireBlocks(now: number): Promise<BlockedUser[]>;
}

/** Who did what, newest first. */
export interface Audit {
  audit(actor: string, action: string, details: Record<string, unknown>): Promise<void>;
  /** Newest first; a number is a limit alone. */
  listAudit(q?: number | AuditQuery): Promise<AuditEntry[]>;
}

/** Where an action is on its way: queued, sent (not yet verified and recorded), or ended. */
export type ActionStatus = 'pending' | 'started' | ActionOutcome;

/** One response action as asked for: by an analyst (`saaswatch act`) or by a policy for an alert. */
export interface ActionInput {
  /**
   * Once-only key: a second request with a known key is the first one (a replayed alert, a retried
   * command). A policy's is `policy:<policy>:<alert>:<action>:<source>:<target>`.
   */
  key: string;
  alertId?: string;
  /** The policy that asked, for an automatic action. */
  policy?: string;
  /** Source instance name whose connector acts (`saaswatch` for saaswatch's own blocklist). */
  source: string;
  /** The source's type. */
  service: string;
  action: string;
  target: ActionTarget;
  actor: string;
  reason: string;
  mode: 'dry-run' | 'execute';
  automatic: boolean;
  disruptive: boolean;
  /** Epoch ms before which it is not run (a policy's `after`). */
  dueAt: number;
}

export interface ActionRecord extends ActionInput {
  id: string;
  status: ActionStatus;
  attempts: number;
  before?: ActionState;
  after?: ActionState;
  /** What a dry run would do, or what was done. */
  plan?: string;
  /** Why it failed or was refused or cancelled. */
  error?: string;
  createdAt: string;
  updatedAt: string;
}

/** A change to an action's record, applied only while it has the `from` status when one is given. */
export interface ActionUpdate {
  status: ActionStatus;
  /** What the config allows when it runs (it may have changed since the action was queued). */
  mode?: 'dry-run' | 'execute';
  attempts?: number;
  dueAt?: number;
  before?: ActionState;
  after?: ActionState;
  plan?: string;
  error?: string;
}

/** Which actions to list or count. */
export interface ActionQuery {
  status?: readonly ActionStatus[];
  alertId?: string;
  /** Only those due at or before this (epoch ms). */
  dueBy?: number;
  source?: string;
  action?: string;
  targetId?: string;
  automatic?: boolean;
  disruptive?: boolean;
  /** Last updated at or after this (epoch ms). */
  updatedSince?: number;
  /** Sent to the service at least once (attempts > 0), whatever came of it. */
  sent?: boolean;
  limit?: number;
}

/**
 * Response actions: the queue automatic ones wait in, and the record of every action with its
 * before and after state. An action is `started` before it is sent, so a crash between sending and
 * recording leaves it to be verified on the next run rather than forgotten.
 */
export interface ActionLog {
  /** Stores those whose key is new (as `pending`); returns every one as it now stands, new or not, in input order. */
  queueActions(rows: readonly ActionInput[]): Promise<ActionRecord[]>;
  /**
   * Changes one action, with its audit entry when given, in one transaction. With `from`, only while
   * the action has that status: returns false (and writes nothing) when it does not, so two
   * processes cannot both start it.
   */
  updateAction(id: string, change: ActionUpdate, opts?: { from?: ActionStatus; audit?: { actor: string; action: string; details: Record<string, unknown> } }): Promise<boolean>;
  /** Oldest first (by due time, then creation). */
  listActions(q?: ActionQuery): Promise<ActionRecord[]>;
  countActions(q?: ActionQuery): Promise<number>;
}

/** Where a mute came from. */
export type MuteSource = 'cli' | 'config' | 'feedback' | 'api';

/**
 * What a mute matches: a rule, an entity, or both (at least one). The entity's value may be a glob
 * (`*` any run of characters, `?` one, a backslash escapes the next), matched without regard to case.
 */
export interface MutePattern {
  rule?: string;
  entity?: Entity;
}

export interface MuteInput extends MutePattern {
  /** Epoch ms the mute ends; absent: until removed. */
  until?: number;
  /** Why, in the analyst's words: required, it is what the audit log shows. */
  reason: string;
  /** Who muted. */
  actor: string;
  source: MuteSource;
  /** The alert whose false-positive feedback made the mute. */
  alertId?: string;
}

export interface Mute extends MuteInput {
  id: number;
  createdAt: string;
  /** When and by whom it was removed; a removed mute is kept so stored alerts can show what held them back. */
  removedAt?: string;
  removedBy?: string;
}

/** Suppression: mutes keep matching alerts from being delivered (they are still stored). */
export interface Mutes {
  /** Stores a mute and its audit entry (`mute`: who, why, what, until) in one transaction; returns it. */
  addMute(m: MuteInput): Promise<Mute>;
  /**
   * Mutes newest first. With activeAt (epoch ms): only those in force then (not removed, and without
   * an end or ending after it). Without: every one, removed and expired ones included.
   */
  listMutes(q?: { activeAt?: number }): Promise<Mute[]>;
  /**
   * Removes a mute (kept, marked removed) with its audit entry (`unmute`: who, why) in one
   * transaction; returns it, or undefined when there is no such mute or it was removed already.
   */
  removeMute(id: number, by: { actor: string; reason?: string }): Promise<Mute | undefined>;
}

/**
 * Cut-off instants (epoch ms) per table for a purge: rows older than their table's cut-off go. A
 * table without a cut-off is left alone.
 */
export interface PurgeCutoffs {
  /** Events whose event time is before this. */
  events?: number;
  /** Dead letters stored before this. */
  deadLetters?: number;
  /**
   * Alerts last raised or updated before this, whatever their status, unless one of their deliveries
   * is pending or delivering; their deliveries go with them.
   */
  alerts?: number;
  /** Deliveries delivered or failed (last updated) before this; pending and delivering ones never go. */
  deliveries?: number;
  /** Audit entries made before this. */
  auditLog?: number;
  /** Response actions that ended (not pending, not started) and last changed before this. */
  actions?: number;
}

/** Rows a purge removed (or, on a dry run, would remove) per table. */
export interface PurgeCounts {
  events: number;
  deadLetters: number;
  alerts: number;
  /** Those purged for their own age and those that went with their alert. */
  deliveries: number;
  auditLog: number;
  actions: number;
}

/** Retention: removes rows past their table's period, on a schedule (`run`) and on demand (`purge`). */
export interface Retention {
  /** Deletes what the cut-offs select, table by table; with dryRun, only counts it. */
  purge(before: PurgeCutoffs, opts?: { dryRun?: boolean }): Promise<PurgeCounts>;
}

/** What an account may do (the API's roles, least to most). */
export type AccountRole = 'viewer' | 'analyst' | 'admin';

/** An audit entry written in the same transaction as the change it records. */
export interface AuditNote {
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

/** A person who may log in to the API and dashboard. */
export interface Account {
  /** Lowercase: the store keeps one account per address whatever its case. */
  email: string;
  role: AccountRole;
  /** The password's hash with its parameters; absent for an account that logs in only through OIDC. */
  passwordHash?: string;
  disabled: boolean;
  createdAt: string;
  lastLoginAt?: string;
  /** Wrong passwords since the last success or lockout. */
  failedLogins: number;
  /** ISO time the lockout ends, while or after one was set. */
  lockedUntil?: string;
}

/** What reserveLogin answers: whether the check may go ahead, the account as it now stands, and whether this reservation locked it. */
export interface LoginReservation {
  reserved: boolean;
  account: Account;
  locks: boolean;
}

export interface AccountInput {
  email: string;
  role: AccountRole;
  passwordHash?: string;
}

/**
 * `keepAnAdmin: true`: a change or removal that would leave no enabled admin throws CONFLICT and
 * changes nothing, decided inside the write itself, so two such changes at once cannot both pass.
 */
export interface KeepAnAdmin {
  keepAnAdmin?: boolean;
}

/** What updateAccount changes; passwordHash null removes the password (OIDC only). */
export interface AccountChange {
  role?: AccountRole;
  disabled?: boolean;
  passwordHash?: string | null;
  /** Clears the failed-login count and any lockout (an admin lifting a lock). */
  unlock?: boolean;
}

/** An API token as stored: its hash only, never the token. */
export interface ApiToken {
  id: string;
  name: string;
  email: string;
  createdAt: string;
  lastUsedAt?: string;
  expiresAt?: string;
  revokedAt?: string;
}

export interface ApiTokenInput {
  id: string;
  name: string;
  email: string;
  /** SHA-256 of the token, hex. */
  hash: string;
  /** Epoch ms it stops working; absent: until revoked. */
  expiresAt?: number;
}

/** A logged-in browser, found by the hash of its cookie. */
export interface Session {
  email: string;
  /** The synchronizer token state-changing requests send back as X-CSRF-Token. */
  csrfToken: string;
  createdAt: string;
  lastSeenAt: string;
  /** ISO time the session ends however active it is. */
  expiresAt: string;
  ip?: string;
  userAgent?: string;
}

export interface SessionInput {
  /** SHA-256 of the cookie's value, hex: a copy of the table opens no browser's session. */
  idHash: string;
  email: string;
  csrfToken: string;
  /** Epoch ms. */
  expiresAt: number;
  ip?: string;
  userAgent?: string;
}

/**
 * Accounts of the API and dashboard, their API tokens and browser sessions. Every change an
 * `audit` note is given for is audited in the same transaction. A change of role, disabling or a
 * new password ends the account's sessions; removing an account removes its tokens and sessions.
 */
export interface Accounts {
  /** Stores a new account (email lowercased); undefined when one with that email exists. */
  addAccount(a: AccountInput, audit?: AuditNote): Promise<Account | undefined>;
  getAccount(email: string): Promise<Account | undefined>;
  /** By email. */
  listAccounts(): Promise<Account[]>;
  /** Applies the change; undefined when there is no such account. With `keepAnAdmin`, see KeepAnAdmin. */
  updateAccount(email: string, change: AccountChange, audit?: AuditNote, opts?: KeepAnAdmin): Promise<Account | undefined>;
  /** Removes the account with its tokens and sessions; returns it, or undefined when there was none. With `keepAnAdmin`, see KeepAnAdmin. */
  removeAccount(email: string, audit?: AuditNote, opts?: KeepAnAdmin): Promise<Account | undefined>;
  /**
   * Reserves one password check before it is made, counting it as a failure in the same write: checks
   * made at once can never outnumber `lock.maxFailures`. Refused (`reserved: false`) while the account
   * is locked (store clock); the reservation that reaches the limit locks the account until
   * `lock.until` (epoch ms) and starts the count over (`locks: true`), so each lock has exactly one
   * such reservation. A right password is then cleared by recordLogin. Undefined for no such account.
   */
  reserveLogin(email: string, lock: { maxFailures: number; until: number }): Promise<LoginReservation | undefined>;
  /** Stamps the last login with the store clock and clears failures and lockout. */
  recordLogin(email: string, audit?: AuditNote): Promise<void>;

  addToken(t: ApiTokenInput, audit?: AuditNote): Promise<ApiToken>;
  /** Tokens not revoked, newest first; with email, only that account's. */
  listTokens(q?: { email?: string }): Promise<ApiToken[]>;
  /** The token with this hash, revoked or expired ones included. */
  findToken(hash: string): Promise<ApiToken | undefined>;
  /** Sets the token's last use (epoch ms). */
  touchToken(id: string, at: number): Promise<void>;
  /** Revokes a token; undefined when there is none or it was revoked already. */
  revokeToken(id: string, audit?: AuditNote): Promise<ApiToken | undefined>;

  /** Stores a session; sessions whose absolute end has passed (store clock) go at the same time. */
  addSession(s: SessionInput): Promise<void>;
  findSession(idHash: string): Promise<Session | undefined>;
  /** Sets the session's last activity (epoch ms). */
  touchSession(idHash: string, at: number): Promise<void>;
  /** Ends one session; false when there was none. */
  endSession(idHash: string): Promise<boolean>;
}

/** Opening concerns of one database: which dialect, its schema version, closing it. */
export interface StoreLifecycle {
  readonly dialect: 'sqlite' | 'postgres';
  /** Applies pending versioned migrations; returns the schema version now in force. */
  migrate(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Every port over one database, as the app opens and wires it. Consumers take only the ports they
 * use (the pipeline an EventLog, the outbox an AlertOutbox, detectors a DetectorState, ...), so a
 * new consumer's needs, and a fake for its tests, stay as small as its job.
 */
export interface Store extends StoreLifecycle, EventLog, AlertOutbox, DetectorState, Inventory, Identities, Blocks, Audit, Retention, Mutes, ActionLog, Accounts {}
