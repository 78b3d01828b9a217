/**
 * `saaswatch block`, `unblock`, `blocked`, `audit`, `actions` and `act`: the analyst's hands, all
 * through the responder (src/actions/responder.ts), so a block or an action by hand is recorded and
 * audited exactly as a policy's is.
 */
import { dirname } from 'node:path';
import { createResponder } from '../app.js';
import type { Responder } from '../actions/responder.js';
import { describeState } from '../actions/responder.js';
import type { Config } from '../config/load.js';
import type { ActionRecord, AuditEntry, BlockScope, BlockedUser, Clock, Store } from '../core/index.js';
import { createLogger } from '../log.js';
import { actorOf, withStore } from './alerts.js';
import { EXIT } from './options.js';
import { out, outJson } from './terminal.js';

/** The store alone (`withStore`), with a responder over the configured sources' connectors. */
function withResponder<T>(configPath: string | undefined, now: Clock, fn: (r: Responder, store: Store, config: Config) => Promise<T>): Promise<T> {
  return withStore(configPath, now, async (store, config) => {
    // Quiet: the command prints what happened; a failure's details are in its line and the audit log.
    const logger = createLogger({ level: 'error' });
    const responder = createResponder(config, { store, logger, now, deps: { logger, dataDir: config.dataDir, now, files: store, state: store, ...(config.file ? { baseDir: dirname(config.file) } : {}) } });
    try {
      return await fn(responder, store, config);
    } finally {
      await responder.close();
    }
  });
}

export interface BlockOptions {
  config?: string;
  reason?: string;
  by?: string;
  for?: number;
  scope?: BlockScope;
  json?: boolean;
}

function blockLine(b: BlockedUser): string {
  const until = b.expiresAt ? `until ${b.expiresAt}` : 'until unblocked';
  return `${b.user}  ${b.scope === 'all' ? 'all activity' : `${b.scope} only`}  ${until}  by ${b.blockedBy} at ${b.blockedAt}${b.alertId ? ` (alert ${b.alertId})` : ''}: ${b.reason}`;
}

function blockJson(b: BlockedUser): Record<string, unknown> {
  return { user: b.user, scope: b.scope, reason: b.reason, blocked_by: b.blockedBy, blocked_at: b.blockedAt, expires_at: b.expiresAt ?? null, alert: b.alertId ?? null };
}

export async function block(user: string, o: BlockOptions, now: Clock): Promise<number> {
  return withResponder(o.config, now, async (r) => {
    const b = await r.block({ user, reason: o.reason ?? '', actor: actorOf(o.by), ...(o.scope ? { scope: o.scope } : {}), ...(o.for === undefined ? {} : { forMs: o.for }) });
    if (o.json) outJson(blockJson(b));
    else out(`blocked ${blockLine(b)}`);
    return EXIT.ok;
  });
}

export async function unblock(user: string, o: BlockOptions, now: Clock): Promise<number> {
  return withResponder(o.config, now, async (r) => {
    const b = await r.unblock({ user, reason: o.reason ?? '', actor: actorOf(o.by) });
    if (!b) {
      out(`${user} is not blocked`);
      return EXIT.error;
    }
    if (o.json) outJson({ unblocked: blockJson(b) });
    else out(`unblocked ${b.user} (was: ${b.reason}, by ${b.blockedBy})`);
    return EXIT.ok;
  });
}

export async function blocked(o: { config?: string; json?: boolean; all?: boolean }, now: Clock): Promise<number> {
  return withResponder(o.config, now, async (_r, store) => {
    const list = await store.listBlockedUsers(o.all ? {} : { activeAt: now() });
    if (o.json) for (const b of list) outJson(blockJson(b));
    else if (list.length === 0) out('no user is blocked');
    else for (const b of list) out(blockLine(b));
    return EXIT.ok;
  });
}

export interface AuditOptions {
  config?: string;
  limit?: number;
  action?: string;
  actor?: string;
  since?: number;
  subject?: string;
  json?: boolean;
}

