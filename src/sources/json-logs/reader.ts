/** Streams JSON arrays, JSON lines and CSV into records with line numbers, in bounded memory, turning bad input into dead letters. */
import { isUtf8 } from 'node:buffer';
import { extname } from 'node:path';
import type { DeadLetterInput } from '../../core/index.js';
import { errors } from '../../core/index.js';
import { countKeys, findDuplicateKey, scanJson } from './shape.js';

export type InputFormat = 'json' | 'jsonl' | 'csv';

export interface ReadRecord {
  data: Record<string, unknown>;
  /** 1-based line where the record starts (the file is the chunk's; no per-record object on the hot path). */
  line: number;
  /** 0-based ordinal: array element, JSON line or CSV row (header excluded). */
  index: number;
  /** 0-based byte offset where the record starts in the input (after decompression and any BOM). */
  offset: number;
  /**
   * True when the record's text cannot hold NUL or a lone surrogate: JSON whose escapes include no
   * `\u0000` or `\uD800`–`\uDFFF` (decoded UTF-8 is well formed, and JSON refuses raw control
   * characters). Its event may then skip the pipeline's text check (SourceBatch.vetted).
   */
  clean: boolean;
}

/** An escape that decodes to NUL or to half of a surrogate pair; a false positive only costs a check. */
const FLAWED_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

export interface ReadChunk {
  records: ReadRecord[];
  deadLetters: DeadLetterInput[];
  /** Input bytes consumed so far. */
  bytesDone: number;
}

export interface ReadOptions {
  /** Source instance name, for dead letters. */
  source: string;
  /** Label of the input in positions and messages: the path, or `stdin`. */
  file: string;
  format: 'auto' | InputFormat;
  maxRecordBytes: number;
  /** Deepest nesting of objects and arrays a JSON record may have (the record itself is depth 1). */
  maxRecordDepth: number;
}

/** Dead-letter payloads keep this much of the offending input: enough to recognise it, never megabytes. */
export const PAYLOAD_MAX_BYTES = 4096;

const NL = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

/** Picks the format from the config, the file extension and the first non-space byte. */
export function chooseFormat(configured: ReadOptions['format'], firstByte: number | undefined, name: string): InputFormat {
  if (configured === 'csv' || configured === 'jsonl') return configured;
  // A "JSON" log that starts with an object is a stream of objects, which is what the user meant.
  if (configured === 'json') return firstByte === 0x7b ? 'jsonl' : 'json';
  const ext = extname(name.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (firstByte === 0x5b) return 'json';
  if (firstByte === 0x7b) return 'jsonl';
  return ext === '.json' ? 'json' : 'csv';
}

/** The most frequent of `,` `;` tab `|` in a CSV header line (outside quotes); `,` on a tie or none. */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>([[',', 0], [';', 0], ['\t', 0], ['|', 0]]);
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
  return best;
}

/**
 * Splits one CSV record (RFC 4180: quotes only open a field at its start, `""` escapes a quote).
 * Returns the fields, or why the record is malformed.
 */
export function parseCsvRecord(text: string, delimiter: string): string[] | string {
  if (text.indexOf('"') === -1) return text.split(delimiter);
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return `unterminated quoted field in column ${out.length + 1}`;
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(value);
      if (i >= n) return out;
      if (text[i] !== delimiter) return `unexpected text after the closing quote of column ${out.length}`;
      i++;
    } else {
      const d = text.indexOf(delimiter, i);
      out.push(text.slice(i, d === -1 ? n : d));
      if (d === -1) return out;
      i = d + 1;
    }
  }
}

/** Dead-letter payload: at most PAYLOAD_MAX_BYTES, control characters escaped (databases refuse NUL in text). */
export function payloadOf(bytes: Buffer | string, totalBytes?: number): string {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const total = totalBytes ?? buf.length;
  let text = buf.subarray(0, PAYLOAD_MAX_BYTES).toString('utf8');
  text = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return total > PAYLOAD_MAX_BYTES ? `${text}… [truncated, ${total} bytes in all]` : text;
}

/** Holds the bytes of a record that spans chunks, and stops holding them once it exceeds the limit. */
class Pending {
  #parts: Buffer[] = [];
  #held = 0;
  /** All bytes of the record so far, held or not. */
  total = 0;
  overflow = false;
  #head: Buffer | undefined;

  constructor(private readonly max: number) {}

