/** The Store contract over Kysely: one implementation of every query for both dialects, given a Backend. */
import { createHash, randomUUID } from 'node:crypto';
import { Migrator, sql, type Compilable, type Selectable, type DeleteQueryBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import { dedupKey, SEVERITY_RANK, type Alert, type AlertStatus, type Severity } from '../core/alert.js';
import { systemClock, type Clock } from '../core/clock.js';
import { errors, SaaswatchError } from '../core/errors.js';
import type { SecurityEvent } from '../core/event.js';
import type { DeadLetterInput } from '../core/source.js';
import { SENSITIVITIES, sensitivityRank, type FileClassification } from '../core/pii.js';
import type { ActivitySeries, DeliveryKind } from '../core/sink.js';
import type {
  ActivityQuery, AlertCount, AlertQuery, AlertRoute, CursorRecord, EntityAlertCount, EventHistogram, EventKey, FileQuery, SaveAlertsOptions, ActionInput, ActionQuery, ActionRecord, ActionStatus, ActionUpdate, AuditQuery, BlockInput, BlockScope,
  AuditEntry, BlockedUser, CommitBatch, CommitResult, DeadLetter, Delivery, DeliveryStatus, EventQuery, FileRecord, LeaseRequest, Mute, MuteInput,
  MuteSource, PurgeCounts, PurgeCutoffs, Store, Account, AccountChange, AccountInput, AccountRole, KeepAnAdmin, LoginReservation, ApiToken, ApiTokenInput, AuditNote, Session, SessionInput,
} from '../core/store.js';
import { chunkRows, type Backend } from './dialect.js';
import { storableText } from './event-row.js';
import { toStorageError } from './errors.js';
import type { WriteStep } from './sqlite-writer.js';
import { migrationProvider, migrationVersion } from './migrations/index.js';
import type { AccountsTable, ActionsTable, AlertsTable, ApiTokensTable, BlockedUsersTable, Database, DeadLettersTable, DeliveriesTable, FilesTable, MutesTable, SessionsTable } from './schema.js';

/** Dead-letter payloads above this many UTF-8 bytes are cut; the original size is kept. */
export const MAX_DEAD_LETTER_PAYLOAD_BYTES = 64 * 1024;
/** Evidence ids kept per alert: enough to investigate, bounded so a long attack cannot bloat the row. */
export const MAX_ALERT_EVIDENCE = 100;
// Delivery errors come from remote servers and may be whole HTML pages.
const MAX_ERROR_CHARS = 4_096;

const iso = (ms: number): string => new Date(ms).toISOString();

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; bytes: number; truncated: boolean } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return { text, bytes, truncated: false };
  const buf = Buffer.from(text, 'utf8');
  let end = maxBytes;
  // A continuation byte (10xxxxxx) at the cut means the character started before it: cut at its start instead.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: buf.subarray(0, end).toString('utf8'), bytes, truncated: true };
}

function deadLetterRow(d: DeadLetterInput, now: number): Omit<DeadLettersTable, 'id'> {
  const payload = String(d.payload ?? '');
  const cut = truncateUtf8(storableText(payload), MAX_DEAD_LETTER_PAYLOAD_BYTES);
  const position = d.position === undefined ? null : JSON.stringify(d.position);
  // The reason is left out: its wording may change between versions while the record stays the same.
  const key = createHash('sha256').update(JSON.stringify([d.code, position, payload])).digest('base64url');
  const reason = storableText(String(d.reason));
  return {
    source: storableText(d.source),
    code: d.code,
    reason: cut.truncated ? `${reason} (payload truncated to ${Buffer.byteLength(cut.text)} of ${cut.bytes} bytes)` : reason,
    payload: cut.text,
    payload_bytes: cut.bytes,
    position,
    created_at: now,
    key,
  };
}

/** One detector-state key: JSON text, or undefined to delete it. */
function stateWrite(db: Kysely<Database>, key: string, json: string | undefined, now: number) {
  if (json === undefined) return db.deleteFrom('baselines').where('key', '=', key);
  return db
    .insertInto('baselines')
    .values({ key, value: json, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: now }));
}

/** A compiled query as a writer-thread step. */
function step(query: Compilable): WriteStep {
  const { sql, parameters } = query.compile();
  return { sql, params: parameters as WriteStep['params'] };
}

function toAlert(row: AlertsTable): Alert {
  const doc = JSON.parse(row.doc) as Alert;
  // Columns are the truth for what changes after creation; the doc holds everything else.
  const { groupId: _doc, assignee: _assignee, ...rest } = doc;
  return {
    ...rest,
    id: row.id,
    dedupKey: row.dedup_key,
    status: row.status as AlertStatus,
    windowEnd: row.window_end,
    createdAt: iso(row.created_at),
    ...(row.group_id === null ? {} : { groupId: row.group_id }),
    ...(row.assignee === null || row.assignee === undefined ? {} : { assignee: row.assignee }),
  };
}

/** Most activity buckets a series has: enough for a chart, bounded whatever span is asked. */
export const MAX_ACTIVITY_BUCKETS = 1_000;
/** Most ids getEvents looks up per statement. */
const EVENT_ID_CHUNK = 500;

