/**
 * The one audited path for every response: blocks, actions run by hand and actions policies run
 * for alerts. Reads before, plans, refuses what config or policy does not allow, applies through the
 * shared retry policy, verifies after, and records each step so a crash between sending and
 * recording is verified and recorded once on the next run.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  errorMessage,
  errors,
  SaaswatchError,
  systemClock,
  type ActionConnector,
  type ActionInput,
  type ActionLog,
  type ActionRecord,
  type ActionState,
  type ActionTarget,
  type Alert,
  type AlertOutbox,
  type AlertRoute,
  type Audit,
  type BlockedUser,
  type Blocks,
  type BlockScope,
  type Clock,
  type ConnectorAction,
  type EventLog,
  type Finding,
  type SaveAlertsOptions,
} from '../core/index.js';
import { findingToAlert } from '../pipeline/alerts.js';
import { abortableSleep, withRetry } from '../pipeline/polling.js';
import { routeTakes } from '../pipeline/routing.js';
import type { ResponseConfig, ResponsePolicy } from './config.js';
import { alertFiles, alertUsers, canonicalUser, matchesAny, parseTarget, serviceUser, type IdentityRules } from './targets.js';

/** The source name saaswatch's own actions (the blocklist) are recorded under. */
export const LOCAL_SOURCE = 'saaswatch';

/** The rule id of the alert raised when the automatic-action rate limit holds a policy back. */
export const RATE_LIMIT_RULE = 'response-rate-limit';

export type ResponderStore = Blocks & Audit & ActionLog & Pick<AlertOutbox, 'getAlert' | 'listAlerts' | 'saveAlerts'> & Pick<EventLog, 'getEvents'>;

export interface ResponderOptions {
  store: ResponderStore;
  /** By source name: each configured source that offers actions. */
  connectors: ReadonlyMap<string, ActionConnector>;
  config: ResponseConfig;
  /** `enrich.identities`: how a canonical user is known to each service. */
  identities?: IdentityRules;
  /** Where an alert the responder raises (rate limit) goes. */
  route?: AlertRoute;
  saveOptions?: SaveAlertsOptions;
  /** Alerts held back by a mute are left alone by policies too. */
  isMuted?: (alert: Alert) => boolean;
  now?: Clock;
  logger: Logger;
  /** Waits between retries (tests pass one that does not wait). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** One thing that can be done to a target, on one service. */
export interface Offer {
  source: string;
  service: string;
  action: string;
  summary: string;
  disruptive: boolean;
  target: ActionTarget;
  /** Whether it really changes the service (listed in response.execute); otherwise a dry run. */
  executes: boolean;
}

export interface ActRequest {
  action: string;
  target: string;
  /** Only this source (connection name). */
  source?: string;
  /** For remove-file-member. */
  member?: string;
  execute: boolean;
  reason: string;
  actor: string;
  /** For block-user. */
  scope?: BlockScope;
  /** For block-user: ms until it ends on its own. */
  forMs?: number;
}

interface Resolved {
  source: string;
  service: string;
  action: ConnectorAction;
  target: ActionTarget;
}

const FINISHED: ReadonlySet<string> = new Set(['done', 'already', 'dry-run', 'failed', 'refused', 'cancelled', 'skipped']);

export class Responder {
  readonly #o: ResponderOptions;
  readonly #now: Clock;
  readonly #log: Logger;
  readonly #rules: IdentityRules;
  /** Queueing of alerts the pipeline raised, kept in order and awaited by drain(). */
  #queueing: Promise<void> = Promise.resolve();
  #ticking: Promise<number> | undefined;

  constructor(o: ResponderOptions) {
    this.#o = o;
    this.#now = o.now ?? systemClock;
    this.#log = o.logger;
    this.#rules = o.identities ?? {};
    checkResponseConfig(o.config, o.connectors);
  }

  // ---------------------------------------------------------------- blocklist

