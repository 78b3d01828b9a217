/** The fake Dropbox team's members, files, shared links and file members, with the team/members and sharing RPC routes the response actions call, in Dropbox's wire shapes. */
import { createHash, randomBytes } from 'node:crypto';
import { HttpError } from '../http.js';
import type { Tagged, TeamEvent } from './team-event.js';

export type FakeMemberStatus = 'active' | 'invited' | 'suspended' | 'removed';
export type FakeMemberRole = 'member_only' | 'team_admin' | 'user_management_admin' | 'support_admin';
export type FakeLinkVisibility = 'public' | 'team_only' | 'password';
export type FakeAccessLevel = 'owner' | 'editor' | 'viewer';

export interface FakeDropboxMember {
  email: string;
  team_member_id: string;
  account_id: string;
  display_name: string;
  /** Default active. */
  status?: FakeMemberStatus;
  /** Default member_only. */
  role?: FakeMemberRole;
}

export interface FakeDropboxLink {
  /** The link itself: a bearer secret in real life. */
  url: string;
  visibility: FakeLinkVisibility;
}

export interface FakeDropboxFileMember {
  email: string;
  access: FakeAccessLevel;
  /** Access that comes from a parent shared folder: Dropbox cannot remove it from the file. */
  inherited?: boolean;
}

export interface FakeDropboxFile {
  /** `id:...`, as team_log assets carry it. */
  id: string;
  name: string;
  /** Display path (`/Finance/payroll.xlsx`); `/<name>` when absent. */
  path?: string;
  /** Email of the team member who owns the file: the member whose select-user sees and manages it (with its editors), while active. */
  owner: string;
  links?: FakeDropboxLink[];
  /** Members other than the owner. */
  members?: FakeDropboxFileMember[];
  /** The file's bytes, served by files/download (empty when absent). */
  content?: Buffer | Uint8Array | string;
  /** Whole-second UTC, e.g. `2026-01-05T09:00:00Z` (default that). */
  server_modified?: string;
}

/** Scopes a fresh token has: everything saaswatch can ask for. */
export const ALL_SCOPES = ['events.read', 'members.read', 'members.write', 'sharing.read', 'sharing.write', 'team_data.member', 'files.metadata.read', 'files.content.read'] as const;

/** The scope each route needs, as Dropbox's API reference lists it. */
export const ROUTE_SCOPES: Record<string, string> = {
  '/2/team_log/get_events': 'events.read',
  '/2/team_log/get_events/continue': 'events.read',
  '/2/team/members/get_info_v2': 'members.read',
  '/2/team/members/suspend': 'members.write',
  '/2/team/members/unsuspend': 'members.write',
  '/2/sharing/list_shared_links': 'sharing.read',
  '/2/sharing/list_file_members': 'sharing.read',
  '/2/sharing/revoke_shared_link': 'sharing.write',
  '/2/sharing/remove_file_member_2': 'sharing.write',
  '/2/files/get_metadata': 'files.metadata.read',
  '/2/files/download': 'files.content.read',
};

/** Routes served on the content host (content.dropboxapi.com): arguments in the Dropbox-API-Arg header, bytes in the body. */
export const CONTENT_ROUTES = new Set(['/2/files/download']);

/** Routes that act on one member's Dropbox: a team token must name the member with Dropbox-API-Select-User. */
const USER_ROUTES = new Set([
  '/2/sharing/list_shared_links', '/2/sharing/list_file_members', '/2/sharing/revoke_shared_link', '/2/sharing/remove_file_member_2',
  '/2/files/get_metadata', '/2/files/download',
]);

/** Dropbox's block size for content_hash: 4 MiB. */
const HASH_BLOCK = 4 * 1024 * 1024;

/**
 * Dropbox's content_hash: the SHA-256 of the concatenated SHA-256 digests of each 4 MiB block, in
 * hex (https://www.dropbox.com/developers/reference/content-hash). An empty file hashes no blocks.
 */
export function dropboxContentHash(data: Uint8Array): string {
  const outer = createHash('sha256');
  for (let i = 0; i < data.length; i += HASH_BLOCK) outer.update(createHash('sha256').update(data.subarray(i, i + HASH_BLOCK)).digest());
  return outer.digest('hex');
}

const bytesOf = (c: FakeDropboxFile['content']): Buffer => (c === undefined ? Buffer.alloc(0) : typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c));

