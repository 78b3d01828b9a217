/** Google Admin SDK Reports and Drive v3 JSON shapes, as the real APIs put them on the wire. */

/** One parameter of a Reports event: exactly one of the value fields is set. */
export interface ActivityParameter {
  name: string;
  value?: string;
  boolValue?: boolean;
  intValue?: string;
  multiValue?: string[];
  multiIntValue?: string[];
  messageValue?: { parameter: ActivityParameter[] };
}

export interface ActivityEvent {
  type?: string;
  name: string;
  parameters?: ActivityParameter[];
}

/** One `admin#reports#activity`: an id, who did it, from where, and one or more events. */
export interface Activity {
  kind?: 'admin#reports#activity';
  etag?: string;
  id: {
    /** RFC 3339 with milliseconds, e.g. `2024-05-06T08:01:02.345Z`. */
    time: string;
    /** Signed 64-bit number as a string; not unique across applications or times. */
    uniqueQualifier: string;
    applicationName: string;
    customerId: string;
  };
  actor: {
    email?: string;
    profileId?: string;
    callerType?: string;
    key?: string;
  };
  ipAddress?: string;
  ownerDomain?: string;
  events: ActivityEvent[];
}

export interface ActivitiesPage {
  kind: 'admin#reports#activities';
  etag?: string;
  items?: Activity[];
  nextPageToken?: string;
}

export interface DriveUser {
  kind?: 'drive#user';
  displayName?: string;
  emailAddress?: string;
  permissionId?: string;
  me?: boolean;
}

export interface DrivePermission {
  kind?: 'drive#permission';
  id: string;
  type: 'user' | 'group' | 'domain' | 'anyone';
  role: 'owner' | 'organizer' | 'fileOrganizer' | 'writer' | 'commenter' | 'reader';
  emailAddress?: string;
  domain?: string;
  displayName?: string;
  /** For `domain` and `anyone`: whether the file can be found by search (public on the web). */
  allowFileDiscovery?: boolean;
  deleted?: boolean;
  pendingOwner?: boolean;
}

export interface DriveFile {
  kind?: 'drive#file';
  id: string;
  name: string;
  mimeType: string;
  owners?: DriveUser[];
  permissions?: DrivePermission[];
  createdTime?: string;
  modifiedTime?: string;
  trashed?: boolean;
  shared?: boolean;
  /** int64 as a string, like the real API. */
  size?: string;
  webViewLink?: string;
  /** Set for items of a shared drive, which has no owners: the drive owns them. */
  driveId?: string;
  parents?: string[];
  /** Hex digests and revision Drive computes for files with binary content only (never Google Docs, Sheets, Slides). */
  md5Checksum?: string;
  sha1Checksum?: string;
  sha256Checksum?: string;
  headRevisionId?: string;
  /**
   * The fake's model only, never on the wire: a binary file's bytes (served by `alt=media`), or for a
   * Google-native file its export as text (Docs and Slides: plain text; Sheets: the first sheet as CSV).
   */
  content?: Buffer | Uint8Array | string;
}

export interface DriveChange {
  kind: 'drive#change';
  changeType: 'file' | 'drive';
  time: string;
  removed: boolean;
  fileId: string;
  file?: DriveFile;
}

/** A notification channel (`api#channel`) as changes.watch returns it. */
export interface Channel {
  kind: 'api#channel';
  id: string;
  resourceId: string;
  resourceUri: string;
  token?: string;
  /** Epoch milliseconds as a string. */
  expiration?: string;
}

/** A Directory API user (`admin#directory#user`), the fields saaswatch's actions read. */
export interface DirectoryUser {
  kind?: 'admin#directory#user';
  /** Immutable unique id (a decimal string, as the Reports actor's profileId). */
  id: string;
  primaryEmail: string;
  name?: { givenName?: string; familyName?: string; fullName?: string };
  isAdmin?: boolean;
  isDelegatedAdmin?: boolean;
  suspended?: boolean;
  /** Set while suspended: `ADMIN` when an admin suspended the user (the API's own suspensions say why, e.g. `ABUSE`). */
  suspensionReason?: string;
  archived?: boolean;
  aliases?: string[];
  orgUnitPath?: string;
  customerId?: string;
  creationTime?: string;
  lastLoginTime?: string;
}

/**
 * One Alert Center alert (`alertcenter.googleapis.com/v1beta1/alerts`): Google's own finding, its
 * typed payload under `data` with an `@type` naming the proto (AccountWarning, MailPhishing...).
 */
export interface AlertCenterAlert {
  customerId: string;
  alertId: string;
  /** When Alert Center created the alert (RFC 3339). */
  createTime: string;
  /** When the activity the alert is about began, and ended. */
  startTime?: string;
  endTime?: string;
  /** Google's type name, e.g. `Suspicious login`, `User reported phishing`, `Government attack warning`. */
  type: string;
  /** Which Google system raised it, e.g. `Google identity`, `Gmail phishing`, `Data Loss Prevention`. */
  source: string;
  data?: { '@type': string; [key: string]: unknown };
  securityInvestigationToolLink?: string;
  deleted?: boolean;
  metadata?: {
    customerId?: string;
    alertId?: string;
    status?: 'NOT_STARTED' | 'IN_PROGRESS' | 'CLOSED';
    assignee?: string;
    updateTime?: string;
    severity?: 'HIGH' | 'MEDIUM' | 'LOW';
    etag?: string;
  };
  updateTime?: string;
  etag?: string;
}

/** An admin's feedback on an alert (`alerts.feedback`): everything is output only but `type`. */
export interface AlertCenterFeedback {
  customerId: string;
  alertId: string;
  feedbackId: string;
  /** When it was given (RFC 3339). */
  createTime: string;
  type: 'NOT_USEFUL' | 'SOMEWHAT_USEFUL' | 'VERY_USEFUL' | 'ALERT_FEEDBACK_TYPE_UNSPECIFIED';
  /** Who gave it. */
  email: string;
}

/** `alerts.feedback.list`'s answer: no paging; entries for each alert newest first. */
export interface ListAlertFeedbackResponse {
  feedback?: AlertCenterFeedback[];
}

export interface ListAlertsResponse {
  alerts?: AlertCenterAlert[];
  nextPageToken?: string;
}
