/** Drives detectors the way the pipeline does, across simulated restarts, so tests can compare a split run with an uninterrupted one. */
import { eventTime, type Detector, type Finding, type SecurityEvent, type Store } from '../core/index.js';
import { replayStored } from '../pipeline/pipeline.js';
import { openStore } from '../storage/index.js';

/**
 * Real SQLite stores, in memory: a restart here is a new detector over the same store, so nothing needs a
 * file, and restart checks open dozens of stores (a file store would start a writer and a checkpointer
 * thread for each). The file paths are the store contract suite's.
 */
export class TempStores {
  readonly #open: Store[] = [];

  async open(): Promise<Store> {
    const s = await openStore({ dialect: 'sqlite', path: ':memory:' });
    this.#open.push(s);
    return s;
  }

  async cleanup(): Promise<void> {
    for (const s of this.#open.splice(0)) await s.close();
  }
}

/** One batch as the pipeline hands it to detectors: its events and the watermark after it. */
export interface Batch {
  events: SecurityEvent[];
  watermark: number;
}

/**
 * Batches of `size` events, in the order given, each with the tightest watermark the sources could
 * promise: the oldest time still to come (just past the newest event after the last batch).
 */
export function batchesOf(events: SecurityEvent[], size: number): Batch[] {
  const chunks: SecurityEvent[][] = [];
  for (let i = 0; i < events.length; i += size) chunks.push(events.slice(i, i + size));
  return asBatches(chunks);
}

/** Batches of the chunks given, each with the tightest watermark (see batchesOf). */
export function asBatches(chunks: SecurityEvent[][]): Batch[] {
  const out: Batch[] = [];
  let rest = Number.POSITIVE_INFINITY;
  let newest = Number.NEGATIVE_INFINITY;
  for (const e of chunks.flat()) newest = Math.max(newest, eventTime(e));
  for (let i = chunks.length - 1; i >= 0; i--) {
    out.unshift({ events: chunks[i]!, watermark: rest === Number.POSITIVE_INFINITY ? newest + 1 : rest });
    for (const e of chunks[i]!) rest = Math.min(rest, eventTime(e));
  }
  return out;
}

/**
 * Moves every `every`-th event into a second stream running `lagMs` behind the first, as a source
 * backfilling beside a live one delivers them: interleaved, each in its own time order.
 */
function besideLaggingStream(events: SecurityEvent[], every: number, lagMs: number): SecurityEvent[] {
  return events.map((e, i) =>
    i % every !== 0 ? e : { ...e, '@timestamp': new Date(Date.parse(e['@timestamp']) - lagMs).toISOString(), event: { ...e.event, dataset: 'test.lagging' } },
  );
}

/**
 * The orders a detector must survive restarts in: as given; with a quarter of the events from a
 * second stream six hours behind (a backfill beside a live source); each batch newest first (as the
 * Reports API pages).
 */
export function restartInputs(batches: Batch[]): Array<[string, Batch[]]> {
  const size = batches[0]!.events.length;
  return [
    ['one stream', batches],
    ['beside a lagging stream', batchesOf(besideLaggingStream(batches.flatMap((b) => b.events), 4, 6 * 3_600_000), size)],
    ['each batch newest first', asBatches(batches.map((b) => [...b.events].reverse()))],
  ];
}

/**
 * One process lifetime as the pipeline drives it: restore (and, with the event store, replay what
 * the detector held at its last save), then per batch observe, settle, flush to the batch's
 * watermark, save, and store the batch's events; then the final flush of a stopped run (at the
 * watermark reached) and a save.
 */
export async function lifetime(d: Detector, batches: Batch[], out: Finding[], events?: Store): Promise<void> {
  await d.restore?.();
  if (events) await replayStored(events, [d]);
  let watermark = Number.NEGATIVE_INFINITY;
  for (const batch of batches) {
    for (const e of batch.events) out.push(...d.observe(e));
    watermark = batch.watermark;
    await d.settle?.({ watermark });
    out.push(...d.flush({ final: false, watermark }));
    await d.persist?.();
    if (events) await events.commitBatch({ source: 'test', events: batch.events });
  }
  await d.settle?.({ watermark });
  out.push(...d.flush({ final: true, watermark }));
  await d.persist?.();
}

/** Findings of a run restarted before batch `split` (two detector instances sharing the store). */
export async function splitRun(make: (store: Store) => Detector, store: Store, batches: Batch[], split: number): Promise<Finding[]> {
  const out: Finding[] = [];
  await lifetime(make(store), batches.slice(0, split), out, store);
  await lifetime(make(store), batches.slice(split), out, store);
  return out;
}

/** Every key the detector saved under `prefix`, with its JSON size (from the manifest of a WindowLog). */
export async function savedWindows(store: Store, prefix: string): Promise<{ manifest: unknown; segments: Map<number, unknown>; bytes: number }> {
  const manifest = (await store.getState(`${prefix}#windows`)) as { segs?: Array<[number, number]> } | undefined;
  const segments = new Map<number, unknown>();
  let bytes = manifest === undefined ? 0 : JSON.stringify(manifest).length;
  for (const [id] of manifest?.segs ?? []) {
    const v = await store.getState(`${prefix}#windows:${id}`);
    segments.set(id, v);
    bytes += JSON.stringify(v).length;
  }
  return { manifest, segments, bytes };
}

/**
 * What a detector folder provides in `fixtures/contract.ts` (export `contractFixture`) so the shared
 * contract suite (test/contracts/detector.contract.test.ts) can run it with no test code of its own.
 */
export interface DetectorContractFixture {
  /** The detector's config section as written in saaswatch.yml (without `type`/`name`); parsed by its configSchema. */
  config: Record<string, unknown>;
  /** Realistic events at fixed instants, in the order a source delivers them, that make the detector fire. */
  events: SecurityEvent[];
  /** Events per pipeline batch; the suite restarts at every boundary, so keep it to a few dozen batches. */
  batchSize: number;
  /** What relative paths in the config resolve against (PluginDeps.baseDir). */
  baseDir?: string;
  /** Kinds of finding the events must raise (label: test on a finding), so the checks exercise what matters. */
  covers?: Record<string, (f: Finding) => boolean>;
}