const ROLE_NAMES: Record<Exclude<FakeMemberRole, 'member_only'>, string> = {
  team_admin: 'Team',
  user_management_admin: 'User management',
  support_admin: 'Support',
};

/** Dropbox's JSON error envelope: `{error_summary, error}`, the summary being the nested tags. */
export function dropboxError(status: number, error: Tagged, headers: Record<string, string> = {}): HttpError {
  const tags: string[] = [];
  let node: unknown = error;
  while (node !== null && typeof node === 'object' && typeof (node as Tagged)['.tag'] === 'string') {
    const tag = (node as Tagged)['.tag'];
    tags.push(tag);
    node = (node as Tagged)[tag];
  }
  return new HttpError(status, { error_summary: `${tags.join('/')}/..${randomBytes(1).toString('hex')}`, error }, headers);
}

const badInput = (route: string, problem: string) => new HttpError(400, `Error in call to API function "${route.slice(3)}": ${problem}`);

const short = (s: string, n: number) => createHash('sha256').update(s).digest('base64url').slice(0, n);

interface LinkState extends FakeDropboxLink {
  fileId: string;
}

interface FileState {
  id: string;
  name: string;
  path: string;
  owner: string;
  members: FakeDropboxFileMember[];
  content?: Buffer;
  serverModified?: string;
}

export interface FakeTeamOptions {
  events?: readonly TeamEvent[];
  members?: readonly FakeDropboxMember[];
  files?: readonly FakeDropboxFile[];
}

/** What a test reads of the fake team, bypassing the API. */
export interface FakeDropboxTeam {
  member(email: string): (Required<FakeDropboxMember>) | undefined;
  file(id: string): (FakeDropboxFile & { links: FakeDropboxLink[]; members: FakeDropboxFileMember[] }) | undefined;
  addMember(m: FakeDropboxMember): void;
  addFile(f: FakeDropboxFile): void;
  /** Successful requests that changed the team (a suspend, a revoke, a removal); repeats that change nothing do not count. */
  writes: number;
}

/** A link URL shaped like Dropbox's `scl` links, stable for a given file and ordinal. */
export function fakeLinkUrl(fileId: string, name: string, n: number): string {
  return `https://www.dropbox.com/scl/fi/${short(`${fileId}#${n}`, 21).toLowerCase()}/${encodeURIComponent(name)}?rlkey=${short(`rl${fileId}#${n}`, 25).toLowerCase()}&dl=0`;
}

/**
 * Team members and sharing derived from the team log, so the demo's people and files exist: each
 * team member an event names; each file an event touches, owned by whoever first shared it (else
 * whoever first touched it); a public link per shared_link_create, its visibility as the last
 * shared_link_change_visibility set it; a member per shared_content_add_member.
 */
