/** Turns scenario actions into the vendors' wire records: Reports API activities, Drive v3 files and Dropbox TeamEvents. */
import { Rng, hashSeed } from '../../detection/random.js';
import { CUSTOMER_ID, DOMAIN, digits, randomString } from './org.js';
import type {
  DrivePermission,
  DriveFile,
  DropboxEventType,
  DropboxFileAsset,
  DropboxTeamEvent,
  DropboxTeamMember,
  GoogleActivity,
  GoogleActivityEvent,
  GoogleActivityParameter,
  GoogleApplication,
  IpInfo,
  ScenarioFile,
  ScenarioUser,
} from './types.js';

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Parameter builders, named after the Reports API value fields they fill. */
export const str = (name: string, value: string): GoogleActivityParameter => ({ name, value });
export const bool = (name: string, boolValue: boolean): GoogleActivityParameter => ({ name, boolValue });
export const int = (name: string, n: number | bigint): GoogleActivityParameter => ({ name, intValue: String(n) });
export const multi = (name: string, multiValue: string[]): GoogleActivityParameter => ({ name, multiValue });

/** Stable per-person Drive permission id (numeric, as Drive issues for users). */
export function permissionIdFor(email: string): string {
  return digits(new Rng(hashSeed(`perm:${email}`)), 20);
}

export class GoogleRenderer {
  constructor(private readonly rng: Rng) {}

  activity(
    app: GoogleApplication,
    t: number,
    actor: { email: string; profileId?: string },
    ip: string | undefined,
    events: GoogleActivityEvent[],
    ownerDomain?: string,
  ): GoogleActivity {
    // uniqueQualifier is a random signed int64: two halves of the PRNG joined, then reinterpreted.
    const q = BigInt.asIntN(64, (BigInt(this.rng.nextUint32()) << 32n) | BigInt(this.rng.nextUint32()));
    const a: GoogleActivity = {
      kind: 'admin#reports#activity',
      id: { time: new Date(t).toISOString(), uniqueQualifier: q.toString(), applicationName: app, customerId: CUSTOMER_ID },
      etag: `"${randomString(this.rng, B62, 22)}/${randomString(this.rng, `${B62}-_`, 27)}"`,
      actor: { callerType: 'USER', email: actor.email, ...(actor.profileId ? { profileId: actor.profileId } : {}) },
      ...(ownerDomain ? { ownerDomain } : {}),
      ...(ip ? { ipAddress: ip } : {}),
      events,
    };
    return a;
  }
}

/** Mutable Drive state of a file while the scenario plays out; `toDriveFile` is what files.list shows at the end. */
export interface DriveState {
  file: ScenarioFile;
  owner: ScenarioUser;
  permissions: DrivePermission[];
  createdTime: number;
  modifiedTime: number;
  deleted: boolean;
  parent: string;
  md5?: string;
  /** What the Drive fake serves as the file's content (a Sheet's CSV, an upload's bytes); most files have none. */
  content?: string | Buffer;
}

export function docType(mimeType: string): string {
  switch (mimeType) {
    case 'application/vnd.google-apps.document': return 'document';
    case 'application/vnd.google-apps.spreadsheet': return 'spreadsheet';
    case 'application/vnd.google-apps.presentation': return 'presentation';
    case 'application/pdf': return 'pdf';
    case 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': return 'msexcel';
    case 'image/png': return 'image';
    default: return 'unknown';
  }
}

/** Drive audit's `visibility` value for a permission set, most exposed first. */
export function visibilityOf(perms: DrivePermission[]): string {
  if (perms.some((p) => p.type === 'anyone' && p.allowFileDiscovery)) return 'public_on_the_web';
  if (perms.some((p) => p.type === 'anyone')) return 'people_with_link';
  if (perms.some((p) => (p.type === 'user' || p.type === 'group') && p.emailAddress && !p.emailAddress.endsWith(`@${DOMAIN}`))) return 'shared_externally';
  if (perms.some((p) => p.type === 'domain' && p.allowFileDiscovery)) return 'public_in_the_domain';
  if (perms.some((p) => p.type === 'domain')) return 'people_within_domain_with_link';
  if (perms.some((p) => p.type === 'user' && p.role !== 'owner')) return 'shared_internally';
  return 'private';
}

/** The parameters every Drive audit event carries about its document. */
export function docParams(s: DriveState): GoogleActivityParameter[] {
  return [
    bool('primary_event', true),
    bool('billable', true),
    str('owner', s.owner.email),
    bool('owner_is_shared_drive', false),
    str('doc_id', s.file.id),
    str('doc_type', docType(s.file.mimeType)),
    str('doc_title', s.file.name),
    str('visibility', visibilityOf(s.permissions)),
    bool('actor_is_collaborator_account', false),
  ];
}

