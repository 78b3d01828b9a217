import pg from 'pg';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dedupKey, SaaswatchError, type Alert, type DeliveryContext, type SecurityEvent, type Sink, type SinkNeeds, type Store } from '../core/index.js';
import { sampleAlert } from '../sinks/testing.js';
import { openStore } from '../storage/index.js';
import { activitySpan, Outbox, type OutboxStore } from './outbox.js';

const T0 = Date.parse('2026-11-03T10:00:00.000Z');
const MIN = 60_000;
const USER = 'victim@example.com';
const GROUP = { groupWindowMs: 15 * MIN };
const pgUrl = process.env.SAASWATCH_TEST_PG_URL;

/** A sink that records what each delivery told it, and keeps the handle of the first message per group, as a threading sink does. */
class RecordingSink implements Sink {
  readonly type = 'recording';
  readonly calls: Array<{ alert: Alert; ctx: Omit<DeliveryContext, 'signal' | 'refs'>; ref?: string }> = [];
  constructor(
    readonly name: string,
    readonly needs?: SinkNeeds,
  ) {}
  async deliver(alert: Alert, ctx: DeliveryContext): Promise<void> {
    const { signal: _s, refs, ...rest } = ctx;
    const key = `thread:${ctx.group?.id ?? alert.id}`;
    const ref = await refs?.get(key);
    if (ref === undefined) await refs?.put(key, `msg-${this.calls.length + 1}`);
    this.calls.push({ alert, ctx: rest, ...(ref === undefined ? {} : { ref }) });
  }
}

function alertAt(rule: string, minutes: number, over: Partial<Alert> = {}): Alert {
  const base = { rule, entity: { type: 'user', value: USER }, windowStart: T0 + minutes * MIN };
  return sampleAlert({ ...base, id: `${rule}-${minutes}`, dedupKey: dedupKey(base), windowEnd: base.windowStart + 5 * MIN, ...over });
}

