/** Email sink: one deliver() is one message submitted over SMTP; the outbox retries it, and the Message-ID (from the delivery id) lets receivers drop repeats. */
import type { Logger } from 'pino';
import type { Alert, DeliveryContext, PluginDeps, RetryPolicy, Sink, SinkNeeds, SinkPlugin } from '../../core/index.js';
import { errors, readPem, Redactor } from '../../core/index.js';
import { netGuardOf, retryPolicyOf } from '../http-config.js';
import { SmtpClient } from './client.js';
import { emailConfigSchema, type EmailConfig } from './config.js';
import { formatEmail, groupIdOf } from './format.js';

export { emailConfigSchema, type EmailConfig } from './config.js';
export { formatEmail, messageIdOf } from './format.js';

/** Renders the alert's chart as PNG (src/charts/, wired by the app); undefined when the alert has none. */
export type RenderAlertChart = (alert: Alert, ctx: DeliveryContext) => Promise<Buffer | undefined>;

/** The shared chart renderer, loaded on first use: echarts costs every command a second and a half to import. */
const alertChartPng: RenderAlertChart = async (alert, ctx) => {
  const { renderAlertChart } = await import('../../charts/alert-chart.js');
  return renderAlertChart(alert, { activity: ctx.activity, evidence: ctx.evidence })?.png;
};

/** Evidence events loaded for each mail's evidence lines. */
export const EVIDENCE_LINES = 10;

export interface EmailSinkOptions {
  logger?: Logger;
  /** Where a relative `smtp.ca` path is read from (the config file's folder). */
  baseDir?: string;
  renderAlertChart?: RenderAlertChart;
}

/** The refs key under which a group's first Message-ID is kept, for follow-ups to thread under it. */
const threadKey = (groupId: string) => `thread:${groupId}`;

export class EmailSink implements Sink {
  readonly type = 'email';
  readonly retryPolicy: RetryPolicy;
  readonly needs: SinkNeeds;
  readonly target: string;
  readonly #config: EmailConfig;
  readonly #client: SmtpClient;
  readonly #redactor: Redactor;
  readonly #logger: Logger | undefined;
  readonly #renderChart: RenderAlertChart | undefined;

  constructor(
    readonly name: string,
    config: EmailConfig,
    opts: EmailSinkOptions = {},
  ) {
    this.#config = config;
    this.#logger = opts.logger;
    this.#renderChart = opts.renderAlertChart;
    this.retryPolicy = retryPolicyOf(config);
    this.needs = { evidence: EVIDENCE_LINES, updates: true, ...(opts.renderAlertChart ? { activity: true } : {}) };
    this.target = `${config.smtp.host}:${config.smtp.port}`;
    this.#redactor = new Redactor([config.smtp.password]);
    const ca = readPem(config.smtp.ca, `sinks.${name}.smtp.ca`, opts.baseDir);
    this.#client = new SmtpClient(config.smtp, {
      guard: netGuardOf(name, config),
      timeoutMs: config.timeout,
      ...(ca ? { ca } : {}),
      redactor: this.#redactor,
      target: `SMTP ${this.target}`,
      where: `sinks.${name}`,
    });
  }

  async deliver(alert: Alert, ctx: DeliveryContext): Promise<void> {
    const groupId = groupIdOf(alert, ctx);
    // A lost ref only costs the In-Reply-To: every mail of the group still references its anchor.
    const threadRoot = ctx.kind === 'update' || (ctx.group && ctx.group.alerts[0]?.id !== alert.id) ? await ctx.refs?.get(threadKey(groupId)) : undefined;
    const chart = await this.#chart(alert, ctx);
    const content = formatEmail(alert, ctx, {
      subjectPrefix: this.#config.subject_prefix,
      dashboardUrl: this.#config.dashboard_url,
      chart,
      threadRoot,
    });
    const timeoutMs = this.#config.timeout;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const sent = await this.#client.send(
        {
          from: this.#config.from,
          to: this.#config.to,
          ...(this.#config.cc.length ? { cc: this.#config.cc } : {}),
          subject: content.subject,
          text: content.text,
          html: content.html,
          messageId: content.messageId,
          ...(content.inReplyTo ? { inReplyTo: content.inReplyTo } : {}),
          references: content.references,
          headers: content.headers,
          attachments: content.attachments,
        },
        AbortSignal.any([ctx.signal, timeout]),
      );
      if (sent.rejected.length) {
        // The others have it: retrying would mail them twice, so the refusal is told, not retried.
        this.#logger?.warn({ sink: this.name, deliveryId: ctx.deliveryId, rejected: sent.rejected, accepted: sent.accepted.length }, 'the SMTP server refused some recipients; the others were mailed');
      } else {
        this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId, attempt: ctx.attempt, messageId: content.messageId, accepted: sent.accepted.length }, 'email delivered');
      }
    } catch (err) {
      if (timeout.aborted && !ctx.signal.aborted) throw this.#redactor.error(errors.timeout({ target: `SMTP ${this.target}`, afterMs: timeoutMs, cause: err }));
      throw err;
    }
    if ((ctx.kind ?? 'alert') === 'alert' && (!ctx.group || ctx.group.alerts[0]?.id === alert.id)) {
      await ctx.refs?.put(threadKey(groupId), content.messageId);
    }
  }

  /** The chart, or none: a chart that fails to render must not hold the alert back. */
  async #chart(alert: Alert, ctx: DeliveryContext): Promise<Buffer | undefined> {
    if (!this.#renderChart) return undefined;
    try {
      return await this.#renderChart(alert, ctx);
    } catch (err) {
      this.#logger?.warn({ sink: this.name, deliveryId: ctx.deliveryId, err }, 'chart could not be rendered; the mail goes without it');
      return undefined;
    }
  }
}

/** Typed with `satisfies` so create() keeps returning the concrete sink. */
export const emailSinkPlugin = {
  type: 'email',
  description: 'Mails each alert (plain text and HTML, threaded per group) over SMTP with STARTTLS or TLS',
  configSchema: emailConfigSchema,
  create(name: string, config: EmailConfig, deps: PluginDeps & { renderAlertChart?: RenderAlertChart }): EmailSink {
    return new EmailSink(name, config, {
      logger: deps.logger,
      ...(deps.baseDir ? { baseDir: deps.baseDir } : {}),
      ...(deps.renderAlertChart ? { renderAlertChart: deps.renderAlertChart } : config.charts ? { renderAlertChart: alertChartPng } : {}),
    });
  },
} satisfies SinkPlugin<EmailConfig>;
