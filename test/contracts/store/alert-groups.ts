/** Clauses for routing, grouping and follow-up deliveries (AlertOutbox), sink refs, and the reads the outbox fills a delivery's context with (EventLog). */
import { expect } from 'vitest';
import { dedupKey, type Alert } from '../../../src/core/alert.js';
import type { SecurityEvent } from '../../../src/core/event.js';
import type { AlertOutbox, Delivery } from '../../../src/core/store.js';
import { alert, event, NOW, T0 } from './fixtures.js';
import { clause, type Clause } from './suite.js';

const MIN = 60_000;
const GROUP = { groupWindowMs: 15 * MIN };

/** An alert of `rule` on user `who` whose window starts `at` minutes after T0. */
function on(who: string, rule: string, at: number, over: Partial<Alert> = {}): Alert {
  const base = { rule, entity: { type: 'user', value: who }, windowStart: T0 + at * MIN };
  return alert(0, { ...base, id: `${rule}-${who}-${at}`, dedupKey: dedupKey(base), windowEnd: base.windowStart + MIN, evidence: [`evt-${rule}-${at}`], ...over });
}

const kinds = async (store: AlertOutbox, alertId: string): Promise<string[]> =>
  (await store.listDeliveries({ alertId })).map((d) => `${d.sink}:${d.kind}:${d.status}`).sort();

/** Delivers every due delivery, as an outbox would. */
async function deliverAll(store: AlertOutbox): Promise<Delivery[]> {
  const claimed = await store.claimDeliveries(NOW, 1_000, { owner: 'outbox-a', now: NOW, ms: 10_000 });
  for (const d of claimed) await store.completeDelivery(d.id, 'outbox-a');
  return claimed;
}