function event(n: number, at: number, outcome: 'success' | 'failure', user = USER): SecurityEvent {
  return {
    '@timestamp': new Date(at).toISOString(),
    event: { id: `e${n}`, kind: 'event', category: ['authentication'], action: 'login', outcome, provider: 'json-logs', dataset: 'auth', ingested: new Date(T0).toISOString() },
    user: { email: user },
    source: { ip: '198.51.100.7' },
    raw: { n },
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  // A plain checkout may not have PostgreSQL; in CI a missing one is a failure, not a skip.
  describe.skipIf(dialect === 'postgres' && !pgUrl && process.env.CI !== 'true')(`outbox delivery context (${dialect})`, () => {
    let store: Store;
    let t: number;
    let schema: string;

    beforeEach(async () => {
      if (dialect === 'postgres' && !pgUrl) throw new Error('SAASWATCH_TEST_PG_URL is not set: CI must start PostgreSQL first: export "$(bash .ci/start-postgres.sh)"');
      t = T0 + 60 * MIN;
      schema = `sw_outbox_ctx_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      store = dialect === 'sqlite' ? await openStore({ dialect, path: ':memory:', now: () => t }) : await openStore({ dialect, url: pgUrl!, schema, now: () => t });
    });

    afterEach(async () => {
      await store.close();
      if (dialect === 'postgres') {
        const pool = new pg.Pool({ connectionString: pgUrl });
        await pool.query(`drop schema if exists "${schema}" cascade`);
        await pool.end();
      }
    });

    const outbox = (sinks: Sink[], on: OutboxStore = store) =>
      new Outbox(on, new Map(sinks.map((s) => [s.name, s])), { logger: pino({ level: 'silent' }), now: () => t, random: () => 1 });

    it('tells the kind, the group oldest first, and the sink its saved handles, across outboxes', async () => {
      const sink = new RecordingSink('soc', { updates: true });
      await store.saveAlerts([alertAt('r1', 0)], ['soc'], GROUP);
      expect(await outbox([sink]).drainOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      // Alone in its group: no group in the context.
      expect(sink.calls[0]!.ctx).toEqual({ deliveryId: expect.any(String), attempt: 1, kind: 'alert' });

      // A later alert on the same entity joins the group: an update, listing both, threaded under the first message.
      await store.saveAlerts([alertAt('r2', 4)], ['soc'], GROUP);
      // A grown first alert: an update of it.
      await store.saveAlerts([alertAt('r1', 0, { id: 'again', evidence: ['ev1', 'ev9'], observed: { failures: 99 } })], ['soc'], GROUP);
      expect(await outbox([sink]).drainOnce()).toEqual({ delivered: 2, retried: 0, failed: 0 });
      const later = sink.calls.slice(1).sort((a, b) => a.alert.id.localeCompare(b.alert.id));
      expect(later.map((c) => [c.alert.id, c.ctx.kind, c.ctx.group?.id, c.ctx.group?.alerts.map((a) => a.id), c.ref])).toEqual([
        ['r1-0', 'update', 'r1-0', ['r1-0', 'r2-4'], 'msg-1'],
        ['r2-4', 'update', 'r1-0', ['r1-0', 'r2-4'], 'msg-1'],
      ]);
      // The sink reads the alert as it stands when it delivers.
      expect(later[0]!.alert.observed).toEqual({ failures: 99 });
      expect(await store.getSinkRef('soc', 'thread:r1-0')).toBe('msg-1');

      // A sink that takes no updates (a file, a webhook) is not handed the group: it shows none.
      const file = new RecordingSink('file');
      await store.saveAlerts([alertAt('r3', 8)], ['file'], GROUP);
      expect(await outbox([file]).drainOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      expect(file.calls.map((c) => [c.alert.groupId, c.ctx.kind, c.ctx.group])).toEqual([['r1-0', 'alert', undefined]]);
    });

    it('loads the evidence and the activity a sink asks for, and nothing for one that asks for none', async () => {
      const span = activitySpan(alertAt('r1', 0));
      await store.commitBatch({
        source: 'auth',
        events: [
          event(1, T0 + 1_000, 'failure'),
          event(2, T0 + 2_000, 'failure'),
          event(3, T0 + 3_000, 'success'),
          event(4, T0 - 20 * MIN, 'success'),
          event(5, T0 + 1_000, 'failure', 'someone-else@example.com'),
          event(6, span.from - 1, 'failure'),
        ],
      });
      const charts = new RecordingSink('charts', { evidence: 2, activity: true });
      const plain = new RecordingSink('plain');
      await store.saveAlerts([alertAt('r1', 0, { evidence: ['e3', 'missing', 'e1', 'e2'] })], ['charts', 'plain']);
      await outbox([charts, plain]).drainOnce();
      const ctx = charts.calls[0]!.ctx;
      // The first two evidence ids, in the alert's order; one the store does not have is left out.
      expect(ctx.evidence?.map((e) => e.event.id)).toEqual(['e3']);
      expect(ctx.activity).toMatchObject({ from: span.from, bucketMs: span.bucketMs });
      const buckets = ctx.activity!.buckets;
      expect(buckets.length).toBeGreaterThanOrEqual(30);
      expect(buckets.length).toBeLessThanOrEqual(60);
      expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(4);
      expect(buckets.reduce((n, b) => n + b.failures, 0)).toBe(2);
      const at = (ms: number) => buckets.find((b) => b.t <= ms && ms < b.t + span.bucketMs)!;
      expect(at(T0 + 1_000)).toMatchObject({ total: 3, failures: 2 });
      expect(at(T0 - 20 * MIN)).toMatchObject({ total: 1, failures: 0 });
      expect(plain.calls[0]!.ctx).not.toHaveProperty('evidence');
      expect(plain.calls[0]!.ctx).not.toHaveProperty('activity');
    });

    it('keeps a delivery whose context could not be loaded, and delivers it once the store answers', async () => {
      const sink = new RecordingSink('charts', { activity: true });
      await store.saveAlerts([alertAt('r1', 0)], ['charts']);
      let failures = 1;
      const flaky = new Proxy(store, {
        get(target, prop, receiver) {
          if (prop === 'countActivity' && failures > 0) {
            failures--;
            return async () => {
              throw new SaaswatchError('STORAGE_UNAVAILABLE', 'database is locked', { retryable: true });
            };
          }
          const v = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const ob = outbox([sink], flaky);
      expect(await ob.drainOnce()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      expect(sink.calls).toEqual([]);
      const [pending] = await store.listDeliveries();
      expect(pending).toMatchObject({ status: 'pending', lastError: expect.stringContaining('context could not be loaded: STORAGE_UNAVAILABLE') });
      t = pending!.nextAttemptAt;
      expect(await ob.drainOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      expect(sink.calls).toHaveLength(1);
    });
  });
}
