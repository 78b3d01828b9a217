/** Builders for sensitive-files tests and fixtures: Drive activities through the real Google normalizer, and the scanner's `file_classified` event as API.md shapes it. */
import { eventId, type FileClassification, type SecurityEvent, type Sensitivity } from '../../core/index.js';
import { normalizeActivity } from '../../sources/google-workspace/normalize.js';

export const ORG = 'example.com';

type Param = { name: string; value?: string; multiValue?: string[]; boolValue?: boolean };

/** One Reports drive activity (Admin SDK Reports API `activities.list`, applicationName drive), normalized. */
export function driveActivity(t: number, actor: string, events: Array<{ type: string; name: string; parameters: Param[] }>, ip = '203.0.113.24'): SecurityEvent[] {
  const activity = {
    kind: 'admin#reports#activity',
    id: { time: new Date(t).toISOString(), uniqueQualifier: String(-4406283021637288170n + BigInt(t)), applicationName: 'drive', customerId: 'C03az79cb' },
    actor: { email: actor, profileId: `1142094178622${String(actor.length).padStart(8, '0')}` },
    ipAddress: ip,
    ownerDomain: ORG,
    events,
  };
  return normalizeActivity(activity as never, { source: 'google', application: 'drive', ingested: new Date(t + 60_000).toISOString() }).events;
}

export interface DriveDoc {
  id: string;
  title: string;
  owner: string;
  type?: string;
  visibility?: string;
}

const docParams = (d: DriveDoc, visibility = d.visibility ?? 'private'): Param[] => [
  { name: 'primary_event', boolValue: true },
  { name: 'owner', value: d.owner },
  { name: 'doc_id', value: d.id },
  { name: 'doc_type', value: d.type ?? 'spreadsheet' },
  { name: 'doc_title', value: d.title },
  { name: 'visibility', value: visibility },
];

/** Drive's link share: the access scope, then the visibility, in one activity. */
export function makePublic(t: number, actor: string, d: DriveDoc, to: 'people_with_link' | 'public_on_the_web' = 'people_with_link'): SecurityEvent[] {
  return driveActivity(t, actor, [
    { type: 'acl_change', name: 'change_document_access_scope', parameters: [...docParams(d), { name: 'old_value', multiValue: ['none'] }, { name: 'new_value', multiValue: ['can_view'] }, { name: 'visibility_change', value: 'external' }] },
    { type: 'acl_change', name: 'change_document_visibility', parameters: [...docParams(d, to), { name: 'old_value', multiValue: ['private'] }, { name: 'new_value', multiValue: [to] }, { name: 'visibility_change', value: 'external' }] },
  ]);
}

/** change_user_access granting (or, with `none`, removing) a user's access. */
export function shareWith(t: number, actor: string, d: DriveDoc, target: string, access: 'can_view' | 'can_edit' | 'none' = 'can_view'): SecurityEvent[] {
  const external = !target.endsWith(`@${ORG}`);
  return driveActivity(t, actor, [
    {
      type: 'acl_change',
      name: 'change_user_access',
      parameters: [
        ...docParams(d, external && access !== 'none' ? 'shared_externally' : 'private'),
        { name: 'target_user', value: target },
        { name: 'old_value', multiValue: [access === 'none' ? 'can_view' : 'none'] },
        { name: 'new_value', multiValue: [access] },
        { name: 'visibility_change', value: external ? 'external' : 'none' },
      ],
    },
  ]);
}

export function access(t: number, actor: string, d: DriveDoc, name: 'view' | 'download' | 'edit'): SecurityEvent[] {
  return driveActivity(t, actor, [{ type: 'access', name, parameters: docParams(d) }]);
}

/**
 * The scanner's event for one scanned version of a Drive file (API.md, slice D): level and counts on
 * the event, the masked classification as `raw`, the inventory's visibility when known.
 */
export function classifiedEvent(t: number, d: DriveDoc, c: { sensitivity: Sensitivity; counts: Record<string, number>; samples?: Record<string, string[]>; visibility?: string; contentHash?: string }): SecurityEvent {
  const ts = new Date(t).toISOString();
  const raw: FileClassification = { sensitivity: c.sensitivity, entities: { counts: c.counts, samples: c.samples ?? {} }, contentHash: c.contentHash ?? `md5:${d.id.slice(0, 8)}`, scannedAt: ts };
  const e: SecurityEvent = {
    '@timestamp': ts,
    event: { id: eventId('google-workspace', { file_classified: `google-drive:${d.id}`, contentHash: raw.contentHash, scannedAt: raw.scannedAt }), kind: 'event', category: ['file'], action: 'file_classified', outcome: 'success', provider: 'google-workspace', dataset: 'google-workspace.pii', ingested: ts },
    file: { id: d.id, name: d.title, owner: d.owner, mime_type: 'application/vnd.google-apps.spreadsheet', sensitivity: c.sensitivity, pii: c.counts },
    raw,
  };
  if (c.visibility) e.share = { visibility: c.visibility };
  return e;
}
