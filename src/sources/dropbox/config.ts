/** Config schema of the dropbox source: team credentials, polling cadence, look-back and reset overlap. */
import { z } from 'zod';
import { zDuration, zSecret, zStrictObject } from '../../core/index.js';

/** Dropbox team_log categories accepted as a filter (the API rejects any other tag). */
export const DROPBOX_CATEGORIES = [
  'apps', 'comments', 'data_governance', 'devices', 'domains', 'encryption', 'file_operations', 'file_requests', 'groups',
  'legal_holds', 'logins', 'members', 'paper', 'passwords', 'reports', 'sharing', 'showcase', 'sso', 'team_folders',
  'team_policies', 'team_profile', 'tfa', 'trusted_teams',
] as const;

export const dropboxConfigSchema = zStrictObject(
  {
    /** Team access token with the `events.read` scope (Team Auditing). */
    access_token: zSecret,
    /** App secret: webhook notifications are signed with it. */
    app_secret: zSecret,
    /** Time between polls when no webhook arrives; a valid webhook polls at once. */
    poll_interval: zDuration.prefault('5m').refine((ms) => ms >= 1000, { message: 'poll_interval must be at least 1s' }),
    /** How far back the very first poll reaches. */
    initial_lookback: zDuration.prefault('1d').refine((ms) => ms > 0, { message: 'initial_lookback must be greater than zero' }),
    /** When Dropbox resets a cursor, polling restarts this long before the newest event seen; dedupe drops the repeats. */
    overlap: zDuration.prefault('1h'),
    /** Events per page (Dropbox allows 1..1000). */
    page_limit: z.number().int().min(1).max(1000).default(1000),
    /** Only this team_log category (e.g. `logins`, `sharing`); all categories when absent. */
    category: z.enum(DROPBOX_CATEGORIES, { error: `category must be one of ${DROPBOX_CATEGORIES.join(', ')}` }).optional(),
    /** Base URL replacing https://api.dropboxapi.com, for the local fake and proxies. */
    api_url: z.url({ protocol: /^https?$/, error: 'api_url must be an http(s) URL such as http://127.0.0.1:8080' }).optional(),
  },
  'dropbox source config',
);

export type DropboxConfig = z.output<typeof dropboxConfigSchema>;
export type DropboxConfigInput = z.input<typeof dropboxConfigSchema>;
