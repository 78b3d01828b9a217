/**
 * Respond: the actions Cisco XDR may offer for an email or user observable (block or unblock in
 * saaswatch, and suspend where a service's suspend-user is enabled for execution), and running one
 * through the responder, audited under the relay token's identity. Accounts in response.protected are
 * never blocked or suspended from here: XDR is another system asking, not a person at saaswatch.
 */
import type { Responder } from '../../actions/responder.js';
import type { BlockedUser } from '../../core/store.js';
import { RELAY_CODES, relayError, RelayFailure } from './errors.js';
import type { Observable, RelayError } from './types.js';

export const ACTIONS = {
  block: 'saaswatch-block-user',
  unblock: 'saaswatch-unblock-user',
  suspend: 'saaswatch-suspend-user',
} as const;

/** One action as Cisco's /respond/observables lists it; XDR sends `query-params` back to /respond/trigger. */
export interface RespondAction {
  id: string;
  title: string;
  description: string;
  categories: string[];
  'query-params': { observable_type: string; observable_value: string };
}

export interface RespondDeps {
  responder: Responder;
  listBlockedUsers(q: { user: string }): Promise<BlockedUser[]>;
}

const USER_TYPES = new Set(['email', 'user']);
const EMAIL = /^[^@\s:]+@[^@\s]+$/;
const REASON = 'Cisco XDR response action (relay)';

/** Services whose suspend-user really executes for this user (response.execute). */
function suspenders(responder: Responder, user: string): string[] {
  if (!EMAIL.test(user)) return [];
  return [...new Set(responder.offers(user).filter((o) => o.action === 'suspend-user' && o.target.kind === 'user' && o.executes).map((o) => o.source))];
}

const userOf = (o: Observable) => {
  const v = o.value.trim();
  return o.type === 'email' || v.includes('@') ? v.toLowerCase() : v;
};

/** Block or unblock (whichever applies now), and suspend where enabled, for each email/user observable. */
export async function respondActions(observables: readonly Observable[], deps: RespondDeps): Promise<RespondAction[]> {
  const out: RespondAction[] = [];
  for (const o of observables) {
    if (!USER_TYPES.has(o.type)) continue;
    const user = userOf(o);
    const params = { observable_type: o.type, observable_value: o.value };
    const blocked = (await deps.listBlockedUsers({ user })).length > 0;
    const guarded = deps.responder.protectedName(user) !== undefined;
    if (guarded && !blocked) continue;
    out.push(
      blocked
        ? { id: ACTIONS.unblock, title: 'Unblock in saaswatch', description: `Lift saaswatch's block of ${user}`, categories: ['saaswatch', 'Unblock user'], 'query-params': params }
        : { id: ACTIONS.block, title: 'Block in saaswatch', description: `Block ${user} across the services saaswatch watches (its blocklist)`, categories: ['saaswatch', 'Block user'], 'query-params': params },
    );
    const sources = guarded ? [] : suspenders(deps.responder, user);
    if (sources.length) {
      out.push({ id: ACTIONS.suspend, title: 'Suspend the account', description: `Suspend ${user} on ${sources.join(', ')} through saaswatch`, categories: ['saaswatch', 'Suspend user'], 'query-params': params });
    }
  }
  return out;
}

/** Runs one action; resolves with the errors of what failed (none: success). */
export async function triggerAction(req: { actionId: string; observable: Observable; actor: string }, deps: RespondDeps): Promise<RelayError[]> {
  const { actionId, observable: o, actor } = req;
  if (!USER_TYPES.has(o.type)) throw new RelayFailure(relayError(RELAY_CODES.invalid, `observable_type ${o.type} has no response actions (only email and user do)`));
  const user = userOf(o);
  if (user === '') throw new RelayFailure(relayError(RELAY_CODES.invalid, 'observable_value is empty'));
  const guarded = actionId === ACTIONS.unblock ? undefined : deps.responder.protectedName(user);
  if (guarded !== undefined) {
    throw new RelayFailure(relayError(RELAY_CODES.invalid, `${guarded} is a protected account (response.protected): saaswatch never blocks or suspends it at the relay's request; act in saaswatch by hand if you must`));
  }
  switch (actionId) {
    case ACTIONS.block:
      await deps.responder.block({ user, reason: REASON, actor });
      return [];
    case ACTIONS.unblock:
      await deps.responder.unblock({ user, reason: REASON, actor });
      return [];
    case ACTIONS.suspend: {
      const sources = suspenders(deps.responder, user);
      if (!sources.length) throw new RelayFailure(relayError(RELAY_CODES.invalid, `suspend-user is not enabled for ${user} on any service (response.execute)`));
      const errs: RelayError[] = [];
      for (const source of sources) {
        const recs = await deps.responder.act({ action: 'suspend-user', target: user, source, execute: true, reason: REASON, actor, protect: true });
        for (const r of recs) if (r.status === 'failed' || r.status === 'refused') errs.push(relayError(RELAY_CODES.unknown, `suspend-user on ${r.source} ${r.status}: ${r.error ?? 'no reason given'}`));
      }
      return errs;
    }
    default:
      throw new RelayFailure(relayError(RELAY_CODES.invalid, `Unsupported action: ${JSON.stringify(actionId.slice(0, 100))} (expected ${Object.values(ACTIONS).join(', ')})`));
  }
}
