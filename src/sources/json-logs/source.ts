/** The json-logs source plugin: any JSON, JSON-lines or CSV log file (or stdin) as batches of normalized events. */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DeadLetterInput, PluginDeps, SecurityEvent, Source, SourceBatch, SourceContext, SourcePlugin } from '../../core/index.js';
import { jsonLogsConfigSchema, type JsonLogsConfig } from './config.js';
import { DuplicateCompressor, dedupeKey } from './dedupe.js';
import { guarded, openInput, type JsonLogsInput } from './input.js';
import { createNormalizer, eventIdFor } from './normalize.js';
import { payloadOf, readRecords } from './reader.js';

export { jsonLogsConfigSchema, type JsonLogsConfig, type JsonLogsConfigInput } from './config.js';

export const TYPE = 'json-logs';

export type { JsonLogsInput } from './input.js';

export interface JsonLogsSourceOptions {
  logger?: Logger;
  /** Clock (epoch ms) for event.ingested, the future-timestamp check and syslog years; tests pin it. */
  now?: () => number;
}

/**
 * Records up to this size keep their events within the pipeline's size bound (pipeline/admit.ts,
 * MAX_EVENT_CHARS) with room for the normalized fields; larger ones are checked there.
 */
const VETTED_MAX_RECORD_BYTES = 8 << 20;

class JsonLogsSource implements Source {
  readonly type = TYPE;
  readonly #streamUsed = { value: false };

  constructor(
    readonly name: string,
    private readonly config: JsonLogsConfig,
    private readonly input: JsonLogsInput | undefined,
    private readonly opts: JsonLogsSourceOptions,
  ) {}

  async *batches(ctx: SourceContext): AsyncGenerator<SourceBatch> {
    const { config, name } = this;
    const now = this.opts.now ?? Date.now;
    const input = await openInput(name, config, this.input, this.#streamUsed);
    const normalize = createNormalizer(name, config, { now });
    const dedupe = config.dedupe
      ? new DuplicateCompressor(config.dedupe.window, config.dedupe.max_groups, (first) => {
          first.event.id = eventIdFor(name, first.raw);
        })
      : undefined;
    const batchSize = config.batch_size;
    let events: SecurityEvent[] = [];
    // Where each event was read (SourceBatch.positions); not kept with duplicate compression, whose event stands for many lines.
    let lines: number[] = [];
    let offsets: number[] = [];
    let deadLetters: DeadLetterInput[] = [];
    // Whether every event of the batch so far came from clean, bounded JSON text (SourceBatch.vetted).
    // Not with duplicate compression, whose events spill across batches.
    const canVet = config.format !== 'csv' && dedupe === undefined && config.max_record_bytes <= VETTED_MAX_RECORD_BYTES;
    let vetted = canVet;
    let done = 0;
    let yielded = false;
    const stats = { events: 0, deadLetters: 0 };
    // With a declared lateness, what the source promises as it reads (see SourceBatch.watermark):
    // records held back by duplicate compression are as old as its window.
    let newest = Number.NEGATIVE_INFINITY;
    const behind = config.lateness === undefined ? undefined : config.lateness + (config.dedupe?.window ?? 0);

    const take = (): SourceBatch => {
      // The reader's dead letters come before the normalizer's for the same chunk; input order reads better.
      if (deadLetters.length > 1) deadLetters.sort((a, b) => (a.position?.line ?? 0) - (b.position?.line ?? 0));
      const batch: SourceBatch = {
        events,
        ...(dedupe === undefined ? { positions: { file: input.label, line: lines, offset: offsets } } : {}),
        deadLetters,
        progress: { done, total: input.total, unit: 'bytes' },
        ...(vetted && events.length > 0 ? { vetted: true } : {}),
        ...(behind !== undefined && newest !== Number.NEGATIVE_INFINITY ? { watermark: newest - behind } : {}),
      };
      stats.events += events.length;
      stats.deadLetters += deadLetters.length;
      events = [];
      lines = [];
      offsets = [];
      deadLetters = [];
      vetted = canVet;
      yielded = true;
      return batch;
    };

    try {
      const chunks = readRecords(guarded(input.chunks, input.label), {
        source: name,
        file: input.label,
        format: config.format,
        maxRecordBytes: config.max_record_bytes,
        maxRecordDepth: config.max_record_depth,
      });
      for await (const chunk of chunks) {
        if (ctx.signal.aborted) return;
        done = input.bytesRead ? input.bytesRead() : chunk.bytesDone;
        const ingested = new Date(now()).toISOString();
        for (const dl of chunk.deadLetters) {
          deadLetters.push(dl);
          if (events.length + deadLetters.length >= batchSize) yield take();
        }
        for (const rec of chunk.records) {
          const r = normalize(rec.data, ingested, dedupe === undefined);
          if (!rec.clean) vetted = false;
          if (r.ok) {
            if (r.ms > newest) newest = r.ms;
            if (dedupe) dedupe.add(r.event, dedupeKey(rec.data, r.timestampField), r.ms, events);
            else {
              events.push(r.event);
              lines.push(rec.line);
              offsets.push(rec.offset);
            }
          } else {
            deadLetters.push({
              source: name,
              code: r.code,
              reason: `line ${rec.line} of ${input.label}: ${r.reason}`,
              payload: payloadOf(JSON.stringify(rec.data)),
              position: { file: input.label, line: rec.line, offset: rec.offset },
            });
          }
          // Duplicate compression can release several events at once, hence the loop.
          while (events.length + deadLetters.length >= batchSize) {
            const spill = events.length > batchSize ? events.splice(batchSize) : [];
            const spilledLines = lines.length > batchSize ? lines.splice(batchSize) : [];
            const spilledOffsets = offsets.length > batchSize ? offsets.splice(batchSize) : [];
            yield take();
            events = spill;
            lines = spilledLines;
            offsets = spilledOffsets;
          }
        }
      }
      if (input.total !== undefined) done = input.total;
      if (dedupe) {
        const rest: SecurityEvent[] = [];
        dedupe.flush(rest);
        for (const e of rest) {
          events.push(e);
          if (events.length + deadLetters.length >= batchSize) yield take();
        }
      }
      // Read to the end: a promise of lateness gives way to "nothing more", as a file that never promised.
      if (behind !== undefined) newest = Number.POSITIVE_INFINITY;
      if (events.length > 0 || deadLetters.length > 0 || !yielded || behind !== undefined) yield take();
      this.opts.logger?.debug({ input: input.label, bytes: done, ...stats }, 'Input read.');
    } finally {
      input.close();
    }
  }
}

/**
 * A json-logs source. `input` overrides config.path: `saaswatch ingest FILE` passes `{ path }`,
 * `saaswatch ingest -` passes `{ stream: process.stdin, label: 'stdin' }` (a stream is read once).
 */
export function createJsonLogsSource(name: string, config: JsonLogsConfig, input?: JsonLogsInput, options: JsonLogsSourceOptions = {}): Source {
  return new JsonLogsSource(name, config, input, options);
}

export const jsonLogsPlugin: SourcePlugin<JsonLogsConfig> = {
  type: TYPE,
  description: 'Generic log files: JSON arrays, JSON lines or CSV, with a configurable field mapping',
  configSchema: jsonLogsConfigSchema,
  create(name: string, config: JsonLogsConfig, deps: PluginDeps): Source {
    // A path in the config file means "next to the config file", wherever saaswatch is started.
    const input = config.path && deps.baseDir ? { path: resolve(deps.baseDir, config.path) } : undefined;
    return createJsonLogsSource(name, config, input, { logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) });
  },
};