export const alertGroupClauses: Clause[] = [
  clause('AlertOutbox', 'MUST route each new alert to the sinks its route names, as kind alert', async ({ store }) => {
    const high = alert(1);
    const low = alert(2, { severity: 'low' });
    const asked: string[] = [];
    const route = (a: Alert) => {
      asked.push(a.id);
      return a.severity === 'high' ? ['pager', 'file', 'pager'] : ['file'];
    };
    await store.saveAlerts([high, low], route);
    expect(await kinds(store, high.id)).toEqual(['file:alert:pending', 'pager:alert:pending']);
    expect(await kinds(store, low.id)).toEqual(['file:alert:pending']);
    // The same alerts again, nothing grown: the route is not even asked, nobody is told twice.
    asked.length = 0;
    await store.saveAlerts([high, low], route);
    expect(asked).toEqual([]);
    expect(await store.listDeliveries()).toHaveLength(3);
    // An alert no route takes is stored, with no delivery.
    await store.saveAlerts([alert(3)], () => []);
    expect((await store.listAlerts()).map((a) => a.entity.value)).toContain('192.0.2.3');
    expect(await store.listDeliveries()).toHaveLength(3);
  }),

  clause('AlertOutbox', 'MUST group alerts on one entity whose windows start within the group window, whatever the batches', async ({ store }) => {
    const run = async (who: string, batches: Alert[][]) => {
      for (const b of batches) await store.saveAlerts(b, [], GROUP);
      const out = new Map<string, string | undefined>();
      for (const a of await store.listAlerts()) if (a.entity.value === who) out.set(a.rule, a.groupId);
      return out;
    };
    const four = (who: string) => [on(who, 'r1', 0), on(who, 'r2', 5), on(who, 'r3', 18), on(who, 'r4', 40)];
    // One batch, reported out of order; then one alert per batch, in order.
    const together = await run('a@example.com', [[...four('a@example.com')].reverse()]);
    const apart = await run('b@example.com', four('b@example.com').map((a) => [a]));
    const expected = (who: string) => new Map([
      ['r1', `r1-${who}-0`], ['r2', `r1-${who}-0`],
      // Within 15 min of r2, which is in r1's group: the group grows while the entity stays active.
      ['r3', `r1-${who}-0`],
      ['r4', `r4-${who}-40`],
    ]);
    expect(together).toEqual(expected('a@example.com'));
    expect(apart).toEqual(expected('b@example.com'));
    // The window's edge is inside it: exactly 15 min after r4 joins r4's group; a millisecond more does not.
    await store.saveAlerts([on('e@example.com', 'r1', 0), on('e@example.com', 'r2', 15), on('e@example.com', 'r3', 30, { windowStart: T0 + 30 * MIN + 1 })], [], GROUP);
    expect((await store.getAlert('r2-e@example.com-15'))!.groupId).toBe('r1-e@example.com-0');
    expect((await store.getAlert('r3-e@example.com-30'))!.groupId).toBe('r3-e@example.com-30');
    // Another entity at the same time is another group.
    await store.saveAlerts([on('c@example.com', 'r2', 1)], [], GROUP);
    expect((await store.getAlert('r2-c@example.com-1'))!.groupId).toBe('r2-c@example.com-1');
    // The group's alerts, oldest window first, bounded by the limit.
    expect((await store.listGroup('r1-a@example.com-0')).map((a) => a.rule)).toEqual(['r1', 'r2', 'r3']);
    expect((await store.listGroup('r1-a@example.com-0', 2)).map((a) => a.rule)).toEqual(['r1', 'r2']);
    // Without a group window, no groups.
    await store.saveAlerts([on('d@example.com', 'r1', 0), on('d@example.com', 'r2', 1)], []);
    expect((await store.getAlert('r2-d@example.com-1'))!.groupId).toBeUndefined();
  }),

  clause('AlertOutbox', 'MUST give a new alert of a group an update delivery for each sink told of the group, an alert delivery for the others', async ({ store }) => {
    const first = on('a@example.com', 'r1', 0);
    await store.saveAlerts([first], ['slack'], GROUP);
    await deliverAll(store);
    const later = on('a@example.com', 'r2', 3);
    await store.saveAlerts([later], ['slack', 'jira'], GROUP);
    expect(await kinds(store, later.id)).toEqual(['jira:alert:pending', 'slack:update:pending']);
    // In one batch alike, the group's notification still pending: every alert reaches the sink, the
    // first as the alert, the next as an update (a sink showing groups may find it listed already).
    const x1 = on('b@example.com', 'r1', 0);
    const x2 = on('b@example.com', 'r2', 1);
    await store.saveAlerts([x2, x1], ['slack'], GROUP);
    expect(await kinds(store, x1.id)).toEqual(['slack:alert:pending']);
    expect(await kinds(store, x2.id)).toEqual(['slack:update:pending']);
    // A group whose delivery failed told nobody: the next alert is told as new.
    const y1 = on('c@example.com', 'r1', 0);
    await store.saveAlerts([y1], ['slack'], GROUP);
    const [d] = await store.listDeliveries({ alertId: y1.id });
    await store.failDelivery(d!.id, 'HTTP_PERMANENT: 404');
    const y2 = on('c@example.com', 'r2', 1);
    await store.saveAlerts([y2], ['slack'], GROUP);
    expect(await kinds(store, y2.id)).toEqual(['slack:alert:pending']);
  }),

  clause('AlertOutbox', 'MUST give a grown alert one update delivery per routed sink told of it, coalesced while one is pending', async ({ store, open }) => {
    const a = alert(1);
    const grown = (n: number): Alert => alert(1, { id: 'repeat', evidence: [`evt-1`, `evt-g${n}`], observed: { failures: 20 + n }, windowEnd: T0 + 60_000 + n });
    await store.saveAlerts([a], ['slack', 'file']);
    // Still pending: the sink will read the alert as it then stands.
    await store.saveAlerts([grown(1)], ['slack', 'file']);
    expect(await kinds(store, a.id)).toEqual(['file:alert:pending', 'slack:alert:pending']);
    await deliverAll(store);
    await store.saveAlerts([grown(2)], ['slack', 'file']);
    await store.saveAlerts([grown(3)], ['slack', 'file']);
    expect(await kinds(store, a.id)).toEqual(['file:alert:delivered', 'file:update:pending', 'slack:alert:delivered', 'slack:update:pending']);
    // Reopened (a restart) and raised again with nothing new: no delivery.
    const again = await open();
    try {
      await again.saveAlerts([grown(3)], ['slack', 'file']);
      await again.saveAlerts([a], ['slack', 'file']);
    } finally {
      await again.close();
    }
    expect(await store.listDeliveries()).toHaveLength(4);
    // Once the update is out, the next growth is another update; a sink the route now names for the
    // first time gets the alert itself.
    await deliverAll(store);
    await store.saveAlerts([grown(4)], ['slack', 'pager']);
    expect(await kinds(store, a.id)).toEqual([
      'file:alert:delivered', 'file:update:delivered', 'pager:alert:pending', 'slack:alert:delivered', 'slack:update:delivered', 'slack:update:pending',
    ]);
    // The route sees the alert as it now stands.
    const seen: Alert[] = [];
    await store.saveAlerts([grown(5)], (x) => (seen.push(x), []));
    expect(seen.map((x) => [x.id, x.observed?.failures])).toEqual([[a.id, 25]]);
  }),

  clause('AlertOutbox', 'MUST give a sink without updates each new alert as an alert delivery, grouped or not, and nothing when it grows', async ({ store }) => {
    const opts = { ...GROUP, updates: new Set(['slack']) };
    const first = on('a@example.com', 'r1', 0);
    await store.saveAlerts([first], ['slack', 'file'], opts);
    await deliverAll(store);
    // A later alert of the group: an update to the sink that threads, the alert itself to the file.
    const later = on('a@example.com', 'r2', 3);
    await store.saveAlerts([later], ['slack', 'file'], opts);
    expect(await kinds(store, later.id)).toEqual(['file:alert:pending', 'slack:update:pending']);
    await deliverAll(store);
    // The first alert grows: only the sink that takes updates hears of it.
    await store.saveAlerts([{ ...first, evidence: [...first.evidence, 'evt-more'], observed: { failures: 99 }, windowEnd: first.windowEnd + 1 }], ['slack', 'file'], opts);
    expect(await kinds(store, first.id)).toEqual(['file:alert:delivered', 'slack:alert:delivered', 'slack:update:pending']);
    // A sink the route takes for the first time still gets the alert, updates or not.
    await store.saveAlerts([{ ...first, evidence: [...first.evidence, 'evt-more', 'evt-again'], observed: { failures: 120 }, windowEnd: first.windowEnd + 2 }], ['file', 'pager'], opts);
    expect(await kinds(store, first.id)).toEqual(['file:alert:delivered', 'pager:alert:pending', 'slack:alert:delivered', 'slack:update:pending']);
  }),

  clause('AlertOutbox', 'MUST claim, at one due time, deliveries that tell an alert before those that update one', async ({ store }) => {
    const first = on('a@example.com', 'r1', 0);
    await store.saveAlerts([first], ['slack'], GROUP);
    await deliverAll(store);
    // Many updates and new alerts fall due at the same instant; whatever their ids, alerts go first.
    await store.saveAlerts(Array.from({ length: 6 }, (_, i) => on('a@example.com', `u${i}`, 1 + i)), ['slack'], GROUP);
    await store.saveAlerts(Array.from({ length: 6 }, (_, i) => on(`n${i}@example.com`, 'r1', 0)), ['slack'], GROUP);
    const claimed = await store.claimDeliveries(NOW, 100, { owner: 'outbox-a', now: NOW, ms: 10_000 });
    expect(claimed.map((d) => d.kind)).toEqual([...Array(6).fill('alert'), ...Array(6).fill('update')]);
  }),

  clause('AlertOutbox', 'MUST keep sink refs per sink and key, the last put winning, across reopening', async ({ store, open }) => {
    expect(await store.getSinkRef('slack', 'group:g1')).toBeUndefined();
    await store.putSinkRef('slack', 'group:g1', '1700000000.000100');
    await store.putSinkRef('jira', 'group:g1', 'SEC-1');
    await store.putSinkRef('slack', 'group:g1', '1700000000.000200');
    const again = await open();
    try {
      expect(await again.getSinkRef('slack', 'group:g1')).toBe('1700000000.000200');
      expect(await again.getSinkRef('jira', 'group:g1')).toBe('SEC-1');
      expect(await again.getSinkRef('jira', 'group:g2')).toBeUndefined();
    } finally {
      await again.close();
    }
  }),
];

