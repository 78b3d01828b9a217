/** Retention clauses: each table purged by its own time and cut-off, never an undelivered alert, dry runs that only count. */
import { expect } from 'vitest';
import type { PurgeCounts, Store } from '../../../src/core/store.js';
import { alert, event, NOW, T0 } from './fixtures.js';
import { clause, type Clause, type ClauseContext } from './suite.js';

const DAY = 86_400_000;
/** When the "old" rows were stamped: ten days before the store clock. */
const OLD = NOW - 10 * DAY;
/** Every stamped table's cut-off in these clauses: a day before the store clock. */
const CUT = NOW - DAY;
const NONE: PurgeCounts = { events: 0, deadLetters: 0, alerts: 0, deliveries: 0, auditLog: 0, actions: 0 };

// The payload differs: the store keeps one dead letter per record, whatever the reason says.
const deadLetter = (reason: string) => ({ source: 'src', reason, code: 'INPUT_MALFORMED', payload: `{"${reason}"` });

/** Runs `fn` with a second store on the same database whose clock stands at `at`. */
async function at<T>(open: ClauseContext['open'], when: number, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await open({ now: () => when });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const deliveriesOf = async (store: Store, alertId: string) => (await store.listDeliveries({ alertId })).sort((a, b) => a.sink.localeCompare(b.sink));

/**
 * Alerts and deliveries in every state a purge must tell apart, stamped ten days ago unless said:
 * a1 done (delivered, failed), a2 one delivered and one still pending, a3 one being delivered,
 * a4 raised long ago but updated now with its delivery failed long ago, a5 raised and delivered now.
 */
async function outboxInEveryState(store: Store, open: ClauseContext['open']): Promise<Record<'a1' | 'a2' | 'a3' | 'a4' | 'a5', string>> {
  const [a1, a2, a3, a4, a5] = [1, 2, 3, 4, 5].map((n) => alert(n));
  await at(open, OLD, async (old) => {
    // a3 first and claimed alone: the claim takes every due delivery.
    await old.saveAlerts([a3!], ['s1']);
    expect(await old.claimDeliveries(OLD, 10, { owner: 'purge-test', now: OLD, ms: 60_000 })).toHaveLength(1);
    await old.saveAlerts([a1!, a2!, a4!], ['s1', 's2']);
    const [d11, d12] = await deliveriesOf(old, a1!.id);
    await old.completeDelivery(d11!.id);
    await old.failDelivery(d12!.id, 'gone');
    const [d21] = await deliveriesOf(old, a2!.id);
    await old.completeDelivery(d21!.id);
    for (const d of await deliveriesOf(old, a4!.id)) await old.failDelivery(d.id, 'gone');
  });
  // A repeat of a4 refreshes it now.
  expect(await store.saveAlerts([{ ...a4!, id: 'another-id' }], ['s1', 's2'])).toMatchObject({ updated: 1 });
  await store.saveAlerts([a5!], ['s1']);
  for (const d of await deliveriesOf(store, a5!.id)) await store.completeDelivery(d.id);
  return { a1: a1!.id, a2: a2!.id, a3: a3!.id, a4: a4!.id, a5: a5!.id };
}

/** Rows older than CUT in each stamped table, and events before T0 + 2.5 s. */
async function oldAndNewRows(store: Store, open: ClauseContext['open']): Promise<void> {
  await store.commitBatch({ source: 'src', events: [1, 2, 3].map((n) => event(n)) });
  await at(open, OLD, async (old) => {
    await old.commitBatch({ source: 'src', events: [], deadLetters: [deadLetter('old')] });
    await old.audit('system', 'old', {});
  });
  await store.commitBatch({ source: 'src', events: [], deadLetters: [deadLetter('new')] });
  await store.audit('system', 'new', {});
}

const EVERY_CUT = { events: T0 + 2_500, deadLetters: CUT, alerts: CUT, deliveries: CUT, auditLog: CUT };

async function tableSizes(store: Store) {
  return {
    events: await store.countEvents(),
    deadLetters: await store.countDeadLetters(),
    alerts: (await store.listAlerts()).length,
    deliveries: (await store.listDeliveries()).length,
    auditLog: (await store.listAudit()).length,
  };
}

export const retentionClauses: Clause[] = [
  clause('Retention', 'MUST purge each table by its own time, strictly before its cut-off, and count what it removed', async ({ store, open }) => {
    await oldAndNewRows(store, open);
    // A cut-off at a row's own time keeps it.
    expect(await store.purge({ events: T0 + 1_000, deadLetters: OLD, auditLog: OLD })).toEqual(NONE);
    expect(await store.purge({ events: T0 + 2_500, deadLetters: CUT, auditLog: CUT })).toEqual({ ...NONE, events: 2, deadLetters: 1, auditLog: 1 });
    expect((await store.queryEvents()).map((e) => e.event.id)).toEqual(['evt-3']);
    expect((await store.listDeadLetters()).map((d) => d.reason)).toEqual(['new']);
    expect((await store.listAudit()).map((e) => e.action)).toEqual(['new']);
    // A purged event can be stored again.
    expect(await store.commitBatch({ source: 'src', events: [event(1)] })).toEqual({ inserted: 1, duplicates: 0 });
  }),

  clause('Retention', 'MUST NOT purge a pending or delivering delivery, nor an alert that owes one; a purged alert takes its deliveries', async ({ store, open }) => {
    const ids = await outboxInEveryState(store, open);
    expect(await store.purge({ alerts: CUT, deliveries: CUT })).toEqual({ ...NONE, alerts: 1, deliveries: 5 });
    expect((await store.listAlerts()).map((a) => a.id).sort()).toEqual([ids.a2, ids.a3, ids.a4, ids.a5].sort());
    const left = await store.listDeliveries();
    expect(left.map((d) => `${d.alertId === ids.a2 ? 'a2' : d.alertId === ids.a3 ? 'a3' : d.alertId === ids.a5 ? 'a5' : '?'}:${d.status}`).sort()).toEqual([
      'a2:pending', 'a3:delivering', 'a5:delivered',
    ]);
    // Once a2's last delivery is done and old, a2 goes too, with it.
    const [pending] = await store.listDeliveries({ alertId: ids.a2, status: 'pending' });
    await at(open, OLD, (old) => old.completeDelivery(pending!.id));
    expect(await store.purge({ alerts: CUT + 10 * DAY })).toMatchObject({ alerts: 3, deliveries: 2 });
    expect((await store.listAlerts()).map((a) => a.id)).toEqual([ids.a3]);
    expect((await store.listDeliveries()).map((d) => d.alertId)).toEqual([ids.a3]);
  }),

  clause('Retention', 'MUST count without deleting on a dry run, the numbers a purge then removes', async ({ store, open }) => {
    await oldAndNewRows(store, open);
    await outboxInEveryState(store, open);
    const before = await tableSizes(store);
    const counted = await store.purge(EVERY_CUT, { dryRun: true });
    expect(counted).toEqual({ events: 2, deadLetters: 1, alerts: 1, deliveries: 5, auditLog: 1, actions: 0 });
    expect(await tableSizes(store)).toEqual(before);
    expect(await store.purge(EVERY_CUT)).toEqual(counted);
    expect(await store.purge(EVERY_CUT, { dryRun: true })).toEqual(NONE);
  }),

  clause('Retention', 'MUST leave a table alone when its cut-off is not given', async ({ store, open }) => {
    await oldAndNewRows(store, open);
    const ids = await outboxInEveryState(store, open);
    const before = await tableSizes(store);
    expect(await store.purge({})).toEqual(NONE);
    expect(await tableSizes(store)).toEqual(before);
    // Alerts alone: the old finished deliveries of alerts that stay are kept.
    expect(await store.purge({ alerts: CUT })).toEqual({ ...NONE, alerts: 1, deliveries: 2 });
    expect((await store.listDeliveries({ alertId: ids.a4 })).map((d) => d.status)).toEqual(['failed', 'failed']);
    // Deliveries alone: no alert goes.
    expect(await store.purge({ deliveries: CUT })).toEqual({ ...NONE, deliveries: 3 });
    expect((await store.listAlerts()).length).toBe(4);
  }),

  clause('Retention', 'MUST purge only response actions that ended, by when they last changed', async ({ store, open }) => {
    const input = (n: number) => ({
      key: `manual:${n}`, source: 'google', service: 'google-workspace', action: 'suspend-user', target: { kind: 'user' as const, id: `u${n}@x.io` },
      actor: 'ana', reason: 'r', mode: 'execute' as const, automatic: false, disruptive: true, dueAt: OLD,
    });
    // Old: one done, one queued, one started (a crash left it); new: one done.
    await at(open, OLD, async (old) => {
      const [done, , started] = await old.queueActions([input(1), input(2), input(3)]);
      await old.updateAction(done!.id, { status: 'done' });
      await old.updateAction(started!.id, { status: 'started', attempts: 1 });
    });
    const [fresh] = await store.queueActions([input(4)]);
    await store.updateAction(fresh!.id, { status: 'done' });
    expect(await store.purge({ actions: CUT })).toEqual({ ...NONE, actions: 1 });
    expect((await store.listActions()).map((r) => `${r.target.id}:${r.status}`).sort()).toEqual(['u2@x.io:pending', 'u3@x.io:started', 'u4@x.io:done']);
  }),
];
