/** Config schema of the google-workspace source: credentials, which audit logs to poll, how far to look back, Drive changes and the file inventory. */
import { z } from 'zod';
import { zDuration, zHttpUrl, zSecret, zStrictObject } from '../../core/index.js';
import { pollerFields, withRenames, zBackfill } from '../../pipeline/polling-config.js';

/** Reports API application names (the `applicationName` path parameter). */
export const KNOWN_APPLICATIONS = [
  'access_transparency', 'admin', 'calendar', 'chat', 'chrome', 'context_aware_access', 'data_studio', 'drive',
  'gcp', 'gmail', 'groups', 'groups_enterprise', 'jamboard', 'keep', 'login', 'meet', 'mobile', 'rules', 'saml', 'token',
  'user_accounts', 'vault',
] as const;

/**
 * Polled unless `applications` says otherwise: every application whose events carry security
 * signal. Left out: `gmail` (one record per message delivered, by far the largest log; forwarding
 * is in login/user_accounts and routing in admin), `vault`, and the collaboration apps whose logs
 * hold activity, not security changes (chat, meet, keep, jamboard, data_studio, gcp).
 */
export const DEFAULT_APPLICATIONS: ReadonlyArray<(typeof KNOWN_APPLICATIONS)[number]> = [
  'login', 'drive', 'admin', 'token', 'saml', 'user_accounts', 'groups', 'groups_enterprise', 'mobile', 'rules', 'calendar',
  'access_transparency', 'context_aware_access', 'chrome',
];

const watchSchema = zStrictObject(
  {
    address: zHttpUrl('https://saaswatch.example.com/webhooks/google-drive').describe('Public HTTPS URL Google posts notifications to: where saaswatch serves POST /webhooks/google-drive.'),
    token: zSecret.describe("Secret from which each channel's X-Goog-Channel-Token is derived (HMAC per channel id)."),
    ttl: zDuration
      .prefault('1d')
      .refine((ms) => ms >= 60_000 && ms <= 7 * 86_400_000, { message: 'drive.watch.ttl must be between 1m and 7d' })
      .describe('Lifetime requested for each channel; Drive caps changes channels at one week.'),
    renew_before: zDuration.prefault('1h').describe('A channel is replaced this long before it expires, so no notification falls between two channels.'),
    max_message_jump: z
      .number()
      .int()
      .min(1)
      .default(1_000_000)
      .describe('A notification whose X-Goog-Message-Number is more than this past the last accepted one is refused (the number is not covered by the token; a forged huge one would otherwise shut out every genuine push until the channel renews).'),
  },
  'google-workspace drive.watch',
);

const driveSchema = zStrictObject(
  {
    changes: z.boolean().default(false).describe('Follow Drive changes (changes.list from a stored page token) as the impersonated subject sees them.'),
    watch: watchSchema.optional().describe('Push notifications that wake the changes poll between poll intervals; implies changes.'),
    // Deletions come from Reports drive events, not from the listing.
    inventory: z
      .boolean()
      .default(false)
      .describe('Keep the file inventory (files table): every file the subject can see with its sharing, listed in full at start and every inventory_interval.'),
    inventory_interval: zDuration
      .prefault('6h')
      .refine((ms) => ms >= 1000, { message: 'drive.inventory_interval must be at least 1s' })
      .describe('Time between full inventory listings.'),
  },
  'google-workspace drive',
);

const feedbackSchema = zStrictObject(
  {
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Read the feedback admins give on alerts (alerts.feedback.list: NOT_USEFUL, SOMEWHAT_USEFUL, VERY_USEFUL, and who gave it) as events, when alert_center is enabled; the same apps.alerts scope covers it.",
      ),
    lookback: zDuration
      .prefault('7d')
      .refine((ms) => ms >= 60_000 && ms <= 90 * 86_400_000, { message: 'alert_center.feedback.lookback must be between 1m and 90d' })
      .describe('Feedback is looked for on alerts created this long ago or later: Alert Center has no filter for feedback by time, so each pass asks about every alert in this span.'),
    alerts_per_call: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(20)
      .describe('Alerts asked about in one feedback call (the "-" wildcard with an alertId OR filter); 1 asks about each alert on its own path.'),
    max_calls: z
      .number()
      .int()
      .min(2)
      .max(1000)
      // 50: a week of about 900 alerts (at page_size 100 and 20 alerts a call) in one pass.
      .default(50)
      .describe('Most requests (alert listing pages and feedback calls) one pass makes for feedback; alerts left over are asked about in the next pass, newest first.'),
  },
  'google-workspace alert_center.feedback',
);

