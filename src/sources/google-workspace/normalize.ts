/** Turns Reports activities (one SecurityEvent per nested event item) and Drive changes into normalized events. */
import type { DeadLetterInput, EventOutcome, SecurityEvent } from '../../core/index.js';
import { errors, eventId } from '../../core/index.js';
import type { ActivityLike, ActivityParameterLike, DriveChangeLike, DriveFileLike } from './wire.js';

export const PROVIDER = 'google-workspace';

const CATEGORY: Record<string, string[]> = {
  login: ['authentication'],
  saml: ['authentication'],
  drive: ['file'],
  admin: ['iam'],
  token: ['iam'],
  user_accounts: ['iam'],
  groups: ['iam'],
  groups_enterprise: ['iam'],
  mobile: ['host'],
  chrome: ['host'],
};

/** Parameters copied into labels when present (names as Google spells them, lower-cased). */
const LABEL_PARAMS = [
  'login_type', 'login_challenge_method', 'login_challenge_status', 'login_failure_type', 'is_suspicious', 'is_second_factor',
  'doc_type', 'visibility_change', 'old_visibility', 'old_value', 'new_value', 'target_domain', 'primary_event', 'originating_app_id',
  'client_id', 'app_name', 'scope', 'client_type', 'ROLE_NAME', 'SETTING_NAME', 'APPLICATION_NAME', 'GROUP_EMAIL', 'ORG_UNIT_NAME',
  'OLD_VALUE', 'NEW_VALUE',
];

/** A parameter's value as a string, whichever typed field carries it; lists joined with commas. */
export function paramString(p: ActivityParameterLike | undefined): string | undefined {
  if (!p) return undefined;
  if (typeof p.value === 'string') return p.value;
  if (typeof p.boolValue === 'boolean') return String(p.boolValue);
  if (typeof p.intValue === 'string' || typeof p.intValue === 'number') return String(p.intValue);
  if (Array.isArray(p.multiValue)) return p.multiValue.join(',');
  if (Array.isArray(p.multiIntValue)) return p.multiIntValue.join(',');
  return undefined;
}

function outcomeOf(app: string, name: string, params: Map<string, ActivityParameterLike>): EventOutcome {
  if (app === 'login') {
    if (name === 'login_failure') return 'failure';
    if (name === 'login_success' || name === 'logout') return 'success';
    if (name === 'login_challenge' || name === 'login_verification') {
      const status = paramString(params.get('login_challenge_status'))?.toLowerCase() ?? '';
      if (status.includes('fail')) return 'failure';
      if (status.includes('pass')) return 'success';
    }
    return 'unknown';
  }
  // Other applications record actions that took place; a refusal is its own event name (e.g. token `deny`).
  if (app === 'token' && name === 'deny') return 'failure';
  return 'success';
}

/** The new visibility of a Drive item: the change's new value, else the visibility the event reports. */
function visibilityOf(name: string, params: Map<string, ActivityParameterLike>): string | undefined {
  if (name === 'change_document_visibility') {
    const nv = params.get('new_value')?.multiValue?.[0] ?? paramString(params.get('new_value'));
    if (nv) return nv;
  }
  return paramString(params.get('visibility'));
}

/** The activity narrowed to one event item: what the event's id hashes and what `raw` keeps. */
export function narrowActivity(activity: ActivityLike, index: number): Record<string, unknown> {
  // etag changes from one response to the next for the same activity; hashing it would defeat dedupe.
  const { etag: _etag, events, ...rest } = activity;
  return { ...rest, events: [events?.[index]], eventIndex: index };
}

export type NormalizeOutcome = { events: SecurityEvent[]; deadLetters: DeadLetterInput[] };

/**
 * Every item of `events[]` is its own SecurityEvent: Google groups several actions (a view and a
 * download, a visibility change and a share) into one activity, and detectors count actions.
 */
