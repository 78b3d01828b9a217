/** Blocks clauses: one block per user, with scope, expiry and cause, every change audited. */
import { expect } from 'vitest';
import { isoNow, NOW } from './fixtures.js';
import { clause, type Clause } from './suite.js';

export const blocksClauses: Clause[] = [
  clause('Blocks', 'MUST keep one block per user, the latest reason winning, stamped with the store clock', async ({ store }) => {
    await store.blockUser({ user: 'eve@x.io', reason: 'brute force', blockedBy: 'alice' });
    await store.blockUser({ user: 'mallory@x.io', reason: 'exfil', blockedBy: 'rule:baseline', alertId: 'a-1' });
    const again = await store.blockUser({ user: 'eve@x.io', reason: 'brute force, again', blockedBy: 'bob', scope: 'download', expiresAt: NOW + 3_600_000 });
    expect(again).toEqual({ user: 'eve@x.io', reason: 'brute force, again', blockedBy: 'bob', blockedAt: isoNow, scope: 'download', expiresAt: new Date(NOW + 3_600_000).toISOString() });
    const list = await store.listBlockedUsers();
    expect(list).toHaveLength(2);
    expect(list.find((u) => u.user === 'mallory@x.io')).toEqual({ user: 'mallory@x.io', reason: 'exfil', blockedBy: 'rule:baseline', blockedAt: isoNow, scope: 'all', alertId: 'a-1' });
    expect(list.map((u) => u.blockedAt)).toEqual([isoNow, isoNow]);
  }),

  clause('Blocks', 'MUST audit every block and unblock in the same transaction', async ({ store }) => {
    await store.blockUser({ user: 'eve@x.io', reason: 'brute force', blockedBy: 'alice' });
    await store.blockUser({ user: 'eve@x.io', reason: 'exfil', blockedBy: 'bob', scope: 'share' });
    await store.unblockUser('eve@x.io', { actor: 'carol', reason: 'cleared' });
    const log = (await store.listAudit()).reverse();
    expect(log.map((e) => [e.actor, e.action])).toEqual([['alice', 'block'], ['bob', 'block'], ['carol', 'unblock']]);
    expect(log[1]!.details).toMatchObject({ user: 'eve@x.io', reason: 'exfil', scope: 'share', replaced: { reason: 'brute force', blocked_by: 'alice', scope: 'all' } });
    expect(log[2]!.details).toMatchObject({ user: 'eve@x.io', reason: 'cleared', block: { reason: 'exfil', blocked_by: 'bob' } });
  }),

  clause('Blocks', 'MUST unblock a user, answering the block lifted, or undefined when there was none', async ({ store }) => {
    await store.blockUser({ user: 'eve@x.io', reason: 'brute force', blockedBy: 'alice' });
    await store.blockUser({ user: 'mallory@x.io', reason: 'exfil', blockedBy: 'auto' });
    expect(await store.unblockUser('eve@x.io', { actor: 'bob' })).toMatchObject({ user: 'eve@x.io', reason: 'brute force' });
    expect(await store.unblockUser('eve@x.io', { actor: 'bob' })).toBeUndefined();
    expect((await store.listBlockedUsers()).map((u) => u.user)).toEqual(['mallory@x.io']);
  }),

  clause('Blocks', 'MUST list only blocks in force at activeAt, and lift expired ones with expireBlocks', async ({ store }) => {
    await store.blockUser({ user: 'eve@x.io', reason: 'r', blockedBy: 'alice', expiresAt: NOW + 1000 });
    await store.blockUser({ user: 'mallory@x.io', reason: 'r', blockedBy: 'alice' });
    expect((await store.listBlockedUsers({ activeAt: NOW + 999 })).map((u) => u.user).sort()).toEqual(['eve@x.io', 'mallory@x.io']);
    expect((await store.listBlockedUsers({ activeAt: NOW + 1000 })).map((u) => u.user)).toEqual(['mallory@x.io']);
    expect((await store.listBlockedUsers({ user: 'eve@x.io' })).map((u) => u.user)).toEqual(['eve@x.io']);
    expect(await store.listBlockedUsers({ user: 'eve@x.io', activeAt: NOW + 1000 })).toEqual([]);
    expect(await store.expireBlocks(NOW + 999)).toEqual([]);
    expect((await store.expireBlocks(NOW + 1000)).map((u) => u.user)).toEqual(['eve@x.io']);
    expect((await store.listBlockedUsers()).map((u) => u.user)).toEqual(['mallory@x.io']);
    expect((await store.listAudit({ action: 'unblock' }))[0]).toMatchObject({ actor: 'saaswatch:expiry', details: { user: 'eve@x.io' } });
  }),
];