  add(buf: Buffer): void {
    if (buf.length === 0) return;
    this.total += buf.length;
    if (this.overflow) return;
    if (this.#held + buf.length > this.max) {
      // Copied so the megabyte of parts can be collected while the record is skipped.
      this.#head = Buffer.from(Buffer.concat([...this.#parts, buf.subarray(0, PAYLOAD_MAX_BYTES)]).subarray(0, PAYLOAD_MAX_BYTES));
      this.#parts = [];
      this.#held = 0;
      this.overflow = true;
      return;
    }
    this.#parts.push(buf);
    this.#held += buf.length;
  }

  get empty(): boolean {
    return this.total === 0;
  }

  /** The record's bytes with `tail` appended; only valid when not overflowing. */
  concat(tail: Buffer): Buffer {
    if (this.#parts.length === 0) return tail;
    return Buffer.concat(tail.length > 0 ? [...this.#parts, tail] : this.#parts);
  }

  /** The first bytes of an oversized record, for its dead letter. */
  head(tail: Buffer): Buffer {
    return this.overflow ? this.#head! : Buffer.concat([...this.#parts, tail.subarray(0, PAYLOAD_MAX_BYTES)]).subarray(0, PAYLOAD_MAX_BYTES);
  }

  reset(): void {
    this.#parts = [];
    this.#held = 0;
    this.total = 0;
    this.overflow = false;
    this.#head = undefined;
  }
}

/** Receives framed records: complete ones, and ones too large to keep. */
interface FrameSink {
  record(bytes: Buffer, line: number, offset: number): void;
  tooLarge(head: Buffer, size: number, line: number, offset: number): void;
}

interface Framer {
  push(chunk: Buffer): void;
  end(): void;
}

/** Newline-delimited records, found with indexOf: the fast path for JSON lines. */
class LineFramer implements Framer {
  #line = 1;
  /** Bytes pushed before the current chunk, and where the record being framed starts. */
  #base = 0;
  #start = 0;
  readonly #pending: Pending;

  constructor(
    private readonly sink: FrameSink,
    private readonly max: number,
  ) {
    this.#pending = new Pending(max);
  }

  push(chunk: Buffer): void {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl === -1) {
        this.#pending.add(chunk.subarray(pos));
        this.#base += chunk.length;
        return;
      }
      this.#finish(chunk.subarray(pos, nl));
      this.#line++;
      pos = nl + 1;
      this.#start = this.#base + pos;
    }
  }

  end(): void {
    if (!this.#pending.empty) this.#finish(Buffer.alloc(0));
  }

  #finish(tail: Buffer): void {
    const p = this.#pending;
    const size = p.total + tail.length;
    if (p.overflow || size > this.max) this.sink.tooLarge(p.head(tail), size, this.#line, this.#start);
    else this.sink.record(p.concat(tail), this.#line, this.#start);
    p.reset();
  }
}

/**
 * CSV records, which may span lines inside quoted fields. Quote state follows the same rules as
 * parseCsvRecord so a stray `"` mid-field cannot swallow the following rows; an oversized record
 * ends at the next newline whatever the quotes say, which resynchronises after a broken quote.
 */
class CsvFramer implements Framer {
  #line = 1;
  #recordLine = 1;
  #base = 0;
  #recordStart = 0;
  /** 0: unquoted, 1: inside quotes, 2: quote seen inside quotes (closing or first of `""`). */
  #q = 0;
  #fieldStart = true;
  readonly #pending: Pending;
  readonly #delim: number;

  constructor(
    private readonly sink: FrameSink,
    private readonly max: number,
    delimiter: string,
  ) {
    this.#pending = new Pending(max);
    this.#delim = delimiter.charCodeAt(0);
  }

  push(chunk: Buffer): void {
    const p = this.#pending;
    const delim = this.#delim;
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === NL) {
        this.#line++;
        const size = p.total + (i - start);
        if (this.#q === 1 && !p.overflow && size <= this.max) continue;
        this.#finish(chunk.subarray(start, i), size);
        start = i + 1;
        this.#recordLine = this.#line;
        this.#recordStart = this.#base + start;
      } else if (c === QUOTE) {
        if (this.#q === 0) {
          if (this.#fieldStart) this.#q = 1;
        } else this.#q = this.#q === 1 ? 2 : 1;
        this.#fieldStart = false;
      } else if (c === delim) {
        if (this.#q !== 1) {
          this.#q = 0;
          this.#fieldStart = true;
        }
      } else if (this.#q !== 1) {
        this.#q = 0;
        this.#fieldStart = false;
      }
    }
    this.#pending.add(chunk.subarray(start));
    this.#base += chunk.length;
  }

  end(): void {
    if (!this.#pending.empty) this.#finish(Buffer.alloc(0), this.#pending.total);
  }

  #finish(tail: Buffer, size: number): void {
    const p = this.#pending;
    if (p.overflow || size > this.max) this.sink.tooLarge(p.head(tail), size, this.#recordLine, this.#recordStart);
    else this.sink.record(p.concat(tail), this.#recordLine, this.#recordStart);
    p.reset();
    this.#q = 0;
    this.#fieldStart = true;
  }
}

const enum ArrayState {
  /** Before the opening `[`. */
  Before,
  /** Inside the array, waiting for an element or `]`. */
  Expect,
  /** Inside an element. */
  Value,
  /** After the closing `]`: only whitespace or another array may follow. */
  After,
  /** Non-JSON text where an array should be; collected into one dead letter. */
  Garbage,
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === NL || c === CR || c === 0x09;
}

/**
 * Top-level elements of a JSON array (or of several concatenated arrays), found by tracking
 * strings, escapes and nesting depth, so a gigabyte array is parsed one element at a time.
 * A raw newline cannot occur inside a JSON string, so one ends the element: an unterminated string
 * then costs a dead letter or two instead of desynchronising the rest of the file.
 */
class JsonArrayFramer implements Framer {
  #state = ArrayState.Before;
  #line = 1;
  #elementLine = 1;
  #base = 0;
  #elementStart = 0;
  #depth = 0;
  #inString = false;
  #escape = false;
  readonly #pending: Pending;

  constructor(
    private readonly sink: FrameSink & { garbage(head: Buffer, size: number, line: number, offset: number): void },
    private readonly max: number,
  ) {
    this.#pending = new Pending(max);
  }

  push(chunk: Buffer): void {
    let start = 0;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk[i]!;
      if (c === NL) this.#line++;
      switch (this.#state) {
        case ArrayState.Value:
          if (this.#inString) {
            if (this.#escape) this.#escape = false;
            else if (c === 0x5c) this.#escape = true;
            else if (c === QUOTE) this.#inString = false;
            else if (c === NL) {
              // The element is broken whatever follows; ending it here resynchronises at worst one dead letter later.
              this.#inString = false;
              this.#finish(chunk.subarray(start, i));
              this.#state = ArrayState.Expect;
            }
          } else if (c === QUOTE) {
            this.#inString = true;
          } else if (c === 0x7b || c === 0x5b) {
            this.#depth++;
          } else if (c === 0x7d) {
            if (this.#depth > 0) this.#depth--;
          } else if (c === 0x5d) {
            if (this.#depth > 0) this.#depth--;
            else {
              this.#finish(chunk.subarray(start, i));
              this.#state = ArrayState.After;
            }
          } else if (c === COMMA && this.#depth === 0) {
            this.#finish(chunk.subarray(start, i));
            this.#state = ArrayState.Expect;
          }
          break;
        case ArrayState.Expect:
          if (isJsonSpace(c) || c === COMMA) break;
          if (c === 0x5d) {
            this.#state = ArrayState.After;
            break;
          }
          this.#state = ArrayState.Value;
          this.#elementLine = this.#line;
          this.#elementStart = this.#base + i;
          this.#depth = c === 0x7b || c === 0x5b ? 1 : 0;
          this.#inString = c === QUOTE;
          this.#escape = false;
          start = i;
          break;
        case ArrayState.Before:
        case ArrayState.After:
          if (isJsonSpace(c)) break;
          if (c === 0x5b) {
            this.#state = ArrayState.Expect;
            break;
          }
          this.#state = ArrayState.Garbage;
          this.#elementLine = this.#line;
          this.#elementStart = this.#base + i;
          start = i;
          break;
        case ArrayState.Garbage:
          break;
      }
    }
    if (this.#state === ArrayState.Value || this.#state === ArrayState.Garbage) this.#pending.add(chunk.subarray(start));
    this.#base += n;
  }

  end(): void {
    // A missing `]` (a log cut off while being written) still leaves a complete last element.
    if (this.#state === ArrayState.Value) this.#finish(Buffer.alloc(0));
    else if (this.#state === ArrayState.Garbage) {
      const p = this.#pending;
      this.sink.garbage(p.head(Buffer.alloc(0)), p.total, this.#elementLine, this.#elementStart);
      p.reset();
    }
  }

  #finish(tail: Buffer): void {
    const p = this.#pending;
    const size = p.total + tail.length;
    if (p.overflow || size > this.max) this.sink.tooLarge(p.head(tail), size, this.#elementLine, this.#elementStart);
    else this.sink.record(p.concat(tail), this.#elementLine, this.#elementStart);
    p.reset();
  }
}

function describeJson(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/** Turns framed bytes of one format into records and dead letters, collected per input chunk. */
class Decoder implements FrameSink {
  records: ReadRecord[] = [];
  deadLetters: DeadLetterInput[] = [];
  #index = 0;
  #header: string[] | undefined;
  #headerLine = 0;
  /** Column named `__proto__`, if any: its value needs defineOwn (`constructor`, `prototype` assign normally). */
  #protoColumn = -1;

  constructor(
    private readonly opts: ReadOptions,
    private readonly format: InputFormat,
    private readonly delimiter: string,
  ) {}

  #where(line: number, index: number): string {
    return this.format === 'json' ? `array element ${index} (line ${line})` : this.format === 'csv' ? `CSV row at line ${line}` : `line ${line}`;
  }

  #dead(code: string, reason: string, payload: string, line: number, offset: number): void {
    this.deadLetters.push({ source: this.opts.source, code, reason, payload, position: { file: this.opts.file, line, offset } });
  }

  record(bytes: Buffer, line: number, offset: number): void {
    if (!isUtf8(bytes)) {
      const index = this.#index++;
      this.#dead(
        'INPUT_MALFORMED',
        `${this.#where(line, index)} of ${this.opts.file} is not valid UTF-8 (binary data?); skipped`,
        payloadOf(bytes),
        line,
        offset,
      );
      return;
    }
    const text = bytes.toString('utf8');
    if (this.format === 'csv') this.#csv(text, bytes, line, offset);
    else this.#json(text, bytes, line, offset);
  }

  #json(text: string, bytes: Buffer, line: number, offset: number): void {
    // Depth is bounded before JSON.parse: everything after it (normalizers, detectors, JSON.stringify) recurses.
    const keys = scanJson(text, this.opts.maxRecordDepth);
    if (keys < 0) {
      const index = this.#index++;
      const at = Buffer.byteLength(text.slice(0, -keys - 1));
      this.#dead(
        'INPUT_TOO_LARGE',
        `${this.#where(line, index)} of ${this.opts.file} nests deeper than max_record_depth (${this.opts.maxRecordDepth}) at byte ${at} of the record (byte ${offset + at} of the input); skipped. Raise max_record_depth in the source config if such records are legitimate`,
        payloadOf(bytes),
        line,
        offset,
      );
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      if (text.trim() === '') return;
      const index = this.#index++;
      this.#dead(
        'INPUT_MALFORMED',
        `${this.#where(line, index)} of ${this.opts.file} is not valid JSON (${(err as Error).message}); skipped`,
        payloadOf(bytes),
        line,
        offset,
      );
      return;
    }
    const index = this.#index++;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      this.#dead(
        'INPUT_MALFORMED',
        `${this.#where(line, index)} of ${this.opts.file} is ${describeJson(data)}, expected a JSON object per record; skipped`,
        payloadOf(bytes),
        line,
        offset,
      );
      return;
    }
    // JSON.parse keeps the last of a repeated key: fewer keys parsed than written means one was dropped.
    if (countKeys(data) !== keys) {
      const dup = findDuplicateKey(text);
      this.#dead(
        'INPUT_MALFORMED',
        `${this.#where(line, index)} of ${this.opts.file} repeats the key ${JSON.stringify(dup?.key ?? '?')} at ${dup?.path ?? 'an unknown path'}: which value is meant is ambiguous, so the record is not merged; skipped`,
        payloadOf(bytes),
        line,
        offset,
      );
      return;
    }
    this.records.push({ data: data as Record<string, unknown>, line, index, offset, clean: text.indexOf('\\u') === -1 || !FLAWED_ESCAPE.test(text) });
  }

  #csv(raw: string, bytes: Buffer, line: number, offset: number): void {
    const text = raw.charCodeAt(raw.length - 1) === CR ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    const fields = parseCsvRecord(text, this.delimiter);
    if (this.#header === undefined) {
      if (typeof fields === 'string') {
        this.#dead('INPUT_MALFORMED', `CSV header at line ${line} of ${this.opts.file} is malformed: ${fields}`, payloadOf(bytes), line, offset);
        this.#header = [];
      } else {
        this.#header = uniqueHeader(fields);
        this.#protoColumn = this.#header.indexOf('__proto__');
      }
      this.#headerLine = line;
      return;
    }
    const index = this.#index++;
    if (typeof fields === 'string') {
      this.#dead('INPUT_MALFORMED', `CSV row at line ${line} of ${this.opts.file} is malformed: ${fields}; skipped`, payloadOf(bytes), line, offset);
      return;
    }
    const header = this.#header;
    if (fields.length !== header.length) {
      this.#dead(
        'INPUT_MALFORMED',
        header.length === 0
          ? `CSV row at line ${line} of ${this.opts.file} cannot be read: the header is malformed`
          : `CSV row at line ${line} of ${this.opts.file} has ${fields.length} fields but the header (line ${this.#headerLine}) has ${header.length}; skipped`,
        payloadOf(bytes),
        line,
        offset,
      );
      return;
    }
    const data: Record<string, unknown> = {};
    if (this.#protoColumn < 0) for (let i = 0; i < header.length; i++) data[header[i]!] = fields[i];
    else for (let i = 0; i < header.length; i++) defineOwn(data, header[i]!, fields[i]);
    // CSV text may hold a raw NUL; the pipeline checks it.
    this.records.push({ data, line, index, offset, clean: false });
  }

  tooLarge(head: Buffer, size: number, line: number, offset: number): void {
    const index = this.#index++;
    this.#dead(
      'INPUT_TOO_LARGE',
      `${this.#where(line, index)} of ${this.opts.file} is ${size} bytes, over max_record_bytes (${this.opts.maxRecordBytes}); skipped without reading it into memory. Raise max_record_bytes in the source config if such records are legitimate`,
      payloadOf(head, size),
      line,
      offset,
    );
  }

  garbage(head: Buffer, size: number, line: number, offset: number): void {
    this.#dead(
      'INPUT_MALFORMED',
      `${this.opts.file} has ${size} bytes of non-array text at line ${line} where a JSON array should start or the input should end; skipped`,
      payloadOf(head, size),
      line,
      offset,
    );
  }
}

