/** Maps Office 365 Management Activity API audit records (SharePoint/OneDrive, Exchange, Entra, general) onto the SecurityEvent schema, or says why a record cannot be. */
import { isIP } from 'node:net';
import type { ErrorCode, EventOutcome, SecurityEvent } from '../../core/index.js';
import { errors, eventId } from '../../core/index.js';
import { related, setLabel, utcMs } from '../normalize-parts.js';

export const PROVIDER = 'office-365';

export type NormalizeResult = { ok: true; event: SecurityEvent; ms: number } | { ok: false; code: ErrorCode; reason: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const fail = (code: ErrorCode, reason: string): NormalizeResult => ({ ok: false, code, reason });
/** `local@domain.tld`, checked in code rather than by a pattern with adjacent overlapping quantifiers (quadratic on a long near-miss). */
function looksLikeEmail(v: string | undefined): v is string {
  if (v === undefined || /\s/.test(v)) return false;
  const at = v.indexOf('@');
  if (at <= 0 || at !== v.lastIndexOf('@')) return false;
  const dot = v.lastIndexOf('.');
  return dot > at + 1 && dot < v.length - 1;
}

/** Records name their time in UTC without a zone (`2026-11-03T09:12:44`); some add `Z`. Only that ISO form is a CreationTime; utcMs reads it. */
export function creationMs(v: unknown): number | undefined {
  const s = str(v);
  if (!s || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$/.test(s)) return undefined;
  return utcMs(s);
}

/**
 * Exchange writes `ClientIP` with a port (`203.0.113.7:49152`, `[2001:db8::7]:443`) and often as an
 * IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, also bracketed with a port): the IPv4 address alone
 * is what rules and GeoIP want. Anything else that is not an address (`localhost`, a host name) is no
 * source.ip.
 */
export function clientIp(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(s);
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(s);
  let ip = bracketed ? bracketed[1]! : v4port ? v4port[1]! : s;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  return isIP(ip) ? ip : undefined;
}

/** What a SharePoint/OneDrive file operation does, in the words the Drive and Dropbox events use. */
const FILE_ACTIVITY: Record<string, string> = {
  FileDownloaded: 'download',
  FileSyncDownloadedFull: 'download',
  FileSyncDownloadedPartial: 'download',
  FileAccessed: 'view',
  FileAccessedExtended: 'view',
  FilePreviewed: 'view',
  FileUploaded: 'upload',
  FileSyncUploadedFull: 'upload',
  FileSyncUploadedPartial: 'upload',
  FileModified: 'modify',
  FileModifiedExtended: 'modify',
  FileDeleted: 'delete',
  FileDeletedFirstStageRecycleBin: 'delete',
  FileDeletedSecondStageRecycleBin: 'delete',
  FileRecycled: 'delete',
  FolderDeleted: 'delete',
  FolderRecycled: 'delete',
  FileRenamed: 'rename',
  FolderRenamed: 'rename',
  FileMoved: 'move',
  FolderMoved: 'move',
  FileCopied: 'copy',
  SharingSet: 'share',
  SharingInvitationCreated: 'share',
  AnonymousLinkCreated: 'share',
  CompanyLinkCreated: 'share',
  SecureLinkCreated: 'share',
  AddedToSecureLink: 'share',
  AnonymousLinkUsed: 'link_used',
  CompanyLinkUsed: 'link_used',
  SecureLinkUsed: 'link_used',
};

/** TargetUserOrGroupType values that are outside the organization. */
const EXTERNAL_TARGETS = new Set(['guest', 'partner']);

/** Dataset (and Sigma service) of a record, by the content type it is read from or its workload. */
export function datasetOf(raw: Obj, contentType?: string): string {
  switch (contentType) {
    case 'Audit.SharePoint':
      return 'sharepoint';
    case 'Audit.Exchange':
      return 'exchange';
    case 'Audit.AzureActiveDirectory':
      return 'azure_active_directory';
    case 'Audit.General':
      return 'general';
  }
  const w = str(raw.Workload);
  if (w === 'SharePoint' || w === 'OneDrive') return 'sharepoint';
  if (w === 'Exchange') return 'exchange';
  if (w === 'AzureActiveDirectory') return 'azure_active_directory';
  return 'general';
}

/** ECS category of a workload whose operations saaswatch does not model one by one (Audit.General). */
const WORKLOAD_CATEGORY: Record<string, string> = {
  SharePoint: 'file',
  OneDrive: 'file',
  Exchange: 'email',
  AzureActiveDirectory: 'iam',
  MicrosoftTeams: 'session',
  SecurityComplianceCenter: 'configuration',
  ThreatIntelligence: 'threat',
  MicrosoftDefenderForOffice: 'threat',
  PowerBI: 'web',
  MicrosoftForms: 'web',
  MicrosoftFlow: 'web',
  PowerApps: 'web',
  Yammer: 'web',
  MicrosoftStream: 'web',
};

function outcomeOf(operation: string, status: string | undefined): EventOutcome {
  if (operation === 'UserLoginFailed') return 'failure';
  if (status === undefined) return 'success';
  const s = status.toLowerCase();
  if (s === 'succeeded' || s === 'success' || s === 'true' || s === 'partiallysucceeded') return 'success';
  if (s === 'failed' || s === 'failure' || s === 'false') return 'failure';
  return 'unknown';
}

/** Exchange cmdlet parameters (`[{Name, Value}]`) by name, case-insensitively (PowerShell's parameter names are). */
function parameters(raw: Obj): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(raw.Parameters)) return out;
  for (const p of raw.Parameters) {
    if (!isObj(p)) continue;
    const name = str(p.Name);
    const value = typeof p.Value === 'string' ? p.Value : typeof p.Value === 'number' || typeof p.Value === 'boolean' ? String(p.Value) : undefined;
    if (name && value !== undefined) out.set(name.toLowerCase(), value);
  }
  return out;
}

