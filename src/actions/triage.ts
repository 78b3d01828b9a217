/** Alert triage (ack, close, false positive with its mute, assign, mute), shared by the CLI and the API so both change alerts and write the audit log alike. */
import type { Alert, AlertStatus, Entity } from '../core/alert.js';
import type { Clock } from '../core/clock.js';
import { errors } from '../core/errors.js';
import type { Mute, Store } from '../core/store.js';
import { escapeGlob } from '../pipeline/mutes.js';

/** A false positive mutes its rule and entity this long unless told otherwise. */
export const FALSE_POSITIVE_MUTE_MS = 30 * 86_400_000;

type TriageStore = Pick<Store, 'getAlert' | 'setAlertStatus' | 'assignAlert' | 'addMute' | 'audit'>;

/** Who acts, and why (the audit log keeps both). */
export interface TriageBy {
  actor: string;
  reason?: string;
}

const entityText = (e: Entity): string => `${e.type}:${e.value}`;

export async function alertOrFail(store: Pick<Store, 'getAlert'>, id: string): Promise<Alert> {
  const alert = await store.getAlert(id);
  if (!alert) throw errors.notFound({ kind: 'alert', id, fix: '`saaswatch alerts` or GET /api/alerts lists the ids' });
  return alert;
}

async function setStatus(store: TriageStore, id: string, status: AlertStatus, action: string, by: TriageBy, extra: Record<string, unknown> = {}): Promise<Alert> {
  const alert = await alertOrFail(store, id);
  await store.setAlertStatus(id, status);
  await store.audit(by.actor, action, { alert: id, rule: alert.rule, entity: entityText(alert.entity), from: alert.status, reason: by.reason ?? null, ...extra });
  return { ...alert, status };
}

/** Acknowledges an alert (someone is on it), audited as `alert-ack`. */
export function ackAlert(store: TriageStore, id: string, by: TriageBy): Promise<Alert> {
  return setStatus(store, id, 'acknowledged', 'alert-ack', by);
}

/**
 * Closes an alert, audited as `alert-close`. As a false positive it also mutes the same rule and
 * entity (the entity's value exactly, never as a glob) for `muteMs` (default 30 days; Infinity:
 * until removed), so the next window of the same pattern goes to no sink.
 */
export async function closeAlert(
  store: TriageStore,
  id: string,
  by: TriageBy & { falsePositive?: boolean; muteMs?: number; now: Clock },
): Promise<{ alert: Alert; mute?: Mute }> {
  const alert = await alertOrFail(store, id);
  // Closed first: if the mute then fails, doing it again closes nothing twice and mutes once.
  await store.setAlertStatus(id, 'closed');
  let mute: Mute | undefined;
  if (by.falsePositive) {
    const period = by.muteMs ?? FALSE_POSITIVE_MUTE_MS;
    mute = await store.addMute({
      rule: alert.rule,
      entity: { type: alert.entity.type, value: escapeGlob(alert.entity.value) },
      ...(Number.isFinite(period) ? { until: by.now() + period } : {}),
      reason: by.reason ?? `false positive (alert ${id})`,
      actor: by.actor,
      source: 'feedback',
      alertId: id,
    });
  }
  await store.audit(by.actor, 'alert-close', {
    alert: id, rule: alert.rule, entity: entityText(alert.entity), from: alert.status, reason: by.reason ?? null,
    falsePositive: by.falsePositive === true, ...(mute ? { mute: mute.id } : {}),
  });
  return { alert: { ...alert, status: 'closed' }, ...(mute ? { mute } : {}) };
}

/** Assigns an alert to someone (null: to nobody), audited as `alert-assign`. */
export async function assignAlert(store: TriageStore, id: string, assignee: string | null, by: TriageBy): Promise<Alert> {
  const before = await alertOrFail(store, id);
  const after = await store.assignAlert(id, assignee);
  if (!after) throw errors.notFound({ kind: 'alert', id });
  await store.audit(by.actor, 'alert-assign', { alert: id, rule: before.rule, entity: entityText(before.entity), from: before.assignee ?? null, to: assignee, reason: by.reason ?? null });
  return after;
}

/**
 * Mutes what an alert is about (its rule and exact entity) until `until` (epoch ms; absent: until
 * removed). The store audits the mute (`mute`). A reason is required: it shows beside every alert the mute holds back.
 */
export async function muteAlert(store: TriageStore, id: string, by: TriageBy & { until?: number; source: Mute['source'] }): Promise<{ alert: Alert; mute: Mute }> {
  const alert = await alertOrFail(store, id);
  const reason = by.reason?.trim();
  if (!reason) throw errors.inputMalformed({ where: 'reason', problem: 'a mute needs a reason: it goes to the audit log and beside every alert it holds back' });
  const mute = await store.addMute({
    rule: alert.rule,
    entity: { type: alert.entity.type, value: escapeGlob(alert.entity.value) },
    ...(by.until === undefined ? {} : { until: by.until }),
    reason,
    actor: by.actor,
    source: by.source,
    alertId: id,
  });
  return { alert, mute };
}

/** Acknowledges each of `ids` that exists and is open; returns how many changed. Unknown ids are skipped, not fatal: a queue moves on. */
export async function ackAlerts(store: TriageStore, ids: readonly string[], by: TriageBy): Promise<number> {
  let n = 0;
  for (const id of new Set(ids)) {
    const alert = await store.getAlert(id);
    if (!alert || alert.status !== 'open') continue;
    await ackAlert(store, id, by);
    n++;
  }
  return n;
}
