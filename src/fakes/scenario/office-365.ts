/** Renders the organisation's Microsoft 365 audit trail in the Management Activity API's schema: OneDrive and SharePoint work through each person's working day, Exchange inbox rules, and the file and mail attacks on them. */
import type { Rng } from '../../detection/random.js';
import { guid } from '../microsoft-graph/records.js';
import type { GoogleLogin } from './microsoft.js';
import { DEPARTMENTS, browserOf } from './org.js';
import type { ScenarioUser } from './types.js';

const MINUTE = 60_000;

export type Office365ContentType = 'Audit.SharePoint' | 'Audit.Exchange';

/** One audit record and the content type whose blobs carry it. */
export interface Office365Record {
  contentType: Office365ContentType;
  record: Record<string, unknown>;
}

/** A record with its time in epoch ms, so it can be merged in order without parsing CreationTime back. */
export interface TimedRecord {
  t: number;
  rec: Office365Record;
}

/** A document in a OneDrive or a department's SharePoint library. */
interface O365File {
  name: string;
  /** `Documents/Finance` (OneDrive) or `Shared Documents` (a site). */
  folder: string;
  siteUrl: string;
  siteId: string;
  listId: string;
  itemId: string;
  workload: 'OneDrive' | 'SharePoint';
}

export interface Office365Context {
  tenantId: string;
  domain: string;
  users: readonly ScenarioUser[];
}

/** The tenant's name in its SharePoint hosts: `example.com` → `example`. */
const tenantName = (domain: string) => domain.split('.')[0]!.replace(/[^a-z0-9]/gi, '').toLowerCase() || 'tenant';
/** The zoneless UTC time records carry. */
const recordTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);

const NOUNS = ['Budget', 'Forecast', 'Roadmap', 'Board deck', 'Pipeline', 'Contract', 'Invoice log', 'Headcount plan', 'Pricing', 'Customer list', 'Meeting notes', 'Handbook', 'Release plan', 'Audit evidence'];
const EXTS = ['xlsx', 'docx', 'pptx', 'pdf'];

/** Each department's SharePoint library and each person's OneDrive, named the way people name files. */
export class Libraries {
  readonly #sites = new Map<string, O365File[]>();
  readonly #drives = new Map<string, O365File[]>();

  constructor(rng: Rng, ctx: Office365Context) {
    const host = tenantName(ctx.domain);
    const r = () => rng.next();
    for (const dept of DEPARTMENTS) {
      const siteUrl = `https://${host}.sharepoint.com/sites/${dept}`;
      const siteId = guid(r);
      const listId = guid(r);
      const files: O365File[] = [];
      for (let k = 0; k < 120; k++) {
        const name = `${dept} ${rng.pick(NOUNS)} ${2023 + rng.int(3)}-${String(1 + rng.int(12)).padStart(2, '0')}.${rng.pick(EXTS)}`;
        files.push({ name, folder: 'Shared Documents', siteUrl, siteId, listId, itemId: guid(r), workload: 'SharePoint' });
      }
      this.#sites.set(dept, files);
    }
    for (const u of ctx.users) {
      const siteUrl = `https://${host}-my.sharepoint.com/personal/${u.email.replace(/[@.]/g, '_')}`;
      const siteId = guid(r);
      const listId = guid(r);
      const files: O365File[] = [];
      for (let k = 0, n = 15 + rng.int(30); k < n; k++) {
        const name = `${rng.pick(NOUNS)} ${rng.pick(['draft', 'v2', 'final', 'notes', 'copy'])}.${rng.pick(EXTS)}`;
        files.push({ name, folder: `Documents/${u.department}`, siteUrl, siteId, listId, itemId: guid(r), workload: 'OneDrive' });
      }
      this.#drives.set(u.email, files);
    }
  }

