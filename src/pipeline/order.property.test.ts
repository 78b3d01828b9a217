/**
 * The detection invariant through the whole pipeline: sources polled side by side, each in its own
 * order and promising its own watermark, into a real SQLite store, with a stop and restart part way;
 * the alerts stored are what the oracle finds over the events stored, sorted by time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Source, SourceBatch, Store } from '../core/index.js';
import { alertKeys, anOrder, arrivals, exhausted, orderDetectors, orderExpected, orderScenario, watermarksOf, type Delivery } from '../detection/order-testing.js';
import { Rng } from '../detection/random.js';
import { TempStores } from '../detection/restart-testing.js';
import { silentLogger } from '../log.js';
import { Pipeline } from './pipeline.js';
import { StagedState } from './staged-state.js';

const stores = new TempStores();
afterAll(() => stores.cleanup());

/**
 * A source replaying its deliveries, resuming after the committed cursor; it stops the whole run
 * (as Ctrl-C does) once it has handed over the batch numbered `stopAfter` in the interleaved order.
 */
function replaying(name: string, all: Delivery[], stop?: { after: number; ac: AbortController }): Source {
  const mine = all.map((d, i) => ({ d, i })).filter((x) => x.d.source === name);
  return {
    name,
    type: 'test',
    async *batches({ cursor }): AsyncIterable<SourceBatch> {
      const from = cursor === undefined ? 0 : Number(cursor);
      for (let k = from; k < mine.length; k++) {
        const { d, i } = mine[k]!;
        // Side by side, as a poller awaiting its API would be: the other sources get their turn.
        await new Promise((r) => setImmediate(r));
        // Past the stop: wait for it, as a poller mid-request would, rather than claim to be done.
        if (stop && i > stop.after) {
          if (!stop.ac.signal.aborted) await new Promise((r) => stop.ac.signal.addEventListener('abort', r, { once: true }));
          return;
        }
        // A replay is finite: its last batch promises that nothing more will ever come.
        const watermark = k === mine.length - 1 ? Number.POSITIVE_INFINITY : d.watermark;
        yield { events: d.events, deadLetters: [], cursor: String(k + 1), ...(watermark !== undefined ? { watermark } : {}) };
        if (stop && i === stop.after) stop.ac.abort();
      }
    },
  };
}

async function runOnce(store: Store, deliveries: Delivery[], stopAfter?: number): Promise<void> {
  const state = new StagedState(store);
  const pipeline = new Pipeline({ store, detectors: orderDetectors(state), logger: silentLogger, state });
  const ac = new AbortController();
  const names = [...new Set(deliveries.map((d) => d.source))];
  await pipeline.run(
    names.map((n) => replaying(n, deliveries, stopAfter === undefined ? undefined : { after: stopAfter, ac })),
    { signal: ac.signal },
  );
}

describe('the pipeline raises what the oracle finds, however sources deliver', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])('scenario %i: three sources side by side, stopped and restarted part way', async (seed) => {
    const events = orderScenario(seed);
    const rng = new Rng(`pipeline:${seed}`);
    const deliveries = arrivals(events, rng, [anOrder(rng), anOrder(rng), anOrder(rng)], 1 + rng.int(30));
    const store = await stores.open();
    const stopAt = rng.int(deliveries.length);
    await runOnce(store, deliveries, stopAt);
    await runOnce(store, deliveries);

    const stored = await store.queryEvents({ limit: events.length + 10 });
    expect(stored).toHaveLength(events.length);
    const clock = Math.max(exhausted(stored), ...watermarksOf(deliveries));
    const want = orderExpected(stored, clock);
    expect(want.length).toBeGreaterThan(0);
    expect(alertKeys(await store.listAlerts())).toEqual(want);
  });
});
