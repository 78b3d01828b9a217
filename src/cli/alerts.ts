/**
 * `saaswatch alerts` and its triage: list (muted ones marked), show (with its deliveries and responses), ack, close (a false positive
 * mutes the same rule and entity for a while), mute, unmute, mutes. Each opens the store alone, and
 * each change is in the audit log with who and why.
 */
import type { Config } from '../config/load.js';
import { openConfiguredStore } from '../app.js';
import { loadConfig } from '../config/load.js';
import { errors, type Alert, type AlertStatus, type Clock, type Entity, type Mute, type Store } from '../core/index.js';
import { entityMatches, Muter } from '../pipeline/mutes.js';
import * as triage from '../actions/triage.js';
import { registry } from '../registry.js';
import { EXIT } from './options.js';
import { out, outJson } from './terminal.js';

/** A false positive mutes its rule and entity this long unless `--for` says otherwise. */
export const FALSE_POSITIVE_MUTE_MS = triage.FALSE_POSITIVE_MUTE_MS;

/** Who an action is recorded as: `--by`, else the login name, else `cli`. */
export function actorOf(by: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = by?.trim() || env.USER?.trim() || env.LOGNAME?.trim();
  return name || 'cli';
}

/** Loads the config, opens its store alone (no sources, no sinks), runs `fn`, and closes it. */
export async function withStore<T>(configPath: string | undefined, now: Clock, fn: (store: Store, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig(registry, { path: configPath });
  const store = await openConfiguredStore(config, now);
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

async function alertOrFail(store: Store, id: string): Promise<Alert> {
  const alert = await store.getAlert(id);
  if (!alert) throw errors.inputMalformed({ where: `alert ${id}`, problem: 'no stored alert has this id', fix: '`saaswatch alerts` lists the ids (the last column)' });
  return alert;
}

const entityText = (e: Entity): string => `${e.type}:${e.value}`;
const iso = (ms: number): string => new Date(ms).toISOString();

/** What a mute matches, as one would type it back: `rule brute-force, entity user:bob@x.io`. */
function patternText(m: Pick<Mute, 'rule' | 'entity'>): string {
  return [m.rule === undefined ? '' : `rule ${m.rule}`, m.entity === undefined ? '' : `entity ${entityText(m.entity)}`].filter(Boolean).join(', ');
}

function mutedJson(m: Mute): Record<string, unknown> {
  return { id: m.id, reason: m.reason, actor: m.actor, source: m.source, until: m.until === undefined ? null : iso(m.until) };
}

function muteLine(m: Mute, now: number): string {
  const end = m.until === undefined ? 'until removed' : `until ${iso(m.until)}`;
  const state = m.removedAt !== undefined ? `  [removed ${m.removedAt} by ${m.removedBy ?? '?'}]` : m.until !== undefined && m.until <= now ? '  [expired]' : '';
  const id = m.source === 'config' ? 'config' : `#${m.id}`;
  return `${id.padEnd(7)} ${patternText(m)}  ${end}  by ${m.actor} (${m.source}${m.alertId ? ` alert ${m.alertId}` : ''}) at ${m.createdAt}: ${m.reason}${state}`;
}

export interface ListOptions {
  config?: string;
  limit: number;
  json?: boolean;
  status?: AlertStatus;
  rule?: string;
  entity?: Entity;
}

/** Newest first, filtered; an alert a mute held back when it was raised is marked (`muted #id: reason`, or `muted` in JSON). */
export async function listAlerts(opts: ListOptions, now: Clock): Promise<number> {
  return withStore(opts.config, now, async (store, config) => {
    const muter = new Muter({ store, config: config.alerting.mutes, now });
    await muter.refresh();
    const filter = opts.entity;
    // The store filters by status and rule; the entity (a glob) is matched here, so the limit applies after it.
    const stored = await store.listAlerts({
      ...(opts.status ? { status: opts.status } : {}),
      ...(opts.rule ? { rule: opts.rule } : {}),
      ...(filter ? {} : { limit: opts.limit }),
    });
    const alerts = (filter ? stored.filter((a) => entityMatches(filter, a.entity)) : stored).slice(0, opts.limit);
    for (const a of alerts) {
      const muted = muter.mutedWhenRaised(a);
      if (opts.json) {
        outJson(muted ? { ...a, muted: mutedJson(muted) } : a);
        continue;
      }
      const tags = [a.status === 'open' ? '' : a.status, muted ? `muted ${muted.source === 'config' ? 'by config' : `#${muted.id}`}: ${muted.reason}` : ''].filter(Boolean);
      out(`${a.createdAt}  ${a.severity.toUpperCase().padEnd(8)} ${a.rule.padEnd(18)} ${entityText(a.entity)}  ${a.description}  ${tags.length ? `[${tags.join('; ')}] ` : ''}id ${a.id}`);
    }
    return EXIT.ok;
  });
}

/** One alert in full: what, who, when, evidence ids, where it was delivered, and the mute that held it back. */
export async function showAlert(id: string, opts: { config?: string; json?: boolean }, now: Clock): Promise<number> {
  return withStore(opts.config, now, async (store, config) => {
    const alert = await alertOrFail(store, id);
    const muter = new Muter({ store, config: config.alerting.mutes, now });
    await muter.refresh();
    const muted = muter.mutedWhenRaised(alert);
    const deliveries = await store.listDeliveries({ alertId: id });
    // What its policies did (or will do, or only planned): each response is linked to its alert.
    const responses = await store.listActions({ alertId: id });
    if (opts.json) {
      outJson({ ...alert, ...(muted ? { muted: mutedJson(muted) } : {}), deliveries, responses });
      return EXIT.ok;
    }
    const field = (name: string, value: string) => out(`${`${name}:`.padEnd(13)}${value}`);
    field('id', alert.id);
    field('rule', alert.rule);
    field('title', alert.title);
    field('severity', alert.severity);
    field('status', alert.status);
    field('entity', entityText(alert.entity));
    field('window', `${iso(alert.windowStart)} to ${iso(alert.windowEnd)}`);
    field('raised', alert.createdAt);
    field('description', alert.description);
    if (alert.observed) field('observed', Object.entries(alert.observed).map(([k, v]) => `${k}=${v}`).join(', '));
    if (alert.expected) field('expected', Object.entries(alert.expected).map(([k, v]) => `${k}=${v}`).join(', '));
    if (alert.score !== undefined) field('score', String(alert.score));
    for (const [k, v] of Object.entries(alert.details ?? {})) field(k, Array.isArray(v) ? v.join(', ') : String(v));
    field('evidence', `${alert.evidence.length} event${alert.evidence.length === 1 ? '' : 's'}: ${alert.evidence.slice(0, 10).join(', ')}${alert.evidence.length > 10 ? ', ...' : ''}`);
    if (muted) field('muted', `${muted.source === 'config' ? 'by config' : `#${muted.id}`} (${patternText(muted)}) by ${muted.actor}: ${muted.reason}`);
    if (deliveries.length === 0) field('deliveries', muted ? 'none (muted)' : 'none');
    for (const d of deliveries) field('delivery', `${d.sink} ${d.status}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${d.lastError ? `: ${d.lastError}` : ''}`);
    for (const r of responses) {
      const when = r.status === 'pending' ? `, due ${iso(r.dueAt)}` : '';
      const why = r.error ?? r.plan;
      field('response', `${r.action} on ${r.target.id} via ${r.source} (policy ${r.policy ?? '-'}): ${r.status}${when}${why ? `: ${why}` : ''}`);
    }
    return EXIT.ok;
  });
}

/** Acknowledges an alert (someone is on it), in the audit log with who and why. */
export async function ackAlert(id: string, opts: { config?: string; reason?: string; by?: string }, now: Clock): Promise<number> {
  return withStore(opts.config, now, async (store) => {
    await alertOrFail(store, id);
    const actor = actorOf(opts.by);
    await triage.ackAlert(store, id, { actor, ...(opts.reason === undefined ? {} : { reason: opts.reason }) });
    out(`alert ${id} acknowledged by ${actor}`);
    return EXIT.ok;
  });
}

export interface CloseOptions {
  config?: string;
  reason?: string;
  by?: string;
  falsePositive?: boolean;
  for?: number;
}

/**
 * Closes an alert. As a false positive it also mutes the same rule and entity (the entity's value
 * exactly, never as a glob) for `--for` (default 30 days), so the next window of the same pattern
 * goes to no sink; both are in the audit log.
 */
export async function closeAlert(id: string, opts: CloseOptions, now: Clock): Promise<number> {
  return withStore(opts.config, now, async (store) => {
    await alertOrFail(store, id);
    const actor = actorOf(opts.by);
    const { alert, mute } = await triage.closeAlert(store, id, {
      actor, now, ...(opts.reason === undefined ? {} : { reason: opts.reason }), falsePositive: opts.falsePositive === true, ...(opts.for === undefined ? {} : { muteMs: opts.for }),
    });
    out(`alert ${id} closed by ${actor}${mute ? `; false positive: ${patternText(alert)} muted ${mute.until === undefined ? 'until removed' : `until ${iso(mute.until)}`} (mute #${mute.id})` : ''}`);
    return EXIT.ok;
  });
}

export interface MuteOptions {
  config?: string;
  rule?: string;
  entity?: Entity;
  for?: number;
  until?: number;
  reason?: string;
  by?: string;
}

/** Usage mistakes of `alerts mute`, found before the store is opened: [the message, naming the flag and the fix]. */
export function muteUsageProblem(opts: MuteOptions, now: number): string | undefined {
  if (opts.rule === undefined && opts.entity === undefined) return 'alerts mute: give --rule, --entity or both (a mute of nothing in particular would silence every alert)';
  if (opts.reason === undefined || opts.reason.trim() === '') return 'alerts mute: --reason is required: say why, it goes to the audit log and beside every alert the mute holds back';
  if (opts.for !== undefined && opts.until !== undefined) return 'alerts mute: give --for or --until, not both';
  if (opts.for === undefined && opts.until === undefined) return 'alerts mute: give --for 7d or --until 2026-12-31T00:00:00Z (--for forever to mute until `saaswatch alerts unmute`)';
  if (opts.until !== undefined && opts.until <= now) return `alerts mute: --until ${iso(opts.until)} has passed; give a later time`;
  return undefined;
}

export async function muteAlerts(opts: MuteOptions, now: Clock): Promise<number> {
  return withStore(opts.config, now, async (store) => {
    const period = opts.for;
    const until = opts.until ?? (period !== undefined && Number.isFinite(period) ? now() + period : undefined);
    const mute = await store.addMute({
      ...(opts.rule === undefined ? {} : { rule: opts.rule }),
      ...(opts.entity === undefined ? {} : { entity: opts.entity }),
      ...(until === undefined ? {} : { until }),
      reason: opts.reason!.trim(),
      actor: actorOf(opts.by),
      source: 'cli',
    });
    out(`mute #${mute.id}: ${patternText(mute)} ${mute.until === undefined ? 'until removed' : `until ${iso(mute.until)}`}, by ${mute.actor}: ${mute.reason}`);
    return EXIT.ok;
  });
}

export async function unmute(id: number, opts: { config?: string; reason?: string; by?: string }, now: Clock): Promise<number> {
  return withStore(opts.config, now, async (store) => {
    const actor = actorOf(opts.by);
    const removed = await store.removeMute(id, { actor, ...(opts.reason === undefined ? {} : { reason: opts.reason }) });
    if (!removed) throw errors.inputMalformed({ where: `mute #${id}`, problem: 'no mute in force has this id (removed already, or never made)', fix: '`saaswatch alerts mutes --all` lists every mute' });
    out(`mute #${id} removed by ${actor}: ${patternText(removed)} is delivered again`);
    return EXIT.ok;
  });
}

/** Mutes in force now (config and store), or with --all every one made, removed and expired included. */
export async function listMutes(opts: { config?: string; all?: boolean; json?: boolean }, now: Clock): Promise<number> {
  return withStore(opts.config, now, async (store, config) => {
    const t = now();
    const muter = new Muter({ store, config: config.alerting.mutes, now });
    await muter.refresh();
    const mutes = opts.all ? muter.mutes : muter.mutes.filter((m) => m.removedAt === undefined && (m.until === undefined || m.until > t));
    for (const m of mutes) {
      if (opts.json) outJson(m);
      else out(muteLine(m, t));
    }
    if (!opts.json && mutes.length === 0) out(opts.all ? 'no mutes' : 'no mutes in force (--all lists removed and expired ones)');
    return EXIT.ok;
  });
}
