/**
 * Text from PDF through pdfjs-dist's legacy (Node) build, on a worker thread with a bounded heap that is
 * terminated at the deadline, with every feature that would run code, load fonts or fetch anything
 * turned off; an encrypted PDF is reported, never guessed at.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { errors, type SaaswatchError } from '../../core/errors.js';
import type { ExtractContext } from './context.js';

/** Heap (V8 old generation) a PDF may use while it is read: a small hostile file can make pdfjs build gigabytes. */
export const PDF_HEAP_MB = 512;

// pdfjs cannot be stopped from this thread: in Node its in-thread "fake worker" delivers messages as
// microtasks, so a page of nested forms (10^7 text operations from 2.5 KB) starves timers for minutes.
// A worker thread can be terminated at the deadline and its heap bounded. Plain CommonJS evaluated in
// the worker: no loader or build step (tsx, vitest, compiled dist) needs to know it; pdfjs is imported
// by resolved path. The text joining (by baseline) lives here too, so only the text crosses back.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
async function main() {
  const { pdfjsPath, workerPath, data, maxPages, maxChars } = workerData;
  // Importing the worker module sets globalThis.pdfjsWorker, which pdfjs then runs in this thread.
  await import(pathToFileURL(workerPath).href);
  const pdfjs = await import(pathToFileURL(pdfjsPath).href);
  pdfjs.GlobalWorkerOptions.workerSrc ||= pathToFileURL(workerPath).href;
  const task = pdfjs.getDocument({
    data, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, useWorkerFetch: false,
    disableAutoFetch: true, disableStream: true, disableRange: true, enableXfa: false,
    isOffscreenCanvasSupported: false, isImageDecoderSupported: false, stopAtErrors: false,
    // Errors only: pdfjs would otherwise print warnings (about fonts, mostly) on stdout.
    verbosity: 0,
  });
  const parts = [];
  let length = 0;
  let last = '';
  const push = (s) => { if (s === '' || length > maxChars) return; parts.push(s); length += s.length; last = s[s.length - 1]; };
  const newline = () => { if (length > 0 && last !== '\\n') push('\\n'); };
  try {
    const doc = await task.promise;
    const pages = Math.min(doc.numPages, maxPages);
    for (let p = 1; p <= pages && length <= maxChars; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      let prev;
      for (const item of content.items) {
        if (!('str' in item)) continue;
        const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = item.transform;
        const size = Math.hypot(c, d) || Math.hypot(a, b) || item.height || 10;
        if (item.str !== '') {
          if (prev) {
            // A new baseline is a new line; a gap wider than a thin space between runs on a line is a space.
            if (Math.abs(y - prev.y) > prev.size * 0.5) newline();
            else if (x - prev.endX > prev.size * 0.15 && last !== ' ' && last !== '\\n' && !item.str.startsWith(' ')) push(' ');
          }
          push(item.str);
          prev = { y, endX: x + item.width, size };
        }
        if (item.hasEOL) newline();
      }
      newline();
      page.cleanup();
    }
    parentPort.postMessage({ text: parts.join(''), pages, skipped: doc.numPages > pages });
  } catch (err) {
    // Only the error's class crosses back: a parser message may quote the file's bytes.
    parentPort.postMessage({ failed: String((err && err.name) || 'Error') });
  } finally {
    await task.destroy().catch(() => undefined);
  }
}
main().catch((err) => parentPort.postMessage({ failed: String((err && err.name) || 'Error') }));
`;

interface Reply {
  text?: string;
  pages?: number;
  skipped?: boolean;
  failed?: string;
}

let paths: { pdfjsPath: string; workerPath: string } | undefined;

function pdfjsPaths() {
  if (!paths) {
    const require = createRequire(import.meta.url);
    paths = { pdfjsPath: require.resolve('pdfjs-dist/legacy/build/pdf.mjs'), workerPath: require.resolve('pdfjs-dist/legacy/build/pdf.worker.mjs') };
  }
  return paths;
}

/** Returns the number of pages read. `heapMb` bounds the worker's heap (tests lower it). */
export async function extractPdf(data: Uint8Array, ctx: ExtractContext, heapMb = PDF_HEAP_MB): Promise<number> {
  const out = ctx.sink;
  // pdfjs takes ownership of (detaches) the buffer it is given, and refuses a Node Buffer: hand the worker
  // a plain copy (a Buffer may be a view of a shared pool), transferred rather than copied again.
  const bytes = new Uint8Array(data);
  // One character past the room left, so the sink both cuts the text and marks it truncated.
  const maxChars = ctx.limits.max_text_chars - out.text().length + 1;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ...pdfjsPaths(), data: bytes, maxPages: ctx.limits.max_pages, maxChars },
    transferList: [bytes.buffer],
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
    // What pdfjs prints may quote the file and would corrupt the CLI's JSON lines: captured and dropped.
    stdout: true,
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const reply = await new Promise<Reply>((resolve, reject) => {
      timer = setTimeout(() => reject(ctx.timedOut()), ctx.limits.timeout);
      onAbort = () => {
        try {
          ctx.check();
        } catch (err) {
          reject(err);
        }
      };
      ctx.signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', resolve);
      worker.once('error', (err: Error & { code?: string }) => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') reject(unreadable(ctx, `reading the PDF needed more than ${heapMb} MB of memory: a hostile or very complex document`, 'open and save it again in a PDF reader (or print it to a new PDF), then scan it again', 'OutOfMemory'));
        else reject(unreadable(ctx, READ_FAILED, RESAVE, err.name));
      });
      worker.once('exit', () => reject(unreadable(ctx, READ_FAILED, RESAVE, 'WorkerExit')));
    });
    if (reply.failed === 'PasswordException') throw unreadable(ctx, 'the PDF is encrypted', 'decrypt it (remove its password), then scan it again', reply.failed);
    if (reply.failed === 'InvalidPDFException') throw unreadable(ctx, 'not a valid PDF: the file is corrupt or truncated', RESAVE, reply.failed);
    if (reply.failed !== undefined) throw unreadable(ctx, READ_FAILED, RESAVE, reply.failed);
    out.push(reply.text ?? '');
    if (reply.skipped) ctx.skipped = true;
    return reply.pages ?? 0;
  } finally {
    clearTimeout(timer);
    if (onAbort) ctx.signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
  }
}

const READ_FAILED = 'the PDF could not be read: the file is corrupt or uses a feature saaswatch does not read';
const RESAVE = 'open and save it again in a PDF reader, then scan it again';

/** Unreadable, naming the parser's error class only: its message may quote the file's bytes, and pino logs causes. */
const unreadable = (ctx: ExtractContext, problem: string, fix: string, parserError: string): SaaswatchError =>
  errors.fileUnreadable({ file: ctx.file, problem, fix, details: { parserError } });
