import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommitBatch, CommitResult, DeadLetterInput, Detector, Finding, FlushOptions, SecurityEvent, Source, SourceBatch, Store } from '../core/index.js';
import { testFinding } from '../core/testing.js';
import { testEvent } from '../detection/testing.js';
import { silentLogger, type Logger } from '../log.js';
import { closeMemoryStores, memoryStore } from '../storage/testing.js';
import { emptyStats, Pipeline, replayStored, type IngestStats } from './pipeline.js';
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
  return { counter, pipeline: new Pipeline({ store, detectors: [counter], logger: silentLogger, state }) };
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

afterEach(closeMemoryStores);

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

/** Records what the pipeline asks of a detector; what it reports is up to each test. */
class Probe implements Detector {
  observed: string[] = [];
  flushes: FlushOptions[] = [];
  settled: Array<number | undefined> = [];
  persisted = 0;
  restored = 0;
  constructor(
    readonly id: string,
    private readonly on: { observe?: (e: SecurityEvent) => Finding[]; flush?: (o: FlushOptions) => Finding[] } = {},
  ) {}
  observe(e: SecurityEvent): Finding[] {
    this.observed.push(e.event.id);
    return this.on.observe?.(e) ?? [];
  }
  flush(o: FlushOptions): Finding[] {
    this.flushes.push({ final: o.final, watermark: o.watermark });
    return this.on.flush?.(o) ?? [];
  }
  async settle(o?: { watermark?: number }): Promise<void> {
    this.settled.push(o?.watermark);
  }
  async persist(): Promise<void> {
    this.persisted++;
  }
  async restore(): Promise<void> {
    this.restored++;
  }
}

/** A source handing over the given batches, recording the cursor it was started from. */
function scripted(name: string, batches: SourceBatch[], opts: { onYield?: (i: number) => void } = {}): Source & { startedFrom: Array<string | undefined> } {
  const startedFrom: Array<string | undefined> = [];
  return {
    name,
    type: 'scripted',
    startedFrom,
    async *batches({ cursor }): AsyncIterable<SourceBatch> {
      startedFrom.push(cursor);
      for (const [i, b] of batches.entries()) {
        yield b;
        opts.onYield?.(i);
      }
    },
  };
}

function batchOf(evs: SecurityEvent[], extra: Partial<SourceBatch> = {}): SourceBatch {
  return { events: evs, deadLetters: [], ...extra };
}

function capture(): { logger: Logger; logs: Array<Record<string, unknown>> } {
  const logs: Array<Record<string, unknown>> = [];
  return { logs, logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }) };
}

const ids = (evs: SecurityEvent[]) => evs.map((e) => e.event.id);
const NOW = Date.parse('2026-11-03T10:00:00.000Z');
const HOUR = 3_600_000;

