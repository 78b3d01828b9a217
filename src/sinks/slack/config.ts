/** Config schema of the Slack sink: the bot token, the channel, the API root, charts and the dashboard link. */
import { z } from 'zod';
import { zHttpUrl, zSecret } from '../../core/index.js';
import { sinkHttpShape } from '../http-config.js';
import { ALLOW_FIELD, NetGuard } from '../ssrf.js';

export const SLACK_API_URL = 'https://slack.com/api/';

/** A channel id (C…, G… for old private channels) or `#name` as Slack allows it (lower case, digits, `-`, `_`, `.`). */
const CHANNEL = /^(?:[CG][A-Z0-9]{6,}|#[a-z0-9][a-z0-9._-]{0,79})$/;

export const slackConfigSchema = z
  .strictObject({
    token: zSecret.describe('Bot token (`xoxb-…`) of the Slack app. Scopes: chat:write, files:write (charts), channels:history/groups:history (the duplicate check), channels:read/groups:read (a `#name` channel).'),
    channel: z
      .string()
      .regex(CHANNEL, 'expected a channel id such as C0123456789, or #name (lower case, as Slack shows it)')
      .describe('Channel id (`C0123456789`), or `#name`, resolved once through conversations.list. The bot must be a member.'),
    base_url: zHttpUrl(SLACK_API_URL).default(SLACK_API_URL).describe("The Web API root (the SDK's slackApiUrl); change it only for a proxy or a local fake."),
    charts: z.boolean().default(true).describe('Attach a chart image (activity against baseline, failures over time, or where logins came from) in the message thread.'),
    dashboard_url: zHttpUrl('https://saaswatch.example.com').optional().describe('Base URL of the saaswatch dashboard; each message links to `<dashboard_url>/alerts/<id>`.'),
    ...sinkHttpShape,
  })
  .superRefine((c, ctx) => {
    // An IP literal or a metadata name is refused here, at config check; names are checked after DNS, at each connect.
    let host: string;
    try {
      host = new URL(c.base_url).hostname;
    } catch {
      return;
    }
    const refused = new NetGuard(c.allow_networks, 'sink', { allowPrivate: c.allow_private_networks }).checkHost(host);
    if (refused) ctx.addIssue({ code: 'custom', path: ['base_url'], message: refused.message.replace(/^sink\.url: /, '').replace(/sink\.allow_networks/, ALLOW_FIELD) });
  });

export type SlackConfig = z.output<typeof slackConfigSchema>;
