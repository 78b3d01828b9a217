/** The storage contract every dialect (SQLite, PostgreSQL) fulfils; contract tests run over all of them. */
import type { Alert, AlertStatus } from './alert.js';
import type { SecurityEvent } from './event.js';
import type { DeadLetterInput } from './source.js';

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface Delivery {
  id: string;
  alertId: string;
  sink: string;
  status: DeliveryStatus;
  attempts: number;
  /** Epoch ms before which the delivery is not attempted (backoff, Retry-After). */
  nextAttemptAt: number;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
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
  /** Alerts raised by this batch, upserted (with their outbox deliveries and the blocks they ask for) in the same transaction. */
  alerts?: Alert[];
  /** Sinks that get a delivery for each newly created alert. */
  sinks?: string[];
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

export interface EventQuery {
  /** Inclusive lower bound, epoch ms of event time. */
  from?: number;
  /** Exclusive upper bound, epoch ms of event time. */
  to?: number;
  /** Only events after this one in (time, id) order: the next page after the last event of a page. */
  after?: { time: number; id: string };
  action?: string;
  userEmail?: string;
  sourceIp?: string;
  provider?: string;
  limit?: number;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export interface BlockedUser {
  user: string;
  reason: string;
  blockedAt: string;
  blockedBy: string;
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
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Applies pending versioned migrations; returns the schema version now in force. */
  migrate(): Promise<number>;
  close(): Promise<void>;

  /** Events (new ids only; known ids are ignored), dead letters, cursor and alerts in one transaction. */
  commitBatch(batch: CommitBatch): Promise<CommitResult>;
  /** Which of these event ids are stored already. */
  knownEventIds(ids: readonly string[]): Promise<Set<string>>;
  getCursor(source: string): Promise<string | undefined>;
  queryEvents(q?: EventQuery): Promise<SecurityEvent[]>;
  countEvents(q?: EventQuery): Promise<number>;
  /** Retention: deletes events with event time before `before` (epoch ms); returns how many. */
  purgeEventsBefore(before: number): Promise<number>;

  /**
   * Upserts alerts by dedup key. A new alert gets one pending delivery per sink, and the user blocks
   * its actions ask for (blocked_users plus an audit entry; an existing block stands), in the same
   * transaction; an existing alert only has its window end, evidence and observed values refreshed.
   */
  saveAlerts(alerts: Alert[], sinks: string[]): Promise<{ created: Alert[]; updated: number }>;
  listAlerts(q?: { status?: AlertStatus; rule?: string; limit?: number }): Promise<Alert[]>;
  getAlert(id: string): Promise<Alert | undefined>;
  setAlertStatus(id: string, status: AlertStatus): Promise<void>;

  /**
   * Leases up to `limit` deliveries that are due (pending and nextAttemptAt <= now, or delivering
   * with an expired lease), marking them delivering until now + leaseMs.
   */
  claimDeliveries(now: number, limit: number, leaseMs: number): Promise<Delivery[]>;
  completeDelivery(id: string): Promise<void>;
  retryDelivery(id: string, nextAttemptAt: number, error: string): Promise<void>;
  failDelivery(id: string, error: string): Promise<void>;
  listDeliveries(q?: { status?: DeliveryStatus; alertId?: string; limit?: number }): Promise<Delivery[]>;

  listDeadLetters(q?: { source?: string; limit?: number }): Promise<DeadLetter[]>;
  countDeadLetters(q?: { source?: string }): Promise<number>;

  /** Small JSON state per key (detector baselines, model state). */
  getBaseline(key: string): Promise<unknown>;
  putBaseline(key: string, value: unknown): Promise<void>;

  blockUser(u: Omit<BlockedUser, 'blockedAt'>): Promise<void>;
  unblockUser(user: string): Promise<boolean>;
  listBlockedUsers(): Promise<BlockedUser[]>;

  upsertFile(f: Omit<FileRecord, 'updatedAt'>): Promise<void>;
  getFile(key: string): Promise<FileRecord | undefined>;

  /** Identity mapping: (source, source identity) → canonical identity. */
  putIdentity(source: string, sourceId: string, canonical: string): Promise<void>;
  resolveIdentity(source: string, sourceId: string): Promise<string | undefined>;

  audit(actor: string, action: string, details: Record<string, unknown>): Promise<void>;
  listAudit(limit?: number): Promise<AuditEntry[]>;
}