function deriveFromEvents(events: readonly TeamEvent[], addMember: (m: FakeDropboxMember) => void, files: Map<string, FileState>, links: LinkState[]): void {
  const seen = new Set<string>();
  const noteUser = (u: unknown) => {
    const x = u as { '.tag'?: unknown; email?: unknown; team_member_id?: unknown; account_id?: unknown; display_name?: unknown } | undefined;
    if (!x || x['.tag'] !== 'team_member' || typeof x.email !== 'string' || typeof x.team_member_id !== 'string') return;
    const key = x.email.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    addMember({
      email: x.email,
      team_member_id: x.team_member_id,
      account_id: typeof x.account_id === 'string' ? x.account_id : `dbid:${short(key, 40)}`,
      display_name: typeof x.display_name === 'string' ? x.display_name : x.email,
    });
  };
  const sharedBy = new Set<string>();
  for (const e of events) {
    const actor = (e.actor as { user?: { email?: unknown } } | undefined)?.user;
    noteUser(actor);
    noteUser(e.context);
    for (const p of e.participants ?? []) noteUser((p as { user?: unknown }).user);
    const actorEmail = typeof actor?.email === 'string' ? actor.email : undefined;
    const type = e.event_type['.tag'];
    const sharing = type === 'shared_link_create' || type === 'shared_link_change_visibility' || type === 'shared_content_add_member';
    for (const a of e.assets ?? []) {
      if (a['.tag'] !== 'file' || typeof a.file_id !== 'string') continue;
      let f = files.get(a.file_id);
      const name = a.display_name ?? a.path?.contextual?.split('/').pop() ?? a.file_id;
      if (!f) {
        if (!actorEmail) continue;
        f = { id: a.file_id, name, path: a.path?.contextual ?? `/${name}`, owner: actorEmail, members: [] };
        files.set(a.file_id, f);
      }
      if (sharing && actorEmail && !sharedBy.has(f.id)) {
        sharedBy.add(f.id);
        f.owner = actorEmail;
      }
      const fileLinks = () => links.filter((l) => l.fileId === f.id);
      if (type === 'shared_link_create') {
        links.push({ fileId: f.id, url: fakeLinkUrl(f.id, f.name, fileLinks().length), visibility: 'public' });
      } else if (type === 'shared_link_change_visibility') {
        const v = (e.details.new_value as Tagged | undefined)?.['.tag'];
        const visibility: FakeLinkVisibility = v === 'team_only' || v === 'password' ? v : 'public';
        const last = fileLinks().at(-1);
        if (last) last.visibility = visibility;
        else links.push({ fileId: f.id, url: fakeLinkUrl(f.id, f.name, 0), visibility });
      } else if (type === 'shared_content_add_member') {
        const level = (e.details.shared_content_access_level as Tagged | undefined)?.['.tag'];
        for (const p of e.participants ?? []) {
          const email = (p as { user?: { email?: unknown } }).user?.email;
          if (typeof email !== 'string' || email.toLowerCase() === f.owner.toLowerCase()) continue;
          if (f.members.some((m) => m.email.toLowerCase() === email.toLowerCase() && !m.inherited)) continue;
          f.members.push({ email, access: level === 'editor' ? 'editor' : 'viewer' });
        }
      }
    }
  }
}

export interface FakeTeamRoutes {
  team: FakeDropboxTeam;
  /** Answers one route; `selectUser` is the Dropbox-API-Select-User header. Throws HttpError in Dropbox's shapes. */
  handle(path: string, body: Record<string, unknown>, selectUser: string | undefined): unknown;
  /** Checks the select-user header for routes that need one (before the scope check of the route itself, as Dropbox does). */
  checkSelectUser(path: string, selectUser: string | undefined, scopes: ReadonlySet<string>): void;
  /** files/download: the file's metadata (for Dropbox-API-Result) and bytes. Throws HttpError in Dropbox's shapes. */
  download(body: Record<string, unknown>, selectUser: string | undefined): { metadata: Record<string, unknown>; content: Buffer };
}

