/** What every extractor shares: the file's name for errors, its limits, the deadline, and the bounded text it writes. */
import { errors, SaaswatchError } from '../../core/errors.js';
import type { ExtractLimits } from './limits.js';

const MiB = 1024 * 1024;

/** A byte count for people: `1.5 MB`, `200 MB`, `900 bytes`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < MiB) return `${Number((n / 1024).toFixed(1))} KB`;
  return `${Number((n / MiB).toFixed(1))} MB`;
}

/**
 * The text extracted so far, cut at `max_text_chars`: extractors stop when `full` says so rather
 * than building text nobody will scan.
 */
export class TextSink {
  private parts: string[] = [];
  private length = 0;
  truncated = false;
  constructor(private readonly max: number) {}

  get full(): boolean {
    return this.length >= this.max;
  }

  push(s: string): void {
    if (s === '' || this.full) {
      if (s !== '') this.truncated = true;
      return;
    }
    const room = this.max - this.length;
    if (s.length > room) {
      // Never split a surrogate pair: a lone half would shift code point offsets.
      let cut = room;
      const c = s.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--;
      s = s.slice(0, cut);
      this.truncated = true;
      this.length = this.max;
    } else this.length += s.length;
    this.parts.push(s);
  }

  /** The last character pushed ('' when none), so a separator is added only where one is missing. */
  get last(): string {
    const p = this.parts[this.parts.length - 1];
    return p ? p[p.length - 1]! : '';
  }

  /** Ends the current line unless it is already ended (or nothing was written). */
  newline(): void {
    if (this.length > 0 && this.last !== '\n') this.push('\n');
  }

  text(): string {
    const t = this.parts.join('');
    this.parts = [t];
    return t;
  }
}

/** One extraction: the file, its limits, its deadline. */
export class ExtractContext {
  readonly sink: TextSink;
  /** Set when a page, sheet or row limit skipped part of the file. */
  skipped = false;
  private readonly deadline: number;

  constructor(
    readonly file: string,
    readonly limits: ExtractLimits,
    readonly signal: AbortSignal | undefined,
    startedAt: number,
  ) {
    this.sink = new TextSink(limits.max_text_chars);
    this.deadline = startedAt + limits.timeout;
  }

  /**
   * Throws when the time is up or the caller gave up. Synchronous parsing cannot see a timer fire, so
   * the deadline is read from the monotonic clock at each check.
   */
  check(): void {
    if (this.signal?.aborted) throw this.unreadable('extraction was cancelled', 'scan it again');
    if (performance.now() > this.deadline) throw this.timedOut();
  }

  timedOut(): SaaswatchError {
    return this.unreadable(`extraction took longer than the limit of ${formatTimeout(this.limits.timeout)} (pii.limits.timeout)`, 'raise pii.limits.timeout if the file is genuine');
  }

  unreadable(problem: string, fix?: string, cause?: unknown): SaaswatchError {
    return errors.fileUnreadable({ file: this.file, problem, ...(fix ? { fix } : {}), ...(cause === undefined ? {} : { cause }) });
  }

  /** A format saaswatch does not read (an image, an archive): `details.unsupported`, so a folder scan may pass over it. */
  unsupported(what: string, fix: string): SaaswatchError {
    return errors.fileUnreadable({ file: this.file, problem: `${what} (unsupported format)`, fix, details: { unsupported: true } });
  }

  /** A limit-exceeded error for the zip bomb family: the file is dead-lettered, naming the limit. */
  overLimit(what: string, limitKey: keyof ExtractLimits, limit: string): SaaswatchError {
    return this.unreadable(`${what} is over the limit of ${limit} (pii.limits.${limitKey}): a zip bomb or a very large document`, `raise pii.limits.${limitKey} if the file is genuine`);
  }
}

const formatTimeout = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** Is there a NUL byte (or many control bytes) early on: binary, not text. */
export function looksBinary(data: Uint8Array): boolean {
  const n = Math.min(data.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = data[i]!;
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32 && b !== 27)) control++;
  }
  return n > 0 && control / n > 0.1;
}

/** Whether the bytes start with a UTF-16 byte order mark (text even though it holds NUL bytes). */
export const hasUtf16Bom = (d: Uint8Array) => d.length >= 2 && ((d[0] === 0xff && d[1] === 0xfe) || (d[0] === 0xfe && d[1] === 0xff));

/** Text from bytes: a UTF-8 or UTF-16 byte order mark decides; without one UTF-8, else Windows-1252 (what legacy exports use). */
export function decodeText(data: Uint8Array): string {
  if (data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) return new TextDecoder('utf-8').decode(data.subarray(3));
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) return new TextDecoder('utf-16le').decode(data.subarray(2));
  if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) return new TextDecoder('utf-16be').decode(data.subarray(2));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return new TextDecoder('windows-1252').decode(data);
  }
}
