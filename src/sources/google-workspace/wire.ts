/** The Google JSON shapes this source reads, as the official SDKs type them (every field may be null or absent). */
import type { admin_reports_v1 } from '@googleapis/admin';
import type { drive_v3 } from '@googleapis/drive';

export type ActivityLike = admin_reports_v1.Schema$Activity;
export type ActivityParameterLike = NonNullable<NonNullable<ActivityLike['events']>[number]['parameters']>[number];
export type DriveChangeLike = drive_v3.Schema$Change;
export type DriveFileLike = drive_v3.Schema$File;
