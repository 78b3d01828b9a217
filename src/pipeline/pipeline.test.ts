import { afterEach, describe, expect, it } from 'vitest';
import type { CommitBatch, CommitResult, Detector, Finding, SecurityEvent, Source, SourceBatch, Store } from '../core/index.js';
import { testEvent } from '../detection/testing.js';
import { silentLogger } from '../log.js';
import { openStore } from '../storage/index.js';
import { Pipeline } from './pipeline.js';
import { StagedState } from './staged-state.js';

const T0 = Date.parse('2026-11-02T09:00:00.000Z');

/** Counts the events it observes, and saves the count as its state. */
class Counter implements Detector {
  readonly id = 'counter';
  count = 0;
  constructor(
    private readonly state: Pick<Store, 'getState' | 'putState'>,
    /** Saving takes real time, as a round trip to PostgreSQL does. */
    private readonly saveMs = 0,
  ) {}
  observe(): Finding[] {
    this.count++;
    return [];
  }
  flush(): Finding[] {
    return [];
  }
  async restore(): Promise<void> {
    this.count = ((await this.state.getState('counter')) as number | undefined) ?? 0;
    this.#saved = this.count;
  }
  /** Writes only when the count changed since its last write, as real detectors save only what changed. */
  async persist(): Promise<void> {
    const count = this.count;
    if (count === this.#saved) return;
    if (this.saveMs) await new Promise((r) => setTimeout(r, this.saveMs));
    await this.state.putState('counter', count);
    this.#saved = count;
  }
  #saved: number | undefined;
}

const events = Array.from({ length: 30 }, (_, i) => testEvent({ time: T0 + i * 1000, user: `u${i % 3}@example.com`, nonce: i }));

/** Ten events per batch, each batch carrying its position as the cursor; resumes after the cursor it is given unless told to read everything. */
function source(all: SecurityEvent[], opts: { ignoreCursor?: boolean } = {}): Source {
  return {
    name: 'logs',
    type: 'test',
    async *batches({ cursor }): AsyncIterable<SourceBatch> {
      const from = cursor === undefined || opts.ignoreCursor ? 0 : Number(cursor);
      for (let i = from; i < all.length; i += 10) yield { events: all.slice(i, i + 10), deadLetters: [], cursor: String(i + 10) };
    },
  };
}

function pipelineOn(store: Store, saveMs = 0): { pipeline: Pipeline; counter: Counter } {
  const state = new StagedState(store);
  const counter = new Counter(state, saveMs);
  return { counter, pipeline: new Pipeline({ store, detectors: [counter], sinkNames: [], logger: silentLogger, state }) };
}

/** The store with its commitBatch wrapped: a process dying, a database refusing, an observer. */
function withCommit(store: Store, wrap: (commit: Store['commitBatch'], batch: CommitBatch) => Promise<CommitResult>): Store {
  const commit: Store['commitBatch'] = (batch) => store.commitBatch(batch);
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'commitBatch') return (batch: CommitBatch) => wrap(commit, batch);
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const open: Store[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function memoryStore(): Promise<Store> {
  const s = await openStore({ dialect: 'sqlite', path: ':memory:' });
  open.push(s);
  return s;
}

describe('pipeline and detector state', () => {
  it('commits detector state with the batch: a process dying right after a commit resumes with state that counted it', async () => {
    const store = await memoryStore();
    // The process "dies" as soon as its second batch has committed, before anything else runs.
    let commits = 0;
    const dying = withCommit(store, async (commit, batch) => {
      const r = await commit(batch);
      if (++commits === 2) throw new Error('killed');
      return r;
    });
    await expect(pipelineOn(dying).pipeline.ingest(source(events))).rejects.toThrow('killed');
    expect(await store.countEvents()).toBe(20);
    expect(await store.getState('counter')).toBe(20);

    const second = pipelineOn(store);
    await second.pipeline.ingest(source(events), {});
    expect(second.counter.count).toBe(30);
  });

  it('does not count again what is stored already: an overlap re-read after a restart', async () => {
    const store = await memoryStore();
    await pipelineOn(store).pipeline.ingest(source(events));
    expect(await store.getState('counter')).toBe(30);
    // A new process re-reads the last twenty records (a poller's overlap window) and five new ones.
    const more = Array.from({ length: 5 }, (_, i) => testEvent({ time: T0 + (30 + i) * 1000, user: 'u0@example.com', nonce: 30 + i }));
    const second = pipelineOn(store);
    await second.pipeline.ingest(source([...events.slice(10), ...more], { ignoreCursor: true }));
    expect(second.counter.count).toBe(35);
    expect(await store.getState('counter')).toBe(35);
    expect(await store.countEvents()).toBe(35);
  });

  it('keeps state whose commit failed for the next one: a pushed batch refused once and sent again', async () => {
    const store = await memoryStore();
    let fail = true;
    const flaky = withCommit(store, async (commit, batch) => {
      if (fail) {
        fail = false;
        throw new Error('database is locked');
      }
      return commit(batch);
    });
    const { pipeline, counter } = pipelineOn(flaky);
    const batch = { events: events.slice(0, 10), deadLetters: [] };
    await expect(pipeline.processBatch('push', batch)).rejects.toThrow('database is locked');
    // The sender tries again: the events were counted once already, and that count reaches the store now.
    await pipeline.processBatch('push', batch);
    expect(counter.count).toBe(10);
    expect(await store.countEvents()).toBe(10);
    expect(await store.getState('counter')).toBe(10);
  });

  it('runs batches of sources side by side one at a time', async () => {
    const store = await memoryStore();
    // After every commit, the state it carried counted exactly the events stored.
    const seen: Array<[number, number]> = [];
    const checked = withCommit(store, async (commit, batch) => {
      const r = await commit(batch);
      const json = batch.state?.get('counter');
      if (json !== undefined) seen.push([Number(json), await store.countEvents()]);
      return r;
    });
    const { pipeline, counter } = pipelineOn(checked, 3);
    const a = events.slice(0, 15);
    const b = events.slice(15);
    const slow = (name: string, all: SecurityEvent[]): Source => ({
      name,
      type: 'test',
      async *batches(): AsyncIterable<SourceBatch> {
        for (let i = 0; i < all.length; i += 5) {
          await new Promise((r) => setTimeout(r, 1));
          yield { events: all.slice(i, i + 5), deadLetters: [], cursor: String(i + 5) };
        }
      },
    });
    await pipeline.run([slow('a', a), slow('b', b)]);
    expect(seen.length).toBe(6); // one per batch; the final flush changes nothing
    for (const [counted, stored] of seen) expect(counted).toBe(stored);
    expect(counter.count).toBe(30);
    expect(await store.getState('counter')).toBe(30);
  });
});

describe('pipeline: the next batch is read while the last one commits', () => {
  /** A promise with its resolve, for a commit held open until the test lets it go. */
  function gate(): { promise: Promise<void>; open: () => void } {
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    return { promise, open };
  }

  /** Fails the test instead of hanging it when the pipeline waits where it must not. */
  function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  it('pulls the next batch from the source while the previous commit is still running, and commits in order', async () => {
    const store = await memoryStore();
    const secondAsked = gate();
    const order: string[] = [];
    const held = withCommit(store, async (commit, batch) => {
      // The final flush commits too, with no cursor.
      if (batch.cursor !== undefined) order.push(`commit ${batch.cursor}`);
      // The first commit finishes only once the source has been asked for the second batch.
      if (batch.cursor === '10') await within(secondAsked.promise, 5_000, 'reading the next batch during a commit');
      return commit(batch);
    });
    const { pipeline, counter } = pipelineOn(held);
    const reading: Source = {
      name: 'logs',
      type: 'test',
      async *batches(): AsyncIterable<SourceBatch> {
        for (let i = 0; i < events.length; i += 10) {
          if (i === 10) secondAsked.open();
          order.push(`read ${i + 10}`);
          yield { events: events.slice(i, i + 10), deadLetters: [], cursor: String(i + 10) };
        }
      },
    };
    const stats = await pipeline.ingest(reading);
    expect(order).toEqual(['read 10', 'commit 10', 'read 20', 'commit 20', 'read 30', 'commit 30']);
    expect(stats).toMatchObject({ batches: 3, events: 30, inserted: 30, duplicates: 0 });
    expect(counter.count).toBe(30);
    expect(await store.getCursor('logs')).toBe('30');
    expect(await store.getState('counter')).toBe(30);
  });

  it('acknowledges a pushed batch only once it is committed', async () => {
    const store = await memoryStore();
    const release = gate();
    let committed = false;
    const held = withCommit(store, async (commit, batch) => {
      await release.promise;
      const r = await commit(batch);
      committed = true;
      return r;
    });
    const { pipeline } = pipelineOn(held);
    let acknowledged = false;
    const push = pipeline.processBatch('push', { events: events.slice(0, 10), deadLetters: [] }).then(() => (acknowledged = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(acknowledged).toBe(false);
    release.open();
    await push;
    expect(committed).toBe(true);
    expect(await store.countEvents()).toBe(10);
  });

  it('stops the run with the commit’s error, before the next batch reaches the detectors or the store', async () => {
    const store = await memoryStore();
    const refusing = withCommit(store, async (commit, batch) => {
      if (batch.cursor === '20') throw new Error('disk I/O error');
      return commit(batch);
    });
    const { pipeline, counter } = pipelineOn(refusing);
    await expect(pipeline.ingest(source(events))).rejects.toThrow('disk I/O error');
    // Batch 2 was counted before its commit failed; batch 3 never was.
    expect(counter.count).toBe(20);
    expect(await store.countEvents()).toBe(10);
    expect(await store.getCursor('logs')).toBe('10');
  });

  it('commits what a source delivered before it failed, and reports the source’s error', async () => {
    const store = await memoryStore();
    const { pipeline } = pipelineOn(store);
    const failing: Source = {
      name: 'logs',
      type: 'test',
      async *batches(): AsyncIterable<SourceBatch> {
        yield { events: events.slice(0, 10), deadLetters: [], cursor: '10' };
        throw new Error('upstream went away');
      },
    };
    await expect(pipeline.ingest(failing)).rejects.toThrow('upstream went away');
    expect(await store.countEvents()).toBe(10);
    expect(await store.getCursor('logs')).toBe('10');
  });
});

