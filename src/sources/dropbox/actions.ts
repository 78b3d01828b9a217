/** The dropbox source's response actions (suspend and unsuspend a team member, revoke a file's public links, remove a member from a file) through the official SDK and the source's team token. */
import { createHash } from 'node:crypto';
import type { Dropbox, sharing, team } from 'dropbox';
import { Redactor, SaaswatchError, errors, type ActionConnector, type ActionState, type ActionTarget, type ConnectorAction } from '../../core/index.js';
import { createDropboxSdk, toSaaswatchError } from './client.js';
import type { DropboxConfig } from './config.js';

export interface DropboxActionsOptions {
  /** The fetch the SDK goes through (tests may wrap it). */
  fetch?: typeof fetch;
  /** Shared with the caller so an echoed token is removed wherever the error goes. */
  redactor?: Redactor;
}

type MemberStatus = 'active' | 'invited' | 'suspended' | 'removed' | 'other';

interface MemberFacts {
  status: MemberStatus;
  team_member_id: string;
  roles: string[];
}

/** An error a person acts on: the service cannot do this to this target (unknown, owner, wrong state). */
const rejected = (message: string, details: Record<string, unknown>) => new SaaswatchError('HTTP_REJECTED', message, { details });

const noMember = (email: string) => rejected(`Dropbox has no team member ${email}`, { member: email, notFound: true });

const noFile = (id: string, owner: string) =>
  rejected(`Dropbox has no file ${id} that ${owner} can see (deleted, moved out of their Dropbox, or not theirs)`, { file: id, owner, notFound: true });

/** The nested Dropbox error tags a classified error carries (`path/not_found`), or undefined. */
function dropboxTags(err: unknown): string | undefined {
  if (!(err instanceof SaaswatchError) || err.details === undefined) return undefined;
  const path = err.details.dropbox_error_path ?? err.details.dropbox_error;
  return typeof path === 'string' ? path : undefined;
}

/** A link URL is a bearer secret: the audit log gets a short digest that tells links apart and nothing more. */
const urlDigest = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 12);

/** A link's audience: `effective_audience` where Dropbox sends it, the older `resolved_visibility` otherwise. */
function linkVisibility(l: sharing.SharedLinkMetadata): string {
  const audience = l.link_permissions?.effective_audience?.['.tag'];
  if (audience !== undefined) return audience === 'team' ? 'team_only' : audience;
  return l.link_permissions?.resolved_visibility?.['.tag'] ?? 'other';
}

const isPublic = (l: sharing.SharedLinkMetadata) => linkVisibility(l) === 'public';

