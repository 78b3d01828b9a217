/** Config schema of the microsoft-graph source: app credentials, which streams to follow, the reporting mailbox, and polling windows. */
import { z } from 'zod';
import { zDuration, zHttpUrl, zSecret } from '../../core/index.js';
import { pollerFields, withRenames, zBackfill } from '../../pipeline/polling-config.js';

export const STREAMS = [
  'sign_ins',
  'non_interactive_sign_ins',
  'service_principal_sign_ins',
  'managed_identity_sign_ins',
  'directory_audits',
  'risk_detections',
  'risky_users',
  'security_alerts',
  'reported_mail',
] as const;
export type StreamName = (typeof STREAMS)[number];
/** The streams read by time window (all but the mailbox, which is read by delta). */
export type WindowedStream = Exclude<StreamName, 'reported_mail'>;

/**
 * Followed when streams is not set: every stream AuditLog.Read.All and SecurityAlert.Read.All open on
 * a P1 tenant. Identity Protection (risk_detections, risky_users) wants Entra ID P2 and its own
 * permissions, so it is asked for by name: a default that a P1 tenant refuses would stop every poll.
 */
export const DEFAULT_STREAMS: readonly StreamName[] = ['sign_ins', 'non_interactive_sign_ins', 'service_principal_sign_ins', 'managed_identity_sign_ins', 'directory_audits', 'security_alerts'];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A tenant is named by its GUID or one of its verified domains (`contoso.onmicrosoft.com`). */
const TENANT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)$/i;

export { backfillFrom, type BackfillStart } from '../../pipeline/polling-config.js';

export const microsoftGraphConfigSchema = withRenames(
  {
    tenant_id: z
      .string()
      .regex(TENANT, { error: 'tenant_id must be the directory (tenant) ID, a GUID, or a verified domain such as contoso.onmicrosoft.com' })
      .describe('Directory (tenant) ID, or a verified domain of the tenant.'),
    client_id: z
      .string()
      .regex(GUID, { error: 'client_id must be the application (client) ID, a GUID such as 00000000-0000-0000-0000-000000000000' })
      .describe('Application (client) ID of the app registration.'),
    client_secret: zSecret.describe('Client secret value (not its ID) of the app registration, usually `${GRAPH_CLIENT_SECRET}`.'),
    // Naming the mailbox is all it takes to follow it.
    streams: z
      .array(z.enum(STREAMS, { error: `streams must be among ${STREAMS.join(', ')}` }))
      .min(1, `streams must name at least one of ${STREAMS.join(', ')}`)
      .transform((xs) => [...new Set(xs)])
      .optional()
      .describe(
        'What to follow. Default: every sign-in kind (sign_ins interactive, non_interactive_sign_ins, service_principal_sign_ins, managed_identity_sign_ins), directory_audits and security_alerts, plus reported_mail when mailbox is set. risk_detections and risky_users (Identity Protection, Entra ID P2) only when named.',
      ),
    mailbox: z
      .email({ error: 'mailbox must be the email address of the mailbox that receives user-reported messages' })
      .optional()
      .describe("Address of the mailbox user-reported messages are delivered to (Defender's user reported settings)."),
    folder: z.string().min(1).default('inbox').describe('Folder of that mailbox to follow: a well-known name (`inbox`) or a folder id.'),
    ...pollerFields({
      // Entra writes sign-ins minutes (at worst hours) after they happen. Entra keeps sign-ins 7 to 30 days.
      backfill: zBackfill('1d'),
      settle: '1h',
      // Graph's maximum for sign-ins is 1000 ($top, and odata.maxpagesize for mail).
      pageSize: { max: 1000, default: 1000 },
      baseUrl: 'https://graph.microsoft.com',
      maxAttempts: 6,
    }),
    window: zDuration
      .prefault('1h')
      .refine((ms) => ms >= 1000, { message: 'window must be at least 1s' })
      .describe('Each sign-in, audit, risk or alert query covers at most this much time, so a long backfill commits progress as it goes.'),
    login_url: zHttpUrl('https://login.microsoftonline.com').default('https://login.microsoftonline.com').describe('Microsoft Entra authority the token is requested from.'),
  },
  { backfill_start: 'backfill', graph_url: 'base_url', max_attempts: 'retry.max_attempts' },
  'microsoft-graph source config',
)
  .superRefine((c, ctx) => {
    if (c.streams?.includes('reported_mail') && c.mailbox === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['mailbox'],
        message: 'mailbox is required when streams includes reported_mail: set it to the address of the mailbox that receives user-reported messages',
      });
    }
  })
  .transform((c) => ({ ...c, streams: c.streams ?? (c.mailbox ? [...DEFAULT_STREAMS, 'reported_mail'] : [...DEFAULT_STREAMS]) }));

export type MicrosoftGraphConfig = z.output<typeof microsoftGraphConfigSchema>;
export type MicrosoftGraphConfigInput = z.input<typeof microsoftGraphConfigSchema>;