  /** Blocks a user across services (canonical identity), audited; an expiry lifts it on its own. */
  async block(r: { user: string; reason: string; actor: string; scope?: BlockScope; forMs?: number; alertId?: string }): Promise<BlockedUser> {
    requireReason(r.reason, 'block', r.user);
    const user = canonicalUser(r.user, this.#rules);
    const block = await this.#o.store.blockUser({
      user,
      reason: r.reason,
      blockedBy: r.actor,
      scope: r.scope ?? 'all',
      ...(r.forMs === undefined ? {} : { expiresAt: this.#now() + r.forMs }),
      ...(r.alertId === undefined ? {} : { alertId: r.alertId }),
    });
    this.#log.warn({ user, scope: block.scope, actor: r.actor, alert: r.alertId }, 'User blocked.');
    return block;
  }

  /** Lifts a block, audited with who and why; undefined when the user was not blocked. */
  async unblock(r: { user: string; reason: string; actor: string }): Promise<BlockedUser | undefined> {
    requireReason(r.reason, 'unblock', r.user);
    const user = canonicalUser(r.user, this.#rules);
    const removed = await this.#o.store.unblockUser(user, { actor: r.actor, reason: r.reason });
    if (removed) this.#log.info({ user, actor: r.actor }, 'User unblocked.');
    return removed;
  }

  // ---------------------------------------------------------------- by hand

  /** What can be done to a user or a file, on each configured service (and saaswatch's own blocklist for a user). */
  offers(targetText: string, opts: { member?: string } = {}): Offer[] {
    return this.#resolve(targetText, undefined, undefined, opts.member).map((r) => ({
      source: r.source,
      service: r.service,
      action: r.action.name,
      summary: r.action.summary,
      disruptive: r.action.disruptive,
      target: r.target,
      executes: this.executes(r.source, r.action.name),
    }));
  }

  /** Whether `action` on `source` really changes the service (response.execute), or only dry-runs. */
  executes(source: string, action: string): boolean {
    // The blocklist is saaswatch's own: `saaswatch block` needs no config, and neither does its action.
    if (source === LOCAL_SOURCE) return true;
    return this.#o.config.execute.some((e) => e === action || e === `${source}/${action}`);
  }

