import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../core/store.js';
import { silentLogger } from '../log.js';
import { openStore } from '../storage/index.js';
import { formatPeriod, retentionCutoffs, startPurgeSchedule } from './retention.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const H = 3_600_000;
const DAY = 24 * H;
const PERIODS = { events: 90 * DAY, dead_letters: H, alerts: 365 * DAY, deliveries: 30 * DAY, audit_log: 365 * DAY, actions: 180 * DAY };

describe('retention in the CLI', () => {
  it('cuts each table at now minus its own period', () => {
    expect(retentionCutoffs(PERIODS, T0)).toEqual({
      events: T0 - 90 * DAY, deadLetters: T0 - H, alerts: T0 - 365 * DAY, deliveries: T0 - 30 * DAY, auditLog: T0 - 365 * DAY, actions: T0 - 180 * DAY,
    });
  });

  it('writes periods as the config would', () => {
    expect([90 * DAY, 14 * DAY, 36 * H, 90_000, 1_500, 0].map(formatPeriod)).toEqual(['90d', '2w', '36h', '90s', '1500ms', '0ms']);
  });

  describe('the schedule of `run`', () => {
    let store: Store | undefined;
    afterEach(async () => {
      vi.useRealTimers();
      await store?.close();
      store = undefined;
    });

    async function storeWithDeadLetters(clock: () => number, stamps: number[]): Promise<Store> {
      let at = 0;
      const s = await openStore({ dialect: 'sqlite', path: ':memory:', now: () => at || clock() });
      for (const t of stamps) {
        at = t;
        await s.commitBatch({ source: 'src', events: [], deadLetters: [{ source: 'src', reason: `at ${t}`, code: 'INPUT_MALFORMED', payload: `{"at":${t}` }] });
      }
      at = 0;
      return s;
    }

    it('purges at start, then every interval with the clock of that moment, until stopped', async () => {
      vi.useFakeTimers();
      let t = T0;
      store = await storeWithDeadLetters(() => t, [T0 - 2 * H, T0 - H / 2, T0]);
      const purges = await startPurgeSchedule(store, PERIODS, { now: () => t, logger: silentLogger, everyMs: 10_000 });
      // At start: only what is older than an hour at T0.
      expect((await store.listDeadLetters()).map((d) => d.reason)).toEqual([`at ${T0}`, `at ${T0 - H / 2}`]);
      t = T0 + 40 * 60_000;
      await vi.advanceTimersByTimeAsync(10_000);
      await vi.waitFor(async () => expect(await store!.countDeadLetters()).toBe(1));
      await purges.stop();
      t = T0 + 2 * H;
      await vi.advanceTimersByTimeAsync(60_000);
      // Stopped: the last one stays although it is past its period now.
      expect(await store.countDeadLetters()).toBe(1);
    });

    it('purges once and schedules nothing for a one-shot run', async () => {
      vi.useFakeTimers();
      store = await storeWithDeadLetters(() => T0, [T0 - 2 * H, T0]);
      const purges = await startPurgeSchedule(store, PERIODS, { now: () => T0, logger: silentLogger, once: true });
      expect(await store.countDeadLetters()).toBe(1);
      expect(vi.getTimerCount()).toBe(0);
      await purges.stop();
    });
  });
});
