/**
 * Text extraction for the PII scanner: detects a file's format (magic bytes, then mime type, then
 * extension), reads its text within the size, page, sheet, expansion and time limits, and fails only
 * with FILE_UNREADABLE or INPUT_TOO_LARGE, naming the file and the limit.
 */
import { errors, SaaswatchError } from '../../core/errors.js';
import { decodeText, ExtractContext, formatBytes, hasUtf16Bom, looksBinary } from './context.js';
import { DEFAULT_LIMITS, type ExtractLimits } from './limits.js';
import { extractDocx, extractOdf, extractPptx, extractXlsx } from './office.js';
import { extractPdf } from './pdf.js';
import { extractCsv, extractHtml, extractJson, extractPlain } from './plain.js';
import { isZip, ZipArchive } from './zip.js';

export { DEFAULT_LIMITS, extractLimitsSchema, type ExtractLimits } from './limits.js';

export const FORMATS = ['txt', 'md', 'csv', 'json', 'html', 'pdf', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp'] as const;
export type Format = (typeof FORMATS)[number];

export interface Extracted {
  /** The file's text; offsets of findings index into it. */
  text: string;
  format: Format;
  /** Only part of the content was read: a text, page, sheet or row limit cut it. */
  truncated: boolean;
  /** Pages, sheets or slides read, where the format has them. */
  parts?: number;
}

export interface ExtractMeta {
  /** The file's name or path: its extension is a hint, and errors name it. */
  name?: string;
  /** The mime type the vendor reports, a hint after the content's magic bytes. */
  mimeType?: string;
}

const MIME: Record<string, Format> = {
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/x-markdown': 'md',
  'text/csv': 'csv',
  'text/tab-separated-values': 'csv',
  'application/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'json',
  'application/jsonl': 'json',
  'application/x-jsonlines': 'json',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
};

const EXTENSION: Record<string, Format> = {
  txt: 'txt', text: 'txt', log: 'txt', md: 'md', markdown: 'md', csv: 'csv', tsv: 'csv', json: 'json', jsonl: 'json', ndjson: 'json',
  html: 'html', htm: 'html', xhtml: 'html', pdf: 'pdf', docx: 'docx', docm: 'docx', xlsx: 'xlsx', xlsm: 'xlsx', pptx: 'pptx', pptm: 'pptx',
  odt: 'odt', ods: 'ods', odp: 'odp',
};

const ODF_MIME: Record<string, Format> = {
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
};

const ZIPPED = new Set<Format>(['docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp']);

/** Binary formats saaswatch does not read, by their first bytes, so the dead letter says what the file is. */
const BINARY_MAGIC: Array<[number[], string]> = [
  [[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 'a legacy (.doc/.xls/.ppt) or password-protected Office file'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x1f, 0x8b], 'a gzip archive'],
  [[0x52, 0x61, 0x72, 0x21], 'a RAR archive'],
  [[0x37, 0x7a, 0xbc, 0xaf], 'a 7-Zip archive'],
  [[0x7f, 0x45, 0x4c, 0x46], 'an executable'],
  [[0x4d, 0x5a], 'an executable'],
];

const startsWith = (d: Uint8Array, magic: number[]) => magic.every((b, i) => d[i] === b);

/** `%PDF-` within the first KiB, where readers accept it (some writers put junk before). */
function isPdf(d: Uint8Array): boolean {
  const n = Math.min(d.length - 4, 1024);
  for (let i = 0; i < n; i++) if (d[i] === 0x25 && d[i + 1] === 0x50 && d[i + 2] === 0x44 && d[i + 3] === 0x46) return true;
  return false;
}

const extensionOf = (name?: string) => {
  const m = name ? /\.([A-Za-z0-9]+)$/.exec(name) : null;
  return m ? m[1]!.toLowerCase() : undefined;
};

/** The format the hints (mime type, then extension) give, if any. */
function hinted(meta: ExtractMeta): Format | undefined {
  const mime = meta.mimeType?.split(';')[0]!.trim().toLowerCase();
  return (mime ? MIME[mime] : undefined) ?? EXTENSION[extensionOf(meta.name) ?? ''];
}

/** What a zip holds: an OpenDocument's `mimetype` entry, else the Office part its `[Content_Types].xml` promises. */
function zipFormat(zip: ZipArchive, ctx: ExtractContext): Format {
  if (zip.has('mimetype')) {
    const mime = (zip.readText('mimetype') ?? '').trim();
    const f = ODF_MIME[mime];
    if (f) return f;
    throw ctx.unsupported(`an OpenDocument file of type ${JSON.stringify(mime.slice(0, 80))}, which saaswatch does not read`, 'save it as .odt, .ods or .odp');
  }
  if (zip.has('[Content_Types].xml')) {
    if (zip.has('word/document.xml')) return 'docx';
    if (zip.has('xl/workbook.xml')) return 'xlsx';
    if (zip.has('ppt/presentation.xml')) return 'pptx';
  }
  if (zip.has('content.xml')) return 'odt';
  throw ctx.unsupported('a zip archive that is not an Office or OpenDocument file', 'unzip it and scan the files inside');
}

/** Whether an extraction error only says the format is not one saaswatch reads (a folder scan passes over such files). */
export const isUnsupportedFormat = (err: unknown): boolean => err instanceof SaaswatchError && err.details?.unsupported === true;

/**
 * The text of one file. Errors: INPUT_TOO_LARGE over `max_bytes`; FILE_UNREADABLE for an unsupported,
 * corrupt, encrypted or over-limit file (zip bomb, too many entries, timeout) — never anything else for bad input.
 */
export async function extractText(data: Uint8Array, meta: ExtractMeta = {}, limits: Partial<ExtractLimits> = {}, signal?: AbortSignal): Promise<Extracted> {
  const lim: ExtractLimits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(limits)) if (v !== undefined) (lim as Record<string, unknown>)[k] = v;
  const file = meta.name ?? '(unnamed file)';
  if (data.length > lim.max_bytes) throw errors.inputTooLarge({ where: file, size: formatBytes(data.length), limit: `${formatBytes(lim.max_bytes)} (pii.limits.max_bytes)` });
  const ctx = new ExtractContext(file, lim, signal, performance.now());
  ctx.check();
  try {
    const { format, parts } = await extractInto(data, meta, ctx);
    return { text: ctx.sink.text(), format, truncated: ctx.sink.truncated || ctx.skipped, ...(parts === undefined ? {} : { parts }) };
  } catch (err) {
    if (err instanceof SaaswatchError && (err.code === 'FILE_UNREADABLE' || err.code === 'INPUT_TOO_LARGE')) throw err;
    // A parser's own failure on bad input (or a bug it hit) still dead-letters the file, naming it.
    throw ctx.unreadable('the file could not be read: it is corrupt or not what its name says', 'open and save it again in its application, then scan it again', err);
  }
}