describe('pipeline: what detectors see', () => {
  it('hands each event to the detectors once: repeats in a batch, in a later batch, and events an earlier run stored', async () => {
    const store = await memoryStore();
    const [e0, e1, e2, e3] = events as [SecurityEvent, SecurityEvent, SecurityEvent, SecurityEvent];
    const first = new Probe('p');
    await new Pipeline({ store, detectors: [first], logger: silentLogger }).ingest(
      scripted('logs', [batchOf([e0, e1, e0]), batchOf([e1, e2])]),
    );
    expect(first.observed).toEqual(ids([e0, e1, e2]));

    const second = new Probe('p');
    const stats = await new Pipeline({ store, detectors: [second], logger: silentLogger }).ingest(scripted('logs', [batchOf([e2, e3])]));
    expect(second.observed).toEqual(ids([e3]));
    expect(stats).toMatchObject({ events: 2, inserted: 1, duplicates: 1 });
  });

  it('remembers only recentIds ids and asks the store about the others', async () => {
    const store = await memoryStore();
    const [e0, e1, e2] = events as [SecurityEvent, SecurityEvent, SecurityEvent];
    const probe = new Probe('p');
    // Room for one id per generation: after e0, e1, e2 the set holds e1 (old) and e2 (young), and e0
    // is known only to the store. The last batch's e0 then pushes e1 out before e1 is reached.
    await new Pipeline({ store, detectors: [probe], logger: silentLogger, recentIds: 1 }).ingest(
      scripted('logs', [batchOf([e0]), batchOf([e1]), batchOf([e2]), batchOf([e0, e1])]),
    );
    expect(probe.observed).toEqual(ids([e0, e1, e2]));
  });

  it('enriches every event before the detectors see it and before it is stored, repeats included', async () => {
    const store = await memoryStore();
    const [e0, e1] = events.slice(0, 2).map((e) => structuredClone(e)) as [SecurityEvent, SecurityEvent];
    const label = (e: SecurityEvent) => `${e.labels?.n},${e.labels?.geo}`;
    const seen: string[] = [];
    const probe = new Probe('p', {
      observe: (e) => {
        seen.push(label(e));
        return [];
      },
    });
    let n = 0;
    await new Pipeline({
      store,
      detectors: [probe],
      sinkNames: [],
      logger: silentLogger,
      enrichers: [(e) => void (e.labels = { n: `n${n++}` }), (e) => void (e.labels!.geo = 'NL')],
    }).ingest(scripted('logs', [batchOf([e0, e1, e0])]));
    expect(seen).toEqual(['n0,NL', 'n1,NL']);
    expect((await store.queryEvents({})).map(label)).toEqual(['n2,NL', 'n1,NL']);
  });

  it('carries on when a detector fails, and says which one and where', async () => {
    const store = await memoryStore();
    const [e0, e1, e2] = events as [SecurityEvent, SecurityEvent, SecurityEvent];
    const { logger, logs } = capture();
    const bad: Detector = {
      id: 'bad',
      observe: (e) => {
        if (e.event.id === e1.event.id) throw new Error('observe broke');
        return [];
      },
      flush: () => {
        throw new Error('flush broke');
      },
      settle: async () => {
        throw new Error('settle broke');
      },
      persist: async () => {
        throw new Error('persist broke');
      },
    };
    const good = new Probe('good', { observe: (e) => (e.event.id === e2.event.id ? [testFinding()] : []) });
    const stats = await new Pipeline({ store, detectors: [bad, good], logger }).ingest(scripted('logs', [batchOf([e0, e1, e2])]));
    expect(good.observed).toEqual(ids([e0, e1, e2]));
    expect(good.flushes).toHaveLength(2);
    expect(good.persisted).toBe(2);
    expect(stats).toMatchObject({ inserted: 3, findings: 1, alertsCreated: 1 });
    const problems = logs.filter((l) => (l.level as number) >= 40).map((l) => ({ level: l.level, msg: l.msg, detector: l.detector, step: l.step, eventId: l.eventId, err: (l.err as { message: string }).message }));
    expect(problems).toEqual([
      { level: 50, msg: 'Detector failed on an event.', detector: 'bad', step: undefined, eventId: e1.event.id, err: 'observe broke' },
      { level: 40, msg: 'Detector state not loaded.', detector: 'bad', step: 'settle', eventId: undefined, err: 'settle broke' },
      { level: 50, msg: 'Detector flush failed.', detector: 'bad', step: undefined, eventId: undefined, err: 'flush broke' },
      { level: 40, msg: 'Detector state not saved.', detector: 'bad', step: 'persist', eventId: undefined, err: 'persist broke' },
      // The final flush at the end of the run.
      { level: 40, msg: 'Detector state not loaded.', detector: 'bad', step: 'settle', eventId: undefined, err: 'settle broke' },
      { level: 50, msg: 'Detector flush failed.', detector: 'bad', step: undefined, eventId: undefined, err: 'flush broke' },
      { level: 40, msg: 'Detector state not saved.', detector: 'bad', step: 'persist', eventId: undefined, err: 'persist broke' },
    ]);
  });
});

