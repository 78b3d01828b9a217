/** Config schema of the slack source: tokens, which streams to follow (access logs, Enterprise audit logs), the webhook's signing secret, and the shared poller fields. */
import { z } from 'zod';
import { zDuration, zHttpUrl, zSecret, zStrictObject } from '../../core/index.js';
import { pollerFields, zBackfill } from '../../pipeline/polling-config.js';

export const STREAMS = ['access_logs', 'audit_logs'] as const;
export type StreamName = (typeof STREAMS)[number];

export const SLACK_API_URL = 'https://slack.com/api/';
export const SLACK_AUDIT_URL = 'https://api.slack.com';
export const DEFAULT_WEBHOOK_PATH = '/webhooks/slack';

export { backfillFrom, type BackfillStart } from '../../pipeline/polling-config.js';

export const slackConfigSchema = zStrictObject(
  {
    token: zSecret.describe(
      'User token (`xoxp-…`) of a workspace admin or owner with the `admin` scope (team.accessLogs, paid plans) and `users:read` + `users:read.email` (users.info), usually `${SLACK_ADMIN_TOKEN}`.',
    ),
    audit_token: zSecret
      .optional()
      .describe('User token of the Enterprise organization owner with `auditlogs:read`, for audit_logs; default: `token`.'),
    streams: z
      .array(z.enum(STREAMS, { error: `streams must be among ${STREAMS.join(', ')}` }))
      .min(1, 'streams must name at least one of access_logs, audit_logs')
      .transform((xs) => [...new Set(xs)])
      .default(['access_logs'])
      .describe('What to follow: `access_logs` (team.accessLogs, any paid plan) and/or `audit_logs` (the Audit Logs API, Enterprise organizations only).'),
    team_id: z
      .string()
      .regex(/^T[A-Z0-9]{2,}$/, 'team_id must be a workspace id such as T0123ABCD')
      .optional()
      .describe('Workspace whose access logs to read; needed only with an organization-level token.'),
    ...pollerFields({
      backfill: zBackfill('1d'),
      // Slack updates an aggregate's date_last as accesses happen; audit entries show up within minutes.
      settle: '15m',
      // team.accessLogs allows count 1..1000.
      pageSize: { max: 1000, default: 1000 },
      baseUrl: SLACK_API_URL,
      maxAttempts: 6,
    }),
    audit_url: zHttpUrl(SLACK_AUDIT_URL).default(SLACK_AUDIT_URL).describe('Root of the Audit Logs API (`<audit_url>/audit/v1/logs`); change it only for a proxy or a local fake.'),
    audit_page_size: z.number().int().min(1).max(9999).default(1000).describe('Audit entries asked for per page (`limit`, at most 9999).'),
    window: zDuration
      .prefault('1h')
      .refine((ms) => ms >= 1000, { message: 'window must be at least 1s' })
      .describe('Each audit log query covers at most this much time, so a long backfill commits progress as it goes.'),
    user_cache_ttl: zDuration.prefault('1h').describe('How long a users.info answer (email, bot or not) is reused before it is asked again.'),
    user_cache_size: z.number().int().min(1).max(1_000_000).default(10_000).describe('Users kept in that cache; the least recently used go first.'),
    max_tracked_aggregates: z
      .number()
      .int()
      .min(100)
      .max(1_000_000)
      .default(50_000)
      .describe('Access-log aggregates whose last state is kept (in the cursor) to tell an advance from a re-read; those last active longest ago go first.'),
    signing_secret: zSecret
      .optional()
      .describe('Signing secret of the Slack app (Basic Information page): turns on the Events API endpoint, which verifies every request with it.'),
    webhook_path: z
      .string()
      .regex(/^\/[A-Za-z0-9/_-]*$/, 'webhook_path must be a path such as /webhooks/slack')
      .default(DEFAULT_WEBHOOK_PATH)
      .describe('Path of the Events API endpoint on the saaswatch server (the Request URL is `https://<host><webhook_path>`).'),
  },
  'slack source config',
);

export type SlackSourceConfig = z.output<typeof slackConfigSchema>;
export type SlackSourceConfigInput = z.input<typeof slackConfigSchema>;