/** An event of `user` at `at` ms after T0, failed or not, standing for `count` occurrences. */
function activity(n: number, user: string, at: number, outcome: 'success' | 'failure', count = 1): SecurityEvent {
  const e = event(n, { ts: T0 + at, user, ip: '198.51.100.9' });
  return { ...e, event: { ...e.event, outcome, count } };
}

export const eventReadClauses: Clause[] = [
  clause('EventLog', 'MUST give back stored events by id in the order asked, leaving unknown ids out, within a time range when given', async ({ store }) => {
    await store.commitBatch({ source: 'src', events: [event(1), event(2), event(3)] });
    expect((await store.getEvents(['evt-3', 'nope', 'evt-1', 'evt-3'])).map((e) => e.event.id)).toEqual(['evt-3', 'evt-1']);
    expect(await store.getEvents(['evt-2'])).toEqual([event(2)]);
    expect((await store.getEvents(['evt-1', 'evt-2', 'evt-3'], { from: T0 + 2000, to: T0 + 3000 })).map((e) => e.event.id)).toEqual(['evt-2']);
    expect(await store.getEvents([])).toEqual([]);
  }),

  clause('EventLog', "MUST count an entity's events per bucket, failures apart, empty buckets included", async ({ store }) => {
    const u = 'victim@example.com';
    await store.commitBatch({
      source: 'src',
      events: [
        activity(1, u, 0, 'failure'),
        activity(2, u, 59_999, 'failure', 3),
        activity(3, u, 60_000, 'success'),
        activity(4, u, 180_000, 'failure'),
        activity(5, 'other@example.com', 1_000, 'failure'),
        // Before and after the span asked.
        activity(6, u, -1, 'failure'),
        activity(7, u, 240_000, 'failure'),
      ],
    });
    const series = await store.countActivity({ entity: { type: 'user', value: u }, from: T0, to: T0 + 240_000, bucketMs: 60_000 });
    expect(series).toEqual({
      from: T0,
      to: T0 + 240_000,
      bucketMs: 60_000,
      buckets: [
        { t: T0, total: 4, failures: 4 },
        { t: T0 + 60_000, total: 1, failures: 0 },
        { t: T0 + 120_000, total: 0, failures: 0 },
        { t: T0 + 180_000, total: 1, failures: 1 },
      ],
    });
    const byIp = await store.countActivity({ entity: { type: 'ip', value: '198.51.100.9' }, from: T0, to: T0 + 60_000, bucketMs: 60_000 });
    expect(byIp?.buckets).toEqual([{ t: T0, total: 5, failures: 5 }]);
    // An entity type with no column of its own: no series, rather than a scan of every document.
    expect(await store.countActivity({ entity: { type: 'file', value: 'f1' }, from: T0, to: T0 + 60_000, bucketMs: 60_000 })).toBeUndefined();
  }),
];
