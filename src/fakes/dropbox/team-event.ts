/** The Dropbox team_log TeamEvent wire shape, and a seeded generator of realistic events for the fake and tests. */

/** A Dropbox union value: `{'.tag': name, ...fields}`. */
export interface Tagged {
  '.tag': string;
  [field: string]: unknown;
}

export interface TeamLogUser {
  '.tag'?: string;
  account_id?: string;
  display_name?: string;
  email?: string;
  team_member_id?: string;
}

export interface TeamLogAsset {
  '.tag': string;
  path?: { contextual?: string; namespace_relative?: { ns_id?: string; relative_path?: string; is_shared_namespace?: boolean } };
  display_name?: string;
  file_id?: string;
  file_size?: number;
}

/**
 * One event of `team_log/get_events`, as the API sends it. Typed loosely where Dropbox has hundreds
 * of variants (details, actor kinds), since the fake must carry whatever a test puts in.
 */
export interface TeamEvent {
  /** `2024-05-06T09:12:44Z`: Dropbox timestamps have no fraction of a second. */
  timestamp: string;
  event_category: Tagged;
  event_type: Tagged & { description: string };
  details: Tagged;
  actor?: Tagged;
  context?: Tagged;
  origin?: {
    access_method: Tagged;
    geo_location?: { ip_address: string; city?: string; region?: string; country?: string };
  };
  assets?: TeamLogAsset[];
  participants?: Tagged[];
  involve_non_team_member?: boolean;
}

/** Small deterministic PRNG so generated data (and a failing test) reproduces. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Dropbox's timestamp format: UTC, whole seconds. */
export function dropboxTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

interface Member {
  account_id: string;
  display_name: string;
  email: string;
  team_member_id: string;
  ip: string;
  city: string;
  country: string;
}

const FIRST = ['Alice', 'Bob', 'Carol', 'Dan', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj'];
const LAST = ['Martin', 'Nguyen', 'Okafor', 'Schmidt', 'Rossi', 'Kowalski', 'Tanaka', 'Dubois'];
const PLACES: Array<[string, string]> = [['Paris', 'FR'], ['London', 'GB'], ['Berlin', 'DE'], ['New York', 'US'], ['Tokyo', 'JP']];
const FOLDERS = ['/Finance', '/Engineering/specs', '/Sales/contracts', '/HR/reviews', '/Marketing/assets'];
const FILES = ['q3-forecast.xlsx', 'design-v2.pdf', 'contract-acme.docx', 'salaries-2024.csv', 'launch-plan.pptx', 'notes.txt'];
const EXTERNAL = ['partner@contoso.example', 'consultant@fabrikam.example', 'someone@gmail.example'];

/** Event types the generator produces, with Dropbox's category and description for each. */
const TYPES: Array<{ tag: string; category: string; description: string; weight: number }> = [
  { tag: 'file_download', category: 'file_operations', description: 'Downloaded files and/or folders', weight: 6 },
  { tag: 'file_preview', category: 'file_operations', description: 'Previewed files and/or folders', weight: 6 },
  { tag: 'file_delete', category: 'file_operations', description: 'Deleted files and/or folders', weight: 2 },
  { tag: 'file_permanently_delete', category: 'file_operations', description: 'Permanently deleted files and/or folders', weight: 1 },
  { tag: 'file_rename', category: 'file_operations', description: 'Renamed files and/or folders', weight: 1 },
  { tag: 'shared_content_add_member', category: 'sharing', description: 'Added users and/or groups to shared file/folder', weight: 2 },
  { tag: 'shared_link_create', category: 'sharing', description: 'Created shared link', weight: 2 },
  { tag: 'shared_link_change_visibility', category: 'sharing', description: 'Changed visibility of shared link', weight: 1 },
  { tag: 'login_success', category: 'logins', description: 'Signed in', weight: 3 },
  { tag: 'login_fail', category: 'logins', description: 'Failed to sign in', weight: 1 },
];
const TOTAL_WEIGHT = TYPES.reduce((n, t) => n + t.weight, 0);

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function members(r: () => number, n: number): Member[] {
  return Array.from({ length: n }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const [city, country] = pick(r, PLACES);
    const hex = (i + 1).toString(16).padStart(4, '0');
    return {
      account_id: `dbid:AAB${hex}x2Kq9mZp7Yw3VtLr0sNc4uEiF${hex}`,
      display_name: `${first} ${last}`,
      email: `${first.toLowerCase()}.${last.toLowerCase()}${i >= FIRST.length * LAST.length ? i : ''}@example.com`,
      team_member_id: `dbmid:AAC${hex}Hh5Tr8WqLx1Pz6Nk3Yb0Vm7Sd${hex}`,
      ip: `198.51.100.${(i % 250) + 1}`,
      city,
      country,
    };
  });
}

function teamMember(m: Member, tag = 'team_member'): Tagged {
  return { '.tag': tag, account_id: m.account_id, display_name: m.display_name, email: m.email, team_member_id: m.team_member_id };
}

/**
 * `count` events for a team of `teamSize`, spread over `spanMs` from `start`, in the order they
 * reach Dropbox's log (roughly by time, late ones out of order). Every event is distinct (its own timestamp second, session and file id), so a test can
 * count exactly-once storage by content.
 */
