/** Audit clauses: an append-only log, newest first, filtered. */
import { expect } from 'vitest';
import { isoNow } from './fixtures.js';
import { clause, type Clause } from './suite.js';

export const auditClauses: Clause[] = [
  clause('Audit', 'MUST keep entries with their details, listed newest first', async ({ store }) => {
    await store.audit('alice', 'block-user', { user: 'eve@x.io', dryRun: false });
    await store.audit('system', 'purge', { before: 5 });
    const log = await store.listAudit();
    expect(log.map((e) => e.action)).toEqual(['purge', 'block-user']);
    expect(log[1]).toMatchObject({ actor: 'alice', at: isoNow, details: { user: 'eve@x.io', dryRun: false } });
    expect(log[0]!.id).toBeGreaterThan(log[1]!.id);
    expect(await store.listAudit(1)).toHaveLength(1);
  }),

  clause('Audit', 'MUST filter entries by action, actor, time and subject', async ({ store }) => {
    await store.audit('alice', 'suspend-user', { target: 'Eve@X.io', outcome: 'done' });
    await store.audit('rule:baseline', 'block', { user: 'mallory@x.io' });
    await store.audit('alice', 'remove-public-link', { target: 'file_100%_a', outcome: 'dry-run' });
    const actions = async (q: Parameters<typeof store.listAudit>[0]) => (await store.listAudit(q)).map((e) => e.action);
    expect(await actions({ actor: 'alice' })).toEqual(['remove-public-link', 'suspend-user']);
    expect(await actions({ action: 'block' })).toEqual(['block']);
    expect(await actions({ subject: 'eve@x.IO' })).toEqual(['suspend-user']);
    // % and _ are literal: a subject is text, not a pattern.
    expect(await actions({ subject: '100%_a' })).toEqual(['remove-public-link']);
    expect(await actions({ subject: '100%%' })).toEqual([]);
    const at = Date.parse(isoNow);
    expect(await actions({ since: at, until: at + 1 })).toHaveLength(3);
    expect(await actions({ since: at + 1 })).toEqual([]);
    expect(await actions({ actor: 'alice', limit: 1 })).toEqual(['remove-public-link']);
  }),
];