describe('pipeline: what it commits and counts', () => {
  it('commits dead letters, cursors and alerts with their events, and totals the sources', async () => {
    const store = await memoryStore();
    const [e0, e1, e2, e3] = events as [SecurityEvent, SecurityEvent, SecurityEvent, SecurityEvent];
    const dead: DeadLetterInput = { source: 'a', reason: 'line 2 of a.jsonl is not valid JSON', code: 'PARSE', payload: '{oops' };
    // e1 and e3 each raise the same finding: one alert, created once and then updated.
    const probe = new Probe('p', { observe: (e) => (e.event.id === e1.event.id || e.event.id === e3.event.id ? [testFinding()] : []) });
    const perBatch: Array<[string | undefined, IngestStats]> = [];
    const pipeline = new Pipeline({ store, detectors: [probe], route: () => ['soc', 'pager'], logger: silentLogger, now: () => NOW });
    const a = scripted('a', [batchOf([e0, e1], { deadLetters: [dead], cursor: 'a1' }), batchOf([e1], { cursor: 'a2' })]);
    const before = performance.now();
    const totals = await pipeline.run([a], { onBatch: (b, s) => void perBatch.push([b.cursor, { ...s }]) });
    const elapsed = performance.now() - before;
    const b = scripted('b', [batchOf([e2, e3], { cursor: 'b1' })]);
    const more = await pipeline.ingest(b, { onBatch: (batch, s) => void perBatch.push([batch.cursor, { ...s }]) });

    expect(totals).toEqual({ batches: 2, events: 3, inserted: 2, duplicates: 1, deadLetters: 1, findings: 1, alertsCreated: 1, alertsUpdated: 0, durationMs: expect.any(Number) });
    // The run's own wall time, not a timestamp.
    expect(totals.durationMs).toBeGreaterThanOrEqual(0);
    expect(totals.durationMs).toBeLessThanOrEqual(elapsed);
    expect(more).toEqual({ batches: 1, events: 2, inserted: 2, duplicates: 0, deadLetters: 0, findings: 1, alertsCreated: 0, alertsUpdated: 1, durationMs: expect.any(Number) });
    expect(perBatch.map(([c, s]) => [c, s.batches, s.events, s.inserted, s.duplicates, s.deadLetters, s.findings, s.alertsCreated, s.alertsUpdated])).toEqual([
      ['a1', 1, 2, 2, 0, 1, 1, 1, 0],
      ['a2', 2, 3, 2, 1, 1, 1, 1, 0],
      ['b1', 1, 2, 2, 0, 0, 1, 0, 1],
    ]);

    expect(await store.getCursor('a')).toBe('a2');
    expect(await store.getCursor('b')).toBe('b1');
    expect((await store.listDeadLetters({})).map((d) => [d.source, d.reason, d.payload])).toEqual([['a', dead.reason, '{oops']]);
    const alerts = await store.listAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'brute-force', createdAt: '2026-11-03T10:00:00.000Z' });
    expect((await store.listDeliveries({ alertId: alerts[0]!.id })).map((d) => d.sink).sort()).toEqual(['pager', 'soc']);
  });

  it('routes each alert through the route it is given, naming its source, grouping it with its entity\'s alerts', async () => {
    const store = await memoryStore();
    const [e0, e1, e2] = events as [SecurityEvent, SecurityEvent, SecurityEvent];
    const who = { type: 'user', value: 'x@example.com' };
    let flushed = false;
    const probe: Probe = new Probe('p', {
      // Reported on sight: from the source whose batch is observed.
      observe: (e) => (e.event.id === e0.event.id ? [testFinding({ rule: 'seen', entity: who, windowStart: T0, evidence: [e0.event.id] })] : []),
      // Reported at a batch's end: from the source whose batch holds its evidence, not the one that ran first.
      flush: (): Finding[] => {
        if (flushed || !probe.observed.includes(e2.event.id)) return [];
        flushed = true;
        return [testFinding({ rule: 'judged', entity: who, windowStart: T0 + 60_000, evidence: [e2.event.id], severity: 'critical', tags: ['attack.t1110'] })];
      },
    });
    const asked: Array<[string, string | undefined, string[] | undefined]> = [];
    const route = (a: { rule: string; source?: string; tags?: string[]; severity: string }) => {
      asked.push([a.rule, a.source, a.tags]);
      return a.severity === 'critical' ? ['pager'] : ['file'];
    };
    const pipeline = new Pipeline({ store, detectors: [probe], route, groupWindowMs: 15 * 60_000, logger: silentLogger, now: () => NOW });
    await pipeline.run([scripted('okta', [batchOf([e0])]), scripted('google', [batchOf([e1, e2])])]);
    expect(asked.sort()).toEqual([
      ['judged', 'google', ['attack.t1110']],
      ['seen', 'okta', undefined],
    ]);
    const alerts = (await store.listAlerts()).sort((a, b) => a.windowStart - b.windowStart);
    expect(alerts.map((a) => [a.rule, a.source, a.groupId])).toEqual([
      ['seen', 'okta', alerts[0]!.id],
      ['judged', 'google', alerts[0]!.id],
    ]);
    const kinds = async (id: string) => (await store.listDeliveries({ alertId: id })).map((d) => `${d.sink}:${d.kind}`);
    expect(await kinds(alerts[0]!.id)).toEqual(['file:alert']);
    // The pager was never told of the group: it gets the alert itself.
    expect(await kinds(alerts[1]!.id)).toEqual(['pager:alert']);
  });

  it('resumes each source from its committed cursor', async () => {
    const store = await memoryStore();
    const pipeline = new Pipeline({ store, detectors: [], logger: silentLogger });
    await pipeline.ingest(scripted('a', [batchOf(events.slice(0, 2), { cursor: 'a-2' })]));
    const again = scripted('a', []);
    const other = scripted('b', []);
    await pipeline.run([again, other]);
    expect(again.startedFrom).toEqual(['a-2']);
    expect(other.startedFrom).toEqual([undefined]);
  });

  it('commits what the final flush finds, as alerts with their deliveries, and counts it', async () => {
    const store = await memoryStore();
    const probe = new Probe('p', { flush: (o) => (o.final ? [testFinding({ severity: 'critical' })] : []) });
    const pipeline = new Pipeline({ store, detectors: [probe], route: () => ['soc'], logger: silentLogger, now: () => NOW });
    const stats = await pipeline.ingest(scripted('logs', [batchOf(events.slice(0, 2))]));
    expect(stats).toMatchObject({ batches: 1, findings: 1, alertsCreated: 1, alertsUpdated: 0 });
    const alerts = await store.listAlerts();
    expect(alerts.map((a) => [a.severity, a.createdAt])).toEqual([['critical', '2026-11-03T10:00:00.000Z']]);
    expect((await store.listDeliveries({ alertId: alerts[0]!.id })).map((d) => d.sink)).toEqual(['soc']);
  });

  it('logs each new alert at debug, and tells onAlerts of each new alert once', async () => {
    const store = await memoryStore();
    const { logger, logs } = capture();
    const blocking = testFinding({ rule: 'impossible-travel', entity: { type: 'user', value: 'mallory@example.com' }, actions: [{ type: 'block-user', user: 'mallory@example.com', reason: 'impossible travel' }] });
    const probe = new Probe('p', { observe: (e) => (e.event.id === events[0]!.event.id ? [blocking, testFinding()] : e.event.id === events[1]!.event.id ? [blocking] : []) });
    const told: string[] = [];
    const pipeline = new Pipeline({ store, detectors: [probe], logger, now: () => NOW, onAlerts: (created) => told.push(...created.map((a) => a.id)) });
    await pipeline.ingest(scripted('logs', [batchOf([events[0]!]), batchOf([events[1]!])]));
    const [blockAlert, ipAlert] = [blocking, testFinding()].map((f) => logs.find((l) => l.msg === 'Alert raised.' && l.rule === f.rule)!.alert as string);
    expect(logs.filter((l) => l.msg === 'Alert raised.').map((l) => [l.level, l.alert, l.rule, l.entity, l.severity])).toEqual([
      [20, blockAlert, 'impossible-travel', 'user:mallory@example.com', 'high'],
      [20, ipAlert, 'brute-force', 'ip:203.0.113.7', 'high'],
    ]);
    expect((await store.listAlerts()).map((a) => a.id).sort()).toEqual([blockAlert, ipAlert].sort());
    expect(told.sort()).toEqual([blockAlert, ipAlert].sort());
    // The block is proposed, not carried out: that is the responder's, through its audited path.
    expect(await store.listBlockedUsers()).toEqual([]);
    expect(logs.filter((l) => l.level !== 20)).toEqual([]);
  });

  it('says at debug which source finished, with its totals', async () => {
    const store = await memoryStore();
    const { logger, logs } = capture();
    // A detector with none of the optional steps (restore, settle, persist) is no reason to warn.
    const minimal: Detector = { id: 'minimal', observe: () => [], flush: () => [] };
    await new Pipeline({ store, detectors: [minimal], logger }).ingest(scripted('logs', [batchOf(events.slice(0, 3))]));
    expect(logs.filter((l) => l.msg === 'Source finished.')).toEqual([expect.objectContaining({ level: 20, source: 'logs', type: 'scripted', batches: 1, events: 3, inserted: 3 })]);
    expect(logs.filter((l) => (l.level as number) > 20)).toEqual([]);
  });
});

