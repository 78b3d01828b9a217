/** Wire shapes of the vendor records the scenario emits (Reports API, Drive v3, Dropbox team_log, Microsoft Graph, Slack) and of the scenario itself. */
// Vendor wire shapes are defined once, by the fake that serves them.
import type { Activity, ActivityEvent, ActivityParameter, DriveFile, DrivePermission, DriveUser } from '../google/types.js';
import type { LegacyGraphAlert } from '../microsoft-graph/legacy-alerts.js';
import type { GraphAlert, GraphMessage, GraphRiskDetection, GraphSignIn } from '../microsoft-graph/records.js';
import type { Office365Record } from './office-365.js';
import type { SlackAccessLog, SlackAuditEntry, SlackUser } from '../../sources/slack/wire.js';

export type { DriveFile, DrivePermission, DriveUser, GraphMessage, GraphRiskDetection, GraphSignIn, Office365Record, SlackAccessLog, SlackAuditEntry, SlackUser };
export type GoogleActivity = Activity;
export type GoogleActivityEvent = ActivityEvent;
export type GoogleActivityParameter = ActivityParameter;

// ---- Google Admin SDK Reports API: activities.list items ----



export type GoogleApplication = 'login' | 'drive' | 'admin' | 'token' | 'user_accounts';


// ---- Google Drive API v3: File with permissions ----




// ---- Dropbox team_log/get_events: TeamEvent ----

export interface DropboxTeamMember {
  '.tag': 'team_member';
  account_id: string;
  display_name: string;
  email: string;
  team_member_id: string;
}

export interface DropboxNonTeamMember {
  '.tag': 'non_team_member';
  account_id: string;
  display_name: string;
  email: string;
}

export interface DropboxFileAsset {
  '.tag': 'file';
  path: {
    contextual: string;
    namespace_relative: { ns_id: string; relative_path: string; is_shared_namespace: boolean };
  };
  display_name: string;
  file_id: string;
}

export interface DropboxTeamEvent {
  /** ISO 8601 without milliseconds, e.g. `2024-05-01T10:00:00Z`. */
  timestamp: string;
  event_category: { '.tag': 'file_operations' | 'sharing' | 'logins' };
  actor: { '.tag': 'user'; user: DropboxTeamMember };
  origin: {
    geo_location: { city: string; region: string; country: string; ip_address: string };
    access_method: {
      '.tag': 'end_user';
      end_user: { '.tag': 'web' | 'desktop' | 'mobile'; session_id: string };
    };
  };
  involve_non_team_member: boolean;
  context: DropboxTeamMember & { '.tag': 'team_member' };
  participants: Array<{ '.tag': 'user'; user: DropboxTeamMember | DropboxNonTeamMember }>;
  assets: DropboxFileAsset[];
  event_type: { '.tag': DropboxEventType; description: string };
  details: { '.tag': `${DropboxEventType}_details`; [field: string]: unknown };
}

export type DropboxEventType =
  | 'login_success'
  | 'login_fail'
  | 'file_preview'
  | 'file_download'
  | 'file_edit'
  | 'file_delete'
  | 'shared_link_create'
  | 'shared_content_add_member';

// ---- The scenario ----

export type AttackKind =
  | 'mass-download'
  | 'mass-external-share'
  | 'public-link'
  | 'mass-deletion'
  | 'new-country-login'
  | 'brute-force'
  | 'drive-mass-deletion'
  | 'dropbox-mass-download'
  | 'phishing-campaign'
  | 'slack-account-takeover'
  | 'sensitive-file-exposure'
  | 'onedrive-mass-download'
  | 'mail-forwarding-rule'
  | 'mfa-disabled-mass-download'
  | 'risky-sign-in';

export const ATTACK_KINDS: readonly AttackKind[] = [
  'mass-download',
  'mass-external-share',
  'public-link',
  'mass-deletion',
  'new-country-login',
  'brute-force',
  'drive-mass-deletion',
  'dropbox-mass-download',
  'phishing-campaign',
  'slack-account-takeover',
  'sensitive-file-exposure',
  'onedrive-mass-download',
  'mail-forwarding-rule',
  'mfa-disabled-mass-download',
  'risky-sign-in',
];

/** The threat catalogue's categories (README, "The threat catalogue"), as the benchmark reports recall by them. */
export type AttackCategory =
  | 'vendor-reported compromise'
  | 'controls weakened'
  | 'persistence and exfiltration set-up'
  | 'sign-in techniques'
  | 'exposure'
  | 'volume'
  | 'sensitive content'
  | 'phishing'
  | 'account takeover';

