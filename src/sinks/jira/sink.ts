/**
 * Jira sink: one issue per alert (or alert group), found again by its `saaswatch-<hash>` label with
 * JQL before anything is created, so neither a lost database nor a crash between create and commit
 * makes a second ticket; repeats and updates become comments, each delivery at most once.
 */
import type { Logger } from 'pino';
import type { Alert, DeliveryContext, PluginDeps, RetryPolicy, Sink, SinkNeeds, SinkPlugin } from '../../core/index.js';
import { errors, Redactor, SaaswatchError } from '../../core/index.js';
import { retryPolicyOf } from '../http-config.js';
import { jiraApi, jiraError, jiraRedactor, jqlString, type IssueBean, type JiraApi } from './client.js';
import { jiraConfigSchema, type JiraConfig } from './config.js';
import { adfText, anchorOf, commentOf, issueFields, markerText, PROPERTY_KEY, type SaaswatchProperty } from './format.js';

export { jiraConfigSchema, type JiraConfig } from './config.js';

/** Issues one label may have collected (a new one each time the last was closed) that a search reads. */
const SEARCH_PAGE = 20;
/**
 * How long after a create Jira's search may still miss the issue. A delivery that finds nothing
 * while an earlier attempt's create is younger than this waits (retryably) instead of creating.
 */
export const SEARCH_SETTLE_MS = 30_000;
/** Comments read back to find this delivery's own: a repeat comes soon after its first attempt. */
const COMMENTS_CHECKED = 20;

interface FoundIssue {
  key: string;
  done: boolean;
  property: Partial<SaaswatchProperty> | undefined;
}

export interface JiraSinkOptions {
  logger?: Logger;
  now?: () => number;
}

export class JiraSink implements Sink {
  readonly type = 'jira';
  readonly retryPolicy: RetryPolicy;
  readonly needs: SinkNeeds = { evidence: 5, updates: true };
  readonly #config: JiraConfig;
  readonly #api: JiraApi;
  readonly #redactor: Redactor;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #host: string;

  constructor(
    readonly name: string,
    config: JiraConfig,
    opts: JiraSinkOptions = {},
  ) {
    this.#config = config;
    this.#api = jiraApi(name, config);
    this.#redactor = jiraRedactor(config);
    this.#logger = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.#host = new URL(config.base_url).host;
    this.retryPolicy = retryPolicyOf(config);
  }

  /** Host only, as in errors. */
  get target(): string {
    return this.#host;
  }

  async close(): Promise<void> {
    this.#api.close();
  }