/** One audit entry as a line: the action, who, and what changed (before → after for response actions). */
export function auditLine(e: AuditEntry): string {
  const d = e.details;
  let what: string;
  if (typeof d.outcome === 'string') {
    const state = d.before || d.after ? `  before: ${d.before ? describeState(d.before as Record<string, unknown>) : '-'}  after: ${d.after ? describeState(d.after as Record<string, unknown>) : '-'}` : '';
    const why = d.error ? `  (${String(d.error)})` : d.plan ? `  (plan: ${String(d.plan)})` : '';
    what = `${String(d.outcome)} on ${String(d.target)} via ${String(d.source)}${d.policy ? ` by policy ${String(d.policy)}` : ''}${d.alert ? ` for alert ${String(d.alert)}` : ''}${why}${state}`;
  } else {
    what = Object.entries(d)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join('  ');
  }
  return `${e.at}  ${e.actor}  ${e.action}  ${what}`;
}

export async function audit(o: AuditOptions, now: Clock): Promise<number> {
  return withResponder(o.config, now, async (_r, store) => {
    const entries = await store.listAudit({
      limit: o.limit ?? 50,
      ...(o.action ? { action: o.action } : {}),
      ...(o.actor ? { actor: o.actor } : {}),
      ...(o.since === undefined ? {} : { since: now() - o.since }),
      ...(o.subject ? { subject: o.subject } : {}),
    });
    if (o.json) for (const e of entries) outJson({ id: e.id, at: e.at, actor: e.actor, action: e.action, details: e.details });
    else if (entries.length === 0) out('no audit entries match');
    else for (const e of entries) out(auditLine(e));
    return EXIT.ok;
  });
}

export async function actions(target: string, o: { config?: string; member?: string; json?: boolean }, now: Clock): Promise<number> {
  return withResponder(o.config, now, async (r) => {
    const offers = r.offers(target, o.member ? { member: o.member } : {});
    if (o.json) {
      for (const x of offers) outJson({ source: x.source, service: x.service, action: x.action, target: x.target.id, summary: x.summary, disruptive: x.disruptive, executes: x.executes });
      return EXIT.ok;
    }
    out('(enabled: `act --execute` changes the service; dry-run only: not in response.execute, so `act` can only plan it)');
    if (offers.length === 0) {
      out(`nothing can be done to ${target}: no configured source offers actions on a ${target.includes('@') ? 'user' : 'file'}`);
      return EXIT.ok;
    }
    for (const x of offers) {
      out(`${x.action.padEnd(20)} ${x.source.padEnd(18)} ${(x.executes ? 'enabled' : 'dry-run only').padEnd(12)} ${x.target.id}  ${x.summary}${x.disruptive ? ' [disruptive]' : ''}`);
    }
    return EXIT.ok;
  });
}

export interface ActOptions {
  config?: string;
  source?: string;
  member?: string;
  execute?: boolean;
  dryRun?: boolean;
  reason?: string;
  by?: string;
  scope?: BlockScope;
  for?: number;
  json?: boolean;
}

function recordLine(rec: ActionRecord): string {
  const why = rec.status === 'failed' || rec.status === 'refused' ? rec.error : rec.plan;
  const state = rec.before ? `  before: ${describeState(rec.before)}${rec.after ? `  after: ${describeState(rec.after)}` : ''}` : '';
  return `${rec.source}  ${rec.action}  ${rec.target.id}${rec.target.member ? ` (${rec.target.member})` : ''}: ${rec.status}${why ? ` — ${why}` : ''}${state}`;
}

export async function act(action: string, target: string, o: ActOptions, now: Clock): Promise<number> {
  return withResponder(o.config, now, async (r) => {
    const records = await r.act({
      action,
      target,
      ...(o.source ? { source: o.source } : {}),
      ...(o.member ? { member: o.member } : {}),
      execute: o.execute === true && o.dryRun !== true,
      reason: o.reason ?? '',
      actor: actorOf(o.by),
      ...(o.scope ? { scope: o.scope } : {}),
      ...(o.for === undefined ? {} : { forMs: o.for }),
    });
    for (const rec of records) {
      if (o.json) outJson({ id: rec.id, source: rec.source, service: rec.service, action: rec.action, target: rec.target.id, status: rec.status, plan: rec.plan ?? null, error: rec.error ?? null, before: rec.before ?? null, after: rec.after ?? null });
      else out(recordLine(rec));
    }
    return records.some((x) => x.status === 'failed') ? EXIT.error : EXIT.ok;
  });
}