async function extractInto(data: Uint8Array, meta: ExtractMeta, ctx: ExtractContext): Promise<{ format: Format; parts?: number }> {
  const hint = hinted(meta);
  if (isPdf(data)) return { format: 'pdf', parts: await extractPdf(data, ctx) };
  if (isZip(data)) {
    const zip = ZipArchive.open(data, ctx);
    const format = zipFormat(zip, ctx);
    switch (format) {
      case 'docx':
        extractDocx(zip, ctx);
        return { format };
      case 'xlsx':
        return { format, parts: extractXlsx(zip, ctx) };
      case 'pptx':
        return { format, parts: extractPptx(zip, ctx) };
      default:
        return { format, parts: extractOdf(zip, ctx, format as 'odt' | 'ods' | 'odp') };
    }
  }
  const binary = !hasUtf16Bom(data) && looksBinary(data);
  if (binary) {
    const known = BINARY_MAGIC.find(([magic]) => startsWith(data, magic));
    if (known) throw ctx.unsupported(`${known[1]}, which saaswatch does not read`, 'convert it to a supported format (pdf, docx, xlsx, pptx, odt, csv, txt)');
  }
  if (hint === 'pdf' || (hint && ZIPPED.has(hint))) {
    throw ctx.unreadable(`not a valid ${hint} file (its content does not start as one): it is corrupt, or another format renamed`, 'open and save it again in its application, then scan it again');
  }
  if (binary) throw ctx.unsupported('binary content of an unknown kind', 'convert it to a supported format (pdf, docx, xlsx, pptx, odt, csv, txt)');

  const text = decodeText(data);
  ctx.check();
  const head = text.slice(0, 512).trimStart().toLowerCase();
  const format: Format = hint ?? (head.startsWith('{') || head.startsWith('[') ? 'json' : head.startsWith('<!doctype html') || head.startsWith('<html') ? 'html' : 'txt');
  switch (format) {
    case 'csv':
      extractCsv(text, ctx);
      return { format };
    case 'json':
      if (extractJson(text, ctx)) return { format };
      // Not JSON after all (a log with a .json name): its text is still worth scanning.
      extractPlain(text, ctx);
      return { format: 'txt' };
    case 'html':
      extractHtml(text, ctx);
      return { format };
    default:
      extractPlain(text, ctx);
      return { format };
  }
}