describe('pipeline: watermarks', () => {
  it('flushes after each batch up to the watermark, and once more, final, when the sources end', async () => {
    const store = await memoryStore();
    const probe = new Probe('p');
    // A source that promises nothing holds detection back until it ends; then everything seen is complete.
    await new Pipeline({ store, detectors: [probe], logger: silentLogger }).ingest(
      // Newest event first in each batch: the watermark follows the newest, not the last.
      scripted('file', [batchOf([events[1]!, events[0]!]), batchOf([events[3]!, events[2]!])]),
    );
    const end = T0 + 3_000 + 1;
    expect(probe.flushes).toEqual([
      { final: false, watermark: Number.NEGATIVE_INFINITY },
      { final: false, watermark: Number.NEGATIVE_INFINITY },
      { final: true, watermark: end },
    ]);
    expect(probe.settled).toEqual([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, end]);
    expect(probe.persisted).toBe(3);
  });

  it("takes a source's promise and keeps it when the source ends (it will be polled again)", async () => {
    const store = await memoryStore();
    const probe = new Probe('p');
    await new Pipeline({ store, detectors: [probe], logger: silentLogger }).ingest(
      scripted('poller', [batchOf(events.slice(0, 2), { watermark: T0 + 500 }), batchOf(events.slice(2, 4), { watermark: T0 + 1_500 })]),
    );
    expect(probe.flushes).toEqual([
      { final: false, watermark: T0 + 500 },
      { final: false, watermark: T0 + 1_500 },
      { final: true, watermark: T0 + 1_500 },
    ]);
  });

  it('stops after the batch in hand when the signal aborts, and a stopped source still holds detection back', async () => {
    const store = await memoryStore();
    const probe = new Probe('p');
    const stop = new AbortController();
    const perBatch: string[] = [];
    const src = scripted('file', [batchOf(events.slice(0, 2), { cursor: '2' }), batchOf(events.slice(2, 4), { cursor: '4' })]);
    // The stop arrives while the first batch is being processed.
    const stats = await new Pipeline({ store, detectors: [probe], logger: silentLogger }).run([src], {
      signal: stop.signal,
      onBatch: (b) => {
        perBatch.push(b.cursor!);
        stop.abort();
      },
    });
    expect(perBatch).toEqual(['2']);
    expect(stats.batches).toBe(1);
    expect(await store.getCursor('file')).toBe('2');
    expect(probe.flushes).toEqual([
      { final: false, watermark: Number.NEGATIVE_INFINITY },
      { final: true, watermark: Number.NEGATIVE_INFINITY },
    ]);
  });

  it('a later run judges up to the newest event any run has seen, even one that reads only older events or nothing', async () => {
    const store = await memoryStore();
    const runOnce = async (evs: SecurityEvent[]) => {
      const state = new StagedState(store);
      const probe = new Probe('p');
      await new Pipeline({ store, detectors: [probe], logger: silentLogger, state }).ingest(scripted('file', evs.length ? [batchOf(evs)] : []));
      return probe.flushes.at(-1);
    };
    expect(await runOnce(events.slice(0, 3))).toEqual({ final: true, watermark: T0 + 2_001 });
    // Nothing new: time stands where the last run left it.
    expect(await runOnce([])).toEqual({ final: true, watermark: T0 + 2_001 });
    // Only older (new) events: the newest seen does not move back.
    const older = testEvent({ time: T0 - 60_000, user: 'u9@example.com', nonce: 1_000 });
    expect(await runOnce([older])).toEqual({ final: true, watermark: T0 + 2_001 });
    expect(await runOnce([])).toEqual({ final: true, watermark: T0 + 2_001 });
    expect(await runOnce(events.slice(3, 5))).toEqual({ final: true, watermark: T0 + 4_001 });
    expect(await runOnce([])).toEqual({ final: true, watermark: T0 + 4_001 });
  });

  it('without a state store, a run that reads nothing judges nothing', async () => {
    const store = await memoryStore();
    const probe = new Probe('p');
    await new Pipeline({ store, detectors: [], logger: silentLogger }).ingest(scripted('file', [batchOf(events.slice(0, 3))]));
    await new Pipeline({ store, detectors: [probe], logger: silentLogger }).ingest(scripted('file', []));
    expect(probe.flushes).toEqual([{ final: true, watermark: Number.NEGATIVE_INFINITY }]);
  });

  it('says once per run which source holds windowed detection back by a day or more', async () => {
    const { logger, logs } = capture();
    const store = await memoryStore();
    const pipeline = new Pipeline({ store, detectors: [], logger });
    const at = (t: number, nonce: number) => testEvent({ time: t, user: 'u@example.com', nonce });
    const lagNotes = () => logs.filter((l) => l.msg === 'Windowed detection waits for this source to catch up.').map((l) => [l.level, l.source, l.behindHours]);
    await pipeline.processBatch('live', batchOf([at(T0, 1)], { watermark: T0 }));
    await pipeline.processBatch('backfill', batchOf([at(T0 - 30 * HOUR, 2)], { watermark: T0 - 24 * HOUR + 1 }));
    // Just under a day behind: nothing to say yet.
    expect(lagNotes()).toEqual([]);
    await pipeline.processBatch('live', batchOf([at(T0 + 40 * 60_000 + 1, 3)], { watermark: T0 + 1 }));
    // The newest event is now a day and 40 minutes ahead of the backfill's promise.
    expect(lagNotes()).toEqual([[30, 'backfill', 25]]);
    await pipeline.processBatch('backfill', batchOf([at(T0 - 20 * HOUR, 4)], { watermark: T0 - 24 * HOUR + 2 }));
    expect(lagNotes()).toHaveLength(1);
  });

  it('notes a lag of exactly a day', async () => {
    const { logger, logs } = capture();
    const pipeline = new Pipeline({ store: await memoryStore(), detectors: [], logger });
    await pipeline.processBatch('live', batchOf([testEvent({ time: T0 + 24 * HOUR, user: 'u@example.com', nonce: 1 })], { watermark: T0 + 24 * HOUR }));
    await pipeline.processBatch('backfill', batchOf([testEvent({ time: T0, user: 'u@example.com', nonce: 2 })], { watermark: T0 }));
    expect(logs.filter((l) => l.msg === 'Windowed detection waits for this source to catch up.').map((l) => [l.source, l.behindHours])).toEqual([['backfill', 24]]);
  });
});

