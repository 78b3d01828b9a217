/** The batch loop: source → enrich → detect → store (events, cursor, alerts, outbox) with backpressure. */
import type { Logger } from 'pino';
import type { Alert, AlertRoute, CommitBatch, CommitResult, DeadLetterInput, Detector, EventLog, Finding, SecurityEvent, Source, SourceBatch } from '../core/index.js';
import { errorMessage, eventTime, positionAt, SaaswatchError, systemClock, type Clock, type EventKey } from '../core/index.js';
import { admitEvent, admitTime, preview, type Refusal } from './admit.js';
import { findingsToAlerts } from './alerts.js';
import { RecentSet } from './seen.js';
import type { StagedState } from './staged-state.js';
import { Watermarks } from './watermarks.js';

/** Adds context to an event in place (GeoIP, user agent, identity); must be synchronous and fast. */
export type Enricher = (event: SecurityEvent) => void;

export interface IngestStats {
  batches: number;
  events: number;
  inserted: number;
  duplicates: number;
  deadLetters: number;
  findings: number;
  alertsCreated: number;
  alertsUpdated: number;
  durationMs: number;
}

export interface PipelineOptions {
  store: EventLog;
  detectors: Detector[];
  /**
   * The sinks each alert gets an outbox delivery for (see routing.ts; mutes wrap it). Asked inside
   * the commit for each new alert and each grown one. Absent: no deliveries.
   */
  route?: AlertRoute;
  /** Every alert to these sinks, for tools and tests without routes; `route` wins when both are given. */
  sinkNames?: readonly string[];
  /** alerting.group_window in ms: alerts on one entity this close in time form one notification group; 0 or absent: none. */
  groupWindowMs?: number;
  /** Sinks that take `update` deliveries (SaveAlertsOptions.updates); absent: every sink. */
  updateSinks?: ReadonlySet<string>;
  logger: Logger;
  enrichers?: Enricher[];
  /**
   * How many recent event ids to remember so a repeat inside a batch, or a re-read just behind it,
   * skips the store lookup (older repeats are found in the store). Memory is two generations of it.
   */
  recentIds?: number;
  /** The state store the detectors were given, when it is staged: its writes commit with each batch. */
  state?: StagedState;
  /** Stamps alerts' createdAt (default the system clock). */
  now?: Clock;
  /** Told of each alert once it is stored (the responder queues its policies' actions). */
  onAlerts?: (created: Alert[]) => void;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Called after each committed batch with that source's running totals. */
  onBatch?: (batch: SourceBatch, stats: IngestStats) => void;
}

/** Stored events read per query when handing detectors back what they held at the last save. */
const REPLAY_PAGE = 5_000;

/**
 * Hands each detector back the stored events it held unjudged at its last save (see
 * Detector.resumeFrom), reading the store in (time, id) order a page at a time.
 */
export async function replayStored(store: Pick<EventLog, 'queryEvents'>, detectors: readonly Detector[]): Promise<number> {
  const from = new Map<Detector, number>();
  for (const d of detectors) {
    const t = d.resumeFrom?.();
    if (t !== undefined && d.replay) from.set(d, t);
  }
  if (from.size === 0) return 0;
  const lo = Math.min(...from.values());
  let after: { time: number; id: string } | undefined;
  let replayed = 0;
  for (;;) {
    const page = await store.queryEvents({ ...(Number.isFinite(lo) ? { from: lo } : {}), ...(after ? { after } : {}), limit: REPLAY_PAGE });
    for (const e of page) {
      const t = eventTime(e);
      for (const [d, since] of from) if (t >= since) d.replay!(e);
    }
    replayed += page.length;
    const last = page.at(-1);
    if (page.length < REPLAY_PAGE || !last) return replayed;
    after = { time: eventTime(last), id: last.event.id };
  }
}

/** How far a source's promise may lag the newest event before the pipeline says which one holds detection back. */
const LAG_NOTE_MS = 24 * 3_600_000;

/** State key of the newest event time the pipeline has seen (see Watermarks). */
const NEWEST_KEY = 'pipeline#newest';

export function emptyStats(): IngestStats {
  return { batches: 0, events: 0, inserted: 0, duplicates: 0, deadLetters: 0, findings: 0, alertsCreated: 0, alertsUpdated: 0, durationMs: 0 };
}