  /**
   * Runs one action by hand on every configured service that offers it for the target (or only
   * `source`), through the audited path; a dry run unless `execute`, which the action must be
   * enabled for. Returns each service's record.
   */
  async act(r: ActRequest): Promise<ActionRecord[]> {
    requireReason(r.reason, r.action, r.target);
    const found = this.#resolve(r.target, r.action, r.source, r.member);
    if (found.length === 0) {
      const can = [...new Set(this.#resolve(r.target, undefined, r.source, r.member).map((x) => x.action.name))];
      throw errors.actionRefused({
        action: r.action,
        target: r.target,
        problem: r.source ? `source ${r.source} does not offer it for this target` : 'no configured service offers it for this target',
        fix: can.length ? `offered: ${can.join(', ')}` : 'configure a source that offers actions (google-workspace, dropbox, microsoft-graph)',
      });
    }
    if (r.execute) {
      const off = found.filter((f) => !this.executes(f.source, f.action.name));
      if (off.length) {
        throw errors.actionRefused({
          action: r.action,
          target: r.target,
          problem: `not enabled for execution on ${off.map((f) => f.source).join(', ')}`,
          fix: `add ${r.action} (or ${off[0]!.source}/${r.action}) to response.execute; until then use --dry-run`,
        });
      }
    }
    const out: ActionRecord[] = [];
    for (const f of found) {
      // A run of this same action that was sent and never recorded (a crash) is this one: it is verified, not sent twice.
      const open = await this.#o.store.listActions({ status: ['started'], source: f.source, action: f.action.name, targetId: f.target.id, limit: 1 });
      const rec =
        open[0] ??
        (
          await this.#o.store.queueActions([
            {
              key: `manual:${randomUUID()}`,
              source: f.source,
              service: f.service,
              action: f.action.name,
              target: f.target,
              actor: r.actor,
              reason: r.reason,
              mode: r.execute ? 'execute' : 'dry-run',
              automatic: false,
              disruptive: f.action.disruptive,
              dueAt: this.#now(),
            },
          ])
        )[0]!;
      out.push(await this.#run(rec, f.action, { scope: r.scope, forMs: r.forMs }));
    }
    return out;
  }

  // ---------------------------------------------------------------- policies

  /** Queues the policies' actions for alerts the pipeline raised; returned promise settles when queued (drain() waits for it too). */
  onAlerts(created: readonly Alert[]): Promise<void> {
    if (created.length === 0) return this.#queueing;
    this.#queueing = this.#queueing
      .then(() => this.plan(created))
      .then(
        () => undefined,
        (err: unknown) => this.#log.error({ err }, 'Response policies could not be queued for new alerts; the next start catches up.'),
      );
    return this.#queueing;
  }

  /** Queues what the policies (and the detectors' own proposals, such as baseline.auto_block) ask for these alerts; known ones are not queued again. */
  async plan(alerts: readonly Alert[]): Promise<ActionRecord[]> {
    const rows: ActionInput[] = [];
    for (const alert of alerts) {
      if (alert.rule === RATE_LIMIT_RULE || this.#o.isMuted?.(alert)) continue;
      const policies = this.#o.config.policies.filter((p) => routeTakes(alert, { min_severity: p.min_severity, include: p.include, ...(p.exclude ? { exclude: p.exclude } : {}) }));
      const raised = Date.parse(alert.createdAt);
      const evidence = policies.length ? await this.#o.store.getEvents(alert.evidence, { from: alert.windowStart, to: alert.windowEnd + 1 }) : [];
      for (const p of policies) {
        for (const name of p.actions) rows.push(...this.#policyRows(p, name, alert, evidence, Number.isFinite(raised) ? raised + p.after : this.#now()));
      }
      // A detector's own proposal (baseline.auto_block) is a policy that its config switched on.
      for (const a of alert.actions ?? []) {
        if (a.type !== 'block-user') continue;
        const user = canonicalUser(a.user, this.#rules);
        rows.push({
          key: `policy:${alert.rule}-auto-block:${alert.id}:block-user:${LOCAL_SOURCE}:${user}`,
          alertId: alert.id,
          policy: `${alert.rule}-auto-block`,
          source: LOCAL_SOURCE,
          service: LOCAL_SOURCE,
          action: 'block-user',
          target: { kind: 'user', id: user },
          actor: `rule:${alert.rule}`,
          reason: a.reason,
          mode: 'execute',
          automatic: true,
          disruptive: false,
          dueAt: Number.isFinite(raised) ? raised : this.#now(),
        });
      }
    }
    return rows.length ? this.#o.store.queueActions(rows) : [];
  }

  #policyRows(p: ResponsePolicy, name: string, alert: Alert, evidence: Parameters<typeof alertFiles>[0], dueAt: number): ActionInput[] {
    const base = { alertId: alert.id, policy: p.name, actor: `rule:${alert.rule}`, reason: `policy ${p.name}: ${alert.title}`, automatic: true, dueAt };
    const rows: ActionInput[] = [];
    const users = alertUsers(alert, evidence).map((u) => canonicalUser(u, this.#rules));
    if (name === 'block-user' || name === 'unblock-user') {
      for (const u of users) {
        rows.push({ ...base, key: `policy:${p.name}:${alert.id}:${name}:${LOCAL_SOURCE}:${u}`, source: LOCAL_SOURCE, service: LOCAL_SOURCE, action: name, target: { kind: 'user', id: u }, mode: 'execute', disruptive: false });
      }
      return rows;
    }
    for (const [source, c] of this.#o.connectors) {
      const action = c.actions.find((a) => a.name === name);
      if (!action) continue;
      const targets: ActionTarget[] =
        action.target === 'user'
          ? users.map((u) => ({ kind: 'user', id: serviceUser(u, source, c.service, this.#rules) }))
          : alertFiles(evidence)
              .filter((f) => (c.ownsFile ? c.ownsFile(f.provider, f.target.id) : f.provider === c.service))
              .map((f) => f.target);
      for (const t of targets) {
        if (action.needsMember && !t.member) continue;
        rows.push({
          ...base,
          key: `policy:${p.name}:${alert.id}:${name}:${source}:${t.id}`,
          source,
          service: c.service,
          action: name,
          target: t,
          mode: this.executes(source, name) ? 'execute' : 'dry-run',
          disruptive: action.disruptive,
        });
      }
    }
    return rows;
  }

  /** Catches up on alerts raised within response.catch_up whose policies were never queued (a stop in between). */
  async catchUp(): Promise<number> {
    if (this.#o.config.policies.length === 0) return 0;
    const since = this.#now() - this.#o.config.catch_up;
    const recent = (await this.#o.store.listAlerts({ status: 'open', limit: 5_000 })).filter((a) => Date.parse(a.createdAt) >= since);
    return (await this.plan(recent)).length;
  }

  /**
   * One pass: lifts expired blocks, verifies actions a crash left sent but unrecorded, and runs the
   * queued automatic actions whose time has come. Returns how many actions it finished.
   */
  tick(): Promise<number> {
    // One pass at a time: run() and drain() may both ask.
    this.#ticking ??= this.#tick().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  async #tick(): Promise<number> {
    const now = this.#now();
    for (const b of await this.#o.store.expireBlocks(now)) this.#log.info({ user: b.user }, 'Block expired; user unblocked.');
    let finished = 0;
    // Sent and never recorded: by a run that crashed (every one, on the first pass after a start), or
    // by another process that has been at it far longer than a call can take.
    const first = !this.#resumed;
    this.#resumed = true;
    const stale = (await this.#o.store.listActions({ status: ['started'] })).filter(
      (r) => !this.#inFlight.has(r.id) && (first || Date.parse(r.updatedAt) <= now - 4 * this.#o.config.timeout * this.#o.config.retry.max_attempts),
    );
    for (const rec of stale) {
      const action = this.#actionOf(rec);
      if (!action) continue;
      await this.#run(rec, action);
      finished++;
    }
    const due = await this.#o.store.listActions({ status: ['pending'], dueBy: now, limit: 200 });
    for (const rec of due) {
      const outcome = await this.#automatic(rec);
      if (outcome) finished++;
    }
    return finished;
  }

  /** Actions this process is running now: never resumed as if a crash had left them. */
  readonly #inFlight = new Set<string>();
  #resumed = false;

  /** A queued automatic action: cancelled when its alert was handled, refused for protected accounts or past the rate limit, else run. */
  async #automatic(rec: ActionRecord): Promise<ActionRecord | undefined> {
    const action = this.#actionOf(rec);
    if (!action) {
      return this.#finish(rec, 'failed', { error: `no configured source ${rec.source} offers ${rec.action} any more` }, 'pending');
    }
    if (rec.alertId) {
      const alert = await this.#o.store.getAlert(rec.alertId);
      if (alert && alert.status !== 'open') {
        return this.#finish(rec, 'cancelled', { error: `alert ${alert.id} was ${alert.status} before the action was due` }, 'pending');
      }
    }
    if (rec.disruptive && rec.target.kind === 'user' && matchesAny(rec.target.id, this.#o.config.protected)) {
      return this.#finish(rec, 'refused', { error: `${rec.target.id} is a protected account (response.protected): never ${rec.action} automatically; act by hand if you must` }, 'pending');
    }
    if (rec.disruptive && rec.mode === 'execute') {
      const hour = this.#now() - 3_600_000;
      const recent = await this.#o.store.countActions({ automatic: true, disruptive: true, status: ['started', 'done'], updatedSince: hour });
      const max = this.#o.config.max_automatic_per_hour;
      if (recent >= max) {
        const refused = await this.#finish(rec, 'refused', { error: `rate limit: ${recent} disruptive automatic actions in the last hour (response.max_automatic_per_hour: ${max}); alerting instead of acting` }, 'pending');
        if (refused) await this.#raiseRateLimit(rec, recent, max);
        return refused;
      }
    }
    return this.#run(rec, action);
  }

  #actionOf(rec: ActionRecord): ConnectorAction | undefined {
    if (rec.source === LOCAL_SOURCE) return this.#local(rec.action);
    return this.#o.connectors.get(rec.source)?.actions.find((a) => a.name === rec.action);
  }

  async #raiseRateLimit(rec: ActionRecord, recent: number, max: number): Promise<void> {
    const now = this.#now();
    const hour = now - (now % 3_600_000);
    const finding: Finding = {
      rule: RATE_LIMIT_RULE,
      title: `Automatic response held back: ${rec.action} on ${rec.target.id} (policy ${rec.policy ?? 'unknown'})`,
      severity: 'high',
      entity: { type: 'policy', value: rec.policy ?? rec.action },
      windowStart: hour,
      windowEnd: now,
      evidence: [],
      description: `Policy ${rec.policy ?? ''} asked for ${rec.action} on ${rec.target.id}, but ${recent} disruptive automatic actions already ran in the last hour (response.max_automatic_per_hour: ${max}). Nothing was done: check the alert${rec.alertId ? ` ${rec.alertId}` : ''} and act by hand with \`saaswatch act ${rec.action} ${rec.target.id} --execute --reason ...\` if it is real.`,
      observed: { automatic_actions_last_hour: recent },
      expected: { automatic_actions_last_hour: max },
      tags: ['response'],
      details: { 'user.email': rec.target.kind === 'user' ? rec.target.id : '', 'response.action': rec.action, ...(rec.alertId ? { 'response.alert': rec.alertId } : {}) },
    };
    const alert = findingToAlert(finding, new Date(now));
    await this.#o.store.saveAlerts([alert], this.#o.route ?? [], this.#o.saveOptions);
    this.#log.warn({ action: rec.action, target: rec.target.id, policy: rec.policy, recent, max }, 'Automatic action held back by the rate limit; alert raised.');
  }

  // ---------------------------------------------------------------- one action

  /**
   * Reads, plans, and (in execute mode) marks started, applies with the shared retry policy, reads
   * again and records. A started record (a crash after sending) is verified first: done is recorded
   * once, not done is sent again.
   */
  async #run(rec: ActionRecord, action: ConnectorAction, extra: { scope?: BlockScope | undefined; forMs?: number | undefined } = {}): Promise<ActionRecord> {
    const signal = AbortSignal.timeout(Math.max(this.#o.config.timeout * (this.#o.config.retry.max_attempts + 1), 60_000));
    const t = rec.target;
    const local = rec.source === LOCAL_SOURCE ? { rec, ...extra } : undefined;
    this.#inFlight.add(rec.id);
    try {
      let before: ActionState;
      try {
        before = await this.#call(rec, 'read', () => (local ? this.#localRead(t) : action.read(t, signal)), signal);
      } catch (err) {
        // A policy acts on every service that can: one that does not know the person has nothing to do.
        if (rec.automatic && rec.status === 'pending' && err instanceof SaaswatchError && err.details?.notFound === true) {
          return (await this.#finish(rec, 'skipped', { error: errorMessage(err) }, 'pending')) ?? rec;
        }
        return this.#failed(rec, err, rec.status);
      }
      const recovering = rec.status === 'started';
      if (action.done?.(before)) {
        if (recovering) {
          // Sent before a crash, and the service shows it done: recorded now, once.
          return (await this.#finish(rec, 'done', { after: before, plan: rec.plan ?? action.plan(t, rec.before ?? before), recovered: true }, 'started')) ?? rec;
        }
        return (await this.#finish(rec, 'already', { before, after: before, plan: `nothing to do: ${describeState(before)}` }, 'pending')) ?? rec;
      }
      const plan = action.plan(t, recovering ? (rec.before ?? before) : before);
      if (rec.mode === 'dry-run') return (await this.#finish(rec, 'dry-run', { before, plan }, 'pending')) ?? rec;
      if (!recovering) {
        // Recorded before anything is sent: a crash from here on leaves a started record the next run verifies.
        const took = await this.#o.store.updateAction(rec.id, { status: 'started', before, plan, attempts: rec.attempts + 1 }, { from: 'pending' });
        if (!took) return rec;
        rec = { ...rec, status: 'started', before, plan, attempts: rec.attempts + 1 };
      }
      let answer: ActionState | void;
      try {
        answer = await this.#call(rec, 'apply', () => (local ? this.#localApply(t, local) : action.apply(t, before, signal)), signal);
      } catch (err) {
        return this.#failed(rec, err, 'started');
      }
      let after: ActionState = answer ?? {};
      if (action.done) {
        try {
          after = await this.#call(rec, 'read', () => (local ? this.#localRead(t) : action.read(t, signal)), signal);
        } catch (err) {
          return this.#failed(rec, err, 'started', 'the change was sent but could not be verified');
        }
        if (!action.done(after)) {
          return (await this.#finish(rec, 'failed', { after, error: `${rec.service} accepted ${rec.action} but still shows ${describeState(after)}: not done` }, 'started')) ?? rec;
        }
      }
      const done = await this.#finish(rec, 'done', { after }, 'started');
      this.#log.warn({ action: rec.action, source: rec.source, target: t.id, alert: rec.alertId, policy: rec.policy }, 'Response action done.');
      return done ?? rec;
    } finally {
      this.#inFlight.delete(rec.id);
    }
  }

  #call<T>(rec: ActionRecord, what: string, fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const r = this.#o.config.retry;
    return withRetry(`${rec.action} ${what}`, fn, {
      signal,
      maxAttempts: r.max_attempts,
      initialMs: r.initial_backoff,
      maxMs: r.max_backoff,
      classify: (err) => (err instanceof SaaswatchError ? err : errors.internal({ problem: `${rec.service} ${rec.action}: ${errorMessage(err)}`, cause: err })),
      logger: this.#log,
      label: `${rec.service} ${rec.action}`,
      fields: { source: rec.source, target: rec.target.id },
      sleep: this.#o.sleep ?? abortableSleep,
    });
  }

  async #failed(rec: ActionRecord, err: unknown, from: ActionRecord['status'], context?: string): Promise<ActionRecord> {
    this.#log.error({ err, action: rec.action, source: rec.source, target: rec.target.id, alert: rec.alertId }, 'Response action failed.');
    const text = `${context ? `${context}: ` : ''}${errorMessage(err)}`;
    return (await this.#finish(rec, 'failed', { error: text, ...(err instanceof SaaswatchError ? { code: err.code } : {}) }, from)) ?? { ...rec, status: 'failed', error: text };
  }

  /** Records an outcome and its audit entry in one transaction, only while the record is still `from`. */
  async #finish(
    rec: ActionRecord,
    outcome: 'done' | 'already' | 'dry-run' | 'failed' | 'refused' | 'cancelled' | 'skipped',
    f: { before?: ActionState; after?: ActionState; plan?: string; error?: string; code?: string; recovered?: boolean },
    from: ActionRecord['status'],
  ): Promise<ActionRecord | undefined> {
    const before = f.before ?? rec.before;
    const plan = f.plan ?? rec.plan;
    const change = {
      status: outcome,
      ...(f.before ? { before: f.before } : {}),
      ...(f.after ? { after: f.after } : {}),
      ...(f.plan ? { plan: f.plan } : {}),
      ...(f.error ? { error: f.error } : {}),
    };
    const details = {
      outcome,
      mode: rec.mode,
      source: rec.source,
      service: rec.service,
      target: rec.target.id,
      ...(rec.target.member ? { member: rec.target.member } : {}),
      reason: rec.reason,
      ...(rec.alertId ? { alert: rec.alertId } : {}),
      ...(rec.policy ? { policy: rec.policy } : {}),
      ...(plan ? { plan } : {}),
      ...(before ? { before } : {}),
      ...(f.after ? { after: f.after } : {}),
      ...(f.error ? { error: f.error } : {}),
      ...(f.code ? { code: f.code } : {}),
      ...(f.recovered ? { recovered: true } : {}),
      record: rec.id,
    };
    const ok = await this.#o.store.updateAction(rec.id, change, { from, audit: { actor: rec.actor, action: rec.action, details } });
    if (!ok) return undefined;
    return { ...rec, ...change, ...(before ? { before } : {}), ...(plan ? { plan } : {}) };
  }

  // ---------------------------------------------------------------- saaswatch's own actions

  #localActions: Map<string, ConnectorAction> | undefined;

  #local(name: string): ConnectorAction | undefined {
    this.#localActions ??= new Map(
      (
        [
          { name: 'block-user', summary: 'Block the user in saaswatch (enforced by the proxy; shown everywhere)', done: (s: ActionState) => s.blocked === true, undo: 'unblock-user' },
          { name: 'unblock-user', summary: 'Lift a block', done: (s: ActionState) => s.blocked === false, undo: 'block-user' },
        ] as const
      ).map((a) => [
        a.name,
        {
          name: a.name,
          target: 'user',
          summary: a.summary,
          disruptive: false,
          undo: a.undo,
          done: a.done,
          read: (t) => this.#localRead(t),
          plan: (t, before) => (a.name === 'block-user' ? `would block ${t.id} in saaswatch (${before.blocked ? 'blocked already' : 'not blocked now'})` : `would lift the block on ${t.id}`),
          // Carried out by #localApply, which knows the record; never called directly.
          apply: () => Promise.reject(errors.internal({ problem: 'local action applied without its record' })),
        } satisfies ConnectorAction,
      ]),
    );
    return this.#localActions.get(name);
  }

  async #localRead(t: ActionTarget): Promise<ActionState> {
    const b = (await this.#o.store.listBlockedUsers({ activeAt: this.#now() })).find((x) => x.user === t.id);
    return b ? { blocked: true, scope: b.scope, ...(b.expiresAt ? { expires_at: b.expiresAt } : {}) } : { blocked: false };
  }

  async #localApply(t: ActionTarget, x: { rec: ActionRecord; scope?: BlockScope | undefined; forMs?: number | undefined }): Promise<ActionState> {
    if (x.rec.action === 'unblock-user') {
      await this.#o.store.unblockUser(t.id, { actor: x.rec.actor, reason: x.rec.reason });
      return { blocked: false };
    }
    const policy = x.rec.policy ? this.#o.config.policies.find((p) => p.name === x.rec.policy) : undefined;
    const scope = x.scope ?? policy?.block_scope ?? 'all';
    const forMs = x.forMs ?? policy?.block_for;
    const b = await this.#o.store.blockUser({
      user: t.id,
      reason: x.rec.reason,
      blockedBy: x.rec.actor,
      scope,
      ...(forMs === undefined ? {} : { expiresAt: this.#now() + forMs }),
      ...(x.rec.alertId ? { alertId: x.rec.alertId } : {}),
    });
    return { blocked: true, scope: b.scope };
  }

  // ---------------------------------------------------------------- targets

  /** The (source, action, target) triples a typed target and optional action name resolve to. */
  #resolve(text: string, actionName: string | undefined, onlySource: string | undefined, member: string | undefined): Resolved[] {
    const known = new Set<string>([...this.#o.connectors.keys(), ...[...this.#o.connectors.values()].map((c) => c.service)]);
    const parsed = parseTarget(text, known);
    const out: Resolved[] = [];
    if (parsed.kind === 'user') {
      const canonical = canonicalUser(parsed.id, this.#rules);
      if (!onlySource || onlySource === LOCAL_SOURCE) {
        for (const name of ['block-user', 'unblock-user']) {
          if (actionName && actionName !== name) continue;
          out.push({ source: LOCAL_SOURCE, service: LOCAL_SOURCE, action: this.#local(name)!, target: { kind: 'user', id: canonical } });
        }
      }
      for (const [source, c] of this.#o.connectors) {
        if (onlySource && onlySource !== source) continue;
        for (const a of c.actions) {
          if (a.target !== 'user' || (actionName && a.name !== actionName)) continue;
          out.push({ source, service: c.service, action: a, target: { kind: 'user', id: serviceUser(canonical, source, c.service, this.#rules) } });
        }
      }
      return out;
    }
    for (const [source, c] of this.#o.connectors) {
      if (onlySource && onlySource !== source) continue;
      if (parsed.where && parsed.where !== source && parsed.where !== c.service) continue;
      for (const a of c.actions) {
        if (a.target !== 'file' || (actionName && a.name !== actionName)) continue;
        if (a.needsMember && !member) {
          if (actionName) throw errors.actionRefused({ action: a.name, target: text, problem: 'needs the member to remove', fix: 'pass --member EMAIL' });
          continue;
        }
        out.push({ source, service: c.service, action: a, target: { kind: 'file', id: parsed.id, ...(a.needsMember && member ? { member: member.toLowerCase() } : {}) } });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- running

  /**
   * Runs alongside the pipeline until the signal aborts: catches up on alerts whose policies were
   * never queued, then ticks every response.interval.
   */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.catchUp();
    } catch (err) {
      this.#log.error({ err }, 'Response policies could not catch up on recent alerts.');
    }
    while (!signal.aborted) {
      try {
        await this.#queueing;
        await this.tick();
      } catch (err) {
        this.#log.error({ err }, 'Response pass failed; trying again next interval.');
      }
      await abortableSleep(this.#o.config.interval, signal).catch(() => undefined);
    }
  }

  /** At the end of a run: queues what the last alerts asked for and runs what is due now. */
  async drain(): Promise<number> {
    await this.#queueing;
    return this.tick();
  }

  async close(): Promise<void> {
    for (const c of this.#o.connectors.values()) await c.close?.();
  }
}

/**
 * Every name in response.execute and in the policies must be an action some configured service (or
 * saaswatch's blocklist) offers, and every source named must be configured: a typo would leave a
 * policy doing nothing, silently. Throws CONFIG_INVALID naming the entry and what is known.
 */
export function checkResponseConfig(config: ResponseConfig, connectors: ReadonlyMap<string, ActionConnector>): void {
  const offered = new Set<string>(['block-user', 'unblock-user']);
  for (const c of connectors.values()) for (const a of c.actions) offered.add(a.name);
  const known = [...offered].sort().join(', ');
  config.execute.forEach((entry, i) => {
    const [source, action] = entry.includes('/') ? entry.split('/') : [undefined, entry];
    if (source !== undefined && source !== LOCAL_SOURCE && !connectors.has(source)) {
      throw errors.configInvalid({ path: `response.execute[${i}]`, problem: `no configured source named ${source} offers actions`, fix: `sources with actions: ${[...connectors.keys()].join(', ') || 'none'}` });
    }
    const by = source && source !== LOCAL_SOURCE ? connectors.get(source)!.actions.map((a) => a.name) : [...offered];
    if (!by.includes(action!)) throw errors.configInvalid({ path: `response.execute[${i}]`, problem: source ? `source ${source} offers no action ${action}` : `no configured service offers ${action}`, fix: `known: ${source && source !== LOCAL_SOURCE ? by.join(', ') : known}` });
  });
  config.policies.forEach((p, i) => {
    p.actions.forEach((a, j) => {
      if (!offered.has(a)) throw errors.configInvalid({ path: `response.policies[${i}].actions[${j}]`, problem: `no configured service offers ${a}`, fix: `known: ${known}` });
    });
  });
}

function requireReason(reason: string | undefined, action: string, target: string): void {
  if (reason === undefined || reason.trim() === '') {
    throw errors.actionRefused({ action, target, problem: 'a reason is required', fix: 'pass --reason "...": it goes to the audit log' });
  }
}

/** `suspended=true, role=reader`: a state in a sentence. */
export function describeState(s: ActionState): string {
  const parts = Object.entries(s).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : 'no state';
}

/** Whether an action record has ended (not queued, not sent-and-unverified). */
export const isFinished = (rec: Pick<ActionRecord, 'status'>): boolean => FINISHED.has(rec.status);