describe('pipeline: restoring detectors', () => {
  it('restores the detectors once, however many runs, and hands back what each held unjudged', async () => {
    const store = await memoryStore();
    await store.commitBatch({ source: 'seed', events: events.slice(0, 6) });
    class Resuming extends Probe {
      replayed: string[] = [];
      constructor(id: string, private readonly from: number | undefined) {
        super(id);
      }
      resumeFrom(): number | undefined {
        return this.from;
      }
      replay(e: SecurityEvent): void {
        this.replayed.push(e.event.id);
      }
    }
    const late = new Resuming('late', T0 + 4_000);
    const early = new Resuming('early', T0 + 2_000);
    const none = new Resuming('none', undefined);
    const pipeline = new Pipeline({ store, detectors: [late, early, none], logger: silentLogger });
    await pipeline.ingest(scripted('a', []));
    await pipeline.run([scripted('b', [])]);
    expect([late.restored, early.restored, none.restored]).toEqual([1, 1, 1]);
    expect(late.replayed).toEqual(ids(events.slice(4, 6)));
    expect(early.replayed).toEqual(ids(events.slice(2, 6)));
    expect(none.replayed).toEqual([]);
  });
});

describe('replayStored', () => {
  const resuming = (from: number | undefined, withReplay = true) => {
    const got: string[] = [];
    const d: Detector = { id: 'r', observe: () => [], flush: () => [], resumeFrom: () => from, ...(withReplay ? { replay: (e: SecurityEvent) => void got.push(e.event.id) } : {}) };
    return { d, got };
  };

  /** The store, noting each query replayStored makes. */
  const noting = (store: Store) => {
    const queries: unknown[] = [];
    return { queries, log: { queryEvents: (q?: Parameters<Store['queryEvents']>[0]) => (queries.push(q), store.queryEvents(q)) } };
  };

  it('reads the store once from the earliest time asked for, in (time, id) order, and hands each detector its part', async () => {
    const store = await memoryStore();
    const { queries, log } = noting(store);
    // Stored out of order: the replay is in time order all the same.
    await store.commitBatch({ source: 's', events: [...events.slice(5, 10), ...events.slice(0, 5)] });
    const a = resuming(T0 + 7_000);
    const b = resuming(T0 + 3_000);
    const c = resuming(T0, false);
    expect(await replayStored(log, [a.d, b.d, c.d])).toBe(7);
    expect(queries).toHaveLength(1);
    expect(a.got).toEqual(ids(events.slice(7, 10)));
    expect(b.got).toEqual(ids(events.slice(3, 10)));
  });

  it('reads nothing when no detector held anything back', async () => {
    const store = await memoryStore();
    await store.commitBatch({ source: 's', events: events.slice(0, 3) });
    const a = resuming(undefined);
    expect(await replayStored(store, [a.d, resuming(T0, false).d])).toBe(0);
    expect(a.got).toEqual([]);
  });

  it('replays from the beginning when asked from -∞', async () => {
    const store = await memoryStore();
    await store.commitBatch({ source: 's', events: events.slice(0, 3) });
    const a = resuming(Number.NEGATIVE_INFINITY);
    expect(await replayStored(store, [a.d])).toBe(3);
    expect(a.got).toEqual(ids(events.slice(0, 3)));
  });

  it('pages through more events than one query returns', async () => {
    const store = await memoryStore();
    const many = Array.from({ length: 5_001 }, (_, i) => testEvent({ time: T0 + i, user: 'u@example.com', nonce: i }));
    await store.commitBatch({ source: 's', events: many });
    const a = resuming(T0);
    const { queries, log } = noting(store);
    expect(await replayStored(log, [a.d])).toBe(5_001);
    expect(queries).toHaveLength(2);
    expect(a.got).toEqual(ids(many));
  });
});