/** `ExtendedProperties` / `OperationProperties` (`[{Name, Value}]`) by name. */
function nameValues(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(v)) return out;
  for (const p of v) if (isObj(p) && str(p.Name) && typeof p.Value === 'string') out.set(str(p.Name)!, p.Value);
  return out;
}

/**
 * Forwarding destinations of a cmdlet value. Outlook on the web writes a recipient with its display
 * name, `"Ana Silva" [SMTP:ana@fabrikam.example]`, and an address may also come as `Name <addr>`: when
 * any is tagged so, every tagged address is taken, wherever the separators (and the commas inside
 * display names) fall. Otherwise the list is split on `;` (Exchange's separator for multi-valued
 * parameters) and `,`. Quotes and `smtp:` prefixes are dropped.
 */
export function addresses(v: string | undefined): string[] {
  if (!v) return [];
  const tagged = [...v.matchAll(/\[smtp:([^\]]*)\]|<([^<>]*)>/gi)].map((m) => (m[1] ?? m[2] ?? '').trim());
  const parts = tagged.length ? tagged : v.split(/[;,]/);
  return parts.map((a) => a.trim().replace(/^"|"$/g, '').trim().replace(/^smtp:/i, '').trim()).filter((a) => a !== '');
}

const domainOf = (a: string): string | undefined => (a.includes('@') ? a.slice(a.lastIndexOf('@') + 1).toLowerCase() : undefined);

/** The mailbox a cmdlet acts on: `Mailbox`, or `Identity` (an inbox rule's is `<mailbox>\\<rule name>`), when it is an address. */
function mailboxOf(params: Map<string, string>): string | undefined {
  const v = params.get('mailbox') ?? params.get('identity')?.split('\\')[0];
  return looksLikeEmail(v) ? v : undefined;
}

