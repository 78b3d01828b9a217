/** Accounts clauses: one account per address, tokens and sessions kept as hashes, every change audited with it. */
import { expect } from 'vitest';
import { isoNow, NOW } from './fixtures.js';
import { clause, type Clause } from './suite.js';

const note = (action: string) => ({ actor: 'cli:root', action, details: { email: 'ana@x.io' } });
const session = (idHash: string, email = 'ana@x.io', expiresAt = NOW + 3_600_000) => ({ idHash, email, csrfToken: `csrf-${idHash}`, expiresAt, ip: '127.0.0.1', userAgent: 'test' });

export const accountsClauses: Clause[] = [
  clause('Accounts', 'MUST keep one account per email, lowercased, refusing a second with undefined', async ({ store }) => {
    const a = await store.addAccount({ email: 'Ana@X.io', role: 'analyst', passwordHash: 'scrypt$h' }, note('account-add'));
    expect(a).toEqual({ email: 'ana@x.io', role: 'analyst', passwordHash: 'scrypt$h', disabled: false, createdAt: isoNow, failedLogins: 0 });
    expect(await store.addAccount({ email: 'ANA@x.io', role: 'admin' })).toBeUndefined();
    await store.addAccount({ email: 'bob@x.io', role: 'viewer' });
    expect(await store.getAccount('ana@X.IO')).toEqual(a);
    expect((await store.listAccounts()).map((x) => [x.email, x.passwordHash ?? null])).toEqual([['ana@x.io', 'scrypt$h'], ['bob@x.io', null]]);
    expect((await store.listAudit()).map((e) => [e.actor, e.action])).toEqual([['cli:root', 'account-add']]);
  }),

  clause('Accounts', 'MUST add one account when the same email is added several times at once, answering undefined to the others', async ({ store }) => {
    // Every pooled connection open first, so the adds really run side by side.
    await Promise.all(Array.from({ length: 8 }, () => store.listAccounts()));
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => store.addAccount({ email: 'ana@x.io', role: 'viewer', passwordHash: `h${i}` }, note('account-add'))));
    expect(all.filter((a) => a !== undefined)).toHaveLength(1);
    expect((await store.listAccounts()).map((a) => a.email)).toEqual(['ana@x.io']);
    expect(await store.listAudit()).toHaveLength(1);
  }),

  clause('Accounts', 'MUST end the sessions of an account whose role changes, that is disabled or gets a new password, and audit the change with it', async ({ store }) => {
    await store.addAccount({ email: 'ana@x.io', role: 'analyst' });
    await store.addAccount({ email: 'bob@x.io', role: 'viewer' });
    await store.addSession(session('s1'));
    await store.addSession(session('s2', 'bob@x.io'));
    expect(await store.updateAccount('ana@x.io', { role: 'analyst' })).toMatchObject({ role: 'analyst' });
    expect(await store.findSession('s1')).toBeDefined();
    expect(await store.updateAccount('ana@x.io', { role: 'admin' }, note('account-change'))).toMatchObject({ role: 'admin', disabled: false });
    expect(await store.findSession('s1')).toBeUndefined();
    await store.addSession(session('s3'));
    expect(await store.updateAccount('ana@x.io', { disabled: true })).toMatchObject({ disabled: true });
    expect(await store.findSession('s3')).toBeUndefined();
    await store.addSession(session('s4'));
    await store.updateAccount('ana@x.io', { passwordHash: 'new' });
    expect(await store.findSession('s4')).toBeUndefined();
    expect(await store.findSession('s2')).toMatchObject({ email: 'bob@x.io' });
    expect(await store.updateAccount('nobody@x.io', { role: 'admin' })).toBeUndefined();
    expect((await store.listAudit()).map((e) => e.action)).toEqual(['account-change']);
  }),

  clause('Accounts', 'MUST remove an account with its tokens and sessions', async ({ store }) => {
    await store.addAccount({ email: 'ana@x.io', role: 'analyst' });
    await store.addToken({ id: 't1', name: 'ci', email: 'ana@x.io', hash: 'h1' });
    await store.addSession(session('s1'));
    expect(await store.removeAccount('ANA@x.io', note('account-remove'))).toMatchObject({ email: 'ana@x.io' });
    expect(await store.removeAccount('ana@x.io')).toBeUndefined();
    expect(await store.findToken('h1')).toBeUndefined();
    expect(await store.findSession('s1')).toBeUndefined();
    expect((await store.listAudit()).map((e) => e.action)).toEqual(['account-remove']);
  }),

  clause('Accounts', 'MUST refuse with CONFLICT, when asked to keep an admin, a change or removal that would leave no enabled admin, also when two race', async ({ store }) => {
    await store.addAccount({ email: 'a@x.io', role: 'admin' });
    await store.addAccount({ email: 'b@x.io', role: 'admin' });
    const keep = { keepAnAdmin: true };
    await Promise.all(Array.from({ length: 4 }, () => store.listAccounts()));
    const raced = await Promise.allSettled([store.updateAccount('a@x.io', { disabled: true }, note('account-change'), keep), store.updateAccount('b@x.io', { role: 'viewer' }, note('account-change'), keep)]);
    expect(raced.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(raced.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    const left = (await store.listAccounts()).filter((x) => x.role === 'admin' && !x.disabled);
    expect(left).toHaveLength(1);
    await expect(store.removeAccount(left[0]!.email, undefined, keep)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(store.updateAccount(left[0]!.email, { role: 'analyst' }, undefined, keep)).rejects.toMatchObject({ code: 'CONFLICT' });
    // Still an admin, and nothing but the one change audited; without the option the store does as told.
    expect(await store.getAccount(left[0]!.email)).toMatchObject({ role: 'admin', disabled: false });
    expect((await store.listAudit()).map((e) => e.action)).toEqual(['account-change']);
    expect(await store.updateAccount(left[0]!.email, { role: 'analyst' })).toMatchObject({ role: 'analyst' });
  }),

  clause('Accounts', 'MUST reserve each password check before it is made, refusing while locked, and lock the account with the reservation that reaches the limit, starting the count over; a login or an unlock clears both', async ({ store, open }) => {
    await store.addAccount({ email: 'ana@x.io', role: 'viewer' });
    const lock = { maxFailures: 3, until: NOW + 60_000 };
    expect(await store.reserveLogin('ana@x.io', lock)).toMatchObject({ reserved: true, locks: false, account: { failedLogins: 1 } });
    expect(await store.reserveLogin('ANA@x.io', lock)).toMatchObject({ reserved: true, locks: false, account: { failedLogins: 2 } });
    const third = await store.reserveLogin('ana@x.io', lock);
    expect(third).toMatchObject({ reserved: true, locks: true, account: { failedLogins: 0, lockedUntil: new Date(NOW + 60_000).toISOString() } });
    expect(await store.reserveLogin('ana@x.io', lock)).toMatchObject({ reserved: false, locks: false, account: { failedLogins: 0 } });
    expect(await store.reserveLogin('nobody@x.io', lock)).toBeUndefined();
    // Once the lock has run out (store clock), checks are reserved again, counted from zero.
    const later = await open({ now: () => NOW + 60_000 });
    try {
      expect(await later.reserveLogin('ana@x.io', { maxFailures: 3, until: NOW + 120_000 })).toMatchObject({ reserved: true, locks: false, account: { failedLogins: 1 } });
    } finally {
      await later.close();
    }
    await store.reserveLogin('ana@x.io', { maxFailures: 1, until: NOW + 60_000 });
    expect(await store.reserveLogin('ana@x.io', lock)).toMatchObject({ reserved: false });
    expect(await store.updateAccount('ana@x.io', { unlock: true })).toMatchObject({ failedLogins: 0 });
    expect((await store.reserveLogin('ana@x.io', lock))?.reserved).toBe(true);
    await store.recordLogin('ana@x.io', note('login'));
    const a = await store.getAccount('ana@x.io');
    expect(a).toMatchObject({ failedLogins: 0, lastLoginAt: isoNow });
    expect(a?.lockedUntil).toBeUndefined();
    expect((await store.listAudit()).map((e) => e.action)).toEqual(['login']);
  }),

  clause('Accounts', 'MUST let no more checks through than the limit when reservations race, with exactly one locking reservation', async ({ store }) => {
    await store.addAccount({ email: 'ana@x.io', role: 'viewer' });
    const lock = { maxFailures: 3, until: NOW + 60_000 };
    const all = await Promise.all(Array.from({ length: 12 }, () => store.reserveLogin('ana@x.io', lock)));
    expect(all.filter((r) => r?.reserved).length).toBe(3);
    expect(all.filter((r) => r?.locks).length).toBe(1);
    expect(await store.getAccount('ana@x.io')).toMatchObject({ lockedUntil: new Date(NOW + 60_000).toISOString() });
  }),

  clause('Accounts', 'MUST find a token by its hash, revoked ones included, list only unrevoked ones newest first, and revoke once', async ({ store, open }) => {
    await store.addToken({ id: 't1', name: 'ci', email: 'Ana@x.io', hash: 'h1', expiresAt: NOW + 1000 }, note('token-create'));
    const later = await open({ now: () => NOW + 5000 });
    try {
      await later.addToken({ id: 't2', name: 'siem', email: 'bob@x.io', hash: 'h2' });
    } finally {
      await later.close();
    }
    expect(await store.findToken('h1')).toEqual({ id: 't1', name: 'ci', email: 'ana@x.io', createdAt: isoNow, expiresAt: new Date(NOW + 1000).toISOString() });
    expect((await store.listTokens()).map((t) => t.id)).toEqual(['t2', 't1']);
    expect((await store.listTokens({ email: 'ANA@x.io' })).map((t) => t.id)).toEqual(['t1']);
    await store.touchToken('t1', NOW + 10);
    expect((await store.findToken('h1'))?.lastUsedAt).toBe(new Date(NOW + 10).toISOString());
    expect(await store.revokeToken('t1', note('token-revoke'))).toMatchObject({ id: 't1', revokedAt: isoNow });
    expect(await store.revokeToken('t1')).toBeUndefined();
    expect(await store.findToken('h1')).toMatchObject({ revokedAt: isoNow });
    expect((await store.listTokens()).map((t) => t.id)).toEqual(['t2']);
    expect((await store.listAudit()).map((e) => e.action)).toEqual(['token-revoke', 'token-create']);
  }),

  clause('Accounts', 'MUST keep sessions by the hash of their id, drop those past their end when one is added, and end one on demand', async ({ store, open }) => {
    await store.addSession(session('old', 'ana@x.io', NOW + 10));
    await store.addSession(session('s1'));
    expect(await store.findSession('s1')).toEqual({ email: 'ana@x.io', csrfToken: 'csrf-s1', createdAt: isoNow, lastSeenAt: isoNow, expiresAt: new Date(NOW + 3_600_000).toISOString(), ip: '127.0.0.1', userAgent: 'test' });
    await store.touchSession('s1', NOW + 60_000);
    expect((await store.findSession('s1'))?.lastSeenAt).toBe(new Date(NOW + 60_000).toISOString());
    const later = await open({ now: () => NOW + 10 });
    try {
      await later.addSession(session('s2'));
    } finally {
      await later.close();
    }
    expect(await store.findSession('old')).toBeUndefined();
    expect(await store.endSession('s1')).toBe(true);
    expect(await store.endSession('s1')).toBe(false);
    expect(await store.findSession('s2')).toBeDefined();
  }),
];