function alertRow(a: Alert, createdAt: number, now: number): AlertsTable {
  return {
    id: a.id,
    dedup_key: a.dedupKey,
    rule: a.rule,
    severity: a.severity,
    entity_type: a.entity.type,
    entity_value: a.entity.value,
    window_start: a.windowStart,
    window_end: a.windowEnd,
    status: a.status,
    created_at: createdAt,
    updated_at: now,
    doc: JSON.stringify(a),
    group_id: a.groupId ?? null,
    assignee: a.assignee ?? null,
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const dedupOf = (a: Alert): string => a.dedupKey || dedupKey(a);

/** Unique ids, first seen first, at most MAX_ALERT_EVIDENCE. */
function mergeEvidence(...lists: Array<string[] | undefined>): string[] {
  const out = new Set<string>();
  for (const list of lists) {
    for (const id of list ?? []) {
      if (out.size >= MAX_ALERT_EVIDENCE) return [...out];
      out.add(id);
    }
  }
  return [...out];
}

function toDelivery(row: DeliveriesTable): Delivery {
  return {
    id: row.id,
    alertId: row.alert_id,
    sink: row.sink,
    kind: row.kind === 'update' ? 'update' : 'alert',
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    ...(row.lease_owner === null ? {} : { leaseOwner: row.lease_owner }),
    ...(row.lease_until === null ? {} : { leaseUntil: Number(row.lease_until) }),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function toMute(row: Selectable<MutesTable>): Mute {
  return {
    id: Number(row.id),
    ...(row.rule === null ? {} : { rule: row.rule }),
    ...(row.entity_type === null ? {} : { entity: { type: row.entity_type, value: row.entity_value ?? '*' } }),
    ...(row.until === null ? {} : { until: Number(row.until) }),
    reason: row.reason,
    actor: row.actor,
    source: row.source as MuteSource,
    ...(row.alert_id === null ? {} : { alertId: row.alert_id }),
    createdAt: iso(Number(row.created_at)),
    ...(row.removed_at === null ? {} : { removedAt: iso(Number(row.removed_at)) }),
    ...(row.removed_by === null ? {} : { removedBy: row.removed_by }),
  };
}

/** What the audit log says of a mute: enough to know what it silenced, until when, and why. */
function muteDetails(m: Mute): Record<string, unknown> {
  return {
    mute: m.id,
    ...(m.rule === undefined ? {} : { rule: m.rule }),
    ...(m.entity === undefined ? {} : { entity: `${m.entity.type}:${m.entity.value}` }),
    until: m.until === undefined ? null : iso(m.until),
    reason: m.reason,
    source: m.source,
    ...(m.alertId === undefined ? {} : { alert: m.alertId }),
  };
}

/** The stored document's `file.id`, in the dialect's JSON functions (events have no column for it). */
function fileIdOf(dialect: Backend['name']) {
  return dialect === 'postgres' ? sql<string>`(${sql.ref('doc')}::jsonb #>> '{file,id}')` : sql<string>`json_extract(${sql.ref('doc')}, '$.file.id')`;
}

function applyEventFilters<O>(
  qb: SelectQueryBuilder<Database, 'events', O>,
  q: EventQuery,
  dialect: Backend['name'],
): SelectQueryBuilder<Database, 'events', O> {
  let out = qb;
  const before = q.before;
  if (before !== undefined) out = out.where((eb) => eb.or([eb('ts', '<', before.time), eb.and([eb('ts', '=', before.time), eb('id', '<', before.id)])]));
  if (q.fileId !== undefined) out = out.where(fileIdOf(dialect), '=', q.fileId);
  if (q.from !== undefined) out = out.where('ts', '>=', q.from);
  const after = q.after;
  if (after !== undefined) out = out.where((eb) => eb.or([eb('ts', '>', after.time), eb.and([eb('ts', '=', after.time), eb('id', '>', after.id)])]));
  if (q.to !== undefined) out = out.where('ts', '<', q.to);
  if (q.action !== undefined) out = out.where('action', '=', q.action);
  if (q.userEmail !== undefined) out = out.where('user_email', '=', q.userEmail);
  if (q.sourceIp !== undefined) out = out.where('source_ip', '=', q.sourceIp);
  if (q.provider !== undefined) out = out.where('provider', '=', q.provider);
  return out;
}

/** Deliveries a purge may never remove: the outbox still owes them, or holds them right now. */
const UNFINISHED: DeliveryStatus[] = ['pending', 'delivering'];

/** Ids of the alerts last raised or updated before `cut` that owe no delivery. */
function purgeableAlerts(db: Kysely<Database>, cut: number) {
  return db
    .selectFrom('alerts')
    .select('alerts.id')
    .where('alerts.updated_at', '<', cut)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('deliveries').select('deliveries.id').whereRef('deliveries.alert_id', '=', 'alerts.id').where('deliveries.status', 'in', UNFINISHED))),
    );
}

/**
 * The deliveries a purge removes: finished ones older than their own cut-off, and every one of an
 * alert that goes (all finished, since an alert owing one stays), so none is left without its alert.
 */
function purgeableDeliveries<QB extends SelectQueryBuilder<Database, 'deliveries', any> | DeleteQueryBuilder<Database, 'deliveries', any>>(
  db: Kysely<Database>,
  qb: QB,
  before: PurgeCutoffs,
): QB {
  const { deliveries, alerts } = before;
  return (qb as SelectQueryBuilder<Database, 'deliveries', unknown>).where((eb) =>
    eb.or([
      ...(deliveries === undefined ? [] : [eb.and([eb('status', 'in', ['delivered', 'failed']), eb('updated_at', '<', deliveries)])]),
      ...(alerts === undefined ? [] : [eb('alert_id', 'in', purgeableAlerts(db, alerts))]),
    ]),
  ) as unknown as QB;
}

function toBlock(r: Selectable<BlockedUsersTable>): BlockedUser {
  return {
    user: r.user_name,
    reason: r.reason,
    blockedAt: iso(Number(r.blocked_at)),
    blockedBy: r.blocked_by,
    scope: (r.scope ?? 'all') as BlockScope,
    ...(r.expires_at === null || r.expires_at === undefined ? {} : { expiresAt: iso(Number(r.expires_at)) }),
    ...(r.alert_id ? { alertId: r.alert_id } : {}),
  };
}

/** A block as the audit log shows it, beside an unblock or a re-block. */
function blockDetails(b: BlockedUser): Record<string, unknown> {
  return { reason: b.reason, blocked_by: b.blockedBy, blocked_at: b.blockedAt, scope: b.scope, expires_at: b.expiresAt ?? null, alert: b.alertId ?? null };
}

function toFile(r: Selectable<FilesTable>): FileRecord {
  return {
    key: r.key,
    provider: r.provider,
    fileId: r.file_id,
    ...(r.name === null ? {} : { name: r.name }),
    ...(r.owner === null ? {} : { owner: r.owner }),
    ...(r.visibility === null ? {} : { visibility: r.visibility }),
    data: JSON.parse(r.data) as Record<string, unknown>,
    updatedAt: iso(Number(r.updated_at)),
    deleted: Number(r.deleted) !== 0,
    ...(r.classification === null || r.classification === undefined ? {} : { classification: JSON.parse(r.classification) as FileClassification }),
  };
}

function toAction(r: Selectable<ActionsTable>): ActionRecord {
  const json = (t: string | null): Record<string, unknown> | undefined => (t === null ? undefined : (JSON.parse(t) as Record<string, unknown>));
  const before = json(r.before_state);
  const after = json(r.after_state);
  return {
    id: r.id,
    key: r.key,
    ...(r.alert_id ? { alertId: r.alert_id } : {}),
    ...(r.policy ? { policy: r.policy } : {}),
    source: r.source,
    service: r.service,
    action: r.action,
    target: JSON.parse(r.target) as ActionRecord['target'],
    actor: r.actor,
    reason: r.reason,
    mode: r.mode as ActionRecord['mode'],
    status: r.status as ActionStatus,
    automatic: Number(r.automatic) !== 0,
    disruptive: Number(r.disruptive) !== 0,
    dueAt: Number(r.due_at),
    attempts: Number(r.attempts),
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    ...(r.plan === null ? {} : { plan: r.plan }),
    ...(r.error === null ? {} : { error: r.error }),
    createdAt: iso(Number(r.created_at)),
    updatedAt: iso(Number(r.updated_at)),
  };
}

function actionFilter<QB extends SelectQueryBuilder<Database, 'actions', any>>(qb: QB, q: ActionQuery): QB {
  let out = qb as SelectQueryBuilder<Database, 'actions', any>;
  if (q.status !== undefined) out = q.status.length ? out.where('status', 'in', [...q.status]) : out.where(sql<boolean>`1 = 0`);
  if (q.alertId !== undefined) out = out.where('alert_id', '=', q.alertId);
  if (q.dueBy !== undefined) out = out.where('due_at', '<=', q.dueBy);
  if (q.source !== undefined) out = out.where('source', '=', q.source);
  if (q.action !== undefined) out = out.where('action', '=', q.action);
  if (q.targetId !== undefined) out = out.where('target_id', '=', q.targetId);
  if (q.automatic !== undefined) out = out.where('automatic', '=', q.automatic ? 1 : 0);
  if (q.disruptive !== undefined) out = out.where('disruptive', '=', q.disruptive ? 1 : 0);
  if (q.updatedSince !== undefined) out = out.where('updated_at', '>=', q.updatedSince);
  if (q.sent !== undefined) out = out.where('attempts', q.sent ? '>' : '=', 0);
  return out as QB;
}

/** Queued, or sent and not yet verified: never purged, whatever their age. */
const UNFINISHED_ACTIONS: ActionStatus[] = ['pending', 'started'];

function withLimit<T extends { limit(n: number): T }>(qb: T, limit: number | undefined): T {
  return limit === undefined ? qb : qb.limit(Math.max(0, Math.floor(limit)));
}

/** One account per address, whatever case it was typed in. */
const emailKey = (email: string): string => email.trim().toLowerCase();
const isoOrNothing = <K extends string>(key: K, v: number | string | null): Partial<Record<K, string>> =>
  (v === null ? {} : { [key]: iso(Number(v)) }) as Partial<Record<K, string>>;

function toAccount(r: Selectable<AccountsTable>): Account {
  return {
    email: r.email,
    role: r.role as AccountRole,
    ...(r.password_hash === null ? {} : { passwordHash: r.password_hash }),
    disabled: Number(r.disabled) !== 0,
    createdAt: iso(Number(r.created_at)),
    ...isoOrNothing('lastLoginAt', r.last_login_at),
    failedLogins: Number(r.failed_logins),
    ...isoOrNothing('lockedUntil', r.locked_until),
  };
}

function toToken(r: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    createdAt: iso(Number(r.created_at)),
    ...isoOrNothing('lastUsedAt', r.last_used_at),
    ...isoOrNothing('expiresAt', r.expires_at),
    ...isoOrNothing('revokedAt', r.revoked_at),
  };
}

function toSession(r: Selectable<SessionsTable>): Session {
  return {
    email: r.email,
    csrfToken: r.csrf_token,
    createdAt: iso(Number(r.created_at)),
    lastSeenAt: iso(Number(r.last_seen_at)),
    expiresAt: iso(Number(r.expires_at)),
    ...(r.ip === null ? {} : { ip: r.ip }),
    ...(r.user_agent === null ? {} : { userAgent: r.user_agent }),
  };
}

function auditRow(note: AuditNote, at: number) {
  return { at, actor: storableText(note.actor), action: note.action, details: JSON.stringify(note.details) };
}

/**
 * Store over a Backend. Lists are newest first, except queryEvents (event time ascending) and claimDeliveries
 * (due first); an absent limit means no limit.
 */
export class SqlStore implements Store {
  readonly dialect: Backend['name'];
  readonly #backend: Backend;
  readonly #db: Kysely<Database>;
  /** What stamps stored rows (stored_at, updated_at, audit times): the run's clock, not necessarily the wall's. */
  readonly #now: Clock;

  constructor(backend: Backend, now: Clock = systemClock) {
    this.#backend = backend;
    this.#db = backend.db;
    this.dialect = backend.name;
    this.#now = now;
  }

