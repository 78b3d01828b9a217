/** Clauses for the reads the REST API makes: newest-first event search, histograms, alert filters and paging, assignees, counts, files, identities and audit paging. */
import { expect } from 'vitest';
import type { SecurityEvent } from '../../../src/core/event.js';
import { alert, event, isoNow, T0 } from './fixtures.js';
import { clause, type Clause } from './suite.js';

const withFile = (e: SecurityEvent, id: string): SecurityEvent => ({ ...e, file: { id, name: `${id}.pdf` } });
const ids = (es: readonly SecurityEvent[]) => es.map((e) => e.event.id);

export const apiQueryClauses: Clause[] = [
  clause('EventLog', 'MUST search events newest first and page them with before', async ({ store }) => {
    // Three events share a millisecond: the id orders them.
    const events = [event(1), event(2), event(3, { ts: T0 + 5000 }), event(4, { ts: T0 + 5000 }), event(5, { ts: T0 + 5000 }), withFile(event(6), 'f-1'), withFile(event(7, { user: 'u1@example.com' }), 'f-2')];
    await store.commitBatch({ source: 's', events });
    const all = ids(await store.queryEvents({ order: 'desc' }));
    expect(all).toEqual(['evt-7', 'evt-6', 'evt-5', 'evt-4', 'evt-3', 'evt-2', 'evt-1']);
    const seen: string[] = [];
    let before: { time: number; id: string } | undefined;
    for (;;) {
      const page = await store.queryEvents({ order: 'desc', limit: 2, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      seen.push(...ids(page));
      const last = page.at(-1)!;
      before = { time: Date.parse(last['@timestamp']), id: last.event.id };
    }
    expect(seen).toEqual(all);
    expect(ids(await store.queryEvents({ fileId: 'f-1' }))).toEqual(['evt-6']);
    expect(ids(await store.queryEvents({ fileId: 'f-2', userEmail: 'u1@example.com', order: 'desc' }))).toEqual(['evt-7']);
    expect(await store.countEvents({ fileId: 'nope' })).toBe(0);
  }),

  clause('EventLog', 'MUST count events per bucket per provider, and give each provider\'s newest event time and every cursor', async ({ store }) => {
    await store.commitBatch({
      source: 'a',
      cursor: 'c-1',
      events: [event(1, { ts: T0 }), event(2, { ts: T0 + 500, provider: 'dropbox' }), { ...event(3, { ts: T0 + 1500 }), event: { ...event(3, { ts: T0 + 1500 }).event, count: 4 } }, event(4, { ts: T0 + 9000 })],
    });
    await store.commitBatch({ source: 'b', cursor: 'c-2', events: [] });
    const h = await store.eventHistogram({ from: T0, to: T0 + 3000, bucketMs: 1000 });
    expect(h).toEqual({ from: T0, to: T0 + 3000, bucketMs: 1000, series: [{ provider: 'dropbox', counts: [1, 0, 0] }, { provider: 'json-logs', counts: [1, 4, 0] }] });
    expect(await store.lastEventTimes(T0)).toEqual([{ provider: 'dropbox', ts: T0 + 500 }, { provider: 'json-logs', ts: T0 + 9000 }]);
    expect(await store.lastEventTimes(T0 + 1000)).toEqual([{ provider: 'json-logs', ts: T0 + 9000 }]);
    expect(await store.listCursors()).toEqual([{ source: 'a', value: 'c-1', updatedAt: isoNow }, { source: 'b', value: 'c-2', updatedAt: isoNow }]);
  }),

  clause('AlertOutbox', 'MUST list alerts newest first, filtered, paged with before', async ({ store }) => {
    const at = (n: number) => new Date(T0 + n * 60_000).toISOString();
    await store.saveAlerts([
      alert(1, { createdAt: at(1), severity: 'low', entity: { type: 'user', value: 'a@x.io' } }),
      alert(2, { createdAt: at(2), severity: 'high', entity: { type: 'user', value: 'b@x.io' }, rule: 'sigma-x', windowStart: T0 + 2 }),
      alert(3, { createdAt: at(2), severity: 'high', entity: { type: 'ip', value: 'a@x.io' }, windowStart: T0 + 3 }),
      alert(4, { createdAt: at(4), severity: 'critical', entity: { type: 'user', value: 'a@x.io' }, windowStart: T0 + 4 }),
    ], []);
    const list = async (q: Parameters<typeof store.listAlerts>[0]) => (await store.listAlerts(q)).map((a) => a.entity.type + ':' + a.severity);
    expect((await store.listAlerts()).map((a) => a.createdAt)).toEqual([at(4), at(2), at(2), at(1)]);
    expect(await list({ severity: 'high' })).toHaveLength(2);
    expect(await list({ entity: { value: 'a@x.io' } })).toEqual(['user:critical', 'ip:high', 'user:low']);
    expect(await list({ entity: { type: 'user', value: 'a@x.io' } })).toEqual(['user:critical', 'user:low']);
    expect(await list({ rule: 'sigma-x' })).toEqual(['user:high']);
    expect(await list({ from: T0 + 2 * 60_000, to: T0 + 4 * 60_000 })).toHaveLength(2);
    const all = (await store.listAlerts()).map((a) => a.id);
    const seen: string[] = [];
    let before: { createdAt: number; id: string } | undefined;
    for (;;) {
      const page = await store.listAlerts({ limit: 1, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      seen.push(page[0]!.id);
      before = { createdAt: Date.parse(page[0]!.createdAt), id: page[0]!.id };
    }
    expect(seen).toEqual(all);
  }),

  clause('AlertOutbox', 'MUST keep an alert\'s assignee, and count alerts by rule, severity and status', async ({ store }) => {
    const [a, b] = [alert(1, { severity: 'low' }), alert(2, { severity: 'high', windowStart: T0 + 1, entity: { type: 'user', value: 'u@x.io' } })];
    await store.saveAlerts([a, b, alert(3, { severity: 'high', windowStart: T0 + 2, entity: { type: 'user', value: 'u@x.io' } })], []);
    expect(await store.assignAlert('nope', 'x@x.io')).toBeUndefined();
    expect((await store.assignAlert(a.id, 'ana@x.io'))!.assignee).toBe('ana@x.io');
    expect((await store.getAlert(a.id))!.assignee).toBe('ana@x.io');
    expect((await store.listAlerts({ assignee: 'ana@x.io' })).map((x) => x.id)).toEqual([a.id]);
    expect(await store.listAlerts({ assignee: null })).toHaveLength(2);
    expect((await store.assignAlert(a.id, null))!.assignee).toBeUndefined();
    await store.setAlertStatus(b.id, 'closed');
    const created = Date.parse(a.createdAt);
    expect(await store.countAlerts()).toEqual([
      { rule: 'brute-force', severity: 'high', status: 'closed', count: 1, lastAt: created },
      { rule: 'brute-force', severity: 'high', status: 'open', count: 1, lastAt: created },
      { rule: 'brute-force', severity: 'low', status: 'open', count: 1, lastAt: created },
    ]);
    expect(await store.openAlertCounts('user')).toEqual([{ value: 'u@x.io', severity: 'high', count: 1, lastAt: created }]);
  }),

  clause('Inventory', 'MUST list files by key, filtered by visibility, without deleted ones unless asked', async ({ store }) => {
    const f = (k: string, visibility: string, deleted = false) => ({ key: `d:${k}`, provider: 'd', fileId: k, visibility, data: {}, deleted });
    for (const x of [f('3', 'public'), f('1', 'private'), f('2', 'external'), f('4', 'public', true)]) await store.upsertFile(x);
    const keys = async (q: Parameters<typeof store.listFiles>[0]) => (await store.listFiles(q)).map((x) => x.key);
    expect(await keys({})).toEqual(['d:1', 'd:2', 'd:3']);
    expect(await keys({ visibility: ['public', 'external'] })).toEqual(['d:2', 'd:3']);
    expect(await keys({ visibility: [] })).toEqual([]);
    expect(await keys({ deleted: true, afterKey: 'd:2' })).toEqual(['d:3', 'd:4']);
    expect(await keys({ limit: 1 })).toEqual(['d:1']);
    expect((await store.listFiles({ limit: 1 }))[0]).toEqual({ ...f('1', 'private'), updatedAt: isoNow });
  }),

  clause('Identities', 'MUST list mappings by source and source id, of one canonical identity when asked', async ({ store }) => {
    await store.putIdentity('slack', 'U2', 'a@x.io');
    await store.putIdentity('dropbox', 'D1', 'a@x.io');
    await store.putIdentity('slack', 'U1', 'b@x.io');
    expect(await store.listIdentities()).toEqual([
      { source: 'dropbox', sourceId: 'D1', canonical: 'a@x.io' }, { source: 'slack', sourceId: 'U1', canonical: 'b@x.io' }, { source: 'slack', sourceId: 'U2', canonical: 'a@x.io' },
    ]);
    expect((await store.listIdentities({ canonical: 'a@x.io' })).map((i) => i.sourceId)).toEqual(['D1', 'U2']);
  }),

  clause('Audit', 'MUST page entries newest first with beforeId', async ({ store }) => {
    for (let i = 0; i < 5; i++) await store.audit('a', `act-${i}`, {});
    const seen: string[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = await store.listAudit({ limit: 2, ...(beforeId === undefined ? {} : { beforeId }) });
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.action));
      beforeId = page.at(-1)!.id;
    }
    expect(seen).toEqual(['act-4', 'act-3', 'act-2', 'act-1', 'act-0']);
  }),
];
