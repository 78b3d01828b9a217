/** Config schema of the dropbox source: team credentials and the shared poller fields (backfill, settle, page_size, ...). */
import { z } from 'zod';
import { zSecret } from '../../core/index.js';
import { pollerFields, withRenames, zBackfill } from '../../pipeline/polling-config.js';

/** Dropbox team_log categories accepted as a filter (the API rejects any other tag). */
export const DROPBOX_CATEGORIES = [
  'apps', 'comments', 'data_governance', 'devices', 'domains', 'encryption', 'file_operations', 'file_requests', 'groups',
  'legal_holds', 'logins', 'members', 'paper', 'passwords', 'reports', 'sharing', 'showcase', 'sso', 'team_folders',
  'team_policies', 'team_profile', 'tfa', 'trusted_teams',
] as const;

export const dropboxConfigSchema = withRenames(
  {
    access_token: zSecret.describe('Team access token with the `events.read` scope (Team Auditing), usually `${DROPBOX_TOKEN}`.'),
    app_secret: zSecret.describe('App secret: Dropbox signs webhook notifications with it.'),
    ...pollerFields({
      backfill: zBackfill('1d'),
      // When Dropbox resets a cursor, polling restarts this long before the newest event seen; dedupe drops the repeats.
      settle: '1h',
      // Dropbox allows 1..1000 events per page.
      pageSize: { max: 1000, default: 1000 },
      baseUrl: 'https://api.dropboxapi.com',
      maxAttempts: 8,
    }),
    category: z
      .enum(DROPBOX_CATEGORIES, { error: `category must be one of ${DROPBOX_CATEGORIES.join(', ')}` })
      .optional()
      .describe('Only this team_log category (e.g. `logins`, `sharing`); all categories when absent.'),
  },
  { initial_lookback: 'backfill', overlap: 'settle', page_limit: 'page_size', api_url: 'base_url' },
  'dropbox source config',
);

export type DropboxConfig = z.output<typeof dropboxConfigSchema>;
export type DropboxConfigInput = z.input<typeof dropboxConfigSchema>;