  /** Mostly the person's own OneDrive, else their department's site. */
  pick(rng: Rng, u: ScenarioUser): O365File {
    const own = this.#drives.get(u.email)!;
    return rng.chance(0.6) ? rng.pick(own) : rng.pick(this.#sites.get(u.department)!);
  }

  /** Everything a person can reach: their OneDrive and their department's library. */
  reachable(u: ScenarioUser): O365File[] {
    return [...this.#drives.get(u.email)!, ...this.#sites.get(u.department)!];
  }
}

/** A SharePoint/OneDrive file or sharing record (RecordType 6 SharePointFileOperation, 14 SharePointSharingOperation). */
function fileRecord(r: () => number, ctx: Office365Context, s: { operation: string; t: number; user: ScenarioUser; ip: string; file: O365File; target?: { name: string; type: 'Member' | 'Guest' } }): Office365Record {
  const sharing = s.target !== undefined;
  const ext = s.file.name.slice(s.file.name.lastIndexOf('.') + 1);
  return {
    contentType: 'Audit.SharePoint',
    record: {
      CreationTime: recordTime(s.t),
      Id: guid(r),
      Operation: s.operation,
      OrganizationId: ctx.tenantId,
      RecordType: sharing ? 14 : 6,
      UserKey: `i:0h.f|membership|${s.user.entraObjectId.replace(/-/g, '').slice(0, 16)}@live.com`,
      UserType: 0,
      Version: 1,
      Workload: s.file.workload,
      ClientIP: s.ip,
      ObjectId: `${s.file.siteUrl}/${s.file.folder}/${s.file.name}`,
      UserId: s.user.email,
      CorrelationId: guid(r),
      EventSource: 'SharePoint',
      ItemType: 'File',
      ListId: s.file.listId,
      ListItemUniqueId: s.file.itemId,
      Site: s.file.siteId,
      UserAgent: browserOf(s.user),
      WebId: s.file.siteId,
      SourceFileExtension: ext,
      SiteUrl: `${s.file.siteUrl}/`,
      SourceFileName: s.file.name,
      SourceRelativeUrl: s.file.folder,
      ...(s.target ? { TargetUserOrGroupName: s.target.name, TargetUserOrGroupType: s.target.type, EventData: '<Type>View</Type><MembersCanShare>Yes</MembersCanShare>' } : {}),
    },
  };
}

/** An inbox rule created in Outlook on the web (New-InboxRule in the Exchange admin audit, RecordType 1). */
function inboxRule(r: () => number, ctx: Office365Context, s: { t: number; user: ScenarioUser; ip: string; name: string; params: Record<string, string> }): Office365Record {
  const org = `${tenantName(ctx.domain)}.onmicrosoft.com`;
  const alias = s.user.email.split('@')[0]!;
  const port = 49152 + Math.floor(r() * 16000);
  return {
    contentType: 'Audit.Exchange',
    record: {
      CreationTime: recordTime(s.t),
      Id: guid(r),
      Operation: 'New-InboxRule',
      OrganizationId: ctx.tenantId,
      RecordType: 1,
      ResultStatus: 'True',
      UserKey: s.user.entraObjectId.replace(/-/g, '').slice(0, 16).toUpperCase(),
      UserType: 0,
      Version: 1,
      Workload: 'Exchange',
      ClientIP: s.ip.includes(':') ? `[${s.ip}]:${port}` : `${s.ip}:${port}`,
      ObjectId: `NAMPR04A002.prod.outlook.com/Microsoft Exchange Hosted Organizations/${org}/${alias}\\${s.name}`,
      UserId: s.user.email,
      AppId: '00000002-0000-0ff1-ce00-000000000000',
      ClientAppId: '',
      ExternalAccess: false,
      OrganizationName: org,
      OriginatingServer: 'SA1PR04MB8317 (15.20.8207.017)',
      Parameters: [{ Name: 'Mailbox', Value: s.user.email }, { Name: 'Name', Value: s.name }, ...Object.entries(s.params).map(([Name, Value]) => ({ Name, Value })), { Name: 'StopProcessingRules', Value: 'True' }],
      SessionId: guid(r),
    },
  };
}

const NEWSLETTERS = ['news@vendor.example', 'digest@industry-weekly.example', 'noreply@events.example', 'updates@saas-tools.example'];
const PARTNER_GUESTS = ['j.doe@contoso.com', 'a.chen@fabrikam.com', 'm.lopez@northwindtraders.com'];

/**
 * Each person's OneDrive and SharePoint work on the days they sign in (the day's first Google login
 * opens it, as `mirrorSignIns` does for Entra), from the same address and browser: documents opened,
 * edited, uploaded and now and then downloaded, deleted or shared with a colleague; the odd new
 * device syncing a few dozen files; and a rare inbox rule filing newsletters or forwarding to a
 * colleague. Records outside `[start, end)` are drawn and dropped, so the window reshuffles nothing.
 */
export function office365Activity(rng: Rng, ctx: Office365Context, logins: readonly GoogleLogin[], window: { start: number; end: number }): { records: TimedRecord[]; libraries: Libraries } {
  const r = () => rng.next();
  const libraries = new Libraries(rng, ctx);
  const out: TimedRecord[] = [];
  const keep = (t: number, rec: Office365Record) => {
    if (t >= window.start && t < window.end) out.push({ t, rec });
  };
  for (const l of logins) {
    if (l.dayEnd === undefined || l.outcome !== 'success') continue;
    const u = l.user;
    const from = l.t + 5 * MINUTE;
    const when = () => rng.uniform(from, Math.max(from + MINUTE, l.dayEnd!));
    const op = (operation: string, t = when()) => keep(t, fileRecord(r, ctx, { operation, t, user: u, ip: l.ip, file: libraries.pick(rng, u) }));
    for (let k = rng.poisson(6); k > 0; k--) op('FileAccessed');
    for (let k = rng.poisson(2.5); k > 0; k--) op('FileModified');
    for (let k = rng.poisson(1); k > 0; k--) op('FileDownloaded');
    for (let k = rng.poisson(0.7); k > 0; k--) op('FileUploaded');
    for (let k = rng.poisson(0.15); k > 0; k--) op('FileRecycled');
    if (rng.chance(0.1)) {
      const colleague = rng.pick(ctx.users);
      const t = when();
      if (colleague !== u) keep(t, fileRecord(r, ctx, { operation: 'SharingInvitationCreated', t, user: u, ip: l.ip, file: libraries.pick(rng, u), target: { name: colleague.email, type: 'Member' } }));
    }
    if (rng.chance(0.01)) {
      const t = when();
      keep(t, fileRecord(r, ctx, { operation: 'SharingInvitationCreated', t, user: u, ip: l.ip, file: libraries.pick(rng, u), target: { name: rng.pick(PARTNER_GUESTS), type: 'Guest' } }));
    }
    // A new laptop's OneDrive client syncing a library: a few dozen files in minutes, below a mass download.
    if (rng.chance(0.003)) {
      const t0 = when();
      for (let k = rng.intBetween(8, 30); k > 0; k--) op('FileSyncDownloadedFull', t0 + rng.uniform(0, 6 * MINUTE));
    }
    if (rng.chance(0.004)) {
      const t = when();
      const sender = rng.pick(NEWSLETTERS);
      keep(t, inboxRule(r, ctx, { t, user: u, ip: l.ip, name: 'Newsletters', params: { From: sender, MoveToFolder: 'Newsletters' } }));
    }
    if (rng.chance(0.001)) {
      const t = when();
      const colleague = rng.pick(ctx.users);
      if (colleague !== u) keep(t, inboxRule(r, ctx, { t, user: u, ip: l.ip, name: 'Cover while away', params: { ForwardTo: colleague.email } }));
    }
  }
  return { records: out.sort((a, b) => a.t - b.t), libraries };
}

/** A person (or whoever holds their session) downloading `count` documents they can reach in `spanMs`. */
export function oneDriveMassDownload(rng: Rng, ctx: Office365Context, libraries: Libraries, a: { user: ScenarioUser; ip: string; t0: number; count: number; spanMs: number }): TimedRecord[] {
  const r = () => rng.next();
  const files = rng.sample(libraries.reachable(a.user), Math.min(a.count, libraries.reachable(a.user).length));
  const times = files.map(() => a.t0 + rng.uniform(0, a.spanMs)).sort((x, y) => x - y);
  return files.map((file, k) => ({ t: Math.floor(times[k]!), rec: fileRecord(r, ctx, { operation: 'FileDownloaded', t: Math.floor(times[k]!), user: a.user, ip: a.ip, file }) }));
}

/**
 * The business-email-compromise rule: named "." so it hides in the rule list, forwarding every
 * message to an outside mailbox, marking it read and deleting it.
 */
export function forwardingRule(rng: Rng, ctx: Office365Context, a: { user: ScenarioUser; ip: string; t: number; to: string }): Office365Record {
  return inboxRule(() => rng.next(), ctx, { t: a.t, user: a.user, ip: a.ip, name: '.', params: { ForwardTo: `smtp:${a.to}`, MarkAsRead: 'True', DeleteMessage: 'True' } });
}
