/** Blocks clauses: blocked users, one entry each. */
import { expect } from 'vitest';
import { isoNow } from './fixtures.js';
import { clause, type Clause } from './suite.js';

export const blocksClauses: Clause[] = [
  clause('Blocks', 'MUST keep one block per user, the latest reason winning, stamped with the store clock', async ({ store }) => {
    await store.blockUser({ user: 'eve@x.io', reason: 'brute force', blockedBy: 'alice' });
    await store.blockUser({ user: 'mallory@x.io', reason: 'exfil', blockedBy: 'auto' });
    await store.blockUser({ user: 'eve@x.io', reason: 'brute force, again', blockedBy: 'bob' });
    const list = await store.listBlockedUsers();
    expect(list).toHaveLength(2);
    expect(list.find((u) => u.user === 'eve@x.io')).toMatchObject({ reason: 'brute force, again', blockedBy: 'bob' });
    expect(list.map((u) => u.blockedAt)).toEqual([isoNow, isoNow]);
  }),

  clause('Blocks', 'MUST unblock a user, answering whether one was blocked', async ({ store }) => {
    await store.blockUser({ user: 'eve@x.io', reason: 'brute force', blockedBy: 'alice' });
    await store.blockUser({ user: 'mallory@x.io', reason: 'exfil', blockedBy: 'auto' });
    expect(await store.unblockUser('eve@x.io')).toBe(true);
    expect(await store.unblockUser('eve@x.io')).toBe(false);
    expect((await store.listBlockedUsers()).map((u) => u.user)).toEqual(['mallory@x.io']);
  }),
];
