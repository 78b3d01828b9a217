/** The google-workspace response actions: suspend, unsuspend and sign out a user (Admin SDK Directory), remove a Drive file's public link or one member (Drive v3 permissions). */
import { admin, type admin_directory_v1 } from '@googleapis/admin';
import { drive, type drive_v3 } from '@googleapis/drive';
import type { ActionConnector, ActionState, ActionTarget, ConnectorAction } from '../../core/index.js';
import { errors, Redactor, SaaswatchError } from '../../core/index.js';
import { createJwt, loadServiceAccount, sdkOptions, type ServiceAccountKey } from './client.js';
import type { GoogleWorkspaceConfig } from './config.js';
import { classifyGoogleError } from './request.js';

/** users.get and users.update (suspend, unsuspend), and the read before a sign-out. */
export const DIRECTORY_USER_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user';
/** users.signOut accepts no other scope. */
export const DIRECTORY_SECURITY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.security';
/** permissions.delete: the metadata scope the poller uses cannot change sharing. */
export const DRIVE_WRITE_SCOPE = 'https://www.googleapis.com/auth/drive';

const SERVICE = 'Google Workspace';
const DWD_PATH = 'Admin console > Security > Access and data control > API controls > Manage domain-wide delegation';
const USER_FIELDS = 'id,primaryEmail,isAdmin,suspended,suspensionReason';
const PERMISSION_FIELDS = 'nextPageToken,permissions(id,type,role,allowFileDiscovery,emailAddress,domain)';

export interface GoogleWorkspaceActionsOptions {
  /** Directory credentials_file resolves against. */
  baseDir?: string;
}

/** What one call is, for its error message: the API method, the scope it needs, as whom, on what. */
interface Call {
  method: string;
  signal: AbortSignal;
  scope: string;
  subject: string;
  target: ActionTarget;
}

interface GoogleErrorBody {
  error?: { message?: string; errors?: Array<{ reason?: string; message?: string }> } | string;
  error_description?: string;
}

/** Google's reason for a failed call (`notFound`, `insufficientPermissions`, `unauthorized_client` for a refused token), with its HTTP status. */
function googleFailure(err: unknown): { status?: number; reason?: string; message?: string } {
  const r = (err as { response?: { status?: number; data?: unknown } } | undefined)?.response;
  const data = r?.data as GoogleErrorBody | undefined;
  const e = data?.error;
  if (typeof e === 'string') return { ...(r?.status === undefined ? {} : { status: r.status }), reason: e, message: data?.error_description ? `${e}: ${data.error_description}` : e };
  const reason = e?.errors?.[0]?.reason;
  return { ...(r?.status === undefined ? {} : { status: r.status }), ...(reason ? { reason } : {}), ...(e?.message ? { message: e.message } : {}) };
}

/**
 * One connector per configured source. SDK clients are built on first use, one JWT per
 * (impersonated user, scope): with domain-wide delegation Google refuses a whole token when any
 * scope it asks for is not granted, so one missing scope must not stop the actions that do not need it.
 */
class GoogleWorkspaceActions implements ActionConnector {
  readonly service = 'google-workspace';
  readonly actions: readonly ConnectorAction[];
  readonly #config: GoogleWorkspaceConfig;
  readonly #baseDir: string | undefined;
  readonly #redactor: Redactor;
  #key: Promise<ServiceAccountKey> | undefined;
  readonly #directories = new Map<string, admin_directory_v1.Admin>();
  readonly #drives = new Map<string, drive_v3.Drive>();

  constructor(config: GoogleWorkspaceConfig, opts: GoogleWorkspaceActionsOptions) {
    this.#config = config;
    this.#baseDir = opts.baseDir;
    this.#redactor = new Redactor([config.credentials]);
    this.actions = [this.#suspend(true), this.#suspend(false), this.#signOut(), this.#removePublicLink(), this.#removeMember()];
  }

  async #serviceAccount(): Promise<ServiceAccountKey> {
    this.#key ??= loadServiceAccount(this.#config, this.#baseDir);
    try {
      return await this.#key;
    } catch (err) {
      // A fixed file is read again on the next action rather than failing forever.
      this.#key = undefined;
      throw err;
    }
  }

