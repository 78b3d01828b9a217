/** Audit clauses: an append-only log, newest first. */
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
];
