/** Identities clauses: (source, source id) → canonical identity. */
import { expect } from 'vitest';
import { clause, type Clause } from './suite.js';

export const identitiesClauses: Clause[] = [
  clause('Identities', 'MUST map each (source, source id) pair to one canonical identity, the latest put winning', async ({ store }) => {
    expect(await store.resolveIdentity('slack', 'U1')).toBeUndefined();
    await store.putIdentity('slack', 'U1', 'alice@x.io');
    await store.putIdentity('dropbox', 'U1', 'bob@x.io');
    expect(await store.resolveIdentity('slack', 'U1')).toBe('alice@x.io');
    expect(await store.resolveIdentity('dropbox', 'U1')).toBe('bob@x.io');
    await store.putIdentity('slack', 'U1', 'alice@new.io');
    expect(await store.resolveIdentity('slack', 'U1')).toBe('alice@new.io');
    expect(await store.resolveIdentity('dropbox', 'U1')).toBe('bob@x.io');
  }),
];