export class Pipeline {
  readonly #opts: PipelineOptions;
  readonly #seen: RecentSet;
  readonly #watermarks = new Watermarks();
  #savedNewest = Number.NEGATIVE_INFINITY;
  readonly #now: Clock;
  #tail: Promise<unknown> = Promise.resolve();
  /**
   * The last batch's commit while it runs (on SQLite, on the writer thread): run() pulls and parses
   * the next batch meanwhile, and waits for it before reading the store or committing again.
   */
  #committing: Promise<void> = Promise.resolve();
  /** Why the last commit failed, until someone waits for it. */
  #commitFailed: { err: unknown } | undefined;

  constructor(opts: PipelineOptions) {
    this.#opts = opts;
    this.#seen = new RecentSet(opts.recentIds ?? 50_000);
    this.#now = opts.now ?? systemClock;
  }

  /** Runs one source to its end (or until the signal aborts); see run(). */
  ingest(source: Source, opts: RunOptions = {}): Promise<IngestStats> {
    return this.run([source], opts);
  }

  /**
   * Runs sources side by side until each ends (files) or the signal aborts (pollers), then flushes
   * the detectors once: a final flush while another source still feeds them would close their
   * windows early. Each batch is committed before the next is pulled, which is the backpressure:
   * a slow store slows the reader, never the heap.
   */
  async run(sources: Source[], opts: RunOptions = {}): Promise<IngestStats> {
    const started = performance.now();
    await this.#restore();
    const signal = opts.signal ?? new AbortController().signal;
    this.#soleSource = sources.length === 1 ? sources[0]!.name : undefined;
    const totals = emptyStats();
    for (const source of sources) this.#watermarks.start(source.name);
    const results = await Promise.all(
      sources.map(async (source) => {
        const stats = emptyStats();
        const cursor = await this.#opts.store.getCursor(source.name);
        try {
          for await (const batch of source.batches({ cursor, signal })) {
            // The commit is left running: the source reads its next batch while it does.
            await this.#exclusive(() => this.#processBatch(source.name, batch, stats));
            opts.onBatch?.(batch, stats);
            if (signal.aborted) break;
          }
        } catch (err) {
          // What the source delivered before it failed is committed, as if it had ended there.
          await this.#exclusive(() => this.#committed()).catch((commitErr: unknown) => {
            this.#opts.logger.error({ source: source.name, err: commitErr }, 'The last batch before the source failed was not committed.');
          });
          throw err;
        }
        await this.#exclusive(() => this.#committed());
        // Stopped is not finished: a stopped source may still deliver what it has not read.
        if (!signal.aborted) this.#watermarks.end(source.name);
        this.#opts.logger.debug({ source: source.name, type: source.type, ...stats }, 'Source finished.');
        return stats;
      }),
    );
    for (const stats of results) for (const k of Object.keys(totals) as Array<keyof IngestStats>) totals[k] += stats[k];
    await this.#exclusive(async () => {
      await this.#committed();
      const findings = await this.#detectorsDone(true);
      totals.findings += findings.length;
      this.#attribute(findings);
      const result = await this.#commit({ source: 'detectors', events: [], alerts: findingsToAlerts(findings, new Date(this.#now())), ...this.#routing() });
      if (result.alerts) await this.#recordAlerts(result.alerts, totals);
    });
    totals.durationMs = performance.now() - started;
    return totals;
  }

  #restored = false;
  /** The one source run() feeds, when it feeds one: what a finding without a known source came from. */
  #soleSource: string | undefined;
  /** Sources already reported as holding windowed detection back, so each is said once per run. */
  readonly #lagging = new Set<string>();

  /**
   * Windowed detection waits for the slowest source's promise: one that lags a day behind the
   * newest event (a source that keeps failing, a long backfill beside live ones) holds every alert
   * of those detectors back, and whoever runs saaswatch should know which.
   */
  #noteLag(): void {
    const lag = this.#watermarks.laggard();
    if (!lag || lag.behindMs < LAG_NOTE_MS || this.#lagging.has(lag.source)) return;
    this.#lagging.add(lag.source);
    this.#opts.logger.info({ source: lag.source, behindHours: Math.round(lag.behindMs / 3_600_000) }, 'Windowed detection waits for this source to catch up.');
  }

  async #restore(): Promise<void> {
    if (this.#restored) return;
    this.#restored = true;
    for (const d of this.#opts.detectors) await d.restore?.();
    await replayStored(this.#opts.store, this.#opts.detectors);
    const newest = await this.#opts.state?.getState(NEWEST_KEY);
    if (typeof newest === 'number' && Number.isFinite(newest)) {
      this.#watermarks.seen(newest);
      this.#savedNewest = newest;
    }
  }

  async #each(step: 'settle' | 'persist', fn: (d: Detector) => Promise<void> | undefined): Promise<void> {
    for (const d of this.#opts.detectors) {
      try {
        await fn(d);
      } catch (err) {
        // State is an optimisation of detection, not a record: losing one load or save must not stop ingestion.
        this.#opts.logger.warn({ detector: d.id, step, err }, step === 'persist' ? 'Detector state not saved.' : 'Detector state not loaded.');
      }
    }
  }

  /**
   * Enriches, detects and commits one batch; exposed for pollers and webhooks that push batches.
   * Batches run one at a time: sources side by side would otherwise interleave at the awaits, and
   * one batch's commit would carry state that counted another's uncommitted events.
   */
  processBatch(sourceName: string, batch: SourceBatch, stats: IngestStats = emptyStats()): Promise<IngestStats> {
    // A pushed batch is acknowledged to its sender only once it is committed.
    return this.#exclusive(async () => {
      await this.#processBatch(sourceName, batch, stats);
      await this.#committed();
      return stats;
    });
  }

  /** Waits for the commit still running, if any; throws what made it fail. */
  async #committed(): Promise<void> {
    await this.#committing;
    const failed = this.#commitFailed;
    this.#commitFailed = undefined;
    if (failed) throw failed.err;
  }

  /**
   * Adds the dead letter of events[i], named by where the source read it when it says
   * (SourceBatch.positions), else by its event id; the payload is a bounded preview of its raw record.
   */
  #refuse(sourceName: string, batch: SourceBatch, i: number, refusal: Refusal, into: DeadLetterInput[]): void {
    const event = batch.events[i]!;
    const position = positionAt(batch.positions, i);
    const where = position?.line !== undefined ? `line ${position.line}${position.file === undefined ? '' : ` of ${position.file}`}` : `event ${String(event.event?.id)}`;
    into.push({
      source: sourceName,
      code: refusal.code,
      reason: `${where}: ${refusal.reason}; skipped`,
      payload: preview(event.raw),
      ...(position ? { position } : {}),
    });
  }

  /**
   * Per-record isolation, first step: an event that could not be enriched, detected or stored
   * safely (too deep, cyclic, a BigInt, too large, no time, unreadable) becomes a dead letter and
   * the rest of the batch carries on (#enrich is the second step). The batch is copied only when
   * one is refused.
   */
  #admit(sourceName: string, batch: SourceBatch): { batch: SourceBatch; times: Float64Array } {
    let refused: Map<number, Refusal> | undefined;
    const times = new Float64Array(batch.events.length);
    for (let i = 0; i < times.length; i++) {
      const event = batch.events[i]!;
      let refusal: Refusal | undefined;
      try {
        // A vetted batch's text and shape are known sound (SourceBatch.vetted): only its times are checked, below.
        if (!batch.vetted) refusal = admitEvent(event);
        // The time every later step keys on, parsed once here.
        if (refusal === undefined && Number.isNaN((times[i] = eventTime(event)))) refusal = admitTime(event);
      } catch (err) {
        // A getter or proxy in a vendor SDK's object that throws when read.
        refusal = { code: 'INPUT_MALFORMED', reason: `cannot be read: ${errorMessage(err)}` };
      }
      if (refusal !== undefined) (refused ??= new Map()).set(i, refusal);
    }
    if (refused === undefined) return { batch, times };
    return { batch: this.#without(sourceName, batch, refused), times: times.filter((_, i) => !refused.has(i)) };
  }

  /** The batch without the refused events, each of them a dead letter instead. */
  #without(sourceName: string, batch: SourceBatch, refused: ReadonlyMap<number, Refusal>): SourceBatch {
    const deadLetters = [...batch.deadLetters];
    for (const [i, refusal] of refused) this.#refuse(sourceName, batch, i, refusal, deadLetters);
    const keep = (_: unknown, i: number) => !refused.has(i);
    return {
      ...batch,
      events: batch.events.filter(keep),
      deadLetters,
      ...(batch.positions ? { positions: { ...batch.positions, line: batch.positions.line.filter(keep), offset: batch.positions.offset.filter(keep) } } : {}),
    };
  }

  /** Runs the enrichers on one event; one that throws refuses that event only. */
  #enrich(sourceName: string, event: SecurityEvent): Refusal | undefined {
    const { enrichers = [] } = this.#opts;
    try {
      for (const enrich of enrichers) enrich(event);
      return undefined;
    } catch (err) {
      this.#opts.logger.warn({ source: sourceName, eventId: event.event.id, err }, 'Enrichment failed on an event; it becomes a dead letter.');
      return { code: err instanceof SaaswatchError ? err.code : 'INTERNAL', reason: `enrichment failed: ${errorMessage(err)}` };
    }
  }

  async #processBatch(sourceName: string, input: SourceBatch, stats: IngestStats): Promise<IngestStats> {
    const { store } = this.#opts;
    // Checked before enrichment and detection, which recurse into events; enrichers then see clean text.
    const admitted = this.#admit(sourceName, input);
    let batch = admitted.batch;
    const times = admitted.times;
    const findings: Finding[] = [];
    let newest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      if (t > newest) newest = t;
    }
    this.#watermarks.batch(sourceName, batch.watermark, newest);
    this.#noteLag();
    // Where time stands once every source is exhausted: kept with the batch, so a later run that
    // reads nothing new still judges up to the newest event any run has seen.
    if (this.#opts.state && newest > this.#savedNewest) {
      this.#savedNewest = newest;
      await this.#opts.state.putState(NEWEST_KEY, newest);
    }
    // Records stored already (an overlap re-read, a replay after a restart) were counted when they
    // were stored, and the state that counted them was saved with them. The previous batch is
    // committed first, so the store knows its events and any state a detector reads is current.
    await this.#committed();
    // Settled before adding any: this batch's ids may push ones found recent here out of the set.
    const recent = new Uint8Array(times.length);
    const unseen: EventKey[] = [];
    for (let i = 0; i < times.length; i++) {
      const id = batch.events[i]!.event.id;
      if (this.#seen.has(id)) recent[i] = 1;
      else unseen.push({ id, ts: times[i]! });
    }
    const stored = unseen.length ? await store.knownEventIds(unseen) : undefined;
    let fresh = 0;
    let refused: Map<number, Refusal> | undefined;
    for (let i = 0; i < times.length; i++) {
      const event = batch.events[i]!;
      const failed = this.#enrich(sourceName, event);
      if (failed !== undefined) {
        (refused ??= new Map()).set(i, failed);
        continue;
      }
      // add() is false for a repeat inside the batch, whose first copy was just added.
      if (this.#seen.add(event.event.id) && !recent[i] && !stored?.has(event.event.id)) {
        fresh++;
        this.#observe(event, findings);
      }
    }
    if (refused !== undefined) batch = this.#without(sourceName, batch, refused);
    // What observe() reported came from this source's events; what flush() reports may not have.
    // Copies: a detector may keep the findings it returns.
    for (let i = 0; i < findings.length; i++) if (findings[i]!.source === undefined) findings[i] = { ...findings[i]!, source: sourceName };
    const flushed = await this.#detectorsDone(false);
    this.#attribute(flushed, { source: sourceName, events: batch.events });
    findings.push(...flushed);

    // Alerts and detector state commit with the events and cursor behind them: a crash loses or keeps all of it.
    const alerts = findingsToAlerts(findings, new Date(this.#now()));
    const commit = this.#commit({
      source: sourceName,
      events: batch.events,
      deadLetters: batch.deadLetters,
      cursor: batch.cursor,
      alerts,
      ...this.#routing(),
    });
    stats.batches++;
    stats.events += batch.events.length;
    stats.deadLetters += batch.deadLetters.length;
    stats.findings += findings.length;
    // The events detection took as new are the ones the commit will insert, so the stats a caller
    // sees before the commit returns are already right; the store's answer corrects them if not.
    stats.inserted += fresh;
    stats.duplicates += batch.events.length - fresh;
    // Handled here, not left to whoever waits next: a failure between batches is not an unhandled rejection.
    this.#committing = commit
      .then(async (result) => {
        stats.inserted += result.inserted - fresh;
        stats.duplicates += result.duplicates - (batch.events.length - fresh);
        if (result.alerts) await this.#recordAlerts(result.alerts, stats);
      })
      .catch((err: unknown) => {
        this.#commitFailed = { err };
      });
    // A batch that raises alerts is rare and commits on the caller's connection anyway: waiting for
    // it costs nothing, and its alerts are counted and logged before the next batch is read.
    if (alerts.length) await this.#committed();
    return stats;
  }

  /**
   * Settles the detectors to the watermark (what it passes is handed over, and users still loading
   * replay their queued events), flushes them, and saves what changed, so the state committed
   * matches the alerts committed with it.
   */
  async #detectorsDone(final: boolean): Promise<Finding[]> {
    const watermark = this.#watermarks.current();
    await this.#each('settle', (d) => d.settle?.({ watermark }));
    const findings = this.flush(final);
    await this.#each('persist', (d) => d.persist?.());
    return findings;
  }

  /** Commits with the staged detector state; a failed commit puts it back for the next one (a pushed batch is sent again). */
  async #commit(batch: CommitBatch): Promise<CommitResult> {
    const staged = this.#opts.state;
    const state = staged?.take();
    try {
      return await this.#opts.store.commitBatch(state ? { ...batch, state } : batch);
    } catch (err) {
      if (state) staged!.putBack(state);
      throw err;
    }
  }

  #routing(): Pick<CommitBatch, 'route' | 'sinks' | 'groupWindowMs' | 'updates'> {
    const { route, sinkNames, groupWindowMs, updateSinks } = this.#opts;
    return { ...(route ? { route } : sinkNames?.length ? { sinks: sinkNames } : {}), ...(groupWindowMs ? { groupWindowMs } : {}), ...(updateSinks ? { updates: updateSinks } : {}) };
  }

  /**
   * Names the source (connection) of findings whose detector did not: the one whose events in this
   * batch are their evidence, else `only` (the one source running). Looked up only when a finding
   * needs it, so the per-event path pays nothing.
   */
  #attribute(findings: Finding[], batch?: { source: string; events: readonly SecurityEvent[] }): void {
    let ids: Set<string> | undefined;
    for (let i = 0; i < findings.length; i++) {
      const f = findings[i]!;
      if (f.source !== undefined) continue;
      let source = this.#soleSource;
      if (batch && f.evidence.length) {
        ids ??= new Set(batch.events.map((e) => e.event.id));
        if (f.evidence.some((id) => ids!.has(id))) source = batch.source;
      }
      // Copies: a detector may keep the findings it returns.
      if (source !== undefined) findings[i] = { ...f, source };
    }
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #observe(event: SecurityEvent, into: Finding[]): void {
    for (const detector of this.#opts.detectors) {
      try {
        const out = detector.observe(event);
        if (out.length) into.push(...out);
      } catch (err) {
        // One faulty detector must not stop ingestion or the other detectors.
        this.#opts.logger.error({ detector: detector.id, eventId: event.event.id, err }, 'Detector failed on an event.');
      }
    }
  }

  /** Flushes every detector up to the sources' watermark (see Watermarks). */
  flush(final: boolean): Finding[] {
    const out: Finding[] = [];
    const watermark = this.#watermarks.current();
    for (const detector of this.#opts.detectors) {
      try {
        out.push(...detector.flush({ final, watermark }));
      } catch (err) {
        this.#opts.logger.error({ detector: detector.id, err }, 'Detector flush failed.');
      }
    }
    return out;
  }

  async #recordAlerts({ created, updated }: { created: Alert[]; updated: number }, stats: IngestStats): Promise<void> {
    stats.alertsCreated += created.length;
    stats.alertsUpdated += updated;
    for (const a of created) {
      // Debug, not info: sinks carry alerts; a backfill raising hundreds must not flood the log.
      this.#opts.logger.debug({ alert: a.id, rule: a.rule, entity: `${a.entity.type}:${a.entity.value}`, severity: a.severity }, 'Alert raised.');
    }
    if (created.length) this.#opts.onAlerts?.(created);
  }
}