  async #directory(scope: string): Promise<admin_directory_v1.Admin> {
    const k = `${this.#config.subject}|${scope}`;
    let d = this.#directories.get(k);
    if (!d) {
      const auth = createJwt(this.#config, await this.#serviceAccount(), this.#redactor, { subject: this.#config.subject, scopes: [scope] });
      d = admin({ version: 'directory_v1', ...sdkOptions(this.#config, auth) });
      this.#directories.set(k, d);
    }
    return d;
  }

  async #drive(subject: string): Promise<drive_v3.Drive> {
    let d = this.#drives.get(subject);
    if (!d) {
      const auth = createJwt(this.#config, await this.#serviceAccount(), this.#redactor, { subject, scopes: [DRIVE_WRITE_SCOPE] });
      d = drive({ version: 'v3', ...sdkOptions(this.#config, auth) });
      this.#drives.set(subject, d);
    }
    return d;
  }

  /**
   * Drive acts as a user, and a file in someone's My Drive is managed best as its owner. Only an
   * owner in the subject's domain can be impersonated; an outside owner's files go through the admin.
   */
  #driveSubject(t: ActionTarget): string {
    const domain = this.#config.subject.split('@')[1]?.toLowerCase();
    const ownerDomain = t.owner?.split('@')[1]?.toLowerCase();
    return t.owner && ownerDomain === domain ? t.owner : this.#config.subject;
  }

  /** Runs one SDK call and turns what it throws into a classified, redacted SaaswatchError that says what to fix. */
  async #call<T>(c: Call, fn: () => Promise<T>): Promise<T> {
    try {
      // gaxios swaps a signal that is already aborted for its timeout's, and would send the request.
      c.signal.throwIfAborted();
      return await fn();
    } catch (err) {
      throw this.#redactor.error(this.#explain(err, c));
    }
  }

  #explain(err: unknown, c: Call): SaaswatchError {
    if (err instanceof SaaswatchError) return err;
    const f = googleFailure(err);
    const detail = f.message ?? f.reason;
    const d = detail ? { detail } : {};
    if (f.status === 404) {
      const what = c.target.kind === 'user' ? `it has no user ${c.target.id}` : `no file ${c.target.id} that ${c.subject} can see`;
      return errors.httpRejected({ target: `${SERVICE} ${c.method}`, status: 404, why: ` (${what})`, ...d, details: { notFound: true } });
    }
    if (f.reason === 'invalid_grant') {
      // Google's words for a sub it will not impersonate: no such user, deleted, or suspended.
      return errors.httpRejected({
        target: `${SERVICE} token`,
        status: f.status ?? 400,
        why: ` (cannot act as ${c.subject}: not an active user of the domain)`,
        ...d,
        details: { google_error: 'invalid_grant' },
      });
    }
    if (f.reason === 'cannotRemoveOwner') {
      return errors.httpRejected({ target: `${SERVICE} ${c.method}`, status: 403, why: ` (a file's owner cannot be removed from Drive file ${c.target.id}: transfer ownership first)`, ...d });
    }
    // A token refused for a scope outside the delegation (unauthorized_client), or an API call
    // whose token lacks the scope (insufficientPermissions): both are fixed in the same place.
    const scopeMissing = f.reason === 'unauthorized_client' || f.reason === 'insufficientPermissions' || /insufficient authentication scopes/i.test(f.message ?? '');
    if (f.status === 403 || (f.status !== undefined && f.status < 500 && scopeMissing)) {
      const grant = `; grant the service account the ${c.scope} scope in domain-wide delegation (${DWD_PATH})`;
      const why = scopeMissing ? grant : `${grant}, and check that ${c.subject} may ${c.method} ${c.target.id}`;
      return errors.httpRejected({ target: `${SERVICE} ${c.method}`, status: f.status, why, ...d });
    }
    return classifyGoogleError(err, `${SERVICE} ${c.method}`);
  }

  async #getUser(t: ActionTarget, signal: AbortSignal): Promise<ActionState> {
    const dir = await this.#directory(DIRECTORY_USER_SCOPE);
    const u = await this.#call({ method: 'users.get', scope: DIRECTORY_USER_SCOPE, subject: this.#config.subject, target: t, signal }, () =>
      dir.users.get({ userKey: t.id, fields: USER_FIELDS }, { signal }),
    );
    return {
      user: u.data.primaryEmail ?? t.id,
      suspended: u.data.suspended === true,
      ...(u.data.suspensionReason ? { suspension_reason: u.data.suspensionReason } : {}),
      is_admin: u.data.isAdmin === true,
    };
  }

  #suspend(suspend: boolean): ConnectorAction {
    const verb = suspend ? 'suspend' : 'unsuspend';
    return {
      name: suspend ? 'suspend-user' : 'unsuspend-user',
      target: 'user',
      summary: suspend ? 'Suspend the Google Workspace account (users.update suspended: true)' : 'Restore a suspended Google Workspace account (users.update suspended: false)',
      disruptive: suspend,
      ...(suspend ? { undo: 'unsuspend-user' } : {}),
      read: (t, signal) => this.#getUser(t, signal),
      done: (s) => s.suspended === suspend,
      plan: (t, before) => {
        if (before.suspended === suspend) return `${t.id} is already ${suspend ? 'suspended' : 'active'} in Google Workspace: nothing to do`;
        const now = before.suspended ? `suspended now${before.suspension_reason ? `, reason ${String(before.suspension_reason)}` : ''}` : 'active now';
        return `would ${verb} ${t.id} in Google Workspace (${now}${before.is_admin ? ', an admin' : ''})`;
      },
      apply: async (t, _before, signal) => {
        const dir = await this.#directory(DIRECTORY_USER_SCOPE);
        // users.update keeps the fields a body leaves out, so this sends only the switch.
        const r = await this.#call({ method: 'users.update', scope: DIRECTORY_USER_SCOPE, subject: this.#config.subject, target: t, signal }, () =>
          dir.users.update({ userKey: t.id, fields: USER_FIELDS, requestBody: { suspended: suspend } }, { signal }),
        );
        return { suspended: r.data.suspended === true };
      },
    };
  }

  #signOut(): ConnectorAction {
    return {
      name: 'sign-out-user',
      target: 'user',
      summary: 'Sign the user out of every Google web and device session (users.signOut)',
      disruptive: true,
      // The read proves the user exists (a clear 404) and records whether they were suspended.
      read: (t, signal) => this.#getUser(t, signal),
      plan: (t, before) => `would sign ${t.id} out of every Google web and device session${before.suspended ? ' (suspended now)' : ''}`,
      apply: async (t, _before, signal) => {
        const dir = await this.#directory(DIRECTORY_SECURITY_SCOPE);
        await this.#call({ method: 'users.signOut', scope: DIRECTORY_SECURITY_SCOPE, subject: this.#config.subject, target: t, signal }, () => dir.users.signOut({ userKey: t.id }, { signal }));
        return { signed_out: true };
      },
    };
  }

  /**
   * Runs a Drive job as the file's owner, or as `subject` when the owner cannot be impersonated:
   * Google refuses a token for a suspended or deleted user (invalid_grant), and a policy may well
   * have suspended the owner a moment before removing their file's link.
   */
  async #asDriveUser<T>(t: ActionTarget, job: (as: string) => Promise<T>): Promise<T> {
    const as = this.#driveSubject(t);
    if (as === this.#config.subject) return job(as);
    try {
      return await job(as);
    } catch (err) {
      if (err instanceof SaaswatchError && err.details?.google_error === 'invalid_grant') return job(this.#config.subject);
      throw err;
    }
  }

  /** Every permission of the file (shared drives included), and as whom it was read. */
  #permissions(t: ActionTarget, signal: AbortSignal): Promise<{ as: string; permissions: drive_v3.Schema$Permission[] }> {
    return this.#asDriveUser(t, (as) => this.#permissionsAs(t, as, signal));
  }

  async #permissionsAs(t: ActionTarget, as: string, signal: AbortSignal): Promise<{ as: string; permissions: drive_v3.Schema$Permission[] }> {
    const d = await this.#drive(as);
    const out: drive_v3.Schema$Permission[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.#call({ method: 'permissions.list', scope: DRIVE_WRITE_SCOPE, subject: as, target: t, signal }, () =>
        d.permissions.list({ fileId: t.id, supportsAllDrives: true, pageSize: 100, fields: PERMISSION_FIELDS, ...(pageToken ? { pageToken } : {}) }, { signal }),
      );
      out.push(...(r.data.permissions ?? []));
      pageToken = r.data.nextPageToken ?? undefined;
    } while (pageToken);
    return { as, permissions: out };
  }

  /** permissions.delete; a permission already gone is the job done, not an error. */
  #deletePermission(t: ActionTarget, permissionId: string, signal: AbortSignal): Promise<boolean> {
    return this.#asDriveUser(t, (as) => this.#deletePermissionAs(t, as, permissionId, signal));
  }

  async #deletePermissionAs(t: ActionTarget, as: string, permissionId: string, signal: AbortSignal): Promise<boolean> {
    const d = await this.#drive(as);
    try {
      signal.throwIfAborted();
      await d.permissions.delete({ fileId: t.id, permissionId, supportsAllDrives: true }, { signal });
      return true;
    } catch (err) {
      const f = googleFailure(err);
      if (f.status === 404 && /^Permission not found/i.test(f.message ?? '')) return false;
      throw this.#redactor.error(this.#explain(err, { method: 'permissions.delete', scope: DRIVE_WRITE_SCOPE, subject: as, target: t, signal }));
    }
  }

  #removePublicLink(): ConnectorAction {
    return {
      name: 'remove-public-link',
      target: 'file',
      summary: 'Remove the anyone-with-the-link (and public on the web) permission from a Drive file (permissions.delete)',
      disruptive: false,
      read: async (t, signal) => {
        const { as, permissions } = await this.#permissions(t, signal);
        const anyone = permissions.filter((p) => p.type === 'anyone');
        return {
          file: t.id,
          as,
          public_link: anyone.length > 0,
          permissions: anyone.map((p) => p.id!),
          ...(anyone[0]?.role ? { role: anyone[0].role } : {}),
          ...(anyone.length ? { discoverable: anyone.some((p) => p.allowFileDiscovery === true) } : {}),
        };
      },
      done: (s) => s.public_link === false,
      plan: (t, before) => {
        if (before.public_link !== true) return `Drive file ${t.id} has no anyone-with-the-link permission: nothing to do`;
        const reach = before.discoverable ? 'public on the web' : 'anyone with the link';
        return `would remove the ${reach} permission (${String(before.role ?? 'reader')}) from Drive file ${t.id}, acting as ${String(before.as)}`;
      },
      apply: async (t, before, signal) => {
        const removed: string[] = [];
        for (const id of (before.permissions as string[] | undefined) ?? []) if (await this.#deletePermission(t, id, signal)) removed.push(id);
        return { removed };
      },
    };
  }

  #removeMember(): ConnectorAction {
    const member = (t: ActionTarget): string => {
      if (!t.member) throw errors.inputMalformed({ where: 'remove-file-member', problem: `no member given for Drive file ${t.id}`, fix: 'name the member (email) to remove' });
      return t.member;
    };
    return {
      name: 'remove-file-member',
      target: 'file',
      summary: "Remove one person's direct permission from a Drive file (permissions.delete); never the owner",
      disruptive: false,
      needsMember: true,
      read: async (t, signal) => {
        const email = member(t);
        const { as, permissions } = await this.#permissions(t, signal);
        const p = permissions.find((x) => x.emailAddress?.toLowerCase() === email.toLowerCase());
        return { file: t.id, as, member: email, has_access: p !== undefined, ...(p ? { permission_id: p.id, role: p.role, type: p.type } : {}) };
      },
      done: (s) => s.has_access === false,
      plan: (t, before) => {
        if (before.has_access !== true) return `${String(before.member)} has no direct permission on Drive file ${t.id}: nothing to do`;
        if (before.role === 'owner') return `cannot remove ${String(before.member)} from Drive file ${t.id}: they own it (transfer ownership first)`;
        return `would remove ${String(before.member)} (${String(before.role)}) from Drive file ${t.id}, acting as ${String(before.as)}`;
      },
      apply: async (t, before, signal) => {
        if (before.role === 'owner') {
          // Drive answers this itself (403 cannotRemoveOwner); refusing first keeps the request out of its audit log.
          throw errors.httpRejected({
            target: `${SERVICE} permissions.delete`,
            status: 403,
            why: ` (${String(before.member)} owns Drive file ${t.id}; a file's owner cannot be removed: transfer ownership first)`,
          });
        }
        if (before.has_access !== true || typeof before.permission_id !== 'string') return { removed: false };
        return { removed: await this.#deletePermission(t, before.permission_id, signal) };
      },
    };
  }
}

/** The google-workspace action connector: same credentials, token_url, base_url and timeout as the source, no polling. */
export function createGoogleWorkspaceActions(config: GoogleWorkspaceConfig, opts: GoogleWorkspaceActionsOptions = {}): ActionConnector {
  return new GoogleWorkspaceActions(config, opts);
}