export function createDropboxActions(config: DropboxConfig, opts: DropboxActionsOptions = {}): ActionConnector {
  const redactor = (opts.redactor ?? new Redactor()).add(config.access_token);
  /** team_member_id by owner email: stable for a member, and every file action needs it. */
  const memberIds = new Map<string, string>();

  /** One SDK call as `selectUser` (a team_member_id) when given; failures classified, token-free. */
  const call = async <T>(route: string, scope: string, signal: AbortSignal, fn: (sdk: Dropbox) => Promise<{ result: T }>, selectUser?: string): Promise<T> => {
    const { sdk, timedOut } = createDropboxSdk({
      accessToken: config.access_token,
      ...(config.base_url ? { apiUrl: config.base_url } : {}),
      timeoutMs: config.timeout,
      signal,
      redactor,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(selectUser ? { selectUser } : {}),
    });
    try {
      return (await fn(sdk)).result;
    } catch (err) {
      throw redactor.error(toSaaswatchError(err, timedOut.value, redactor, { target: `Dropbox ${route}`, scope }));
    }
  };

  const member = async (email: string, signal: AbortSignal): Promise<MemberFacts> => {
    const r = await call('team/members/get_info_v2', 'members.read', signal, (sdk) => sdk.teamMembersGetInfoV2({ members: [{ '.tag': 'email', email }] }));
    const item = r?.members_info?.[0];
    if (item === undefined || item['.tag'] === 'id_not_found') throw noMember(email);
    if (item['.tag'] !== 'member_info') {
      throw errors.inputMalformed({ where: 'Dropbox team/members/get_info_v2', problem: `answered ${String(item['.tag'])} for ${email}`, retryable: true });
    }
    const info = item as team.MembersGetInfoItemV2MemberInfo;
    const tag = info.profile.status['.tag'];
    const status: MemberStatus = tag === 'active' || tag === 'invited' || tag === 'suspended' || tag === 'removed' ? tag : 'other';
    memberIds.set(email.toLowerCase(), info.profile.team_member_id);
    return { status, team_member_id: info.profile.team_member_id, roles: (info.roles ?? []).map((x) => x.name) };
  };

  /** The owner's team_member_id: Dropbox team apps read and change a file's sharing as one of the team's members. */
  const ownerId = async (t: ActionTarget, action: string, signal: AbortSignal): Promise<{ owner: string; id: string }> => {
    const owner = t.owner;
    if (!owner) {
      throw errors.inputMalformed({
        where: `dropbox ${action} ${t.id}`,
        problem: "the file's owner is needed: a Dropbox team app reads and changes a file's sharing as the team member who owns it, and no owner was named",
        fix: 'act on a file whose events or inventory entry name its owner',
      });
    }
    const known = memberIds.get(owner.toLowerCase());
    if (known) return { owner, id: known };
    const m = await member(owner, signal);
    return { owner, id: m.team_member_id };
  };

  const memberState = async (t: ActionTarget, signal: AbortSignal): Promise<ActionState> => {
    const m = await member(t.id, signal);
    return { status: m.status, suspended: m.status === 'suspended', team_member_id: m.team_member_id, roles: m.roles };
  };

  const userSelector = (email: string): team.UserSelectorArg => ({ '.tag': 'email', email });

  /**
   * A members/* change: Dropbox's tag for "already so" is a success (the read after apply decides),
   * an unknown member is named; what it answered otherwise is `ok`.
   */
  const memberChange = async (email: string, alreadyTag: string, ok: ActionState, send: () => Promise<unknown>): Promise<ActionState> => {
    try {
      await send();
      return ok;
    } catch (err) {
      const tag = dropboxTags(err);
      if (tag === alreadyTag) return { already: alreadyTag };
      if (tag === 'user_not_found' || tag === 'user_not_in_team') throw noMember(email);
      throw err;
    }
  };

  const suspend: ConnectorAction = {
    name: 'suspend-user',
    target: 'user',
    summary: 'Suspend the Dropbox team member (team/members/suspend, keeping the data on their devices)',
    disruptive: true,
    undo: 'unsuspend-user',
    read: memberState,
    // A removed member has no access left to take away.
    done: (s) => s.status === 'suspended' || s.status === 'removed',
    plan: (t, before) =>
      before.status === 'active'
        ? `would suspend ${t.id} in Dropbox (active now; the data on their devices is kept: wipe_data false)`
        : before.status === 'invited'
          ? `would refuse: ${t.id} is invited to the Dropbox team but has not joined, and Dropbox suspends only active members`
          : `nothing to do: ${t.id} is ${String(before.status)} in Dropbox`,
    async apply(t, before, signal) {
      if (before.status === 'invited') {
        throw rejected(`${t.id} is invited to the Dropbox team but has not joined: Dropbox suspends only active members (cancel the invitation in the Admin Console instead)`, { member: t.id, status: 'invited' });
      }
      // Already suspended (by a retry, or someone else): the read after apply says which.
      return memberChange(t.id, 'suspend_inactive_user', { suspended: true }, () =>
        call('team/members/suspend', 'members.write', signal, (sdk) => sdk.teamMembersSuspend({ user: userSelector(t.id), wipe_data: false })),
      );
    },
  };

  const unsuspend: ConnectorAction = {
    name: 'unsuspend-user',
    target: 'user',
    summary: 'Unsuspend the Dropbox team member (team/members/unsuspend)',
    disruptive: false,
    read: memberState,
    done: (s) => s.status === 'active',
    plan: (t, before) =>
      before.status === 'suspended'
        ? `would unsuspend ${t.id} in Dropbox (suspended now)`
        : before.status === 'active'
          ? `nothing to do: ${t.id} is active in Dropbox`
          : `would refuse: ${t.id} is ${String(before.status)} in Dropbox, not suspended`,
    async apply(t, before, signal) {
      if (before.status === 'removed' || before.status === 'invited') {
        const how = before.status === 'removed' ? 'restore them with team/members/recover or the Admin Console' : 'they join by accepting the invitation';
        throw rejected(`${t.id} is ${before.status} in Dropbox, not suspended: there is nothing to unsuspend (${how})`, { member: t.id, status: before.status });
      }
      return memberChange(t.id, 'unsuspend_non_suspended_member', { unsuspended: true }, () =>
        call('team/members/unsuspend', 'members.write', signal, (sdk) => sdk.teamMembersUnsuspend({ user: userSelector(t.id) })),
      );
    },
  };

  const listLinks = async (t: ActionTarget, action: string, signal: AbortSignal) => {
    const { owner, id } = await ownerId(t, action, signal);
    try {
      const r = await call('sharing/list_shared_links', 'sharing.read', signal, (sdk) => sdk.sharingListSharedLinks({ path: t.id, direct_only: true }), id);
      return { owner, id, links: (r?.links ?? []) as sharing.SharedLinkMetadata[] };
    } catch (err) {
      if (dropboxTags(err)?.startsWith('path/')) throw noFile(t.id, owner);
      throw err;
    }
  };

  const removePublicLink: ConnectorAction = {
    name: 'remove-public-link',
    target: 'file',
    summary: "Revoke the file's public shared links (sharing/revoke_shared_link), as its owner",
    disruptive: false,
    async read(t, signal) {
      const { owner, links } = await listLinks(t, 'remove-public-link', signal);
      return {
        owner,
        public_links: links.filter(isPublic).length,
        links: links.map((l) => ({ visibility: linkVisibility(l), url_sha256: urlDigest(l.url) })),
      };
    },
    done: (s) => s.public_links === 0,
    plan(t, before) {
      const n = Number(before.public_links ?? 0);
      const all = Array.isArray(before.links) ? before.links.length : n;
      const rest = all - n > 0 ? `; ${all - n} other link(s) (team-only or password) stay` : '';
      return n > 0 ? `would revoke ${n} public shared link(s) of Dropbox file ${t.id} as its owner ${String(before.owner)}${rest}` : `nothing to do: Dropbox file ${t.id} has no public shared link${rest}`;
    },
    async apply(t, _before, signal) {
      // The state kept no URL (they are secrets): list again to revoke each public link.
      const { id, links } = await listLinks(t, 'remove-public-link', signal);
      let revoked = 0;
      let gone = 0;
      for (const l of links.filter(isPublic)) {
        try {
          await call('sharing/revoke_shared_link', 'sharing.write', signal, (sdk) => sdk.sharingRevokeSharedLink({ url: l.url }), id);
          revoked++;
        } catch (err) {
          if (dropboxTags(err) !== 'shared_link_not_found') throw err;
          gone++;
        }
      }
      return { revoked, ...(gone ? { already_gone: gone } : {}) };
    },
  };

  const removeFileMember: ConnectorAction = {
    name: 'remove-file-member',
    target: 'file',
    summary: 'Remove a member from the file (sharing/remove_file_member_2), as its owner',
    disruptive: false,
    needsMember: true,
    async read(t, signal) {
      const email = requireMember(t);
      const { owner, id } = await ownerId(t, 'remove-file-member', signal);
      const entries: Array<{ email: string; access: string; inherited: boolean }> = [];
      try {
        let page = await call('sharing/list_file_members', 'sharing.read', signal, (sdk) => sdk.sharingListFileMembers({ file: t.id, include_inherited: true, limit: 300 }), id);
        for (;;) {
          for (const u of page?.users ?? []) entries.push({ email: u.user.email, access: u.access_type['.tag'], inherited: u.is_inherited === true });
          for (const i of page?.invitees ?? []) {
            const e = i.invitee['.tag'] === 'email' ? i.invitee.email : i.user?.email;
            if (e) entries.push({ email: e, access: i.access_type['.tag'], inherited: i.is_inherited === true });
          }
          const cursor = page?.cursor;
          if (!cursor) break;
          page = await call('sharing/list_file_members/continue', 'sharing.read', signal, (sdk) => sdk.sharingListFileMembersContinue({ cursor }), id);
        }
      } catch (err) {
        const tag = dropboxTags(err);
        if (tag === 'access_error/invalid_file' || tag?.startsWith('path/')) throw noFile(t.id, owner);
        throw err;
      }
      const mine = entries.filter((e) => e.email.toLowerCase() === email.toLowerCase());
      const direct = mine.find((e) => !e.inherited);
      const inherited = mine.find((e) => e.inherited);
      return {
        owner,
        member: email,
        has_access: direct !== undefined,
        ...(direct ? { access_type: direct.access } : {}),
        ...(inherited ? { inherited_access: inherited.access } : {}),
      };
    },
    // Access inherited from a parent folder is not the file's to remove: the state records it.
    done: (s) => s.has_access === false,
    plan(t, before) {
      const email = String(before.member ?? t.member);
      const keeps = before.inherited_access ? `; they keep ${String(before.inherited_access)} access inherited from a parent folder` : '';
      if (before.access_type === 'owner') return `would refuse: ${email} owns Dropbox file ${t.id}, and an owner cannot be removed`;
      return before.has_access
        ? `would remove ${email} (${String(before.access_type)}) from Dropbox file ${t.id} as its owner ${String(before.owner)}${keeps}`
        : `nothing to do: ${email} is not a member of Dropbox file ${t.id}${keeps}`;
    },
    async apply(t, before, signal) {
      const email = requireMember(t);
      if (before.access_type === 'owner' || (t.owner !== undefined && t.owner.toLowerCase() === email.toLowerCase())) {
        throw rejected(`${email} owns Dropbox file ${t.id}: an owner cannot be removed from their own file (transfer ownership first, or remove the public link)`, {
          file: t.id,
          member: email,
          refused: 'owner',
        });
      }
      const { owner, id } = await ownerId(t, 'remove-file-member', signal);
      let r: sharing.FileMemberRemoveActionResult;
      try {
        r = await call('sharing/remove_file_member_2', 'sharing.write', signal, (sdk) => sdk.sharingRemoveFileMember2({ file: t.id, member: { '.tag': 'email', email } }), id);
      } catch (err) {
        const tag = dropboxTags(err);
        // Not (or no longer) a direct member: what remains, if anything, is inherited.
        if (tag === 'no_explicit_access') return { already: 'no_explicit_access' };
        if (tag === 'access_error/invalid_file') throw noFile(t.id, owner);
        throw err;
      }
      if (r?.['.tag'] === 'member_error') {
        const why = r.member_error['.tag'];
        if (why === 'invalid_member' || why === 'no_explicit_access') return { already: why };
        throw rejected(`Dropbox refused to remove ${email} from file ${t.id}: member_error/${why}`, { file: t.id, member: email, dropbox_error: why });
      }
      return { removed: true };
    },
  };

  return {
    service: 'dropbox',
    actions: [suspend, unsuspend, removePublicLink, removeFileMember],
  };
}

function requireMember(t: ActionTarget): string {
  if (!t.member) {
    throw errors.inputMalformed({ where: `dropbox remove-file-member ${t.id}`, problem: 'no member named', fix: 'name the member (an email) to remove from the file' });
  }
  return t.member;
}