/** The destinations of forwarded mail as email.to (where ECS puts a message's recipients) and labels, with whether any is outside `mailbox`'s domain. */
function setForwarding(event: SecurityEvent, labels: Record<string, string>, forwards: string[], mailbox: string | undefined): void {
  const dests = [...new Set(forwards)];
  if (!dests.length) return;
  event.email = { to: { address: dests } };
  labels.forwarding_address = dests.join(',');
  const home = domainOf(mailbox ?? '');
  labels.forwarding_external = String(dests.some((d) => domainOf(d) !== undefined && domainOf(d) !== home));
}

/** Every address-looking string anywhere under `v` (bounded depth: a rule's JSON is a few levels deep). */
function addressesIn(v: unknown, out: string[], depth = 0): void {
  if (depth > 8) return;
  if (typeof v === 'string') {
    for (const a of addresses(v)) if (looksLikeEmail(a)) out.push(a);
  } else if (Array.isArray(v)) {
    for (const x of v) addressesIn(x, out, depth + 1);
  } else if (isObj(v)) {
    for (const x of Object.values(v)) addressesIn(x, out, depth + 1);
  }
}

/**
 * Where an UpdateInboxRules rule sends mail: the recipients of its forward, redirect or delegate
 * actions, read from the `ServerRule` property (the rule as JSON, `Actions[].Recipients[]`), else
 * any address in `RuleActions`. Conditions ("from ana@...") are never read: they are not destinations.
 */
