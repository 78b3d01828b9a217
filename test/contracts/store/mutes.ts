/** Mutes clauses: suppression rules, each add and removal in the audit log, removed ones kept. */
import { expect } from 'vitest';
import { NOW, isoNow } from './fixtures.js';
import { clause, type Clause } from './suite.js';

const DAY = 86_400_000;

export const mutesClauses: Clause[] = [
  clause('Mutes', 'MUST store a mute with its pattern, end, reason, actor and source, stamped with the store clock, and audit it in the same transaction', async ({ store }) => {
    const m = await store.addMute({ rule: 'brute-force', entity: { type: 'user', value: '*@contractor.example' }, until: NOW + DAY, reason: 'pen test', actor: 'alice', source: 'cli' });
    expect(m).toEqual({
      id: m.id, rule: 'brute-force', entity: { type: 'user', value: '*@contractor.example' }, until: NOW + DAY, reason: 'pen test', actor: 'alice', source: 'cli', createdAt: isoNow,
    });
    const fp = await store.addMute({ rule: 'impossible-travel', entity: { type: 'user', value: 'bob@example.com' }, reason: 'VPN', actor: 'bob', source: 'feedback', alertId: 'a-1' });
    expect(fp).toMatchObject({ alertId: 'a-1', source: 'feedback' });
    expect(fp.until).toBeUndefined();
    expect(fp.id).toBeGreaterThan(m.id);
    const log = await store.listAudit();
    expect(log.map((e) => [e.action, e.actor])).toEqual([['mute', 'bob'], ['mute', 'alice']]);
    expect(log[1]!.details).toEqual({ mute: m.id, rule: 'brute-force', entity: 'user:*@contractor.example', until: new Date(NOW + DAY).toISOString(), reason: 'pen test', source: 'cli' });
    expect(log[0]!.details).toMatchObject({ mute: fp.id, until: null, alert: 'a-1' });
  }),

  clause('Mutes', 'MUST refuse a mute with neither rule nor entity, storing and auditing nothing', async ({ store }) => {
    await expect(store.addMute({ reason: 'everything', actor: 'eve', source: 'api' })).rejects.toMatchObject({ code: 'STORAGE' });
    expect(await store.listMutes()).toEqual([]);
    expect(await store.listAudit()).toEqual([]);
  }),

  clause('Mutes', 'MUST list mutes newest first, and with activeAt only those in force then (not removed, no end or ending after it)', async ({ store }) => {
    const forever = await store.addMute({ rule: 'sigma-x', reason: 'noisy', actor: 'a', source: 'cli' });
    const ends = await store.addMute({ entity: { type: 'ip', value: '10.0.0.1' }, until: NOW + 1000, reason: 'scanner', actor: 'a', source: 'cli' });
    const gone = await store.addMute({ rule: 'novelty', reason: 'tuning', actor: 'a', source: 'cli' });
    await store.removeMute(gone.id, { actor: 'b' });
    expect((await store.listMutes()).map((m) => m.id)).toEqual([gone.id, ends.id, forever.id]);
    expect((await store.listMutes({ activeAt: NOW })).map((m) => m.id)).toEqual([ends.id, forever.id]);
    // The end is exclusive: at its instant the mute no longer holds.
    expect((await store.listMutes({ activeAt: NOW + 1000 })).map((m) => m.id)).toEqual([forever.id]);
  }),

  clause('Mutes', 'MUST remove a mute by keeping it marked removed, with who removed it and an audit entry, answering undefined when there is none in force', async ({ store }) => {
    const m = await store.addMute({ rule: 'brute-force', reason: 'load test', actor: 'alice', source: 'cli' });
    const removed = await store.removeMute(m.id, { actor: 'bob', reason: 'load test over' });
    expect(removed).toMatchObject({ id: m.id, removedAt: isoNow, removedBy: 'bob', reason: 'load test' });
    expect(await store.removeMute(m.id, { actor: 'bob' })).toBeUndefined();
    expect(await store.removeMute(m.id + 1000, { actor: 'bob' })).toBeUndefined();
    expect((await store.listMutes())[0]).toMatchObject({ id: m.id, removedBy: 'bob' });
    const log = await store.listAudit();
    expect(log.map((e) => e.action)).toEqual(['unmute', 'mute']);
    expect(log[0]).toMatchObject({ actor: 'bob', details: { mute: m.id, rule: 'brute-force', reason: 'load test over', muteReason: 'load test' } });
    const other = await store.addMute({ entity: { type: 'ip', value: '10.0.0.1' }, reason: 'scanner', actor: 'alice', source: 'cli' });
    await store.removeMute(other.id, { actor: 'carol' });
    expect((await store.listAudit(1))[0]).toMatchObject({ actor: 'carol', action: 'unmute', details: { mute: other.id, entity: 'ip:10.0.0.1', reason: null, muteReason: 'scanner' } });
  }),
];