/**
 * An own, enumerable data property, as JSON.parse makes: a plain assignment to `__proto__` would call
 * the prototype setter instead, which ignores a string and loses the column's value.
 */
function defineOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Header names as keys: blanks get a column name and repeats a suffix, so no column silently overwrites another. */
function uniqueHeader(fields: string[]): string[] {
  const seen = new Map<string, number>();
  return fields.map((f, i) => {
    const name = f.trim() === '' ? `column_${i + 1}` : f.trim();
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    return n === 0 ? name : `${name}_${n + 1}`;
  });
}

function toBuffer(chunk: Buffer | string | Uint8Array): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Reads records from a byte stream, one ReadChunk per input chunk. The format is settled from the
 * first non-space byte, so nothing but that first chunk is ever held back.
 */
export async function* readRecords(input: AsyncIterable<Buffer | string | Uint8Array>, opts: ReadOptions): AsyncGenerator<ReadChunk> {
  let bytesDone = 0;
  let head: Buffer[] = [];
  let framer: Framer | undefined;
  let decoder: Decoder | undefined;
  let first = true;

  const start = (firstByte: number | undefined): void => {
    const lead = Buffer.concat(head);
    const format = chooseFormat(opts.format, firstByte, opts.file);
    let delimiter = ',';
    if (format === 'csv') {
      const nl = lead.indexOf(NL);
      const firstLine = lead.subarray(0, nl === -1 ? Math.min(lead.length, 65536) : nl).toString('utf8');
      delimiter = /\.tsv(\.gz)?$/i.test(opts.file) ? '\t' : detectDelimiter(firstLine);
    }
    const d = new Decoder(opts, format, delimiter);
    decoder = d;
    framer =
      format === 'jsonl'
        ? new LineFramer(d, opts.maxRecordBytes)
        : format === 'csv'
          ? new CsvFramer(d, opts.maxRecordBytes, delimiter)
          : new JsonArrayFramer(d, opts.maxRecordBytes);
    head = [];
    framer.push(lead);
  };

  const drain = (): ReadChunk => {
    const out: ReadChunk = { records: decoder!.records, deadLetters: decoder!.deadLetters, bytesDone };
    decoder!.records = [];
    decoder!.deadLetters = [];
    return out;
  };

  for await (const raw of input) {
    let chunk = toBuffer(raw);
    if (chunk.length === 0) continue;
    bytesDone += chunk.length;
    if (first) {
      first = false;
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
        throw errors.inputMalformed({ where: opts.file, problem: 'is gzip-compressed', fix: 'decompress it first, e.g. zcat FILE | saaswatch ingest -' });
      }
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    if (framer === undefined) {
      head.push(chunk);
      let firstByte: number | undefined;
      for (let i = 0; i < chunk.length; i++) {
        if (!isJsonSpace(chunk[i]!)) {
          firstByte = chunk[i];
          break;
        }
      }
      // Whitespace-only so far: keep it (it counts for line numbers) and wait for content.
      if (firstByte === undefined) continue;
      start(firstByte);
    } else {
      framer.push(chunk);
    }
    yield drain();
  }
  if (framer === undefined) {
    if (head.length === 0) return;
    start(undefined);
  }
  framer!.end();
  yield drain();
}
