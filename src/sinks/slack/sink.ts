/**
 * Slack sink: one Block Kit message per alert or alert group, its chart in the message's thread,
 * later alerts of the group and updated counts as thread replies. Idempotent per delivery id: the
 * delivery id travels in the message metadata, and the channel is asked before posting, so a crash
 * between the post and the outbox's commit never makes a second message (also in a new process).
 */
import type { Logger } from 'pino';
import type { Alert, DeliveryContext, PluginDeps, RetryPolicy, Sink, SinkNeeds, SinkPlugin } from '../../core/index.js';
import { errors, Redactor, SaaswatchError } from '../../core/index.js';
import { classifyRequestError } from '../../pipeline/retry.js';
import { retryPolicyOf, sinkFetch } from '../http-config.js';
import type { SlackClient } from './client.js';
import { slackConfigSchema, type SlackConfig } from './config.js';
import { formatGroupRoot, formatReply, formatRoot, METADATA_EVENT_TYPE, metadataOf, type AlertMetadata } from './format.js';

export { slackConfigSchema, type SlackConfig } from './config.js';
export { escapeMrkdwn, formatReply, formatRoot, METADATA_EVENT_TYPE } from './format.js';

/** How far before the alert's creation the duplicate check looks: a post comes after the alert, a delayed retry within days. */
const LOOKBACK_MARGIN_MS = 3_600_000;
const HISTORY_PAGE = 200;
/** Pages of history (or of a thread) read at most per check: bounded, even in a busy channel. */
const MAX_PAGES = 5;
const LIST_PAGES = 50;

export interface SlackSinkOptions {
  logger?: Logger | undefined;
  /** Replaces the guarded fetch (tests that route elsewhere); the SSRF guard is then the caller's. */
  fetch?: typeof fetch;
}

interface Seen {
  /** The message that already carries this delivery id. */
  delivered?: { ts: string; role: string };
  /** The group's root message, found by its metadata when refs had lost it. */
  root?: string;
  /** Whether the alert's chart is already in the thread. */
  chart?: boolean;
}

type Msg = { ts?: string; thread_ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> }; files?: Array<{ name?: string; title?: string }> };

export class SlackSink implements Sink {
  readonly type = 'slack';
  readonly retryPolicy: RetryPolicy;
  readonly needs: SinkNeeds = { evidence: 5, activity: true, updates: true };
  readonly target: string;
  readonly #config: SlackConfig;
  /** Loaded on the first delivery: the SDK and the chart renderer take a second or more to import, which no other command should pay. */
  #client!: SlackClient;
  #loading: Promise<SlackClient> | undefined;
  readonly #fetch: typeof fetch;
  readonly #redactor: Redactor;
  readonly #logger: Logger | undefined;
  #channel: Promise<string> | undefined;

  constructor(
    readonly name: string,
    config: SlackConfig,
    opts: SlackSinkOptions = {},
  ) {
    this.#config = config;
    this.#logger = opts.logger;
    this.#redactor = new Redactor([config.token]);
    this.#fetch = opts.fetch ?? sinkFetch(name, config, `slack ${new URL(config.base_url).host}`);
    this.target = `${new URL(config.base_url).host} ${config.channel}`;
    this.retryPolicy = retryPolicyOf(config);
  }

  async deliver(alert: Alert, ctx: DeliveryContext): Promise<void> {
    try {
      this.#client = await this.#load();
      await this.#deliver(alert, ctx);
    } catch (err) {
      const e = err instanceof SaaswatchError ? err : this.#client ? this.#client.classify('deliver', err) : classifyRequestError(err, { timedOut: false, target: this.target });
      throw this.#redactor.error(e);
    }
  }

  #load(): Promise<SlackClient> {
    this.#loading ??= import('./client.js').then(
      ({ SlackClient }) => new SlackClient({ name: this.name, config: this.#config, fetch: this.#fetch, redactor: this.#redactor, logger: this.#logger }),
      (err: unknown) => {
        this.#loading = undefined;
        throw errors.internal({ problem: 'the Slack client could not be loaded', cause: err });
      },
    );
    return this.#loading;
  }

