/** ActionLog clauses: response actions queued once per key, moved only from the status asked, listed by what the responder asks. */
import { expect } from 'vitest';
import type { ActionInput } from '../../../src/core/index.js';
import { NOW } from './fixtures.js';
import { clause, type Clause } from './suite.js';

const input = (n: number, over: Partial<ActionInput> = {}): ActionInput => ({
  key: `policy:contain:alert-${n}:suspend-user:google:u${n}@x.io`,
  alertId: `alert-${n}`,
  policy: 'contain',
  source: 'google',
  service: 'google-workspace',
  action: 'suspend-user',
  target: { kind: 'user', id: `u${n}@x.io` },
  actor: 'rule:mass-download',
  reason: 'policy contain: mass download',
  mode: 'execute',
  automatic: true,
  disruptive: true,
  dueAt: NOW + n * 1000,
  ...over,
});

export const actionLogClauses: Clause[] = [
  clause('ActionLog', 'MUST queue an action once per key', async ({ store }) => {
    const first = await store.queueActions([input(1), input(2)]);
    expect(first.map((r) => [r.status, r.target.id, r.attempts])).toEqual([['pending', 'u1@x.io', 0], ['pending', 'u2@x.io', 0]]);
    expect(first[0]).toMatchObject({ alertId: 'alert-1', policy: 'contain', automatic: true, disruptive: true, dueAt: NOW + 1000, mode: 'execute' });
    const again = await store.queueActions([input(2, { reason: 'changed' }), input(3)]);
    expect(again[0]).toEqual(first[1]);
    expect(again[1]!.target.id).toBe('u3@x.io');
    expect(await store.countActions()).toBe(3);
  }),

  clause('ActionLog', 'MUST change an action only from the status asked, with its audit entry in the same transaction', async ({ store }) => {
    const [rec] = await store.queueActions([input(1)]);
    expect(await store.updateAction(rec!.id, { status: 'started', before: { suspended: false }, plan: 'would suspend', attempts: 1 }, { from: 'pending' })).toBe(true);
    // A second process trying to start it too finds it started already.
    expect(await store.updateAction(rec!.id, { status: 'started', attempts: 1 }, { from: 'pending', audit: { actor: 'x', action: 'suspend-user', details: {} } })).toBe(false);
    expect(await store.listAudit()).toEqual([]);
    const audit = { actor: 'rule:mass-download', action: 'suspend-user', details: { outcome: 'done', target: 'u1@x.io' } };
    expect(await store.updateAction(rec!.id, { status: 'done', after: { suspended: true } }, { from: 'started', audit })).toBe(true);
    expect((await store.listActions())[0]).toMatchObject({ status: 'done', attempts: 1, before: { suspended: false }, after: { suspended: true }, plan: 'would suspend' });
    expect(await store.listAudit()).toMatchObject([{ actor: 'rule:mass-download', action: 'suspend-user', details: { outcome: 'done' } }]);
  }),

  clause('ActionLog', 'MUST list and count actions by status, alert, due time, source, action, target, automatic, disruptive, last update and whether sent', async ({ store }) => {
    await store.queueActions([input(3), input(1), input(2, { source: 'dropbox', automatic: false, disruptive: false, action: 'remove-public-link', target: { kind: 'file', id: 'id:abc' } })]);
    const ids = async (q: Parameters<typeof store.listActions>[0]) => (await store.listActions(q)).map((r) => r.target.id);
    expect(await ids({})).toEqual(['u1@x.io', 'id:abc', 'u3@x.io']);
    expect(await ids({ dueBy: NOW + 2000 })).toEqual(['u1@x.io', 'id:abc']);
    expect(await ids({ source: 'dropbox' })).toEqual(['id:abc']);
    expect(await ids({ action: 'suspend-user', alertId: 'alert-3' })).toEqual(['u3@x.io']);
    expect(await ids({ targetId: 'u1@x.io' })).toEqual(['u1@x.io']);
    expect(await ids({ status: ['done'] })).toEqual([]);
    expect(await ids({ status: [] })).toEqual([]);
    expect(await ids({ limit: 1 })).toEqual(['u1@x.io']);
    expect(await store.countActions({ automatic: true, disruptive: true, status: ['pending'] })).toBe(2);
    expect(await store.countActions({ updatedSince: NOW })).toBe(3);
    expect(await store.countActions({ updatedSince: NOW + 1 })).toBe(0);
    const [first] = await store.listActions({ limit: 1 });
    await store.updateAction(first!.id, { status: 'failed', attempts: 1, error: 'timed out' });
    expect(await ids({ sent: true })).toEqual(['u1@x.io']);
    expect(await store.countActions({ sent: false })).toBe(2);
  }),
];
