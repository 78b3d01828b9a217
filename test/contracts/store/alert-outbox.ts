/** AlertOutbox clauses: alert dedup and merge, the delivery lease, its order, and the outbox's moves. */
import { expect } from 'vitest';
import { dedupKey } from '../../../src/core/alert.js';
import { SaaswatchError } from '../../../src/core/errors.js';
import { MAX_ALERT_EVIDENCE } from '../../../src/storage/index.js';
import { alert, event, isoNow, NOW, T0 } from './fixtures.js';
import type { AlertOutbox } from '../../../src/core/store.js';
import { clause, type Clause } from './suite.js';

/** Claims with one clock for due times and leases, as one outbox on a wall clock does. */
const claim = (store: AlertOutbox, at: number, limit: number, leaseMs: number, owner = 'outbox-a') =>
  store.claimDeliveries(at, limit, { owner, now: at, ms: leaseMs });

export const alertOutboxClauses: Clause[] = [
  clause('AlertOutbox', 'MUST dedup alerts by key, creating one delivery per distinct sink for a new alert only', async ({ store }) => {
    const a = alert(1);
    const first = await store.saveAlerts([a], ['slack', 'webhook', 'slack']);
    expect(first.updated).toBe(0);
    expect(first.created.map((c) => c.id)).toEqual([a.id]);
    const stored = await store.getAlert(a.id);
    expect(stored).toMatchObject({ id: a.id, dedupKey: a.dedupKey, status: 'open', evidence: ['evt-1'], windowEnd: T0 + 60_000 });
    expect(stored!.createdAt).toBe(a.createdAt);
    const deliveries = await store.listDeliveries({ alertId: a.id });
    expect(deliveries.map((d) => d.sink).sort()).toEqual(['slack', 'webhook']);
    expect(deliveries.every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true);

    // Same attack seen again, under a different id: one alert, no new delivery.
    const second = await store.saveAlerts([alert(1, { id: 'another-id' }), alert(2)], ['slack', 'webhook']);
    expect(second.updated).toBe(1);
    expect(second.created.map((c) => c.entity.value)).toEqual(['192.0.2.2']);
    expect(await store.getAlert('another-id')).toBeUndefined();
    expect(await store.listDeliveries({ alertId: a.id })).toHaveLength(2);
    expect(await store.listDeliveries()).toHaveLength(4);
  }),

  clause('AlertOutbox', 'MUST merge a repeated alert into the stored one: window end only forward, severity only up, evidence bounded, observed values replaced', async ({ store }) => {
    const a = alert(1);
    await store.saveAlerts([a], []);
    const again = alert(1, {
      id: 'another-id',
      windowEnd: T0 + 120_000,
      evidence: ['evt-1', 'evt-2', ...Array.from({ length: 150 }, (_, i) => `more-${i}`)],
      observed: { failures: 35, users: 2 },
    });
    expect(await store.saveAlerts([again], [])).toEqual({ created: [], updated: 1 });
    const merged = await store.getAlert(a.id);
    expect(merged!.windowEnd).toBe(T0 + 120_000);
    expect(merged!.evidence).toHaveLength(MAX_ALERT_EVIDENCE);
    expect(merged!.evidence.slice(0, 3)).toEqual(['evt-1', 'evt-2', 'more-0']);
    expect(new Set(merged!.evidence).size).toBe(MAX_ALERT_EVIDENCE);
    expect(merged!.observed).toEqual({ failures: 35, users: 2 });
    // An older window end never moves the window back.
    await store.saveAlerts([alert(1, { windowEnd: T0 + 1 })], []);
    expect((await store.getAlert(a.id))!.windowEnd).toBe(T0 + 120_000);
    // Severity only rises; status and creation time stay with the stored alert.
    await store.setAlertStatus(a.id, 'acknowledged');
    await store.saveAlerts([alert(1, { severity: 'low', status: 'open', createdAt: new Date(T0 + 500_000).toISOString() })], []);
    expect(await store.getAlert(a.id)).toMatchObject({ severity: 'high', status: 'acknowledged', createdAt: a.createdAt });
    await store.saveAlerts([alert(1, { severity: 'critical' })], []);
    expect((await store.getAlert(a.id))!.severity).toBe('critical');
  }),

  clause('AlertOutbox', 'MUST list alerts newest first, by status and rule, and reject a status change of an unknown alert', async ({ store }) => {
    const a = alert(1);
    const b = alert(2, { rule: 'impossible-travel', createdAt: new Date(T0 + 99_000).toISOString() });
    await store.saveAlerts([a, b], []);
    expect(await store.listDeliveries()).toHaveLength(0);
    expect((await store.listAlerts()).map((x) => x.id)).toEqual([b.id, a.id]);
    expect((await store.listAlerts({ rule: 'impossible-travel' })).map((x) => x.id)).toEqual([b.id]);
    await store.setAlertStatus(a.id, 'acknowledged');
    expect((await store.listAlerts({ status: 'open' })).map((x) => x.id)).toEqual([b.id]);
    expect((await store.getAlert(a.id))!.status).toBe('acknowledged');
    expect(await store.listAlerts({ limit: 1 })).toHaveLength(1);
    await expect(store.setAlertStatus('missing', 'closed')).rejects.toBeInstanceOf(SaaswatchError);
  }),

  clause('AlertOutbox', 'MUST lease each due delivery to one claimer at a time, across stores on one database', async ({ store, open }) => {
    await store.saveAlerts(Array.from({ length: 10 }, (_, i) => alert(100 + i)), ['slack', 'webhook', 'jira']); // 30 deliveries
    const other = await open();
    try {
      const owners = ['outbox-a', 'outbox-b', 'outbox-c', 'outbox-d', 'outbox-e'];
      const claims = await Promise.all(owners.map((owner, i) => claim(i % 2 ? other : store, NOW, 7, 30_000, owner)));
      const claimed = claims.flat().map((d) => d.id);
      expect(claimed).toHaveLength(30);
      expect(new Set(claimed).size).toBe(30);
      claims.forEach((batch, i) => {
        for (const d of batch) expect(d).toMatchObject({ status: 'delivering', attempts: 1, updatedAt: isoNow, leaseOwner: owners[i], leaseUntil: NOW + 30_000 });
      });
      const listed = new Map((await store.listDeliveries()).map((d) => [d.id, d.leaseOwner]));
      claims.forEach((batch, i) => {
        for (const d of batch) expect(listed.get(d.id)).toBe(owners[i]);
      });
      // Leased: nothing more to claim until the lease ends.
      expect(await claim(other, NOW + 29_999, 100, 30_000)).toHaveLength(0);
    } finally {
      await other.close();
    }
  }),

  clause('AlertOutbox', 'MUST let a delivery whose lease expired be claimed again, counting the attempt', async ({ store }) => {
    await store.saveAlerts([alert(1), alert(2)], ['slack']);
    expect(await claim(store, NOW, 10, 30_000)).toHaveLength(2);
    expect(await claim(store, NOW + 30_000, 10, 30_000)).toHaveLength(0);
    const reclaimed = await claim(store, NOW + 30_001, 10, 30_000);
    expect(reclaimed).toHaveLength(2);
    expect(reclaimed.every((d) => d.attempts === 2 && d.status === 'delivering')).toBe(true);
  }),

  clause('AlertOutbox', 'MUST record who holds a lease and until when, and renew it for that holder only', async ({ store }) => {
    await store.saveAlerts([alert(1), alert(2)], ['slack']);
    const held = await claim(store, NOW, 10, 1_000, 'outbox-a');
    expect(held.map((d) => [d.leaseOwner, d.leaseUntil])).toEqual([['outbox-a', NOW + 1_000], ['outbox-a', NOW + 1_000]]);
    const ids = held.map((d) => d.id).sort();
    // Another outbox cannot extend what it does not hold.
    expect(await store.renewLeases('outbox-b', ids, NOW + 60_000)).toEqual([]);
    expect((await store.listDeliveries()).map((d) => d.leaseUntil)).toEqual([NOW + 1_000, NOW + 1_000]);
    // The holder can, and past the first lease end nobody else may claim them.
    expect((await store.renewLeases('outbox-a', ids, NOW + 5_000)).sort()).toEqual(ids);
    expect(await claim(store, NOW + 5_000, 10, 1_000, 'outbox-b')).toEqual([]);
    expect((await store.listDeliveries()).map((d) => [d.status, d.leaseOwner, d.leaseUntil])).toEqual([
      ['delivering', 'outbox-a', NOW + 5_000],
      ['delivering', 'outbox-a', NOW + 5_000],
    ]);
    // A finished delivery is held by nobody and is not renewed.
    await store.completeDelivery(ids[0]!, 'outbox-a');
    const [done] = await store.listDeliveries({ status: 'delivered' });
    expect(done!.id).toBe(ids[0]);
    expect(done!.leaseOwner).toBeUndefined();
    expect(done!.leaseUntil).toBeUndefined();
    expect(await store.renewLeases('outbox-a', ids, NOW + 9_000)).toEqual([ids[1]]);
    expect(await store.renewLeases('outbox-a', [], NOW + 9_000)).toEqual([]);
    // Pending deliveries (released, due for a retry) have no holder either.
    await store.retryDelivery(ids[1]!, NOW + 20_000, 'HTTP 503', 'outbox-a');
    const [pending] = await store.listDeliveries({ status: 'pending' });
    expect(pending!.leaseOwner).toBeUndefined();
    expect(pending!.leaseUntil).toBeUndefined();
    expect(await store.renewLeases('outbox-a', ids, NOW + 30_000)).toEqual([]);
  }),

  clause('AlertOutbox', "MUST let another claimer take over a lease that ran out, and refuse the old holder's late writes", async ({ store, open }) => {
    await store.saveAlerts([alert(1)], ['slack', 'webhook']);
    const first = await claim(store, NOW, 10, 1_000, 'outbox-a');
    expect(first).toHaveLength(2);
    const ids = first.map((d) => d.id).sort();
    const other = await open();
    try {
      // outbox-a stalled (or died) and let its lease run out: outbox-b takes both over.
      const taken = await claim(other, NOW + 1_001, 10, 1_000, 'outbox-b');
      expect(taken.map((d) => d.id).sort()).toEqual(ids);
      for (const d of taken) expect(d).toMatchObject({ status: 'delivering', attempts: 2, leaseOwner: 'outbox-b', leaseUntil: NOW + 2_001 });
      expect(await store.renewLeases('outbox-a', ids, NOW + 9_000)).toEqual([]);
      const lost = { code: 'STORAGE', details: { leaseLost: true } };
      await expect(store.completeDelivery(ids[0]!, 'outbox-a')).rejects.toMatchObject(lost);
      await expect(store.retryDelivery(ids[0]!, NOW, 'HTTP 503', 'outbox-a')).rejects.toMatchObject(lost);
      await expect(store.failDelivery(ids[1]!, 'HTTP 400', 'outbox-a')).rejects.toMatchObject(lost);
      // The late writes changed nothing: the new holder's lease stands and its outcome is the one kept.
      expect((await store.listDeliveries()).map((d) => [d.status, d.leaseOwner, d.attempts, d.lastError])).toEqual([
        ['delivering', 'outbox-b', 2, undefined],
        ['delivering', 'outbox-b', 2, undefined],
      ]);
      await other.completeDelivery(ids[0]!, 'outbox-b');
      await other.failDelivery(ids[1]!, 'HTTP 400: rejected', 'outbox-b');
      // Once finished, no holder may write again; without an owner, an unknown id rejects as before.
      await expect(other.retryDelivery(ids[0]!, NOW, 'again', 'outbox-b')).rejects.toMatchObject(lost);
      expect((await store.listDeliveries({ status: 'delivered' })).map((d) => d.id)).toEqual([ids[0]]);
      expect((await store.listDeliveries({ status: 'failed' })).map((d) => [d.id, d.lastError])).toEqual([[ids[1], 'HTTP 400: rejected']]);
      const missing = await store.completeDelivery('missing', 'outbox-a').then(() => undefined, (err: unknown) => err);
      expect(missing).toBeInstanceOf(SaaswatchError);
      expect((missing as SaaswatchError).details?.leaseLost).toBeUndefined();
    } finally {
      await other.close();
    }
  }),

  clause('AlertOutbox', 'MUST judge lease ends on the lease clock and due times on dueBy, apart', async ({ store }) => {
    await store.saveAlerts([alert(1)], ['slack']);
    // A run pinned far behind the wall clock (SAASWATCH_NOW): due by its clock, leased by the wall's.
    const wall = NOW + 86_400_000;
    const [d] = await store.claimDeliveries(NOW, 10, { owner: 'outbox-a', now: wall, ms: 1_000 });
    expect(d).toMatchObject({ leaseOwner: 'outbox-a', leaseUntil: wall + 1_000 });
    expect(await store.claimDeliveries(NOW + 86_400_000 * 2, 10, { owner: 'outbox-b', now: wall + 1_000, ms: 1_000 })).toEqual([]);
    expect((await store.claimDeliveries(NOW, 10, { owner: 'outbox-b', now: wall + 1_001, ms: 1_000 })).map((x) => x.id)).toEqual([d!.id]);
    // A retry due later than dueBy waits, however late the lease clock is.
    await store.retryDelivery(d!.id, NOW + 5_000, 'HTTP 503', 'outbox-b');
    expect(await store.claimDeliveries(NOW + 4_999, 10, { owner: 'outbox-c', now: wall + 86_400_000, ms: 1_000 })).toEqual([]);
    expect((await store.claimDeliveries(NOW + 5_000, 10, { owner: 'outbox-c', now: wall, ms: 1_000 })).map((x) => x.id)).toEqual([d!.id]);
  }),

  clause('AlertOutbox', 'MUST claim deliveries oldest first', async ({ store }) => {
    await store.saveAlerts([alert(1), alert(2), alert(3)], ['slack']);
    const first = await claim(store, NOW, 10, 1_000);
    expect(first).toHaveLength(3);
    // Due times in the reverse of id order, so neither id order nor the order of creation passes for due order.
    const byId = first.map((d) => d.id).sort();
    const due = new Map(byId.map((id, i) => [id, NOW + 10_000 - i * 1_000]));
    for (const [id, at] of due) await store.retryDelivery(id, at, 'HTTP 503');
    const oldestFirst = [...byId].reverse();
    // A limit takes the oldest: the order is the claim's, not a sort of what it happened to pick.
    expect((await claim(store, NOW + 60_000, 2, 1_000)).map((d) => d.id)).toEqual(oldestFirst.slice(0, 2));
    expect((await claim(store, NOW + 60_000, 2, 1_000)).map((d) => d.id)).toEqual(oldestFirst.slice(2));
    // Whole batch, once the leases are over: still oldest due first.
    for (const [id, at] of due) await store.retryDelivery(id, at, 'HTTP 503');
    expect((await claim(store, NOW + 60_000, 10, 1_000)).map((d) => d.id)).toEqual(oldestFirst);
  }),

  clause('AlertOutbox', 'MUST not claim a delivery before its nextAttemptAt, nor any with a limit of 0', async ({ store }) => {
    await store.saveAlerts([alert(1)], ['slack', 'webhook']);
    // New deliveries are due at the store's now, and not a millisecond before.
    expect(await claim(store, NOW - 1, 10, 1_000)).toEqual([]);
    expect(await claim(store, NOW, 0, 1_000)).toEqual([]);
    const [d] = await claim(store, NOW, 1, 60_000);
    await store.retryDelivery(d!.id, NOW + 5_000, 'HTTP 503: try later');
    expect((await claim(store, NOW + 4_999, 10, 60_000)).map((x) => x.id)).not.toContain(d!.id);
    expect((await claim(store, NOW + 5_000, 10, 60_000)).map((x) => x.id)).toEqual([d!.id]);
  }),

  clause('AlertOutbox', 'MUST move deliveries by complete, retry and fail, never handing out a delivered or failed one again', async ({ store }) => {
    const a = alert(1);
    await store.saveAlerts([a], ['slack', 'webhook', 'jira']);
    const claimed = await claim(store, NOW, 10, 60_000);
    expect(claimed).toHaveLength(3);
    const [d1, d2, d3] = claimed as [(typeof claimed)[0], (typeof claimed)[0], (typeof claimed)[0]];
    await store.completeDelivery(d1.id);
    await store.retryDelivery(d2.id, NOW + 5_000, 'HTTP 503: try later');
    await store.failDelivery(d3.id, 'HTTP 400: rejected');

    const byId = new Map((await store.listDeliveries({ alertId: a.id })).map((d) => [d.id, d]));
    expect(byId.get(d1.id)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(byId.get(d2.id)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: NOW + 5_000, lastError: 'HTTP 503: try later' });
    expect(byId.get(d3.id)).toMatchObject({ status: 'failed', lastError: 'HTTP 400: rejected' });
    expect((await store.listDeliveries({ status: 'delivered' })).map((d) => d.id)).toEqual([d1.id]);

    const retried = await claim(store, NOW + 5_000, 10, 60_000);
    expect(retried.map((d) => d.id)).toEqual([d2.id]);
    expect(retried[0]!.attempts).toBe(2);
    await store.completeDelivery(d2.id);
    expect(await claim(store, NOW + 10_000_000, 10, 60_000)).toHaveLength(0);
    await expect(store.completeDelivery('missing')).rejects.toBeInstanceOf(SaaswatchError);
  }),

  clause('AlertOutbox', "MUST store an alert's proposed actions with it and carry none out", async ({ store }) => {
    const proposal = [{ type: 'block-user' as const, user: 'mallory@x.io', reason: 'spike' }];
    const a = alert(1, { rule: 'baseline', entity: { type: 'user', value: 'mallory@x.io' }, actions: proposal });
    const r = await store.commitBatch({ source: 'src', events: [event(1)], cursor: 'c', alerts: [a], sinks: [] });
    expect(r.alerts!.created[0]!.actions).toEqual(proposal);
    expect((await store.getAlert(r.alerts!.created[0]!.id))!.actions).toEqual(proposal);
    expect(await store.listBlockedUsers()).toEqual([]);
    expect(await store.listAudit()).toEqual([]);
  }),
];
