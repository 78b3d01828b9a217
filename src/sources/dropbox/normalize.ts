/** Maps one Dropbox team_log TeamEvent onto the SecurityEvent schema, or says why it cannot. */
import type { ErrorCode, EventOutcome, SecurityEvent } from '../../core/index.js';
import { errors, eventId } from '../../core/index.js';
import { setLabel, utcMs } from '../normalize-parts.js';

export const PROVIDER = 'dropbox';

export type NormalizeResult = { ok: true; event: SecurityEvent; ms: number } | { ok: false; code: ErrorCode; reason: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const tagOf = (v: unknown): string | undefined => str(obj(v)?.['.tag']);

/** Dropbox categories → ECS event.category; unknown ones keep Dropbox's name rather than being guessed. */
const CATEGORY: Record<string, string> = {
  logins: 'authentication',
  tfa: 'authentication',
  sso: 'authentication',
  passwords: 'iam',
  file_operations: 'file',
  sharing: 'file',
  file_requests: 'file',
  team_folders: 'file',
  members: 'iam',
  groups: 'iam',
  team_policies: 'configuration',
  team_profile: 'configuration',
  devices: 'host',
  apps: 'configuration',
  admin_alerting: 'threat',
  domains: 'configuration',
  trusted_teams: 'configuration',
};

/** Sharing events in which content is granted to someone: external when a non-team member is involved. */
const SHARE_GRANTS = new Set([
  'shared_content_add_member', 'shared_content_add_invitees', 'shared_content_relinquish_membership', 'sf_add_group',
  'sf_external_invite_warn', 'sf_invite_group', 'sf_team_invite', 'shared_folder_nest', 'file_request_create',
]);

/**
 * The acting user: Dropbox puts it in `actor.user`, `actor.admin`, or (for app actions and
 * failed logins) only in `context`.
 */
function actingUser(e: Obj): Obj | undefined {
  const actor = obj(e.actor);
  const tag = tagOf(actor);
  if (actor && tag) {
    const inner = obj(actor[tag]);
    if (inner && (str(inner.email) || str(inner.account_id))) return inner;
    // `actor: {'.tag':'app', app:...}` acting for a member: the member is the context.
  }
  const ctx = obj(e.context);
  if (ctx && (str(ctx.email) || str(ctx.account_id))) return ctx;
  return undefined;
}

/** The member a share or invite targets: a non-team member first, since that is what a security team looks for. */
function targetEmail(e: Obj): string | undefined {
  const users = (Array.isArray(e.participants) ? e.participants : [])
    .map((p) => obj(obj(p)?.user))
    .filter((u): u is Obj => u !== undefined && str(u.email) !== undefined);
  const external = users.find((u) => tagOf(u) === 'non_team_member' || tagOf(u) === 'trusted_non_team_member');
  return str((external ?? users[0])?.email);
}

/** A setting's value as Dropbox logs it: a tagged union (`{".tag": "disabled"}`), or a plain string or boolean. */
function settingValue(v: unknown): string | undefined {
  if (typeof v === 'boolean') return String(v);
  return str(v) ?? tagOf(v);
}

/**
 * The meaning of security-setting and app events, as labels rules can read without knowing each
 * details type: a setting's new and previous value (2-step verification disabled, SSO optional, a
 * member raised to team_admin, links public by default), the app linked, Dropbox's own alert.
 */
function settingLabels(details: Obj, labels: Record<string, string>): void {
  const next = settingValue(details.new_value);
  const prev = settingValue(details.previous_value);
  if (next !== undefined) labels.new_value = next;
  if (prev !== undefined) labels.previous_value = prev;
  const app = obj(details.app_info);
  if (app) {
    const name = str(app.display_name);
    const id = str(app.app_id);
    if (name) labels.app_name = name;
    if (id) labels.app_id = id;
    if (tagOf(app)) labels.app_kind = tagOf(app)!;
  }
  const alert = str(details.alert_name);
  if (alert) {
    labels.alert_name = alert;
    for (const key of ['alert_severity', 'alert_category'] as const) {
      const v = settingValue(details[key]);
      if (v) labels[key] = v;
    }
    const id = str(details.alert_instance_id);
    if (id) labels.alert_id = id;
  }
}

/** An asset's path (contextual, else namespace-relative) and its last component or display name. */
function itemPath(asset: Obj): { path?: string; name?: string } {
  const path = obj(asset.path);
  const p = str(path?.contextual) ?? str(obj(path?.namespace_relative)?.relative_path);
  const name = str(asset.display_name) ?? (p ? p.slice(p.lastIndexOf('/') + 1) || undefined : undefined);
  return { ...(p ? { path: p } : {}), ...(name ? { name } : {}) };
}

/**
 * The first source/destination pair of a relocation (file_rename, file_move, file_copy; Dropbox's
 * RelocateAssetReferencesLogInfo, a list), when both indices point into the assets list.
 */
function relocation(details: Obj, assetCount: number): { src: number; dest: number } | undefined {
  const listed = details.relocate_action_details;
  // Documented as a list; a lone object is read the same way rather than dropped.
  const first = obj(Array.isArray(listed) ? listed[0] : listed);
  const src = first?.src_asset_index;
  const dest = first?.dest_asset_index;
  const ok = (i: unknown): i is number => typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < assetCount;
  return ok(src) && ok(dest) ? { src, dest } : undefined;
}

function outcomeOf(action: string): EventOutcome {
  return /_fail(ed|ure)?$|_fail_/.test(action) ? 'failure' : 'success';
}

/** event.id of a team_log record: core eventId over the whole raw event, so re-deliveries and overlaps dedupe. */
export function dropboxEventId(raw: unknown): string {
  return eventId(PROVIDER, raw);
}

export function normalizeTeamEvent(raw: unknown, ingested: string): NormalizeResult {
  if (!isObj(raw)) return { ok: false, code: 'INPUT_MALFORMED', reason: 'team_log event is not a JSON object' };
  const ms = utcMs(raw.timestamp) ?? NaN;
  if (!Number.isFinite(ms)) {
    return { ok: false, code: 'TIMESTAMP_INVALID', reason: `team_log event has no valid timestamp (got ${JSON.stringify(raw.timestamp)})` };
  }
  const action = tagOf(raw.event_type);
  if (action === undefined) return { ok: false, code: 'FIELD_MISSING', reason: 'team_log event has no event_type[".tag"]' };
  const dbxCategory = tagOf(raw.event_category) ?? 'other';
  const details = obj(raw.details) ?? {};
  const labels: Record<string, string> = { dropbox_category: dbxCategory };

  const event: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    event: {
      id: dropboxEventId(raw),
      kind: 'event',
      category: [CATEGORY[dbxCategory] ?? dbxCategory],
      action,
      outcome: outcomeOf(action),
      provider: PROVIDER,
      dataset: `${PROVIDER}.${dbxCategory}`,
      ingested,
    },
    raw,
  };

  const who = actingUser(raw);
  if (who) {
    const user: NonNullable<SecurityEvent['user']> = {};
    const email = str(who.email);
    const id = str(who.team_member_id) ?? str(who.account_id);
    const name = str(who.display_name);
    if (email) user.email = email;
    if (id) user.id = id;
    if (name) user.name = name;
    event.user = user;
  }

  const origin = obj(raw.origin);
  const geo = obj(origin?.geo_location);
  const ip = str(geo?.ip_address);
  if (ip) {
    event.source = { ip };
    const city = str(geo?.city);
    const country = str(geo?.country);
    if (city || country) event.source.geo = { ...(city ? { city_name: city } : {}), ...(country ? { country_iso_code: country } : {}) };
  }
  const access = tagOf(origin?.access_method);
  if (access) labels.access_method = access;

  const assets = (Array.isArray(raw.assets) ? raw.assets : []).map(obj);
  const isItem = (a: Obj | undefined): a is Obj => a !== undefined && (tagOf(a) === 'file' || tagOf(a) === 'folder');
  // A rename, move or copy lists the item before and after in `assets`, paired by index in
  // relocate_action_details: the event is about the item as it now is, and what it was stays a label.
  const moved = relocation(details, assets.length);
  const dest = moved ? assets[moved.dest] : undefined;
  const asset = isItem(dest) ? dest : assets.find(isItem);
  if (asset) {
    const { path: p, name } = itemPath(asset);
    const file: NonNullable<SecurityEvent['file']> = {};
    const id = str(asset.file_id);
    if (id) file.id = id;
    if (p) file.path = p;
    if (name) file.name = name;
    if (typeof asset.file_size === 'number') file.size = asset.file_size;
    event.file = file;
    labels.asset_type = tagOf(asset)!;
    const src = moved && moved.src !== moved.dest ? assets[moved.src] : undefined;
    if (isItem(src)) {
      const before = itemPath(src);
      if (before.path && before.path !== p) labels.previous_path = before.path;
      if (before.name && before.name !== name) labels.previous_name = before.name;
    }
  }

  // An admin acting on a member (role change, 2-step verification reset, sign-in-as): Dropbox names the
  // admin in `actor` and the member acted on in `context`.
  const ctx = obj(raw.context);
  const ctxEmail = tagOf(ctx) === 'team_member' ? str(ctx?.email) : undefined;
  const actedOn = ctxEmail !== undefined && ctxEmail !== event.user?.email ? ctxEmail : undefined;
  settingLabels(details, labels);

  const external = raw.involve_non_team_member === true;
  if (typeof raw.involve_non_team_member === 'boolean') labels.external = String(external);
  // An ownership transfer names the new owner in its details, and may list no participants at all.
  const target = str(details.new_owner_email) ?? targetEmail(raw) ?? actedOn;
  setLabel(labels, 'previous_owner', details.previous_owner_email);
  if (target) event.target = { user: { email: target } };

  if (action === 'login_success' || action === 'login_fail') {
    event.event.category = ['authentication'];
    const method = tagOf(details.login_method);
    if (method) labels.login_method = method;
    const why = str(obj(details.error_details)?.user_friendly_message);
    if (why) labels.failure_reason = why;
  } else if (action === 'shared_link_change_visibility') {
    const to = tagOf(details.new_value);
    const from = tagOf(details.previous_value);
    if (to) event.share = { visibility: to };
    if (from) labels.previous_visibility = from;
  } else if (action === 'shared_link_create') {
    const level = tagOf(details.shared_link_access_level);
    if (level) labels.access_level = level;
    // Dropbox logs the new link's visibility only on later changes; a create is at least a link.
    event.share = { visibility: 'link' };
  } else if (SHARE_GRANTS.has(action)) {
    const level = tagOf(details.shared_content_access_level);
    if (level) labels.access_level = level;
    event.share = { visibility: external ? 'external' : 'internal' };
  }
  // Where Dropbox does name the link (team invite links, some link events), keep it.
  const link = str(details.shared_link_url) ?? str(details.link_url);
  if (link) event.share = { ...event.share, link };

  const ips = ip ? [ip] : [];
  const users = [event.user?.email, target].filter((u): u is string => u !== undefined);
  if (ips.length || users.length) event.related = { ...(ips.length ? { ip: ips } : {}), ...(users.length ? { user: [...new Set(users)] } : {}) };
  event.labels = labels;
  return { ok: true, event, ms };
}

/** A rule example's team_log TeamEvent at `time` (see SourcePlugin.example); Dropbox stamps whole seconds. */
export function normalizeExample(record: Record<string, unknown>, time: string): SecurityEvent[] {
  const r = normalizeTeamEvent({ ...record, timestamp: time.replace(/\.\d{3}Z$/, 'Z') }, time);
  if (!r.ok) throw errors.inputMalformed({ where: '', problem: `the Dropbox normalizer rejected the record: ${r.reason}` });
  return [r.event];
}