function ruleRecipients(props: Map<string, string>): string[] {
  const out: string[] = [];
  const server = props.get('ServerRule');
  let parsed: unknown;
  try {
    parsed = server ? JSON.parse(server) : undefined;
  } catch {
    parsed = undefined;
  }
  const actions = isObj(parsed) && Array.isArray(parsed.Actions) ? parsed.Actions : [];
  for (const a of actions) if (isObj(a)) addressesIn(a.Recipients, out);
  if (!out.length) {
    const text = props.get('RuleActions');
    // Free text ("ForwardToRecipientsAction: evil@x.example"): words that are addresses.
    if (text && /forward|redirect|delegate/i.test(text)) for (const w of text.split(/[\s;,()[\]<>"':]+/)) if (looksLikeEmail(w)) out.push(w);
  }
  return out;
}

/** Cmdlet parameters that send a mailbox's mail elsewhere. */
const FORWARD_PARAMS = ['ForwardTo', 'ForwardAsAttachmentTo', 'RedirectTo', 'ForwardingSmtpAddress', 'ForwardingAddress'];

function exchange(raw: Obj, operation: string, event: SecurityEvent, labels: Record<string, string>, actor: string | undefined): string | undefined {
  const params = parameters(raw);
  let target: string | undefined;
  if (operation === 'New-InboxRule' || operation === 'Set-InboxRule' || operation === 'Set-Mailbox' || operation === 'New-TransportRule' || operation === 'Set-TransportRule') {
    event.event.category = ['email', 'configuration'];
    const forwards: string[] = [];
    for (const p of FORWARD_PARAMS) {
      const list = addresses(params.get(p.toLowerCase()));
      if (list.length) labels[`o365.${p}`] = list.join(',');
      forwards.push(...list);
    }
    // Outside means another domain than the mailbox's own: its owner, the cmdlet's Mailbox or Identity, else whoever ran it.
    setForwarding(event, labels, forwards, str(raw.MailboxOwnerUPN) ?? mailboxOf(params) ?? actor);
    setLabel(labels, 'o365.DeleteMessage', params.get('deletemessage'));
    setLabel(labels, 'o365.DeliverToMailboxAndForward', params.get('delivertomailboxandforward'));
    setLabel(labels, 'o365.rule_name', params.get('name'));
    target = mailboxOf(params);
  } else if (operation === 'Add-MailboxPermission' || operation === 'Add-RecipientPermission' || operation === 'Add-MailboxFolderPermission') {
    event.event.category = ['iam'];
    const mailbox = params.get('identity');
    target = looksLikeEmail(mailbox) ? mailbox : str(raw.ObjectId);
    setLabel(labels, 'o365.grantee', params.get('user') ?? params.get('trustee'));
    setLabel(labels, 'o365.AccessRights', params.get('accessrights'));
  } else if (operation === 'UpdateInboxRules') {
    // A rule made in Outlook for Windows (MAPI), not by cmdlet: no Parameters, the rule in OperationProperties.
    event.event.category = ['email', 'configuration'];
    const props = nameValues(raw.OperationProperties);
    setLabel(labels, 'o365.rule_name', props.get('RuleName'));
    setLabel(labels, 'o365.RuleOperation', props.get('RuleOperation'));
    setLabel(labels, 'o365.LogonType', raw.LogonType);
    setLabel(labels, 'o365.ClientInfoString', raw.ClientInfoString);
    // Removing a rule forwards nothing, whatever recipients the record still lists.
    if (props.get('RuleOperation') !== 'RemoveMailboxRule') setForwarding(event, labels, ruleRecipients(props), str(raw.MailboxOwnerUPN) ?? actor);
    target = str(raw.MailboxOwnerUPN) ?? (looksLikeEmail(actor) ? actor : undefined);
  } else if (params.size) {
    event.event.category = ['configuration'];
    const id = params.get('identity');
    if (looksLikeEmail(id)) target = id;
  } else {
    // Mailbox audit records (MailItemsAccessed, Send, SoftDelete...): the mailbox is the owner's.
    event.event.category = ['email'];
    target = str(raw.MailboxOwnerUPN);
    setLabel(labels, 'o365.LogonType', raw.LogonType);
    setLabel(labels, 'o365.ClientInfoString', raw.ClientInfoString);
    const props = nameValues(raw.OperationProperties);
    setLabel(labels, 'o365.MailAccessType', props.get('MailAccessType'));
    setLabel(labels, 'o365.IsThrottled', props.get('IsThrottled'));
    const item = isObj(raw.Item) ? raw.Item : undefined;
    const mid = str(item?.InternetMessageId);
    if (mid) event.email = { message_id: mid };
    if (Array.isArray(raw.Folders)) labels['o365.folder_count'] = String(raw.Folders.length);
  }
  return target;
}

/** The last path segment of an item URL (`https://.../Shared Documents/Q3%20plan.xlsx` → `Q3 plan.xlsx`), when ObjectId is a URL. */
function lastSegment(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\//i.test(url)) return undefined;
  const path = url.split(/[?#]/)[0]!.replace(/\/+$/, '');
  const seg = path.slice(path.lastIndexOf('/') + 1);
  if (!seg || path.lastIndexOf('/') < path.indexOf('//') + 2) return undefined;
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function sharepoint(raw: Obj, operation: string, event: SecurityEvent, labels: Record<string, string>): string | undefined {
  const activity = FILE_ACTIVITY[operation];
  event.event.category = ['file'];
  if (activity) labels.activity = activity;
  setLabel(labels, 'o365.SiteUrl', raw.SiteUrl);
  setLabel(labels, 'o365.ItemType', raw.ItemType);
  setLabel(labels, 'o365.EventSource', raw.EventSource);
  const objectId = str(raw.ObjectId);
  // Sharing records (SharingSet, AnonymousLinkCreated...) often carry no SourceFileName: the item's
  // URL (ObjectId) ends with it.
  const name = str(raw.SourceFileName) ?? (str(raw.ItemType) !== 'Web' && str(raw.ItemType) !== 'Site' ? lastSegment(objectId) : undefined);
  const file: NonNullable<SecurityEvent['file']> = {};
  const id = str(raw.ListItemUniqueId) ?? objectId;
  if (id) file.id = id;
  // The item's URL (ObjectId) is its path: unique per file, as Drive's doc id and Dropbox's path are.
  const site = str(raw.SiteUrl);
  const rel = str(raw.SourceRelativeUrl);
  const siteRoot = site?.replace(/\/+$/, '');
  const path = objectId ?? (siteRoot && rel && name ? `${siteRoot}/${rel}/${name}` : undefined);
  if (path) file.path = path;
  // A rename's SourceFileName is the name the item had and DestinationFileName the one it has now:
  // the event names the item as it is (as Drive's and Dropbox's renames do), path and name alike,
  // and keeps the old ones. Without DestinationFileName the record is read as it stands.
  const renamedTo = activity === 'rename' ? str(raw.DestinationFileName) : undefined;
  if (renamedTo) {
    file.name = renamedTo;
    if (name && name !== renamedTo) labels.previous_name = name;
    const destRel = str(raw.DestinationRelativeUrl) ?? rel;
    const renamedPath = siteRoot && destRel ? `${siteRoot}/${destRel}/${renamedTo}` : path?.replace(/[^/]*$/, renamedTo);
    if (renamedPath && renamedPath !== path) {
      file.path = renamedPath;
      if (path) labels.previous_path = path;
    }
  } else if (name) file.name = name;
  if (Object.keys(file).length) event.file = file;
  setLabel(labels, 'o365.DestinationFileName', raw.DestinationFileName);
  setLabel(labels, 'o365.DestinationRelativeUrl', raw.DestinationRelativeUrl);

  const targetName = str(raw.TargetUserOrGroupName);
  const targetType = str(raw.TargetUserOrGroupType);
  setLabel(labels, 'o365.TargetUserOrGroupType', targetType);
  setLabel(labels, 'o365.TargetUserOrGroupName', targetName);
  if (operation === 'AnonymousLinkCreated' || operation === 'AnonymousLinkUsed' || operation === 'AnonymousLinkUpdated') {
    event.share = { visibility: 'public' };
  } else if (operation === 'CompanyLinkCreated' || operation === 'CompanyLinkUsed') {
    event.share = { visibility: 'internal' };
  } else if (activity === 'share' || operation === 'SecureLinkUsed') {
    const external = (targetType !== undefined && EXTERNAL_TARGETS.has(targetType.toLowerCase())) || (targetName !== undefined && /#ext#/i.test(targetName));
    event.share = { visibility: external ? 'external' : targetName || targetType ? 'internal' : 'link' };
  }
  return looksLikeEmail(targetName) ? targetName : undefined;
}

function azureAd(raw: Obj, operation: string, event: SecurityEvent, labels: Record<string, string>): string | undefined {
  const props = nameValues(raw.ExtendedProperties);
  if (operation === 'UserLoggedIn' || operation === 'UserLoginFailed') {
    event.event.category = ['authentication'];
    setLabel(labels, 'o365.LogonError', raw.LogonError);
    setLabel(labels, 'o365.ErrorNumber', raw.ErrorNumber);
    setLabel(labels, 'o365.ResultStatusDetail', props.get('ResultStatusDetail'));
    setLabel(labels, 'o365.RequestType', props.get('RequestType'));
    setLabel(labels, 'o365.ApplicationId', raw.ApplicationId);
  } else {
    event.event.category = ['iam'];
  }
  const ua = props.get('UserAgent');
  if (ua) event.user_agent = { original: ua };
  if (!event.source?.ip) {
    const ip = clientIp(raw.ActorIpAddress);
    if (ip) event.source = { ip };
  }
  // The Target list names the object acted upon several ways (its object id, its UPN...): the UPN is who.
  const targets = Array.isArray(raw.Target) ? raw.Target : [];
  for (const t of targets) {
    const id = isObj(t) ? str(t.ID) : undefined;
    if (looksLikeEmail(id)) return id;
  }
  return undefined;
}

/**
 * Who a Teams membership operation (MemberAdded, MemberRoleChanged, MemberRemoved) acted on: the
 * `Members[].UPN` of the Microsoft Teams schema, a guest being `#EXT#` in it, lower-cased (the first
 * is the target; all of them a label, and related). Other general records name nobody: empty.
 */
function teamsMembers(raw: Obj, labels: Record<string, string>): string[] {
  if (!Array.isArray(raw.Members)) return [];
  const upns = [...new Set(raw.Members.map((m) => (isObj(m) ? str(m.UPN) : undefined)).filter(looksLikeEmail).map((u) => u.toLowerCase()))];
  if (!upns.length) return [];
  labels['o365.members'] = upns.join(',');
  if (upns.some((u) => u.includes('#ext#'))) labels['o365.member_external'] = 'true';
  setLabel(labels, 'o365.TeamName', raw.TeamName);
  return upns;
}

/** Normalizes one audit record; `contentType` is the feed it was read from (examples infer it from the workload). */
export function normalizeRecord(raw: unknown, ingested: string, contentType?: string): NormalizeResult {
  if (!isObj(raw)) return fail('INPUT_MALFORMED', 'audit record is not a JSON object');
  const ms = creationMs(raw.CreationTime);
  if (ms === undefined) return fail('TIMESTAMP_INVALID', `audit record has no valid CreationTime (got ${JSON.stringify(raw.CreationTime)?.slice(0, 40)})`);
  const id = str(raw.Id);
  if (!id) return fail('FIELD_MISSING', 'audit record has no Id');
  const operation = str(raw.Operation);
  if (!operation) return fail('FIELD_MISSING', 'audit record has no Operation');
  const workload = str(raw.Workload);
  const dataset = datasetOf(raw, contentType);
  const labels: Record<string, string> = {};
  setLabel(labels, 'workload', workload);
  setLabel(labels, 'o365.RecordType', raw.RecordType);
  setLabel(labels, 'o365.UserType', raw.UserType);
  setLabel(labels, 'o365.OrganizationId', raw.OrganizationId);
  setLabel(labels, 'o365.ResultStatus', raw.ResultStatus);
  const event: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    // The record's own Id: a blob listed again, or a record in two blobs, is the same event.
    event: { id: eventId(PROVIDER, { Id: id }), kind: 'event', category: [WORKLOAD_CATEGORY[workload ?? ''] ?? 'configuration'], action: operation, outcome: outcomeOf(operation, str(raw.ResultStatus)), provider: PROVIDER, dataset: `${PROVIDER}.${dataset}`, ingested },
    raw,
  };
  const userId = str(raw.UserId);
  if (userId) {
    event.user = looksLikeEmail(userId) ? { email: userId.toLowerCase() } : { name: userId };
    const key = str(raw.UserKey);
    if (key) event.user.id = key;
  }
  const ip = clientIp(raw.ClientIP) ?? clientIp(raw.ClientIPAddress);
  if (ip) event.source = { ip };
  const ua = str(raw.UserAgent);
  if (ua) event.user_agent = { original: ua };

  let target: string | undefined;
  let members: string[] = [];
  if (dataset === 'sharepoint') target = sharepoint(raw, operation, event, labels);
  else if (dataset === 'exchange') target = exchange(raw, operation, event, labels, userId);
  else if (dataset === 'azure_active_directory') target = azureAd(raw, operation, event, labels);
  else {
    members = teamsMembers(raw, labels);
    target = members[0];
  }
  if (target) event.target = { user: { email: target.toLowerCase() } };
  const rel = related([event.source?.ip], [event.user?.email, event.target?.user?.email, ...(event.email?.to?.address ?? []), ...members]);
  if (rel) event.related = rel;
  event.labels = labels;
  return { ok: true, event, ms };
}

/**
 * A rule example's audit record at `time` (see SourcePlugin.example): the record as the content
 * blob holds it, its CreationTime set to `time` in the API's zoneless UTC form.
 */
export function normalizeExample(record: Record<string, unknown>, time: string): SecurityEvent[] {
  const r = normalizeRecord({ ...record, CreationTime: new Date(Date.parse(time)).toISOString().slice(0, 19) }, time);
  if (!r.ok) throw errors.inputMalformed({ where: '', problem: `the office-365 normalizer rejected the record: ${r.reason}` });
  return [r.event];
}
