/** Response actions on Microsoft Entra ID users through the official Graph SDK: disable and enable an account, revoke its sign-in sessions. */
import { ResponseType } from '@microsoft/microsoft-graph-client';
import {
  Redactor,
  SaaswatchError,
  errors,
  type ActionConnector,
  type ActionState,
  type ActionTarget,
  type ConnectorAction,
  type PluginDeps,
} from '../../core/index.js';
import { createGraphSdk, graphSdkOptions, toSaaswatchError, type GraphSdk, type GraphSdkOptions } from './client.js';
import type { MicrosoftGraphConfig } from './config.js';

const SERVICE = 'microsoft-graph';
const DIRECTORY = 'Microsoft Entra ID';

/** Where an admin grants what a 403 says is missing. */
const WHERE = 'with admin consent (Microsoft Entra admin center > App registrations > the app > API permissions)';

/** What to fix when Graph refuses each operation for want of an application permission. */
const FIX = {
  read: `grant the app the User.Read.All application permission ${WHERE}; User.ReadWrite.All also allows it`,
  enableDisable:
    `grant the app the User.EnableDisableAccount.All application permission (with User.Read.All) ${WHERE}; User.ReadWrite.All also allows it. ` +
    'Disabling or enabling an administrator also needs the app to hold the Privileged Authentication Administrator role',
  revokeSessions: `grant the app the User.RevokeSessions.All application permission ${WHERE}; User.ReadWrite.All also allows it`,
} as const;

type Operation = keyof typeof FIX;

export interface MicrosoftGraphActionOptions {
  /** The fetch the SDK and the token request go through (tests may wrap it). */
  fetch?: typeof fetch;
  now?: () => number;
}

/** A user's record as read: the state the actions change, in plain facts. */
interface UserFacts {
  user_id: string;
  user_principal_name: string;
  account_enabled: boolean;
  /** Since when refresh tokens and session cookies are valid: what sign-out resets. */
  sessions_valid_from?: string | null;
}