  async #guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStorageError(err, op);
    }
  }

  #write<T>(op: string, fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.#guard(op, () => this.#backend.writeTx(fn));
  }

  migrate(): Promise<number> {
    return this.#guard('migrate', () =>
      this.#backend.exclusive(async () => {
        const schema = this.#backend.schema;
        const migrator = new Migrator({
          db: this.#db,
          provider: migrationProvider(this.dialect),
          // Without it Kysely finds its bookkeeping tables in any schema of the database and skips creating ours.
          ...(schema ? { migrationTableSchema: schema } : {}),
        });
        for (let attempt = 1; ; attempt++) {
          const { error } = await migrator.migrateToLatest();
          if (!error) break;
          // Kysely looks for its tables across every schema; another schema dropped meanwhile (3F000,
          // another tenant or test on the same server) fails that look-up, not our migration.
          if ((error as { code?: unknown }).code !== '3F000' || attempt >= 3) throw error;
        }
        const applied = (await migrator.getMigrations()).filter((m) => m.executedAt !== undefined);
        return applied.reduce((v, m) => Math.max(v, migrationVersion(m.name)), 0);
      }),
    );
  }

  close(): Promise<void> {
    return this.#guard('close', () => this.#backend.close());
  }

  async commitBatch(batch: CommitBatch): Promise<CommitResult> {
    const deadLetters = batch.deadLetters ?? [];
    if (batch.events.length === 0 && deadLetters.length === 0 && batch.cursor === undefined && !batch.alerts?.length && !batch.state?.size) {
      return { inserted: 0, duplicates: 0 };
    }
    const now = this.#now();
    const dlRows = deadLetters.map((d) => deadLetterRow(d, now));
    const dlChunk = chunkRows(this.dialect, 8, 1_000);
    const writeSteps = this.#backend.writeSteps;
    const eventSteps = this.#backend.eventInsertSteps;
    if (writeSteps && eventSteps && !batch.alerts?.length) {
      // Nothing to read inside the transaction: it can run as prepared steps on the writer thread.
      const steps = eventSteps(batch.events, now);
      const eventStepCount = steps.length;
      for (let i = 0; i < dlRows.length; i += dlChunk) steps.push(step(this.#deadLetterInsert(this.#db, dlRows.slice(i, i + dlChunk))));
      if (batch.cursor !== undefined) steps.push(step(this.#cursorWrite(batch.source, batch.cursor, now)));
      for (const [key, json] of batch.state ?? []) steps.push(step(stateWrite(this.#db, key, json, now)));
      return this.#guard('commitBatch', async () => {
        const changes = await writeSteps(steps);
        let inserted = 0;
        for (let i = 0; i < eventStepCount; i++) inserted += changes[i]!;
        return { inserted, duplicates: batch.events.length - inserted };
      });
    }
    return this.#write('commitBatch', async (tx) => {
      const inserted = batch.events.length > 0 ? await this.#backend.insertEvents(tx, batch.events, now) : 0;
      for (let i = 0; i < dlRows.length; i += dlChunk) {
        await this.#deadLetterInsert(tx, dlRows.slice(i, i + dlChunk)).execute();
      }
      if (batch.cursor !== undefined) await this.#cursorWrite(batch.source, batch.cursor, now, tx).execute();
      const alerts = batch.alerts?.length ? await this.#upsertAlerts(tx, batch.alerts, batch.route ?? batch.sinks ?? [], { groupWindowMs: batch.groupWindowMs ?? 0, ...(batch.updates ? { updates: batch.updates } : {}) }) : undefined;
      for (const [key, json] of batch.state ?? []) await stateWrite(tx, key, json, now).execute();
      return { inserted, duplicates: batch.events.length - inserted, ...(alerts ? { alerts } : {}) };
    });
  }

  /** A record dead-lettered before (same source and key) is not stored again. */
  #deadLetterInsert(db: Kysely<Database>, rows: Array<Omit<DeadLettersTable, 'id'>>) {
    return db
      .insertInto('dead_letters')
      .values(rows)
      .onConflict((oc) => oc.columns(['source', 'key']).doNothing());
  }

  #cursorWrite(source: string, value: string, now: number, db: Kysely<Database> = this.#db) {
    return db
      .insertInto('cursors')
      .values({ source, value, updated_at: now })
      .onConflict((oc) => oc.column('source').doUpdateSet({ value, updated_at: now }));
  }

  knownEventIds(keys: readonly EventKey[]): Promise<Set<string>> {
    return this.#guard('knownEventIds', () => this.#backend.knownEventIds(keys));
  }

  getCursor(source: string): Promise<string | undefined> {
    return this.#guard('getCursor', async () => {
      const row = await this.#db.selectFrom('cursors').select('value').where('source', '=', source).executeTakeFirst();
      return row?.value;
    });
  }

  queryEvents(q: EventQuery = {}): Promise<SecurityEvent[]> {
    return this.#guard('queryEvents', async () => {
      const dir = q.order === 'desc' ? 'desc' : 'asc';
      const qb = applyEventFilters(this.#db.selectFrom('events').select('doc'), q, this.dialect).orderBy('ts', dir).orderBy('id', dir);
      const rows = await withLimit(qb, q.limit).execute();
      return rows.map((r) => JSON.parse(r.doc) as SecurityEvent);
    });
  }

  getEvents(ids: readonly string[], within?: { from: number; to: number }): Promise<SecurityEvent[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return Promise.resolve([]);
    return this.#guard('getEvents', async () => {
      const byId = new Map<string, SecurityEvent>();
      for (let i = 0; i < unique.length; i += EVENT_ID_CHUNK) {
        let qb = this.#db.selectFrom('events').select('doc').where('id', 'in', unique.slice(i, i + EVENT_ID_CHUNK));
        if (within) qb = qb.where('ts', '>=', within.from).where('ts', '<', within.to);
        for (const r of await qb.execute()) {
          const e = JSON.parse(r.doc) as SecurityEvent;
          byId.set(e.event.id, e);
        }
      }
      return unique.flatMap((id) => byId.get(id) ?? []);
    });
  }

  countActivity(q: ActivityQuery): Promise<ActivitySeries | undefined> {
    // Only the entity types the events table has a column for; other fields live in the JSON document.
    const column = q.entity.type === 'user' ? 'user_email' : q.entity.type === 'ip' ? 'source_ip' : undefined;
    if (column === undefined) return Promise.resolve(undefined);
    const bucketMs = Math.max(1, Math.floor(q.bucketMs));
    const from = Math.floor(q.from);
    const count = Math.min(MAX_ACTIVITY_BUCKETS, Math.max(1, Math.ceil((q.to - from) / bucketMs)));
    const to = from + count * bucketMs;
    return this.#guard('countActivity', async () => {
      // Cast: SQLite binds numbers as reals, and a real division would not cut at bucket edges.
      const bucket = sql<number>`cast((${sql.ref('ts')} - ${from}) / ${bucketMs} as integer)`;
      const rows = await this.#db
        .selectFrom('events')
        .select([
          bucket.as('b'),
          sql<number>`sum(${sql.ref('count')})`.as('total'),
          sql<number>`sum(case when ${sql.ref('outcome')} = 'failure' then ${sql.ref('count')} else 0 end)`.as('failures'),
        ])
        .where('ts', '>=', from)
        .where('ts', '<', to)
        .where(column, '=', q.entity.value)
        // By the alias: the expression's parameters would make it another expression to PostgreSQL.
        .groupBy(sql.ref('b'))
        .execute();
      const buckets = Array.from({ length: count }, (_, i) => ({ t: from + i * bucketMs, total: 0, failures: 0 }));
      for (const r of rows) {
        const b = buckets[Number(r.b)];
        if (b) {
          b.total = Number(r.total);
          b.failures = Number(r.failures);
        }
      }
      return { from, to, bucketMs, buckets };
    });
  }

  countEvents(q: EventQuery = {}): Promise<number> {
    return this.#guard('countEvents', async () => {
      // A limit caps the count, as it caps queryEvents, so both answer "how many would I get".
      const inner = withLimit(applyEventFilters(this.#db.selectFrom('events').select('id'), q, this.dialect), q.limit);
      const row = await this.#db
        .selectFrom(inner.as('matched'))
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  eventHistogram(q: { from: number; to: number; bucketMs: number }): Promise<EventHistogram> {
    const bucketMs = Math.max(1, Math.floor(q.bucketMs));
    const from = Math.floor(q.from);
    const count = Math.min(MAX_ACTIVITY_BUCKETS, Math.max(1, Math.ceil((q.to - from) / bucketMs)));
    const to = from + count * bucketMs;
    return this.#guard('eventHistogram', async () => {
      let rows: Array<{ b: number; provider: string; total: number }>;
      if (this.dialect === 'sqlite') {
        // One short range per bucket, each grouped by provider alone: SQLite sorts a GROUP BY on a
        // computed bucket through a temporary B-tree, over three times slower on a week of 1M events.
        rows = [];
        for (let b = 0; b < count; b++) {
          const start = from + b * bucketMs;
          const part = await this.#db
            .selectFrom('events')
            .select(['provider', sql<number>`sum(${sql.ref('count')})`.as('total')])
            .where('ts', '>=', start)
            .where('ts', '<', start + bucketMs)
            .groupBy('provider')
            .execute();
          for (const r of part) rows.push({ b, provider: r.provider, total: r.total });
        }
      } else {
        const bucket = sql<number>`cast((${sql.ref('ts')} - ${from}) / ${bucketMs} as integer)`;
        rows = await this.#db
          .selectFrom('events')
          .select([bucket.as('b'), 'provider', sql<number>`sum(${sql.ref('count')})`.as('total')])
          .where('ts', '>=', from)
          .where('ts', '<', to)
          // By the alias: the expression's parameters would make it another expression to PostgreSQL.
          .groupBy([sql.ref('b'), 'provider'])
          .execute();
      }
      const series = new Map<string, number[]>();
      for (const r of rows) {
        let counts = series.get(r.provider);
        if (!counts) series.set(r.provider, (counts = new Array<number>(count).fill(0)));
        const b = Number(r.b);
        if (b >= 0 && b < count) counts[b] = Number(r.total);
      }
      return { from, to, bucketMs, series: [...series].sort(([a], [b]) => cmp(a, b)).map(([provider, counts]) => ({ provider, counts })) };
    });
  }

  lastEventTimes(since: number): Promise<Array<{ provider: string; ts: number }>> {
    return this.#guard('lastEventTimes', async () => {
      const rows = await this.#db
        .selectFrom('events')
        .select(['provider', (eb) => eb.fn.max('ts').as('last')])
        .where('ts', '>=', since)
        .groupBy('provider')
        .orderBy('provider')
        .execute();
      return rows.map((r) => ({ provider: r.provider, ts: Number(r.last) }));
    });
  }

  listCursors(): Promise<CursorRecord[]> {
    return this.#guard('listCursors', async () => {
      const rows = await this.#db.selectFrom('cursors').selectAll().orderBy('source').execute();
      return rows.map((r) => ({ source: r.source, value: r.value, updatedAt: iso(Number(r.updated_at)) }));
    });
  }

  purgeEventsBefore(before: number): Promise<number> {
    return this.#write('purgeEventsBefore', async (tx) => {
      const res = await tx.deleteFrom('events').where('ts', '<', before).executeTakeFirst();
      return Number(res.numDeletedRows);
    });
  }

  async purge(before: PurgeCutoffs, opts: { dryRun?: boolean } = {}): Promise<PurgeCounts> {
    const counts: PurgeCounts = { events: 0, deadLetters: 0, alerts: 0, deliveries: 0, auditLog: 0, actions: 0 };
    const n = (row: { n: unknown } | undefined) => Number(row?.n ?? 0);
    const deleted = (res: { numDeletedRows: bigint }) => Number(res.numDeletedRows);
    const db = this.#db;
    if (opts.dryRun) {
      return this.#guard('purge', async () => {
        const total = () => db.fn.countAll().as('n');
        if (before.events !== undefined) counts.events = n(await db.selectFrom('events').select(total()).where('ts', '<', before.events).executeTakeFirst());
        if (before.deadLetters !== undefined) {
          counts.deadLetters = n(await db.selectFrom('dead_letters').select(total()).where('created_at', '<', before.deadLetters).executeTakeFirst());
        }
        if (before.alerts !== undefined) {
          counts.alerts = n(await db.selectFrom(purgeableAlerts(db, before.alerts).as('a')).select(total()).executeTakeFirst());
        }
        if (before.deliveries !== undefined || before.alerts !== undefined) {
          counts.deliveries = n(await purgeableDeliveries(db, db.selectFrom('deliveries').select(total()), before).executeTakeFirst());
        }
        if (before.auditLog !== undefined) counts.auditLog = n(await db.selectFrom('audit_log').select(total()).where('at', '<', before.auditLog).executeTakeFirst());
        if (before.actions !== undefined) {
          counts.actions = n(await db.selectFrom('actions').select(total()).where('status', 'not in', UNFINISHED_ACTIONS).where('updated_at', '<', before.actions).executeTakeFirst());
        }
        return counts;
      });
    }
    // One transaction per table, so a large events purge does not hold the alerts; alerts and their
    // deliveries share one, so no alert is left owing a delivery that was removed, nor the reverse.
    if (before.events !== undefined) counts.events = await this.purgeEventsBefore(before.events);
    if (before.deadLetters !== undefined) {
      const cut = before.deadLetters;
      counts.deadLetters = await this.#write('purge', async (tx) => deleted(await tx.deleteFrom('dead_letters').where('created_at', '<', cut).executeTakeFirst()));
    }
    if (before.deliveries !== undefined || before.alerts !== undefined) {
      await this.#write('purge', async (tx) => {
        counts.deliveries = deleted(await purgeableDeliveries(tx, tx.deleteFrom('deliveries'), before).executeTakeFirst());
        if (before.alerts !== undefined) {
          counts.alerts = deleted(await tx.deleteFrom('alerts').where('id', 'in', purgeableAlerts(tx, before.alerts)).executeTakeFirst());
        }
      });
    }
    if (before.auditLog !== undefined) {
      const cut = before.auditLog;
      counts.auditLog = await this.#write('purge', async (tx) => deleted(await tx.deleteFrom('audit_log').where('at', '<', cut).executeTakeFirst()));
    }
    if (before.actions !== undefined) {
      const cut = before.actions;
      counts.actions = await this.#write('purge', async (tx) =>
        deleted(await tx.deleteFrom('actions').where('status', 'not in', UNFINISHED_ACTIONS).where('updated_at', '<', cut).executeTakeFirst()),
      );
    }
    return counts;
  }

  async saveAlerts(alerts: Alert[], route: readonly string[] | AlertRoute, opts: SaveAlertsOptions = {}): Promise<{ created: Alert[]; updated: number }> {
    if (alerts.length === 0) return { created: [], updated: 0 };
    return this.#write('saveAlerts', (tx) => this.#upsertAlerts(tx, alerts, route, opts));
  }

  /** The body of saveAlerts, run inside whichever write transaction the caller holds. */
  async #upsertAlerts(
    tx: Kysely<Database>,
    alerts: Alert[],
    route: readonly string[] | AlertRoute,
    opts: SaveAlertsOptions,
  ): Promise<{ created: Alert[]; updated: number }> {
    const everyAlert = typeof route === 'function' ? undefined : [...new Set(route)];
    const sinksOf = (a: Alert): string[] => everyAlert ?? [...new Set((route as AlertRoute)(a))];
    const groupWindow = Math.max(0, opts.groupWindowMs ?? 0);
    const takesUpdates = (sink: string) => opts.updates === undefined || opts.updates.has(sink);
    const now = this.#now();
    const created = new Map<number, Alert>();
    let updated = 0;
    // In event-time order, whatever order the detectors reported them in: which alert opens a group
    // does not depend on how a batch was cut.
    const order = alerts.map((_, i) => i).sort((x, y) => alerts[x]!.windowStart - alerts[y]!.windowStart || cmp(dedupOf(alerts[x]!), dedupOf(alerts[y]!)) || x - y);
    for (const i of order) {
      const a = alerts[i]!;
      const createdAtMs = Number.isFinite(Date.parse(a.createdAt)) ? Date.parse(a.createdAt) : now;
      const { groupId: _ignored, ...given } = a;
      const alert: Alert = {
        ...given,
        id: a.id || randomUUID(),
        dedupKey: dedupOf(a),
        status: a.status ?? 'open',
        createdAt: iso(createdAtMs),
        evidence: mergeEvidence(a.evidence),
      };
      const group = groupWindow > 0 ? await this.#groupOf(tx, alert, groupWindow) : undefined;
      const groupId = group?.id;
      if (groupId !== undefined) alert.groupId = groupId;
      // Insert-or-nothing first: it settles races between writers on the unique key without a prior read.
      const ins = await tx
        .insertInto('alerts')
        .values(alertRow(alert, createdAtMs, now))
        .onConflict((oc) => oc.column('dedup_key').doNothing())
        .executeTakeFirst();
      if (Number(ins.numInsertedOrUpdatedRows ?? 0n) > 0) {
        // An alert stored before groups (or with them off) opens its group now that another joins it.
        if (group?.opens) await tx.updateTable('alerts').set({ group_id: group.id }).where('id', '=', group.id).execute();
        const sinks = sinksOf(alert);
        if (sinks.length > 0) {
          const told = groupId !== undefined && groupId !== alert.id ? await this.#groupTold(tx, groupId, sinks) : new Set<string>();
          // Every alert reaches every sink that takes it: a sink that shows groups may find it listed
          // already in the group's notification (its context loads the group) and send nothing more.
          await this.#addDeliveries(tx, alert.id, sinks.map((sink) => [sink, told.has(sink) && takesUpdates(sink) ? 'update' : 'alert']), now);
        }
        created.set(i, alert);
        continue;
      }
      const row = await this.#backend
        .forUpdate(tx.selectFrom('alerts').selectAll().where('dedup_key', '=', alert.dedupKey))
        .executeTakeFirstOrThrow();
      const prev = JSON.parse(row.doc) as Alert;
      const windowEnd = Math.max(row.window_end, alert.windowEnd);
      const observed = prev.observed || alert.observed ? { ...prev.observed, ...alert.observed } : undefined;
      // The newer finding explains the attack as it now stands (final counts, score); identity,
      // status and creation time stay with the stored alert.
      const doc: Alert = {
        ...prev,
        title: alert.title,
        description: alert.description,
        severity: SEVERITY_RANK[alert.severity] > SEVERITY_RANK[prev.severity] ? alert.severity : prev.severity,
        ...(alert.expected ? { expected: alert.expected } : {}),
        ...(alert.score !== undefined ? { score: alert.score } : {}),
        ...(alert.features ? { features: alert.features } : {}),
        // Details describe the attack as it stands too (a reported message's reporters so far).
        ...(alert.details ? { details: alert.details } : {}),
        windowEnd,
        evidence: mergeEvidence(prev.evidence, alert.evidence),
        ...(observed ? { observed } : {}),
      };
      await tx
        .updateTable('alerts')
        .set({ window_end: windowEnd, severity: doc.severity, updated_at: now, doc: JSON.stringify(doc) })
        .where('id', '=', row.id)
        .execute();
      updated++;
      // Grown: sinks told of it hear of the new counts; a repeat that adds nothing tells nobody.
      const grew =
        windowEnd > row.window_end ||
        doc.evidence.length > (prev.evidence?.length ?? 0) ||
        doc.severity !== prev.severity ||
        JSON.stringify(doc.observed ?? {}) !== JSON.stringify(prev.observed ?? {});
      if (grew) await this.#addUpdates(tx, toAlert({ ...row, window_end: windowEnd, severity: doc.severity, doc: JSON.stringify(doc) }), sinksOf, takesUpdates, now);
    }
    return { created: [...created.entries()].sort(([x], [y]) => x - y).map(([, a]) => a), updated };
  }

  /**
   * The group a new alert joins: that of the latest alert on its entity whose window starts within
   * `windowMs` before its own (the same instant included), else its own. `opens`: that alert has
   * no group yet (stored before groups, or with them off), and its id becomes the group's.
   */
  async #groupOf(tx: Kysely<Database>, alert: Alert, windowMs: number): Promise<{ id: string; opens?: true }> {
    const prev = await tx
      .selectFrom('alerts')
      .select(['id', 'group_id'])
      .where('entity_type', '=', alert.entity.type)
      .where('entity_value', '=', alert.entity.value)
      .where('window_start', '>=', alert.windowStart - windowMs)
      .where('window_start', '<=', alert.windowStart)
      .where('dedup_key', '!=', alert.dedupKey)
      .orderBy('window_start', 'desc')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!prev) return { id: alert.id };
    return prev.group_id !== null ? { id: prev.group_id } : { id: prev.id, opens: true };
  }

  /** Which of `sinks` were told of the group: a delivery of one of its alerts to them exists and has not failed. */
  async #groupTold(tx: Kysely<Database>, groupId: string, sinks: readonly string[]): Promise<Set<string>> {
    const rows = await tx
      .selectFrom('deliveries')
      .innerJoin('alerts', 'alerts.id', 'deliveries.alert_id')
      .select('deliveries.sink')
      .distinct()
      .where('alerts.group_id', '=', groupId)
      .where('deliveries.sink', 'in', [...sinks])
      .where('deliveries.status', '!=', 'failed')
      .execute();
    return new Set(rows.map((r) => r.sink));
  }

  /**
   * After an alert grew: an 'update' delivery per routed sink that was told of it, unless one of
   * its deliveries to that sink is still pending (coalesced: the sink reads the alert as it stands
   * when it delivers); a routed sink never told of it (its severity rose past the sink's floor)
   * gets the alert itself, or an update when it was told of the group.
   */
  async #addUpdates(tx: Kysely<Database>, alert: Alert, sinksOf: (a: Alert) => string[], takesUpdates: (sink: string) => boolean, now: number): Promise<void> {
    const sinks = sinksOf(alert);
    if (sinks.length === 0) return;
    const existing = await tx.selectFrom('deliveries').select(['sink', 'status']).where('alert_id', '=', alert.id).where('sink', 'in', sinks).execute();
    const groupTold = alert.groupId !== undefined && alert.groupId !== alert.id ? await this.#groupTold(tx, alert.groupId, sinks) : new Set<string>();
    const add: Array<[string, DeliveryKind]> = [];
    for (const sink of sinks) {
      const mine = existing.filter((d) => d.sink === sink);
      if (mine.some((d) => d.status === 'pending')) continue;
      // A sink without updates had the alert once (or has it coming): the new counts are not news to it.
      if (mine.length > 0 && !takesUpdates(sink)) continue;
      // A failed 'alert' delivery counts: its alert has its one 'alert' delivery; what follows is an update.
      const told = mine.length > 0 || (groupTold.has(sink) && takesUpdates(sink));
      add.push([sink, told ? 'update' : 'alert']);
    }
    await this.#addDeliveries(tx, alert.id, add, now);
  }

  async #addDeliveries(tx: Kysely<Database>, alertId: string, rows: ReadonlyArray<readonly [string, DeliveryKind]>, now: number): Promise<void> {
    if (rows.length === 0) return;
    await tx
      .insertInto('deliveries')
      .values(rows.map(([sink, kind]) => ({
        id: randomUUID(), alert_id: alertId, sink, kind, status: 'pending', attempts: 0, next_attempt_at: now,
        lease_until: null, lease_owner: null, last_error: null, created_at: now, updated_at: now,
      })))
      .execute();
  }

  listAlerts(q: AlertQuery = {}): Promise<Alert[]> {
    return this.#guard('listAlerts', async () => {
      let qb = this.#db.selectFrom('alerts').selectAll();
      if (q.status !== undefined) qb = qb.where('status', '=', q.status);
      if (q.severity !== undefined) qb = qb.where('severity', '=', q.severity);
      if (q.rule !== undefined) qb = qb.where('rule', '=', q.rule);
      if (q.entity !== undefined) {
        qb = qb.where('entity_value', '=', q.entity.value);
        if (q.entity.type !== undefined) qb = qb.where('entity_type', '=', q.entity.type);
      }
      if (q.assignee !== undefined) qb = q.assignee === null ? qb.where('assignee', 'is', null) : qb.where('assignee', '=', q.assignee);
      if (q.from !== undefined) qb = qb.where('created_at', '>=', q.from);
      if (q.to !== undefined) qb = qb.where('created_at', '<', q.to);
      const before = q.before;
      if (before !== undefined) {
        qb = qb.where((eb) => eb.or([eb('created_at', '<', before.createdAt), eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)])]));
      }
      const rows = await withLimit(qb.orderBy('created_at', 'desc').orderBy('id', 'desc'), q.limit).execute();
      return rows.map(toAlert);
    });
  }

  assignAlert(id: string, assignee: string | null): Promise<Alert | undefined> {
    return this.#write('assignAlert', async (tx) => {
      await tx.updateTable('alerts').set({ assignee: assignee === null ? null : storableText(assignee), updated_at: this.#now() }).where('id', '=', id).execute();
      const row = await tx.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toAlert(row) : undefined;
    });
  }

  countAlerts(): Promise<AlertCount[]> {
    return this.#guard('countAlerts', async () => {
      const rows = await this.#db
        .selectFrom('alerts')
        .select(['rule', 'severity', 'status', (eb) => eb.fn.countAll<number | string | bigint>().as('n'), (eb) => eb.fn.max('created_at').as('last')])
        .groupBy(['rule', 'severity', 'status'])
        .orderBy('rule')
        .orderBy('severity')
        .orderBy('status')
        .execute();
      return rows.map((r) => ({ rule: r.rule, severity: r.severity as Severity, status: r.status as AlertStatus, count: Number(r.n), lastAt: Number(r.last) }));
    });
  }

  openAlertCounts(entityType: string): Promise<EntityAlertCount[]> {
    return this.#guard('openAlertCounts', async () => {
      const rows = await this.#db
        .selectFrom('alerts')
        .select(['entity_value', 'severity', (eb) => eb.fn.countAll<number | string | bigint>().as('n'), (eb) => eb.fn.max('created_at').as('last')])
        .where('status', '=', 'open')
        .where('entity_type', '=', entityType)
        .groupBy(['entity_value', 'severity'])
        .orderBy('entity_value')
        .orderBy('severity')
        .execute();
      return rows.map((r) => ({ value: r.entity_value, severity: r.severity as Severity, count: Number(r.n), lastAt: Number(r.last) }));
    });
  }

  getAlert(id: string): Promise<Alert | undefined> {
    return this.#guard('getAlert', async () => {
      const row = await this.#db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toAlert(row) : undefined;
    });
  }

  listGroup(groupId: string, limit?: number): Promise<Alert[]> {
    return this.#guard('listGroup', async () => {
      const qb = this.#db.selectFrom('alerts').selectAll().where('group_id', '=', groupId).orderBy('window_start').orderBy('id');
      return (await withLimit(qb, limit).execute()).map(toAlert);
    });
  }

  setAlertStatus(id: string, status: AlertStatus): Promise<void> {
    return this.#write('setAlertStatus', async (tx) => {
      const res = await tx.updateTable('alerts').set({ status, updated_at: this.#now() }).where('id', '=', id).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new SaaswatchError('STORAGE', `no alert with id ${id}`, { details: { id } });
    });
  }

  claimDeliveries(dueBy: number, limit: number, lease: LeaseRequest): Promise<Delivery[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.#write('claimDeliveries', async (tx) => {
      const due = this.#backend.skipLocked(
        tx
          .selectFrom('deliveries')
          .select('id')
          .where((eb) =>
            eb.or([
              eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', dueBy)]),
              eb.and([eb('status', '=', 'delivering'), eb('lease_until', '<', lease.now)]),
            ]),
          )
          .orderBy('next_attempt_at')
          // At one due time, what tells an alert goes before what updates it ('alert' < 'update').
          .orderBy('kind')
          .orderBy('id')
          .limit(Math.floor(limit)),
      );
      const rows = await tx
        .updateTable('deliveries')
        .set((eb) => ({
          status: 'delivering',
          lease_owner: lease.owner,
          lease_until: lease.now + lease.ms,
          attempts: eb('attempts', '+', 1),
          updated_at: this.#now(),
        }))
        .where('id', 'in', due)
        .returningAll()
        .execute();
      // RETURNING has no order of its own.
      return rows
        .sort((a, b) => a.next_attempt_at - b.next_attempt_at || cmp(a.kind, b.kind) || cmp(a.id, b.id))
        .map(toDelivery);
    });
  }

  renewLeases(owner: string, ids: readonly string[], until: number): Promise<string[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.#write('renewLeases', async (tx) => {
      // A batch is at most the outbox's batch size, but chunk anyway: one statement carries only so many parameters.
      const renewed: string[] = [];
      const size = chunkRows(this.dialect, 1);
      for (let i = 0; i < ids.length; i += size) {
        const chunk = ids.slice(i, i + size);
        const rows = await tx
          .updateTable('deliveries')
          .set({ lease_until: until })
          .where('id', 'in', chunk)
          .where('status', '=', 'delivering')
          .where('lease_owner', '=', owner)
          .returning('id')
          .execute();
        for (const r of rows) renewed.push(r.id);
      }
      return renewed;
    });
  }

  /** Applies an outcome; with `owner`, only while that owner holds the lease (a fenced write). */
  #finishDelivery(op: string, id: string, set: Partial<DeliveriesTable>, owner: string | undefined): Promise<void> {
    return this.#write(op, async (tx) => {
      let qb = tx
        .updateTable('deliveries')
        .set({ ...set, lease_until: null, lease_owner: null, updated_at: this.#now() })
        .where('id', '=', id);
      if (owner !== undefined) qb = qb.where('status', '=', 'delivering').where('lease_owner', '=', owner);
      const res = await qb.executeTakeFirst();
      if (Number(res.numUpdatedRows) > 0) return;
      const row = owner === undefined ? undefined : await tx.selectFrom('deliveries').select(['status', 'lease_owner']).where('id', '=', id).executeTakeFirst();
      if (!row) throw new SaaswatchError('STORAGE', `no delivery with id ${id}`, { details: { id } });
      // The lease ran out and another outbox took the delivery over (or finished it): its outcome stands.
      throw new SaaswatchError(
        'STORAGE',
        `delivery ${id} is no longer leased by ${owner}: ${row.status === 'delivering' ? `${row.lease_owner ?? 'another outbox'} holds it now` : `it is ${row.status} already`}`,
        { details: { id, owner, leaseLost: true, status: row.status, ...(row.lease_owner ? { holder: row.lease_owner } : {}) } },
      );
    });
  }

  completeDelivery(id: string, owner?: string): Promise<void> {
    return this.#finishDelivery('completeDelivery', id, { status: 'delivered' }, owner);
  }

  retryDelivery(id: string, nextAttemptAt: number, error: string, owner?: string): Promise<void> {
    return this.#finishDelivery('retryDelivery', id, {
      status: 'pending', next_attempt_at: nextAttemptAt, last_error: error.slice(0, MAX_ERROR_CHARS),
    }, owner);
  }

  failDelivery(id: string, error: string, owner?: string): Promise<void> {
    return this.#finishDelivery('failDelivery', id, { status: 'failed', last_error: error.slice(0, MAX_ERROR_CHARS) }, owner);
  }

  listDeliveries(q: { status?: DeliveryStatus; alertId?: string; limit?: number } = {}): Promise<Delivery[]> {
    return this.#guard('listDeliveries', async () => {
      let qb = this.#db.selectFrom('deliveries').selectAll();
      if (q.status !== undefined) qb = qb.where('status', '=', q.status);
      if (q.alertId !== undefined) qb = qb.where('alert_id', '=', q.alertId);
      const rows = await withLimit(qb.orderBy('created_at', 'desc').orderBy('id'), q.limit).execute();
      return rows.map(toDelivery);
    });
  }

  getSinkRef(sink: string, key: string): Promise<string | undefined> {
    return this.#guard('getSinkRef', async () => {
      const row = await this.#db.selectFrom('sink_refs').select('value').where('sink', '=', sink).where('key', '=', key).executeTakeFirst();
      return row?.value;
    });
  }

  putSinkRef(sink: string, key: string, value: string): Promise<void> {
    return this.#write('putSinkRef', async (tx) => {
      const now = this.#now();
      await tx
        .insertInto('sink_refs')
        .values({ sink, key, value, updated_at: now })
        .onConflict((oc) => oc.columns(['sink', 'key']).doUpdateSet({ value, updated_at: now }))
        .execute();
    });
  }

  listDeadLetters(q: { source?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    return this.#guard('listDeadLetters', async () => {
      let qb = this.#db.selectFrom('dead_letters').selectAll();
      if (q.source !== undefined) qb = qb.where('source', '=', q.source);
      const rows = await withLimit(qb.orderBy('id', 'desc'), q.limit).execute();
      return rows.map((r) => ({
        id: r.id,
        source: r.source,
        code: r.code,
        reason: r.reason,
        payload: r.payload,
        ...(r.position === null ? {} : { position: JSON.parse(r.position) as DeadLetter['position'] }),
        createdAt: iso(r.created_at),
      }));
    });
  }

  countDeadLetters(q: { source?: string } = {}): Promise<number> {
    return this.#guard('countDeadLetters', async () => {
      let qb = this.#db.selectFrom('dead_letters').select((eb) => eb.fn.countAll().as('n'));
      if (q.source !== undefined) qb = qb.where('source', '=', q.source);
      return Number((await qb.executeTakeFirstOrThrow()).n);
    });
  }

  getState(key: string): Promise<unknown> {
    return this.#guard('getState', async () => {
      const row = await this.#db.selectFrom('baselines').select('value').where('key', '=', key).executeTakeFirst();
      return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
    });
  }

  putState(key: string, value: unknown): Promise<void> {
    // undefined has no JSON form; storing it as absence keeps getState's answer the same.
    const json = value === undefined ? undefined : JSON.stringify(value);
    return this.#write('putState', async (tx) => { await stateWrite(tx, key, json, this.#now()).execute(); });
  }

  blockUser(u: BlockInput): Promise<BlockedUser> {
    return this.#write('blockUser', async (tx) => {
      const now = this.#now();
      const row = {
        reason: storableText(u.reason),
        blocked_by: storableText(u.blockedBy),
        scope: u.scope ?? 'all',
        expires_at: u.expiresAt ?? null,
        alert_id: u.alertId ?? null,
      };
      const before = await tx.selectFrom('blocked_users').selectAll().where('user_name', '=', u.user).executeTakeFirst();
      // Blocking again replaces who, why, scope and expiry but keeps when the block began.
      await tx
        .insertInto('blocked_users')
        .values({ user_name: u.user, blocked_at: now, ...row })
        .onConflict((oc) => oc.column('user_name').doUpdateSet(row))
        .execute();
      const after = await tx.selectFrom('blocked_users').selectAll().where('user_name', '=', u.user).executeTakeFirstOrThrow();
      const block = toBlock(after);
      const details = { user: block.user, reason: block.reason, scope: block.scope, expires_at: block.expiresAt ?? null, alert: block.alertId ?? null, ...(before ? { replaced: blockDetails(toBlock(before)) } : {}) };
      await tx.insertInto('audit_log').values({ at: now, actor: row.blocked_by, action: 'block', details: JSON.stringify(details) }).execute();
      return block;
    });
  }

  unblockUser(user: string, by: { actor: string; reason?: string } = { actor: 'saaswatch' }): Promise<BlockedUser | undefined> {
    return this.#write('unblockUser', async (tx) => {
      const row = await tx.selectFrom('blocked_users').selectAll().where('user_name', '=', user).executeTakeFirst();
      if (!row) return undefined;
      await tx.deleteFrom('blocked_users').where('user_name', '=', user).execute();
      const block = toBlock(row);
      const details = { user, reason: by.reason ?? null, block: blockDetails(block) };
      await tx.insertInto('audit_log').values({ at: this.#now(), actor: storableText(by.actor), action: 'unblock', details: JSON.stringify(details) }).execute();
      return block;
    });
  }

  listBlockedUsers(q: { activeAt?: number; user?: string } = {}): Promise<BlockedUser[]> {
    return this.#guard('listBlockedUsers', async () => {
      let qb = this.#db.selectFrom('blocked_users').selectAll();
      if (q.user !== undefined) qb = qb.where('user_name', '=', q.user);
      if (q.activeAt !== undefined) {
        const at = q.activeAt;
        qb = qb.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]));
      }
      const rows = await qb.orderBy('blocked_at', 'desc').orderBy('user_name').execute();
      return rows.map(toBlock);
    });
  }

  expireBlocks(now: number): Promise<BlockedUser[]> {
    return this.#write('expireBlocks', async (tx) => {
      const rows = await tx.selectFrom('blocked_users').selectAll().where('expires_at', 'is not', null).where('expires_at', '<=', now).orderBy('user_name').execute();
      if (rows.length === 0) return [];
      await tx.deleteFrom('blocked_users').where('user_name', 'in', rows.map((r) => r.user_name)).execute();
      const at = this.#now();
      const blocks = rows.map(toBlock);
      await tx
        .insertInto('audit_log')
        .values(blocks.map((b) => ({ at, actor: 'saaswatch:expiry', action: 'unblock', details: JSON.stringify({ user: b.user, reason: 'the block expired', block: blockDetails(b) }) })))
        .execute();
      return blocks;
    });
  }

  queueActions(rows: readonly ActionInput[]): Promise<ActionRecord[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.#write('queueActions', async (tx) => {
      const now = this.#now();
      const out: ActionRecord[] = [];
      for (const r of rows) {
        await tx
          .insertInto('actions')
          .values({
            id: randomUUID(), key: r.key, alert_id: r.alertId ?? null, policy: r.policy ?? null, source: r.source, service: r.service,
            action: r.action, target: JSON.stringify(r.target), target_id: r.target.id, actor: storableText(r.actor), reason: storableText(r.reason),
            mode: r.mode, status: 'pending', automatic: r.automatic ? 1 : 0, disruptive: r.disruptive ? 1 : 0, due_at: r.dueAt, attempts: 0,
            before_state: null, after_state: null, plan: null, error: null, created_at: now, updated_at: now,
          })
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
        out.push(toAction(await tx.selectFrom('actions').selectAll().where('key', '=', r.key).executeTakeFirstOrThrow()));
      }
      return out;
    });
  }

  updateAction(
    id: string,
    change: ActionUpdate,
    opts: { from?: ActionStatus; audit?: { actor: string; action: string; details: Record<string, unknown> } } = {},
  ): Promise<boolean> {
    return this.#write('updateAction', async (tx) => {
      const now = this.#now();
      let qb = tx
        .updateTable('actions')
        .set({
          status: change.status,
          updated_at: now,
          ...(change.attempts === undefined ? {} : { attempts: change.attempts }),
          ...(change.mode === undefined ? {} : { mode: change.mode }),
          ...(change.dueAt === undefined ? {} : { due_at: change.dueAt }),
          ...(change.before === undefined ? {} : { before_state: JSON.stringify(change.before) }),
          ...(change.after === undefined ? {} : { after_state: JSON.stringify(change.after) }),
          ...(change.plan === undefined ? {} : { plan: storableText(change.plan) }),
          ...(change.error === undefined ? {} : { error: storableText(change.error) }),
        })
        .where('id', '=', id);
      if (opts.from !== undefined) qb = qb.where('status', '=', opts.from);
      const res = await qb.executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      if (opts.audit) {
        await tx.insertInto('audit_log').values({ at: now, actor: storableText(opts.audit.actor), action: opts.audit.action, details: JSON.stringify(opts.audit.details) }).execute();
      }
      return true;
    });
  }

  listActions(q: ActionQuery = {}): Promise<ActionRecord[]> {
    return this.#guard('listActions', async () => {
      const qb = actionFilter(this.#db.selectFrom('actions').selectAll(), q);
      const rows = await withLimit(qb.orderBy('due_at').orderBy('created_at').orderBy('id'), q.limit).execute();
      return rows.map(toAction);
    });
  }

  countActions(q: ActionQuery = {}): Promise<number> {
    return this.#guard('countActions', async () => {
      const row = await actionFilter(this.#db.selectFrom('actions').select((eb) => eb.fn.countAll<number | string | bigint>().as('n')), q).executeTakeFirst();
      return Number(row?.n ?? 0);
    });
  }

  upsertFile(f: Omit<FileRecord, 'updatedAt'>): Promise<void> {
    return this.#write('upsertFile', async (tx) => {
      const row = {
        provider: f.provider,
        file_id: f.fileId,
        name: f.name ?? null,
        owner: f.owner ?? null,
        visibility: f.visibility ?? null,
        data: JSON.stringify(f.data ?? {}),
        updated_at: this.#now(),
        deleted: f.deleted ? 1 : 0,
      };
      await tx
        .insertInto('files')
        .values({ key: f.key, ...row })
        .onConflict((oc) => oc.column('key').doUpdateSet(row))
        .execute();
    });
  }

  getFile(key: string): Promise<FileRecord | undefined> {
    return this.#guard('getFile', async () => {
      const r = await this.#db.selectFrom('files').selectAll().where('key', '=', key).executeTakeFirst();
      return r ? toFile(r) : undefined;
    });
  }

  listFiles(q: FileQuery = {}): Promise<FileRecord[]> {
    return this.#guard('listFiles', async () => {
      let qb = this.#db.selectFrom('files').selectAll();
      if (q.visibility !== undefined) qb = q.visibility.length ? qb.where('visibility', 'in', [...q.visibility]) : qb.where(sql<boolean>`1 = 0`);
      if (q.afterKey !== undefined) qb = qb.where('key', '>', q.afterKey);
      if (!q.deleted) qb = qb.where('deleted', '=', 0);
      if (q.sensitivity !== undefined) qb = qb.where('sensitivity', 'in', SENSITIVITIES.filter((s) => sensitivityRank(s) >= sensitivityRank(q.sensitivity!)));
      const rows = await withLimit(qb.orderBy('key'), q.limit).execute();
      return rows.map(toFile);
    });
  }

  setClassification(f: Pick<FileRecord, 'key' | 'provider' | 'fileId'> & Partial<Pick<FileRecord, 'name' | 'owner' | 'visibility'>>, c: FileClassification): Promise<void> {
    return this.#write('setClassification', async (tx) => {
      const scan = { sensitivity: c.sensitivity, content_hash: c.contentHash, classification: JSON.stringify(c), updated_at: this.#now() };
      // Insert-or-update in one statement: the listing of the same file may race the scan.
      await tx
        .insertInto('files')
        .values({
          key: f.key,
          provider: f.provider,
          file_id: f.fileId,
          name: f.name ?? null,
          owner: f.owner ?? null,
          visibility: f.visibility ?? null,
          data: '{}',
          deleted: 0,
          ...scan,
        })
        .onConflict((oc) => oc.column('key').doUpdateSet(scan))
        .execute();
    });
  }

  findClassification(contentHash: string): Promise<FileClassification | undefined> {
    return this.#guard('findClassification', async () => {
      const r = await this.#db
        .selectFrom('files')
        .select('classification')
        .where('content_hash', '=', contentHash)
        .where('classification', 'is not', null)
        .orderBy('updated_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r?.classification ? (JSON.parse(r.classification) as FileClassification) : undefined;
    });
  }

  putIdentity(source: string, sourceId: string, canonical: string): Promise<void> {
    return this.#write('putIdentity', async (tx) => {
      const now = this.#now();
      await tx
        .insertInto('identities')
        .values({ source, source_id: sourceId, canonical, updated_at: now })
        .onConflict((oc) => oc.columns(['source', 'source_id']).doUpdateSet({ canonical, updated_at: now }))
        .execute();
    });
  }

  resolveIdentity(source: string, sourceId: string): Promise<string | undefined> {
    return this.#guard('resolveIdentity', async () => {
      const row = await this.#db
        .selectFrom('identities')
        .select('canonical')
        .where('source', '=', source)
        .where('source_id', '=', sourceId)
        .executeTakeFirst();
      return row?.canonical;
    });
  }

  listIdentities(q: { canonical?: string; limit?: number } = {}): Promise<Array<{ source: string; sourceId: string; canonical: string }>> {
    return this.#guard('listIdentities', async () => {
      let qb = this.#db.selectFrom('identities').select(['source', 'source_id', 'canonical']);
      if (q.canonical !== undefined) qb = qb.where('canonical', '=', q.canonical);
      const rows = await withLimit(qb.orderBy('source').orderBy('source_id'), q.limit).execute();
      return rows.map((r) => ({ source: r.source, sourceId: r.source_id, canonical: r.canonical }));
    });
  }

  audit(actor: string, action: string, details: Record<string, unknown>): Promise<void> {
    return this.#write('audit', async (tx) => {
      await tx.insertInto('audit_log').values({ at: this.#now(), actor, action, details: JSON.stringify(details ?? {}) }).execute();
    });
  }

  listAudit(query?: number | AuditQuery): Promise<AuditEntry[]> {
    const q: AuditQuery = typeof query === 'number' ? { limit: query } : (query ?? {});
    return this.#guard('listAudit', async () => {
      let qb = this.#db.selectFrom('audit_log').selectAll();
      if (q.action !== undefined) qb = qb.where('action', '=', q.action);
      if (q.actor !== undefined) qb = qb.where('actor', '=', q.actor);
      if (q.since !== undefined) qb = qb.where('at', '>=', q.since);
      if (q.until !== undefined) qb = qb.where('at', '<', q.until);
      if (q.beforeId !== undefined) qb = qb.where('id', '<', q.beforeId);
      if (q.subject !== undefined && q.subject !== '') {
        // Details are JSON text: a LIKE on the lowercased text finds a user, file or alert anywhere in them.
        const needle = `%${q.subject.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        qb = qb.where(sql<boolean>`lower(details) like ${needle} escape '\\'`);
      }
      const rows = await withLimit(qb.orderBy('id', 'desc'), q.limit).execute();
      return rows.map((r) => ({ id: r.id, at: iso(r.at), actor: r.actor, action: r.action, details: JSON.parse(r.details) as Record<string, unknown> }));
    });
  }

  addMute(m: MuteInput): Promise<Mute> {
    if (m.rule === undefined && m.entity === undefined) {
      return Promise.reject(new SaaswatchError('STORAGE', 'a mute needs a rule, an entity or both: one without would silence every alert', { details: { reason: m.reason } }));
    }
    return this.#write('addMute', async (tx) => {
      const now = this.#now();
      const row = await tx
        .insertInto('mutes')
        .values({
          rule: m.rule ?? null,
          entity_type: m.entity?.type ?? null,
          entity_value: m.entity?.value ?? null,
          until: m.until ?? null,
          reason: storableText(m.reason),
          actor: storableText(m.actor),
          created_at: now,
          source: m.source,
          alert_id: m.alertId ?? null,
          removed_at: null,
          removed_by: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const mute = toMute(row);
      await tx.insertInto('audit_log').values({ at: now, actor: mute.actor, action: 'mute', details: JSON.stringify(muteDetails(mute)) }).execute();
      return mute;
    });
  }

  listMutes(q: { activeAt?: number } = {}): Promise<Mute[]> {
    return this.#guard('listMutes', async () => {
      let qb = this.#db.selectFrom('mutes').selectAll();
      const at = q.activeAt;
      if (at !== undefined) qb = qb.where('removed_at', 'is', null).where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', at)]));
      const rows = await qb.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(toMute);
    });
  }

  removeMute(id: number, by: { actor: string; reason?: string }): Promise<Mute | undefined> {
    return this.#write('removeMute', async (tx) => {
      const now = this.#now();
      const row = await tx
        .updateTable('mutes')
        .set({ removed_at: now, removed_by: storableText(by.actor) })
        .where('id', '=', id)
        .where('removed_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      const mute = toMute(row);
      // The remover's reason (or none) is the entry's; the mute's own is kept beside it.
      const details = { ...muteDetails(mute), reason: by.reason ?? null, muteReason: mute.reason };
      await tx.insertInto('audit_log').values({ at: now, actor: storableText(by.actor), action: 'unmute', details: JSON.stringify(details) }).execute();
      return mute;
    });
  }

  async #note(tx: Kysely<Database>, note: AuditNote | undefined, at: number): Promise<void> {
    if (note) await tx.insertInto('audit_log').values(auditRow(note, at)).execute();
  }

  addAccount(a: AccountInput, audit?: AuditNote): Promise<Account | undefined> {
    return this.#write('addAccount', async (tx) => {
      const now = this.#now();
      const email = emailKey(a.email);
      // Insert-or-nothing in one statement, not look-then-insert: two adds of one address at once on
      // PostgreSQL would otherwise both look, both insert, and one fail on the primary key.
      const row = await tx
        .insertInto('accounts')
        .values({ email, role: a.role, password_hash: a.passwordHash ?? null, disabled: 0, created_at: now, last_login_at: null, failed_logins: 0, locked_until: null })
        .onConflict((oc) => oc.column('email').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await this.#note(tx, audit, now);
      return toAccount(row);
    });
  }

  getAccount(email: string): Promise<Account | undefined> {
    return this.#guard('getAccount', async () => {
      const row = await this.#db.selectFrom('accounts').selectAll().where('email', '=', emailKey(email)).executeTakeFirst();
      return row && toAccount(row);
    });
  }

  listAccounts(): Promise<Account[]> {
    return this.#guard('listAccounts', async () => (await this.#db.selectFrom('accounts').selectAll().orderBy('email').execute()).map(toAccount));
  }

  /**
   * Throws CONFLICT unless an enabled admin other than `key` stays. On PostgreSQL the admins' rows are
   * locked until the transaction ends: a second such change waits, then counts what this one left.
   */
  async #keepAnAdmin(tx: Kysely<Database>, key: string): Promise<void> {
    const q = tx.selectFrom('accounts').select('email').where('role', '=', 'admin').where('disabled', '=', 0);
    const admins = this.dialect === 'postgres' ? await q.forUpdate().execute() : await q.execute();
    if (!admins.some((a) => a.email !== key)) throw errors.conflict({ what: `account ${key}`, problem: 'is the last enabled admin', fix: 'make another account admin first' });
  }

  updateAccount(email: string, change: AccountChange, audit?: AuditNote, opts: KeepAnAdmin = {}): Promise<Account | undefined> {
    return this.#write('updateAccount', async (tx) => {
      const key = emailKey(email);
      const before = await tx.selectFrom('accounts').selectAll().where('email', '=', key).executeTakeFirst();
      if (!before) return undefined;
      const demotes = (change.role !== undefined && change.role !== 'admin') || change.disabled === true;
      if (opts.keepAnAdmin && demotes && before.role === 'admin' && !before.disabled) await this.#keepAnAdmin(tx, key);
      const set = {
        ...(change.role === undefined ? {} : { role: change.role }),
        ...(change.disabled === undefined ? {} : { disabled: change.disabled ? 1 : 0 }),
        ...(change.passwordHash === undefined ? {} : { password_hash: change.passwordHash, failed_logins: 0, locked_until: null }),
        ...(change.unlock ? { failed_logins: 0, locked_until: null } : {}),
      };
      if (Object.keys(set).length > 0) await tx.updateTable('accounts').set(set).where('email', '=', key).execute();
      // A browser logged in under the old role, password or standing must not keep it.
      const roleChanged = change.role !== undefined && change.role !== before.role;
      if (roleChanged || change.disabled === true || change.passwordHash !== undefined) await tx.deleteFrom('sessions').where('email', '=', key).execute();
      await this.#note(tx, audit, this.#now());
      return toAccount(await tx.selectFrom('accounts').selectAll().where('email', '=', key).executeTakeFirstOrThrow());
    });
  }

  removeAccount(email: string, audit?: AuditNote, opts: KeepAnAdmin = {}): Promise<Account | undefined> {
    return this.#write('removeAccount', async (tx) => {
      const key = emailKey(email);
      const row = await tx.selectFrom('accounts').selectAll().where('email', '=', key).executeTakeFirst();
      if (!row) return undefined;
      if (opts.keepAnAdmin && row.role === 'admin' && !row.disabled) await this.#keepAnAdmin(tx, key);
      await tx.deleteFrom('sessions').where('email', '=', key).execute();
      await tx.deleteFrom('api_tokens').where('email', '=', key).execute();
      await tx.deleteFrom('accounts').where('email', '=', key).execute();
      await this.#note(tx, audit, this.#now());
      return toAccount(row);
    });
  }

  reserveLogin(email: string, lock: { maxFailures: number; until: number }): Promise<LoginReservation | undefined> {
    return this.#write('reserveLogin', async (tx) => {
      const key = emailKey(email);
      const now = this.#now();
      // An increment in place guarded by the lock, not read-then-write: on PostgreSQL a second writer waits
      // for this row and re-checks the guard against what this one wrote, so no check slips past a lock.
      const row = await tx
        .updateTable('accounts')
        .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
        .where('email', '=', key)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .returning('failed_logins')
        .executeTakeFirst();
      const locks = row !== undefined && Number(row.failed_logins) >= lock.maxFailures;
      if (locks) await tx.updateTable('accounts').set({ failed_logins: 0, locked_until: lock.until }).where('email', '=', key).execute();
      const account = await tx.selectFrom('accounts').selectAll().where('email', '=', key).executeTakeFirst();
      return account && { reserved: row !== undefined, account: toAccount(account), locks };
    });
  }

  recordLogin(email: string, audit?: AuditNote): Promise<void> {
    return this.#write('recordLogin', async (tx) => {
      const now = this.#now();
      await tx.updateTable('accounts').set({ last_login_at: now, failed_logins: 0, locked_until: null }).where('email', '=', emailKey(email)).execute();
      await this.#note(tx, audit, now);
    });
  }

  addToken(t: ApiTokenInput, audit?: AuditNote): Promise<ApiToken> {
    return this.#write('addToken', async (tx) => {
      const now = this.#now();
      const row = { id: t.id, name: storableText(t.name), email: emailKey(t.email), hash: t.hash, created_at: now, last_used_at: null, expires_at: t.expiresAt ?? null, revoked_at: null };
      await tx.insertInto('api_tokens').values(row).execute();
      await this.#note(tx, audit, now);
      return toToken(row);
    });
  }

  listTokens(q: { email?: string } = {}): Promise<ApiToken[]> {
    return this.#guard('listTokens', async () => {
      let qb = this.#db.selectFrom('api_tokens').selectAll().where('revoked_at', 'is', null);
      if (q.email !== undefined) qb = qb.where('email', '=', emailKey(q.email));
      return (await qb.orderBy('created_at', 'desc').orderBy('id').execute()).map(toToken);
    });
  }

  findToken(hash: string): Promise<ApiToken | undefined> {
    return this.#guard('findToken', async () => {
      const row = await this.#db.selectFrom('api_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row && toToken(row);
    });
  }

  touchToken(id: string, at: number): Promise<void> {
    return this.#write('touchToken', async (tx) => {
      await tx.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    });
  }

  revokeToken(id: string, audit?: AuditNote): Promise<ApiToken | undefined> {
    return this.#write('revokeToken', async (tx) => {
      const now = this.#now();
      const row = await tx.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).returningAll().executeTakeFirst();
      if (!row) return undefined;
      await this.#note(tx, audit, now);
      return toToken(row);
    });
  }

  addSession(s: SessionInput): Promise<void> {
    return this.#write('addSession', async (tx) => {
      const now = this.#now();
      // Logins are rare: purging ended sessions then keeps the table small without a schedule.
      await tx.deleteFrom('sessions').where('expires_at', '<=', now).execute();
      await tx
        .insertInto('sessions')
        .values({
          id_hash: s.idHash, email: emailKey(s.email), csrf_token: s.csrfToken, created_at: now, last_seen_at: now, expires_at: s.expiresAt,
          ip: s.ip === undefined ? null : storableText(s.ip), user_agent: s.userAgent === undefined ? null : storableText(s.userAgent),
        })
        .execute();
    });
  }

  findSession(idHash: string): Promise<Session | undefined> {
    return this.#guard('findSession', async () => {
      const row = await this.#db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return row && toSession(row);
    });
  }

  touchSession(idHash: string, at: number): Promise<void> {
    return this.#write('touchSession', async (tx) => {
      await tx.updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
    });
  }

  endSession(idHash: string): Promise<boolean> {
    return this.#write('endSession', async (tx) => Number((await tx.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst()).numDeletedRows) > 0);
  }
}