export function userPermission(email: string, role: DrivePermission['role'], displayName?: string): DrivePermission {
  return {
    kind: 'drive#permission',
    id: permissionIdFor(email),
    type: 'user',
    role,
    emailAddress: email,
    ...(displayName ? { displayName } : {}),
    deleted: false,
    pendingOwner: false,
  };
}

export function toDriveFile(s: DriveState): DriveFile {
  const f = s.file;
  const view =
    f.mimeType === 'application/vnd.google-apps.document' ? `https://docs.google.com/document/d/${f.id}/edit?usp=drivesdk`
    : f.mimeType === 'application/vnd.google-apps.spreadsheet' ? `https://docs.google.com/spreadsheets/d/${f.id}/edit?usp=drivesdk`
    : f.mimeType === 'application/vnd.google-apps.presentation' ? `https://docs.google.com/presentation/d/${f.id}/edit?usp=drivesdk`
    : `https://drive.google.com/file/d/${f.id}/view?usp=drivesdk`;
  return {
    kind: 'drive#file',
    id: f.id,
    name: f.name,
    mimeType: f.mimeType,
    owners: [{ kind: 'drive#user', displayName: s.owner.name, emailAddress: s.owner.email, permissionId: permissionIdFor(s.owner.email), me: false }],
    permissions: s.permissions.map((p) => ({ ...p })),
    shared: s.permissions.length > 1,
    trashed: false,
    createdTime: new Date(s.createdTime).toISOString(),
    modifiedTime: new Date(s.modifiedTime).toISOString(),
    size: String(f.size),
    webViewLink: view,
    parents: [s.parent],
    ...(s.md5 ? { md5Checksum: s.md5 } : {}),
    ...(s.content !== undefined ? { content: s.content } : {}),
  };
}

const DROPBOX_CATEGORY: Record<DropboxEventType, DropboxTeamEvent['event_category']['.tag']> = {
  login_success: 'logins',
  login_fail: 'logins',
  file_preview: 'file_operations',
  file_download: 'file_operations',
  file_edit: 'file_operations',
  file_delete: 'file_operations',
  shared_link_create: 'sharing',
  shared_content_add_member: 'sharing',
};

/** Dropbox's own descriptions of the event types, as get_events returns them. */
const DROPBOX_DESCRIPTION: Record<DropboxEventType, string> = {
  login_success: 'Signed in',
  login_fail: 'Failed to sign in',
  file_preview: 'Previewed files and/or folders',
  file_download: 'Downloaded files and/or folders',
  file_edit: 'Edited files',
  file_delete: 'Deleted files and/or folders',
  shared_link_create: 'Created shared link',
  shared_content_add_member: 'Added users and/or groups to shared file/folder',
};

export type DropboxDevice = 'web' | 'desktop' | 'mobile';

export function dropboxMember(u: ScenarioUser): DropboxTeamMember {
  return { '.tag': 'team_member', account_id: u.dropboxAccountId, display_name: u.name, email: u.email, team_member_id: u.dropboxTeamMemberId };
}

/** Sessions are stable per user and device, as a browser or desktop client keeps its session. */
export function sessionId(email: string, device: DropboxDevice): string {
  const prefix = device === 'web' ? 'dbwsid' : device === 'desktop' ? 'dbdsid' : 'dbmsid';
  return `${prefix}:${digits(new Rng(hashSeed(`${device}:${email}`)), 39)}`;
}

export function dropboxAsset(f: ScenarioFile, nsId: string): DropboxFileAsset {
  const relative = `/${f.name}`;
  return {
    '.tag': 'file',
    path: { contextual: f.path ?? relative, namespace_relative: { ns_id: nsId, relative_path: relative, is_shared_namespace: true } },
    display_name: f.name,
    file_id: f.id,
  };
}

export function dropboxEvent(args: {
  t: number;
  type: DropboxEventType;
  user: ScenarioUser;
  ip: string;
  geo: IpInfo;
  device: DropboxDevice;
  assets?: DropboxFileAsset[];
  participants?: DropboxTeamEvent['participants'];
  details?: Record<string, unknown>;
}): DropboxTeamEvent {
  const participants = args.participants ?? [];
  const member = dropboxMember(args.user);
  return {
    // Dropbox timestamps have second precision.
    timestamp: new Date(Math.floor(args.t / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    event_category: { '.tag': DROPBOX_CATEGORY[args.type] },
    actor: { '.tag': 'user', user: member },
    origin: {
      geo_location: { city: args.geo.city, region: args.geo.region, country: args.geo.country, ip_address: args.ip },
      access_method: { '.tag': 'end_user', end_user: { '.tag': args.device, session_id: sessionId(args.user.email, args.device) } },
    },
    involve_non_team_member: participants.some((p) => p.user['.tag'] === 'non_team_member'),
    context: { ...member },
    participants,
    assets: args.assets ?? [],
    event_type: { '.tag': args.type, description: DROPBOX_DESCRIPTION[args.type] },
    details: { '.tag': `${args.type}_details`, ...(args.details ?? {}) },
  };
}
