/** Scans files the sources point at: a bounded queue that fetches, extracts and analyzes each file once per content hash, stores its classification and returns the `file_classified` event. */
import { createHash, createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import { SaaswatchError, errors } from '../core/errors.js';
import type { SecurityEvent } from '../core/event.js';
import { eventId } from '../core/hash.js';
import type { FileClassification } from '../core/pii.js';
import type { DeadLetterInput } from '../core/source.js';
import type { Inventory } from '../core/store.js';
import { createAnalyzer } from './analyzer.js';
import { extractText, isUnsupportedFormat, type ExtractMeta, type Extracted } from './extract/index.js';
import type { ExtractLimits } from './extract/limits.js';
import { classify, summarize } from './sensitivity.js';
import { piiSettingsSchema, type PiiSettings } from './settings.js';
import type { Analyzer } from './types.js';

/** One file to scan, as a source knows it; `fetch` reads its bytes (a download or an export) only when a scan is needed. */
export interface ScanJob {
  /** The inventory key, `<provider>:<file id>` (e.g. `google-drive:1Bx…`, `dropbox:id:a4ay…`). */
  key: string;
  /** The event provider (`google-workspace`, `dropbox`): the event's provider and dataset `<provider>.pii`. */
  provider: string;
  fileId: string;
  name?: string;
  mimeType?: string;
  /** Bytes, when the vendor says: a file over max_file_bytes is refused before any download. */
  size?: number;
  /** The vendor's content hash, `<algo>:<hex>` (Drive `sha256:`/`md5:`, Dropbox `dropbox:`); absent: ours is computed from the bytes. */
  contentHash?: string;
  visibility?: string;
  owner?: string;
  /** Source instance name, for dead letters. */
  source?: string;
  /** `maxBytes` (pii.max_file_bytes): a fetch should stop reading past it and throw INPUT_TOO_LARGE rather than buffer it all. */
  fetch(signal: AbortSignal, maxBytes?: number): Promise<Uint8Array>;
}

/**
 * What became of a job. `cached`: the file's stored scan has this content hash; `reused`: another
 * file with the same hash was scanned, its result copied; `unreadable`: dead-lettered (and stored
 * as an error so unchanged content is not fetched again); `failed`: a download or time failure,
 * nothing stored, the next change or inventory retries; `refused`: the queue was full.
 */
export type ScanStatus = 'classified' | 'cached' | 'reused' | 'unreadable' | 'failed' | 'refused' | 'closed';

export interface ScanOutcome {
  key: string;
  status: ScanStatus;
  classification?: FileClassification;
  /** The `file_classified` event for the source to emit (classified and reused only). */
  event?: SecurityEvent;
  deadLetter?: DeadLetterInput;
}

export interface ScannerStats {
  queued: number;
  running: number;
  classified: number;
  cached: number;
  reused: number;
  unreadable: number;
  failed: number;
  /** Jobs refused because the queue was full: they are not lost for good, the next change or inventory submits them again. */
  refused: number;
  /** Bytes fetched and analyzed. */
  bytes: number;
}

export type ExtractFn = (data: Uint8Array, meta: ExtractMeta, limits?: Partial<ExtractLimits>, signal?: AbortSignal) => Promise<Extracted>;

export interface FileScannerOptions {
  inventory: Pick<Inventory, 'getFile' | 'setClassification' | 'findClassification'>;
  /** The root `pii:` section, parsed (defaults when absent). */
  settings?: PiiSettings;
  /** Default: createAnalyzer(settings.analyzer). */
  analyzer?: Analyzer;
  /** Default: extractText (src/pii/extract). */
  extract?: ExtractFn;
  logger?: Logger | undefined;
  now?: Clock;
}

interface Pending {
  job: ScanJob;
  resolve: (o: ScanOutcome) => void;
}

/** Codes of failures that say something about the content itself (not the network): stored, so unchanged content is not fetched again. */
const CONTENT_ERRORS = new Set(['FILE_UNREADABLE', 'INPUT_TOO_LARGE']);

/**
 * A bounded scanner. Up to `concurrency` files are scanned at once and `queue_size` wait; when the
 * queue is full a new job is refused (counted in stats.refused) rather than dropping an older one,
 * because the older one is as likely to be the sensitive file and a refused job is submitted again
 * by the next change or inventory pass. A job for a key already waiting replaces it (the newer
 * state wins) and shares its outcome.
 */
export class FileScanner {
  readonly stats: ScannerStats = { queued: 0, running: 0, classified: 0, cached: 0, reused: 0, unreadable: 0, failed: 0, refused: 0, bytes: 0 };
  readonly #settings: PiiSettings;
  readonly #inventory: FileScannerOptions['inventory'];
  readonly #analyzer: Analyzer;
  readonly #extract: ExtractFn;
  readonly #logger: Logger | undefined;
  readonly #now: Clock;
  readonly #queue: Pending[] = [];
  readonly #waiting = new Map<string, { pending: Pending; promise: Promise<ScanOutcome> }>();
  readonly #closing = new AbortController();
  readonly #idle = new Set<() => void>();

  constructor(opts: FileScannerOptions) {
    this.#settings = opts.settings ?? piiSettingsSchema.parse({});
    this.#inventory = opts.inventory;
    this.#analyzer = opts.analyzer ?? createAnalyzer(this.#settings.analyzer);
    this.#extract = opts.extract ?? extractText;
    this.#logger = opts.logger;
    this.#now = opts.now ?? systemClock;
  }

  /** True when `c` (a file's stored scan) was made of the content `job` names by its vendor hash: no scan needed. */
  isCurrent(job: Pick<ScanJob, 'contentHash'>, c: FileClassification | undefined): boolean {
    return job.contentHash !== undefined && c !== undefined && c.contentHash === this.#hashKey(job.contentHash);
  }

  /** Queues a job; resolves when it is done (never rejects). */
  submit(job: ScanJob): Promise<ScanOutcome> {
    if (this.#closing.signal.aborted) return Promise.resolve({ key: job.key, status: 'closed' });
    const same = this.#waiting.get(job.key);
    if (same) {
      same.pending.job = job;
      return same.promise;
    }
    if (this.#queue.length >= this.#settings.queue_size) {
      this.stats.refused++;
      this.#logger?.warn({ key: job.key, queue_size: this.#settings.queue_size }, 'PII scan queue is full; the file will be scanned at its next change or inventory.');
      return Promise.resolve({ key: job.key, status: 'refused' });
    }
    let resolve!: (o: ScanOutcome) => void;
    const promise = new Promise<ScanOutcome>((r) => (resolve = r));
    const pending: Pending = { job, resolve };
    this.#queue.push(pending);
    this.#waiting.set(job.key, { pending, promise });
    this.stats.queued = this.#queue.length;
    this.#pump();
    return promise;
  }

  /** Submits every job and waits for all: the events to emit and the dead letters, in job order. */
  async scanAll(jobs: readonly ScanJob[]): Promise<{ events: SecurityEvent[]; deadLetters: DeadLetterInput[]; outcomes: ScanOutcome[] }> {
    const outcomes = await Promise.all(jobs.map((j) => this.submit(j)));
    const seen = new Set<string>();
    const events: SecurityEvent[] = [];
    for (const o of outcomes) {
      if (o.event && !seen.has(o.event.event.id)) {
        seen.add(o.event.event.id);
        events.push(o.event);
      }
    }
    return { events, deadLetters: outcomes.flatMap((o) => (o.deadLetter ? [o.deadLetter] : [])), outcomes };
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.stats.running === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.add(r));
  }

  /** Aborts running scans and answers queued jobs `closed`. */
  close(): void {
    this.#closing.abort();
    for (const p of this.#queue.splice(0)) {
      this.#waiting.delete(p.job.key);
      p.resolve({ key: p.job.key, status: 'closed' });
    }
    this.stats.queued = 0;
  }

  #pump(): void {
    while (this.stats.running < this.#settings.concurrency && this.#queue.length > 0) {
      const p = this.#queue.shift()!;
      this.#waiting.delete(p.job.key);
      this.stats.queued = this.#queue.length;
      this.stats.running++;
      void this.#run(p.job)
        .catch((err: unknown): ScanOutcome => {
          // #run answers every expected failure itself; this is a bug or a store outage.
          this.stats.failed++;
          this.#logger?.warn({ err, key: p.job.key }, 'PII scan failed.');
          return { key: p.job.key, status: 'failed' };
        })
        .then((o) => {
          this.stats.running--;
          p.resolve(o);
          this.#pump();
          if (this.#queue.length === 0 && this.stats.running === 0) {
            for (const r of this.#idle) r();
            this.#idle.clear();
          }
        });
    }
  }

  /** The hash stored and compared: keyed (HMAC) when `pii.key` is set, so a stored hash of a tiny file cannot be reversed by guessing its content. */
  #hashKey(hash: string): string {
    const key = this.#settings.key;
    return key ? `hmac-sha256:${createHmac('sha256', key.reveal()).update(hash).digest('hex')}` : hash;
  }

  async #cached(job: ScanJob, hash: string): Promise<ScanOutcome | undefined> {
    const stored = (await this.#inventory.getFile(job.key))?.classification;
    if (stored?.contentHash === hash) {
      this.stats.cached++;
      return { key: job.key, status: 'cached', classification: stored };
    }
    const other = await this.#inventory.findClassification(hash);
    if (other && !other.error) {
      const c: FileClassification = { ...other, scannedAt: new Date(this.#now()).toISOString() };
      await this.#store(job, c);
      this.stats.reused++;
      return { key: job.key, status: 'reused', classification: c, event: await this.#event(job, c) };
    }
    return undefined;
  }

  async #run(job: ScanJob): Promise<ScanOutcome> {
    const max = this.#settings.max_file_bytes;
    const vendorHash = job.contentHash ? this.#hashKey(job.contentHash) : undefined;
    if (vendorHash) {
      const hit = await this.#cached(job, vendorHash);
      if (hit) return hit;
    }
    if (job.size !== undefined && job.size > max) {
      return this.#unreadable(job, vendorHash, errors.inputTooLarge({ where: job.name ?? job.key, size: `${job.size} bytes`, limit: `${max} bytes (pii.max_file_bytes)` }));
    }
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#settings.timeout)]);
    let data: Uint8Array;
    try {
      data = await job.fetch(signal, max);
    } catch (err) {
      // What the vendor or the read cap says about the content itself (too large, not downloadable) is stored.
      if (!signal.aborted && err instanceof SaaswatchError && CONTENT_ERRORS.has(err.code)) return this.#unreadable(job, vendorHash, err);
      return this.#failed(job, err, 'download');
    }
    if (data.length > max) {
      return this.#unreadable(job, vendorHash, errors.inputTooLarge({ where: job.name ?? job.key, size: `${data.length} bytes`, limit: `${max} bytes (pii.max_file_bytes)` }));
    }
    this.stats.bytes += data.length;
    const hash = vendorHash ?? this.#hashKey(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    if (!vendorHash) {
      const hit = await this.#cached(job, hash);
      if (hit) return hit;
    }
    let extracted: Extracted;
    const started = performance.now();
    // An empty file holds nothing to find; no format reads it (an empty .xlsx is no zip), and it is not corrupt.
    if (data.length === 0) {
      extracted = { text: '', format: 'txt', truncated: false };
    } else {
      try {
        extracted = await this.#extract(data, { ...(job.name ? { name: job.name } : {}), ...(job.mimeType ? { mimeType: job.mimeType } : {}) }, this.#settings.limits, signal);
      } catch (err) {
        // A cancelled or timed-out extraction says nothing about the content: storing it as unreadable
        // would mark the file clean for good (isCurrent() never queues unchanged content again).
        const transient = this.#transient(job, err, signal, performance.now() - started);
        if (transient) return this.#failed(job, transient, 'extract');
        if (err instanceof SaaswatchError && CONTENT_ERRORS.has(err.code)) return this.#unreadable(job, hash, err, !isUnsupportedFormat(err));
        return this.#failed(job, err, 'extract');
      }
    }
    if (signal.aborted) return this.#failed(job, this.#transient(job, signal.reason, signal, performance.now() - started), 'extract');
    const minScore = this.#settings.min_score;
    const findings = this.#analyzer.analyze(extracted.text, { minScore });
    const entities = summarize(extracted.text, findings, { samples: 3, minScore });
    const c: FileClassification = {
      sensitivity: classify(entities),
      entities,
      contentHash: hash,
      scannedAt: new Date(this.#now()).toISOString(),
      ...(extracted.truncated ? { truncated: true } : {}),
    };
    await this.#store(job, c);
    this.stats.classified++;
    // Counts and level only: the masked samples stay in the store and the event's raw.
    this.#logger?.info({ key: job.key, sensitivity: c.sensitivity, counts: entities.counts, bytes: data.length, format: extracted.format }, 'File classified.');
    return { key: job.key, status: 'classified', classification: c, event: await this.#event(job, c) };
  }

  /**
   * The error to log when an extraction failed for want of time rather than for its content: the
   * scanner was closed, `pii.timeout` fired, or the extractor's own deadline (`pii.limits.timeout`)
   * passed, which extractors report as unreadable; undefined for a content error.
   */
  #transient(job: ScanJob, err: unknown, signal: AbortSignal, elapsedMs: number): SaaswatchError | undefined {
    const target = `PII scan of ${job.name ?? job.key}`;
    if (this.#closing.signal.aborted) return errors.timeout({ target, details: { cancelled: true, transient: true } });
    if (signal.aborted) return errors.timeout({ target, afterMs: this.#settings.timeout, details: { transient: true } });
    if (err instanceof SaaswatchError && (err.code === 'TIMEOUT' || err.details?.['transient'] === true || err.details?.['timeout'] === true)) return err;
    if (elapsedMs >= this.#settings.limits.timeout) return errors.timeout({ target, afterMs: Math.round(elapsedMs), details: { transient: true, limit: 'pii.limits.timeout' } });
    return undefined;
  }

  #store(job: ScanJob, c: FileClassification): Promise<void> {
    return this.#inventory.setClassification(
      {
        key: job.key,
        provider: job.provider,
        fileId: job.fileId,
        ...(job.name !== undefined ? { name: job.name } : {}),
        ...(job.owner !== undefined ? { owner: job.owner } : {}),
        ...(job.visibility !== undefined ? { visibility: job.visibility } : {}),
      },
      c,
    );
  }

  #failed(job: ScanJob, err: unknown, step: string): ScanOutcome {
    this.stats.failed++;
    this.#logger?.warn({ err, key: job.key, step }, 'Could not scan a file; it is retried at its next change or inventory.');
    return { key: job.key, status: 'failed' };
  }

  /**
   * Stores the error, so unchanged content is not fetched again, and dead-letters the file with the
   * reason (never its content) unless it is only of a format saaswatch does not read (an image, a
   * zip): a Drive of photos must not fill the dead letters.
   */
  async #unreadable(job: ScanJob, hash: string | undefined, err: SaaswatchError, deadLetter = true): Promise<ScanOutcome> {
    this.stats.unreadable++;
    const c: FileClassification = {
      sensitivity: 'none',
      entities: { counts: {}, samples: {} },
      contentHash: hash ?? `unread:${job.size ?? 0}`,
      scannedAt: new Date(this.#now()).toISOString(),
      error: { code: err.code, message: err.message },
    };
    await this.#store(job, c);
    this.#logger?.warn({ err, key: job.key }, 'File could not be read for a PII scan; dead-lettered.');
    const payload = JSON.stringify({ key: job.key, name: job.name, mimeType: job.mimeType, size: job.size, contentHash: c.contentHash });
    return {
      key: job.key,
      status: 'unreadable',
      classification: c,
      ...(deadLetter ? { deadLetter: { source: job.source ?? job.provider, reason: err.message, code: err.code, payload } } : {}),
    };
  }

  async #event(job: ScanJob, c: FileClassification): Promise<SecurityEvent> {
    const visibility = job.visibility ?? (await this.#inventory.getFile(job.key))?.visibility;
    return classifiedEvent(job, c, visibility);
  }
}

/**
 * The `file_classified` event: counts and level on `file`, the masked classification as `raw`.
 * Its id is a function of the file key, the content hash and the scan time: a re-emit of the same
 * scan (after a restart) is the same event and the pipeline drops it, but a later scan of content
 * the file held before (a revert, a restore) is a new event, or the pipeline would drop it as a
 * duplicate and the detector keep the level of the content in between.
 */
export function classifiedEvent(job: Pick<ScanJob, 'key' | 'provider' | 'fileId' | 'name' | 'owner' | 'mimeType' | 'size'>, c: FileClassification, visibility?: string): SecurityEvent {
  const file: NonNullable<SecurityEvent['file']> = { id: job.fileId, sensitivity: c.sensitivity, pii: { ...c.entities.counts } };
  if (job.name !== undefined) file.name = job.name;
  if (job.owner !== undefined) file.owner = job.owner;
  if (job.mimeType !== undefined) file.mime_type = job.mimeType;
  if (job.size !== undefined) file.size = job.size;
  return {
    '@timestamp': c.scannedAt,
    event: {
      id: eventId(job.provider, { file_classified: job.key, contentHash: c.contentHash, scannedAt: c.scannedAt }),
      kind: 'event',
      category: ['file'],
      action: 'file_classified',
      outcome: 'success',
      provider: job.provider,
      dataset: `${job.provider}.pii`,
      ingested: c.scannedAt,
    },
    file,
    ...(visibility !== undefined ? { share: { visibility } } : {}),
    ...(job.owner !== undefined ? { related: { user: [job.owner] } } : {}),
    raw: c,
  };
}

/** A scanner over `inventory` with the `pii:` settings, or undefined when scanning is off. */
export function createFileScanner(settings: PiiSettings, opts: Omit<FileScannerOptions, 'settings'>): FileScanner | undefined {
  return settings.enabled ? new FileScanner({ ...opts, settings }) : undefined;
}
