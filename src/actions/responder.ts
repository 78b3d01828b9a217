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
import { anyMatch, routeTakes } from '../pipeline/routing.js';
import { LOCAL_ACTIONS, type ResponseConfig, type ResponsePolicy } from './config.js';
import { alertFiles, alertUsers, canonicalUser, parseTarget, serviceUser, type IdentityRules } from './targets.js';

/** The policy name under which a detector's own proposals (baseline.auto_block) run: `detector:<rule>`. */
export const DETECTOR_POLICY = 'detector:';

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
  /** The alert it answers (an analyst acting from the alert's page): listed with the alert's responses. */
  alertId?: string;
  /**
   * Honour response.protected as automatic actions do (a disruptive action on a protected account is
   * refused): for requests from another system, such as the CTIM relay, rather than a person at saaswatch.
   */
  protect?: boolean;
}

interface Resolved {
  source: string;
  service: string;
  action: ConnectorAction;
  target: ActionTarget;
}

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

  /** The name by which `user` matches response.protected, or undefined when it does not. */
  protectedName(user: string): string | undefined {
    const names = [user.trim().toLowerCase(), canonicalUser(user, this.#rules)];
    return names.find((n) => anyMatch(this.#o.config.protected, [n], 'i'));
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
      // The same action sent earlier and never recorded (a crash) is verified and recorded first, so
      // this request then finds the service as it is. Never on a dry run: that changes nothing.
      if (r.execute) await this.#resumeStale({ source: f.source, action: f.action.name, targetId: f.target.id });
      const rec = (
          await this.#o.store.queueActions([
            {
              key: `manual:${randomUUID()}`,
              ...(r.alertId === undefined ? {} : { alertId: r.alertId }),
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
      out.push(await this.#run(rec, f.action, { scope: r.scope, forMs: r.forMs, protect: r.protect }));
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
        (err: unknown) => {
          this.#catchUpDue = true;
          this.#log.error({ err }, 'Response policies could not be queued for new alerts; the next pass catches up.');
        },
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
          key: `policy:${DETECTOR_POLICY}${alert.rule}:${alert.id}:block-user:${LOCAL_SOURCE}:${user}`,
          alertId: alert.id,
          policy: `${DETECTOR_POLICY}${alert.rule}`,
          source: LOCAL_SOURCE,
          service: LOCAL_SOURCE,
          action: 'block-user',
          target: { kind: 'user', id: user },
          actor: `rule:${alert.rule}`,
          reason: a.reason,
          mode: 'execute',
          automatic: true,
          disruptive: true,
          dueAt: Number.isFinite(raised) ? raised : this.#now(),
        });
      }
    }
    return rows.length ? this.#o.store.queueActions(rows) : [];
  }

  #policyRows(p: ResponsePolicy, name: string, alert: Alert, evidence: Parameters<typeof alertFiles>[0], dueAt: number): ActionInput[] {
    const base = { alertId: alert.id, policy: p.name, actor: `rule:${alert.rule}`, reason: `policy ${p.name}: ${alert.title}`, automatic: true, dueAt };
    const rows: ActionInput[] = [];
    const users = alertUsers(alert).map((u) => canonicalUser(u, this.#rules));
    if ((LOCAL_ACTIONS as readonly string[]).includes(name)) {
      for (const u of users) {
        rows.push({ ...base, key: `policy:${p.name}:${alert.id}:${name}:${LOCAL_SOURCE}:${u}`, source: LOCAL_SOURCE, service: LOCAL_SOURCE, action: name, target: { kind: 'user', id: u }, mode: 'execute', disruptive: name === 'block-user' });
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
    this.#catchUpDue = false;
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
    if (this.#catchUpDue) await this.catchUp();
    for (const b of await this.#o.store.expireBlocks(now)) this.#log.info({ user: b.user }, 'Block expired; user unblocked.');
    let finished = await this.#resumeStale({});
    this.#people = undefined;
    const due = await this.#o.store.listActions({ status: ['pending'], dueBy: now, limit: 200 });
    for (const rec of due) {
      const outcome = await this.#automatic(rec);
      if (outcome) finished++;
    }
    return finished;
  }

  /**
   * Verifies and records actions sent and never recorded: every one on this process's first pass
   * (a crash or kill left them), later only those started more than twice response.timeout ago
   * (another process that died meanwhile). Never one this process is running.
   */
  async #resumeStale(q: { source?: string; action?: string; targetId?: string }): Promise<number> {
    const now = this.#now();
    const first = !this.#resumed;
    this.#resumed = true;
    const stale = (await this.#o.store.listActions({ status: ['started'], ...q })).filter(
      (r) => !this.#inFlight.has(r.id) && (first || Date.parse(r.updatedAt) <= now - 2 * this.#o.config.timeout),
    );
    let n = 0;
    for (const rec of stale) {
      const action = this.#actionOf(rec);
      if (!action) continue;
      await this.#run(rec, action);
      n++;
    }
    return n;
  }

  /** Actions this process is running now: never resumed as if a crash had left them. */
  readonly #inFlight = new Set<string>();
  #resumed = false;
  /** Queueing new alerts' policies failed: the next pass catches up on recent alerts. */
  #catchUpDue = false;
  /** People disruptive automatic actions were sent for in the last hour, loaded once per pass and kept up to date in it. */
  #people: Set<string> | undefined;

  /**
   * A queued automatic action, judged by the config as it is now (it may have changed since the
   * alert): cancelled when its policy is gone or its alert was handled, refused for a protected
   * account or past the rate limit, dry-run unless response.execute enables it, else run.
   */
  async #automatic(rec: ActionRecord): Promise<ActionRecord | undefined> {
    const action = this.#actionOf(rec);
    if (!action) {
      return this.#finish(rec, 'failed', { error: `no configured source ${rec.source} offers ${rec.action} any more` }, 'pending');
    }
    if (rec.policy && !rec.policy.startsWith(DETECTOR_POLICY) && !this.#policyOf(rec)?.actions.includes(rec.action)) {
      return this.#finish(rec, 'cancelled', { error: `policy ${rec.policy} no longer asks for ${rec.action} (response.policies changed)` }, 'pending');
    }
    if (rec.alertId) {
      const alert = await this.#o.store.getAlert(rec.alertId);
      if (alert && alert.status !== 'open') {
        return this.#finish(rec, 'cancelled', { error: `alert ${alert.id} was ${alert.status} before the action was due` }, 'pending');
      }
    }
    const refusal = this.#protection(rec);
    if (refusal) return this.#finish(rec, 'refused', { error: refusal }, 'pending');
    const mode = this.executes(rec.source, rec.action) ? 'execute' : 'dry-run';
    const now = { ...rec, mode } as ActionRecord;
    const person = canonicalUser(rec.target.id, this.#rules);
    if (rec.disruptive && mode === 'execute') {
      // People, not records: suspend and sign-out of one person on three services are one containment.
      const people = (this.#people ??= new Set(
        (await this.#o.store.listActions({ automatic: true, disruptive: true, sent: true, updatedSince: this.#now() - 3_600_000 })).map((r) => canonicalUser(r.target.id, this.#rules)),
      ));
      const max = this.#o.config.max_automatic_per_hour;
      if (!people.has(person) && people.size >= max) {
        const refused = await this.#finish(
          now,
          'refused',
          { error: `rate limit: disruptive automatic actions reached ${people.size} people in the last hour (response.max_automatic_per_hour: ${max}); alerting instead of acting` },
          'pending',
        );
        if (refused) await this.#raiseRateLimit(rec, people.size, max);
        return refused;
      }
    }
    const result = await this.#run(now, action);
    if (rec.disruptive && result.attempts > rec.attempts) this.#people?.add(person);
    return result;
  }

  /** Why a disruptive automatic action may not touch this account (response.protected), by any name it goes by; undefined when it may. */
  #protection(rec: ActionRecord, state?: ActionState, protect = false): string | undefined {
    if (!(rec.automatic || protect) || !rec.disruptive || rec.target.kind !== 'user') return undefined;
    const names = new Set([rec.target.id.toLowerCase(), canonicalUser(rec.target.id, this.#rules)]);
    // The service's own names for the account (a UPN, a primary email) as the read found them.
    for (const v of Object.values(state ?? {})) if (typeof v === 'string' && v.includes('@')) names.add(canonicalUser(v, this.#rules)).add(v.toLowerCase());
    const hit = [...names].find((n) => anyMatch(this.#o.config.protected, [n], 'i'));
    if (hit === undefined) return undefined;
    return `${hit} is a protected account (response.protected): never ${rec.action} ${rec.automatic ? 'automatically' : 'at another system\'s request'}; act by hand if you must`;
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
      description: `Policy ${rec.policy ?? ''} asked for ${rec.action} on ${rec.target.id}, but disruptive automatic actions already reached ${recent} people in the last hour (response.max_automatic_per_hour: ${max}). Nothing was done: check the alert${rec.alertId ? ` ${rec.alertId}` : ''} and act by hand with \`saaswatch act ${rec.action} ${rec.target.id} --execute --reason ...\` if it is real.`,
      observed: { people_acted_on_last_hour: recent },
      expected: { people_acted_on_last_hour: max },
      tags: ['response'],
      details: { ...(rec.target.kind === 'user' ? { 'user.email': rec.target.id } : {}), 'response.action': rec.action, ...(rec.alertId ? { 'response.alert': rec.alertId } : {}) },
    };
    const alert = findingToAlert(finding, new Date(now));
    await this.#o.store.saveAlerts([alert], this.#o.route ?? [], this.#o.saveOptions);
    this.#log.warn({ action: rec.action, target: rec.target.id, policy: rec.policy, recent, max }, 'Automatic action held back by the rate limit; alert raised.');
  }

  // ---------------------------------------------------------------- one action

  /**
   * Reads, plans, and (in execute mode) marks started, applies with the shared retry policy, reads
   * again and records. A started record (sent before a crash) is verified first: done is recorded
   * once; not done is sent again, unless the config no longer enables it.
   */
  async #run(rec: ActionRecord, action: ConnectorAction, extra: { scope?: BlockScope | undefined; forMs?: number | undefined; protect?: boolean | undefined } = {}): Promise<ActionRecord> {
    // One deadline for the whole action, every call and retry included.
    const signal = AbortSignal.timeout(this.#o.config.timeout);
    const t = rec.target;
    const local = rec.source === LOCAL_SOURCE ? { rec, ...extra } : undefined;
    const read = () => this.#call(rec, 'read', () => (local ? this.#localRead(t, local) : action.read(t, signal)), signal);
    const done = (s: ActionState) => (local ? s.covered === true : action.done?.(s) === true);
    const from = rec.status;
    this.#inFlight.add(rec.id);
    try {
      let before: ActionState;
      try {
        before = await read();
      } catch (err) {
        // A policy acts on every service that can: one that does not know the person has nothing to do.
        if (rec.automatic && from === 'pending' && err instanceof SaaswatchError && err.details?.notFound === true) {
          return (await this.#finish(rec, 'skipped', { error: errorMessage(err) }, from)) ?? rec;
        }
        // A started one stays started: it may have landed, and the next pass verifies it again.
        return from === 'started' ? this.#unverified(rec, err) : this.#failed(rec, err, from);
      }
      const recovering = from === 'started';
      if ((local || action.done) && done(before)) {
        if (recovering) {
          // Sent before a crash, and the service shows it done: recorded now, once.
          return (await this.#finish(rec, 'done', { after: before, plan: rec.plan ?? action.plan(t, rec.before ?? before), recovered: true }, from)) ?? rec;
        }
        return (await this.#finish(rec, 'already', { before, after: before, plan: `nothing to do: ${describeState(before)}` }, from)) ?? rec;
      }
      const protectedBy = this.#protection(rec, before, extra.protect === true);
      if (protectedBy) return (await this.#finish(rec, 'refused', { before, error: protectedBy }, from)) ?? rec;
      const plan = local ? this.#localPlan(rec, before) : action.plan(t, recovering ? (rec.before ?? before) : before);
      if (rec.mode === 'dry-run') return (await this.#finish(rec, 'dry-run', { before, plan }, from)) ?? rec;
      if (recovering && !this.executes(rec.source, rec.action)) {
        return (await this.#finish(rec, 'refused', { after: before, error: `sent before a stop, not done, and ${rec.action} is no longer in response.execute: not sent again` }, from)) ?? rec;
      }
      if (!recovering) {
        // Recorded before anything is sent: a crash from here on leaves a started record the next pass verifies.
        const took = await this.#o.store.updateAction(rec.id, { status: 'started', mode: rec.mode, before, plan, attempts: rec.attempts + 1 }, { from });
        if (!took) return rec;
        rec = { ...rec, status: 'started', before, plan, attempts: rec.attempts + 1 };
      }
      let answer: ActionState | void;
      try {
        answer = await this.#call(rec, 'apply', () => (local ? this.#localApply(t, local) : action.apply(t, before, signal)), signal);
      } catch (err) {
        // The request may have landed before the error (a timeout, a lost answer): look before saying failed.
        if (local || !action.done) return this.#failed(rec, err, 'started');
        try {
          const now = await read();
          if (done(now)) return (await this.#finish(rec, 'done', { after: now, error: `answered with an error, but the change landed: ${errorMessage(err)}` }, 'started')) ?? rec;
        } catch (readErr) {
          return this.#unverified(rec, readErr);
        }
        return this.#failed(rec, err, 'started');
      }
      let after: ActionState = answer ?? {};
      if (local || action.done) {
        try {
          after = await read();
        } catch (err) {
          return this.#unverified(rec, err);
        }
        if (!done(after)) {
          return (await this.#finish(rec, 'failed', { after, error: `${rec.service} accepted ${rec.action} but still shows ${describeState(after)}: not done` }, 'started')) ?? rec;
        }
      }
      const finished = await this.#finish(rec, 'done', { after }, 'started');
      this.#log.warn({ action: rec.action, source: rec.source, target: t.id, alert: rec.alertId, policy: rec.policy }, 'Response action done.');
      return finished ?? rec;
    } finally {
      this.#inFlight.delete(rec.id);
    }
  }

  /** Sent, and its result cannot be read now: left started, for the next pass to verify (never reported done). */
  #unverified(rec: ActionRecord, err: unknown): ActionRecord {
    this.#log.error({ err, action: rec.action, source: rec.source, target: rec.target.id, alert: rec.alertId }, 'Response action sent but not verified; the next pass reads it again.');
    return { ...rec, status: 'started', error: `sent, not yet verified: ${errorMessage(err)}` };
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

  async #failed(rec: ActionRecord, err: unknown, from: ActionRecord['status']): Promise<ActionRecord> {
    this.#log.error({ err, action: rec.action, source: rec.source, target: rec.target.id, alert: rec.alertId }, 'Response action failed.');
    const text = errorMessage(err);
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
      mode: rec.mode,
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

  /**
   * saaswatch's own actions, in the connector shape so `actions` lists them and policies name them.
   * Their read and apply need the record (scope, expiry, who, why): #run calls #localRead and
   * #localApply instead of these.
   */
  #local(name: string): ConnectorAction | undefined {
    const unused = () => Promise.reject(errors.internal({ problem: 'a saaswatch action was called without its record' }));
    this.#localActions ??= new Map<string, ConnectorAction>([
      ['block-user', { name: 'block-user', target: 'user', summary: 'Block the user in saaswatch across services (enforced by the proxy)', disruptive: true, undo: 'unblock-user', read: unused, plan: () => '', apply: unused }],
      ['unblock-user', { name: 'unblock-user', target: 'user', summary: 'Lift the block', disruptive: false, undo: 'block-user', read: unused, plan: () => '', apply: unused }],
    ]);
    return this.#localActions.get(name);
  }

  /** The configured policy that queued this record, if one did (and is still configured). */
  #policyOf(rec: ActionRecord): ResponsePolicy | undefined {
    return rec.policy ? this.#o.config.policies.find((p) => p.name === rec.policy) : undefined;
  }

  /** The scope a block-user of this record asks for: the command's, else its policy's, else all. */
  #wantedScope(x: { rec: ActionRecord; scope?: BlockScope | undefined }): BlockScope {
    return x.scope ?? this.#policyOf(x.rec)?.block_scope ?? 'all';
  }

  /** The block as it stands, and whether it already covers what this record asks (`covered`: done). */
  async #localRead(t: ActionTarget, x: { rec: ActionRecord; scope?: BlockScope | undefined }): Promise<ActionState> {
    const [b] = await this.#o.store.listBlockedUsers({ user: t.id, activeAt: this.#now() });
    if (x.rec.action === 'unblock-user') return { blocked: b !== undefined, covered: b === undefined };
    if (!b) return { blocked: false, covered: false };
    const wanted = this.#wantedScope(x);
    return { blocked: true, scope: b.scope, ...(b.expiresAt ? { expires_at: b.expiresAt } : {}), covered: b.scope === 'all' || b.scope === wanted };
  }

  #localPlan(rec: ActionRecord, before: ActionState): string {
    if (rec.action === 'unblock-user') return `would lift the block on ${rec.target.id}`;
    return `would block ${rec.target.id} in saaswatch (${before.blocked ? `blocked now for ${String(before.scope)} only` : 'not blocked now'})`;
  }

  async #localApply(t: ActionTarget, x: { rec: ActionRecord; scope?: BlockScope | undefined; forMs?: number | undefined }): Promise<ActionState> {
    if (x.rec.action === 'unblock-user') {
      await this.#o.store.unblockUser(t.id, { actor: x.rec.actor, reason: x.rec.reason });
      return { blocked: false };
    }
    const forMs = x.forMs ?? this.#policyOf(x.rec)?.block_for;
    const b = await this.#o.store.blockUser({
      user: t.id,
      reason: x.rec.reason,
      blockedBy: x.rec.actor,
      scope: this.#wantedScope(x),
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
        for (const name of LOCAL_ACTIONS) {
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
  const offered = new Map<string, ConnectorAction[]>();
  for (const c of connectors.values()) for (const a of c.actions) offered.set(a.name, [...(offered.get(a.name) ?? []), a]);
  const names = new Set<string>([...LOCAL_ACTIONS, ...offered.keys()]);
  const known = [...names].sort().join(', ');
  config.execute.forEach((entry, i) => {
    const [source, action] = entry.includes('/') ? (entry.split('/') as [string, string]) : [undefined, entry];
    const path = `response.execute[${i}]`;
    if (source === LOCAL_SOURCE) {
      if (!(LOCAL_ACTIONS as readonly string[]).includes(action)) throw errors.configInvalid({ path, problem: `saaswatch offers no action ${action}`, fix: `saaswatch's own: ${LOCAL_ACTIONS.join(', ')} (always enabled)` });
      return;
    }
    if (source !== undefined && !connectors.has(source)) {
      throw errors.configInvalid({ path, problem: `no configured source named ${source} offers actions`, fix: `sources with actions: ${[...connectors.keys()].join(', ') || 'none'}` });
    }
    const by = source !== undefined ? connectors.get(source)!.actions.map((a) => a.name) : [...names];
    if (!by.includes(action)) throw errors.configInvalid({ path, problem: source ? `source ${source} offers no action ${action}` : `no configured service offers ${action}`, fix: `known: ${source ? by.join(', ') : known}` });
  });
  config.policies.forEach((p, i) => {
    p.actions.forEach((a, j) => {
      const path = `response.policies[${i}].actions[${j}]`;
      if (!names.has(a)) throw errors.configInvalid({ path, problem: `no configured service offers ${a}`, fix: `known: ${known}` });
      // An alert names files, never the member to take off one: such an action is for an analyst.
      if (offered.get(a)?.every((x) => x.needsMember)) throw errors.configInvalid({ path, problem: `${a} needs a member to act on, which an alert does not name`, fix: 'run it by hand: saaswatch act ' + a + ' FILE --member EMAIL' });
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
