/** jsonl-file sink: appends each alert as one JSON line, skipping deliveries the file already holds. */
import { chmod, open, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Alert, DeliveryContext, PluginDeps, Sink, SinkPlugin } from '../../core/index.js';
import { SaaswatchError, errorMessage, errors } from '../../core/index.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../storage/files.js';
import { jsonlFileConfigSchema, type JsonlFileConfig } from './config.js';
import { formatJsonlLine, parseDeliveryId } from './format.js';

export { jsonlFileConfigSchema, type JsonlFileConfig } from './config.js';
export { formatJsonlLine, type JsonlAlertLine } from './format.js';

/**
 * How much of the file's end is scanned for delivery ids on start. Redeliveries come from a crash
 * between write and commit, so the repeated line is always among the last ones written.
 */
const DEFAULT_TAIL_BYTES = 4 * 1024 * 1024;
/** Delivery ids remembered in memory; bounded so a long-running process does not grow forever. */
const DEFAULT_REMEMBER = 100_000;

/** Errors that retrying cannot fix: the path itself is wrong. */
const PERMANENT_FS_CODES = new Set(['EISDIR', 'ENOTDIR', 'ENAMETOOLONG', 'EINVAL', 'EROFS']);

export interface JsonlFileSinkOptions {
  logger?: Logger;
  tailBytes?: number;
  remember?: number;
}

export class JsonlFileSink implements Sink {
  readonly type = 'jsonl-file';
  readonly path: string;
  readonly #logger: Logger | undefined;
  readonly #tailBytes: number;
  readonly #remember: number;
  /** Insertion-ordered, so the oldest id is the first to forget. */
  readonly #written = new Set<string>();
  #ready: Promise<void> | undefined;

  constructor(
    readonly name: string,
    path: string,
    opts: JsonlFileSinkOptions = {},
  ) {
    this.path = resolve(path);
    this.#logger = opts.logger;
    this.#tailBytes = opts.tailBytes ?? DEFAULT_TAIL_BYTES;
    this.#remember = opts.remember ?? DEFAULT_REMEMBER;
  }

  get target(): string {
    return this.path;
  }

  async deliver(alert: Alert, ctx: DeliveryContext): Promise<void> {
    if (!this.#ready) this.#ready = this.#open();
    try {
      await this.#ready;
    } catch (err) {
      // Let the next attempt start over instead of failing forever on a cached rejection.
      this.#ready = undefined;
      throw this.#fsError('could not open', err);
    }
    if (this.#written.has(ctx.deliveryId)) {
      this.#logger?.debug({ sink: this.name, deliveryId: ctx.deliveryId }, 'alert already in file; skipping repeat');
      return;
    }
    // Marked before the write so a concurrent repeat of the same delivery cannot slip in.
    this.#markWritten(ctx.deliveryId);
    try {
      await this.#append(formatJsonlLine(alert, ctx.deliveryId));
    } catch (err) {
      this.#written.delete(ctx.deliveryId);
      throw err instanceof SaaswatchError ? err : this.#fsError('could not append to', err);
    }
  }

  /**
   * Creates the directory (0700) and the file (0600: alerts name users and addresses), learns which
   * deliveries are in the file, and repairs a torn last line.
   */
  async #open(): Promise<void> {
    ensurePrivateDir(dirname(this.path));
    let size: number;
    try {
      const st = await stat(this.path);
      size = st.size;
      // A file an older version made 0644: ours, so made the owner's alone, as the database is.
      if (st.isFile() && (st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) {
        await chmod(this.path, st.mode & PRIVATE_FILE_MODE);
        this.#logger?.debug({ sink: this.name, path: this.path }, 'alerts file was readable by group or others; made it owner-only (0600)');
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // 'ax' creates it or fails if another writer just did; either way it exists now. The chmod
      // makes the mode exactly 0600, whatever the umask took away or left.
      const fh = await open(this.path, 'ax', PRIVATE_FILE_MODE).catch((e: NodeJS.ErrnoException) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)));
      if (fh) {
        try {
          await fh.chmod(PRIVATE_FILE_MODE);
        } finally {
          await fh.close();
        }
      }
      return;
    }
    if (size === 0) return;
    const start = Math.max(0, size - this.#tailBytes);
    const fh = await open(this.path, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(size - start);
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    const lines = text.split('\n');
    // Reading from the middle of the file, the first piece is the end of a line we cannot see whole.
    if (start > 0) lines.shift();
    for (const line of lines) {
      const id = parseDeliveryId(line);
      if (id !== undefined) this.#markWritten(id);
    }
    if (!text.endsWith('\n')) {
      // A crash mid-write left a partial line; end it so the next alert starts on a line of its own.
      await this.#append('\n');
    }
  }

  async #append(text: string): Promise<void> {
    const buf = Buffer.from(text, 'utf8');
    // 'a' is O_APPEND: one write() call per line, so concurrent writers never interleave within a line.
    const fh = await open(this.path, 'a', PRIVATE_FILE_MODE);
    try {
      const { bytesWritten } = await fh.write(buf, 0, buf.length);
      if (bytesWritten !== buf.length) {
        // Terminate the fragment so it stays a (skippable) line of its own, then let the outbox retry.
        await fh.write('\n').catch(() => undefined);
        throw errors.storage({ operation: `append to ${this.path}`, problem: `short write (${bytesWritten} of ${buf.length} bytes)` });
      }
      // The outbox marks the delivery done once we return; the line must survive a power cut by then.
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  #markWritten(id: string): void {
    this.#written.add(id);
    if (this.#written.size > this.#remember) {
      const oldest = this.#written.values().next().value;
      if (oldest !== undefined) this.#written.delete(oldest);
    }
  }

  #fsError(what: string, err: unknown): SaaswatchError {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const permanent = code !== undefined && PERMANENT_FS_CODES.has(code);
    const extra = { cause: err, ...(code ? { details: { fsCode: code } } : {}) };
    return permanent
      ? errors.configInvalid({ path: this.path, problem: `${what} it: ${errorMessage(err)}`, fix: 'point path at a file in a writable folder', ...extra })
      : errors.storage({ operation: `${what} ${this.path}`, problem: errorMessage(err), ...extra });
  }
}

/** Typed with `satisfies` so create() keeps returning the concrete sink. */
export const jsonlFileSinkPlugin = {
  type: 'jsonl-file',
  description: 'Appends each alert as one JSON line to a local file (default <dataDir>/alerts.jsonl)',
  configSchema: jsonlFileConfigSchema,
  create(name: string, config: JsonlFileConfig, deps: PluginDeps): JsonlFileSink {
    return new JsonlFileSink(name, config.path ?? join(deps.dataDir, 'alerts.jsonl'), { logger: deps.logger });
  },
} satisfies SinkPlugin<JsonlFileConfig>;