  async #deliver(alert: Alert, ctx: DeliveryContext): Promise<void> {
    const { signal } = ctx;
    const channel = await this.#channelId(signal);
    const kind = ctx.kind ?? 'alert';
    const groupId = ctx.group?.id ?? alert.groupId ?? alert.id;
    const refKey = `group:${groupId}`;
    let root = await ctx.refs?.get(refKey);
    // Refs are a hint, not proof: a crash can fall between the post and the put, so the channel is
    // asked whenever this delivery may have been tried before (the outbox counts an attempt when it
    // claims one, so a send cut off by a crash comes back as attempt 2), and whenever the refs know
    // nothing of a group that has earlier alerts (their post may have lost its put). A first try of
    // a group's first alert cannot be in the channel yet, and reading the history for it would cost
    // every new alert pages of it.
    const opensGroup = (ctx.group?.alerts[0]?.id ?? alert.id) === alert.id;
    const mustCheck = ctx.attempt > 1 || !ctx.refs || (root === undefined && !opensGroup);
    const seen: Seen = mustCheck ? await this.#seen(channel, alert, ctx.deliveryId, groupId, root, ctx.group?.alerts ?? [alert], signal) : {};
    root ??= seen.root;
    if (seen.delivered) this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId, alertId: alert.id, ts: seen.delivered.ts }, 'slack already holds this delivery; not posting it again');
    const input = { alert, evidence: ctx.evidence, dashboardUrl: this.#config.dashboard_url };

    if (root === undefined) {
      let ts = seen.delivered?.ts;
      if (ts === undefined) {
        const msg = formatRoot({ ...input, group: ctx.group });
        const res = await this.#client.call('chat.postMessage', signal, (web) =>
          web.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks as never, metadata: metadataOf(alert, ctx.deliveryId, groupId, kind, 'root') as never, unfurl_links: false, unfurl_media: false }),
        );
        ts = String(res.ts);
        this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId, alertId: alert.id, ts }, 'slack message posted');
      }
      await ctx.refs?.put(refKey, ts);
      if (!seen.chart) await this.#chart(alert, ctx, channel, ts);
      return;
    }

    if (!seen.delivered) {
      const msg = formatReply({ ...input, kind });
      await this.#client.call('chat.postMessage', signal, (web) =>
        web.chat.postMessage({ channel, thread_ts: root, text: msg.text, blocks: msg.blocks as never, metadata: metadataOf(alert, ctx.deliveryId, groupId, kind, 'reply') as never, unfurl_links: false, unfurl_media: false }),
      );
      this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId, alertId: alert.id, thread: root }, 'slack thread reply posted');
    }
    await ctx.refs?.put(refKey, root);
    // A new alert of the group gets its own chart; updated counts of one already told do not.
    if (kind === 'alert' && !seen.chart) await this.#chart(alert, ctx, channel, root);
    if (ctx.group && ctx.group.alerts.length > 1) {
      // Setting the root to the group's current list is idempotent: repeating it after a crash changes nothing.
      const first = ctx.group.alerts[0]!;
      const msg = formatGroupRoot(ctx.group, { alert: first, dashboardUrl: this.#config.dashboard_url });
      await this.#client.call('chat.update', signal, (web) => web.chat.update({ channel, ts: root, text: msg.text, blocks: msg.blocks as never }));
    }
  }

  /**
   * Uploads the alert's chart into the thread. A permanent refusal (no files:write), or a renderer
   * that cannot load on this platform, is logged, not a failed delivery: the message is there.
   */
  async #chart(alert: Alert, ctx: DeliveryContext, channel: string, threadTs: string): Promise<void> {
    if (!this.#config.charts) return;
    try {
      const { renderAlertChart } = await import('../../charts/alert-chart.js');
      const chart = renderAlertChart(alert, { activity: ctx.activity, evidence: ctx.evidence });
      if (!chart) return;
      await this.#client.call('files.uploadV2', ctx.signal, (web) =>
        web.filesUploadV2({ channel_id: channel, thread_ts: threadTs, file: chart.png, filename: chartFilename(alert), title: `Chart: ${alert.title}`.slice(0, 250), alt_text: chart.altText }),
      );
      this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId, alertId: alert.id, chart: chart.kind }, 'slack chart uploaded');
    } catch (err) {
      if (err instanceof SaaswatchError && err.retryable) throw err;
      this.#logger?.warn({ sink: this.name, alertId: alert.id, err: err instanceof SaaswatchError ? err : this.#redactor.error(errors.internal({ problem: 'the chart could not be drawn', cause: err })) }, 'slack chart not sent; the message went without it');
    }
  }

  /** What the channel already holds of this delivery: its message, the group's root, the alert's chart. */
  async #seen(channel: string, alert: Alert, deliveryId: string, groupId: string, root: string | undefined, group: Alert[], signal: AbortSignal): Promise<Seen> {
    const seen: Seen = {};
    const payload = (m: Msg) => (m.metadata?.event_type === METADATA_EVENT_TYPE ? (m.metadata.event_payload as Partial<AlertMetadata['event_payload']> | undefined) : undefined);
    if (root === undefined) {
      // From before the group's first alert: its root was posted then, this delivery later.
      const since = Math.min(...[alert, ...group].flatMap((a) => [Date.parse(a.createdAt), a.windowEnd]).filter(Number.isFinite));
      const oldest = Number.isFinite(since) ? String(Math.max(0, (since - LOOKBACK_MARGIN_MS) / 1000)) : undefined;
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await this.#client.call('conversations.history', signal, (web) =>
          web.conversations.history({ channel, include_all_metadata: true, limit: HISTORY_PAGE, ...(oldest ? { oldest } : {}), ...(cursor ? { cursor } : {}) }),
        );
        // Newest first: the last root of the group seen is its oldest, the one its thread hangs from.
        for (const m of (res.messages ?? []) as Msg[]) {
          const p = payload(m);
          if (!p || !m.ts) continue;
          if (p.delivery_id === deliveryId) seen.delivered = { ts: m.ts, role: 'root' };
          if (p.group_id === groupId && p.role !== 'reply') seen.root = m.ts;
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      if (seen.delivered) seen.root = seen.delivered.ts;
    }
    const thread = root ?? seen.root;
    if (thread === undefined) return seen;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.#client.call('conversations.replies', signal, (web) =>
        web.conversations.replies({ channel, ts: thread, include_all_metadata: true, limit: HISTORY_PAGE, ...(cursor ? { cursor } : {}) }),
      );
      for (const m of (res.messages ?? []) as Msg[]) {
        const p = payload(m);
        if (p?.delivery_id === deliveryId && m.ts) seen.delivered = { ts: m.ts, role: m.ts === thread ? 'root' : 'reply' };
        if (m.files?.some((f) => f.name === chartFilename(alert))) seen.chart = true;
      }
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    // A root posted for another alert of the group is not this delivery's: a reply is still owed.
    return seen;
  }

  /** The channel id: as configured, or `#name` looked up once (a failed lookup is tried again next time). */
  #channelId(signal: AbortSignal): Promise<string> {
    const c = this.#config.channel;
    if (!c.startsWith('#')) return Promise.resolve(c);
    this.#channel ??= this.#resolve(c.slice(1), signal).catch((err: unknown) => {
      this.#channel = undefined;
      throw err;
    });
    return this.#channel;
  }

  async #resolve(name: string, signal: AbortSignal): Promise<string> {
    let cursor: string | undefined;
    for (let page = 0; page < LIST_PAGES; page++) {
      const res = await this.#client.call('conversations.list', signal, (web) =>
        web.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 200, ...(cursor ? { cursor } : {}) }),
      );
      const found = res.channels?.find((ch) => ch.name === name);
      if (found?.id) return found.id;
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    throw errors.configInvalid({
      path: `sinks.${this.name}.channel`,
      problem: `no channel #${name} among those the bot can see`,
      fix: 'check the name, invite the bot to the channel (private channels need groups:read), or give the channel id (C…)',
    });
  }
}

/** The chart's file name: the alert's id in it is how a retry finds a chart it uploaded before a crash. */
export function chartFilename(alert: Alert): string {
  return `saaswatch-${alert.id.replace(/[^\w.-]/g, '_')}.png`;
}

export const slackSinkPlugin = {
  type: 'slack',
  description: 'Posts each alert (or alert group) to a Slack channel as a Block Kit message with a chart; follow-ups go in its thread',
  configSchema: slackConfigSchema,
  create(name: string, config: SlackConfig, deps: PluginDeps): SlackSink {
    return new SlackSink(name, config, { logger: deps.logger });
  },
} satisfies SinkPlugin<SlackConfig>;