export function generateTeamEvents(opts: {
  count: number;
  start: number;
  spanMs?: number;
  seed?: number;
  teamSize?: number;
  /** Longest delay between an event and its arrival in the log (default 10 minutes). */
  maxLateMs?: number;
}): TeamEvent[] {
  const r = seededRandom(opts.seed ?? 1);
  const team = members(r, opts.teamSize ?? 25);
  const span = Math.max(opts.spanMs ?? 3_600_000, opts.count * 1000);
  // Distinct whole seconds, so no two events can serialize identically.
  const step = Math.floor(span / opts.count / 1000) * 1000 || 1000;
  const out: TeamEvent[] = [];
  for (let i = 0; i < opts.count; i++) {
    let w = r() * TOTAL_WEIGHT;
    const type = TYPES.find((t) => (w -= t.weight) < 0) ?? TYPES[0]!;
    const m = pick(r, team);
    const ts = dropboxTimestamp(opts.start + i * step);
    const session = `dbwsid:${(1e15 + Math.floor(r() * 9e15)).toString()}${i}`;
    const origin = {
      access_method: { '.tag': 'end_user', end_user: { '.tag': 'web', session_id: session } },
      geo_location: { ip_address: m.ip, city: m.city, region: '', country: m.country },
    };
    const base = {
      timestamp: ts,
      event_category: { '.tag': type.category },
      event_type: { '.tag': type.tag, description: type.description },
      origin,
    };
    const folder = pick(r, FOLDERS);
    const name = pick(r, FILES);
    const asset: TeamLogAsset = {
      '.tag': 'file',
      path: { contextual: `${folder}/${name}`, namespace_relative: { ns_id: '1912345678', relative_path: `${folder}/${name}`, is_shared_namespace: true } },
      display_name: name,
      file_id: `id:a4ayc_80_OEAAAAAAAA${String(i).padStart(6, '0')}`,
    };
    const actor: Tagged = { '.tag': 'user', user: teamMember(m) };
    const context: Tagged = teamMember(m);
    let ev: TeamEvent;
    if (type.tag === 'login_success' || type.tag === 'login_fail') {
      const details: Tagged = { '.tag': `${type.tag}_details`, is_emm_managed: false, login_method: { '.tag': pick(r, ['password', 'two_factor_authentication', 'saml']) } };
      if (type.tag === 'login_fail') {
        details.error_details = { user_friendly_message: 'Invalid email or password', technical_error_message: 'auth.invalid_credentials' };
      }
      ev = { ...base, details, actor, context, assets: [], participants: [], involve_non_team_member: false };
    } else if (type.tag === 'shared_content_add_member') {
      const external = r() < 0.5;
      const target = external
        ? { '.tag': 'non_team_member', account_id: `dbid:AAE${i}ext`, display_name: 'External Guest', email: pick(r, EXTERNAL) }
        : teamMember(pick(r, team));
      ev = {
        ...base,
        details: { '.tag': 'shared_content_add_member_details', shared_content_access_level: { '.tag': pick(r, ['viewer', 'editor']) } },
        actor, context, assets: [asset],
        participants: [{ '.tag': 'user', user: target }],
        involve_non_team_member: external,
      };
    } else if (type.tag === 'shared_link_create') {
      ev = {
        ...base,
        details: { '.tag': 'shared_link_create_details', shared_link_access_level: { '.tag': 'reader' } },
        actor, context, assets: [asset], participants: [], involve_non_team_member: false,
      };
    } else if (type.tag === 'shared_link_change_visibility') {
      ev = {
        ...base,
        details: { '.tag': 'shared_link_change_visibility_details', new_value: { '.tag': pick(r, ['public', 'team_only', 'password']) }, previous_value: { '.tag': 'team_only' } },
        actor, context, assets: [asset], participants: [], involve_non_team_member: false,
      };
    } else {
      const details: Tagged = { '.tag': `${type.tag}_details` };
      const assets = [asset];
      if (type.tag === 'file_rename') {
        // As Dropbox logs it: the item before and after, paired by index (RelocateAssetReferencesLogInfo).
        const renamed = name.replace(/(\.[^.]*)?$/, ' (final)$1');
        assets.push({ ...asset, path: { contextual: `${folder}/${renamed}`, namespace_relative: { ns_id: '1912345678', is_shared_namespace: true, relative_path: `${folder}/${renamed}` } }, display_name: renamed });
        details.relocate_action_details = [{ src_asset_index: 0, dest_asset_index: 1 }];
      }
      ev = { ...base, details, actor, context, assets, participants: [], involve_non_team_member: false };
    }
    out.push(ev);
  }
  // Dropbox appends events as they reach its log, which is not time order: some arrive up to
  // `maxLateMs` late. Arrival order here is event time plus a random lateness.
  const maxLate = opts.maxLateMs ?? 600_000;
  const arrival = new Map(out.map((e) => [e, Date.parse(e.timestamp) + Math.floor(r() * maxLate)]));
  out.sort((a, b) => arrival.get(a)! - arrival.get(b)!);
  return out;
}
