/**
 * Text from PDF through pdfjs-dist's legacy (Node) build, in this thread, with every feature that
 * would run code, load fonts or fetch anything turned off; an encrypted PDF is reported, never guessed at.
 */
import type { ExtractContext } from './context.js';

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

// A variable specifier: the worker module ships no types, and importing it only registers its handler.
const WORKER = 'pdfjs-dist/legacy/build/pdf.worker.mjs';
let loading: Promise<Pdfjs> | undefined;

/**
 * pdfjs, loaded once on first use (it is large). Node has no web worker: importing the worker module sets
 * `globalThis.pdfjsWorker`, which pdfjs then runs in this thread instead of spawning or fetching one.
 */
function loadPdfjs(): Promise<Pdfjs> {
  loading ??= (async () => {
    await import(WORKER);
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    pdfjs.GlobalWorkerOptions.workerSrc ||= WORKER;
    return pdfjs;
  })();
  return loading;
}

interface TextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
}

/** Returns the number of pages read. */
export async function extractPdf(data: Uint8Array, ctx: ExtractContext): Promise<number> {
  const pdfjs = await loadPdfjs();
  const out = ctx.sink;
  const task = pdfjs.getDocument({
    // pdfjs takes ownership of (detaches) the buffer it is given, and refuses a Node Buffer: hand it a
    // plain Uint8Array copy (a Buffer's slice() would be a view), the caller keeps theirs.
    data: new Uint8Array(data),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWorkerFetch: false,
    disableAutoFetch: true,
    disableStream: true,
    disableRange: true,
    enableXfa: false,
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    stopAtErrors: false,
    // Errors only: pdfjs would otherwise print warnings (about fonts, mostly) on stdout.
    verbosity: 0,
  });
  // Parsing runs in this thread between awaits: a timer (and the caller's signal) can destroy the task.
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void task.destroy();
      reject(ctx.timedOut());
    }, ctx.limits.timeout);
    onAbort = () => {
      void task.destroy();
      reject(ctx.unreadable('extraction was cancelled', 'scan it again'));
    };
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
  });
  deadline.catch(() => undefined);
  try {
    const doc = await Promise.race([task.promise, deadline]);
    const pages = Math.min(doc.numPages, ctx.limits.max_pages);
    if (doc.numPages > pages) ctx.skipped = true;
    for (let p = 1; p <= pages && !out.full; p++) {
      ctx.check();
      const page = await Promise.race([doc.getPage(p), deadline]);
      const content = await Promise.race([page.getTextContent(), deadline]);
      let prev: { y: number; endX: number; size: number } | undefined;
      for (const raw of content.items) {
        if (!('str' in raw)) continue;
        const item = raw as TextItem;
        const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = item.transform;
        const size = Math.hypot(c, d) || Math.hypot(a, b) || item.height || 10;
        if (item.str !== '') {
          if (prev) {
            // A new baseline is a new line; a gap wider than a thin space between runs on a line is a space.
            if (Math.abs(y - prev.y) > prev.size * 0.5) out.newline();
            else if (x - prev.endX > prev.size * 0.15 && out.last !== ' ' && out.last !== '\n' && !item.str.startsWith(' ')) out.push(' ');
          }
          out.push(item.str);
          prev = { y, endX: x + item.width, size };
        }
        if (item.hasEOL) out.newline();
      }
      out.newline();
      page.cleanup();
    }
    return pages;
  } catch (err) {
    const name = (err as { name?: unknown }).name;
    if ((err as { code?: unknown }).code === 'FILE_UNREADABLE') throw err;
    if (name === 'PasswordException') throw ctx.unreadable('the PDF is encrypted', 'decrypt it (remove its password), then scan it again', err);
    if (name === 'InvalidPDFException') throw ctx.unreadable('not a valid PDF: the file is corrupt or truncated', 'open and save it again in a PDF reader, then scan it again', err);
    throw ctx.unreadable('the PDF could not be read: the file is corrupt or uses a feature saaswatch does not read', 'open and save it again in a PDF reader, then scan it again', err);
  } finally {
    clearTimeout(timer);
    if (onAbort) ctx.signal?.removeEventListener('abort', onAbort);
    await task.destroy().catch(() => undefined);
  }
}
