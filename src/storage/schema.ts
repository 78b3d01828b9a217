/** Kysely table types for the store: column names as stored, timestamps as epoch ms integers. */
import type { Generated } from 'kysely';

export interface EventsTable {
  id: string;
  /** Event time (`@timestamp`), epoch ms. */
  ts: number;
  ingested: number;
  provider: string;
  dataset: string;
  action: string;
  outcome: string;
  user_email: string | null;
  source_ip: string | null;
  count: number;
  /** JSON of the whole SecurityEvent, raw record included. */
  doc: string;
}

export interface AlertsTable {
  id: string;
  dedup_key: string;
  rule: string;
  severity: string;
  entity_type: string;
  entity_value: string;
  window_start: number;
  window_end: number;
  status: string;
  created_at: number;
  updated_at: number;
  /** JSON of the Alert; the columns above win over it when they differ (status, window end, group). */
  doc: string;
  /** The notification group (its first alert's id); null when grouping was off or before migration 007. */
  group_id: string | null;
  /** Who is on it (an account's email); null when nobody is (or before migration 011). */
  assignee: string | null;
}

export interface DeliveriesTable {
  id: string;
  alert_id: string;
  sink: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  /** Lease end on the lease clock (epoch ms) while delivering; null otherwise. */
  lease_until: number | null;
  /** The outbox holding the lease (one id per process); null when not delivering or leased before migration 004. */
  lease_owner: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /** 'alert' (tells a new alert; one per alert and sink) or 'update' (tells what changed since). */
  kind: string;
}

/** Handles a sink keeps across deliveries and restarts (a Slack thread, a Jira issue key). */
export interface SinkRefsTable {
  sink: string;
  key: string;
  value: string;
  updated_at: number;
}

/** The DetectorState port's rows (getState/putState); the table keeps its first name, `baselines`. */
export interface BaselinesTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface CursorsTable {
  source: string;
  value: string;
  updated_at: number;
}

export interface BlockedUsersTable {
  user_name: string;
  reason: string;
  blocked_at: number;
  blocked_by: string;
  /** 'all', or one activity class (download, share, delete, ...). */
  scope: string;
  /** Epoch ms the block ends on its own; NULL: until unblocked. */
  expires_at: number | null;
  /** The alert that caused it, if one did. */
  alert_id: string | null;
}

/** Response actions: the queue of automatic ones and the record of every one (see ActionLog). */
export interface ActionsTable {
  id: string;
  /** Once-only key: a policy's action on an alert's target, or one manual request. */
  key: string;
  alert_id: string | null;
  policy: string | null;
  source: string;
  service: string;
  action: string;
  /** The ActionTarget as JSON. */
  target: string;
  /** The target's id (user email or file id), for lookups. */
  target_id: string;
  actor: string;
  reason: string;
  mode: string;
  status: string;
  automatic: number;
  disruptive: number;
  due_at: number;
  attempts: number;
  before_state: string | null;
  after_state: string | null;
  plan: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export interface FilesTable {
  key: string;
  provider: string;
  file_id: string;
  name: string | null;
  owner: string | null;
  visibility: string | null;
  data: string;
  updated_at: number;
  /** 0/1: SQLite has no boolean type and the query code is shared. */
  deleted: number;
  /** The last scan's level (migration 012); null until scanned. */
  sensitivity: string | null;
  /** The last scan's content hash, `<algo>:<hex>`: the scanner's cache key across files. */
  content_hash: string | null;
  /** FileClassification as JSON (counts and masked samples only). */
  classification: string | null;
}

export interface IdentitiesTable {
  source: string;
  source_id: string;
  canonical: string;
  updated_at: number;
}

export interface DeadLettersTable {
  id: Generated<number>;
  source: string;
  code: string;
  reason: string;
  payload: string;
  /** Size in UTF-8 bytes of the payload as received, before truncation. */
  payload_bytes: number;
  position: string | null;
  created_at: number;
  /** Hash of source, code, position and payload: the same bad record read again is not stored again (NULL on rows from before migration 006). */
  key: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  details: string;
}

export interface MutesTable {
  id: Generated<number>;
  rule: string | null;
  entity_type: string | null;
  /** Exact value or a glob (`*`, `?`; a backslash escapes the next character). */
  entity_value: string | null;
  /** Epoch ms the mute ends; NULL: until removed. */
  until: number | null;
  reason: string;
  actor: string;
  created_at: number;
  source: string;
  /** The alert whose false-positive feedback made it, if one did. */
  alert_id: string | null;
  removed_at: number | null;
  removed_by: string | null;
}

/** Accounts of the API and dashboard (see Accounts). */
export interface AccountsTable {
  email: string;
  role: string;
  password_hash: string | null;
  disabled: number;
  created_at: number;
  last_login_at: number | null;
  failed_logins: number;
  locked_until: number | null;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  email: string;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  hash: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface SessionsTable {
  /** SHA-256 of the cookie's value, hex. */
  id_hash: string;
  email: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface Database {
  events: EventsTable;
  alerts: AlertsTable;
  deliveries: DeliveriesTable;
  baselines: BaselinesTable;
  cursors: CursorsTable;
  blocked_users: BlockedUsersTable;
  files: FilesTable;
  identities: IdentitiesTable;
  dead_letters: DeadLettersTable;
  audit_log: AuditLogTable;
  sink_refs: SinkRefsTable;
  mutes: MutesTable;
  actions: ActionsTable;
  accounts: AccountsTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
}

/** Every table the store owns, in an order safe for deletes (children before parents). */
export const TABLES = [
  'deliveries', 'alerts', 'events', 'baselines', 'cursors', 'blocked_users', 'files', 'identities',
  'dead_letters', 'audit_log', 'sink_refs', 'mutes', 'actions', 'sessions', 'api_tokens', 'accounts',
] as const satisfies ReadonlyArray<keyof Database>;