export function createFakeTeam(opts: FakeTeamOptions): FakeTeamRoutes {
  const members = new Map<string, Required<FakeDropboxMember>>();
  const files = new Map<string, FileState>();
  const links: LinkState[] = [];
  const team: FakeDropboxTeam = {
    member: (email) => {
      const m = members.get(email.toLowerCase());
      return m ? { ...m } : undefined;
    },
    file: (id) => {
      const f = files.get(id);
      if (!f) return undefined;
      return {
        id: f.id, name: f.name, path: f.path, owner: f.owner,
        links: links.filter((l) => l.fileId === id).map((l) => ({ url: l.url, visibility: l.visibility })),
        members: f.members.map((m) => ({ ...m })),
      };
    },
    addMember: (m) => {
      members.set(m.email.toLowerCase(), { status: 'active', role: 'member_only', ...m });
    },
    addFile: (f) => {
      files.set(f.id, {
        id: f.id, name: f.name, path: f.path ?? `/${f.name}`, owner: f.owner, members: (f.members ?? []).map((m) => ({ ...m })),
        ...(f.content === undefined ? {} : { content: bytesOf(f.content) }),
        ...(f.server_modified ? { serverModified: f.server_modified } : {}),
      });
      for (let i = links.length - 1; i >= 0; i--) if (links[i]!.fileId === f.id) links.splice(i, 1);
      for (const l of f.links ?? []) links.push({ ...l, fileId: f.id });
    },
    writes: 0,
  };
  deriveFromEvents(opts.events ?? [], team.addMember, files, links);
  for (const m of opts.members ?? []) team.addMember(m);
  for (const f of opts.files ?? []) team.addFile(f);

  const byMemberId = (id: string) => [...members.values()].find((m) => m.team_member_id === id);

  /** A team.UserSelectorArg: `{'.tag':'email'|'team_member_id'|'external_id', ...}`. */
  const selectMember = (route: string, sel: unknown): Required<FakeDropboxMember> | undefined => {
    const s = sel as Tagged | undefined;
    if (!s || typeof s !== 'object' || typeof s['.tag'] !== 'string') throw badInput(route, 'user: expected a UserSelectorArg union');
    if (s['.tag'] === 'email' && typeof s.email === 'string') return members.get(s.email.toLowerCase());
    if (s['.tag'] === 'team_member_id' && typeof s.team_member_id === 'string') return byMemberId(s.team_member_id);
    if (s['.tag'] === 'external_id' && typeof s.external_id === 'string') return undefined;
    throw badInput(route, `user: unknown tag '${s['.tag']}' or missing its field`);
  };

  const memberInfo = (m: Required<FakeDropboxMember>) => ({
    '.tag': 'member_info',
    profile: {
      team_member_id: m.team_member_id,
      account_id: m.account_id,
      email: m.email,
      email_verified: true,
      secondary_emails: [],
      status: { '.tag': m.status },
      name: {
        given_name: m.display_name.split(' ')[0] ?? m.display_name,
        surname: m.display_name.split(' ').slice(1).join(' '),
        familiar_name: m.display_name.split(' ')[0] ?? m.display_name,
        display_name: m.display_name,
        abbreviated_name: m.display_name.split(' ').map((w) => w[0] ?? '').join(''),
      },
      membership_type: { '.tag': 'full' },
      groups: [],
      member_folder_id: short(m.team_member_id, 10).replace(/\D/g, '7').padEnd(10, '1'),
      root_folder_id: short(`root${m.team_member_id}`, 10).replace(/\D/g, '3').padEnd(10, '1'),
    },
    roles: m.role === 'member_only' ? [] : [{ role_id: `pid_dbtmr:${short(m.role, 40)}`, name: ROLE_NAMES[m.role], description: `${ROLE_NAMES[m.role]} admin` }],
  });

  const getInfoV2 = (route: string, body: Record<string, unknown>) => {
    if (!Array.isArray(body.members)) throw badInput(route, "missing required field 'members'");
    return {
      members_info: body.members.map((sel) => {
        const m = selectMember(route, sel);
        if (m) return memberInfo(m);
        const s = sel as Record<string, unknown>;
        return { '.tag': 'id_not_found', id_not_found: String(s[String(s['.tag'])]) };
      }),
    };
  };

  const suspend = (route: string, body: Record<string, unknown>) => {
    const m = selectMember(route, body.user);
    if (!m) throw dropboxError(409, { '.tag': 'user_not_found' });
    if (m.status === 'removed') throw dropboxError(409, { '.tag': 'user_not_in_team' });
    if (m.status !== 'active') throw dropboxError(409, { '.tag': 'suspend_inactive_user' });
    m.status = 'suspended';
    team.writes++;
    return null;
  };

  const unsuspend = (route: string, body: Record<string, unknown>) => {
    const m = selectMember(route, body.user);
    if (!m) throw dropboxError(409, { '.tag': 'user_not_found' });
    if (m.status === 'removed') throw dropboxError(409, { '.tag': 'user_not_in_team' });
    if (m.status !== 'suspended') throw dropboxError(409, { '.tag': 'unsuspend_non_suspended_member' });
    m.status = 'active';
    team.writes++;
    return null;
  };

  /** The member's access to a file: owner, a direct or inherited member, or none. */
  const accessOf = (f: FileState, email: string): FakeAccessLevel | undefined => {
    const e = email.toLowerCase();
    if (f.owner.toLowerCase() === e) return 'owner';
    return f.members.find((m) => m.email.toLowerCase() === e)?.access;
  };

  /** A file by id (`id:...`) or path, as the selected member sees it: undefined when they cannot. */
  const fileFor = (ref: unknown, caller: Required<FakeDropboxMember>): FileState | undefined => {
    if (typeof ref !== 'string') return undefined;
    // `rev:` names a revision; the fake keeps only the current one, so an older rev is not found.
    const f = ref.startsWith('id:') ? files.get(ref) : ref.startsWith('rev:') ? [...files.values()].find((x) => fileMetadata(x).rev === ref.slice(4)) : [...files.values()].find((x) => x.path.toLowerCase() === ref.toLowerCase());
    return f && accessOf(f, caller.email) ? f : undefined;
  };

  const linkJson = (l: LinkState) => {
    const f = files.get(l.fileId)!;
    const audience = l.visibility === 'team_only' ? 'team' : l.visibility;
    return {
      '.tag': 'file',
      url: l.url,
      id: f.id,
      name: f.name,
      path_lower: f.path.toLowerCase(),
      link_permissions: {
        resolved_visibility: { '.tag': l.visibility },
        requested_visibility: { '.tag': l.visibility },
        can_revoke: true,
        effective_audience: { '.tag': audience },
        link_access_level: { '.tag': 'viewer' },
        visibility_policies: [],
        can_set_expiry: true,
        can_remove_expiry: true,
        allow_download: true,
        can_allow_download: true,
        can_disallow_download: true,
        allow_comments: true,
        team_restricts_comments: false,
      },
      client_modified: '2026-01-05T09:00:00Z',
      server_modified: '2026-01-05T09:00:00Z',
      rev: `a1c${short(f.id, 6).toLowerCase()}`,
      size: 1024,
    };
  };

  const listSharedLinks = (body: Record<string, unknown>, caller: Required<FakeDropboxMember>) => {
    if (body.path === undefined) {
      const mine = links.filter((l) => files.get(l.fileId)?.owner.toLowerCase() === caller.email.toLowerCase());
      return { links: mine.map(linkJson), has_more: false };
    }
    const f = fileFor(body.path, caller);
    if (!f) throw dropboxError(409, { '.tag': 'path', path: { '.tag': 'not_found' } });
    return { links: links.filter((l) => l.fileId === f.id).map(linkJson), has_more: false };
  };

  const revokeSharedLink = (route: string, body: Record<string, unknown>, caller: Required<FakeDropboxMember>) => {
    if (typeof body.url !== 'string') throw badInput(route, "missing required field 'url'");
    if (!/^https:\/\/www\.dropbox\.com\//.test(body.url)) throw dropboxError(409, { '.tag': 'shared_link_malformed' });
    const i = links.findIndex((l) => l.url === body.url);
    if (i < 0) throw dropboxError(409, { '.tag': 'shared_link_not_found' });
    const f = files.get(links[i]!.fileId)!;
    const access = accessOf(f, caller.email);
    if (access !== 'owner' && access !== 'editor') throw dropboxError(409, { '.tag': 'shared_link_access_denied' });
    links.splice(i, 1);
    team.writes++;
    return null;
  };

  const userInfo = (email: string) => {
    const m = members.get(email.toLowerCase());
    return m
      ? { account_id: m.account_id, email: m.email, display_name: m.display_name, same_team: true, team_member_id: m.team_member_id }
      : { account_id: `dbid:${short(email.toLowerCase(), 40)}`, email, display_name: email.split('@')[0] ?? email, same_team: false };
  };

  const listFileMembers = (body: Record<string, unknown>, caller: Required<FakeDropboxMember>) => {
    const f = fileFor(body.file, caller);
    if (!f) throw dropboxError(409, { '.tag': 'access_error', access_error: { '.tag': 'invalid_file' } });
    const inherited = body.include_inherited !== false;
    const entries = [{ email: f.owner, access: 'owner' as FakeAccessLevel, inherited: false }, ...f.members.map((m) => ({ ...m, inherited: m.inherited ?? false }))];
    return {
      users: entries
        .filter((m) => inherited || !m.inherited)
        .map((m) => ({ access_type: { '.tag': m.access }, user: userInfo(m.email), permissions: [], is_inherited: m.inherited })),
      groups: [],
      invitees: [],
    };
  };

  const removeFileMember = (route: string, body: Record<string, unknown>, caller: Required<FakeDropboxMember>) => {
    const f = fileFor(body.file, caller);
    if (!f) throw dropboxError(409, { '.tag': 'access_error', access_error: { '.tag': 'invalid_file' } });
    const callerAccess = accessOf(f, caller.email);
    if (callerAccess !== 'owner' && callerAccess !== 'editor') throw dropboxError(409, { '.tag': 'access_error', access_error: { '.tag': 'no_permission' } });
    const sel = body.member as Tagged | undefined;
    let email: string | undefined;
    if (sel?.['.tag'] === 'email' && typeof sel.email === 'string') email = sel.email;
    else if (sel?.['.tag'] === 'dropbox_id' && typeof sel.dropbox_id === 'string') email = [...members.values()].find((m) => m.account_id === sel.dropbox_id)?.email;
    else throw badInput(route, 'member: expected a MemberSelector union');
    if (email === undefined) return { '.tag': 'member_error', member_error: { '.tag': 'invalid_member' } };
    if (f.owner.toLowerCase() === email.toLowerCase()) return { '.tag': 'member_error', member_error: { '.tag': 'no_permission' } };
    const i = f.members.findIndex((m) => m.email.toLowerCase() === email.toLowerCase() && !m.inherited);
    if (i < 0) {
      const inheritedAccess = f.members.find((m) => m.email.toLowerCase() === email.toLowerCase())?.access;
      throw dropboxError(409, { '.tag': 'no_explicit_access', ...(inheritedAccess ? { access_level: { '.tag': inheritedAccess } } : {}) });
    }
    f.members.splice(i, 1);
    team.writes++;
    return { '.tag': 'success' };
  };

  const caller = (selectUser: string | undefined) => byMemberId(selectUser ?? '')!;

  /** files.FileMetadata as get_metadata and the Dropbox-API-Result header carry it; `rev` changes with the content. */
  const fileMetadata = (f: FileState) => {
    const data = f.content ?? Buffer.alloc(0);
    const hash = dropboxContentHash(data);
    const modified = f.serverModified ?? '2026-01-05T09:00:00Z';
    return {
      name: f.name,
      id: f.id,
      client_modified: modified,
      server_modified: modified,
      rev: `0${hash.slice(0, 8)}${short(f.id, 6).toLowerCase().replace(/[^0-9a-f]/g, '0')}`,
      size: data.length,
      path_lower: f.path.toLowerCase(),
      path_display: f.path,
      is_downloadable: true,
      content_hash: hash,
    };
  };

  /** A file the selected member can see, by `id:` or path; Dropbox's path/not_found otherwise. */
  const lookup = (route: string, body: Record<string, unknown>, selectUser: string | undefined): FileState => {
    if (typeof body.path !== 'string' || body.path === '') throw badInput(route, "missing required field 'path'");
    const f = fileFor(body.path, caller(selectUser));
    if (!f) throw dropboxError(409, { '.tag': 'path', path: { '.tag': 'not_found' } });
    return f;
  };

  return {
    team,
    checkSelectUser(path, selectUser, scopes) {
      if (!USER_ROUTES.has(path)) return;
      if (selectUser === undefined) {
        throw badInput(
          path,
          'This API function operates on a single Dropbox account, but the OAuth 2 access token you provided is for an entire Dropbox Business team. ' +
            'Since your API app key has team member file access permissions, you can operate on a team member\'s Dropbox by providing the "Dropbox-API-Select-User" HTTP header or "select_user" URL parameter to specify the exact user <https://www.dropbox.com/developers/documentation/http/teams>.',
        );
      }
      if (!scopes.has('team_data.member')) throw dropboxError(401, { '.tag': 'missing_scope', required_scope: 'team_data.member' });
      const m = byMemberId(selectUser);
      if (!m || m.status === 'removed' || m.status === 'invited') throw dropboxError(401, { '.tag': 'invalid_select_user' });
      if (m.status === 'suspended') throw dropboxError(401, { '.tag': 'user_suspended' });
    },
    download(body, selectUser) {
      const f = lookup('/2/files/download', body, selectUser);
      return { metadata: fileMetadata(f), content: f.content ?? Buffer.alloc(0) };
    },
    handle(path, body, selectUser) {
      switch (path) {
        case '/2/files/get_metadata':
          return { '.tag': 'file', ...fileMetadata(lookup(path, body, selectUser)) };
        case '/2/team/members/get_info_v2':
          return getInfoV2(path, body);
        case '/2/team/members/suspend':
          return suspend(path, body);
        case '/2/team/members/unsuspend':
          return unsuspend(path, body);
        case '/2/sharing/list_shared_links':
          return listSharedLinks(body, caller(selectUser));
        case '/2/sharing/revoke_shared_link':
          return revokeSharedLink(path, body, caller(selectUser));
        case '/2/sharing/list_file_members':
          return listFileMembers(body, caller(selectUser));
        case '/2/sharing/remove_file_member_2':
          return removeFileMember(path, body, caller(selectUser));
        default:
          throw new HttpError(404, `Unknown API function: ${path}`);
      }
    },
  };
}