describe('processBatch', () => {
  it("rejects with the store's error when a commit is refused, staged state or not, and the next batch goes through", async () => {
    const store = await memoryStore();
    let fail = 2;
    const refusing = withCommit(store, async (commit, batch) => {
      if (fail-- > 0) throw new Error('database is locked');
      return commit(batch);
    });
    const plain = new Pipeline({ store: refusing, detectors: [], logger: silentLogger });
    await expect(plain.processBatch('push', batchOf(events.slice(0, 1)))).rejects.toThrow('database is locked');
    // Staged, with nothing written since the last commit.
    const staged = new Pipeline({ store: refusing, detectors: [], logger: silentLogger, state: new StagedState(refusing) });
    await expect(staged.processBatch('push', batchOf([]))).rejects.toThrow('database is locked');
    expect(await staged.processBatch('push', batchOf(events.slice(0, 2)))).toMatchObject({ batches: 1, inserted: 2 });
  });

  it('returns fresh totals when given none', async () => {
    const pipeline = new Pipeline({ store: await memoryStore(), detectors: [], logger: silentLogger });
    expect(await pipeline.processBatch('push', batchOf(events.slice(0, 2)))).toEqual({ ...emptyStats(), batches: 1, events: 2, inserted: 2 });
    expect(await pipeline.processBatch('push', batchOf(events.slice(1, 3)))).toEqual({ ...emptyStats(), batches: 1, events: 2, inserted: 1, duplicates: 1 });
  });
});