export function normalizeActivity(activity: ActivityLike, ctx: { source: string; application: string; ingested: string; page?: string }): NormalizeOutcome {
  const out: NormalizeOutcome = { events: [], deadLetters: [] };
  const time = activity?.id?.time;
  const ms = typeof time === 'string' ? Date.parse(time) : NaN;
  const app = activity?.id?.applicationName ?? ctx.application;
  const items = Array.isArray(activity?.events) ? activity.events : [];
  const dead = (code: string, reason: string): NormalizeOutcome => {
    out.deadLetters.push({
      source: ctx.source,
      code,
      reason,
      payload: JSON.stringify(activity),
      ...(ctx.page ? { position: { page: ctx.page } } : {}),
    });
    return out;
  };
  if (!Number.isFinite(ms)) return dead('TIMESTAMP_INVALID', `${app} activity without a valid id.time: ${JSON.stringify(time)}`);
  if (items.length === 0) return dead('FIELD_MISSING', `${app} activity ${activity.id?.uniqueQualifier ?? '?'} has no events`);
  const timestamp = new Date(ms).toISOString();
  const actorEmail = activity.actor?.email;
  const ip = activity.ipAddress;

  items.forEach((item, index) => {
    // Google always names events; an unnamed one still counts, under a name that says so.
    const name = item.name ?? 'unnamed';
    const params = new Map<string, ActivityParameterLike>((item.parameters ?? []).map((p) => [p.name ?? '', p]));
    const raw = narrowActivity(activity, index);
    const labels: Record<string, string> = {};
    if (item.type) labels.event_type = item.type;
    for (const name of LABEL_PARAMS) {
      const v = paramString(params.get(name));
      if (v !== undefined) labels[name.toLowerCase()] = v;
    }
    if (activity.actor?.callerType) labels.caller_type = activity.actor.callerType;
    const targetEmail = paramString(params.get('target_user')) ?? paramString(params.get('USER_EMAIL'));
    const e: SecurityEvent = {
      '@timestamp': timestamp,
      event: {
        id: eventId(PROVIDER, raw),
        kind: 'event',
        category: CATEGORY[app] ?? ['configuration'],
        action: name,
        outcome: outcomeOf(app, name, params),
        provider: PROVIDER,
        dataset: `${PROVIDER}.${app}`,
        ingested: ctx.ingested,
      },
      raw,
    };
    if (actorEmail || activity.actor?.profileId) {
      e.user = {};
      if (actorEmail) e.user.email = actorEmail;
      if (activity.actor?.profileId) e.user.id = activity.actor.profileId;
    }
    if (ip) e.source = { ip };
    const docId = paramString(params.get('doc_id'));
    if (docId !== undefined) {
      e.file = { id: docId };
      const title = paramString(params.get('doc_title'));
      const owner = paramString(params.get('owner'));
      if (title !== undefined) e.file.name = title;
      if (owner !== undefined) e.file.owner = owner;
    }
    const visibility = visibilityOf(name, params);
    if (visibility !== undefined) e.share = { visibility };
    if (targetEmail) e.target = { user: { email: targetEmail } };
    const users = [actorEmail, targetEmail].filter((u): u is string => !!u);
    if (users.length || ip) {
      e.related = {};
      if (ip) e.related.ip = [ip];
      if (users.length) e.related.user = [...new Set(users)];
    }
    if (Object.keys(labels).length) e.labels = labels;
    out.events.push(e);
  });
  return out;
}

/** Drive's sharing state in Reports' vocabulary, so rules can compare changes with activities. */
export function visibilityFromPermissions(file: DriveFileLike, orgDomain: string | undefined): string {
  const perms = (file.permissions ?? []).filter((p) => !p.deleted);
  if (perms.some((p) => p.type === 'anyone')) {
    return perms.some((p) => p.type === 'anyone' && p.allowFileDiscovery) ? 'public_on_the_web' : 'people_with_link';
  }
  const external = perms.some((p) => {
    const d = p.type === 'domain' ? p.domain : p.emailAddress?.split('@')[1];
    return orgDomain !== undefined && typeof d === 'string' && d.toLowerCase() !== orgDomain;
  });
  if (external) return 'shared_externally';
  if (perms.some((p) => p.type === 'domain')) return 'shared_internally';
  return perms.some((p) => p.role !== 'owner') ? 'shared_internally' : 'private';
}

/** One Drive change (a file's new state, or its removal) as a `state` event. */
export function normalizeChange(change: DriveChangeLike, ctx: { source: string; ingested: string; orgDomain: string | undefined }): NormalizeOutcome {
  const ms = typeof change.time === 'string' ? Date.parse(change.time) : NaN;
  if (!Number.isFinite(ms) || typeof change.fileId !== 'string') {
    return {
      events: [],
      deadLetters: [{ source: ctx.source, code: 'FIELD_MISSING', reason: 'Drive change without time or fileId', payload: JSON.stringify(change) }],
    };
  }
  const file = change.file;
  const action = change.removed ? 'drive.file_removed' : file?.trashed ? 'drive.file_trashed' : 'drive.file_changed';
  const e: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    event: {
      id: eventId(PROVIDER, change),
      kind: 'state',
      category: ['file'],
      action,
      outcome: 'success',
      provider: PROVIDER,
      dataset: `${PROVIDER}.drive_changes`,
      ingested: ctx.ingested,
    },
    file: { id: change.fileId },
    raw: change,
  };
  if (file) {
    if (typeof file.name === 'string') e.file!.name = file.name;
    if (typeof file.mimeType === 'string') e.file!.mime_type = file.mimeType;
    const owner = file.owners?.[0]?.emailAddress;
    if (owner) e.file!.owner = owner;
    if (file.size !== undefined && Number.isFinite(Number(file.size))) e.file!.size = Number(file.size);
    e.share = { visibility: visibilityFromPermissions(file, ctx.orgDomain) };
    const grantees = (file.permissions ?? []).map((p) => p.emailAddress).filter((x): x is string => !!x);
    if (owner || grantees.length) e.related = { user: [...new Set([...(owner ? [owner] : []), ...grantees])] };
  }
  return { events: [e], deadLetters: [] };
}

/** A rule example's Reports activity at `time` (see SourcePlugin.example); each of its events[] becomes one event. */
export function normalizeExample(record: Record<string, unknown>, time: string): SecurityEvent[] {
  const id: Record<string, unknown> = { ...(record.id as Record<string, unknown> | undefined), time };
  const activity = { ...record, id } as ActivityLike;
  const r = normalizeActivity(activity, { source: 'rules-test', application: String(id.applicationName ?? 'admin'), ingested: time });
  if (r.deadLetters.length) throw errors.inputMalformed({ where: '', problem: `the Google normalizer rejected the record: ${r.deadLetters[0]!.reason}` });
  return r.events;
}