export function createMicrosoftGraphActions(name: string, config: MicrosoftGraphConfig, opts: MicrosoftGraphActionOptions = {}): ActionConnector {
  const sdkOptions: GraphSdkOptions = {
    ...graphSdkOptions(config),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    redactor: new Redactor([config.client_secret]),
  };
  // Built on first use: listing the actions a source offers must not cost a client.
  let client: GraphSdk | undefined;
  const graph = () => (client ??= createGraphSdk(sdkOptions));

  /** Graph's refusal as a SaaswatchError: an unknown user named plainly, a missing permission named with where to grant it. */
  const failure = (err: unknown, op: Operation, who: string): SaaswatchError => {
    const e = toSaaswatchError(err, { what: `user ${who}`, fix: { 403: FIX[op] } });
    if (e.details?.status === 404) {
      const code = typeof e.details.graph_error === 'string' ? ` ${e.details.graph_error}` : '';
      return graph().redactor.error(
        new SaaswatchError('HTTP_REJECTED', `${DIRECTORY} has no user ${who} (Microsoft Graph answered 404${code}; source ${name})`, { cause: e, details: { ...e.details, user: who, notFound: true } }),
      );
    }
    return graph().redactor.error(e);
  };

  const path = (user: string, tail = '') => `/users/${encodeURIComponent(user)}${tail}`;

  /** The one user whose primary email is `mail`, if there is exactly one. */
  const byMail = async (mail: string, select: string[], signal: AbortSignal): Promise<unknown> => {
    let page: unknown;
    try {
      // The SDK puts .filter() text into the URL as it is: encoded here, so a + or & in an address stays in it.
      page = await graph().sdk.api('/users').filter(encodeURIComponent(`mail eq '${mail.replace(/'/g, "''")}'`)).select(select).options({ signal }).responseType(ResponseType.JSON).get();
    } catch (err) {
      throw failure(err, 'read', mail);
    }
    const value = (page as { value?: unknown } | null | undefined)?.value;
    return Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : undefined;
  };

  const readUser = async (t: ActionTarget, signal: AbortSignal, withSessions: boolean): Promise<UserFacts> => {
    const select = ['id', 'userPrincipalName', 'accountEnabled', ...(withSessions ? ['signInSessionsValidFromDateTime'] : [])];
    let body: unknown;
    try {
      body = await graph().sdk.api(path(t.id)).select(select).options({ signal }).responseType(ResponseType.JSON).get();
    } catch (err) {
      const e = failure(err, 'read', t.id);
      // A user's email need not be their userPrincipalName (a renamed UPN, a hybrid tenant's): try it as mail.
      if (e.details?.status !== 404 || !t.id.includes('@')) throw e;
      body = await byMail(t.id, select, signal);
      if (body === undefined) throw e;
    }
    const u = body as { id?: unknown; userPrincipalName?: unknown; accountEnabled?: unknown; signInSessionsValidFromDateTime?: unknown } | null | undefined;
    if (!u || typeof u.id !== 'string' || typeof u.accountEnabled !== 'boolean') {
      throw errors.inputMalformed({ where: `Microsoft Graph user ${t.id}`, problem: 'answered without id and accountEnabled', retryable: true });
    }
    return {
      user_id: u.id,
      user_principal_name: typeof u.userPrincipalName === 'string' ? u.userPrincipalName : t.id,
      account_enabled: u.accountEnabled,
      ...(withSessions ? { sessions_valid_from: typeof u.signInSessionsValidFromDateTime === 'string' ? u.signInSessionsValidFromDateTime : null } : {}),
    };
  };

  /** The object id read before: a user renamed between read and apply is still the same user. */
  const idOf = (t: ActionTarget, before: ActionState) => (typeof before.user_id === 'string' && before.user_id !== '' ? before.user_id : t.id);

  const setEnabled = async (t: ActionTarget, before: ActionState, enabled: boolean, signal: AbortSignal): Promise<void> => {
    try {
      // 204 whatever the account was: a repeat is as good as the first.
      await graph().sdk.api(path(idOf(t, before))).options({ signal }).patch({ accountEnabled: enabled });
    } catch (err) {
      throw failure(err, 'enableDisable', t.id);
    }
  };

  const enabledNow = (before: ActionState) => (before.account_enabled === true ? 'enabled now' : before.account_enabled === false ? 'disabled now' : 'state unknown');

  const suspend: ConnectorAction = {
    name: 'suspend-user',
    target: 'user',
    summary: `Disable the ${DIRECTORY} account (accountEnabled false): no new sign-in to Microsoft 365; sign-out-user also ends the sessions it has`,
    disruptive: true,
    undo: 'unsuspend-user',
    read: async (t, signal) => ({ ...(await readUser(t, signal, false)) }),
    done: (s) => s.account_enabled === false,
    plan: (t, before) =>
      before.account_enabled === false
        ? `${t.id} is already disabled in ${DIRECTORY}: nothing to do`
        : `would disable the ${DIRECTORY} account of ${t.id} (${enabledNow(before)}), blocking new sign-ins`,
    apply: (t, before, signal) => setEnabled(t, before, false, signal),
  };

  const unsuspend: ConnectorAction = {
    name: 'unsuspend-user',
    target: 'user',
    summary: `Enable the ${DIRECTORY} account again (accountEnabled true)`,
    disruptive: false,
    read: async (t, signal) => ({ ...(await readUser(t, signal, false)) }),
    done: (s) => s.account_enabled === true,
    plan: (t, before) =>
      before.account_enabled === true
        ? `${t.id} is already enabled in ${DIRECTORY}: nothing to do`
        : `would enable the ${DIRECTORY} account of ${t.id} again (${enabledNow(before)})`,
    apply: (t, before, signal) => setEnabled(t, before, true, signal),
  };

  const signOut: ConnectorAction = {
    name: 'sign-out-user',
    target: 'user',
    summary: `Revoke every sign-in session of the ${DIRECTORY} user (refresh tokens and browser session cookies; access tokens live on up to an hour)`,
    disruptive: true,
    read: async (t, signal) => ({ ...(await readUser(t, signal, true)) }),
    plan: (t, before) =>
      `would revoke every ${DIRECTORY} sign-in session of ${t.id} (sessions valid since ${typeof before.sessions_valid_from === 'string' ? before.sessions_valid_from : 'the account was created'}), so each app asks them to sign in again`,
    apply: async (t, before, signal) => {
      let body: unknown;
      try {
        body = await graph().sdk.api(path(idOf(t, before), '/revokeSignInSessions')).options({ signal }).responseType(ResponseType.JSON).post(undefined);
      } catch (err) {
        throw failure(err, 'revokeSessions', t.id);
      }
      const value = (body as { value?: unknown } | null | undefined)?.value;
      // Graph documents `true`; anything else is not a revocation we could record as done.
      if (value !== true) {
        throw errors.inputMalformed({ where: `Microsoft Graph revokeSignInSessions for ${t.id}`, problem: `answered ${JSON.stringify(value ?? null)} instead of true`, retryable: true });
      }
      return { revoked: true };
    },
  };

  return { service: SERVICE, actions: [suspend, unsuspend, signOut] };
}

/** The plugin hook: the config section as validated, and the run's clock for token expiry as the poller has it. */
export function microsoftGraphActions(name: string, config: MicrosoftGraphConfig, deps: PluginDeps): ActionConnector {
  return createMicrosoftGraphActions(name, config, deps.now ? { now: deps.now } : {});
}