  /** One jira.js call, its failure translated (and redacted) with what was being done. */
  async #call<T>(what: string, fn: (api: JiraApi) => Promise<T>, signal?: AbortSignal): Promise<T> {
    // jira.js takes no per-request signal: a stopped delivery (lease lost, shutdown) stops between requests.
    if (signal?.aborted) throw errors.network({ target: `jira ${this.#host}`, problem: `delivery stopped before ${what}` });
    try {
      return await fn(this.#api);
    } catch (err) {
      throw jiraError(err, { target: `jira ${this.#host}`, what, redactor: this.#redactor, now: this.#now(), timeoutMs: this.#config.timeout });
    }
  }

  async deliver(alert: Alert, ctx: DeliveryContext): Promise<void> {
    const anchor = anchorOf(alert, ctx);
    const found = await this.#find(anchor.label, await ctx.refs?.get(anchor.refKey), ctx.signal);
    const log = { sink: this.name, deliveryId: ctx.deliveryId, attempt: ctx.attempt, alertId: alert.id };

    const open = found.find((f) => !f.done);
    if (open) {
      if (open.property?.deliveryId !== ctx.deliveryId) await this.#comment(open.key, alert, ctx, false);
      await ctx.refs?.put(anchor.refKey, open.key);
      this.#logger?.debug({ ...log, issue: open.key }, 'jira issue updated');
      return;
    }
    const closed = found[0];
    if (closed && closed.property?.deliveryId === ctx.deliveryId) {
      // This very delivery made it and someone has closed it since: nothing left to tell.
      await ctx.refs?.put(anchor.refKey, closed.key);
      return;
    }
    if (closed && this.#config.on_closed === 'reopen') {
      if (!(await this.#alreadyCommented(closed.key, alert, ctx))) {
        await this.#reopen(closed.key, ctx.signal);
        await this.#comment(closed.key, alert, ctx, true, true);
      }
      await ctx.refs?.put(anchor.refKey, closed.key);
      this.#logger?.debug({ ...log, issue: closed.key }, 'jira issue reopened');
      return;
    }
    await this.#settled(anchor.refKey, ctx);
    const property: SaaswatchProperty = { alertId: alert.id, dedupKey: alert.dedupKey, deliveryId: ctx.deliveryId, ...(anchor.groupId !== undefined ? { groupId: anchor.groupId } : {}) };
    // Noted before the create: if the answer (or this process) is lost, the next attempt knows one may exist that the search cannot see yet.
    await ctx.refs?.put(`creating:${anchor.refKey}`, String(this.#now()));
    const created = await this.#call('create issue', (api) => api.createIssue(issueFields(alert, ctx, this.#config, anchor.label, closed?.key), [{ key: PROPERTY_KEY, value: property }]), ctx.signal);
    // Data Center is not counted on to keep properties sent with the create: set it now. A crash before this costs a comment on the repeat, never a ticket.
    if (this.#api.deployment === 'data-center') await this.#call('set issue property', (api) => api.setProperty(created.key, PROPERTY_KEY, property), ctx.signal);
    await ctx.refs?.put(anchor.refKey, created.key);
    this.#logger?.debug({ ...log, issue: created.key }, 'jira issue created');
  }

  /** Throws (retryably, with the wait) while an earlier attempt's create may still be missing from search. */
  async #settled(refKey: string, ctx: DeliveryContext): Promise<void> {
    const at = Number(await ctx.refs?.get(`creating:${refKey}`));
    if (!Number.isFinite(at)) return;
    const wait = at + SEARCH_SETTLE_MS - this.#now();
    if (wait <= 0) return;
    throw new SaaswatchError('HTTP_RETRYABLE', `jira ${this.#host}: an issue created ${Math.round((SEARCH_SETTLE_MS - wait) / 1000)}s ago for this alert may not be searchable yet; trying again once Jira's search has caught up`, {
      retryable: true,
      retryAfterMs: wait,
    });
  }

  /**
   * The anchor's issues, open ones first. The saved key is read directly (the search index can lag
   * a fresh create by seconds) but only trusted while open: a newer issue may exist for a closed one,
   * and then only the search knows it.
   */
  async #find(label: string, savedKey: string | undefined, signal: AbortSignal): Promise<FoundIssue[]> {
    if (savedKey !== undefined) {
      const saved = await this.#getIssue(savedKey, signal);
      if (saved && saved.fields?.labels?.includes(label) && !isDone(saved)) return [await this.#withProperty(toFound(saved), saved, signal)];
    }
    const jql = `project = ${jqlString(this.#config.project)} AND labels = ${jqlString(label)} ORDER BY created DESC`;
    const res = await this.#call('search issues', (api) => api.search(jql, { fields: ['status', 'labels', 'created'], properties: [PROPERTY_KEY], maxResults: SEARCH_PAGE }), signal);
    const beans = res.issues.filter((i) => typeof i.key === 'string');
    const issues = beans.map(toFound);
    const ordered = [...issues.filter((i) => !i.done), ...issues.filter((i) => i.done)];
    // Only the first is acted on; its property decides whether this delivery made it.
    if (ordered[0]) ordered[0] = await this.#withProperty(ordered[0], beans.find((b) => b.key === ordered[0]!.key)!, signal);
    return ordered;
  }

  /** Data Center answers carry no properties: read the issue's own. */
  async #withProperty(found: FoundIssue, bean: IssueBean, signal: AbortSignal): Promise<FoundIssue> {
    if (bean.properties !== undefined) return found;
    const p = await this.#call('read issue property', (api) => api.getProperty(found.key, PROPERTY_KEY), signal);
    return { ...found, property: p !== null && typeof p === 'object' ? (p as Partial<SaaswatchProperty>) : undefined };
  }

  async #getIssue(key: string, signal: AbortSignal): Promise<IssueBean | undefined> {
    try {
      return await this.#call('read issue', (api) => api.getIssue(key, ['status', 'labels'], [PROPERTY_KEY]), signal);
    } catch (err) {
      // Deleted or moved since: the search decides.
      if (err instanceof SaaswatchError && (err.details as { status?: unknown } | undefined)?.status === 404) return undefined;
      throw err;
    }
  }

  async #alreadyCommented(key: string, alert: Alert, ctx: DeliveryContext): Promise<boolean> {
    const comments = await this.#call('read comments', (api) => api.comments(key, COMMENTS_CHECKED), ctx.signal);
    const marker = markerText(alert, ctx.deliveryId);
    return comments.some((cm) => {
      const props = cm.properties ?? [];
      if (props.some((p) => p.key === PROPERTY_KEY && (p.value as Partial<SaaswatchProperty> | undefined)?.deliveryId === ctx.deliveryId)) return true;
      // Data Center: the marker in the wiki text, its escapes undone.
      const text = typeof cm.body === 'string' ? cm.body.replace(/\\(.)/g, '$1') : adfText(cm.body);
      return text.includes(marker);
    });
  }

  /** A comment for this delivery, unless an earlier attempt of it already wrote one. */
  async #comment(key: string, alert: Alert, ctx: DeliveryContext, reopened: boolean, checked = false): Promise<void> {
    if (!checked && (await this.#alreadyCommented(key, alert, ctx))) return;
    const property: SaaswatchProperty = { alertId: alert.id, dedupKey: alert.dedupKey, deliveryId: ctx.deliveryId };
    await this.#call('add comment', (api) => api.addComment(key, commentOf(alert, ctx, this.#config, reopened), [{ key: PROPERTY_KEY, value: property }]), ctx.signal);
  }

  async #reopen(key: string, signal: AbortSignal): Promise<void> {
    const transitions = await this.#call('read transitions', (api) => api.transitions(key), signal);
    const want = this.#config.reopen_transition.toLowerCase();
    const t = transitions.find((x) => x.name?.toLowerCase() === want);
    if (!t?.id) {
      const names = transitions.map((x) => x.name).filter(Boolean);
      throw errors.configInvalid({
        path: `sinks.${this.name}.reopen_transition`,
        problem: `issue ${key} has no transition named ${JSON.stringify(this.#config.reopen_transition)} (available: ${names.map((n) => JSON.stringify(n)).join(', ') || 'none'})`,
        fix: 'set reopen_transition to one of the available names, or on_closed: new',
      });
    }
    await this.#call('reopen issue', (api) => api.doTransition(key, t.id!), signal);
  }
}

function isDone(i: IssueBean): boolean {
  return i.fields?.status?.statusCategory?.key === 'done';
}

function toFound(i: IssueBean): FoundIssue {
  const p = i.properties?.[PROPERTY_KEY];
  return { key: i.key!, done: isDone(i), property: p !== null && typeof p === 'object' ? (p as Partial<SaaswatchProperty>) : undefined };
}

/** Typed with `satisfies` so create() keeps returning the concrete sink. */
export const jiraSinkPlugin = {
  type: 'jira',
  description: 'Opens a Jira issue per alert or group (found again by label with JQL), comments on repeats and updates',
  configSchema: jiraConfigSchema,
  create(name: string, config: JiraConfig, deps: PluginDeps): JiraSink {
    return new JiraSink(name, config, { logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) });
  },
} satisfies SinkPlugin<JiraConfig>;
