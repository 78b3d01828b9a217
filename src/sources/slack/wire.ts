/** Slack's wire shapes the source reads: team.accessLogs rows, Audit Logs API entries, users.info users, Events API envelopes. */

/**
 * One row of `team.accessLogs`: an aggregate per user, IP and user agent that Slack keeps updating
 * (`date_last` and `count` advance) rather than one record per login. Times are epoch seconds.
 */
export interface SlackAccessLog {
  user_id: string;
  username: string;
  date_first: number;
  date_last: number;
  count: number;
  ip: string;
  user_agent: string;
  isp?: string;
  country?: string;
  region?: string;
}

export interface SlackAccessLogsResponse {
  ok: true;
  logins: SlackAccessLog[];
  paging: { count: number; total: number; page: number; pages: number };
}

export interface SlackAuditUser {
  id: string;
  name?: string;
  email?: string;
  team?: string;
}

/**
 * One entry of the Enterprise Grid Audit Logs API (`GET https://api.slack.com/audit/v1/logs`), as
 * docs.slack.dev/admins/audit-logs-api shows it; entity shapes as `GET /audit/v1/schemas` lists them.
 */
export interface SlackAuditEntry {
  id: string;
  /** Epoch seconds. */
  date_create: number;
  action: string;
  actor: { type: 'user' | string; user?: SlackAuditUser };
  entity: {
    type: 'user' | 'file' | 'channel' | 'app' | 'workspace' | 'enterprise' | 'message' | 'workflow' | 'barrier' | string;
    user?: SlackAuditUser;
    file?: { id: string; name?: string; filetype?: string; title?: string };
    channel?: { id: string; name?: string; privacy?: string; is_shared?: boolean; is_org_shared?: boolean; teams_shared_with?: string[] };
    app?: { id: string; name?: string; is_distributed?: boolean; is_directory_approved?: boolean; is_workflow_app?: boolean; scopes?: string[] };
    workspace?: { id: string; name?: string; domain?: string };
    enterprise?: { id: string; name?: string; domain?: string };
    barrier?: { id: string; primary_usergroup?: string; barriered_from_usergroup?: string };
  };
  context: {
    location?: { type: 'workspace' | 'enterprise' | string; id: string; name?: string; domain?: string };
    ua?: string;
    ip_address?: string;
    /** A number or a numeric string; `null` for entries made by an app. */
    session_id?: number | string | null;
    /** The app an entry was made through, only when it was. */
    app?: { id: string; name?: string; scopes?: string[]; scopes_bot?: string[]; creator?: string; team?: string };
  };
  details?: Record<string, unknown>;
}

export interface SlackAuditLogsResponse {
  entries: SlackAuditEntry[];
  response_metadata?: { next_cursor?: string };
}

/** `users.info`'s user (the fields the source reads). */
export interface SlackUser {
  id: string;
  team_id?: string;
  name: string;
  real_name?: string;
  deleted?: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  is_admin?: boolean;
  is_owner?: boolean;
  tz?: string;
  profile: { email?: string; real_name?: string; display_name?: string };
}

/** An Events API request body: the one-time `url_verification`, or an `event_callback` carrying one event. */
export type SlackEventsRequest =
  | { type: 'url_verification'; challenge: string; token?: string }
  | SlackEventCallback;

/** `event_callback`: `event_time` is epoch seconds; `event_id` is unique per event (Slack resends it on retries). */
export interface SlackEventCallback {
  type: 'event_callback';
  /** The deprecated verification token: never kept (the signature is what is checked). */
  token?: string;
  team_id?: string;
  enterprise_id?: string;
  api_app_id?: string;
  event_id: string;
  event_time: number;
  event: SlackInnerEvent;
  authorizations?: unknown[];
}

/** The inner event: `user_change` carries the user object, `team_access_granted`/`_revoked` the team ids. */
export interface SlackInnerEvent {
  type: string;
  user?: SlackUser | string;
  team_ids?: string[];
  event_ts?: string;
  [k: string]: unknown;
}
