/** Config schema of the office-365 source: the Entra app's credentials, the content types followed, whether to start their subscriptions, and the polling windows. */
import { z } from 'zod';
import { zDuration, zHttpUrl, zSecret, zStrictObject } from '../../core/index.js';
import { pollerFields, zBackfill } from '../../pipeline/polling-config.js';

export const CONTENT_TYPES = ['Audit.SharePoint', 'Audit.Exchange', 'Audit.AzureActiveDirectory', 'Audit.General'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** Root of the Management Activity API; `{base}/api/v1.0/{tenant}/activity/feed/...`. */
export const MANAGE_URL = 'https://manage.office.com';
/** The API keeps content for seven days: nothing older can be listed. */
export const RETENTION_MS = 7 * 24 * 3_600_000;
/** One content listing covers at most 24 hours. */
export const MAX_WINDOW_MS = 24 * 3_600_000;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export { backfillFrom } from '../../pipeline/polling-config.js';

export const office365ConfigSchema = zStrictObject(
  {
    // The API's URL names the tenant by its GUID (a domain is refused with AF20010).
    tenant_id: z.string().regex(GUID, { error: 'tenant_id must be the directory (tenant) ID, a GUID such as 00000000-0000-0000-0000-000000000000' }).describe('Directory (tenant) ID.'),
    client_id: z.string().regex(GUID, { error: 'client_id must be the application (client) ID, a GUID' }).describe('Application (client) ID of the app registration (Office 365 Management APIs: ActivityFeed.Read application permission, admin consent).'),
    client_secret: zSecret.describe('Client secret value (not its ID) of the app registration, usually `${O365_CLIENT_SECRET}`.'),
    content_types: z
      .array(z.enum(CONTENT_TYPES, { error: `content_types must be among ${CONTENT_TYPES.join(', ')}` }))
      .min(1, `content_types must name at least one of ${CONTENT_TYPES.join(', ')}`)
      .transform((xs) => [...new Set(xs)])
      .default([...CONTENT_TYPES])
      .describe('Content types to follow. Default: all four.'),
    start_subscriptions: z
      .boolean()
      .default(true)
      .describe('Start the subscription of a content type that is not started (subscriptions/start). When false, a content type without a subscription is reported and skipped.'),
    ...pollerFields({
      backfill: zBackfill('1d', { ms: RETENTION_MS, says: '7d' }),
      // Blobs are listed by contentCreated and some appear well after it: each poll lists this much again.
      settle: '1h',
      // The API pages by its own size (NextPageUri): page_size is not sent.
      pageSize: { max: 1000, default: 1000 },
      baseUrl: MANAGE_URL,
      maxAttempts: 6,
    }),
    window: zDuration
      .prefault('6h')
      .refine((ms) => ms >= 60_000 && ms <= MAX_WINDOW_MS, { message: 'window must be between 1m and 24h (the API lists at most 24 hours at a time)' })
      .describe('Each content listing covers at most this much time (at most 24h), so a long backfill commits progress as it goes.'),
    record_lag: zDuration
      .prefault('30m')
      .describe('How much older than its blob (contentCreated) a record may be: the watermark promised stays this much behind the overlap.'),
    login_url: zHttpUrl('https://login.microsoftonline.com').default('https://login.microsoftonline.com').describe('Microsoft Entra authority the token is requested from.'),
    api_url: zHttpUrl(MANAGE_URL).optional().describe('Root of the Management Activity API instead of https://manage.office.com (GCC High, a proxy, or the local fake). Same as base_url.'),
  },
  'office-365 source config',
);

export type Office365Config = z.output<typeof office365ConfigSchema>;
export type Office365ConfigInput = z.input<typeof office365ConfigSchema>;

/** The API root a config points at. */
export function apiRoot(c: Pick<Office365Config, 'api_url' | 'base_url'>): string {
  return (c.api_url ?? c.base_url ?? MANAGE_URL).replace(/\/+$/, '');
}
