/** The Google JSON shapes this source reads, as the official SDKs type them (every field may be null or absent). */
import type { admin_reports_v1 } from '@googleapis/admin';
import type { drive_v3 } from '@googleapis/drive';

export type ActivityLike = admin_reports_v1.Schema$Activity;
export type ActivityParameterLike = NonNullable<NonNullable<ActivityLike['events']>[number]['parameters']>[number];
export type DriveChangeLike = drive_v3.Schema$Change;
export type DriveFileLike = drive_v3.Schema$File;

/**
 * An Alert Center alert as `alerts.list` returns it (no SDK for the Alert Center is installed, so
 * typed here from Google's reference; every field may be absent). `data` is the typed finding:
 * its `@type` names the proto, e.g. `type.googleapis.com/google.apps.alertcenter.type.AccountWarning`.
 */
export interface AlertLike {
  customerId?: string | null;
  alertId?: string | null;
  createTime?: string | null;
  startTime?: string | null;
  endTime?: string | null;
  type?: string | null;
  source?: string | null;
  data?: ({ '@type'?: string } & Record<string, unknown>) | null;
  securityInvestigationToolLink?: string | null;
  deleted?: boolean | null;
  metadata?: { status?: string | null; severity?: string | null; assignee?: string | null; updateTime?: string | null } | null;
  updateTime?: string | null;
  etag?: string | null;
}

export interface ListAlertsResponseLike {
  alerts?: AlertLike[] | null;
  nextPageToken?: string | null;
}

/**
 * One admin's feedback on an alert as `alerts.feedback.list` returns it (Google's AlertFeedback:
 * every field is output only except `type`, which is NOT_USEFUL, SOMEWHAT_USEFUL or VERY_USEFUL).
 */
export interface AlertFeedbackLike {
  customerId?: string | null;
  alertId?: string | null;
  feedbackId?: string | null;
  createTime?: string | null;
  type?: string | null;
  /** Who gave it. */
  email?: string | null;
}

/** `alerts.feedback.list` answers everything at once: no pageToken (entries newest first per alert). */
export interface ListAlertFeedbackResponseLike {
  feedback?: AlertFeedbackLike[] | null;
}