describe('pipeline: per-record isolation', () => {
  function deep(levels: number): unknown {
    let v: unknown = 'bottom';
    for (let i = 0; i < levels; i++) v = { v };
    return v;
  }

  it('turns an event that cannot be stored into a dead letter at its position and stores the rest of the batch', async () => {
    const store = await memoryStore();
    const [e0, e1, e2, e3] = events.slice(0, 4).map((e) => structuredClone(e)) as [SecurityEvent, SecurityEvent, SecurityEvent, SecurityEvent];
    e1.raw = deep(5000);
    e2.raw = { amount: 12n };
    const e4 = structuredClone(events[4]!);
    e4.raw = Object.defineProperty({}, 'secret', {
      enumerable: true,
      get() {
        throw new Error('SDK getter broke');
      },
    });
    const positions = { file: 'app.jsonl', line: [10, 11, 12, 13, 14], offset: [0, 100, 200, 300] };
    const probe = new Probe('p');
    const stats = await new Pipeline({ store, detectors: [probe], logger: silentLogger }).ingest(
      scripted('logs', [batchOf([e0, e1, e2, e3, e4], { positions, deadLetters: [{ source: 'logs', code: 'INPUT_MALFORMED', reason: 'from the source', payload: 'x' }] })]),
    );
    expect(ids(await store.queryEvents({}))).toEqual(ids([e0, e3]));
    expect(probe.observed).toEqual(ids([e0, e3]));
    expect(stats).toMatchObject({ events: 2, inserted: 2, deadLetters: 4 });
    const dead = (await store.listDeadLetters({})).reverse();
    expect(dead.map((d) => [d.code, d.position, d.reason])).toEqual([
      ['INPUT_MALFORMED', undefined, 'from the source'],
      ['INPUT_TOO_LARGE', { file: 'app.jsonl', line: 11, offset: 100 }, 'line 11 of app.jsonl: nests deeper than 1024 levels (or refers to itself), more than can be stored; skipped'],
      ['INPUT_MALFORMED', { file: 'app.jsonl', line: 12, offset: 200 }, 'line 12 of app.jsonl: holds a BigInt, which JSON cannot store; skipped'],
      ['INPUT_MALFORMED', { file: 'app.jsonl', line: 14 }, 'line 14 of app.jsonl: cannot be read: SDK getter broke; skipped'],
    ]);
    expect(dead[2]!.payload).toBe('{"amount":12n}');
    expect(dead[3]!.payload).toBe('{"secret":… [unreadable]');
    expect(dead[1]!.payload).toMatch(/^\{"v":\{"v":.*…/);
  });

  it('turns an event an enricher throws on into a dead letter named by its id, and enriches and stores the rest', async () => {
    const store = await memoryStore();
    const [e0, e1, e2] = events.slice(0, 3).map((e) => structuredClone(e)) as [SecurityEvent, SecurityEvent, SecurityEvent];
    const { logger, logs } = capture();
    const stats = await new Pipeline({
      store,
      detectors: [],
      sinkNames: [],
      logger,
      enrichers: [
        (e) => {
          if (e.event.id === e1.event.id) throw new Error('geo database broke');
          e.labels = { geo: 'NL' };
        },
      ],
    }).ingest(scripted('logs', [batchOf([e0, e1, e2])]));
    expect((await store.queryEvents({})).map((e) => [e.event.id, e.labels?.geo])).toEqual([
      [e0.event.id, 'NL'],
      [e2.event.id, 'NL'],
    ]);
    expect(stats).toMatchObject({ inserted: 2, deadLetters: 1 });
    expect(await store.listDeadLetters({})).toMatchObject([{ source: 'logs', code: 'INTERNAL', reason: `event ${e1.event.id}: enrichment failed: geo database broke; skipped` }]);
    expect(logs.find((l) => l.msg === 'Enrichment failed on an event; it becomes a dead letter.')).toMatchObject({ eventId: e1.event.id, err: { message: 'geo database broke' } });
  });

  it('stores text with NUL and lone surrogates replaced before enrichers and detectors see it, and says so on the event', async () => {
    const store = await memoryStore();
    const e = structuredClone(events[0]!);
    e.user = { email: 'a\u0000b@example.com' };
    e.raw = { user: 'a\u0000b@example.com', note: 'x\ud800' };
    const seen: string[] = [];
    await new Pipeline({ store, detectors: [], logger: silentLogger, enrichers: [(ev) => void seen.push(ev.user!.email!)] }).ingest(scripted('logs', [batchOf([e])]));
    expect(seen).toEqual(['a\ufffdb@example.com']);
    const [stored] = await store.queryEvents({ userEmail: 'a\ufffdb@example.com' });
    expect(stored?.raw).toEqual({ user: 'a\ufffdb@example.com', note: 'x\ufffd' });
    expect(stored?.labels).toEqual({ sanitized: 'nul,surrogate' });
  });
});