const alertCenterSchema = zStrictObject(
  {
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Poll Google's own findings (Alert Center alerts.list: suspicious and leaked-password logins, user-reported phishing, government attack warnings, DLP, device compromise) as events. Off by default: it needs the https://www.googleapis.com/auth/apps.alerts scope granted to the service account's domain-wide delegation.",
      ),
    base_url: zHttpUrl('https://alertcenter.googleapis.com')
      .optional()
      .describe('Alert Center API root replacing Google\'s (proxies, the local fake); when absent, https://alertcenter.googleapis.com (the top-level base_url is not used for it).'),
    page_size: z.number().int().min(1).max(1000).default(100).describe('Alerts asked for per page (Google may return fewer).'),
    feedback: feedbackSchema.prefault({}).describe("Admins' feedback on the alerts (who rated which alert how), read for alerts created within lookback."),
  },
  'google-workspace alert_center',
);

export const googleWorkspaceConfigSchema = withRenames(
  {
    credentials: zSecret.optional().describe('Service-account key JSON (usually `${GOOGLE_SA_JSON}`); set this or credentials_file.'),
    credentials_file: z.string().min(1).optional().describe('Path to the service-account key JSON file, relative to the config file; set this or credentials.'),
    subject: z.email({ error: 'subject must be the email of a Workspace admin to impersonate' }).describe('Admin the service account impersonates (domain-wide delegation).'),
    customer_id: z.string().min(1).default('my_customer').describe('Workspace customer ID; `my_customer` is the subject\'s own.'),
    applications: z
      .array(z.enum(KNOWN_APPLICATIONS, { error: `applications must be among ${KNOWN_APPLICATIONS.join(', ')}` }))
      .min(1)
      .default([...DEFAULT_APPLICATIONS])
      .transform((xs) => [...new Set(xs)])
      .describe('Reports API applications whose audit logs are polled.'),
    ...pollerFields({
      // Reports keep about 180 days.
      backfill: zBackfill('1d', { ms: 180 * 86_400_000, says: '180d' }),
      // Google documents events arriving minutes to hours after their time.
      settle: '1h',
      // Google's maximum Reports page is 1000.
      pageSize: { max: 1000, default: 1000 },
      baseUrl: 'https://admin.googleapis.com',
      maxAttempts: 6,
    }),
    window: zDuration
      .prefault('1h')
      .refine((ms) => ms >= 1000, { message: 'window must be at least 1s' })
      .describe('Each query covers at most this much time, so a long backfill commits progress as it goes.'),
    token_url: zHttpUrl('https://oauth2.googleapis.com/token').optional().describe('OAuth2 token endpoint replacing Google\'s (proxies, the local fake).'),
    drive: driveSchema.prefault({}).describe('Drive changes, their push notifications, and the file inventory.'),
    alert_center: alertCenterSchema.prefault({}).describe("Google's Alert Center findings as a stream of this source."),
  },
  { initial_lookback: 'backfill', root_url: 'base_url', max_attempts: 'retry.max_attempts' },
  'google-workspace source config',
).superRefine((c, ctx) => {
  if ((c.credentials === undefined) === (c.credentials_file === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'set exactly one of credentials (service-account JSON) or credentials_file' });
  }
  if (c.drive.watch && c.drive.watch.renew_before >= c.drive.watch.ttl) {
    ctx.addIssue({ code: 'custom', path: ['drive', 'watch', 'renew_before'], message: 'drive.watch.renew_before must be shorter than drive.watch.ttl' });
  }
});

export type GoogleWorkspaceConfig = z.output<typeof googleWorkspaceConfigSchema>;
export type GoogleWorkspaceConfigInput = z.input<typeof googleWorkspaceConfigSchema>;
