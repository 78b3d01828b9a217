/** EventLog clauses: commitBatch's atomicity and dedup, cursors, event queries, retention and dead letters. */
import { expect } from 'vitest';
import { SaaswatchError } from '../../../src/core/errors.js';
import type { SecurityEvent } from '../../../src/core/event.js';
import { MAX_DEAD_LETTER_PAYLOAD_BYTES } from '../../../src/storage/index.js';
import { alert, event, isoNow, REFUSED_DEAD_LETTER, T0 } from './fixtures.js';
import { clause, type Clause } from './suite.js';

const ids = (evs: SecurityEvent[]): string[] => evs.map((e) => e.event.id);

export const eventLogClauses: Clause[] = [
  clause('EventLog', 'MUST ignore known event ids in commitBatch and report them as duplicates', async ({ store }) => {
    const first = await store.commitBatch({ source: 'src', events: [event(1), event(2), event(2)], cursor: 'a' });
    expect(first).toEqual({ inserted: 2, duplicates: 1 });
    const second = await store.commitBatch({ source: 'src', events: [event(2), event(3)], cursor: 'b' });
    expect(second).toEqual({ inserted: 1, duplicates: 1 });
    expect(await store.countEvents()).toBe(3);
  }),

  clause('EventLog', 'MUST keep one cursor per source, the last committed one', async ({ store }) => {
    expect(await store.getCursor('src')).toBeUndefined();
    await store.commitBatch({ source: 'src', events: [event(1)], cursor: 'a' });
    await store.commitBatch({ source: 'other', events: [], cursor: 'x' });
    await store.commitBatch({ source: 'src', events: [event(2)], cursor: 'b' });
    // A batch without a cursor leaves the source's cursor where it was.
    await store.commitBatch({ source: 'src', events: [event(3)] });
    expect(await store.getCursor('src')).toBe('b');
    expect(await store.getCursor('other')).toBe('x');
    expect(await store.getCursor('nobody')).toBeUndefined();
  }),

  clause('EventLog', 'MUST give back the whole stored event, raw record included, unchanged', async ({ store }) => {
    await store.commitBatch({ source: 'src', events: [event(1)] });
    const [stored] = await store.queryEvents({ from: T0 + 1000, to: T0 + 1001 });
    expect(stored).toEqual(event(1));
  }),

  clause('EventLog', 'MUST store an event whose text holds NUL or a lone surrogate, giving it back unchanged', async ({ store }) => {
    const hostile: SecurityEvent = { ...event(1, { user: 'ev\u0000il@x.io', action: 'log\u0000in\ud800' }), raw: { user: 'ev\u0000il@x.io', note: '\udc00 \u0000', ok: '😀' } };
    expect(await store.commitBatch({ source: 'src', events: [hostile, event(2)] })).toEqual({ inserted: 2, duplicates: 0 });
    const [stored] = await store.queryEvents({ to: T0 + 1001 });
    expect(stored).toEqual(hostile);
    // The columns the filters read hold U+FFFD in their place, the same on every dialect.
    expect(ids(await store.queryEvents({ userEmail: 'ev\ufffdil@x.io', action: 'log\ufffdin\ufffd' }))).toEqual(['evt-1']);
    // The same event again is a duplicate, not a failure.
    expect(await store.commitBatch({ source: 'src', events: [hostile] })).toEqual({ inserted: 0, duplicates: 1 });
  }),

  clause('EventLog', 'MUST accept batches larger than one statement carries', async ({ store }) => {
    const events = Array.from({ length: 7_000 }, (_, i) => event(10_000 + i));
    expect(await store.commitBatch({ source: 'big', events, cursor: 'x' })).toEqual({ inserted: 7_000, duplicates: 0 });
    expect(await store.commitBatch({ source: 'big', events: events.slice(6_000), cursor: 'y' })).toEqual({ inserted: 0, duplicates: 1_000 });
    expect(await store.countEvents()).toBe(7_000);
  }),

  clause('EventLog', 'MUST commit events, dead letters and cursor in one transaction', async ({ store }) => {
    await store.commitBatch({ source: 'src', events: [event(1)], cursor: 'before' });
    const err = await store
      .commitBatch({ source: 'src', events: [event(2), event(3)], deadLetters: [REFUSED_DEAD_LETTER], cursor: 'after' })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect(err).toMatchObject({ code: 'STORAGE', retryable: false });
    expect(await store.countEvents()).toBe(1);
    expect(await store.getCursor('src')).toBe('before');
    expect(await store.countDeadLetters()).toBe(0);
    // Still usable after the rollback.
    expect(await store.commitBatch({ source: 'src', events: [event(2)], cursor: 'after' })).toEqual({ inserted: 1, duplicates: 0 });
    expect(await store.getCursor('src')).toBe('after');
  }),

  clause('EventLog', "MUST commit a batch's alerts and their deliveries in the same transaction", async ({ store }) => {
    const a = alert(1);
    await expect(
      store.commitBatch({ source: 'src', events: [event(1)], deadLetters: [REFUSED_DEAD_LETTER], alerts: [a], sinks: ['webhook'] }),
    ).rejects.toMatchObject({ code: 'STORAGE' });
    expect(await store.listAlerts()).toEqual([]);
    expect(await store.listDeliveries()).toEqual([]);

    const ok = await store.commitBatch({ source: 'src', events: [event(1)], cursor: 'c1', alerts: [a], sinks: ['webhook'] });
    expect(ok.inserted).toBe(1);
    expect(ok.alerts?.created.map((x) => x.id)).toEqual([a.id]);
    expect((await store.listDeliveries({ alertId: a.id })).map((d) => d.sink)).toEqual(['webhook']);
    // Replaying the batch (a restart before the cursor moved on) raises nothing new.
    const again = await store.commitBatch({ source: 'src', events: [event(1)], cursor: 'c1', alerts: [a], sinks: ['webhook'] });
    expect(again).toMatchObject({ inserted: 0, duplicates: 1, alerts: { created: [], updated: 1 } });
    expect(await store.listDeliveries()).toHaveLength(1);
  }),

  clause('EventLog', "MUST commit a batch's detector state (writes and deletes) in the same transaction", async ({ store }) => {
    await store.putState('windows', { v: 0 });
    await store.putState('stale', 1);
    const state = new Map<string, string | undefined>([
      ['windows', JSON.stringify({ v: 1 })],
      ['stale', undefined],
    ]);
    await expect(store.commitBatch({ source: 'src', events: [event(1)], deadLetters: [REFUSED_DEAD_LETTER], state })).rejects.toMatchObject({
      code: 'STORAGE',
    });
    expect(await store.getState('windows')).toEqual({ v: 0 });
    expect(await store.getState('stale')).toBe(1);

    await store.commitBatch({ source: 'src', events: [event(1)], cursor: 'c1', state });
    expect(await store.getState('windows')).toEqual({ v: 1 });
    expect(await store.getState('stale')).toBeUndefined();
    // State alone (a final flush) commits too.
    await store.commitBatch({ source: 'detectors', events: [], state: new Map([['windows', '{"v":2}']]) });
    expect(await store.getState('windows')).toEqual({ v: 2 });
  }),

  clause('EventLog', 'MUST reject a batch holding an event with an unparseable timestamp, writing nothing', async ({ store }) => {
    const broken = { ...event(5), '@timestamp': 'yesterday' };
    await expect(store.commitBatch({ source: 'src', events: [event(4), broken], cursor: 'c' })).rejects.toMatchObject({ code: 'TIMESTAMP_INVALID' });
    expect(await store.countEvents()).toBe(0);
    expect(await store.getCursor('src')).toBeUndefined();
  }),

  clause('EventLog', 'MUST answer knownEventIds for any number of events, older and newer than the newest stored', async ({ store }) => {
    await store.commitBatch({ source: 'src', events: [event(1), event(5)] });
    const key = (e: SecurityEvent) => ({ id: e.event.id, ts: Date.parse(e['@timestamp']) });
    const asked = [
      key(event(1)), key(event(3)), key(event(9)),
      // Unknown ids at a stored event's time, before it, between and after the stored ones.
      ...Array.from({ length: 2_500 }, (_, i) => ({ id: `unknown-${i}`, ts: T0 + (i % 7) * 1000 })),
      key(event(5)),
    ];
    expect(await store.knownEventIds(asked)).toEqual(new Set([event(1).event.id, event(5).event.id]));
    expect(await store.knownEventIds([])).toEqual(new Set());
  }),

  clause('EventLog', 'MUST filter queryEvents and countEvents alike, ordered by event time', async ({ store }) => {
    const events = [
      event(1, { ts: T0 + 5_000, user: 'a@x.io', ip: '1.1.1.1', action: 'login' }),
      event(2, { ts: T0 + 1_000, user: 'a@x.io', ip: '2.2.2.2', action: 'download', provider: 'dropbox' }),
      event(3, { ts: T0 + 3_000, user: 'b@x.io', ip: '1.1.1.1', action: 'login' }),
      event(4, { ts: T0 + 9_000, user: 'a@x.io', ip: '1.1.1.1', action: 'login' }),
    ];
    await store.commitBatch({ source: 'src', events });
    expect(ids(await store.queryEvents())).toEqual(['evt-2', 'evt-3', 'evt-1', 'evt-4']);
    expect(ids(await store.queryEvents({ from: T0 + 3_000, to: T0 + 9_000 }))).toEqual(['evt-3', 'evt-1']);
    expect(ids(await store.queryEvents({ userEmail: 'a@x.io' }))).toEqual(['evt-2', 'evt-1', 'evt-4']);
    expect(ids(await store.queryEvents({ sourceIp: '1.1.1.1', userEmail: 'a@x.io' }))).toEqual(['evt-1', 'evt-4']);
    expect(ids(await store.queryEvents({ action: 'download' }))).toEqual(['evt-2']);
    expect(ids(await store.queryEvents({ provider: 'json-logs', limit: 2 }))).toEqual(['evt-3', 'evt-1']);
    expect(await store.countEvents({ userEmail: 'a@x.io' })).toBe(3);
    expect(await store.countEvents({ from: T0 + 4_000 })).toBe(2);
    expect(await store.countEvents({ provider: 'nobody' })).toBe(0);
  }),

  clause('EventLog', 'MUST page queryEvents by (time, id) with after, neither repeating nor skipping an event', async ({ store }) => {
    // Twelve events in one millisecond and three later: a page boundary inside the instant must
    // neither repeat nor skip one, which a time bound alone cannot do.
    const same = Array.from({ length: 12 }, (_, i) => event(100 + i, { ts: T0 + 2_000 }));
    const later = [event(1, { ts: T0 + 1_000 }), event(2, { ts: T0 + 3_000 }), event(3, { ts: T0 + 4_000 })];
    await store.commitBatch({ source: 'src', events: [...later, ...same] });
    const all = ids(await store.queryEvents());
    const paged: string[] = [];
    let after: { time: number; id: string } | undefined;
    for (;;) {
      const page = await store.queryEvents({ from: T0 + 2_000, limit: 5, ...(after ? { after } : {}) });
      paged.push(...ids(page));
      if (page.length < 5) break;
      const last = page.at(-1)!;
      after = { time: Date.parse(last['@timestamp']), id: last.event.id };
    }
    expect(paged).toEqual(all.filter((id) => id !== 'evt-1'));
    expect(new Set(paged).size).toBe(14);
  }),

  clause('EventLog', 'MUST purge by event time only, leaving no tombstone', async ({ store }) => {
    await store.commitBatch({ source: 'src', events: [1, 2, 3, 4].map((n) => event(n)) });
    expect(await store.purgeEventsBefore(T0 + 3_000)).toBe(2);
    expect(ids(await store.queryEvents())).toEqual(['evt-3', 'evt-4']);
    expect(await store.purgeEventsBefore(T0)).toBe(0);
    // A purged event id can be ingested again.
    expect(await store.commitBatch({ source: 'src', events: [event(1)] })).toEqual({ inserted: 1, duplicates: 0 });
  }),

  clause('EventLog', 'MUST keep dead letters, newest first, cutting huge payloads on a character boundary with the size noted', async ({ store }) => {
    const huge = 'é'.repeat(50_000); // 100,000 UTF-8 bytes
    await store.commitBatch({
      source: 'src',
      events: [],
      deadLetters: [
        { source: 'src', reason: 'bad json', code: 'INPUT_MALFORMED', payload: '{oops', position: { file: 'a.log', line: 7 } },
        { source: 'src', reason: 'too big', code: 'INPUT_TOO_LARGE', payload: huge },
        { source: 'other', reason: 'no ts', code: 'TIMESTAMP_INVALID', payload: '{}' },
      ],
    });
    expect(await store.countDeadLetters()).toBe(3);
    expect(await store.countDeadLetters({ source: 'src' })).toBe(2);
    const [big, small] = await store.listDeadLetters({ source: 'src' });
    expect(small).toMatchObject({ source: 'src', code: 'INPUT_MALFORMED', payload: '{oops', position: { file: 'a.log', line: 7 } });
    expect(typeof small!.id).toBe('number');
    expect(small!.createdAt).toBe(isoNow);
    expect(Buffer.byteLength(big!.payload)).toBeLessThanOrEqual(MAX_DEAD_LETTER_PAYLOAD_BYTES);
    expect(Buffer.byteLength(big!.payload)).toBeGreaterThan(MAX_DEAD_LETTER_PAYLOAD_BYTES - 4);
    expect(huge.startsWith(big!.payload)).toBe(true);
    expect(big!.reason).toContain('too big');
    expect(big!.reason).toContain('100000 bytes');
    expect(big!.position).toBeUndefined();
    expect(await store.listDeadLetters({ limit: 1 })).toHaveLength(1);
  }),

  clause('EventLog', 'MUST keep a dead letter once: the same source, code, position and payload again stores nothing', async ({ store }) => {
    const bad = { source: 'src', reason: 'line 7: nests too deep', code: 'INPUT_TOO_LARGE', payload: '[[[[\u0000', position: { file: 'a.log', line: 7, offset: 120 } };
    await store.commitBatch({ source: 'src', events: [event(1)], deadLetters: [bad, { ...bad, source: 'other' }] });
    // Read again (a rerun of the same file): the reason may be worded anew, the record is the same.
    await store.commitBatch({ source: 'src', events: [event(1)], deadLetters: [{ ...bad, reason: 'reworded' }, bad] });
    expect(await store.countDeadLetters()).toBe(2);
    // Another line, another code or another payload is another dead letter.
    await store.commitBatch({
      source: 'src',
      events: [],
      deadLetters: [
        { ...bad, position: { file: 'a.log', line: 8, offset: 200 } },
        { ...bad, code: 'INPUT_MALFORMED' },
        { ...bad, payload: '[[[[' },
        { ...bad, position: undefined },
        { ...bad, position: undefined },
      ],
    });
    expect(await store.countDeadLetters({ source: 'src' })).toBe(5);
    const [newest] = await store.listDeadLetters({ source: 'src', limit: 1 });
    expect(newest).toMatchObject({ reason: 'line 7: nests too deep', payload: '[[[[\ufffd' });
  }),
];