/** Which category each attack exercises: the one whose rules should catch its first step. */
export const ATTACK_CATEGORY: Readonly<Record<AttackKind, AttackCategory>> = {
  'mass-download': 'volume',
  'mass-external-share': 'exposure',
  'public-link': 'exposure',
  'mass-deletion': 'volume',
  'new-country-login': 'sign-in techniques',
  'brute-force': 'sign-in techniques',
  'drive-mass-deletion': 'volume',
  'dropbox-mass-download': 'volume',
  'phishing-campaign': 'phishing',
  'slack-account-takeover': 'account takeover',
  'sensitive-file-exposure': 'sensitive content',
  'onedrive-mass-download': 'volume',
  'mail-forwarding-rule': 'persistence and exfiltration set-up',
  'mfa-disabled-mass-download': 'controls weakened',
  'risky-sign-in': 'vendor-reported compromise',
};

export type ScenarioSource = 'google-workspace' | 'dropbox' | 'microsoft-graph' | 'office-365' | 'slack';

export interface ScenarioOptions {
  seed?: number;
  /** Default 300. */
  users?: number;
  /** Files across Drive and Dropbox. Default 3000. */
  files?: number;
  /** Length of the window that ends at `end`. Default 7. */
  days?: number;
  /** End of the window (exclusive). Default 2025-06-02T00:00:00Z, fixed so that a seed alone reproduces the output. */
  end?: Date;
  /** Default: every kind. `[]` gives a clean organisation. */
  attacks?: AttackKind[];
}

export interface ScenarioUser {
  email: string;
  name: string;
  /** IANA time zone; working hours are generated in it. */
  tz: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  city: string;
  region: string;
  department: string;
  /** The addresses this user normally comes from (office NAT first when the user works in an office). */
  ips: string[];
  asn: number;
  asnOrg: string;
  userAgents: string[];
  isAdmin: boolean;
  usesDropbox: boolean;
  googleProfileId: string;
  /** Object id of the person's Entra account (Microsoft 365). */
  entraObjectId: string;
  dropboxAccountId: string;
  dropboxTeamMemberId: string;
}

export interface ScenarioFile {
  id: string;
  platform: ScenarioSource;
  name: string;
  mimeType: string;
  owner: string;
  department: string;
  /** Names such as "payroll" or "salaries": what a public-link detector should care about. */
  sensitive: boolean;
  size: number;
  /** Dropbox only: path inside the department's team folder. */
  path?: string;
}

export interface IpInfo {
  country: string;
  city: string;
  region: string;
  lat: number;
  lon: number;
  asn: number;
  asnOrg: string;
}

export interface TruthEntry {
  kind: AttackKind;
  sources: ScenarioSource[];
  /** Email of the account that acted (for brute force: the first targeted account; for phishing: the external sender). */
  actor: string;
  ip?: string;
  /** ISO 8601 times of the first and last injected record. */
  start: string;
  end: string;
  /** How many vendor events were injected. */
  events: number;
  /** Accounts, files or recipients involved (for phishing: whoever reported it), for assertions. */
  targets: string[];
  description: string;
}

export interface Scenario {
  seed: number;
  window: { start: string; end: string };
  org: {
    domain: string;
    customerId: string;
    users: ScenarioUser[];
    files: ScenarioFile[];
    /** Where every address in the scenario is, as a GeoIP/ASN database would say. */
    ipDirectory: Record<string, IpInfo>;
  };
  google: { activities: GoogleActivity[]; files: DriveFile[] };
  dropbox: { events: DropboxTeamEvent[] };
  microsoft: ScenarioMicrosoft;
  /** The Office 365 Management Activity API's audit records (OneDrive, SharePoint, Exchange), oldest first. */
  office365: { records: Office365Record[] };
  slack: ScenarioSlack;
  truth: TruthEntry[];
}

/** The organisation's Slack Enterprise Grid as its APIs would show it. */
export interface ScenarioSlack {
  /** The workspace everyone works in. */
  teamId: string;
  /** The Enterprise Grid organisation. */
  enterpriseId: string;
  /** What users.info answers: people, then the integrations' bot and app users (no email). */
  users: SlackUser[];
  /** team.accessLogs: one aggregate per user, address and client, as it stands at the end of the window. */
  accessLogs: SlackAccessLog[];
  /** Audit Logs API entries, oldest first. */
  auditLogs: SlackAuditEntry[];
}

/** The organisation's Microsoft 365 tenant as Graph would show it. */
export interface ScenarioMicrosoft {
  /** Directory (tenant) id. */
  tenantId: string;
  /** Entra sign-ins, oldest first. */
  signIns: GraphSignIn[];
  /** Identity Protection risk detections, oldest first: ordinary low and remediated ones, and the risky sign-in's. */
  riskDetections: GraphRiskDetection[];
  /** Messages of the reporting mailbox's folder, oldest first; `attachments` holds what the attachments endpoint serves. */
  reportedMessages: GraphMessage[];
  /** The mailbox Defender's user reported settings deliver reports to, and its folder. */
  mailbox: { address: string; folder: string };
  /** Security alerts (alerts_v2) Microsoft's detections raise for the sign-in attacks, oldest first (see security-alerts.ts). */
  alerts: GraphAlert[];
  /** The same detections on the legacy /security/alerts API (v1 schema), oldest first. */
  legacyAlerts: LegacyGraphAlert[];
}
