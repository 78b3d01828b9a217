/** Account and token operations shared by the API's admin routes and `saaswatch user`: each audited with who did it. */
import { errors } from '../../core/errors.js';
import type { Account, AccountRole, ApiToken, Store } from '../../core/store.js';
import { checkPassword, generatePassword, hashPassword } from './password.js';
import { newApiToken, newTokenId, secretHash } from './secrets.js';

const DAY = 86_400_000;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function normalEmail(email: string, where = 'email'): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e) || e.length > 320) throw errors.inputMalformed({ where, problem: `expected an email address, got ${JSON.stringify(email)}` });
  return e;
}

/** Adds an account; without a password (and not `oidcOnly`) one is generated and returned, to be shown once. */
export async function addAccount(
  store: Store,
  a: { email: string; role: AccountRole; password?: string; oidcOnly?: boolean },
  actor: string,
): Promise<{ account: Account; password?: string }> {
  const email = normalEmail(a.email);
  if (a.password !== undefined) checkPassword(a.password);
  const generated = a.password === undefined && !a.oidcOnly ? generatePassword() : undefined;
  const secret = a.password ?? generated;
  const passwordHash = secret === undefined ? undefined : await hashPassword(secret);
  const account = await store.addAccount(
    { email, role: a.role, ...(passwordHash ? { passwordHash } : {}) },
    { actor, action: 'account-add', details: { email, role: a.role, password: secret === undefined ? 'none' : generated ? 'generated' : 'given' } },
  );
  if (!account) throw errors.conflict({ what: `account ${email}`, problem: 'exists already', fix: 'change it with `saaswatch user set-role` or PATCH /api/accounts/{email}' });
  return { account, ...(generated ? { password: generated } : {}) };
}

export async function changeAccount(store: Store, email: string, change: { role?: AccountRole; disabled?: boolean }, actor: string): Promise<Account> {
  const key = normalEmail(email);
  const before = await store.getAccount(key);
  if (!before) throw errors.notFound({ kind: 'account', id: key });
  const details = { email: key, ...(change.role === undefined ? {} : { role: change.role, was: before.role }), ...(change.disabled === undefined ? {} : { disabled: change.disabled }) };
  // The store refuses the last admin's demotion inside its write: a check here first could be raced.
  const after = await store.updateAccount(key, change, { actor, action: 'account-change', details }, { keepAnAdmin: true });
  if (!after) throw errors.notFound({ kind: 'account', id: key });
  return after;
}

export async function removeAccount(store: Store, email: string, actor: string): Promise<Account> {
  const key = normalEmail(email);
  const before = await store.getAccount(key);
  if (!before) throw errors.notFound({ kind: 'account', id: key });
  const gone = await store.removeAccount(key, { actor, action: 'account-remove', details: { email: key, role: before.role } }, { keepAnAdmin: true });
  if (!gone) throw errors.notFound({ kind: 'account', id: key });
  return gone;
}

export async function setPassword(store: Store, email: string, password: string | undefined, actor: string): Promise<{ account: Account; password?: string }> {
  const key = normalEmail(email);
  if (password !== undefined) checkPassword(password);
  const generated = password === undefined ? generatePassword() : undefined;
  const passwordHash = await hashPassword(password ?? generated!);
  const account = await store.updateAccount(key, { passwordHash }, { actor, action: 'account-password', details: { email: key, password: generated ? 'generated' : 'given' } });
  if (!account) throw errors.notFound({ kind: 'account', id: key });
  return { account, ...(generated ? { password: generated } : {}) };
}

/** Lifts a lockout (and forgets the wrong passwords counted so far): the lockout must not keep an admin out for good. */
export async function unlockAccount(store: Store, email: string, actor: string): Promise<{ account: Account; wasLockedUntil?: string }> {
  const key = normalEmail(email);
  const before = await store.getAccount(key);
  if (!before) throw errors.notFound({ kind: 'account', id: key });
  const account = await store.updateAccount(key, { unlock: true }, { actor, action: 'account-unlock', details: { email: key, locked_until: before.lockedUntil ?? null, failed_logins: before.failedLogins } });
  if (!account) throw errors.notFound({ kind: 'account', id: key });
  return { account, ...(before.lockedUntil === undefined ? {} : { wasLockedUntil: before.lockedUntil }) };
}

/** A new API token for the account, returned once: only its hash is kept. */
export async function issueToken(
  store: Store,
  t: { email: string; name: string; expiresDays?: number; now: number },
  actor: string,
): Promise<{ token: string; record: ApiToken }> {
  const email = normalEmail(t.email);
  const account = await store.getAccount(email);
  if (!account) throw errors.notFound({ kind: 'account', id: email, fix: 'add it first with `saaswatch user add`' });
  const token = newApiToken();
  const id = newTokenId();
  const expiresAt = t.expiresDays === undefined ? undefined : t.now + t.expiresDays * DAY;
  const record = await store.addToken(
    { id, name: t.name, email, hash: secretHash(token), ...(expiresAt === undefined ? {} : { expiresAt }) },
    { actor, action: 'token-create', details: { id, name: t.name, email, expires_at: expiresAt === undefined ? null : new Date(expiresAt).toISOString() } },
  );
  return { token, record };
}

export async function revokeToken(store: Store, id: string, actor: string): Promise<ApiToken> {
  const token = await store.revokeToken(id, { actor, action: 'token-revoke', details: { id } });
  if (!token) throw errors.notFound({ kind: 'token', id });
  return token;
}
